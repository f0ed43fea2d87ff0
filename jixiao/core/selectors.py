"""Reads about companies, accounts, tokens and the home page, each for a given viewer."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django_scopes import scopes_disabled

from jixiao.core.models import ApiToken, Company, Role, User


def viewer_today(viewer: User) -> dt.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(viewer.effective_time_zone)).date()


# --- Accounts ----------------------------------------------------------------


def company_users(*, viewer: User) -> QuerySet[User]:
    """The logins of the viewer's company (HR admins only; others get none)."""
    if viewer.role != Role.HR_ADMIN or viewer.company_id is None:
        return User.objects.none()
    return (
        User.objects.filter(company_id=viewer.company_id)
        .select_related("employee", "employee__department")
        .order_by("username")
    )


def company_user_get(*, viewer: User, user_id: int) -> User:
    """One login of the viewer's company; any other id is 'not found' (ids leak nothing)."""
    user = company_users(viewer=viewer).filter(pk=user_id).first()
    if user is None:
        raise Http404
    return user


def employees_without_account(*, viewer: User) -> QuerySet[Any]:
    from jixiao.org.models import Employee, EmployeeStatus

    if viewer.role != Role.HR_ADMIN or viewer.company_id is None:
        return Employee.objects.none()
    return (
        Employee.objects.filter(company_id=viewer.company_id, user__isnull=True)
        .exclude(status=EmployeeStatus.LEFT)
        .select_related("department")
        .order_by("employee_number")
    )


def hr_admin_count(*, company_id: int) -> int:
    return User.objects.filter(company_id=company_id, role=Role.HR_ADMIN, is_active=True).count()


# --- API tokens --------------------------------------------------------------


def api_tokens_of(*, viewer: User) -> QuerySet[ApiToken]:
    """The viewer's own tokens, newest first."""
    if viewer.company_id is None:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(company_id=viewer.company_id, user=viewer)


def api_token_get(*, viewer: User, token_id: int) -> ApiToken:
    token = api_tokens_of(viewer=viewer).filter(pk=token_id).first()
    if token is None:
        raise Http404
    return token


# --- Platform ----------------------------------------------------------------


@dataclass(frozen=True)
class CompanyRow:
    company: Company
    headcount: int
    user_count: int


def companies_overview() -> list[CompanyRow]:
    """Every company with its headcount, for platform admins."""
    from jixiao.org.models import Employee, EmployeeStatus

    with scopes_disabled():
        headcounts = dict(
            Employee.objects.exclude(status=EmployeeStatus.LEFT)
            .values_list("company_id")
            .annotate(n=Count("id"))
            .values_list("company_id", "n")
        )
        companies = list(
            Company.objects.annotate(user_count=Count("users", filter=Q(users__is_active=True)))
        )
    return [
        CompanyRow(c, headcounts.get(c.pk, 0), c.user_count)  # type: ignore[attr-defined]
        for c in companies
    ]


def company_get(*, company_id: int) -> Company:
    company = Company.objects.filter(pk=company_id).first()
    if company is None:
        raise Http404
    return company


@dataclass(frozen=True)
class PlatformSummary:
    companies: int
    active: int
    suspended: int
    users: int


def platform_summary() -> PlatformSummary:
    counts = Company.objects.aggregate(
        total=Count("id"),
        active=Count("id", filter=Q(status=Company.Status.ACTIVE)),
        suspended=Count("id", filter=Q(status=Company.Status.SUSPENDED)),
    )
    users = User.objects.filter(company__isnull=False, is_active=True).count()
    return PlatformSummary(counts["total"], counts["active"], counts["suspended"], users)


# --- Home page ---------------------------------------------------------------


@dataclass(frozen=True)
class ChartBar:
    label: str
    value: int


@dataclass
class CompanySummary:
    headcount: int
    department_count: int
    probation_count: int
    hired_this_month: int
    headcount_by_department: list[ChartBar] = field(default_factory=list)

    def chart_data(self) -> dict[str, list[Any]]:
        bars = self.headcount_by_department
        return {"labels": [b.label for b in bars], "values": [b.value for b in bars]}


def company_summary(*, viewer: User) -> CompanySummary:
    """Headcount figures for viewers who read the whole company (HR admin, executive)."""
    from jixiao.org.models import Department, Employee, EmployeeStatus

    if viewer.role not in (Role.HR_ADMIN, Role.EXECUTIVE) or viewer.company_id is None:
        raise Http404
    today = viewer_today(viewer)
    current = Employee.objects.filter(company_id=viewer.company_id).exclude(
        status=EmployeeStatus.LEFT
    )
    figures = current.aggregate(
        headcount=Count("id"),
        probation=Count("id", filter=Q(status=EmployeeStatus.PROBATION)),
        hired=Count("id", filter=Q(hire_date__gte=today.replace(day=1), hire_date__lte=today)),
    )
    by_department = (
        current.values("department_id", "department__name")
        .annotate(n=Count("id"))
        .order_by("-n", "department__name")
    )
    return CompanySummary(
        headcount=figures["headcount"],
        department_count=Department.objects.filter(company_id=viewer.company_id).count(),
        probation_count=figures["probation"],
        hired_this_month=figures["hired"],
        headcount_by_department=[
            ChartBar(row["department__name"], row["n"]) for row in by_department
        ],
    )


def probation_ending(*, viewer: User, days: int = 30) -> QuerySet[Any]:
    """Employees whose probation ends within ``days`` days of the viewer's today."""
    from jixiao.org.models import Employee, EmployeeStatus

    if viewer.role != Role.HR_ADMIN or viewer.company_id is None:
        return Employee.objects.none()
    today = viewer_today(viewer)
    return (
        Employee.objects.filter(
            company_id=viewer.company_id,
            probation_end_date__gte=today,
            probation_end_date__lte=today + dt.timedelta(days=days),
        )
        .exclude(status=EmployeeStatus.LEFT)
        .select_related("department")
        .order_by("probation_end_date", "employee_number")
    )


def recent_audit_events(*, viewer: User, limit: int = 5) -> QuerySet[Any]:
    from jixiao.audit.models import AuditEvent

    if viewer.role != Role.HR_ADMIN or viewer.company_id is None:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(company_id=viewer.company_id).order_by("-sequence")[:limit]


def manager_team(*, viewer: User) -> QuerySet[Any]:
    """The people the viewer manages: headed department subtrees and direct reports."""
    from jixiao.org.models import Employee, EmployeeStatus
    from jixiao.org.team import managed_employee_ids

    if viewer.company_id is None:
        return Employee.objects.none()
    ids = managed_employee_ids(viewer)
    return (
        Employee.objects.filter(company_id=viewer.company_id, pk__in=ids)
        .exclude(status=EmployeeStatus.LEFT)
        .select_related("department", "position", "manager")
        .order_by("department__name", "employee_number")
    )


def own_employee(*, viewer: User) -> Any:
    """The viewer's own employee record with what the profile card shows, or None."""
    from jixiao.org.models import Employee

    if viewer.company_id is None:
        return None
    return (
        Employee.objects.filter(company_id=viewer.company_id, user=viewer)
        .select_related("department", "manager", "position", "work_location")
        .first()
    )
