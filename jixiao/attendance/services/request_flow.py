"""What leave, overtime and correction requests share: approvers, notices, locks, zones.

Every request follows one flow: the employee (or HR) submits → the manager is
notified → the manager (or HR, never the requester themself) approves or rejects →
the employee is notified → the affected days are recomputed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterable
from typing import Any, cast

from django.db.models import Model
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from jixiao.attendance.models import CalendarDay, WorkCalendar
from jixiao.audit.services import AuditEntry
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, Role, User
from jixiao.org.models import Employee


def employee_zone(employee: Employee) -> zoneinfo.ZoneInfo:
    """The zone the employee's days are judged in (their work location's, else the company's)."""
    try:
        return zoneinfo.ZoneInfo(employee.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Shanghai")


def as_employee_time(value: dt.datetime, employee: Employee) -> dt.datetime:
    """An aware instant; a naive value is read as wall time in the employee's zone."""
    if timezone.is_naive(value):
        return value.replace(tzinfo=employee_zone(employee))
    return value


def local_dates(employee: Employee, start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """The employee's local dates that ``[start, end)`` touches."""
    zone = employee_zone(employee)
    first = start.astimezone(zone).date()
    last = (end - dt.timedelta(microseconds=1)).astimezone(zone).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def employee_calendar(employee: Employee) -> WorkCalendar:
    """The calendar of the employee's work location country, else the company default."""
    calendars = WorkCalendar.objects.filter(company_id=employee.company_id)
    country = employee.work_location.country if employee.work_location_id else ""  # type: ignore[union-attr]
    found = calendars.filter(region=country).first() if country else None
    found = found or calendars.filter(is_default=True).first()
    if found is None and not country:
        found = calendars.filter(region="CN").first()
    if found is None:
        raise ServiceError(
            _("未找到 %(name)s 的工作日历，请 HR 先设置日历。") % {"name": employee.name},
            code="calendar_missing",
            status=422,
        )
    return found


def calendar_kinds(employee: Employee, dates: Iterable[dt.date]) -> dict[dt.date, str]:
    """Day kinds from the employee's calendar; a missing date is a clear error, never a workday."""
    wanted = sorted(set(dates))
    if not wanted:
        return {}
    calendar = employee_calendar(employee)
    kinds = dict(
        CalendarDay.objects.filter(
            calendar=calendar, date__gte=wanted[0], date__lte=wanted[-1]
        ).values_list("date", "kind")
    )
    missing = [d for d in wanted if d not in kinds]
    if missing:
        years = sorted({d.year for d in missing})
        raise ServiceError(
            _("日历缺失：%(calendar)s 没有 %(years)s 年的日历数据，请 HR 先补齐日历。")
            % {"calendar": calendar.name, "years": "、".join(str(y) for y in years)},
            code="calendar_missing",
            status=422,
        )
    return {d: kinds[d] for d in wanted}


def approvers_of(employee: Employee) -> list[User]:
    """Who decides the employee's requests: their manager, else their department head,
    else the company's HR admins."""
    manager = employee.manager
    if manager is None and employee.department.head_id not in (None, employee.pk):
        manager = employee.department.head
    if manager is not None and manager.user_id is not None:
        user = manager.user
        if user is not None and user.is_active:
            return [user]
    with scopes_disabled():
        return list(
            User.objects.filter(
                company_id=employee.company_id, role=Role.HR_ADMIN, is_active=True
            ).exclude(pk=employee.user_id or 0)
        )


def decision_check(request: Any, actor: User) -> None:
    """Only pending requests are decided, and never by the person who asked."""
    from jixiao.attendance.models import ApprovalStatus

    if request.status != ApprovalStatus.PENDING:
        raise ServiceError(_("该申请已处理，不能重复审批。"), code="not_pending", status=409)
    if request.employee.user_id is not None and request.employee.user_id == actor.pk:
        raise ServiceError(_("不能审批自己的申请。"), code="own_request", status=403)


def reader_text(render: Callable[[], str]) -> Promise:
    """A notification text rendered in each recipient's language.

    ``render`` builds the text with ``gettext`` (dates, numbers, the approver's note);
    ``notify`` turns it into a string once per recipient inside that recipient's
    language, so 张经理 reads Chinese while an English-speaking employee reads English,
    whatever language the submitter used.
    """
    # A lazy proxy at run time; django-stubs types ``lazy(...)()`` as ``str``.
    return cast(Promise, lazy(render, str)())


def notify_people(
    recipients: Iterable[User | None], *, title: str | Promise, body: str | Promise, link: str
) -> None:
    from jixiao.notifications.models import Category
    from jixiao.notifications.services import notify

    people = [u for u in recipients if u is not None]
    if people:
        notify(recipients=people, category=Category.ATTENDANCE, title=title, body=body, link=link)


def recompute(*, company: Company, employee: Employee, dates: Iterable[dt.date]) -> None:
    """Recompute the employee's daily results for the given dates (RESULTS owns the compute)."""
    from jixiao.attendance.services.results import daily_attendance_recompute

    days = sorted(set(dates))
    if days:
        daily_attendance_recompute(company=company, employee=employee, dates=days)


def audit_entry(action: str, obj: Model, changes: dict[str, Any]) -> AuditEntry:
    """One event of a bulk write, shaped like ``audit_record`` shapes a single one."""
    return AuditEntry(
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        changes={k: [None, v] for k, v in changes.items()},
    )
