"""Reading work calendars: lists, a year as month grids, the HR dashboard's warning.

Calendars are company-wide facts every member may read; HR admins edit them.
"""

from __future__ import annotations

import calendar as calendar_module
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404

from jixiao.attendance.models import CalendarDay, CalendarYear, WorkCalendar
from jixiao.core.models import Company

WARNING_FROM_MONTH = 11  # State Council notices come out in late October or November


@dataclass(frozen=True)
class CalendarRow:
    calendar: WorkCalendar
    years: list[CalendarYear]


@dataclass(frozen=True)
class DayCell:
    id: int
    date: dt.date
    kind: str
    kind_label: str
    name: str
    origin: str
    weekend: bool


@dataclass
class MonthGrid:
    year: int
    month: int
    weeks: list[list[DayCell | None]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CalendarWarning:
    calendar: WorkCalendar
    year: int
    calendar_year_id: int | None  # None: no row at all (the daily job has not run yet)

    @property
    def missing(self) -> bool:
        return self.calendar_year_id is None


def calendars_for_viewer(viewer: Any) -> list[CalendarRow]:
    """The viewer's company's calendars with their years, default first."""
    calendars = list(
        WorkCalendar.objects.filter(company_id=viewer.company_id)
        .order_by("-is_default", "region")
        .prefetch_related("years")
    )
    return [CalendarRow(c, sorted(c.years.all(), key=lambda y: y.year)) for c in calendars]


def calendar_for_viewer(viewer: Any, calendar_id: int) -> WorkCalendar:
    """One of the viewer's company's calendars; 404 for any other id."""
    found = WorkCalendar.objects.filter(company_id=viewer.company_id, pk=calendar_id).first()
    if found is None:
        raise Http404
    return found


def calendar_year_for_viewer(viewer: Any, calendar_year_id: int) -> CalendarYear:
    found = (
        CalendarYear.objects.filter(company_id=viewer.company_id, pk=calendar_year_id)
        .select_related("calendar", "confirmed_by")
        .first()
    )
    if found is None:
        raise Http404
    return found


def calendar_year_by_number(viewer: Any, calendar: WorkCalendar, year: int) -> CalendarYear:
    found = CalendarYear.objects.filter(
        company_id=viewer.company_id, calendar=calendar, year=year
    ).first()
    if found is None:
        raise Http404
    return found


def calendar_day_for_viewer(viewer: Any, day_id: int) -> CalendarDay:
    found = (
        CalendarDay.objects.filter(company_id=viewer.company_id, pk=day_id)
        .select_related("calendar")
        .first()
    )
    if found is None:
        raise Http404
    return found


def calendar_days(calendar: WorkCalendar, year: int, month: int | None = None) -> list[CalendarDay]:
    days = CalendarDay.objects.filter(calendar=calendar, date__year=year)
    if month is not None:
        days = days.filter(date__month=month)
    return list(days.order_by("date"))


def calendar_month_grids(calendar: WorkCalendar, year: int) -> list[MonthGrid]:
    """Twelve month grids (weeks from Monday) for the year view."""
    by_date = {day.date: day for day in calendar_days(calendar, year)}
    labels = dict(CalendarDay._meta.get_field("kind").choices or [])
    grids: list[MonthGrid] = []
    month_calendar = calendar_module.Calendar(firstweekday=0)
    for month in range(1, 13):
        grid = MonthGrid(year=year, month=month)
        for week in month_calendar.monthdatescalendar(year, month):
            row: list[DayCell | None] = []
            for date in week:
                day = by_date.get(date) if date.month == month else None
                if day is None:
                    row.append(None)
                    continue
                grid.counts[day.kind] = grid.counts.get(day.kind, 0) + 1
                row.append(
                    DayCell(
                        id=day.pk,
                        date=date,
                        kind=day.kind,
                        kind_label=str(labels.get(day.kind, day.kind)),
                        name=day.name,
                        origin=day.origin,
                        weekend=date.weekday() >= 5,
                    )
                )
            grid.weeks.append(row)
        grids.append(grid)
    return grids


def calendar_warnings(company: Company, today: dt.date) -> list[CalendarWarning]:
    """From November 1 on (``today`` in the company's zone): calendars whose next year is
    still provisional or missing, so HR confirms them before January."""
    if today.month < WARNING_FROM_MONTH:
        return []
    from jixiao.attendance.services.calendars import regions_in_use

    next_year = today.year + 1
    regions = set(regions_in_use(company))
    warnings: list[CalendarWarning] = []
    for calendar in WorkCalendar.objects.filter(company=company).order_by("-is_default", "region"):
        if calendar.region not in regions:
            continue
        year = calendar.years.filter(year=next_year).first()
        if year is None:
            warnings.append(CalendarWarning(calendar, next_year, None))
        elif year.status == CalendarYear.Status.PROVISIONAL:
            warnings.append(CalendarWarning(calendar, next_year, year.pk))
    return warnings
