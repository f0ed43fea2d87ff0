"""Building blocks of the results stories: calendars, rules, shifts and punches in local time."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections.abc import Iterable, Mapping
from zoneinfo import ZoneInfo

from jixiao.attendance.models import (
    CalendarDay,
    CalendarYear,
    Punch,
    RosterEntry,
    ScheduleAssignment,
    ShiftType,
    WorkCalendar,
    WorkSchedule,
)
from jixiao.core.models import Company
from jixiao.org.models import Department, Employee

SHANGHAI = "Asia/Shanghai"


def calendar_month(
    company: Company,
    year: int,
    month: int,
    *,
    region: str = "CN",
    default: bool = True,
    overrides: Mapping[dt.date, tuple[str, str]] | None = None,
) -> WorkCalendar:
    """A calendar with every day of one month: Mon–Fri workdays, weekends rest days."""
    work_calendar, _ = WorkCalendar.objects.get_or_create(
        company=company, region=region, defaults={"name": region, "is_default": default}
    )
    CalendarYear.objects.get_or_create(company=company, calendar=work_calendar, year=year)
    overrides = overrides or {}
    days = []
    for number in range(1, pycalendar.monthrange(year, month)[1] + 1):
        day = dt.date(year, month, number)
        kind, name = overrides.get(day, ("rest_day" if day.weekday() >= 5 else "workday", ""))
        days.append(
            CalendarDay(company=company, calendar=work_calendar, date=day, kind=kind, name=name)
        )
    CalendarDay.objects.bulk_create(days)
    return work_calendar


def office_schedule(company: Company, name: str = "办公室 9–18", **fields: object) -> WorkSchedule:
    values: dict[str, object] = {
        "system": "standard",
        "blocks": [["09:00", "18:00"]],
        "breaks": [["12:00", "13:00"]],
        "grace_late_minutes": 5,
    }
    values.update(fields)
    return WorkSchedule.objects.create(company=company, name=name, **values)


def flexible_schedule(company: Company, name: str = "弹性 核心9–12") -> WorkSchedule:
    return WorkSchedule.objects.create(
        company=company,
        name=name,
        system="flexible",
        core_start=dt.time(9, 0),
        core_end=dt.time(12, 0),
        flex_earliest=dt.time(7, 0),
        flex_latest=dt.time(21, 0),
        daily_minutes=480,
        grace_late_minutes=5,
    )


def shift_schedule(company: Company, name: str = "两班倒") -> WorkSchedule:
    return WorkSchedule.objects.create(company=company, name=name, system="shift")


def night_shift(company: Company, code: str = "N") -> ShiftType:
    return ShiftType.objects.create(
        company=company, code=code, name="夜班", blocks=[["22:00", "06:00"]]
    )


def assign(
    company: Company,
    schedule: WorkSchedule,
    *,
    employee: Employee | None = None,
    department: Department | None = None,
    start: dt.date = dt.date(2020, 1, 1),
    end: dt.date | None = None,
    **fields: object,
) -> ScheduleAssignment:
    return ScheduleAssignment.objects.create(
        company=company,
        schedule=schedule,
        employee=employee,
        department=department,
        start_date=start,
        end_date=end,
        **fields,
    )


def roster(company: Company, employee: Employee, day: dt.date, shift: ShiftType | None) -> None:
    RosterEntry.objects.create(company=company, employee=employee, date=day, shift=shift)


def local(text: str, zone: str = SHANGHAI) -> dt.datetime:
    """ "2026-05-06 09:00" in ``zone`` → aware UTC instant."""
    naive = dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
    return naive.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def punch(
    company: Company, employee: Employee, texts: Iterable[str], zone: str = SHANGHAI
) -> list[Punch]:
    return Punch.objects.bulk_create(
        [
            Punch(company=company, employee=employee, at=local(text, zone), source="device")
            for text in texts
        ]
    )
