"""Metrics pages: the indicator library, "my data" with drill-down and disputes, HR's
unmatched-identity queue. Thin: services and selectors do the work."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jixiao.core.api_errors import ServiceError
from jixiao.metrics import selectors
from jixiao.metrics.library import library_install
from jixiao.metrics.models import (
    Category,
    EventStatus,
    MetricEvent,
    MetricSource,
    MetricValue,
    PeriodKind,
    UnmatchedIdentity,
)
from jixiao.metrics.services.disputes import dispute_raise
from jixiao.metrics.services.identities import identity_link_create
from jixiao.org.models import Employee
from jixiao.web.decorators import permission_required

MEMBER = "metrics.view_indicators"
ADMIN = "metrics.administer"


def _own_employee(request: HttpRequest) -> Employee:
    viewer: Any = request.user
    employee = Employee.objects.filter(
        company_id=viewer.company_id,
        user_id=viewer.pk,
    ).first()
    if employee is None:
        raise PermissionDenied
    return employee


@require_http_methods(["GET", "POST"])
@permission_required(MEMBER)
def indicator_list(request: HttpRequest) -> HttpResponse:
    """The company's indicators; HR installs the shipped library from here."""
    viewer: Any = request.user
    if request.method == "POST":
        if not request.user.has_perm(ADMIN):
            raise PermissionDenied
        created = library_install(company=viewer.company, actor=viewer)
        messages.success(request, _("已安装 %(n)d 个指标。") % {"n": len(created)})
        return redirect("metrics:indicator_list")
    indicators = selectors.indicators_visible(request.user)
    query = request.GET.get("q", "").strip()[:100]
    category = request.GET.get("category", "")
    status = request.GET.get("status", "")
    if query:
        indicators = indicators.filter(
            Q(code__icontains=query)
            | Q(current_version__name_zh__icontains=query)
            | Q(current_version__name_en__icontains=query)
        )
    if category in Category.values:
        indicators = indicators.filter(current_version__category=category)
    if status in ("active", "inactive"):
        indicators = indicators.filter(is_active=status == "active")
    return render(
        request,
        "metrics/indicator_list.html",
        {
            "indicators": indicators,
            "can_admin": request.user.has_perm(ADMIN),
            "categories": Category.choices,
            "q": query,
            "category": category,
            "status": status,
        },
    )


def _month_param(request: HttpRequest) -> dt.date:
    raw = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in raw.split("-"))
        return dt.date(year, month, 1)
    except ValueError:
        return timezone.localdate().replace(day=1)


@require_GET
@permission_required(MEMBER)
def my_data(request: HttpRequest) -> HttpResponse:
    """我的数据: one's own monthly values, each opening its events."""
    employee = _own_employee(request)
    month = _month_param(request)
    values = selectors.values_visible(
        request.user,
        selectors.ValueFilters(
            employee_id=employee.pk,
            period_kind=PeriodKind.MONTH,
            start_from=month,
            start_to=month,
        ),
    )
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    context: dict[str, Any] = {
        "employee": employee,
        "month": month,
        "previous": previous.strftime("%Y-%m"),
        "following": following.strftime("%Y-%m"),
        "values": values,
        "disputes": selectors.disputes_visible(request.user).filter(raised_by=employee)[:20],
    }
    return render(request, "metrics/my_data.html", context)


@require_GET
@permission_required(MEMBER)
def value_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A value's explanation: how it was combined and every event it came from."""
    viewer: Any = request.user
    value = (
        MetricValue.objects.filter(company_id=viewer.company_id, pk=pk)
        .select_related("indicator", "indicator__current_version", "company", "employee")
        .first()
    )
    if value is None:
        raise Http404
    if not selectors.values_visible(request.user).filter(pk=value.pk).exists():
        raise PermissionDenied
    explained = selectors.value_explain(value)
    own = Employee.objects.filter(user_id=viewer.pk).values_list("pk", flat=True).first()
    return render(
        request,
        "metrics/value_detail.html",
        {
            "value": value,
            "version": value.indicator.current_version,
            "explained": explained,
            "can_dispute": own is not None and value.employee_id == own,
        },
    )


@require_POST
@permission_required(MEMBER)
def event_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    viewer: Any = request.user
    event = (
        MetricEvent.objects.filter(company_id=viewer.company_id, pk=pk)
        .select_related("employee")
        .first()
    )
    if event is None:
        raise Http404
    if event.employee is None or not request.user.has_perm("metrics.dispute", event.employee):
        raise PermissionDenied
    try:
        dispute_raise(
            event=event,
            employee=event.employee,
            actor=viewer,
            reason=request.POST.get("reason", ""),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("异议已提交，HR 会核实处理。"))
    back = request.POST.get("next", "")
    if back.startswith("/metrics/"):
        return redirect(back)
    return redirect("metrics:my_data")


@require_http_methods(["GET", "POST"])
@permission_required(ADMIN)
def unmatched_queue(request: HttpRequest) -> HttpResponse:
    """HR links identities no employee matched yet; their parked events then count."""
    viewer: Any = request.user
    company = viewer.company
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        entry = (
            UnmatchedIdentity.objects.filter(company=company, pk=request.POST.get("entry") or 0)
            .select_related("source")
            .first()
        )
        number = request.POST.get("employee_number", "").strip()
        employee = Employee.objects.filter(company=company, employee_number=number).first()
        if entry is None:
            raise Http404
        if employee is None:
            errors["employee_number"] = [_("工号 %(n)s 不存在。") % {"n": number}]
        else:
            source: MetricSource | None = (
                entry.source if request.POST.get("scope") == "source" else None
            )
            try:
                _link, matched = identity_link_create(
                    company=company, actor=viewer, identity=entry.identity,
                    employee=employee, source=source,
                )  # fmt: skip
            except ServiceError as exc:
                errors = exc.fields or {"__all__": [exc.message]}
            else:
                messages.success(
                    request,
                    _("已关联 %(identity)s → %(name)s，%(n)d 条数据已计入。")
                    % {"identity": entry.identity, "name": employee.name, "n": matched},
                )
                return redirect("metrics:unmatched")
    queue = UnmatchedIdentity.objects.filter(
        company=company, resolved_at__isnull=True
    ).select_related("source")
    parked = MetricEvent.objects.filter(company=company, status=EventStatus.PARKED).count()
    return render(
        request,
        "metrics/unmatched.html",
        {"queue": queue, "errors": errors, "parked": parked},
        status=422 if errors else 200,
    )
