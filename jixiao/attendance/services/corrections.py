"""Punch corrections (补卡) and exception explanations: asked by the employee,
decided by the manager, limited per month, refused once the month is locked.

An approved 补卡 becomes a punch with source "correction"; every change is audited
with its before and after, and the day is recomputed.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jixiao.attendance.models import ApprovalStatus, Punch, PunchCorrection
from jixiao.attendance.services import request_flow
from jixiao.attendance.services.overtime import policy_of
from jixiao.attendance.services.results import month_locked_check
from jixiao.audit.services import audit_record, diff, snapshot
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import User
from jixiao.org.models import Employee

FIELDS = ("kind", "date", "punch_at", "reason", "status", "punch", "decided_by", "decision_note")
ACTIVE_STATUSES = (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
#: How far a corrected punch may sit from its attendance date (overnight shifts end next day).
PUNCH_WINDOW = dt.timedelta(hours=36)


def correction_text(correction: PunchCorrection) -> str:
    if correction.kind == PunchCorrection.Kind.MISSING_PUNCH and correction.punch_at:
        zone = request_flow.employee_zone(correction.employee)
        return _("%(date)s 补卡 %(time)s：%(reason)s") % {
            "date": correction.date.isoformat(),
            "time": correction.punch_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "reason": correction.reason,
        }
    return _("%(date)s 异常说明：%(reason)s") % {
        "date": correction.date.isoformat(),
        "reason": correction.reason,
    }


def monthly_corrections_used(employee: Employee, year: int, month: int) -> int:
    """补卡 requests of the month that count against the limit (pending and approved)."""
    return PunchCorrection.objects.filter(
        employee=employee,
        kind=PunchCorrection.Kind.MISSING_PUNCH,
        status__in=ACTIVE_STATUSES,
        date__year=year,
        date__month=month,
    ).count()


@transaction.atomic
def correction_create(
    *,
    employee: Employee,
    kind: str,
    date: dt.date,
    reason: str,
    actor: User,
    punch_at: dt.datetime | None = None,
) -> PunchCorrection:
    """Ask for a 补卡 (with the missing punch's time) or explain an exception of a day.

    The 补卡 limit per month comes from the company's attendance policy and counts
    pending and approved requests; explanations are not limited.
    """
    if kind not in PunchCorrection.Kind.values:
        raise ServiceError(_("未知的申请类型。"), fields={"kind": [_("未知的申请类型。")]})
    if not reason.strip():
        raise ServiceError(_("请填写原因。"), fields={"reason": [_("请填写原因。")]})
    today = timezone.now().astimezone(request_flow.employee_zone(employee)).date()
    if date > today:
        raise ServiceError(
            _("不能为将来的日期提交申请。"), fields={"date": [_("不能为将来的日期提交申请。")]}
        )
    if kind == PunchCorrection.Kind.MISSING_PUNCH:
        if punch_at is None:
            raise ServiceError(_("请填写补卡时间。"), fields={"punch_at": [_("请填写补卡时间。")]})
        punch_at = request_flow.as_employee_time(punch_at, employee)
        zone = request_flow.employee_zone(employee)
        day_start = dt.datetime.combine(date, dt.time(0), tzinfo=zone)
        if not (day_start - dt.timedelta(hours=12) <= punch_at <= day_start + PUNCH_WINDOW):
            raise ServiceError(
                _("补卡时间须在考勤日期当天前后。"),
                fields={"punch_at": [_("补卡时间须在考勤日期当天前后。")]},
            )
        if punch_at > timezone.now():
            raise ServiceError(
                _("补卡时间不能晚于现在。"), fields={"punch_at": [_("补卡时间不能晚于现在。")]}
            )
    else:
        punch_at = None
    month_locked_check(company=employee.company, dates=[date])
    if kind == PunchCorrection.Kind.MISSING_PUNCH:
        limit = policy_of(employee.company).monthly_correction_limit
        used = monthly_corrections_used(employee, date.year, date.month)
        if used >= limit:
            raise ServiceError(
                _("%(year)d年%(month)d月已申请补卡 %(used)d 次，已达每月上限 %(limit)d 次。")
                % {"year": date.year, "month": date.month, "used": used, "limit": limit},
                code="correction_limit",
                status=422,
            )
    correction = PunchCorrection.objects.create(
        company=employee.company,
        employee=employee,
        date=date,
        kind=kind,
        punch_at=punch_at,
        reason=reason.strip()[:500],
    )
    audit_record(
        company=employee.company,
        actor=actor,
        action="attendance.correction.create",
        obj=correction,
        changes=diff({}, snapshot(correction, FIELDS)),
        reason=correction.reason,
    )
    request_flow.notify_people(
        request_flow.approvers_of(employee),
        title=format_lazy(
            gettext_lazy("{name} 提交了{kind}申请"),
            name=employee.name,
            kind=PunchCorrection.Kind(correction.kind).label,
        ),
        body=request_flow.reader_text(lambda: correction_text(correction)),
        link=f"{reverse('attendance:requests_inbox')}?tab=corrections",
    )
    return correction


def _punch_create(correction: PunchCorrection, actor: User) -> Punch:
    """The corrected punch, recorded (and audited) by the punches service."""
    from jixiao.attendance.services.punches import punch_record

    assert correction.punch_at is not None
    return punch_record(
        employee=correction.employee,
        at=correction.punch_at,
        source=Punch.Source.CORRECTION,
        source_id=f"correction-{correction.pk}",
        note=correction.reason[:500],
        actor=actor,
    )


def _decide(
    correction: PunchCorrection,
    actor: User,
    status: str,
    note: str,
    before: dict[str, object] | None = None,
) -> PunchCorrection:
    before = before if before is not None else snapshot(correction, FIELDS)
    correction.status = status
    correction.decided_by = actor
    correction.decided_at = timezone.now()
    correction.decision_note = note.strip()[:500]
    correction.save()
    approved = status == ApprovalStatus.APPROVED
    audit_record(
        company=correction.company,
        actor=actor,
        action="attendance.correction." + ("approve" if approved else "reject"),
        obj=correction,
        changes=diff(before, snapshot(correction, FIELDS)),
        reason=correction.decision_note,
    )

    def body() -> str:
        text = correction_text(correction)
        if correction.decision_note:
            text += "\n" + _("审批意见：%(note)s") % {"note": correction.decision_note}
        return text

    request_flow.notify_people(
        [correction.employee.user],
        title=gettext_lazy("你的补卡/异常申请已通过")
        if approved
        else gettext_lazy("你的补卡/异常申请被驳回"),
        body=request_flow.reader_text(body),
        link=reverse("attendance:requests_mine"),
    )
    return correction


@transaction.atomic
def correction_approve(
    *, correction: PunchCorrection, actor: User, note: str = ""
) -> PunchCorrection:
    correction = PunchCorrection.objects.select_for_update().get(pk=correction.pk)
    request_flow.decision_check(correction, actor)
    month_locked_check(company=correction.company, dates=[correction.date])
    before = snapshot(correction, FIELDS)
    if correction.kind == PunchCorrection.Kind.MISSING_PUNCH:
        correction.punch = _punch_create(correction, actor)
    _decide(correction, actor, ApprovalStatus.APPROVED, note, before)
    request_flow.recompute(
        company=correction.company, employee=correction.employee, dates=[correction.date]
    )
    return correction


@transaction.atomic
def correction_reject(*, correction: PunchCorrection, actor: User, note: str) -> PunchCorrection:
    correction = PunchCorrection.objects.select_for_update().get(pk=correction.pk)
    request_flow.decision_check(correction, actor)
    if not note.strip():
        raise ServiceError(_("驳回时请填写原因。"), fields={"note": [_("驳回时请填写原因。")]})
    return _decide(correction, actor, ApprovalStatus.REJECTED, note)


@transaction.atomic
def correction_cancel(
    *, correction: PunchCorrection, actor: User, reason: str = ""
) -> PunchCorrection:
    """Withdraw a pending request (an approved 补卡 is a punch now: HR voids punches)."""
    correction = PunchCorrection.objects.select_for_update().get(pk=correction.pk)
    if correction.status != ApprovalStatus.PENDING:
        raise ServiceError(_("只能撤回待审批的申请。"), code="not_cancellable", status=409)
    before = snapshot(correction, FIELDS)
    correction.status = ApprovalStatus.CANCELLED
    correction.save()
    audit_record(
        company=correction.company,
        actor=actor,
        action="attendance.correction.cancel",
        obj=correction,
        changes=diff(before, snapshot(correction, FIELDS)),
        reason=reason.strip()[:500],
    )
    return correction
