"""The shell: home page by role, health check."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from jixiao.core import selectors
from jixiao.core.models import Role, User
from jixiao.notifications.selectors import recent_unread


def url_or_none(name: str) -> str | None:
    """The URL of a page another app may not have added yet."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _calendar_warnings(user: User) -> list[Any]:
    """From November: next year's work calendar still provisional (attendance's selector)."""
    from jixiao.attendance.selectors.calendars import calendar_warnings
    from jixiao.attendance.services.calendars import company_today

    company = user.company
    assert company is not None
    return calendar_warnings(company, company_today(company))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context: dict[str, Any] = {"role": user.role}
    if user.role == Role.PLATFORM_ADMIN:
        context["platform"] = selectors.platform_summary()
        context["companies_url"] = url_or_none("web:platform_companies")
    elif user.role in (Role.HR_ADMIN, Role.EXECUTIVE):
        summary = selectors.company_summary(viewer=user)
        context["summary"] = summary
        context["chart_data"] = summary.chart_data()
        if user.role == Role.HR_ADMIN:
            context["probation_ending"] = list(selectors.probation_ending(viewer=user))
            context["recent_events"] = list(selectors.recent_audit_events(viewer=user))
            context["audit_url"] = url_or_none("audit:event_list")
            context["calendar_warnings"] = _calendar_warnings(user)
    else:
        if user.role == Role.MANAGER:
            context["team"] = list(selectors.manager_team(viewer=user))
        context["me"] = selectors.own_employee(viewer=user)
        context["notifications"] = recent_unread(viewer=user, limit=5)
        context["notifications_url"] = url_or_none("notifications:inbox")
    return render(request, "web/home.html", context)


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database answers and the job queue is reachable."""
    checks: dict[str, str] = {}
    status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # a health check reports, never raises
        checks["database"] = f"error: {exc.__class__.__name__}"
        status = 503
    try:
        from huey.contrib.djhuey import HUEY

        HUEY.pending_count()
        checks["queue"] = "ok"
    except Exception as exc:
        checks["queue"] = f"error: {exc.__class__.__name__}"
        status = 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "error", "checks": checks}, status=status
    )
