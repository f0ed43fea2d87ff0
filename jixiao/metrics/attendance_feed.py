"""Locked attendance months become metric events, like any other source.

When HR locks a month (``attendance_month_lock``) each employee's monthly summary is
published through the one ingest path as events of the company's "考勤月度汇总"
source: scheduled and punched days (so 打卡率 = punched ÷ scheduled, the veteran's
"打卡率 ≥ 90%"), worked hours for flexible-hours staff (弹性工作时长), overtime,
night hours and lates. Each event's evidence names the summary it came from.

Re-locking after a reopen publishes again: unchanged values are duplicates of what
is stored; a changed value is sent as a replacement of the counted event, so every
aggregate and score follows and the old figure stays in the trail.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from jixiao.attendance.engine import System
from jixiao.attendance.models import AttendanceMonth, DailyAttendance, MonthlySummary
from jixiao.core.models import Company, User
from jixiao.metrics.event_input import EventInput, EvidenceValue
from jixiao.metrics.models import EventStatus, MetricEvent, MetricSource, SourceKind
from jixiao.metrics.services.ingest import IngestResult, metric_events_ingest

SOURCE_NAME = "考勤月度汇总"
HOURS = Decimal(60)


def attendance_source(company: Company) -> MetricSource:
    """The company's attendance source, created on first use."""
    source = MetricSource.objects.filter(company=company, kind=SourceKind.ATTENDANCE).first()
    if source is None:
        source = MetricSource.objects.create(
            company=company, name=_(SOURCE_NAME), kind=SourceKind.ATTENDANCE
        )
    return source


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / HOURS).quantize(Decimal("0.01"))


def summary_values(summary: MonthlySummary, *, flexible: bool) -> dict[str, Decimal]:
    """The indicator values one monthly summary publishes."""
    overtime = (
        summary.overtime_workday_minutes
        + summary.overtime_rest_day_minutes
        + summary.overtime_holiday_minutes
    )
    values = {
        "scheduled_days": Decimal(summary.scheduled_days),
        "punched_days": Decimal(summary.punched_days),
        "overtime_hours": _hours(overtime),
        "night_hours": _hours(summary.night_minutes),
        "late_count": Decimal(summary.late_count),
    }
    if flexible:
        values["flexible_work_hours"] = _hours(summary.worked_minutes)
    return values


def _occurred_at(year: int, month: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """Noon of the month's last day where the employee works: inside the month everywhere."""
    last = (dt.date(year, month, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return dt.datetime.combine(last, dt.time(12), tzinfo=zone).astimezone(dt.UTC)


def _base_id(year: int, month: int, employee_id: int, code: str) -> str:
    return f"attendance-{year}-{month:02d}-{employee_id}-{code}"


def _counted(source: MetricSource, year: int, month: int) -> dict[str, MetricEvent]:
    """The counted event per base id (the newest revision) for the month."""
    prefix = f"attendance-{year}-{month:02d}-"
    counted: dict[str, MetricEvent] = {}
    for event in MetricEvent.objects.filter(
        source=source, source_event_id__startswith=prefix, status=EventStatus.COUNTED
    ).order_by("pk"):
        counted[event.source_event_id.split("~", 1)[0]] = event
    return counted


@transaction.atomic
def attendance_month_publish(
    *, company: Company, year: int, month: int, actor: User | None
) -> IngestResult:
    """Publish a locked month's summaries; safe to run twice."""
    attendance_month = AttendanceMonth.objects.get(company=company, year=year, month=month)
    if attendance_month.status != AttendanceMonth.Status.LOCKED:
        return IngestResult(items=[])
    source = attendance_source(company)
    counted = _counted(source, year, month)
    summaries = MonthlySummary.objects.filter(attendance_month=attendance_month).select_related(
        "employee__work_location"
    )
    flexible_ids = _flexible_employee_ids(company, attendance_month)
    default_zone = zoneinfo.ZoneInfo(company.time_zone)
    items: list[EventInput] = []
    for summary in summaries:
        employee = summary.employee
        location = employee.work_location
        zone = zoneinfo.ZoneInfo(location.time_zone) if location else default_zone
        occurred_at = _occurred_at(year, month, zone)
        evidence: dict[str, EvidenceValue] = {
            "month": f"{year}-{month:02d}",
            "summary": summary.pk,
        }
        for code, value in summary_values(summary, flexible=employee.pk in flexible_ids).items():
            base = _base_id(year, month, employee.pk, code)
            earlier = counted.get(base)
            if earlier is not None and earlier.value == value:
                continue
            revision = 2
            if earlier is not None and "~" in earlier.source_event_id:
                revision = int(earlier.source_event_id.rsplit("~", 1)[1]) + 1
            items.append(
                EventInput(
                    indicator_code=code,
                    value=value,
                    occurred_at=occurred_at,
                    source_event_id=base if earlier is None else f"{base}~{revision}",
                    employee_number=employee.employee_number,
                    evidence=evidence,
                    correction="replace" if earlier is not None else "",
                    corrects=earlier.source_event_id if earlier is not None else "",
                )
            )
    if not items:
        return IngestResult(items=[])
    return metric_events_ingest(company=company, source=source, items=items, actor=actor)


def _flexible_employee_ids(company: Company, attendance_month: AttendanceMonth) -> set[int]:
    """Employees whose daily results that month were judged under flexible hours."""
    first = dt.date(attendance_month.year, attendance_month.month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return set(
        DailyAttendance.objects.filter(
            company=company,
            date__range=(first, last),
            system=System.FLEXIBLE.value,
        )
        .values_list("employee_id", flat=True)
        .distinct()
    )
