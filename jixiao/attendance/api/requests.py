"""Leave, overtime and correction requests over the API, with balances and comp leave.

Mounted at /api/v1/attendance. Employees file and withdraw their own requests (HR
files for anyone); the manager decides the team's (HR anyone's; nobody their own).
Times without an offset are the employee's wall-clock times. Leave attachments are
sent as base64 in the JSON body (``attachment``), the API being JSON-only.
Another company's ids are 404 in paths and refused like unknown ids in bodies.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal
from typing import Any, Literal, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db.models import Model
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from jixiao.attendance.models import (
    CompLeaveEntry,
    LeaveRequest,
    LeaveType,
    OvertimeRequest,
    PunchCorrection,
)
from jixiao.attendance.selectors import requests as selectors
from jixiao.attendance.services import corrections as correction_services
from jixiao.attendance.services import leave as leave_services
from jixiao.attendance.services import overtime as overtime_services
from jixiao.core.api_errors import ERRORS, ServiceError
from jixiao.core.pagination import Page, PageQuery, paginate
from jixiao.org.models import Employee

router = Router(tags=["attendance-requests"])

M = TypeVar("M", bound=Model)
WRITE = {**ERRORS, 409: ERRORS[422]}
StatusCode = Literal["pending", "approved", "rejected", "cancelled"]
ATTACHMENT_MAX_BASE64 = 7 * 1024 * 1024  # 5 MB of file is about 6.7 MB of base64


def _member(request: HttpRequest) -> Any:
    user = request.user
    if not user.has_perm("attendance.request"):
        raise PermissionDenied
    return user


def _admin(request: HttpRequest) -> Any:
    user = _member(request)
    if not user.has_perm("attendance.administer"):
        raise PermissionDenied
    return user


def _get(request: HttpRequest, model: type[M], pk: int | None, field: str = "") -> M:
    """A row of the caller's company: 404 in a path, a field error in a body."""
    user = _member(request)
    obj = model._default_manager.filter(company_id=user.company_id, pk=pk).first()  # type: ignore[misc]
    if obj is None:
        if field:
            message = _("所选对象不存在。")
            raise ServiceError(message, fields={field: [message]})
        raise Http404
    return obj  # type: ignore[no-any-return]


def _viewable(request: HttpRequest, employee: Employee) -> Any:
    user = _member(request)
    if not user.has_perm("attendance.view_attendance", employee):
        raise PermissionDenied
    return user


def _decider(request: HttpRequest, employee: Employee) -> Any:
    user = _member(request)
    if not user.has_perm("attendance.manage_attendance", employee) or employee.user_id == user.pk:
        raise PermissionDenied
    return user


def _filer(request: HttpRequest, employee: Employee) -> Any:
    """The employee themself, or HR on anyone's behalf."""
    user = _member(request)
    if not (user.has_perm("attendance.punch", employee) or user.has_perm("attendance.administer")):
        raise PermissionDenied
    return user


def _me(request: HttpRequest) -> Employee:
    user = _member(request)
    me = Employee.objects.filter(company_id=user.company_id, user_id=user.pk).first()
    if me is None:
        message = _("你的账号没有关联员工档案，请指定员工。")
        raise ServiceError(message, fields={"employee_id": [message]})
    return me


# --- Leave types ------------------------------------------------------------------------

Accrual = Literal["none", "annual_statutory", "yearly_fixed", "comp_leave"]


class LeaveTypeOut(Schema):
    id: int
    code: str
    name: str
    paid: bool
    accrual: str
    yearly_days: float
    max_days_per_request: float | None
    carry_over_days: float
    carry_over_expiry_months: int
    requires_attachment: bool
    half_day_allowed: bool
    counts_calendar_days: bool
    counts_as_attendance: bool
    active: bool
    sort_order: int


class LeaveTypeIn(Schema):
    code: str = Field(..., min_length=1, max_length=30, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(..., min_length=1, max_length=100)
    paid: bool = True
    accrual: Accrual = "none"
    yearly_days: Decimal = Field(Decimal(0), ge=0, le=365, decimal_places=1)
    max_days_per_request: Decimal | None = Field(None, ge=0, le=366, decimal_places=1)
    carry_over_days: Decimal = Field(Decimal(0), ge=0, le=365, decimal_places=1)
    carry_over_expiry_months: int = Field(3, ge=0, le=120)
    requires_attachment: bool = False
    half_day_allowed: bool = True
    counts_calendar_days: bool = False
    counts_as_attendance: bool = True
    active: bool = True
    sort_order: int = Field(0, ge=0, le=1_000_000)


class LeaveTypePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    paid: bool | None = None
    accrual: Accrual | None = None
    yearly_days: Decimal | None = Field(None, ge=0, le=365, decimal_places=1)
    max_days_per_request: Decimal | None = Field(None, ge=0, le=366, decimal_places=1)
    carry_over_days: Decimal | None = Field(None, ge=0, le=365, decimal_places=1)
    carry_over_expiry_months: int | None = Field(None, ge=0, le=120)
    requires_attachment: bool | None = None
    half_day_allowed: bool | None = None
    counts_calendar_days: bool | None = None
    counts_as_attendance: bool | None = None
    active: bool | None = None
    sort_order: int | None = Field(None, ge=0, le=1_000_000)


@router.get("/leave-types", response={200: list[LeaveTypeOut], **ERRORS})
def leave_type_list(request: HttpRequest) -> list[LeaveType]:
    user = _member(request)
    return list(LeaveType.objects.filter(company_id=user.company_id))


@router.post("/leave-types", response={201: LeaveTypeOut, **WRITE})
def leave_type_create(request: HttpRequest, payload: LeaveTypeIn) -> Status[LeaveType]:
    user = _admin(request)
    return Status(
        201,
        leave_services.leave_type_create(company=user.company, actor=user, **payload.dict()),
    )


@router.patch("/leave-types/{leave_type_id}", response={200: LeaveTypeOut, **WRITE})
def leave_type_update(
    request: HttpRequest, leave_type_id: int, payload: LeaveTypePatch
) -> LeaveType:
    leave_type = _get(request, LeaveType, leave_type_id)
    user = _admin(request)
    values = payload.dict(exclude_unset=True)
    if "max_days_per_request" not in values:
        values = {k: v for k, v in values.items() if v is not None}
    return leave_services.leave_type_update(leave_type=leave_type, actor=user, **values)


# --- Balances and the comp-leave ledger ------------------------------------------------


class BalanceOut(Schema):
    leave_type_id: int
    leave_type_code: str
    leave_type_name: str
    tracks_balance: bool
    granted: float
    carried: float
    used: float
    expired: float
    adjusted: float
    balance: float
    pending: float
    available: float
    carry_over_expires_on: dt.date | None


class AdjustIn(Schema):
    leave_type_id: int
    year: int = Field(..., ge=2000, le=2100)
    days: Decimal = Field(..., ge=-366, le=366, decimal_places=1)
    reason: str = Field(..., min_length=1, max_length=300)


class LedgerEntryOut(Schema):
    id: int
    leave_type_id: int
    year: int
    kind: str
    days: float
    expires_on: dt.date | None
    reason: str
    leave_request_id: int | None
    created_at: dt.datetime


@router.get("/employees/{employee_id}/leave-balances", response={200: list[BalanceOut], **ERRORS})
def leave_balance_list(
    request: HttpRequest, employee_id: int, year: int | None = None
) -> list[dict[str, Any]]:
    """Each active leave type's balance for the year (comp leave in days of 8 hours)."""
    employee = _get(request, Employee, employee_id)
    viewer = _viewable(request, employee)
    if year is not None and not 2000 <= year <= 2100:
        raise ServiceError(_("年度无效。"), fields={"year": [_("年度无效。")]})
    rows = selectors.leave_balances(viewer, employee, year or timezone.localdate().year)
    return [
        {
            "leave_type_id": r.leave_type.pk,
            "leave_type_code": r.leave_type.code,
            "leave_type_name": r.leave_type.name,
            "tracks_balance": r.tracks_balance,
            "granted": r.granted,
            "carried": r.carried,
            "used": r.used,
            "expired": r.expired,
            "adjusted": r.adjusted,
            "balance": r.balance,
            "pending": r.pending,
            "available": r.available,
            "carry_over_expires_on": r.expires_on,
        }
        for r in rows
    ]


@router.get("/employees/{employee_id}/leave-ledger", response={200: list[LedgerEntryOut], **ERRORS})
def leave_ledger_list(request: HttpRequest, employee_id: int, year: int | None = None) -> list[Any]:
    """The ledger entries of the year (default: this year) behind the balances."""
    employee = _get(request, Employee, employee_id)
    viewer = _viewable(request, employee)
    return list(selectors.leave_ledger(viewer, employee, year or timezone.localdate().year))


@router.post(
    "/employees/{employee_id}/leave-balances/adjust", response={201: LedgerEntryOut, **WRITE}
)
def leave_balance_adjust(request: HttpRequest, employee_id: int, payload: AdjustIn) -> Status[Any]:
    employee = _get(request, Employee, employee_id)
    leave_type = _get(request, LeaveType, payload.leave_type_id, "leave_type_id")
    user = _admin(request)
    entry = leave_services.leave_balance_adjust(
        employee=employee,
        leave_type=leave_type,
        year=payload.year,
        days=payload.days,
        reason=payload.reason,
        actor=user,
    )
    return Status(201, entry)


class CompLeaveEntryOut(Schema):
    id: int
    minutes: int
    work_date: dt.date
    expires_on: dt.date | None
    reason: str
    leave_request_id: int | None
    created_at: dt.datetime


class CompLeaveOut(Schema):
    available_minutes: int = Field(description="Unexpired minutes usable today.")
    entries: list[CompLeaveEntryOut]


@router.get("/employees/{employee_id}/comp-leave", response={200: CompLeaveOut, **ERRORS})
def comp_leave_ledger(request: HttpRequest, employee_id: int) -> dict[str, Any]:
    employee = _get(request, Employee, employee_id)
    viewer = _viewable(request, employee)
    entries: list[CompLeaveEntry] = list(selectors.comp_leave_entries(viewer, employee))
    return {
        "available_minutes": selectors.comp_leave_balance_minutes(
            viewer, employee, timezone.localdate()
        ),
        "entries": entries,
    }


# --- Shared request shapes --------------------------------------------------------------


class DecisionIn(Schema):
    note: str = Field("", max_length=500)


class CancelIn(Schema):
    reason: str = Field("", max_length=500)


class ListQuery(PageQuery):
    employee_id: int | None = None
    status: StatusCode | None = None


def _listed(request: HttpRequest, query: ListQuery) -> tuple[Any, Employee | None]:
    viewer = _member(request)
    employee = None
    if query.employee_id is not None:
        employee = _get(request, Employee, query.employee_id, "employee_id")
        _viewable(request, employee)
    return viewer, employee


# --- Leave requests ---------------------------------------------------------------------


class AttachmentIn(Schema):
    name: str = Field(..., min_length=1, max_length=200, description="File name, e.g. 病历.pdf")
    content_base64: str = Field(..., min_length=1, max_length=ATTACHMENT_MAX_BASE64)


class LeaveRequestIn(Schema):
    employee_id: int | None = Field(None, description="Omit to ask for yourself (HR: anyone).")
    leave_type_id: int
    start: dt.datetime = Field(description="Without an offset: the employee's local time.")
    end: dt.datetime
    reason: str = Field("", max_length=500)
    attachment: AttachmentIn | None = None


class LeaveRequestOut(Schema):
    id: int
    employee_id: int
    employee_name: str
    leave_type_id: int
    leave_type_name: str
    start: dt.datetime
    end: dt.datetime
    days: float
    reason: str
    has_attachment: bool
    status: str
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    created_at: dt.datetime


def _leave_out(r: LeaveRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "employee_id": r.employee_id,
        "employee_name": r.employee.name,
        "leave_type_id": r.leave_type_id,
        "leave_type_name": r.leave_type.name,
        "start": r.start,
        "end": r.end,
        "days": r.days,
        "reason": r.reason,
        "has_attachment": bool(r.attachment),
        "status": r.status,
        "decided_by_id": r.decided_by_id,
        "decided_at": r.decided_at,
        "decision_note": r.decision_note,
        "created_at": r.created_at,
    }


def _attachment(payload: AttachmentIn | None) -> ContentFile[bytes] | None:
    if payload is None:
        return None
    try:
        data = base64.b64decode(payload.content_base64, validate=True)
    except (binascii.Error, ValueError):
        message = _("附件不是有效的 base64 内容。")
        raise ServiceError(message, fields={"attachment": [message]}) from None
    return ContentFile(data, name=payload.name)


@router.get("/leave-requests", response={200: Page[LeaveRequestOut], **ERRORS})
def leave_request_list(request: HttpRequest, query: Query[ListQuery]) -> dict[str, Any]:
    viewer, employee = _listed(request, query)
    rows = selectors.leave_requests_for(viewer, employee=employee, status=query.status)
    page = paginate(rows.order_by("-start", "-id"), query.page, query.page_size)
    return {**page, "items": [_leave_out(r) for r in page["items"]]}


@router.post("/leave-requests", response={201: LeaveRequestOut, **WRITE})
def leave_request_create(request: HttpRequest, payload: LeaveRequestIn) -> Status[dict[str, Any]]:
    if payload.employee_id is not None:
        employee = _get(request, Employee, payload.employee_id, "employee_id")
    else:
        employee = _me(request)
    leave_type = _get(request, LeaveType, payload.leave_type_id, "leave_type_id")
    user = _filer(request, employee)
    created = leave_services.leave_request_create(
        employee=employee,
        leave_type=leave_type,
        start=payload.start,
        end=payload.end,
        reason=payload.reason,
        attachment=_attachment(payload.attachment),
        actor=user,
    )
    return Status(201, _leave_out(created))


@router.get("/leave-requests/{leave_request_id}", response={200: LeaveRequestOut, **ERRORS})
def leave_request_get(request: HttpRequest, leave_request_id: int) -> dict[str, Any]:
    found = _get(request, LeaveRequest, leave_request_id)
    _viewable(request, found.employee)
    return _leave_out(found)


@router.post("/leave-requests/{leave_request_id}/approve", response={200: LeaveRequestOut, **WRITE})
def leave_request_approve(
    request: HttpRequest, leave_request_id: int, payload: DecisionIn
) -> dict[str, Any]:
    found = _get(request, LeaveRequest, leave_request_id)
    user = _decider(request, found.employee)
    return _leave_out(
        leave_services.leave_request_approve(leave_request=found, actor=user, note=payload.note)
    )


@router.post("/leave-requests/{leave_request_id}/reject", response={200: LeaveRequestOut, **WRITE})
def leave_request_reject(
    request: HttpRequest, leave_request_id: int, payload: DecisionIn
) -> dict[str, Any]:
    found = _get(request, LeaveRequest, leave_request_id)
    user = _decider(request, found.employee)
    return _leave_out(
        leave_services.leave_request_reject(leave_request=found, actor=user, note=payload.note)
    )


@router.post("/leave-requests/{leave_request_id}/cancel", response={200: LeaveRequestOut, **WRITE})
def leave_request_cancel(
    request: HttpRequest, leave_request_id: int, payload: CancelIn
) -> dict[str, Any]:
    found = _get(request, LeaveRequest, leave_request_id)
    user = _filer(request, found.employee)
    return _leave_out(
        leave_services.leave_request_cancel(leave_request=found, actor=user, reason=payload.reason)
    )


# --- Overtime requests ------------------------------------------------------------------


class OvertimeRequestIn(Schema):
    employee_id: int | None = Field(None, description="Omit to ask for yourself (HR: anyone).")
    start: dt.datetime = Field(description="Without an offset: the employee's local time.")
    end: dt.datetime
    compensation: Literal["pay", "comp_leave"] = "pay"
    reason: str = Field(..., min_length=1, max_length=500)


class OvertimeRequestOut(Schema):
    id: int
    employee_id: int
    employee_name: str
    start: dt.datetime
    end: dt.datetime
    compensation: str
    reason: str
    status: str
    warnings: list[str] = Field(description="Cap warnings (3 h a day, 36 h a month by default).")
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    created_at: dt.datetime


def _overtime_out(r: OvertimeRequest, *, warnings: bool = True) -> dict[str, Any]:
    return {
        "id": r.pk,
        "employee_id": r.employee_id,
        "employee_name": r.employee.name,
        "start": r.start,
        "end": r.end,
        "compensation": r.compensation,
        "reason": r.reason,
        "status": r.status,
        "warnings": overtime_services.overtime_warnings(r) if warnings else [],
        "decided_by_id": r.decided_by_id,
        "decided_at": r.decided_at,
        "decision_note": r.decision_note,
        "created_at": r.created_at,
    }


@router.get("/overtime-requests", response={200: Page[OvertimeRequestOut], **ERRORS})
def overtime_request_list(request: HttpRequest, query: Query[ListQuery]) -> dict[str, Any]:
    viewer, employee = _listed(request, query)
    rows = selectors.overtime_requests_for(viewer, employee=employee, status=query.status)
    page = paginate(rows.order_by("-start", "-id"), query.page, query.page_size)
    return {**page, "items": [_overtime_out(r) for r in page["items"]]}


@router.post("/overtime-requests", response={201: OvertimeRequestOut, **WRITE})
def overtime_request_create(
    request: HttpRequest, payload: OvertimeRequestIn
) -> Status[dict[str, Any]]:
    if payload.employee_id is not None:
        employee = _get(request, Employee, payload.employee_id, "employee_id")
    else:
        employee = _me(request)
    user = _filer(request, employee)
    created = overtime_services.overtime_request_create(
        employee=employee,
        start=payload.start,
        end=payload.end,
        compensation=payload.compensation,
        reason=payload.reason,
        actor=user,
    )
    return Status(201, _overtime_out(created))


@router.get(
    "/overtime-requests/{overtime_request_id}", response={200: OvertimeRequestOut, **ERRORS}
)
def overtime_request_get(request: HttpRequest, overtime_request_id: int) -> dict[str, Any]:
    found = _get(request, OvertimeRequest, overtime_request_id)
    _viewable(request, found.employee)
    return _overtime_out(found)


@router.post(
    "/overtime-requests/{overtime_request_id}/approve",
    response={200: OvertimeRequestOut, **WRITE},
)
def overtime_request_approve(
    request: HttpRequest, overtime_request_id: int, payload: DecisionIn
) -> dict[str, Any]:
    found = _get(request, OvertimeRequest, overtime_request_id)
    user = _decider(request, found.employee)
    return _overtime_out(
        overtime_services.overtime_request_approve(overtime=found, actor=user, note=payload.note)
    )


@router.post(
    "/overtime-requests/{overtime_request_id}/reject",
    response={200: OvertimeRequestOut, **WRITE},
)
def overtime_request_reject(
    request: HttpRequest, overtime_request_id: int, payload: DecisionIn
) -> dict[str, Any]:
    found = _get(request, OvertimeRequest, overtime_request_id)
    user = _decider(request, found.employee)
    return _overtime_out(
        overtime_services.overtime_request_reject(overtime=found, actor=user, note=payload.note)
    )


@router.post(
    "/overtime-requests/{overtime_request_id}/cancel",
    response={200: OvertimeRequestOut, **WRITE},
)
def overtime_request_cancel(
    request: HttpRequest, overtime_request_id: int, payload: CancelIn
) -> dict[str, Any]:
    found = _get(request, OvertimeRequest, overtime_request_id)
    user = _filer(request, found.employee)
    cancelled = overtime_services.overtime_request_cancel(
        overtime=found, actor=user, reason=payload.reason
    )
    return _overtime_out(cancelled, warnings=False)


# --- Corrections ------------------------------------------------------------------------


class CorrectionIn(Schema):
    employee_id: int | None = Field(None, description="Omit to ask for yourself (HR: anyone).")
    kind: Literal["missing_punch", "explanation"]
    date: dt.date
    punch_at: dt.datetime | None = Field(
        None, description="补卡 only: the missing punch; without an offset, local time."
    )
    reason: str = Field(..., min_length=1, max_length=500)


class CorrectionOut(Schema):
    id: int
    employee_id: int
    employee_name: str
    kind: str
    date: dt.date
    punch_at: dt.datetime | None
    reason: str
    status: str
    punch_id: int | None
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    created_at: dt.datetime


def _correction_out(r: PunchCorrection) -> dict[str, Any]:
    return {
        "id": r.pk,
        "employee_id": r.employee_id,
        "employee_name": r.employee.name,
        "kind": r.kind,
        "date": r.date,
        "punch_at": r.punch_at,
        "reason": r.reason,
        "status": r.status,
        "punch_id": r.punch_id,
        "decided_by_id": r.decided_by_id,
        "decided_at": r.decided_at,
        "decision_note": r.decision_note,
        "created_at": r.created_at,
    }


@router.get("/corrections", response={200: Page[CorrectionOut], **ERRORS})
def correction_list(request: HttpRequest, query: Query[ListQuery]) -> dict[str, Any]:
    viewer, employee = _listed(request, query)
    rows = selectors.corrections_for(viewer, employee=employee, status=query.status)
    page = paginate(rows.order_by("-date", "-id"), query.page, query.page_size)
    return {**page, "items": [_correction_out(r) for r in page["items"]]}


@router.post("/corrections", response={201: CorrectionOut, **WRITE})
def correction_create(request: HttpRequest, payload: CorrectionIn) -> Status[dict[str, Any]]:
    if payload.employee_id is not None:
        employee = _get(request, Employee, payload.employee_id, "employee_id")
    else:
        employee = _me(request)
    user = _filer(request, employee)
    created = correction_services.correction_create(
        employee=employee,
        kind=payload.kind,
        date=payload.date,
        punch_at=payload.punch_at,
        reason=payload.reason,
        actor=user,
    )
    return Status(201, _correction_out(created))


@router.get("/corrections/{correction_id}", response={200: CorrectionOut, **ERRORS})
def correction_get(request: HttpRequest, correction_id: int) -> dict[str, Any]:
    found = _get(request, PunchCorrection, correction_id)
    _viewable(request, found.employee)
    return _correction_out(found)


@router.post("/corrections/{correction_id}/approve", response={200: CorrectionOut, **WRITE})
def correction_approve(
    request: HttpRequest, correction_id: int, payload: DecisionIn
) -> dict[str, Any]:
    found = _get(request, PunchCorrection, correction_id)
    user = _decider(request, found.employee)
    return _correction_out(
        correction_services.correction_approve(correction=found, actor=user, note=payload.note)
    )


@router.post("/corrections/{correction_id}/reject", response={200: CorrectionOut, **WRITE})
def correction_reject(
    request: HttpRequest, correction_id: int, payload: DecisionIn
) -> dict[str, Any]:
    found = _get(request, PunchCorrection, correction_id)
    user = _decider(request, found.employee)
    return _correction_out(
        correction_services.correction_reject(correction=found, actor=user, note=payload.note)
    )


@router.post("/corrections/{correction_id}/cancel", response={200: CorrectionOut, **WRITE})
def correction_cancel(
    request: HttpRequest, correction_id: int, payload: CancelIn
) -> dict[str, Any]:
    found = _get(request, PunchCorrection, correction_id)
    user = _filer(request, found.employee)
    return _correction_out(
        correction_services.correction_cancel(correction=found, actor=user, reason=payload.reason)
    )
