"""Leave: types, the balance ledger (grant, carry-over, use, expiry, adjustment), requests.

A balance is the sum of the ledger: nothing is stored that the ledger cannot explain.
Statutory annual leave follows ``jixiao.attendance.leave_entitlement``; comp leave
(调休) lives in the minute ledger of ``services.overtime``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jixiao.attendance.leave_entitlement import add_months, annual_leave_entitlement
from jixiao.attendance.models import (
    ApprovalStatus,
    DayKindChoice,
    LeaveLedgerEntry,
    LeaveRequest,
    LeaveType,
    ShiftType,
)
from jixiao.attendance.schedules_rule import blocks_parse
from jixiao.attendance.selectors.schedules import planned_days
from jixiao.attendance.services import request_flow
from jixiao.attendance.services.results import month_locked_check
from jixiao.audit.services import audit_record, audit_record_many, diff, snapshot
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.org.models import Employee, EmployeeStatus

WORKING_KINDS = frozenset({DayKindChoice.WORKDAY.value, DayKindChoice.MAKEUP_WORKDAY.value})
BALANCE_ACCRUALS = frozenset(
    {LeaveType.Accrual.ANNUAL_STATUTORY.value, LeaveType.Accrual.YEARLY_FIXED.value}
)
ACTIVE_STATUSES = (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
ATTACHMENT_EXTENSIONS = frozenset({".pdf", ".jpg", ".jpeg", ".png", ".heic", ".webp"})
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
#: Custom fields (by code) where HR records cumulative service before joining, in years.
PRIOR_SERVICE_FIELDS = ("prior_service_years", "累计工龄")
HALF = Decimal("0.5")

REQUEST_FIELDS = (
    "leave_type",
    "start",
    "end",
    "days",
    "reason",
    "status",
    "decided_by",
    "decision_note",
)
TYPE_FIELDS = (
    "code",
    "name",
    "paid",
    "accrual",
    "yearly_days",
    "max_days_per_request",
    "carry_over_days",
    "carry_over_expiry_months",
    "requires_attachment",
    "half_day_allowed",
    "counts_calendar_days",
    "counts_as_attendance",
    "active",
    "sort_order",
)


# --- Leave types ----------------------------------------------------------------------


@dataclass(frozen=True)
class StandardType:
    code: str
    name: str
    values: dict[str, Any] = field(default_factory=dict)


STANDARD_TYPES: tuple[StandardType, ...] = (
    # 职工带薪年休假条例: 5/10/15 days by cumulative service.
    StandardType(
        "annual",
        "年假",
        {"accrual": LeaveType.Accrual.ANNUAL_STATUTORY, "carry_over_days": Decimal("5")},
    ),
    StandardType("sick", "病假", {"requires_attachment": True}),
    StandardType("personal", "事假", {"paid": False, "counts_as_attendance": False}),
    StandardType(
        "marriage", "婚假", {"requires_attachment": True, "max_days_per_request": Decimal("3")}
    ),
    # 女职工劳动保护特别规定 Art. 7: 98 calendar days; provinces add their own extras.
    StandardType(
        "maternity",
        "产假",
        {
            "requires_attachment": True,
            "max_days_per_request": Decimal("98"),
            "counts_calendar_days": True,
            "half_day_allowed": False,
        },
    ),
    # Paternity leave is set by each province (commonly 15 days): edit to the local rule.
    StandardType("paternity", "陪产假", {"max_days_per_request": Decimal("15")}),
    StandardType("bereavement", "丧假", {"max_days_per_request": Decimal("3")}),
    StandardType("comp_leave", "调休", {"accrual": LeaveType.Accrual.COMP_LEAVE}),
    # Extra days a company grants (e.g. a reward of 3 days): HR adds them as adjustments.
    StandardType("company_extra", "公司奖励假", {"accrual": LeaveType.Accrual.YEARLY_FIXED}),
)


@transaction.atomic
def leave_types_ensure(*, company: Company, actor: User | None = None) -> list[LeaveType]:
    """Create the standard leave types the company lacks (by code); never overwrite edits."""
    existing = set(LeaveType.objects.filter(company=company).values_list("code", flat=True))
    created: list[LeaveType] = []
    for order, standard in enumerate(STANDARD_TYPES):
        if standard.code in existing:
            continue
        created.append(
            LeaveType.objects.create(
                company=company,
                code=standard.code,
                name=standard.name,
                sort_order=order * 10,
                **standard.values,
            )
        )
    if created:
        audit_record_many(
            company=company,
            actor=actor,
            entries=[
                request_flow.audit_entry(
                    "attendance.leave_type.create", t, snapshot(t, TYPE_FIELDS)
                )
                for t in created
            ],
            reason=_("初始化标准假期类型"),
        )
    return list(LeaveType.objects.filter(company=company))


def _type_values_check(values: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("yearly_days", "carry_over_days", "max_days_per_request"):
        value = values.get(name)
        if value is not None and Decimal(value) < 0:
            errors[name] = [_("不能为负数。")]
    if values.get("accrual", LeaveType.Accrual.NONE) not in LeaveType.Accrual.values:
        errors["accrual"] = [_("未知的额度规则。")]
    if errors:
        raise ServiceError(_("请检查标出的字段。"), fields=errors)


@transaction.atomic
def leave_type_create(*, company: Company, actor: User, **values: Any) -> LeaveType:
    _type_values_check(values)
    code = str(values.get("code", "")).strip()
    if not code:
        raise ServiceError(_("请填写代码。"), fields={"code": [_("请填写代码。")]})
    if LeaveType.objects.filter(company=company, code=code).exists():
        raise ServiceError(
            _("代码已存在。"), code="duplicate", status=409, fields={"code": [_("代码已存在。")]}
        )
    leave_type = LeaveType.objects.create(company=company, **{**values, "code": code})
    audit_record(
        company=company,
        actor=actor,
        action="attendance.leave_type.create",
        obj=leave_type,
        changes=diff({}, snapshot(leave_type, TYPE_FIELDS)),
    )
    return leave_type


@transaction.atomic
def leave_type_update(*, leave_type: LeaveType, actor: User, **values: Any) -> LeaveType:
    """Change a type's rules; its code is its identity and stays."""
    values.pop("code", None)
    _type_values_check(values)
    if (
        "accrual" in values
        and values["accrual"] != leave_type.accrual
        and (
            LeaveLedgerEntry.objects.filter(leave_type=leave_type).exists()
            or LeaveRequest.objects.filter(leave_type=leave_type).exists()
        )
    ):
        raise ServiceError(
            _("该假期已有台账或申请，不能再修改额度规则。"),
            code="in_use",
            status=409,
            fields={"accrual": [_("已在使用中。")]},
        )
    before = snapshot(leave_type, TYPE_FIELDS)
    for name, value in values.items():
        setattr(leave_type, name, value)
    leave_type.save()
    changes = diff(before, snapshot(leave_type, TYPE_FIELDS))
    if changes:
        audit_record(
            company=leave_type.company,
            actor=actor,
            action="attendance.leave_type.update",
            obj=leave_type,
            changes=changes,
        )
    return leave_type


# --- Entitlement, accrual, carry-over, expiry -------------------------------------------


def prior_service_months(employee: Employee) -> int:
    """Cumulative service before joining, from the custom field HR keeps (years, e.g. 8.5)."""
    for code in PRIOR_SERVICE_FIELDS:
        raw = (employee.custom_fields or {}).get(code)
        if raw in (None, ""):
            continue
        try:
            years = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ServiceError(
                _("%(name)s 的累计工龄“%(value)s”不是数字。")
                % {"name": employee.name, "value": raw},
                code="invalid_service",
            ) from None
        if years < 0 or years > 80:
            raise ServiceError(
                _("%(name)s 的累计工龄“%(value)s”超出范围。")
                % {"name": employee.name, "value": raw},
                code="invalid_service",
            )
        return int((years * 12).to_integral_value())
    return 0


def leave_entitlement_days(employee: Employee, leave_type: LeaveType, year: int) -> Decimal:
    """The days a type grants the employee for the year, before carry-over and use."""
    last_day = employee.termination_date if employee.status == EmployeeStatus.LEFT else None
    if leave_type.accrual == LeaveType.Accrual.ANNUAL_STATUTORY:
        return Decimal(
            annual_leave_entitlement(
                year=year,
                hire_date=employee.hire_date,
                prior_service_months=prior_service_months(employee),
                termination_date=last_day,
            ).days
        )
    if leave_type.accrual == LeaveType.Accrual.YEARLY_FIXED:
        first = max(dt.date(year, 1, 1), employee.hire_date)
        last = min(dt.date(year, 12, 31), last_day or dt.date(year, 12, 31))
        if last < first:
            return Decimal(0)
        share = Decimal((last - first).days + 1) / 365 * leave_type.yearly_days
        return min(share.to_integral_value(rounding=ROUND_FLOOR), leave_type.yearly_days)
    return Decimal(0)


@dataclass
class AccrualResult:
    granted: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


@transaction.atomic
def leave_accrue_year(*, company: Company, year: int, actor: User | None) -> AccrualResult:
    """Grant each employee their days for ``year`` of every accruing type.

    Idempotent: a second run grants only the difference to what was granted (e.g.
    after a leaving date was recorded), so running it twice changes nothing.
    """
    result = AccrualResult()
    types = list(
        LeaveType.objects.filter(company=company, active=True, accrual__in=BALANCE_ACCRUALS)
    )
    if not types:
        return result
    employees = Employee.objects.filter(company=company, hire_date__lte=dt.date(year, 12, 31))
    employees = employees.exclude(termination_date__lt=dt.date(year, 1, 1))
    granted = {
        (row["employee_id"], row["leave_type_id"]): row["total"]
        for row in LeaveLedgerEntry.objects.filter(
            company=company, year=year, kind=LeaveLedgerEntry.Kind.GRANT
        )
        .values("employee_id", "leave_type_id")
        .annotate(total=Sum("days"))
    }
    entries: list[LeaveLedgerEntry] = []
    for employee in employees:
        for leave_type in types:
            try:
                days = leave_entitlement_days(employee, leave_type, year)
            except ServiceError as exc:
                result.problems.append(exc.message)
                continue
            delta = days - granted.get((employee.pk, leave_type.pk), Decimal(0))
            if delta == 0:
                result.unchanged += 1
                continue
            entries.append(
                LeaveLedgerEntry(
                    company=company,
                    employee=employee,
                    leave_type=leave_type,
                    year=year,
                    kind=LeaveLedgerEntry.Kind.GRANT,
                    days=delta,
                    reason=_("%(year)d年度%(type)s额度 %(days)s 天")
                    % {"year": year, "type": leave_type.name, "days": days},
                    created_by=actor,
                )
            )
    LeaveLedgerEntry.objects.bulk_create(entries)
    result.granted = len(entries)
    if entries:
        audit_record_many(
            company=company,
            actor=actor,
            entries=[
                request_flow.audit_entry(
                    "attendance.leave_ledger.grant",
                    e,
                    {"employee": e.employee_id, "days": str(e.days), "year": year},
                )
                for e in entries
            ],
            reason=_("年度假期发放"),
        )
    return result


def _balance(employee: Employee, leave_type: LeaveType, year: int) -> Decimal:
    total = LeaveLedgerEntry.objects.filter(
        employee=employee, leave_type=leave_type, year=year
    ).aggregate(total=Sum("days"))["total"]
    return Decimal(total or 0)


@dataclass
class CarryOverResult:
    carried: int = 0
    expired: int = 0


@transaction.atomic
def leave_carry_over(*, company: Company, from_year: int, actor: User | None) -> CarryOverResult:
    """Close ``from_year``: carry up to each type's carry-over days into the next year
    (expiring after ``carry_over_expiry_months``) and let the rest lapse.

    Idempotent: an employee-type already carried into the next year is skipped.
    """
    result = CarryOverResult()
    to_year = from_year + 1
    done = set(
        LeaveLedgerEntry.objects.filter(
            company=company, year=to_year, kind=LeaveLedgerEntry.Kind.CARRY_OVER
        ).values_list("employee_id", "leave_type_id")
    )
    entries: list[LeaveLedgerEntry] = []
    types = LeaveType.objects.filter(company=company, accrual__in=BALANCE_ACCRUALS)
    for leave_type in types:
        expires_on = add_months(
            dt.date(to_year, 1, 1), leave_type.carry_over_expiry_months
        ) - dt.timedelta(days=1)
        balances = (
            LeaveLedgerEntry.objects.filter(company=company, leave_type=leave_type, year=from_year)
            .values("employee_id")
            .annotate(total=Sum("days"))
        )
        for row in balances:
            balance = Decimal(row["total"] or 0)
            if (row["employee_id"], leave_type.pk) in done or balance <= 0:
                continue
            carry = min(balance, leave_type.carry_over_days)
            common = {
                "company": company,
                "employee_id": row["employee_id"],
                "leave_type": leave_type,
                "created_by": actor,
            }
            if carry > 0:
                entries.append(
                    LeaveLedgerEntry(
                        **common,
                        year=from_year,
                        kind=LeaveLedgerEntry.Kind.CARRY_OVER,
                        days=-carry,
                        reason=_("结转至%(year)d年") % {"year": to_year},
                    )
                )
                entries.append(
                    LeaveLedgerEntry(
                        **common,
                        year=to_year,
                        kind=LeaveLedgerEntry.Kind.CARRY_OVER,
                        days=carry,
                        expires_on=expires_on,
                        reason=_("由%(year)d年结转，%(date)s 到期")
                        % {"year": from_year, "date": expires_on.isoformat()},
                    )
                )
                result.carried += 1
            if balance > carry:
                entries.append(
                    LeaveLedgerEntry(
                        **common,
                        year=from_year,
                        kind=LeaveLedgerEntry.Kind.EXPIRY,
                        days=-(balance - carry),
                        reason=_("超出可结转天数，年度结束作废"),
                    )
                )
                result.expired += 1
    LeaveLedgerEntry.objects.bulk_create(entries)
    if entries:
        audit_record_many(
            company=company,
            actor=actor,
            entries=[
                request_flow.audit_entry(
                    "attendance.leave_ledger.carry_over",
                    e,
                    {
                        "employee": e.employee_id,
                        "kind": e.kind,
                        "days": str(e.days),
                        "year": e.year,
                    },
                )
                for e in entries
            ],
            reason=_("%(year)d年度假期结转") % {"year": from_year},
        )
    return result


@transaction.atomic
def leave_carry_over_expire(*, company: Company, today: dt.date, actor: User | None = None) -> int:
    """Lapse the unused part of carried-over days whose expiry date has passed.

    Days used go against the carried-over days first (they expire first). Safe to
    run twice: an expiry already written for a carry-over is not written again.
    """
    carried = LeaveLedgerEntry.objects.filter(
        company=company, kind=LeaveLedgerEntry.Kind.CARRY_OVER, days__gt=0, expires_on__lt=today
    )
    entries: list[LeaveLedgerEntry] = []
    for carry in carried:
        assert carry.expires_on is not None  # filtered on expires_on__lt above
        key = {
            "employee_id": carry.employee_id,
            "leave_type_id": carry.leave_type_id,
            "year": carry.year,
        }
        if LeaveLedgerEntry.objects.filter(
            **key, kind=LeaveLedgerEntry.Kind.EXPIRY, expires_on=carry.expires_on
        ).exists():
            continue
        used = -Decimal(
            LeaveLedgerEntry.objects.filter(
                **key,
                kind=LeaveLedgerEntry.Kind.USE,
                leave_request__start__date__lte=carry.expires_on,
            ).aggregate(total=Sum("days"))["total"]
            or 0
        )
        balance = Decimal(
            LeaveLedgerEntry.objects.filter(**key).aggregate(total=Sum("days"))["total"] or 0
        )
        lapse = min(max(carry.days - used, Decimal(0)), balance)
        if lapse <= 0:
            continue
        entries.append(
            LeaveLedgerEntry(
                company=company,
                **key,
                kind=LeaveLedgerEntry.Kind.EXPIRY,
                days=-lapse,
                expires_on=carry.expires_on,
                reason=_("结转假期 %(date)s 到期未用") % {"date": carry.expires_on.isoformat()},
                created_by=actor,
            )
        )
    LeaveLedgerEntry.objects.bulk_create(entries)
    if entries:
        audit_record_many(
            company=company,
            actor=actor,
            entries=[
                request_flow.audit_entry(
                    "attendance.leave_ledger.expire",
                    e,
                    {"employee": e.employee_id, "days": str(e.days)},
                )
                for e in entries
            ],
            reason=_("结转假期到期"),
        )
    return len(entries)


@transaction.atomic
def leave_balance_adjust(
    *,
    employee: Employee,
    leave_type: LeaveType,
    year: int,
    days: Decimal,
    reason: str,
    actor: User,
) -> LeaveLedgerEntry:
    """HR's correction of a balance (or a company reward of extra days), with its reason."""
    if leave_type.accrual == LeaveType.Accrual.COMP_LEAVE:
        raise ServiceError(
            _("调休余额来自加班记录，不能直接调整。"),
            fields={"leave_type_id": [_("调休余额来自加班记录，不能直接调整。")]},
        )
    if days == 0:
        raise ServiceError(_("调整天数不能为 0。"), fields={"days": [_("调整天数不能为 0。")]})
    if (days * 2) != (days * 2).to_integral_value():
        raise ServiceError(
            _("调整天数须为 0.5 的整数倍。"), fields={"days": [_("调整天数须为 0.5 的整数倍。")]}
        )
    if not reason.strip():
        raise ServiceError(_("请填写调整原因。"), fields={"reason": [_("请填写调整原因。")]})
    entry = LeaveLedgerEntry.objects.create(
        company=employee.company,
        employee=employee,
        leave_type=leave_type,
        year=year,
        kind=LeaveLedgerEntry.Kind.ADJUSTMENT,
        days=days,
        reason=reason.strip()[:300],
        created_by=actor,
    )
    balance = _balance(employee, leave_type, year)
    audit_record(
        company=employee.company,
        actor=actor,
        action="attendance.leave_ledger.adjust",
        obj=entry,
        # Fixed two decimals: the sum comes back as 3 on SQLite and 3.00 on PostgreSQL.
        changes={"balance": [f"{balance - days:.2f}", f"{balance:.2f}"]},
        reason=entry.reason,
    )
    return entry


# --- Requests -------------------------------------------------------------------------


def leave_days_compute(
    *, employee: Employee, leave_type: LeaveType, start: dt.datetime, end: dt.datetime
) -> Decimal:
    """Working days in ``[start, end)``, in halves of 0.5.

    Office staff follow their calendar: each workday or make-up workday counts its
    morning (before 12:00) and afternoon (from 12:00) halves the leave touches. Shift
    workers follow their roster (or rotation): each rostered shift counts its halves —
    the two blocks of a split shift, or the two halves of a single block — and a
    rostered day off counts nothing, whatever the calendar says; a night shift belongs
    to the date it starts. A shift worker's date with neither roster nor rotation is a
    clear error, never a guess. Types counted in calendar days (maternity) count every date.
    """
    zone = request_flow.employee_zone(employee)
    dates = request_flow.local_dates(employee, start, end)
    if leave_type.counts_calendar_days:
        return sum(
            (_overlap_halves(_calendar_halves(day, zone), start, end) for day in dates),
            Decimal(0),
        )
    # The shift that started the evening before may reach into the first date.
    plan = planned_days(employee, [dates[0] - dt.timedelta(days=1), *dates])
    by_calendar = [day for day in dates if not plan[day].by_roster]
    kinds = request_flow.calendar_kinds(employee, by_calendar)
    unrostered = [day for day in dates if plan[day].by_roster and not plan[day].rostered]
    if unrostered:
        message = _("%(dates)s 尚未排班，无法计算请假天数，请先请主管排班。") % {
            "dates": "、".join(day.isoformat() for day in unrostered[:5])
        }
        raise ServiceError(message, code="roster_missing", status=422, fields={"start": [message]})
    total = Decimal(0)
    for day, planned in plan.items():
        if planned.by_roster:
            if planned.rostered_to_work and planned.shift is not None:
                total += _overlap_halves(_shift_halves(day, planned.shift, zone), start, end)
        elif day in kinds and kinds[day] in WORKING_KINDS:
            total += _overlap_halves(_calendar_halves(day, zone), start, end)
    return total


Span = tuple[dt.datetime, dt.datetime]


def leave_span(
    *,
    employee: Employee,
    start_date: dt.date,
    start_half: str,
    end_date: dt.date,
    end_half: str,
) -> Span:
    """The instants of a leave asked for by dates and halves ("am"/"pm"), as the form does.

    Office staff: a morning ends and an afternoon starts at 12:00. Shift workers: the
    halves of the shift rostered that date (a day off keeps 00:00/12:00), and a leave
    starting on a date never reaches back into the previous evening's night shift.
    """
    zone = request_flow.employee_zone(employee)
    plan = planned_days(employee, [start_date - dt.timedelta(days=1), start_date, end_date])
    first = plan[start_date]
    if first.rostered_to_work and first.shift is not None:
        halves = _shift_halves(start_date, first.shift, zone)
        start = halves[1][0] if start_half == "pm" else halves[0][0]
    else:
        start = _calendar_halves(start_date, zone)[1 if start_half == "pm" else 0][0]
        before = plan[start_date - dt.timedelta(days=1)]
        if before.rostered_to_work and before.shift is not None:
            night_end = _shift_halves(start_date - dt.timedelta(days=1), before.shift, zone)[-1][1]
            start = max(start, night_end)
    last = plan[end_date]
    if last.rostered_to_work and last.shift is not None:
        halves = _shift_halves(end_date, last.shift, zone)
        end = halves[0][1] if end_half == "am" else halves[1][1]
    else:
        end = _calendar_halves(end_date, zone)[0 if end_half == "am" else 1][1]
    return start, end


def _calendar_halves(day: dt.date, zone: dt.tzinfo) -> list[Span]:
    """Morning (before 12:00) and afternoon (from 12:00) of a calendar date."""
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=zone)
    next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return [(midnight, noon), (noon, next_midnight)]


def _shift_halves(day: dt.date, shift: ShiftType, zone: dt.tzinfo) -> list[Span]:
    """The two half days of a shift starting on ``day``: its two blocks (split shift), or
    its one block cut in the middle; instants in UTC, so a DST night is measured right."""
    spans: list[Span] = []
    previous_end: dt.datetime | None = None
    for block in blocks_parse(shift.blocks):
        begin = dt.datetime.combine(day, block.start, tzinfo=zone)
        if previous_end is not None and begin < previous_end:
            begin = dt.datetime.combine(day + dt.timedelta(days=1), block.start, tzinfo=zone)
        finish = dt.datetime.combine(begin.date(), block.end, tzinfo=zone)
        if finish <= begin:
            finish = dt.datetime.combine(
                begin.date() + dt.timedelta(days=1), block.end, tzinfo=zone
            )
        previous_end = finish
        spans.append((begin.astimezone(dt.UTC), finish.astimezone(dt.UTC)))
    if not spans:
        return _calendar_halves(day, zone)
    if len(spans) == 1:
        begin, finish = spans[0]
        middle = begin + (finish - begin) / 2
        return [(begin, middle), (middle, finish)]
    return spans[:2]


def _overlap_halves(halves: list[Span], start: dt.datetime, end: dt.datetime) -> Decimal:
    return sum((HALF for lo, hi in halves if start < hi and end > lo), Decimal(0))


def _attachment_check(attachment: File | None) -> None:  # type: ignore[type-arg]
    if attachment is None:
        return
    extension = os.path.splitext(attachment.name or "")[1].lower()
    if extension not in ATTACHMENT_EXTENSIONS:
        raise ServiceError(
            _("附件须为 PDF 或图片（jpg、png、heic、webp）。"),
            fields={"attachment": [_("附件须为 PDF 或图片（jpg、png、heic、webp）。")]},
        )
    if attachment.size is not None and attachment.size > ATTACHMENT_MAX_BYTES:
        raise ServiceError(
            _("附件不能超过 5 MB。"), fields={"attachment": [_("附件不能超过 5 MB。")]}
        )


def _pending_days(employee: Employee, leave_type: LeaveType, year: int, *, exclude: int) -> Decimal:
    total = (
        LeaveRequest.objects.filter(
            employee=employee,
            leave_type=leave_type,
            status=ApprovalStatus.PENDING,
            start__year=year,
        )
        .exclude(pk=exclude)
        .aggregate(total=Sum("days"))["total"]
    )
    return Decimal(total or 0)


def _snapshot(leave_request: LeaveRequest) -> dict[str, Any]:
    """The audited fields; the attachment by its stored name."""
    return {
        **snapshot(leave_request, REQUEST_FIELDS),
        "attachment": leave_request.attachment.name or "",
    }


def _fmt(days: Decimal) -> str:
    text = f"{days.normalize():f}"
    return text


def _balance_check(leave_request: LeaveRequest, *, count_pending: bool) -> None:
    """Balance-based types must cover the request; pending requests reserve their days."""
    leave_type = leave_request.leave_type
    employee = leave_request.employee
    if leave_type.accrual == LeaveType.Accrual.COMP_LEAVE:
        from jixiao.attendance.services.overtime import comp_leave_available_minutes

        zone = request_flow.employee_zone(employee)
        on = leave_request.start.astimezone(zone).date()
        available = Decimal(comp_leave_available_minutes(employee=employee, on=on))
        if count_pending:
            available -= comp_leave_pending_minutes(employee, exclude=leave_request.pk)
        wanted = leave_request.days * COMP_LEAVE_DAY_MINUTES
        if wanted > available:
            raise ServiceError(
                _("调休余额不足：剩余 %(left)s 小时，申请 %(asked)s 小时")
                % {"left": _fmt(available / 60), "asked": _fmt(wanted / 60)},
                code="insufficient_balance",
                fields={"days": [_("调休余额不足")]},
            )
        return
    if leave_type.accrual not in BALANCE_ACCRUALS:
        return
    year = leave_request.start.astimezone(request_flow.employee_zone(employee)).year
    left = _balance(employee, leave_type, year)
    if count_pending:
        left -= _pending_days(employee, leave_type, year, exclude=leave_request.pk or 0)
    if leave_request.days > left:
        raise ServiceError(
            _("%(type)s余额不足：剩余 %(left)s 天，申请 %(asked)s 天")
            % {"type": leave_type.name, "left": _fmt(left), "asked": _fmt(leave_request.days)},
            code="insufficient_balance",
            fields={"days": [_("余额不足")]},
        )


#: A comp-leave day is eight hours of the ledger's minutes.
COMP_LEAVE_DAY_MINUTES = 480


def comp_leave_pending_minutes(employee: Employee, *, exclude: int | None = None) -> Decimal:
    total = (
        LeaveRequest.objects.filter(
            employee=employee,
            leave_type__accrual=LeaveType.Accrual.COMP_LEAVE,
            status=ApprovalStatus.PENDING,
        )
        .exclude(pk=exclude or 0)
        .aggregate(total=Sum("days"))["total"]
    )
    return Decimal(total or 0) * COMP_LEAVE_DAY_MINUTES


def _span_check(
    employee: Employee, leave_type: LeaveType, start: dt.datetime, end: dt.datetime
) -> Decimal:
    if end <= start:
        raise ServiceError(
            _("结束时间必须晚于开始时间。"), fields={"end": [_("结束时间必须晚于开始时间。")]}
        )
    zone = request_flow.employee_zone(employee)
    if start.astimezone(zone).year != (end - dt.timedelta(microseconds=1)).astimezone(zone).year:
        raise ServiceError(
            _("请假不能跨年度，请按年度分开申请。"),
            fields={"end": [_("请假不能跨年度，请按年度分开申请。")]},
        )
    days = leave_days_compute(employee=employee, leave_type=leave_type, start=start, end=end)
    if days <= 0:
        raise ServiceError(
            _("所选时间内没有需要请假的工作日。"),
            fields={"start": [_("所选时间内没有需要请假的工作日。")]},
        )
    if not leave_type.half_day_allowed and days != days.to_integral_value():
        raise ServiceError(
            _("%(type)s不能按半天申请。") % {"type": leave_type.name},
            fields={"end": [_("不能按半天申请。")]},
        )
    if leave_type.max_days_per_request is not None and days > leave_type.max_days_per_request:
        raise ServiceError(
            _("%(type)s单次最多 %(max)s 天，本次 %(days)s 天。")
            % {
                "type": leave_type.name,
                "max": _fmt(leave_type.max_days_per_request),
                "days": _fmt(days),
            },
            fields={"end": [_("超过单次上限。")]},
        )
    return days


def _overlap_check(employee: Employee, start: dt.datetime, end: dt.datetime) -> None:
    clash = (
        LeaveRequest.objects.filter(
            employee=employee, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start
        )
        .select_related("leave_type")
        .first()
    )
    if clash is not None:
        zone = request_flow.employee_zone(employee)
        raise ServiceError(
            _("与已有的%(type)s申请（%(start)s 至 %(end)s）时间重叠。")
            % {
                "type": clash.leave_type.name,
                "start": clash.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                "end": clash.end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            },
            code="overlap",
            status=409,
        )


def _inbox_link(tab: str) -> str:
    return f"{reverse('attendance:requests_inbox')}?tab={tab}"


def leave_request_text(leave_request: LeaveRequest) -> str:
    zone = request_flow.employee_zone(leave_request.employee)
    return _("%(type)s %(start)s 至 %(end)s，共 %(days)s 天") % {
        "type": leave_request.leave_type.name,
        "start": leave_request.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "end": leave_request.end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "days": _fmt(leave_request.days),
    }


@transaction.atomic
def leave_request_create(
    *,
    employee: Employee,
    leave_type: LeaveType,
    start: dt.datetime,
    end: dt.datetime,
    reason: str,
    actor: User,
    attachment: File | None = None,  # type: ignore[type-arg]
) -> LeaveRequest:
    """Submit a leave request (the employee for themself, or HR for anyone).

    Naive times are the employee's wall-clock times. Refused when the type is
    inactive, days cannot be computed (calendar missing), it overlaps another
    request (409), the balance does not cover it, or a required attachment is missing.
    """
    if not leave_type.active:
        raise ServiceError(
            _("该假期类型已停用。"), fields={"leave_type_id": [_("该假期类型已停用。")]}
        )
    start = request_flow.as_employee_time(start, employee)
    end = request_flow.as_employee_time(end, employee)
    days = _span_check(employee, leave_type, start, end)
    if leave_type.requires_attachment and attachment is None:
        raise ServiceError(
            _("%(type)s需要上传证明材料。") % {"type": leave_type.name},
            code="attachment_required",
            fields={"attachment": [_("请上传证明材料。")]},
        )
    _attachment_check(attachment)
    month_locked_check(
        company=employee.company, dates=request_flow.local_dates(employee, start, end)
    )
    _overlap_check(employee, start, end)
    leave_request = LeaveRequest(
        company=employee.company,
        employee=employee,
        leave_type=leave_type,
        start=start,
        end=end,
        days=days,
        reason=reason.strip()[:500],
    )
    _balance_check(leave_request, count_pending=True)
    if attachment is not None:
        leave_request.attachment.save(
            os.path.basename(attachment.name or "附件"), attachment, save=False
        )
    leave_request.save()
    audit_record(
        company=employee.company,
        actor=actor,
        action="attendance.leave_request.create",
        obj=leave_request,
        changes=diff({}, _snapshot(leave_request)),
        reason=leave_request.reason,
    )
    request_flow.notify_people(
        request_flow.approvers_of(employee),
        title=format_lazy(gettext_lazy("{name} 提交了请假申请"), name=employee.name),
        body=request_flow.reader_text(lambda: leave_request_text(leave_request)),
        link=_inbox_link("leave"),
    )
    return leave_request


def _use_entry(leave_request: LeaveRequest, actor: User, *, reverse_use: bool) -> None:
    """Write the request's movement: days used on approval, given back on cancellation."""
    if leave_request.leave_type.accrual == LeaveType.Accrual.COMP_LEAVE:
        from jixiao.attendance.services.overtime import comp_leave_consume, comp_leave_restore

        if reverse_use:
            comp_leave_restore(leave_request=leave_request)
        else:
            comp_leave_consume(
                leave_request=leave_request,
                minutes=int(leave_request.days * COMP_LEAVE_DAY_MINUTES),
            )
        return
    zone = request_flow.employee_zone(leave_request.employee)
    LeaveLedgerEntry.objects.create(
        company=leave_request.company,
        employee=leave_request.employee,
        leave_type=leave_request.leave_type,
        year=leave_request.start.astimezone(zone).year,
        kind=LeaveLedgerEntry.Kind.USE,
        days=leave_request.days if reverse_use else -leave_request.days,
        reason=(_("撤回请假，返还额度") if reverse_use else _("请假 %(text)s"))
        % {"text": leave_request_text(leave_request)},
        leave_request=leave_request,
        created_by=actor,
    )


def _dates(leave_request: LeaveRequest) -> list[dt.date]:
    return request_flow.local_dates(leave_request.employee, leave_request.start, leave_request.end)


@transaction.atomic
def leave_request_approve(
    *, leave_request: LeaveRequest, actor: User, note: str = ""
) -> LeaveRequest:
    """Approve: the days are used from the balance and the days are recomputed."""
    leave_request = LeaveRequest.objects.select_for_update().get(pk=leave_request.pk)
    request_flow.decision_check(leave_request, actor)
    month_locked_check(company=leave_request.company, dates=_dates(leave_request))
    _balance_check(leave_request, count_pending=False)
    before = _snapshot(leave_request)
    leave_request.status = ApprovalStatus.APPROVED
    leave_request.decided_by = actor
    leave_request.decided_at = timezone.now()
    leave_request.decision_note = note.strip()[:500]
    leave_request.save()
    _use_entry(leave_request, actor, reverse_use=False)
    audit_record(
        company=leave_request.company,
        actor=actor,
        action="attendance.leave_request.approve",
        obj=leave_request,
        changes=diff(before, _snapshot(leave_request)),
        reason=leave_request.decision_note,
    )
    _decision_notify(leave_request, approved=True)
    request_flow.recompute(
        company=leave_request.company, employee=leave_request.employee, dates=_dates(leave_request)
    )
    return leave_request


@transaction.atomic
def leave_request_reject(*, leave_request: LeaveRequest, actor: User, note: str) -> LeaveRequest:
    leave_request = LeaveRequest.objects.select_for_update().get(pk=leave_request.pk)
    request_flow.decision_check(leave_request, actor)
    if not note.strip():
        raise ServiceError(_("驳回时请填写原因。"), fields={"note": [_("驳回时请填写原因。")]})
    before = _snapshot(leave_request)
    leave_request.status = ApprovalStatus.REJECTED
    leave_request.decided_by = actor
    leave_request.decided_at = timezone.now()
    leave_request.decision_note = note.strip()[:500]
    leave_request.save()
    audit_record(
        company=leave_request.company,
        actor=actor,
        action="attendance.leave_request.reject",
        obj=leave_request,
        changes=diff(before, _snapshot(leave_request)),
        reason=leave_request.decision_note,
    )
    _decision_notify(leave_request, approved=False)
    return leave_request


def _decision_notify(leave_request: LeaveRequest, *, approved: bool) -> None:
    title = gettext_lazy("你的请假申请已通过") if approved else gettext_lazy("你的请假申请被驳回")

    def body() -> str:
        text = leave_request_text(leave_request)
        if leave_request.decision_note:
            text += "\n" + _("审批意见：%(note)s") % {"note": leave_request.decision_note}
        return text

    request_flow.notify_people(
        [leave_request.employee.user],
        title=title,
        body=request_flow.reader_text(body),
        link=reverse("attendance:requests_mine"),
    )


@transaction.atomic
def leave_request_cancel(
    *, leave_request: LeaveRequest, actor: User, reason: str = ""
) -> LeaveRequest:
    """Withdraw a pending request, or an approved one that has not started (days come back)."""
    leave_request = LeaveRequest.objects.select_for_update().get(pk=leave_request.pk)
    was_approved = leave_request.status == ApprovalStatus.APPROVED
    if leave_request.status == ApprovalStatus.PENDING:
        pass
    elif was_approved and leave_request.start > timezone.now():
        month_locked_check(company=leave_request.company, dates=_dates(leave_request))
    else:
        raise ServiceError(
            _("只能撤回待审批或尚未开始的请假。"), code="not_cancellable", status=409
        )
    before = _snapshot(leave_request)
    leave_request.status = ApprovalStatus.CANCELLED
    leave_request.save()
    if was_approved:
        _use_entry(leave_request, actor, reverse_use=True)
    audit_record(
        company=leave_request.company,
        actor=actor,
        action="attendance.leave_request.cancel",
        obj=leave_request,
        changes=diff(before, _snapshot(leave_request)),
        reason=reason.strip()[:500],
    )
    if was_approved:
        request_flow.notify_people(
            request_flow.approvers_of(leave_request.employee),
            title=format_lazy(
                gettext_lazy("{name} 撤回了已批准的请假"), name=leave_request.employee.name
            ),
            body=request_flow.reader_text(lambda: leave_request_text(leave_request)),
            link=_inbox_link("leave"),
        )
        request_flow.recompute(
            company=leave_request.company,
            employee=leave_request.employee,
            dates=_dates(leave_request),
        )
    return leave_request


def leave_balance(employee: Employee, leave_type: LeaveType, year: int) -> Decimal:
    """The ledger's sum for one employee, type and year."""
    return _balance(employee, leave_type, year)
