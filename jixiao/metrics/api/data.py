"""Events and values: lists filtered to what the viewer may see, a value's drill-down to events.

HR and executives see the company; managers their team; everyone their own data.
Asking for a person one may not see is 403; another company's ids are 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from jixiao.core.api_errors import ERRORS
from jixiao.core.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from jixiao.metrics import selectors
from jixiao.metrics.api.common import employee_in_company, member
from jixiao.metrics.models import MetricEvent, MetricValue

router = Router(tags=["metrics-data"])


class MetricEventOut(Schema):
    id: int
    indicator: str
    indicator_version: int
    employee_id: int | None
    employee_name: str
    department_id: int | None
    value: Decimal
    occurred_at: dt.datetime
    source_id: int
    source_name: str
    source_event_id: str
    identity: str
    evidence_url: str
    evidence: dict[str, Any]
    status: str
    correction_kind: str
    correction_of_id: int | None
    anomalies: list[str]
    disputed: bool
    ingested_at: dt.datetime

    @staticmethod
    def resolve_indicator(obj: MetricEvent) -> str:
        return obj.indicator.code

    @staticmethod
    def resolve_indicator_version(obj: MetricEvent) -> int:
        return obj.indicator_version_id

    @staticmethod
    def resolve_employee_name(obj: MetricEvent) -> str:
        return obj.employee.name if obj.employee else ""

    @staticmethod
    def resolve_source_name(obj: MetricEvent) -> str:
        return obj.source.name


class MetricValueOut(Schema):
    id: int
    indicator: str
    indicator_name: str
    unit: str
    employee_id: int | None
    department_id: int | None
    period_kind: str
    period_start: dt.date
    value: Decimal | None
    value_note: str
    count: int
    sum: Decimal
    numerator: Decimal | None
    denominator: Decimal | None
    last_event_at: dt.datetime | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_indicator(obj: MetricValue) -> str:
        return obj.indicator.code

    @staticmethod
    def resolve_indicator_name(obj: MetricValue) -> str:
        version = obj.indicator.current_version
        return version.name_zh if version else obj.indicator.code

    @staticmethod
    def resolve_unit(obj: MetricValue) -> str:
        version = obj.indicator.current_version
        return version.unit if version else ""


class MetricExplanationOut(Schema):
    value: MetricValueOut
    aggregation: str
    steps: list[str]
    note: str
    window_start: dt.datetime
    window_end: dt.datetime
    events: list[MetricEventOut]
    parts: list[MetricValueOut]


class MetricEventQuery(Schema):
    employee_id: int | None = None
    indicator: str = Field("", max_length=60)
    source_id: int | None = None
    status: str = Field("", max_length=20)
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1)

    @field_validator("since", "until")
    @classmethod
    def _in_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        """Compared in UTC (a time without a zone is UTC). PostgreSQL refuses offsets
        beyond ±15:59 that Python accepts, so the offset never reaches the database."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        try:
            return value.astimezone(dt.UTC)
        except OverflowError as exc:
            raise ValueError("时间超出范围") from exc


class MetricValueQuery(Schema):
    employee_id: int | None = None
    indicator: str = Field("", max_length=60)
    period_kind: str = Field("", max_length=10)
    start_from: dt.date | None = None
    start_to: dt.date | None = None
    page: int = Field(1, ge=1)
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1)


def _check_person(user: Any, employee_id: int | None) -> None:
    if employee_id is None:
        return
    employee = employee_in_company(user, employee_id)
    if not user.has_perm("metrics.view_metrics", employee):
        raise PermissionDenied


@router.get("/events", response={200: Page[MetricEventOut], **ERRORS})
def event_list(request: HttpRequest, query: Query[MetricEventQuery]) -> dict[str, object]:
    user = member(request)
    _check_person(user, query.employee_id)
    filters = selectors.EventFilters(
        employee_id=query.employee_id,
        indicator=query.indicator,
        source_id=query.source_id,
        status=query.status,
        since=query.since,
        until=query.until,
    )
    return paginate(selectors.events_visible(user, filters), query.page, query.page_size)


def _event(request: HttpRequest, event_id: int) -> MetricEvent:
    user = member(request)
    found = (
        MetricEvent.objects.filter(company_id=user.company_id, pk=event_id)
        .select_related("indicator", "source", "employee", "department")
        .first()
    )
    if found is None:
        raise Http404
    if not selectors.events_visible(user).filter(pk=found.pk).exists():
        raise PermissionDenied
    return found


@router.get("/events/{event_id}", response={200: MetricEventOut, **ERRORS})
def event_get(request: HttpRequest, event_id: int) -> MetricEvent:
    return _event(request, event_id)


@router.get("/values", response={200: Page[MetricValueOut], **ERRORS})
def value_list(request: HttpRequest, query: Query[MetricValueQuery]) -> dict[str, object]:
    user = member(request)
    _check_person(user, query.employee_id)
    filters = selectors.ValueFilters(
        employee_id=query.employee_id,
        indicator=query.indicator,
        period_kind=query.period_kind,
        start_from=query.start_from,
        start_to=query.start_to,
    )
    return paginate(selectors.values_visible(user, filters), query.page, query.page_size)


@router.get("/values/{value_id}/explain", response={200: MetricExplanationOut, **ERRORS})
def value_explain(request: HttpRequest, value_id: int) -> dict[str, object]:
    user = member(request)
    found = (
        MetricValue.objects.filter(company_id=user.company_id, pk=value_id)
        .select_related("indicator", "indicator__current_version", "company")
        .first()
    )
    if found is None:
        raise Http404
    if not selectors.values_visible(user).filter(pk=found.pk).exists():
        raise PermissionDenied
    explained = selectors.value_explain(found)
    return {
        "value": found,
        "aggregation": explained.explanation.aggregation,
        "steps": list(explained.explanation.steps),
        "note": explained.explanation.note,
        "window_start": explained.window[0],
        "window_end": explained.window[1],
        "events": explained.events,
        "parts": explained.parts,
    }
