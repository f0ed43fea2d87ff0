"""Data-quality endpoints: source health, error rate, flagged events, reconciliation, checks.

HR admins and executives read; HR runs a check. Another company's ids answer 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from jixiao.core.api_errors import ERRORS, ServiceError
from jixiao.core.pagination import DEFAULT_PAGE_SIZE, Page, PageQuery, paginate
from jixiao.metrics import quality
from jixiao.metrics import selectors_quality as sq
from jixiao.metrics.api.common import WRITE_ERRORS, admin, member
from jixiao.metrics.api.data import MetricEventOut
from jixiao.metrics.models import MetricSource, QualityCheck
from jixiao.metrics.services.quality import quality_check_run

router = Router(tags=["metrics-quality"])


def _reader(request: HttpRequest) -> Any:
    user = member(request)
    if not sq.may_view(user):
        raise PermissionDenied
    return user


class QualityReasonOut(Schema):
    code: str
    level: str
    text: str
    params: dict[str, Any]


class QualitySourceHealthOut(Schema):
    source_id: int
    source: str
    kind: str
    enabled: bool
    status: str = Field(description="ok, warning or failing")
    reasons: list[QualityReasonOut]
    last_success_at: dt.datetime | None
    lag_seconds: int | None
    expected_interval_seconds: int | None
    failures: int = Field(description="Consecutive failed syncs or batches.")
    unmatched_identities: int
    unmatched_events: int
    anomalies_30d: int


def _health_out(row: sq.SourceHealth) -> dict[str, Any]:
    return {
        "source_id": row.source.pk,
        "source": row.source.name,
        "kind": row.source.kind,
        "enabled": row.source.enabled,
        "status": row.status,
        "reasons": [{**r.as_dict(), "text": r.text} for r in row.health.reasons],
        "last_success_at": row.last_success_at,
        "lag_seconds": int(row.health.lag.total_seconds()) if row.health.lag else None,
        "expected_interval_seconds": int(row.interval.total_seconds()) if row.interval else None,
        "failures": row.failures,
        "unmatched_identities": row.unmatched_identities,
        "unmatched_events": row.unmatched_events,
        "anomalies_30d": row.anomalies,
    }


@router.get("/quality/health", response={200: list[QualitySourceHealthOut], **ERRORS})
def quality_health(request: HttpRequest) -> list[dict[str, Any]]:
    """Every source's health now, with the reasons in the caller's language."""
    user = _reader(request)
    return [_health_out(row) for row in sq.source_health_visible(user, now=timezone.now())]


@router.get("/quality/health/{source_id}", response={200: QualitySourceHealthOut, **ERRORS})
def quality_health_source(request: HttpRequest, source_id: int) -> dict[str, Any]:
    user = member(request)
    if not MetricSource.objects.filter(company_id=user.company_id, pk=source_id).exists():
        raise Http404
    if not sq.may_view(user):
        raise PermissionDenied
    rows = sq.company_source_health(user.company, now=timezone.now(), source_id=source_id)
    return _health_out(rows[0])


class QualityErrorRateOut(Schema):
    total: int
    disputed: int
    corrected: int
    erroneous: int
    percent: Decimal | None
    above_threshold: bool


class QualitySourceErrorRateOut(QualityErrorRateOut):
    source_id: int
    source: str


class QualityPeriodRateOut(Schema):
    start: dt.date
    end: dt.date
    company: QualityErrorRateOut
    sources: list[QualitySourceErrorRateOut]


class QualityErrorRatesOut(QualityPeriodRateOut):
    threshold_percent: Decimal
    trend: list[QualityPeriodRateOut]


def _rates_out(rates: sq.ErrorRates) -> dict[str, Any]:
    return {
        "start": rates.start,
        "end": rates.end,
        "company": rates.company.as_dict(),
        "sources": [
            {**rate.as_dict(), "source_id": source.pk, "source": source.name}
            for source, rate in rates.sources
        ],
    }


def _day_check(day: dt.date, name: str) -> None:
    message = quality.day_unsupported_message(day)
    if message:
        raise ServiceError(message, code="invalid", status=422, fields={name: [message]})


@router.get("/quality/error-rate", response={200: QualityErrorRatesOut, **ERRORS})
def quality_error_rate(request: HttpRequest, day: dt.date | None = None) -> dict[str, Any]:
    """The quarter containing ``day`` (default today) and the three before it: disputed
    (open or upheld) or corrected events over all events; alert above 1%."""
    user = _reader(request)
    if day is not None:
        _day_check(day, "day")
    today = day or timezone.now().astimezone(sq.company_zone(user.company)).date()
    trend = sq.company_error_rate_trend(user.company, today=today)
    return {
        **_rates_out(trend[-1]),
        "threshold_percent": quality.ERROR_RATE_THRESHOLD * 100,
        "trend": [_rates_out(r) for r in trend],
    }


class QualityAnomalyQuery(Schema):
    flag: str = Field("", description="jump, duplicate_like or out_of_range", max_length=20)
    source_id: int | None = None
    since: dt.datetime | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1)


@router.get("/quality/anomalies", response={200: Page[MetricEventOut], **ERRORS})
def quality_anomalies(request: HttpRequest, query: Query[QualityAnomalyQuery]) -> dict[str, Any]:
    """Events the ingest flagged as a sudden jump, a near-duplicate or out of range."""
    user = _reader(request)
    filters = sq.AnomalyFilters(flag=query.flag, source_id=query.source_id, since=query.since)
    return paginate(sq.anomalies_visible(user, filters), query.page, query.page_size)


class QualityTotalsOut(Schema):
    count: int
    sum: Decimal


class QualityReconciliationRowOut(Schema):
    indicator: str
    month: dt.date
    received: QualityTotalsOut
    reported: QualityTotalsOut
    stored: QualityTotalsOut
    count_difference: int
    sum_difference: Decimal
    status: str


class QualitySourceReconciliationOut(Schema):
    source_id: int
    source: str
    status: str
    unverified: int
    rows: list[QualityReconciliationRowOut]


class QualityReconciliationOut(Schema):
    month: dt.date
    sources: list[QualitySourceReconciliationOut]
    aggregates: list[QualityReconciliationRowOut]


@router.get("/quality/reconciliation", response={200: QualityReconciliationOut, **ERRORS})
def quality_reconciliation(request: HttpRequest, month: dt.date) -> dict[str, Any]:
    """Live reconciliation of the month containing ``month``: per source and indicator,
    what the source reported (accepted for storage) against the events stored, and the
    counted events against the stored monthly figures."""
    user = _reader(request)
    _day_check(month, "month")
    start = month.replace(day=1)
    sources = sq.company_reconciliation(user.company, month=start)
    aggregates = sq.company_aggregate_check(user.company, month=start)
    return {
        "month": start,
        "sources": [s.as_dict() for s in sources],
        "aggregates": [{**row.as_dict(), "received": row.reported.as_dict()} for row in aggregates],
    }


class QualityCheckOut(Schema):
    id: int
    kind: str
    period_start: dt.date
    period_end: dt.date
    status: str
    scheduled: bool
    triggered_by_id: int | None
    created_at: dt.datetime
    summary: dict[str, Any]
    results: list[dict[str, Any]]


class QualityCheckQuery(PageQuery):
    kind: str = Field("", max_length=10)


@router.get("/quality/checks", response={200: Page[QualityCheckOut], **ERRORS})
def quality_check_list(request: HttpRequest, query: Query[QualityCheckQuery]) -> dict[str, Any]:
    user = _reader(request)
    return paginate(sq.checks_visible(user, kind=query.kind), query.page, query.page_size)


@router.get("/quality/checks/{check_id}", response={200: QualityCheckOut, **ERRORS})
def quality_check_get(request: HttpRequest, check_id: int) -> QualityCheck:
    user = member(request)
    found = QualityCheck.objects.filter(company_id=user.company_id, pk=check_id).first()
    if found is None:
        raise Http404
    if not sq.may_view(user):
        raise PermissionDenied
    return found


class QualityCheckIn(Schema):
    kind: str = Field(description="weekly, monthly or quarterly")
    period_start: dt.date | None = Field(
        None,
        description="Any day of the period; default: this week, the last closed month, "
        "this quarter.",
    )


@router.post("/quality/checks", response={201: QualityCheckOut, **WRITE_ERRORS})
def quality_check_create(request: HttpRequest, payload: QualityCheckIn) -> Status[QualityCheck]:
    """Run a check now (HR); the stored result is returned."""
    user = admin(request)
    check = quality_check_run(
        company=user.company, kind=payload.kind, actor=user, period_start=payload.period_start
    )
    return Status(201, check)
