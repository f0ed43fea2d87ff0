"""Helpers shared by the metrics API routers: who is asking, objects or 404."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from jixiao.core.api_errors import ERRORS
from jixiao.metrics.models import MetricSource
from jixiao.org.models import Employee

WRITE_ERRORS = {**ERRORS, 409: ERRORS[422]}


def member(request: HttpRequest) -> Any:
    user = request.user
    if not user.is_authenticated or user.company_id is None:  # type: ignore[union-attr]
        raise PermissionDenied
    return user


def admin(request: HttpRequest) -> Any:
    user = member(request)
    if not user.has_perm("metrics.administer"):
        raise PermissionDenied
    return user


def employee_in_company(user: Any, employee_id: int) -> Employee:
    employee = (
        Employee.objects.filter(company_id=user.company_id, pk=employee_id)
        .select_related("company")
        .first()
    )
    if employee is None:
        raise Http404
    return employee


def own_employee(user: Any) -> Employee:
    employee = Employee.objects.filter(company_id=user.company_id, user=user).first()
    if employee is None:
        raise PermissionDenied
    return employee


def source_in_company(user: Any, source_id: int | None) -> MetricSource | None:
    """The user's company's source with this id; None for no id; another company's: 404."""
    if source_id is None:
        return None
    source = MetricSource.objects.filter(company_id=user.company_id, pk=source_id).first()
    if source is None:
        raise Http404
    return source
