"""Indicator writes: create, new version (immutable, with a reason), deactivate."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from jixiao.audit.services import audit_record
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.metrics import engine
from jixiao.metrics.formula import FormulaError, dependency_cycle, formula_validate
from jixiao.metrics.models import (
    Aggregation,
    Category,
    Direction,
    Indicator,
    IndicatorVersion,
)

MAX_SCALE = 6


@dataclass(frozen=True)
class IndicatorDefinition:
    """What an indicator version says; the same shape for the library, the API and forms."""

    name_zh: str
    name_en: str = ""
    unit: str = ""
    direction: str = Direction.HIGHER
    category: str = Category.OUTCOME
    aggregation: str = Aggregation.SUM
    numerator_code: str = ""
    denominator_code: str = ""
    distinct_key: str = ""
    formula: str = ""
    plausible_min: Decimal | None = None
    plausible_max: Decimal | None = None
    scale: int = 2
    description: str = ""


def version_dependencies(version: IndicatorVersion | IndicatorDefinition) -> set[str]:
    """The indicator codes a version is computed from (empty for event-based indicators)."""
    if version.aggregation == Aggregation.RATIO:
        return {c for c in (version.numerator_code, version.denominator_code) if c}
    if version.aggregation == Aggregation.FORMULA and version.formula:
        from jixiao.metrics.formula import formula_names

        try:
            return formula_names(version.formula)
        except FormulaError:
            return set()
    return set()


def company_dependencies(company: Company) -> dict[str, set[str]]:
    """Every indicator code of the company and the codes its current version depends on."""
    result: dict[str, set[str]] = {}
    rows = Indicator.objects.filter(company=company).select_related("current_version")
    for indicator in rows:
        version = indicator.current_version
        result[indicator.code] = version_dependencies(version) if version else set()
    return result


def definition_check(
    *, company: Company, code: str, definition: IndicatorDefinition
) -> dict[str, list[str]]:
    """Field errors of a definition for indicator ``code``; empty when it may be saved."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if not definition.name_zh.strip():
        add("name_zh", _("请填写中文名称。"))
    if definition.direction not in Direction.values:
        add("direction", _("方向无效。"))
    if definition.category not in Category.values:
        add("category", _("类别无效。"))
    if definition.aggregation not in Aggregation.values:
        add("aggregation", _("汇总方式无效。"))
    if not 0 <= definition.scale <= MAX_SCALE:
        add("scale", _("小数位须在 0 到 %(n)d 之间。") % {"n": MAX_SCALE})
    if (
        definition.plausible_min is not None
        and definition.plausible_max is not None
        and definition.plausible_min > definition.plausible_max
    ):
        add("plausible_max", _("合理上限不能小于合理下限。"))
    for name in ("plausible_min", "plausible_max"):
        bound = getattr(definition, name)
        if bound is not None and (not bound.is_finite() or abs(bound) >= Decimal(10) ** 14):
            add(name, _("数值超出范围。"))
    dependencies = company_dependencies(company)
    dependencies.pop(code, None)
    if definition.aggregation == Aggregation.DISTINCT_COUNT and not definition.distinct_key:
        add("distinct_key", _("去重计数需要指定证据中的去重字段，例如 customer。"))
    if definition.aggregation == Aggregation.RATIO:
        for field in ("numerator_code", "denominator_code"):
            part = getattr(definition, field)
            if not part:
                add(field, _("比率指标需要分子和分母指标。"))
            elif part == code:
                add(field, _("比率不能引用指标自身。"))
            elif part not in dependencies:
                add(field, _("指标 %(code)s 不存在。") % {"code": part})
        if not errors.get("numerator_code") and not errors.get("denominator_code"):
            parts = {definition.numerator_code, definition.denominator_code}
            cycle = dependency_cycle(code, parts, dependencies)
            if cycle:
                add("numerator_code", _("形成循环引用：%(p)s") % {"p": " → ".join(cycle)})
    if definition.aggregation == Aggregation.FORMULA:
        try:
            formula_validate(code=code, formula=definition.formula, dependencies=dependencies)
        except FormulaError as exc:
            add(exc.field, exc.message)
    elif definition.formula:
        add("formula", _("只有汇总方式为“公式”的指标才能填写公式。"))
    return errors


def version_fields(definition: IndicatorDefinition) -> dict[str, Any]:
    fields = asdict(definition)
    if fields["aggregation"] != Aggregation.RATIO:
        fields["numerator_code"] = fields["denominator_code"] = ""
    return fields


def _snapshot(version: IndicatorVersion) -> dict[str, Any]:
    return {
        name: getattr(version, name)
        for name in (
            "number",
            "name_zh",
            "name_en",
            "unit",
            "direction",
            "category",
            "aggregation",
            "numerator_code",
            "denominator_code",
            "distinct_key",
            "formula",
            "plausible_min",
            "plausible_max",
            "scale",
        )
    }


@transaction.atomic
def indicator_create(
    *,
    company: Company,
    actor: User | None,
    code: str,
    definition: IndicatorDefinition,
    reason: str = "",
    audit: bool = True,
) -> Indicator:
    """A new indicator with its first version; the code is fixed for its lifetime."""
    code = code.strip()
    errors = definition_check(company=company, code=code, definition=definition)
    if not code:
        errors.setdefault("code", []).append(_("请填写指标编码。"))
    elif Indicator.objects.filter(company=company, code=code).exists():
        errors.setdefault("code", []).append(_("指标编码已存在。"))
    if errors:
        raise ServiceError(_("指标定义有误，请检查标出的字段。"), fields=errors)
    try:
        with transaction.atomic():
            indicator = Indicator.objects.create(company=company, code=code)
    except IntegrityError as exc:
        raise ServiceError(
            _("指标编码已存在。"), code="conflict", status=409, fields={"code": [_("已存在")]}
        ) from exc
    version = IndicatorVersion.objects.create(
        company=company,
        indicator=indicator,
        number=1,
        created_by=actor,
        change_reason=reason,
        **version_fields(definition),
    )
    indicator.current_version = version
    indicator.save(update_fields=["current_version"])
    if audit:
        audit_record(
            company=company,
            actor=actor,
            action="metrics.indicator.create",
            obj=indicator,
            changes={k: [None, v] for k, v in _snapshot(version).items()},
            reason=reason,
        )
    return indicator


@transaction.atomic
def indicator_version_create(
    *,
    indicator: Indicator,
    actor: User | None,
    definition: IndicatorDefinition,
    reason: str,
) -> IndicatorVersion:
    """A new current version; earlier versions stay as they were for the plans that use them."""
    if not reason.strip():
        raise ServiceError(
            _("请说明修改原因。"), fields={"reason": [_("新版本需要说明修改原因。")]}
        )
    locked = Indicator.objects.select_for_update().get(pk=indicator.pk)
    errors = definition_check(company=locked.company, code=locked.code, definition=definition)
    if errors:
        raise ServiceError(_("指标定义有误，请检查标出的字段。"), fields=errors)
    previous = locked.current_version
    number = (
        IndicatorVersion.objects.filter(indicator=locked)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    ) + 1
    version = IndicatorVersion.objects.create(
        company=locked.company,
        indicator=locked,
        number=number,
        created_by=actor,
        change_reason=reason,
        **version_fields(definition),
    )
    locked.current_version = version
    locked.save(update_fields=["current_version"])
    before = _snapshot(previous) if previous else {}
    after = _snapshot(version)
    audit_record(
        company=locked.company,
        actor=actor,
        action="metrics.indicator.version",
        obj=locked,
        changes={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
        reason=reason,
    )
    indicator.current_version = version
    return version


@transaction.atomic
def indicator_set_active(
    *, indicator: Indicator, actor: User | None, active: bool, reason: str = ""
) -> Indicator:
    """Deactivated indicators accept no new events; their history stays."""
    locked = Indicator.objects.select_for_update().get(pk=indicator.pk)
    if locked.is_active == active:
        return locked
    locked.is_active = active
    locked.save(update_fields=["is_active"])
    audit_record(
        company=locked.company,
        actor=actor,
        action="metrics.indicator.activate" if active else "metrics.indicator.deactivate",
        obj=locked,
        changes={"is_active": [not active, active]},
        reason=reason,
    )
    return locked


def is_derived(aggregation: str) -> bool:
    """Ratio and formula indicators are computed from other indicators, never sent."""
    return aggregation not in engine.DIRECT_AGGREGATIONS
