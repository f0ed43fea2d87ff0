"""The indicator library editor: HR creates indicators without code, edits by adding a
version (with a reason), switches them off and on, and compares versions; every member
reads the library. The formula field is checked as HR types (htmx).

Thin: the form parses, ``services.indicators`` checks and writes (audited), and its
field errors land on the form's fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import RegexValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jixiao.core.api_errors import ServiceError
from jixiao.metrics.formula import FormulaError, formula_validate
from jixiao.metrics.models import (
    Aggregation,
    Category,
    Direction,
    Indicator,
    IndicatorVersion,
)
from jixiao.metrics.services import indicators as services
from jixiao.web.decorators import permission_required

MEMBER = "metrics.view_indicators"
ADMIN = "metrics.administer"

#: The fields a version defines, in the order the form and the diff show them.
VERSION_FIELDS = (
    "name_zh",
    "name_en",
    "description",
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

CODE_PATTERN = RegexValidator(
    r"^[a-z][a-z0-9_]{1,59}$",
    gettext_lazy("编码只能用小写字母、数字和下划线，以字母开头，2–60 个字符。"),
)


class IndicatorForm(forms.Form):
    """One indicator version as HR writes it; ``code`` only when creating."""

    code = forms.CharField(
        label=gettext_lazy("指标编码"),
        max_length=60,
        validators=[CODE_PATTERN],
        help_text=gettext_lazy("创建后不能修改，例如 repeat_purchase_rate。"),
    )
    name_zh = forms.CharField(label=gettext_lazy("中文名称"), max_length=100)
    name_en = forms.CharField(label=gettext_lazy("英文名称"), max_length=100, required=False)
    unit = forms.CharField(
        label=gettext_lazy("单位"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("比率的单位填 % 时结果乘以 100。"),
    )
    category = forms.ChoiceField(label=gettext_lazy("类别"), choices=Category.choices)
    direction = forms.ChoiceField(label=gettext_lazy("方向"), choices=Direction.choices)
    aggregation = forms.ChoiceField(label=gettext_lazy("汇总方式"), choices=Aggregation.choices)
    numerator_code = forms.ChoiceField(label=gettext_lazy("分子指标"), required=False)
    denominator_code = forms.ChoiceField(label=gettext_lazy("分母指标"), required=False)
    distinct_key = forms.CharField(
        label=gettext_lazy("去重依据（证据字段）"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("去重计数时按证据中的这个字段去重，例如 customer。"),
    )
    formula = forms.CharField(
        label=gettext_lazy("公式"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "用指标编码、数字、+ - * / ( ) 和 min/max/round/abs，例如 orders / customer_visits。"
        ),
    )
    plausible_min = forms.DecimalField(
        label=gettext_lazy("合理下限"), required=False, max_digits=18, decimal_places=4
    )
    plausible_max = forms.DecimalField(
        label=gettext_lazy("合理上限"), required=False, max_digits=18, decimal_places=4
    )
    scale = forms.IntegerField(label=gettext_lazy("小数位"), min_value=0, max_value=6, initial=2)
    description = forms.CharField(
        label=gettext_lazy("说明"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.CharField(label=gettext_lazy("变更原因"), max_length=500, required=False)

    def __init__(
        self,
        data: Any = None,
        *,
        company_codes: list[tuple[str, str]],
        creating: bool,
        initial: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(data, initial=initial)
        parts = [("", "—"), *company_codes]
        self.fields["numerator_code"].choices = parts  # type: ignore[attr-defined]
        self.fields["denominator_code"].choices = parts  # type: ignore[attr-defined]
        if not creating:
            del self.fields["code"]
            self.fields["reason"].required = True
            self.fields["reason"].help_text = _("必填：新版本为什么这样改（会记入审计留痕）。")
        formula = self.fields["formula"].widget
        formula.attrs.update(
            {
                "hx-get": reverse("metrics:indicator_formula_check"),
                "hx-trigger": "input changed delay:400ms, change",
                "hx-target": "#formula-check",
                "hx-include": "[name=code],[name=aggregation],[name=indicator]",
                "aria-describedby": "formula-check",
            }
        )

    def definition(self) -> services.IndicatorDefinition:
        data = self.cleaned_data
        return services.IndicatorDefinition(
            name_zh=data["name_zh"].strip(),
            name_en=data["name_en"].strip(),
            unit=data["unit"].strip(),
            direction=data["direction"],
            category=data["category"],
            aggregation=data["aggregation"],
            numerator_code=data["numerator_code"],
            denominator_code=data["denominator_code"],
            distinct_key=data["distinct_key"].strip(),
            formula=data["formula"].strip(),
            plausible_min=data["plausible_min"],
            plausible_max=data["plausible_max"],
            scale=data["scale"],
            description=data["description"].strip(),
        )

    def add_service_errors(self, exc: ServiceError) -> None:
        for name, items in (exc.fields or {"__all__": [exc.message]}).items():
            for message in items:
                self.add_error(name if name in self.fields else None, message)


def _company_codes(viewer: Any, *, exclude: str = "") -> list[tuple[str, str]]:
    rows = (
        Indicator.objects.filter(company_id=viewer.company_id)
        .exclude(code=exclude)
        .select_related("current_version")
        .order_by("code")
    )
    return [
        (i.code, f"{i.current_version.name_zh if i.current_version else i.code} ({i.code})")
        for i in rows
    ]


def _indicator(request: HttpRequest, pk: int) -> Indicator:
    viewer: Any = request.user
    found = (
        Indicator.objects.filter(company_id=viewer.company_id, pk=pk)
        .select_related("current_version", "company")
        .first()
    )
    if found is None:
        raise Http404
    return found


def _form_page(
    request: HttpRequest,
    form: IndicatorForm,
    *,
    indicator: Indicator | None,
    status: int = 200,
) -> HttpResponse:
    viewer: Any = request.user
    return render(
        request,
        "metrics/indicator_form.html",
        {
            "form": form,
            "indicator": indicator,
            "codes": _company_codes(viewer, exclude=indicator.code if indicator else ""),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@permission_required(ADMIN)
def indicator_create(request: HttpRequest) -> HttpResponse:
    """新建指标: a code and its first version."""
    viewer: Any = request.user
    codes = _company_codes(viewer)
    if request.method != "POST":
        form = IndicatorForm(company_codes=codes, creating=True, initial={"scale": 2})
        return _form_page(request, form, indicator=None)
    form = IndicatorForm(request.POST, company_codes=codes, creating=True)
    if form.is_valid():
        try:
            indicator = services.indicator_create(
                company=viewer.company,
                actor=viewer,
                code=form.cleaned_data["code"],
                definition=form.definition(),
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("已创建指标 %(code)s。") % {"code": indicator.code})
            return redirect("metrics:indicator_detail", pk=indicator.pk)
    return _form_page(request, form, indicator=None, status=422)


def _initial(version: IndicatorVersion | None) -> dict[str, Any]:
    if version is None:
        return {"scale": 2}
    return {name: getattr(version, name) for name in VERSION_FIELDS}


@require_http_methods(["GET", "POST"])
@permission_required(ADMIN)
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """修改指标: saving adds a new version; earlier versions stay for the plans using them."""
    viewer: Any = request.user
    indicator = _indicator(request, pk)
    codes = _company_codes(viewer, exclude=indicator.code)
    if request.method != "POST":
        form = IndicatorForm(
            company_codes=codes, creating=False, initial=_initial(indicator.current_version)
        )
        return _form_page(request, form, indicator=indicator)
    form = IndicatorForm(request.POST, company_codes=codes, creating=False)
    if form.is_valid():
        try:
            version = services.indicator_version_create(
                indicator=indicator,
                actor=viewer,
                definition=form.definition(),
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _("已保存为第 %(n)d 版。") % {"n": version.number},
            )
            return redirect("metrics:indicator_detail", pk=indicator.pk)
    return _form_page(request, form, indicator=indicator, status=422)


def _display(version: IndicatorVersion, name: str) -> str:
    value = getattr(version, name)
    if name in ("direction", "category", "aggregation"):
        return str(getattr(version, f"get_{name}_display")())
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def version_diff(before: IndicatorVersion, after: IndicatorVersion) -> list[dict[str, str]]:
    """The fields two versions define differently, labelled, before → after."""
    rows = []
    for name in VERSION_FIELDS:
        if getattr(before, name) != getattr(after, name):
            rows.append(
                {
                    "field": name,
                    "label": str(
                        getattr(IndicatorVersion._meta.get_field(name), "verbose_name", name)
                    ),
                    "before": _display(before, name),
                    "after": _display(after, name),
                }
            )
    return rows


@require_GET
@permission_required(MEMBER)
def indicator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One indicator: its current definition, every version, and what changed between two."""
    indicator = _indicator(request, pk)
    versions = list(
        IndicatorVersion.objects.filter(indicator=indicator)
        .select_related("created_by")
        .order_by("-number")
    )
    by_number = {v.number: v for v in versions}
    diff: list[dict[str, str]] | None = None
    before = after = None
    if len(versions) > 1:
        try:
            after = by_number.get(int(request.GET.get("b", "")), versions[0])
        except ValueError:
            after = versions[0]
        try:
            before = by_number.get(int(request.GET.get("a", "")))
        except ValueError:
            before = None
        if before is None:
            before = by_number.get(after.number - 1, versions[-1])
        diff = version_diff(before, after)
    return render(
        request,
        "metrics/indicator_detail.html",
        {
            "indicator": indicator,
            "version": indicator.current_version,
            "versions": versions,
            "diff": diff,
            "before": before,
            "after": after,
            "can_admin": request.user.has_perm(ADMIN),
        },
    )


@require_POST
@permission_required(ADMIN)
def indicator_active(request: HttpRequest, pk: int) -> HttpResponse:
    """停用 / 启用: a stopped indicator takes no new events; its history stays."""
    viewer: Any = request.user
    indicator = _indicator(request, pk)
    active = request.POST.get("active") == "1"
    services.indicator_set_active(
        indicator=indicator, actor=viewer, active=active, reason=request.POST.get("reason", "")
    )
    messages.success(request, _("已启用。") if active else _("已停用，不再接收新数据。"))
    return redirect("metrics:indicator_detail", pk=indicator.pk)


@require_GET
@permission_required(ADMIN)
def formula_check(request: HttpRequest) -> HttpResponse:
    """The formula field's live check (htmx): the error at the field, or what it refers to."""
    viewer: Any = request.user
    formula = request.GET.get("formula", "").strip()
    aggregation = request.GET.get("aggregation", "")
    code = request.GET.get("code", "").strip()
    pk = request.GET.get("indicator", "")
    if pk.isdigit():
        existing = Indicator.objects.filter(company_id=viewer.company_id, pk=int(pk)).first()
        if existing is None:
            raise Http404
        code = existing.code
    if not viewer.company_id:
        raise PermissionDenied
    error = ""
    names: list[str] = []
    if formula and aggregation == Aggregation.FORMULA:
        dependencies = services.company_dependencies(viewer.company)
        dependencies.pop(code, None)
        try:
            names = sorted(formula_validate(code=code, formula=formula, dependencies=dependencies))
        except FormulaError as exc:
            error = exc.message
    elif formula:
        error = _("只有汇总方式为“公式”的指标才能填写公式。")
    return render(
        request,
        "metrics/indicator_formula_check.html",
        {"error": error, "names": names, "formula": formula},
    )
