"""Overtime requests and the comp-leave (调休) ledger.

Labour Law Art. 41 caps overtime at 3 h a day and 36 h a month: a request beyond
the company's caps is warned about (to the approver, and in the audit trail), never
silently cut. Art. 44: rest-day work may be compensated by comp leave instead of
200 % pay; statutory-holiday work must be paid at 300 % and cannot be.

The comp-leave ledger holds lots: one positive entry per work date (earned by
rest-day work), and negative entries with the same work date for minutes used or
expired. A lot's remainder is the sum of its entries; leave uses the oldest
unexpired lots first (FIFO).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jixiao.attendance.models import (
    ApprovalStatus,
    AttendancePolicy,
    CompLeaveEntry,
    DayKindChoice,
    LeaveRequest,
    OvertimeRequest,
    SystemChoice,
)
from jixiao.attendance.selectors.schedules import PlannedDay, planned_days
from jixiao.attendance.services import request_flow
from jixiao.attendance.services.results import month_locked_check
from jixiao.audit.services import audit_record, audit_record_many, diff, snapshot
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.org.models import Employee

REQUEST_FIELDS = (
    "start",
    "end",
    "compensation",
    "reason",
    "status",
    "decided_by",
    "decision_note",
)
ACTIVE_STATUSES = (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
MAX_SPAN = dt.timedelta(hours=24)


def policy_of(company: Company) -> AttendancePolicy:
    """The company's attendance rules (defaults when HR never saved them)."""
    policy = AttendancePolicy.objects.filter(company=company).first()
    return policy or AttendancePolicy(company=company)


# --- Overtime requests ------------------------------------------------------------------


def _minutes_by_date(
    employee: Employee, start: dt.datetime, end: dt.datetime
) -> dict[dt.date, int]:
    """Minutes of ``[start, end)`` on each of the employee's local dates."""
    zone = request_flow.employee_zone(employee)
    result: dict[dt.date, int] = defaultdict(int)
    for day in request_flow.local_dates(employee, start, end):
        day_start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
        day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        overlap = min(end, day_end) - max(start, day_start)
        if overlap > dt.timedelta(0):
            result[day] += int(overlap.total_seconds() // 60)
    return dict(result)


def overtime_warnings(overtime: OvertimeRequest) -> list[str]:
    """Cap warnings (Labour Law Art. 41) counting this request with the employee's other
    pending and approved overtime of the same days and months."""
    employee = overtime.employee
    policy = policy_of(overtime.company)
    mine = _minutes_by_date(employee, overtime.start, overtime.end)
    if not mine:
        return []
    first, last = min(mine), max(mine)
    month_start = first.replace(day=1)
    month_end = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    zone = request_flow.employee_zone(employee)
    window_start = dt.datetime.combine(month_start, dt.time(0), tzinfo=zone)
    window_end = dt.datetime.combine(month_end, dt.time(0), tzinfo=zone)
    others = OvertimeRequest.objects.filter(
        employee=employee, status__in=ACTIVE_STATUSES, start__lt=window_end, end__gt=window_start
    ).exclude(pk=overtime.pk or 0)
    per_day: dict[dt.date, int] = defaultdict(int, mine)
    for other in others:
        for day, minutes in _minutes_by_date(employee, other.start, other.end).items():
            per_day[day] += minutes
    warnings: list[str] = []
    for day in sorted(mine):
        if per_day[day] > policy.daily_overtime_cap_minutes:
            warnings.append(
                _("%(date)s 加班共 %(hours)s 小时，超过每日上限 %(cap)s 小时（劳动法第四十一条）")
                % {
                    "date": day.isoformat(),
                    "hours": _hours(per_day[day]),
                    "cap": _hours(policy.daily_overtime_cap_minutes),
                }
            )
    months = sorted({(d.year, d.month) for d in mine})
    for year, month in months:
        total = sum(m for d, m in per_day.items() if (d.year, d.month) == (year, month))
        if total > policy.monthly_overtime_cap_minutes:
            warnings.append(
                _(
                    "%(year)d年%(month)d月加班共 %(hours)s 小时，超过每月上限 %(cap)s 小时（劳动法第四十一条）"
                )
                % {
                    "year": year,
                    "month": month,
                    "hours": _hours(total),
                    "cap": _hours(policy.monthly_overtime_cap_minutes),
                }
            )
    return warnings


def _hours(minutes: int) -> str:
    hours = minutes / 60
    return f"{hours:g}" if hours == int(hours) else f"{hours:.1f}"


def overtime_request_text(overtime: OvertimeRequest) -> str:
    zone = request_flow.employee_zone(overtime.employee)
    minutes = int((overtime.end - overtime.start).total_seconds() // 60)
    return _("%(start)s 至 %(end)s，%(hours)s 小时，%(comp)s") % {
        "start": overtime.start.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "end": overtime.end.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "hours": _hours(minutes),
        "comp": overtime.get_compensation_display(),
    }


@transaction.atomic
def overtime_request_create(
    *,
    employee: Employee,
    start: dt.datetime,
    end: dt.datetime,
    reason: str,
    compensation: str,
    actor: User,
) -> OvertimeRequest:
    """Ask for overtime (before or after the fact); caps only warn, the holiday rule refuses."""
    start = request_flow.as_employee_time(start, employee)
    end = request_flow.as_employee_time(end, employee)
    if compensation not in OvertimeRequest.Compensation.values:
        raise ServiceError(_("未知的补偿方式。"), fields={"compensation": [_("未知的补偿方式。")]})
    if end <= start:
        raise ServiceError(
            _("结束时间必须晚于开始时间。"), fields={"end": [_("结束时间必须晚于开始时间。")]}
        )
    if end - start > MAX_SPAN:
        raise ServiceError(
            _("单次加班不能超过 24 小时，请分开申请。"),
            fields={"end": [_("单次加班不能超过 24 小时，请分开申请。")]},
        )
    if not reason.strip():
        raise ServiceError(_("请填写加班原因。"), fields={"reason": [_("请填写加班原因。")]})
    dates = request_flow.local_dates(employee, start, end)
    if compensation == OvertimeRequest.Compensation.COMP_LEAVE:
        _comp_leave_days_check(employee, sorted(_minutes_by_date(employee, start, end)))
    else:
        request_flow.calendar_kinds(employee, dates)  # a missing calendar is a clear error
    month_locked_check(company=employee.company, dates=dates)
    clash = OvertimeRequest.objects.filter(
        employee=employee, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start
    ).first()
    if clash is not None:
        raise ServiceError(
            _("与已有的加班申请（%(text)s）时间重叠。") % {"text": overtime_request_text(clash)},
            code="overlap",
            status=409,
        )
    overtime = OvertimeRequest.objects.create(
        company=employee.company,
        employee=employee,
        start=start,
        end=end,
        compensation=compensation,
        reason=reason.strip()[:500],
    )
    warnings = overtime_warnings(overtime)
    audit_record(
        company=employee.company,
        actor=actor,
        action="attendance.overtime_request.create",
        obj=overtime,
        changes=diff({}, snapshot(overtime, REQUEST_FIELDS)),
        reason="；".join([overtime.reason, *warnings]),
    )

    def body() -> str:
        # Rendered per approver, in their language: the cap warnings too.
        return "\n".join([overtime_request_text(overtime), *overtime_warnings(overtime)])

    request_flow.notify_people(
        request_flow.approvers_of(employee),
        title=format_lazy(gettext_lazy("{name} 提交了加班申请"), name=employee.name),
        body=request_flow.reader_text(body),
        link=f"{reverse('attendance:requests_inbox')}?tab=overtime",
    )
    return overtime


#: Systems without a rest-day category of overtime: comprehensive hours judge the period
#: total, unfixed hours have no overtime; only the holiday rule applies to them.
NO_REST_DAY_SYSTEMS = frozenset({SystemChoice.COMPREHENSIVE.value, SystemChoice.UNFIXED.value})


def rest_day_of(planned: PlannedDay, kind: str) -> bool:
    """Whether a date is the employee's rest day (Labour Law Art. 44: 200 % or comp leave).

    Shift workers by their roster: a rostered day off is a rest day even on a calendar
    workday, a rostered shift on a Saturday is a workday. Everyone else by the calendar.
    """
    if planned.by_roster:
        return planned.rostered and planned.shift is None
    return kind in (DayKindChoice.REST_DAY, DayKindChoice.COMPANY_REST_DAY)


def _comp_leave_days_check(employee: Employee, dates: list[dt.date]) -> None:
    """Comp leave (调休) replaces only rest-day overtime pay: refused on statutory holidays
    (300 %, always paid) and on the employee's workdays (150 %, always paid)."""
    kinds = request_flow.calendar_kinds(employee, dates)
    if any(kinds[day] == DayKindChoice.STATUTORY_HOLIDAY for day in dates):
        raise ServiceError(
            _("法定节假日加班不能以调休代替，须支付不低于300%的加班费（劳动法第四十四条）。"),
            code="statutory_holiday_comp_leave",
            fields={"compensation": [_("法定节假日加班不能以调休代替")]},
        )
    plan = planned_days(employee, dates)
    unrostered = [day for day in dates if plan[day].by_roster and not plan[day].rostered]
    if unrostered:
        message = _("%(dates)s 尚未排班，无法判断是否休息日，请先请主管排班。") % {
            "dates": "、".join(day.isoformat() for day in unrostered[:5])
        }
        raise ServiceError(message, code="roster_missing", fields={"compensation": [message]})
    workdays = [
        day
        for day in dates
        if plan[day].system not in NO_REST_DAY_SYSTEMS and not rest_day_of(plan[day], kinds[day])
    ]
    if workdays:
        raise ServiceError(
            _(
                "%(dates)s 是%(name)s的工作日：工作日延长工作时间须支付不低于150%%的加班费，"
                "只有休息日加班可以调休（劳动法第四十四条）。"
            )
            % {"dates": "、".join(day.isoformat() for day in workdays[:5]), "name": employee.name},
            code="workday_comp_leave",
            fields={"compensation": [_("工作日加班不能以调休代替")]},
        )


def _overtime_dates(overtime: OvertimeRequest) -> list[dt.date]:
    return request_flow.local_dates(overtime.employee, overtime.start, overtime.end)


def _decide(overtime: OvertimeRequest, actor: User, status: str, note: str) -> OvertimeRequest:
    before = snapshot(overtime, REQUEST_FIELDS)
    overtime.status = status
    overtime.decided_by = actor
    overtime.decided_at = timezone.now()
    overtime.decision_note = note.strip()[:500]
    overtime.save()
    warnings = overtime_warnings(overtime) if status == ApprovalStatus.APPROVED else []
    audit_record(
        company=overtime.company,
        actor=actor,
        action="attendance.overtime_request."
        + ("approve" if status == ApprovalStatus.APPROVED else "reject"),
        obj=overtime,
        changes=diff(before, snapshot(overtime, REQUEST_FIELDS)),
        reason="；".join(x for x in [overtime.decision_note, *warnings] if x),
    )
    approved = status == ApprovalStatus.APPROVED

    def body() -> str:
        text = overtime_request_text(overtime)
        if overtime.decision_note:
            text += "\n" + _("审批意见：%(note)s") % {"note": overtime.decision_note}
        return text

    request_flow.notify_people(
        [overtime.employee.user],
        title=gettext_lazy("你的加班申请已通过")
        if approved
        else gettext_lazy("你的加班申请被驳回"),
        body=request_flow.reader_text(body),
        link=reverse("attendance:requests_mine"),
    )
    return overtime


@transaction.atomic
def overtime_request_approve(
    *, overtime: OvertimeRequest, actor: User, note: str = ""
) -> OvertimeRequest:
    """Approve (cap warnings go into the audit reason) and recompute the days it touches."""
    overtime = OvertimeRequest.objects.select_for_update().get(pk=overtime.pk)
    request_flow.decision_check(overtime, actor)
    month_locked_check(company=overtime.company, dates=_overtime_dates(overtime))
    _decide(overtime, actor, ApprovalStatus.APPROVED, note)
    request_flow.recompute(
        company=overtime.company, employee=overtime.employee, dates=_overtime_dates(overtime)
    )
    return overtime


@transaction.atomic
def overtime_request_reject(
    *, overtime: OvertimeRequest, actor: User, note: str
) -> OvertimeRequest:
    overtime = OvertimeRequest.objects.select_for_update().get(pk=overtime.pk)
    request_flow.decision_check(overtime, actor)
    if not note.strip():
        raise ServiceError(_("驳回时请填写原因。"), fields={"note": [_("驳回时请填写原因。")]})
    return _decide(overtime, actor, ApprovalStatus.REJECTED, note)


@transaction.atomic
def overtime_request_cancel(
    *, overtime: OvertimeRequest, actor: User, reason: str = ""
) -> OvertimeRequest:
    """Withdraw a pending request, or an approved one that has not started yet."""
    overtime = OvertimeRequest.objects.select_for_update().get(pk=overtime.pk)
    was_approved = overtime.status == ApprovalStatus.APPROVED
    if not (
        overtime.status == ApprovalStatus.PENDING
        or (was_approved and overtime.start > timezone.now())
    ):
        raise ServiceError(
            _("只能撤回待审批或尚未开始的加班。"), code="not_cancellable", status=409
        )
    if was_approved:
        month_locked_check(company=overtime.company, dates=_overtime_dates(overtime))
    before = snapshot(overtime, REQUEST_FIELDS)
    overtime.status = ApprovalStatus.CANCELLED
    overtime.save()
    audit_record(
        company=overtime.company,
        actor=actor,
        action="attendance.overtime_request.cancel",
        obj=overtime,
        changes=diff(before, snapshot(overtime, REQUEST_FIELDS)),
        reason=reason.strip()[:500],
    )
    if was_approved:
        request_flow.recompute(
            company=overtime.company, employee=overtime.employee, dates=_overtime_dates(overtime)
        )
    return overtime


# --- Comp-leave ledger ------------------------------------------------------------------


def _lots(employee: Employee) -> dict[dt.date, tuple[int, dt.date | None]]:
    """Each work date's remaining minutes and expiry, oldest first."""
    expiry = dict(
        CompLeaveEntry.objects.filter(
            employee=employee, minutes__gt=0, leave_request__isnull=True
        ).values_list("work_date", "expires_on")
    )
    rows = (
        CompLeaveEntry.objects.filter(employee=employee)
        .values("work_date")
        .annotate(total=Sum("minutes"))
        .order_by("work_date")
    )
    return {
        row["work_date"]: (int(row["total"] or 0), expiry.get(row["work_date"])) for row in rows
    }


def comp_leave_available_minutes(*, employee: Employee, on: dt.date) -> int:
    """Minutes usable on ``on``: lots with minutes left that have not expired by then."""
    return sum(
        minutes
        for minutes, expires_on in _lots(employee).values()
        if minutes > 0 and (expires_on is None or expires_on >= on)
    )


@transaction.atomic
def comp_leave_earn(
    *,
    work_date: dt.date,
    minutes: int,
    actor: User | None,
    employee: Employee | None = None,
    company: Company | None = None,
    employee_id: int | None = None,
) -> CompLeaveEntry | None:
    """Record the comp leave earned by rest-day work on ``work_date`` (called by RESULTS).

    Idempotent per employee and date: the date's earned entry is replaced, so a
    recompute never counts the same day twice. Zero minutes removes the entry.
    The employee is given as ``employee`` or as ``company`` + ``employee_id``.
    """
    if employee is None:
        if company is None or employee_id is None:
            raise ValueError("comp_leave_earn needs employee, or company and employee_id")
        employee = Employee.objects.get(company=company, pk=employee_id)
    if minutes < 0:
        raise ServiceError(_("调休分钟数不能为负数。"), fields={"minutes": [_("不能为负数。")]})
    policy = policy_of(employee.company)
    earned = (
        CompLeaveEntry.objects.select_for_update()
        .filter(employee=employee, work_date=work_date, minutes__gt=0, leave_request__isnull=True)
        .first()
    )
    before = {"minutes": earned.minutes if earned else 0}
    if earned is not None and earned.minutes == minutes:
        return earned
    expires_on = work_date + dt.timedelta(days=policy.comp_leave_expiry_days)
    if minutes == 0:
        if earned is None:
            return None
        audit_record(
            company=employee.company,
            actor=actor,
            action="attendance.comp_leave.earn",
            obj=earned,
            changes={"minutes": [before["minutes"], 0]},
            reason=_("重新计算：%(date)s 不再产生调休") % {"date": work_date.isoformat()},
        )
        earned.delete()
        return None
    if earned is None:
        earned = CompLeaveEntry(company=employee.company, employee=employee, work_date=work_date)
    earned.minutes = minutes
    earned.expires_on = expires_on
    earned.reason = _("%(date)s 休息日加班转调休 %(hours)s 小时") % {
        "date": work_date.isoformat(),
        "hours": _hours(minutes),
    }
    earned.save()
    audit_record(
        company=employee.company,
        actor=actor,
        action="attendance.comp_leave.earn",
        obj=earned,
        changes={"minutes": [before["minutes"], minutes]},
        reason=earned.reason,
    )
    return earned


def comp_leave_consume(*, leave_request: LeaveRequest, minutes: int) -> list[CompLeaveEntry]:
    """Spend ``minutes`` from the oldest lots still valid on the leave's first day (FIFO)."""
    employee = leave_request.employee
    on = leave_request.start.astimezone(request_flow.employee_zone(employee)).date()
    left = minutes
    entries: list[CompLeaveEntry] = []
    for work_date, (remaining, expires_on) in _lots(employee).items():
        if left <= 0:
            break
        if remaining <= 0 or (expires_on is not None and expires_on < on):
            continue
        take = min(remaining, left)
        entries.append(
            CompLeaveEntry(
                company=leave_request.company,
                employee=employee,
                minutes=-take,
                work_date=work_date,
                expires_on=expires_on,
                reason=_("调休使用 %(hours)s 小时") % {"hours": _hours(take)},
                leave_request=leave_request,
            )
        )
        left -= take
    if left > 0:
        raise ServiceError(
            _("调休余额不足：还差 %(hours)s 小时") % {"hours": _hours(left)},
            code="insufficient_balance",
        )
    CompLeaveEntry.objects.bulk_create(entries)
    return entries


def comp_leave_restore(*, leave_request: LeaveRequest) -> list[CompLeaveEntry]:
    """Give back what a cancelled leave took, to the same lots."""
    taken = CompLeaveEntry.objects.filter(leave_request=leave_request).values("work_date")
    totals = taken.annotate(total=Sum("minutes"))
    entries = [
        CompLeaveEntry(
            company=leave_request.company,
            employee=leave_request.employee,
            minutes=-int(row["total"]),
            work_date=row["work_date"],
            reason=_("撤回调休，返还 %(hours)s 小时") % {"hours": _hours(-int(row["total"]))},
            leave_request=leave_request,
        )
        for row in totals
        if row["total"] and row["total"] < 0
    ]
    CompLeaveEntry.objects.bulk_create(entries)
    return entries


@transaction.atomic
def comp_leave_expire(*, company: Company, today: dt.date, actor: User | None = None) -> int:
    """Lapse what is left of lots whose expiry date has passed; safe to run twice."""
    entries: list[CompLeaveEntry] = []
    expired_lots = CompLeaveEntry.objects.filter(
        company=company, minutes__gt=0, leave_request__isnull=True, expires_on__lt=today
    ).select_related("employee")
    for lot in expired_lots:
        remaining = (
            CompLeaveEntry.objects.filter(
                employee_id=lot.employee_id, work_date=lot.work_date
            ).aggregate(total=Sum("minutes"))["total"]
            or 0
        )
        if remaining <= 0:
            continue
        entries.append(
            CompLeaveEntry(
                company=company,
                employee_id=lot.employee_id,
                minutes=-int(remaining),
                work_date=lot.work_date,
                expires_on=lot.expires_on,
                reason=_("%(date)s 的调休于 %(expiry)s 到期未用")
                % {"date": lot.work_date.isoformat(), "expiry": lot.expires_on.isoformat()},  # type: ignore[union-attr]
            )
        )
    CompLeaveEntry.objects.bulk_create(entries)
    if entries:
        audit_record_many(
            company=company,
            actor=actor,
            entries=[
                request_flow.audit_entry(
                    "attendance.comp_leave.expire",
                    e,
                    {
                        "employee": e.employee_id,
                        "minutes": e.minutes,
                        "work_date": e.work_date.isoformat(),
                    },
                )
                for e in entries
            ],
            reason=_("调休到期"),
        )
    return len(entries)
