"""Daily results, monthly summaries (with their metric values) and the month close over the API.

Mounted at /api/v1/attendance/results. Days and summaries are visible as
``attendance.view_attendance`` allows (HR and executives: everyone; managers:
their team; employees: themselves); recomputing a day needs
``attendance.manage_attendance``; computing, locking and reopening a month is HR's.
Another company's employee ids are 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from jixiao.attendance.models import AttendanceMonth, DailyAttendance, MonthlySummary
from jixiao.attendance.selectors import results as selectors
from jixiao.attendance.services import results as services
from jixiao.core.api_errors import ERRORS, ErrorOut, ServiceError

router = Router(tags=["attendance-results"])

WRITE = {**ERRORS, 400: ErrorOut, 409: ErrorOut}
MAX_DAYS = 366


def _member(request: HttpRequest) -> Any:
    user = request.user
    if not user.is_authenticated or getattr(user, "company_id", None) is None:
        raise PermissionDenied
    return user


def _admin(request: HttpRequest) -> Any:
    user = _member(request)
    if not user.has_perm("attendance.administer"):
        raise PermissionDenied
    return user


class ReasonOut(Schema):
    code: str
    params: dict[str, Any]


class DailyResultOut(Schema):
    employee_id: int
    date: dt.date
    day_kind: str
    status: str
    time_zone: str
    system: str
    scheduled_minutes: int
    worked_minutes: int
    late_minutes: int
    early_minutes: int
    absent_minutes: int
    leave_minutes: int
    missing_punch: bool
    overtime_workday_minutes: int
    overtime_rest_day_minutes: int
    overtime_holiday_minutes: int
    unapproved_overtime_minutes: int
    comp_leave_minutes: int
    night_minutes: int
    night_allowance: Decimal
    first_punch: dt.datetime | None
    last_punch: dt.datetime | None
    flags: list[str]
    reasons: list[ReasonOut]
    computed_at: dt.datetime


class DayDetailOut(DailyResultOut):
    explanation: list[str] = Field(description="The reasons in words, in the reader's language.")


class RecomputeIn(Schema):
    dates: list[dt.date] = Field(..., min_length=1, max_length=62)


class SummaryOut(Schema):
    employee_id: int
    employee_number: str
    employee_name: str
    year: int
    month: int
    month_status: str
    scheduled_days: int
    punched_days: int
    punch_rate: Decimal
    worked_minutes: int
    late_count: int
    late_minutes: int
    early_count: int
    early_minutes: int
    absent_days: Decimal
    penalty_absent_days: Decimal
    missing_punch_count: int
    leave_minutes: int
    overtime_workday_minutes: int
    overtime_rest_day_minutes: int
    overtime_holiday_minutes: int
    comp_leave_minutes: int
    night_minutes: int
    night_allowance: Decimal
    flags: list[str]
    reasons: list[ReasonOut]
    reviewed: bool
    metrics: dict[str, Decimal] = Field(
        description="Metric values for indicators and pay: punch_rate, late_count, overtime "
        "hours by category, night_hours, night_allowance, …"
    )


class MonthOut(Schema):
    year: int
    month: int
    status: str
    computed_at: dt.datetime | None
    locked_at: dt.datetime | None
    reopen_count: int
    days: int
    exceptions: int
    employees_with_exceptions: int
    summaries: int


class ComputeOut(Schema):
    employees: int
    days: int
    exceptions: int
    summaries: int
    seconds: float


class MonthIn(Schema):
    year: int = Field(..., ge=2000, le=2100)
    month: int = Field(..., ge=1, le=12)


class LockIn(MonthIn):
    confirm: bool = Field(False, description="Lock although exception days remain.")


class ReopenIn(MonthIn):
    reason: str = Field(..., max_length=500)


def _summary_out(summary: MonthlySummary) -> dict[str, Any]:
    values = {f.attname: getattr(summary, f.attname) for f in MonthlySummary._meta.concrete_fields}
    values.update(
        employee_number=summary.employee.employee_number,
        employee_name=summary.employee.name,
        year=summary.attendance_month.year,
        month=summary.attendance_month.month,
        month_status=summary.attendance_month.status,
        metrics=services.monthly_summary_metrics(summary),
    )
    return values


def _month_out(user: Any, year: int, month: int) -> dict[str, Any]:
    counts = services.attendance_month_counts(company=user.company, year=year, month=month)
    found = AttendanceMonth.objects.filter(company=user.company, year=year, month=month).first()
    return {
        "year": year,
        "month": month,
        "status": found.status if found else AttendanceMonth.Status.OPEN,
        "computed_at": found.computed_at if found else None,
        "locked_at": found.locked_at if found else None,
        "reopen_count": found.reopen_count if found else 0,
        **counts,
    }


@router.get("/days", response={200: list[DailyResultOut], **WRITE})
def day_list(
    request: HttpRequest, employee_id: int, start: dt.date, end: dt.date
) -> list[DailyAttendance]:
    """One employee's daily results in [start, end] (at most 366 days)."""
    user = _member(request)
    employee = selectors.employee_for_attendance(viewer=user, pk=employee_id)
    if end < start or (end - start).days >= MAX_DAYS:
        message = _("日期范围无效（最多 366 天）")
        raise ServiceError(message, status=400, fields={"end": [message]})
    return list(selectors.daily_results(viewer=user, employee=employee, start=start, end=end))


@router.get("/day", response={200: DayDetailOut, **ERRORS})
def day_detail(request: HttpRequest, employee_id: int, date: dt.date) -> dict[str, Any]:
    """One day with its explanation in words."""
    user = _member(request)
    employee = selectors.employee_for_attendance(viewer=user, pk=employee_id)
    row = selectors.daily_result(viewer=user, employee=employee, day=date)
    if row is None:
        message = _("这一天还没有考勤结果")
        raise ServiceError(message, code="not_computed", status=404)
    values = {f.attname: getattr(row, f.attname) for f in DailyAttendance._meta.concrete_fields}
    values["explanation"] = selectors.day_explanation(row)
    return values


@router.post("/employees/{employee_id}/recompute", response={200: list[DailyResultOut], **WRITE})
def day_recompute(
    request: HttpRequest, employee_id: int, payload: RecomputeIn
) -> list[DailyAttendance]:
    """Recompute some of an employee's days now (HR, or the person's manager)."""
    user = _member(request)
    employee = selectors.employee_for_attendance(
        viewer=user, pk=employee_id, perm="attendance.manage_attendance"
    )
    return services.daily_attendance_recompute(
        company=user.company, employee=employee, dates=payload.dates, actor=user
    )


@router.get("/summaries", response={200: list[SummaryOut], **WRITE})
def summary_list(
    request: HttpRequest, year: int, month: int, employee_id: int | None = None
) -> list[dict[str, Any]]:
    """The month's summaries of the people the caller may see, with their metric values."""
    user = _member(request)
    services.month_dates(year, month)
    if employee_id is not None:
        selectors.employee_for_attendance(viewer=user, pk=employee_id)
    summaries = selectors.month_summaries(
        viewer=user, year=year, month=month, employee_id=employee_id
    )
    return [_summary_out(s) for s in summaries]


@router.get("/month", response={200: MonthOut, **WRITE})
def month_detail(request: HttpRequest, year: int, month: int) -> dict[str, Any]:
    """The month's close status and what is left to review."""
    user = _admin(request)
    services.month_dates(year, month)
    return _month_out(user, year, month)


@router.post("/month/compute", response={200: ComputeOut, **WRITE})
def month_compute(request: HttpRequest, payload: MonthIn) -> services.ComputeStats:
    """Compute every day and summary of the month now (refused once locked)."""
    user = _admin(request)
    return services.attendance_month_compute(
        company=user.company, year=payload.year, month=payload.month, actor=user
    )


@router.post("/month/review", response={200: MonthOut, **WRITE})
def month_review(request: HttpRequest, payload: MonthIn) -> dict[str, Any]:
    user = _admin(request)
    services.attendance_month_review(
        company=user.company, year=payload.year, month=payload.month, actor=user
    )
    return _month_out(user, payload.year, payload.month)


@router.post("/month/lock", response={200: MonthOut, **WRITE})
def month_lock(request: HttpRequest, payload: LockIn) -> dict[str, Any]:
    """Lock the month; with exception days left, 409 unless ``confirm`` is true."""
    user = _admin(request)
    services.attendance_month_lock(
        company=user.company,
        year=payload.year,
        month=payload.month,
        actor=user,
        confirm=payload.confirm,
    )
    return _month_out(user, payload.year, payload.month)


@router.post("/month/reopen", response={200: MonthOut, **WRITE})
def month_reopen(request: HttpRequest, payload: ReopenIn) -> dict[str, Any]:
    """Reopen a locked month; the reason is required and kept in the audit trail."""
    user = _admin(request)
    services.attendance_month_reopen(
        company=user.company,
        year=payload.year,
        month=payload.month,
        reason=payload.reason,
        actor=user,
    )
    return _month_out(user, payload.year, payload.month)
