"""Reads of leave, overtime and correction requests, balances and the comp-leave ledger.

Each takes the viewer and returns only what they may see: their own requests,
their team's for managers (``attendance.view_attendance``), the whole company for
HR and executives; the approval inbox holds what the viewer may decide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, Sum

from jixiao.attendance.models import (
    ApprovalStatus,
    CompLeaveEntry,
    LeaveLedgerEntry,
    LeaveRequest,
    LeaveType,
    OvertimeRequest,
    PunchCorrection,
)
from jixiao.attendance.services.leave import (
    BALANCE_ACCRUALS,
    COMP_LEAVE_DAY_MINUTES,
    comp_leave_pending_minutes,
)
from jixiao.attendance.services.overtime import comp_leave_available_minutes
from jixiao.core.models import Role
from jixiao.org.models import Employee
from jixiao.org.selectors import employees_visible_to
from jixiao.org.team import managed_employee_ids


def _require_view(viewer: Any, employee: Employee) -> None:
    if not viewer.has_perm("attendance.view_attendance", employee):
        raise PermissionDenied


@dataclass(frozen=True)
class BalanceRow:
    """One leave type's year for one employee, as the ledger explains it."""

    leave_type: LeaveType
    tracks_balance: bool
    granted: Decimal
    carried: Decimal
    used: Decimal
    expired: Decimal
    adjusted: Decimal
    balance: Decimal
    pending: Decimal
    expires_on: dt.date | None = None

    @property
    def available(self) -> Decimal:
        return self.balance - self.pending


def leave_balances(viewer: Any, employee: Employee, year: int) -> list[BalanceRow]:
    """Every active type's balance for ``year`` (comp leave in days of eight hours)."""
    _require_view(viewer, employee)
    types = list(LeaveType.objects.filter(company_id=employee.company_id, active=True))
    sums: dict[tuple[int, str], Decimal] = {}
    for row in (
        LeaveLedgerEntry.objects.filter(employee=employee, year=year)
        .values("leave_type_id", "kind")
        .annotate(total=Sum("days"))
    ):
        sums[(row["leave_type_id"], row["kind"])] = Decimal(row["total"] or 0)
    carried_expiry = dict(
        LeaveLedgerEntry.objects.filter(
            employee=employee, year=year, kind=LeaveLedgerEntry.Kind.CARRY_OVER, days__gt=0
        ).values_list("leave_type_id", "expires_on")
    )
    pending = {
        row["leave_type_id"]: Decimal(row["total"] or 0)
        for row in LeaveRequest.objects.filter(
            employee=employee, status=ApprovalStatus.PENDING, start__year=year
        )
        .values("leave_type_id")
        .annotate(total=Sum("days"))
    }
    rows: list[BalanceRow] = []
    kinds = LeaveLedgerEntry.Kind
    for leave_type in types:
        if leave_type.accrual == LeaveType.Accrual.COMP_LEAVE:
            minutes = comp_leave_available_minutes(employee=employee, on=dt.date(year, 1, 1))
            waiting = comp_leave_pending_minutes(employee)
            rows.append(
                BalanceRow(
                    leave_type=leave_type,
                    tracks_balance=True,
                    granted=Decimal(0),
                    carried=Decimal(0),
                    used=Decimal(0),
                    expired=Decimal(0),
                    adjusted=Decimal(0),
                    balance=(Decimal(minutes) / COMP_LEAVE_DAY_MINUTES).quantize(Decimal("0.01")),
                    pending=(waiting / COMP_LEAVE_DAY_MINUTES).quantize(Decimal("0.01")),
                )
            )
            continue

        def part(kind: str, leave_type: LeaveType = leave_type) -> Decimal:
            return sums.get((leave_type.pk, kind), Decimal(0))

        total = sum((part(k) for k in kinds.values), Decimal(0))
        rows.append(
            BalanceRow(
                leave_type=leave_type,
                tracks_balance=leave_type.accrual in BALANCE_ACCRUALS,
                granted=part(kinds.GRANT),
                carried=part(kinds.CARRY_OVER),
                used=-part(kinds.USE),
                expired=-part(kinds.EXPIRY),
                adjusted=part(kinds.ADJUSTMENT),
                balance=total,
                pending=pending.get(leave_type.pk, Decimal(0)),
                expires_on=carried_expiry.get(leave_type.pk),
            )
        )
    return rows


def leave_ledger(viewer: Any, employee: Employee, year: int) -> QuerySet[LeaveLedgerEntry]:
    _require_view(viewer, employee)
    return LeaveLedgerEntry.objects.filter(employee=employee, year=year).select_related(
        "leave_type"
    )


def comp_leave_entries(viewer: Any, employee: Employee) -> QuerySet[CompLeaveEntry]:
    _require_view(viewer, employee)
    return CompLeaveEntry.objects.filter(employee=employee).order_by("work_date", "id")


def comp_leave_balance_minutes(viewer: Any, employee: Employee, on: dt.date) -> int:
    _require_view(viewer, employee)
    return comp_leave_available_minutes(employee=employee, on=on)


def _visible(viewer: Any, model: Any, employee: Employee | None) -> QuerySet[Any]:
    if employee is not None:
        _require_view(viewer, employee)
        base = model.objects.filter(employee=employee)
    else:
        base = model.objects.filter(employee__in=employees_visible_to(viewer))
    return base.select_related("employee", "decided_by")  # type: ignore[no-any-return]


def leave_requests_for(
    viewer: Any, *, employee: Employee | None = None, status: str | None = None
) -> QuerySet[LeaveRequest]:
    rows = _visible(viewer, LeaveRequest, employee).select_related("leave_type")
    return rows.filter(status=status) if status else rows


def overtime_requests_for(
    viewer: Any, *, employee: Employee | None = None, status: str | None = None
) -> QuerySet[OvertimeRequest]:
    rows = _visible(viewer, OvertimeRequest, employee)
    return rows.filter(status=status) if status else rows


def corrections_for(
    viewer: Any, *, employee: Employee | None = None, status: str | None = None
) -> QuerySet[PunchCorrection]:
    rows = _visible(viewer, PunchCorrection, employee)
    return rows.filter(status=status) if status else rows


def decidable_employees(viewer: Any) -> QuerySet[Employee]:
    """Whose requests the viewer decides: HR everyone but themself, managers their team."""
    if not viewer.is_authenticated or viewer.company_id is None:
        return Employee.objects.none()
    base = Employee.objects.filter(company_id=viewer.company_id).exclude(user_id=viewer.pk)
    if viewer.role == Role.HR_ADMIN:
        return base
    if viewer.role == Role.MANAGER:
        return base.filter(pk__in=sorted(managed_employee_ids(viewer)))
    return base.none()


@dataclass(frozen=True)
class Inbox:
    leave: list[LeaveRequest]
    overtime: list[OvertimeRequest]
    corrections: list[PunchCorrection]

    @property
    def total(self) -> int:
        return len(self.leave) + len(self.overtime) + len(self.corrections)


def approval_inbox(viewer: Any) -> Inbox:
    """Pending requests the viewer may decide, oldest first."""
    people = decidable_employees(viewer)
    pending = {"employee__in": people, "status": ApprovalStatus.PENDING}
    return Inbox(
        leave=list(
            LeaveRequest.objects.filter(**pending)
            .select_related("employee", "leave_type")
            .order_by("created_at")
        ),
        overtime=list(
            OvertimeRequest.objects.filter(**pending)
            .select_related("employee")
            .order_by("created_at")
        ),
        corrections=list(
            PunchCorrection.objects.filter(**pending)
            .select_related("employee")
            .order_by("created_at")
        ),
    )
