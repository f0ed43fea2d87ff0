"""Helpers for the request tests (leave, overtime, corrections): a simple CN calendar.

Not a test module: imported by tests/attendance/test_leave*, test_overtime*,
test_corrections*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django_scopes import scopes_disabled

from jixiao.attendance.models import CalendarDay, CalendarYear, DayKindChoice, WorkCalendar
from jixiao.core.models import Company

#: Statutory days in the test calendar (a subset of the real 2026 notice is enough here).
STATUTORY = {dt.date(2026, 5, 1), dt.date(2026, 10, 1), dt.date(2026, 10, 2)}
MAKEUP = {dt.date(2026, 9, 27)}  # a Sunday worked before National Day


def calendar_make(company: Company, years: tuple[int, ...] = (2026,)) -> WorkCalendar:
    """Company default CN calendar: Mon–Fri workdays, weekends rest, a few holidays."""
    with scopes_disabled():
        calendar, _ = WorkCalendar.objects.get_or_create(
            company=company, region="CN", defaults={"name": "中国大陆", "is_default": True}
        )
        for year in years:
            CalendarYear.objects.get_or_create(company=company, calendar=calendar, year=year)
            day = dt.date(year, 1, 1)
            rows = []
            while day.year == year:
                if day in STATUTORY:
                    kind = DayKindChoice.STATUTORY_HOLIDAY
                elif day in MAKEUP:
                    kind = DayKindChoice.MAKEUP_WORKDAY
                elif day.weekday() >= 5:
                    kind = DayKindChoice.REST_DAY
                else:
                    kind = DayKindChoice.WORKDAY
                rows.append(CalendarDay(company=company, calendar=calendar, date=day, kind=kind))
                day += dt.timedelta(days=1)
            CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)
        return calendar


# --- Permission-matrix helpers ------------------------------------------------------------

import json  # noqa: E402
from typing import Any  # noqa: E402

from django.test import Client  # noqa: E402

from jixiao.attendance.models import (  # noqa: E402
    LeaveRequest,
    LeaveType,
    OvertimeRequest,
    PunchCorrection,
)
from jixiao.org.models import Employee  # noqa: E402
from tests.conftest import World, login  # noqa: E402

ROLES = ("hr", "executive", "manager", "employee", "platform_admin", "anonymous")
TARGETS = ("own", "team", "other_team", "other_company")
#: A Monday in the test calendar, in the future of the frozen clock.
REQUEST_DAY = dt.date(2026, 3, 2)
FROZEN_NOW = dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)


def client_for(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else login(getattr(world, role))


def target_employee(world: World, role: str, target: str) -> Employee:
    with scopes_disabled():
        if target == "own":
            return getattr(world, role).employee  # type: ignore[no-any-return]
        user = {
            "team": world.teammate,
            "other_team": world.other_team,
            "other_company": world.outsider,
        }[target]
        return user.employee  # type: ignore[no-any-return]


def matrix(table: Mapping[str, tuple[int | None, ...]]) -> list[tuple[str, str, int]]:
    return [
        (role, target, status)
        for role, statuses in table.items()
        for target, status in zip(TARGETS, statuses, strict=True)
        if status is not None
    ]


def call(client: Client, method: str, url: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method)(url, **kwargs)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC) - dt.timedelta(hours=8)


def leave_request_make(employee: Employee) -> LeaveRequest:
    """A pending 事假 of one day on REQUEST_DAY, written directly (the matrix's object)."""
    with scopes_disabled():
        leave_type, _ = LeaveType.objects.get_or_create(
            company_id=employee.company_id, code="personal", defaults={"name": "事假"}
        )
        return LeaveRequest.objects.create(
            company_id=employee.company_id,
            employee=employee,
            leave_type=leave_type,
            start=_at(REQUEST_DAY, 9),
            end=_at(REQUEST_DAY, 18),
            days=1,
            reason="家里有事",
        )


def overtime_request_make(employee: Employee) -> OvertimeRequest:
    with scopes_disabled():
        return OvertimeRequest.objects.create(
            company_id=employee.company_id,
            employee=employee,
            start=_at(REQUEST_DAY, 19),
            end=_at(REQUEST_DAY, 21),
            reason="赶单",
        )


def correction_make(employee: Employee) -> PunchCorrection:
    with scopes_disabled():
        return PunchCorrection.objects.create(
            company_id=employee.company_id,
            employee=employee,
            date=REQUEST_DAY - dt.timedelta(days=7),
            kind=PunchCorrection.Kind.EXPLANATION,
            reason="外出拜访客户",
        )
