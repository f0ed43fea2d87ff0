"""Reads of punches, activities and consent, limited to what the viewer may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from jixiao.attendance.models import ActivityPolicy, CheckInConsent, Punch, WorkActivity
from jixiao.attendance.services.punch_photos import punch_photo_allowed
from jixiao.attendance.services.punches import employee_zone
from jixiao.org.models import Employee
from jixiao.org.selectors import employees_visible_to


@dataclass
class PunchFilters:
    employee_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    source: str = ""
    flag: str = ""
    include_voided: bool = True


def _zone(viewer: Any) -> ZoneInfo:
    try:
        return ZoneInfo(viewer.effective_time_zone)
    except (ValueError, KeyError):
        return ZoneInfo("Asia/Shanghai")


def _day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone)


def punches_visible(*, viewer: Any, filters: PunchFilters | None = None) -> QuerySet[Punch]:
    """Punches of the employees the viewer may see (``attendance.view_attendance``);
    date bounds are the viewer's local dates."""
    filters = filters or PunchFilters()
    visible = employees_visible_to(viewer)
    company_id = viewer.company_id
    if company_id is None:
        return Punch.objects.none()
    punches = Punch.objects.filter(company_id=company_id)
    if viewer.role not in ("hr_admin", "executive"):
        punches = punches.filter(employee__in=visible.values("pk"))
    if filters.employee_id is not None:
        punches = punches.filter(employee_id=filters.employee_id)
    zone = _zone(viewer)
    if filters.date_from is not None:
        punches = punches.filter(at__gte=_day_start(filters.date_from, zone))
    if filters.date_to is not None:
        punches = punches.filter(at__lt=_day_start(filters.date_to + dt.timedelta(days=1), zone))
    if filters.source:
        punches = punches.filter(source=filters.source)
    if filters.flag:
        punches = punches.filter(flags__icontains=f'"{filters.flag}"')
    if not filters.include_voided:
        punches = punches.filter(voided=False)
    return punches.select_related("employee").order_by("-at", "-pk")


def punch_with_photo(*, viewer: Any, punch_id: int) -> Punch:
    """A punch whose check-in photo the viewer may open: another company's id or a punch
    without a photo is 404, someone the viewer may not see is 403."""
    company_id = getattr(viewer, "company_id", None)
    if company_id is None:
        raise PermissionDenied
    punch = (
        Punch.objects.filter(company_id=company_id, pk=punch_id)
        .select_related("employee", "employee__company")
        .first()
    )
    if punch is None:
        raise Http404
    if not punch_photo_allowed(viewer, punch.employee):
        raise PermissionDenied
    if not punch.photo:
        raise Http404
    return punch


def punches_of_day(*, employee: Employee, day: dt.date) -> list[Punch]:
    """The employee's punches of one local date in their own time zone (the check-in page)."""
    zone = employee_zone(employee)
    start = _day_start(day, zone)
    return list(
        Punch.objects.filter(
            company_id=employee.company_id,
            employee=employee,
            at__gte=start,
            at__lt=_day_start(day + dt.timedelta(days=1), zone),
        ).order_by("at")
    )


def punches_of_month(*, employee: Employee, year: int, month: int) -> list[Punch]:
    zone = employee_zone(employee)
    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), month % 12 + 1, 1)
    return list(
        Punch.objects.filter(
            company_id=employee.company_id,
            employee=employee,
            at__gte=_day_start(start, zone),
            at__lt=_day_start(end, zone),
        ).order_by("at")
    )


def consents_of(*, employee: Employee) -> dict[str, CheckInConsent | None]:
    """The active consent per kind (location, photo), None where not given."""
    active = {
        c.kind: c
        for c in CheckInConsent.objects.filter(
            company_id=employee.company_id, employee=employee, withdrawn_at=None
        ).order_by("granted_at")
    }
    return {kind: active.get(kind) for kind in CheckInConsent.Kind.values}


def activities_visible(
    *,
    viewer: Any,
    employee_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str = "",
) -> QuerySet[WorkActivity]:
    company_id = viewer.company_id
    if company_id is None:
        return WorkActivity.objects.none()
    activities = WorkActivity.objects.filter(company_id=company_id)
    if viewer.role not in ("hr_admin", "executive"):
        activities = activities.filter(employee__in=employees_visible_to(viewer).values("pk"))
    if employee_id is not None:
        activities = activities.filter(employee_id=employee_id)
    zone = _zone(viewer)
    if date_from is not None:
        activities = activities.filter(started_at__gte=_day_start(date_from, zone))
    if date_to is not None:
        activities = activities.filter(
            started_at__lt=_day_start(date_to + dt.timedelta(days=1), zone)
        )
    if kind:
        activities = activities.filter(kind=kind)
    return activities.select_related("employee").order_by("-started_at", "-pk")


def activity_policies(*, company_id: int) -> QuerySet[ActivityPolicy]:
    return (
        ActivityPolicy.objects.filter(company_id=company_id)
        .prefetch_related("positions", "employees")
        .order_by("name", "pk")
    )
