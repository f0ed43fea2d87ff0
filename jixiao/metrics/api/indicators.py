"""Indicator library endpoints: list and read (every member), create, version, (de)activate,
install the shipped library (HR)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from jixiao.core.api_errors import ERRORS
from jixiao.core.pagination import Page, PageQuery, paginate
from jixiao.metrics import selectors
from jixiao.metrics.api.common import WRITE_ERRORS, admin, member
from jixiao.metrics.formula import FormulaError, formula_validate
from jixiao.metrics.library import library_install
from jixiao.metrics.models import Indicator, IndicatorVersion
from jixiao.metrics.services import indicators as services

router = Router(tags=["metrics-indicators"])


class MetricsIndicatorVersionOut(Schema):
    number: int
    name_zh: str
    name_en: str
    description: str
    unit: str
    direction: str
    category: str
    aggregation: str
    numerator_code: str
    denominator_code: str
    distinct_key: str
    formula: str
    plausible_min: Decimal | None
    plausible_max: Decimal | None
    scale: int
    change_reason: str
    created_at: dt.datetime


class MetricsIndicatorOut(Schema):
    id: int
    code: str
    is_active: bool
    current_version: MetricsIndicatorVersionOut | None


class MetricsIndicatorDetailOut(MetricsIndicatorOut):
    versions: list[MetricsIndicatorVersionOut]


class MetricDefinitionIn(Schema):
    name_zh: str = Field(max_length=100)
    name_en: str = Field("", max_length=100)
    description: str = Field("", max_length=2000)
    unit: str = Field("", max_length=20)
    direction: str = "higher"
    category: str = "outcome"
    aggregation: str = "sum"
    numerator_code: str = Field("", max_length=60)
    denominator_code: str = Field("", max_length=60)
    distinct_key: str = Field("", max_length=60)
    formula: str = Field("", max_length=500)
    plausible_min: Decimal | None = Field(None, max_digits=18, decimal_places=4)
    plausible_max: Decimal | None = Field(None, max_digits=18, decimal_places=4)
    scale: int = Field(2, ge=0, le=6)

    def definition(self) -> services.IndicatorDefinition:
        data = self.dict(exclude={"code", "reason"})
        return services.IndicatorDefinition(**data)


class MetricsIndicatorCreateIn(MetricDefinitionIn):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")
    reason: str = Field("", max_length=500)


class MetricVersionIn(MetricDefinitionIn):
    reason: str = Field(max_length=500)


class MetricActiveIn(Schema):
    active: bool
    reason: str = Field("", max_length=500)


class MetricLibraryOut(Schema):
    created: list[str]


def _indicator(request: HttpRequest, indicator_id: int) -> Indicator:
    user = member(request)
    found = (
        Indicator.objects.filter(company_id=user.company_id, pk=indicator_id)
        .select_related("current_version", "company")
        .first()
    )
    if found is None:
        raise Http404
    return found


@router.get("/indicators", response={200: Page[MetricsIndicatorOut], **ERRORS})
def indicator_list(
    request: HttpRequest,
    paging: Query[PageQuery],
    active_only: bool = False,
) -> dict[str, object]:
    user = member(request)
    return paginate(
        selectors.indicators_visible(user, active_only=active_only), paging.page, paging.page_size
    )


@router.get("/indicators/{indicator_id}", response={200: MetricsIndicatorDetailOut, **ERRORS})
def indicator_get(request: HttpRequest, indicator_id: int) -> dict[str, object]:
    indicator = _indicator(request, indicator_id)
    versions = list(IndicatorVersion.objects.filter(indicator=indicator).order_by("number"))
    return {
        "id": indicator.pk,
        "code": indicator.code,
        "is_active": indicator.is_active,
        "current_version": indicator.current_version,
        "versions": versions,
    }


@router.post("/indicators", response={201: MetricsIndicatorOut, **WRITE_ERRORS})
def indicator_create(request: HttpRequest, payload: MetricsIndicatorCreateIn) -> Status[Indicator]:
    user = admin(request)
    indicator = services.indicator_create(
        company=user.company,
        actor=user,
        code=payload.code,
        definition=payload.definition(),
        reason=payload.reason,
    )
    return Status(201, indicator)


@router.post(
    "/indicators/{indicator_id}/versions",
    response={201: MetricsIndicatorVersionOut, **WRITE_ERRORS},
)
def indicator_version_create(
    request: HttpRequest, indicator_id: int, payload: MetricVersionIn
) -> Status[IndicatorVersion]:
    indicator = _indicator(request, indicator_id)
    user = admin(request)
    version = services.indicator_version_create(
        indicator=indicator, actor=user, definition=payload.definition(), reason=payload.reason
    )
    return Status(201, version)


@router.post(
    "/indicators/{indicator_id}/active", response={200: MetricsIndicatorOut, **WRITE_ERRORS}
)
def indicator_set_active(
    request: HttpRequest, indicator_id: int, payload: MetricActiveIn
) -> Indicator:
    indicator = _indicator(request, indicator_id)
    user = admin(request)
    return services.indicator_set_active(
        indicator=indicator, actor=user, active=payload.active, reason=payload.reason
    )


@router.post("/library/install", response={200: MetricLibraryOut, **WRITE_ERRORS})
def indicator_library_install(request: HttpRequest) -> dict[str, list[str]]:
    user = admin(request)
    created = library_install(company=user.company, actor=user)
    return {"created": [indicator.code for indicator in created]}


class MetricFormulaCheckIn(Schema):
    formula: str = Field(max_length=500)
    code: str = Field("", max_length=60, description="The indicator the formula is for.")


class MetricFormulaCheckOut(Schema):
    valid: bool
    names: list[str]
    message: str


@router.post("/formula-check", response={200: MetricFormulaCheckOut, **ERRORS})
def indicator_formula_check(
    request: HttpRequest, payload: MetricFormulaCheckIn
) -> dict[str, object]:
    """Check a formula against the company's indicators without saving anything: unknown
    names, a reference to itself, cycles and anything but arithmetic are refused."""
    user = admin(request)
    dependencies = services.company_dependencies(user.company)
    dependencies.pop(payload.code, None)
    try:
        names = formula_validate(
            code=payload.code, formula=payload.formula, dependencies=dependencies
        )
    except FormulaError as exc:
        return {"valid": False, "names": [], "message": exc.message}
    return {"valid": True, "names": sorted(names), "message": ""}
