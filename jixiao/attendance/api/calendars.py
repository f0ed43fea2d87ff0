"""Work calendars over the API: members read, HR admins seed, edit and confirm.

Mounted at /api/v1/attendance/calendars. Another company's calendar ids are 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from jixiao.attendance.engine import DayKind
from jixiao.attendance.models import CalendarDay, CalendarYear, WorkCalendar
from jixiao.attendance.selectors import calendars as selectors
from jixiao.attendance.services import calendars as services
from jixiao.core.api_errors import ERRORS

router = Router(tags=["attendance-calendars"])

CONFLICT = {**ERRORS, 409: ERRORS[422]}


def _viewer(request: HttpRequest) -> Any:
    user = request.user
    if not user.has_perm("attendance.view_calendars"):
        raise PermissionDenied
    return user


def _admin(request: HttpRequest) -> Any:
    user = _viewer(request)
    if not user.has_perm("attendance.administer"):
        raise PermissionDenied
    return user


class CalendarYearOut(Schema):
    id: int
    calendar_id: int
    year: int
    status: str = Field(description="`provisional` (暂定) or `official` (已确认).")
    source: str
    confirmed_by: str | None
    confirmed_at: dt.datetime | None


class CalendarOut(Schema):
    id: int
    region: str = Field(description="ISO 3166 code, optionally with a subdivision: `US-CA`.")
    name: str
    is_default: bool
    years: list[CalendarYearOut]


class CalendarIn(Schema):
    region: str = Field(max_length=10, description="e.g. `CN`, `DE`, `US-CA`.")
    name: str = Field("", max_length=100)


class SeedIn(Schema):
    year: int


class CalendarDayOut(Schema):
    id: int
    date: dt.date
    kind: DayKind
    name: str
    origin: str = Field(description="`seeded`, `edited` (by HR) or `company` (company day).")


class DayPatch(Schema):
    kind: DayKind
    name: str = Field("", max_length=100)
    reason: str = Field(max_length=500, description="Why the day differs from the source.")


class CompanyDayIn(Schema):
    date: dt.date
    name: str = Field(max_length=100)
    kind: DayKind = DayKind.COMPANY_REST_DAY
    reason: str = Field("", max_length=500)


class ConfirmIn(Schema):
    reason: str = Field("", max_length=500)


class DaysQuery(Schema):
    year: int | None = Field(None, ge=2000, le=2100, description="Default: this year.")
    month: int | None = Field(None, ge=1, le=12)


def _year_out(year: CalendarYear) -> dict[str, Any]:
    return {
        "id": year.pk,
        "calendar_id": year.calendar_id,
        "year": year.year,
        "status": year.status,
        "source": year.source,
        "confirmed_by": str(year.confirmed_by) if year.confirmed_by_id else None,
        "confirmed_at": year.confirmed_at,
    }


def _calendar_out(calendar: WorkCalendar, years: list[CalendarYear]) -> dict[str, Any]:
    return {
        "id": calendar.pk,
        "region": calendar.region,
        "name": calendar.name,
        "is_default": calendar.is_default,
        "years": [_year_out(y) for y in years],
    }


@router.get("", response={200: list[CalendarOut], **ERRORS})
def calendar_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        _calendar_out(r.calendar, r.years) for r in selectors.calendars_for_viewer(_viewer(request))
    ]


@router.post("", response={201: CalendarOut, **CONFLICT})
def calendar_create(request: HttpRequest, payload: CalendarIn) -> Status[dict[str, Any]]:
    user = _admin(request)
    calendar = services.calendar_create(
        company=user.company, region=payload.region, name=payload.name, actor=user
    )
    return Status(201, _calendar_out(calendar, []))


@router.get("/{calendar_id}", response={200: CalendarOut, **ERRORS})
def calendar_get(request: HttpRequest, calendar_id: int) -> dict[str, Any]:
    calendar = selectors.calendar_for_viewer(_viewer(request), calendar_id)
    return _calendar_out(calendar, list(calendar.years.order_by("year")))


@router.get("/{calendar_id}/years", response={200: list[CalendarYearOut], **ERRORS})
def calendar_year_list(request: HttpRequest, calendar_id: int) -> list[dict[str, Any]]:
    calendar = selectors.calendar_for_viewer(_viewer(request), calendar_id)
    return [_year_out(y) for y in calendar.years.select_related("confirmed_by").order_by("year")]


@router.post("/{calendar_id}/years", response={201: CalendarYearOut, **ERRORS})
def calendar_year_seed(
    request: HttpRequest, calendar_id: int, payload: SeedIn
) -> Status[dict[str, Any]]:
    """Seed (or re-seed) a year from the source; edited and company days are kept."""
    user = _admin(request)
    calendar = selectors.calendar_for_viewer(user, calendar_id)
    year = services.calendar_seed(
        company=user.company, region=calendar.region, year=payload.year, actor=user
    )
    return Status(201, _year_out(year))


@router.get("/{calendar_id}/days", response={200: list[CalendarDayOut], **ERRORS})
def calendar_day_list(
    request: HttpRequest, calendar_id: int, filters: Query[DaysQuery]
) -> list[CalendarDay]:
    """The days of one seeded year (optionally one month); 404 when the year is not seeded."""
    user = _viewer(request)
    calendar = selectors.calendar_for_viewer(user, calendar_id)
    year = filters.year or services.company_today(user.company).year
    selectors.calendar_year_by_number(user, calendar, year)
    return selectors.calendar_days(calendar, year, filters.month)


@router.post("/years/{calendar_year_id}/confirm", response={200: CalendarYearOut, **CONFLICT})
def calendar_year_confirm(
    request: HttpRequest, calendar_year_id: int, payload: ConfirmIn
) -> dict[str, Any]:
    user = _admin(request)
    calendar_year = selectors.calendar_year_for_viewer(user, calendar_year_id)
    confirmed = services.calendar_year_confirm(
        calendar_year=calendar_year, actor=user, reason=payload.reason
    )
    return _year_out(confirmed)


@router.patch("/days/{day_id}", response={200: CalendarDayOut, **CONFLICT})
def calendar_day_update(request: HttpRequest, day_id: int, payload: DayPatch) -> CalendarDay:
    user = _admin(request)
    day = selectors.calendar_day_for_viewer(user, day_id)
    return services.calendar_day_update(
        day=day, kind=payload.kind.value, name=payload.name, reason=payload.reason, actor=user
    )


@router.post("/{calendar_id}/company-days", response={201: CalendarDayOut, **CONFLICT})
def company_day_create(
    request: HttpRequest, calendar_id: int, payload: CompanyDayIn
) -> Status[CalendarDay]:
    user = _admin(request)
    calendar = selectors.calendar_for_viewer(user, calendar_id)
    day = services.company_day_set(
        calendar=calendar,
        date=payload.date,
        name=payload.name,
        kind=payload.kind.value,
        reason=payload.reason,
        actor=user,
    )
    return Status(201, day)


@router.delete("/days/{day_id}/company", response={200: CalendarDayOut, **CONFLICT})
def company_day_delete(request: HttpRequest, day_id: int) -> CalendarDay:
    """Remove a company day; the date returns to the source's kind, which is returned."""
    user = _admin(request)
    day = selectors.calendar_day_for_viewer(user, day_id)
    return services.company_day_delete(day=day, actor=user)


class ResetIn(Schema):
    reason: str = Field("", max_length=500)


@router.post("/days/{day_id}/reset", response={200: CalendarDayOut, **CONFLICT})
def calendar_day_reset(request: HttpRequest, day_id: int, payload: ResetIn) -> CalendarDay:
    """恢复为官方日历: an HR-edited day returns to the source's kind and counts as seeded;
    stored results of that date are recomputed. 409 when the day is not edited."""
    user = _admin(request)
    day = selectors.calendar_day_for_viewer(user, day_id)
    return services.calendar_day_reset(day=day, actor=user, reason=payload.reason)
