"""Reads of metrics that take the viewer and return only what they may see."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from jixiao.core.rules import reads_whole_company
from jixiao.metrics import engine
from jixiao.metrics.models import (
    EventStatus,
    Indicator,
    ManualEntry,
    MetricDispute,
    MetricEvent,
    MetricValue,
)
from jixiao.metrics.services.aggregation import subject_time_zones
from jixiao.org.team import managed_department_ids, managed_employee_ids


def _own_employee_id(viewer: Any) -> int | None:
    employee = getattr(viewer, "employee", None)
    return employee.pk if employee is not None else None


def subject_filter(viewer: Any, *, teams: bool = True) -> Q | None:
    """Rows about people (and teams) the viewer may read; None means the whole company."""
    if reads_whole_company(viewer):
        return None
    own = _own_employee_id(viewer)
    ids = set(managed_employee_ids(viewer)) if viewer.role == "manager" else set()
    if own is not None:
        ids.add(own)
    allowed = Q(employee_id__in=ids)
    if teams and viewer.role == "manager":
        allowed |= Q(employee__isnull=True, department_id__in=managed_department_ids(viewer))
    return allowed


def _visible(viewer: Any, qs: QuerySet[Any]) -> QuerySet[Any]:
    qs = qs.filter(company_id=viewer.company_id)
    rule = subject_filter(viewer, teams=False)
    return qs if rule is None else qs.filter(rule)


@dataclass(frozen=True)
class EventFilters:
    employee_id: int | None = None
    indicator: str = ""
    source_id: int | None = None
    status: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def events_visible(viewer: Any, filters: EventFilters | None = None) -> QuerySet[MetricEvent]:
    filters = filters or EventFilters()
    qs = _visible(viewer, MetricEvent.objects.all()).select_related(
        "indicator", "source", "employee", "department"
    )
    if filters.employee_id:
        qs = qs.filter(employee_id=filters.employee_id)
    if filters.indicator:
        qs = qs.filter(indicator__code=filters.indicator)
    if filters.source_id:
        qs = qs.filter(source_id=filters.source_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.since:
        qs = qs.filter(occurred_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(occurred_at__lt=filters.until)
    return qs.order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class ValueFilters:
    employee_id: int | None = None
    indicator: str = ""
    period_kind: str = ""
    start_from: dt.date | None = None
    start_to: dt.date | None = None


def values_visible(viewer: Any, filters: ValueFilters | None = None) -> QuerySet[MetricValue]:
    filters = filters or ValueFilters()
    qs = _visible(viewer, MetricValue.objects.all()).select_related(
        "indicator", "indicator__current_version", "employee", "department"
    )
    if filters.employee_id:
        qs = qs.filter(employee_id=filters.employee_id)
    if filters.indicator:
        qs = qs.filter(indicator__code=filters.indicator)
    if filters.period_kind:
        qs = qs.filter(period_kind=filters.period_kind)
    if filters.start_from:
        qs = qs.filter(period_start__gte=filters.start_from)
    if filters.start_to:
        qs = qs.filter(period_start__lte=filters.start_to)
    return qs.order_by("indicator__code", "period_kind", "-period_start", "employee_id")


@dataclass(frozen=True)
class ValueExplanation:
    value: MetricValue
    explanation: engine.Explanation
    events: list[MetricEvent]
    parts: list[MetricValue]
    window: tuple[dt.datetime, dt.datetime]


def value_explain(value: MetricValue) -> ValueExplanation:
    """Drill-down of a visible value: its window, counted events, or its parts' values."""
    company = value.company
    zone = company.time_zone
    if value.employee_id:
        zone = subject_time_zones(company, [value.employee_id]).get(value.employee_id, zone)
    begin, end = engine.period_window(
        value.period_kind, value.period_start, zoneinfo.ZoneInfo(zone)
    )
    version = value.indicator.current_version
    aggregation = version.aggregation if version else engine.SUM
    events: list[MetricEvent] = []
    parts: list[MetricValue] = []
    if aggregation in engine.DIRECT_AGGREGATIONS:
        subject = (
            Q(employee_id=value.employee_id)
            if value.employee_id
            else Q(employee__isnull=True, department_id=value.department_id)
        )
        events = list(
            MetricEvent.objects.filter(
                subject,
                company=company,
                indicator=value.indicator,
                status=EventStatus.COUNTED,
                occurred_at__gte=begin,
                occurred_at__lt=end,
            )
            .select_related("source")
            .order_by("occurred_at", "id")
        )
        key = version.distinct_key if version else ""
        points = [
            engine.Point(
                e.pk,
                e.value,
                e.occurred_at,
                str(e.evidence.get(key, "")) if key and isinstance(e.evidence, dict) else "",
            )
            for e in events
        ]
        result = engine.aggregate(aggregation, points)
        explanation = engine.explain(aggregation, points, result)
    else:
        from jixiao.metrics.services.indicators import version_dependencies

        codes = version_dependencies(version) if version else set()
        subject = (
            Q(employee_id=value.employee_id)
            if value.employee_id
            else Q(employee__isnull=True, department_id=value.department_id)
        )
        parts = list(
            MetricValue.objects.filter(
                subject,
                company=company,
                indicator__code__in=codes,
                period_kind=value.period_kind,
                period_start=value.period_start,
            ).select_related("indicator")
        )
        stored = engine.Aggregate(
            value.value, 0, Decimal(0), None, value.value_note, value.numerator, value.denominator
        )
        explanation = engine.explain(aggregation, [], stored)
    return ValueExplanation(value, explanation, events, parts, (begin, end))


def indicators_visible(viewer: Any, *, active_only: bool = False) -> QuerySet[Indicator]:
    qs = Indicator.objects.filter(company_id=viewer.company_id).select_related("current_version")
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("code")


def disputes_visible(viewer: Any) -> QuerySet[MetricDispute]:
    qs = MetricDispute.objects.filter(company_id=viewer.company_id).select_related(
        "event", "event__indicator", "raised_by"
    )
    if viewer.role == "hr_admin":
        return qs
    rule = subject_filter(viewer)
    return (
        qs if rule is None else qs.filter(event__in=MetricEvent.objects.filter(rule).values("pk"))
    )


def manual_entries_visible(viewer: Any) -> QuerySet[ManualEntry]:
    qs = ManualEntry.objects.filter(company_id=viewer.company_id).select_related(
        "indicator", "employee"
    )
    rule = subject_filter(viewer, teams=False)
    return qs if rule is None else qs.filter(rule)
