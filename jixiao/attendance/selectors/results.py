"""Reads of daily results and monthly summaries, filtered to what the viewer may see.

``attendance.view_attendance`` decides per employee (HR and executives: all;
managers: their subtree and reports; everyone: themselves); the list reads
filter in the database with ``employees_visible_to``, which mirrors that rule.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.attendance.engine import DayStatus
from jixiao.attendance.explain import reasons_text
from jixiao.attendance.models import AttendanceMonth, DailyAttendance, MonthlySummary
from jixiao.org.models import Department, Employee
from jixiao.org.selectors import employees_visible_to
from jixiao.org.team import department_subtree_ids

MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
MAX_RANGE_DAYS = 366

#: Exception kinds of the HR queue: flag → label msgid (translated in the template).
EXCEPTION_KINDS: tuple[str, ...] = (
    "late",
    "early",
    "absent",
    "missing_punch",
    "unapproved_overtime",
    "overtime_daily_cap",
    "overtime_monthly_cap",
    "flex_shortfall",
    "calendar_missing",
    "no_schedule",
    "not_rostered",
)
#: Statuses HR must look at: exceptions, and days without a working-hour rule.
QUEUE_STATUSES = (DayStatus.EXCEPTION, DayStatus.NO_SCHEDULE)


def exception_kind_label(kind: str) -> str:
    return {
        "late": _("迟到"),
        "early": _("早退"),
        "absent": _("旷工"),
        "missing_punch": _("缺卡"),
        "unapproved_overtime": _("未审批加班"),
        "overtime_daily_cap": _("超每日加班上限"),
        "overtime_monthly_cap": _("超每月加班上限"),
        "flex_shortfall": _("弹性工时不足"),
        "calendar_missing": _("日历缺失"),
        "no_schedule": _("未分配工时规则"),
        "not_rostered": _("未排班"),
    }.get(kind, kind)


def department_choices(viewer: Any) -> list[tuple[int, str]]:
    return list(
        Department.objects.filter(company_id=company_id_of(viewer))
        .order_by("name")
        .values_list("id", "name")
    )


def company_id_of(viewer: Any) -> int:
    company_id = getattr(viewer, "company_id", None)
    if not viewer.is_authenticated or company_id is None:
        raise PermissionDenied
    return int(company_id)


def employee_for_attendance(
    *, viewer: Any, pk: int, perm: str = "attendance.view_attendance"
) -> Employee:
    """One employee of the viewer's company the viewer may ``perm``: 404 elsewhere, 403 inside."""
    company_id = company_id_of(viewer)
    employee = (
        Employee.objects.filter(pk=pk)
        .select_related("company", "work_location", "department")
        .first()
    )
    if employee is None or employee.company_id != company_id:
        raise Http404
    if not viewer.has_perm(perm, employee):
        raise PermissionDenied
    return employee


def viewer_employee(viewer: Any) -> Employee:
    """The viewer's own employee record (403 for accounts without one, e.g. platform admins)."""
    company_id_of(viewer)
    employee = Employee.objects.filter(user=viewer).select_related("work_location").first()
    if employee is None:
        raise PermissionDenied
    return employee


def month_parse(value: str | None, *, today: dt.date | None = None) -> tuple[int, int]:
    """ "2026-03" → (2026, 3); empty or malformed → the current month."""
    match = MONTH_RE.match((value or "").strip())
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return year, month
    today = today or timezone.localdate()
    return today.year, today.month


def month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def month_shift(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def daily_results(
    *, viewer: Any, employee: Employee, start: dt.date, end: dt.date
) -> QuerySet[DailyAttendance]:
    """One employee's days in [start, end] (the caller has checked the employee)."""
    if not viewer.has_perm("attendance.view_attendance", employee):
        raise PermissionDenied
    days = DailyAttendance.objects.filter(company_id=employee.company_id, employee=employee)
    # One day: equality on both columns of the unique (employee, date) index, which
    # SQLite's planner always takes (a range it may weigh against the company index).
    days = days.filter(date=start) if start == end else days.filter(date__range=(start, end))
    return days.order_by("date")


def daily_result(*, viewer: Any, employee: Employee, day: dt.date) -> DailyAttendance | None:
    return daily_results(viewer=viewer, employee=employee, start=day, end=day).first()


@dataclass
class CalendarCell:
    day: dt.date
    in_month: bool
    result: DailyAttendance | None = None


def month_grid(
    year: int, month: int, results: dict[dt.date, DailyAttendance]
) -> list[list[CalendarCell]]:
    """Weeks (Monday first) of the month, each cell with its stored result if any."""
    weeks: list[list[CalendarCell]] = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append([CalendarCell(d, d.month == month, results.get(d)) for d in week])
    return weeks


@dataclass
class TeamRow:
    employee: Employee
    cells: list[DailyAttendance | None]
    totals: dict[str, int] = field(default_factory=dict)


#: Orders of the team month view: by department (the default), employee number or name;
#: the primary key last so that pages never overlap or skip anyone.
TEAM_SORTS: dict[str, tuple[str, ...]] = {
    "department": ("department_id", "employee_number", "pk"),
    "number": ("employee_number", "pk"),
    "name": ("name", "employee_number", "pk"),
}


def team_employees(
    *, viewer: Any, department_id: int | None = None, sort: str = "department"
) -> QuerySet[Employee]:
    """People whose attendance the viewer may see (managers: their team), optionally one
    subtree, in a stable order (``TEAM_SORTS``; an unknown sort is the default)."""
    company_id = company_id_of(viewer)
    people = (
        employees_visible_to(viewer)
        .select_related("department")
        .order_by(*TEAM_SORTS.get(sort, TEAM_SORTS["department"]))
    )
    if department_id:
        if not Department.objects.filter(company_id=company_id, pk=department_id).exists():
            raise Http404
        people = people.filter(
            department_id__in=sorted(department_subtree_ids(company_id, {department_id}))
        )
    return people


def team_month(
    *, viewer: Any, year: int, month: int, people: Sequence[Employee]
) -> tuple[list[dt.date], list[TeamRow]]:
    """``people`` (one page of ``team_employees``) × days of the month with each day's
    status, and each person's totals."""
    start, end = month_range(year, month)
    dates = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    results: dict[tuple[int, dt.date], DailyAttendance] = {
        (r.employee_id, r.date): r
        for r in DailyAttendance.objects.filter(
            company_id=company_id_of(viewer),
            employee_id__in=[p.pk for p in people],
            date__gte=start,
            date__lte=end,
        ).only(
            "employee_id", "date", "status", "worked_minutes", "late_minutes", "missing_punch",
            "overtime_workday_minutes", "overtime_rest_day_minutes", "overtime_holiday_minutes",
            "absent_minutes",
        )
    }  # fmt: skip
    rows = []
    for person in people:
        cells = [results.get((person.pk, d)) for d in dates]
        present = [c for c in cells if c is not None]
        rows.append(
            TeamRow(
                person,
                cells,
                {
                    "worked_hours": round(sum(c.worked_minutes for c in present) / 60),
                    "lates": sum(1 for c in present if c.late_minutes),
                    "exceptions": sum(1 for c in present if c.status == DayStatus.EXCEPTION),
                    "overtime_hours": round(
                        sum(
                            c.overtime_workday_minutes
                            + c.overtime_rest_day_minutes
                            + c.overtime_holiday_minutes
                            for c in present
                        )
                        / 60
                    ),
                },
            )
        )
    return dates, rows


def exception_queue(
    *,
    viewer: Any,
    start: dt.date,
    end: dt.date,
    kind: str = "",
    department_id: int | None = None,
) -> QuerySet[DailyAttendance]:
    """Days with status exception for HR, newest first, filtered by kind and department."""
    if not viewer.has_perm("attendance.administer"):
        raise PermissionDenied
    company_id = company_id_of(viewer)
    days = DailyAttendance.objects.filter(
        company_id=company_id, status__in=QUEUE_STATUSES, date__gte=start, date__lte=end
    )
    if kind:
        if kind not in EXCEPTION_KINDS:
            return days.none()
        # The JSON text holds each flag quoted, so '"late"' never matches "late_cap".
        days = days.filter(flags__icontains=f'"{kind}"')
    if department_id:
        if not Department.objects.filter(company_id=company_id, pk=department_id).exists():
            raise Http404
        days = days.filter(
            employee__department_id__in=sorted(department_subtree_ids(company_id, {department_id}))
        )
    return days.select_related("employee", "employee__department").order_by(
        "-date", "employee__employee_number"
    )


def exception_kind_counts(*, viewer: Any, start: dt.date, end: dt.date) -> Counter[str]:
    """How many exception days of each kind (a day may count under several kinds)."""
    counts: Counter[str] = Counter()
    for flags in exception_queue(viewer=viewer, start=start, end=end).values_list(
        "flags", flat=True
    ):
        counts.update(f for f in (flags or []) if f in EXCEPTION_KINDS)
    return counts


def attendance_month_for(*, viewer: Any, year: int, month: int) -> AttendanceMonth | None:
    if not viewer.has_perm("attendance.administer"):
        raise PermissionDenied
    return AttendanceMonth.objects.filter(
        company_id=company_id_of(viewer), year=year, month=month
    ).first()


def month_summaries(
    *, viewer: Any, year: int, month: int, employee_id: int | None = None
) -> QuerySet[MonthlySummary]:
    """The month's summaries of the people the viewer may see."""
    company_id = company_id_of(viewer)
    visible = employees_visible_to(viewer)
    summaries = MonthlySummary.objects.filter(
        company_id=company_id,
        attendance_month__year=year,
        attendance_month__month=month,
        employee__in=visible,
    )
    if employee_id is not None:
        summaries = summaries.filter(employee_id=employee_id)
    return summaries.select_related(
        "employee", "employee__department", "attendance_month"
    ).order_by("employee__employee_number")


def day_explanation(row: DailyAttendance) -> list[str]:
    """The stored reasons in the reader's words (a missing calendar is worded here)."""
    lines = []
    for reason in row.reasons or []:
        if isinstance(reason, dict) and reason.get("code") == "calendar_missing":
            params = reason.get("params") or {}
            lines.append(
                _("日历缺失：%(region)s 日历没有 %(date)s 这一天，暂按星期推定，请 HR 补全日历")
                % {"region": params.get("region", ""), "date": params.get("date", "")}
            )
        else:
            lines.extend(reasons_text([reason]))
    return lines
