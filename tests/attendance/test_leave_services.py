"""Leave services: standard types, days from the calendar, balances, approvals, ledger jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.files.base import ContentFile
from django_scopes import scope

from jixiao.attendance.models import (
    ApprovalStatus,
    AttendanceMonth,
    DailyAttendance,
    LeaveLedgerEntry,
    LeaveRequest,
    LeaveType,
)
from jixiao.attendance.services import leave as services
from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.notifications.models import Notification
from jixiao.org.models import Employee
from tests.attendance.requests_support import calendar_make
from tests.conftest import World

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media(settings: object, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]


@pytest.fixture
def scoped(world: World) -> Iterator[World]:
    calendar_make(world.company)
    with time_machine.travel(NOW, tick=False), scope(company=world.company):
        services.leave_types_ensure(company=world.company)
        yield world


def T(code: str) -> LeaveType:
    return LeaveType.objects.get(code=code)


def wang(world: World) -> Employee:
    return world.employee.employee  # type: ignore[no-any-return]


def at(day: str, hour: int = 0) -> dt.datetime:
    """A naive wall time: the services read it in the employee's zone (Asia/Shanghai)."""
    return dt.datetime.fromisoformat(day).replace(hour=hour)


def ask(
    world: World, code: str, start: dt.datetime, end: dt.datetime, **kw: object
) -> LeaveRequest:
    return services.leave_request_create(
        employee=wang(world),
        leave_type=T(code),
        start=start,
        end=end,
        reason=str(kw.pop("reason", "家里有事")),
        actor=world.employee,
        **kw,  # type: ignore[arg-type]
    )


def test_standard_types_are_seeded_once_and_edits_survive(scoped: World) -> None:
    types = {t.code: t for t in LeaveType.objects.all()}
    assert set(types) == {
        "annual", "sick", "personal", "marriage", "maternity", "paternity",
        "bereavement", "comp_leave", "company_extra",
    }  # fmt: skip
    assert types["annual"].accrual == LeaveType.Accrual.ANNUAL_STATUTORY
    assert types["personal"].paid is False
    assert {c for c, t in types.items() if t.requires_attachment} == {
        "sick",
        "marriage",
        "maternity",
    }
    assert types["marriage"].max_days_per_request == 3
    assert types["maternity"].max_days_per_request == 98
    assert types["maternity"].counts_calendar_days is True
    assert types["paternity"].max_days_per_request == 15
    assert types["bereavement"].max_days_per_request == 3
    services.leave_type_update(
        leave_type=types["paternity"], actor=scoped.hr, max_days_per_request=Decimal("20")
    )
    services.leave_types_ensure(company=scoped.company)
    assert LeaveType.objects.count() == 9
    assert T("paternity").max_days_per_request == 20
    assert AuditEvent.objects.filter(action="attendance.leave_type.update").count() == 1


def test_days_follow_the_calendar_and_half_days(scoped: World) -> None:
    def days(code: str, start: dt.datetime, end: dt.datetime) -> Decimal:
        employee = wang(scoped)
        from jixiao.attendance.services.request_flow import as_employee_time

        return services.leave_days_compute(
            employee=employee,
            leave_type=T(code),
            start=as_employee_time(start, employee),
            end=as_employee_time(end, employee),
        )

    # Monday 2026-03-02, 09:00–18:00: one day; the morning only: half.
    assert days("personal", at("2026-03-02", 9), at("2026-03-02", 18)) == 1
    assert days("personal", at("2026-03-02", 9), at("2026-03-02", 12)) == Decimal("0.5")
    assert days("personal", at("2026-03-02", 13), at("2026-03-02", 18)) == Decimal("0.5")
    # Friday afternoon to Monday morning: the weekend is not counted.
    assert days("personal", at("2026-03-06", 12), at("2026-03-09", 12)) == 1
    # A whole week Mon–Sun: five days.
    assert days("personal", at("2026-03-02"), at("2026-03-09")) == 5
    # Labour Day (statutory) on Friday 2026-05-01 is not a leave day.
    assert days("personal", at("2026-04-30"), at("2026-05-02")) == 1
    # The make-up workday Sunday 2026-09-27 is one.
    assert days("personal", at("2026-09-26"), at("2026-09-28")) == 1
    # Maternity leave counts calendar days, weekends included.
    assert days("maternity", at("2026-03-02"), at("2026-03-09")) == 7


def test_missing_calendar_year_is_a_clear_error(scoped: World) -> None:
    with pytest.raises(ServiceError) as caught:
        ask(scoped, "personal", at("2027-03-01", 9), at("2027-03-01", 18))
    assert caught.value.code == "calendar_missing"
    assert "2027" in caught.value.message


def test_annual_leave_balance_is_checked_with_pending_reserved(scoped: World) -> None:
    services.leave_accrue_year(company=scoped.company, year=2026, actor=scoped.hr)
    assert services.leave_balance(wang(scoped), T("annual"), 2026) == 5
    with pytest.raises(ServiceError) as caught:
        ask(scoped, "annual", at("2026-03-02"), at("2026-03-10"))  # six workdays
    assert caught.value.message == "年假余额不足：剩余 5 天，申请 6 天"
    assert caught.value.status == 422
    ask(scoped, "annual", at("2026-03-02"), at("2026-03-05"))  # 3 days, pending
    with pytest.raises(ServiceError) as caught:
        ask(scoped, "annual", at("2026-03-09"), at("2026-03-12"))
    assert caught.value.message == "年假余额不足：剩余 2 天，申请 3 天"


def test_overlapping_requests_are_refused(scoped: World) -> None:
    ask(scoped, "personal", at("2026-03-02", 9), at("2026-03-03", 18))
    with pytest.raises(ServiceError) as caught:
        ask(scoped, "personal", at("2026-03-03", 13), at("2026-03-04", 18))
    assert caught.value.status == 409
    assert caught.value.code == "overlap"
    # Right after it is fine.
    ask(scoped, "personal", at("2026-03-04"), at("2026-03-04", 12))


def test_attachment_rule(scoped: World) -> None:
    with pytest.raises(ServiceError) as caught:
        ask(scoped, "sick", at("2026-03-02"), at("2026-03-03"))
    assert caught.value.code == "attachment_required"
    assert "attachment" in caught.value.fields
    with pytest.raises(ServiceError) as caught:
        ask(
            scoped,
            "sick",
            at("2026-03-02"),
            at("2026-03-03"),
            attachment=ContentFile(b"x", name="a.exe"),
        )
    assert "attachment" in caught.value.fields
    created = ask(
        scoped,
        "sick",
        at("2026-03-02"),
        at("2026-03-03"),
        attachment=ContentFile(b"%PDF-1.4 note", name="病历.pdf"),
    )
    assert created.attachment.name.endswith(".pdf")
    assert created.attachment.read() == b"%PDF-1.4 note"


def test_limits_of_a_single_request(scoped: World) -> None:
    with pytest.raises(ServiceError, match="单次最多 3 天"):
        ask(scoped, "bereavement", at("2026-03-02"), at("2026-03-06"))
    with pytest.raises(ServiceError, match="跨年度"):
        ask(scoped, "personal", at("2026-12-31"), at("2027-01-02"))
    with pytest.raises(ServiceError, match="没有需要请假的工作日"):
        ask(scoped, "personal", at("2026-03-07"), at("2026-03-09"))
    with pytest.raises(ServiceError, match="晚于开始"):
        ask(scoped, "personal", at("2026-03-09"), at("2026-03-07"))


def test_approval_flow_is_audited_notified_and_recomputed(scoped: World) -> None:
    services.leave_accrue_year(company=scoped.company, year=2026, actor=scoped.hr)
    created = ask(scoped, "annual", at("2026-03-02"), at("2026-03-04"))
    assert created.days == 2
    manager_inbox = Notification.objects.filter(recipient=scoped.manager)
    assert [n.title for n in manager_inbox] == ["王姐 提交了请假申请"]
    with pytest.raises(ServiceError) as own:
        services.leave_request_approve(leave_request=created, actor=scoped.employee)
    assert own.value.status == 403

    approved = services.leave_request_approve(
        leave_request=created, actor=scoped.manager, note="好"
    )
    assert approved.status == ApprovalStatus.APPROVED
    assert approved.decided_by == scoped.manager
    use = LeaveLedgerEntry.objects.get(leave_request=created)
    assert (use.kind, use.days, use.year) == (LeaveLedgerEntry.Kind.USE, Decimal("-2"), 2026)
    assert services.leave_balance(wang(scoped), T("annual"), 2026) == 3
    actions = list(
        AuditEvent.objects.filter(object_id=str(created.pk), object_type="attendance.leaverequest")
        .order_by("sequence")
        .values_list("action", flat=True)
    )
    assert actions == ["attendance.leave_request.create", "attendance.leave_request.approve"]
    decision = AuditEvent.objects.get(action="attendance.leave_request.approve")
    assert decision.changes["status"] == ["pending", "approved"]
    assert Notification.objects.filter(
        recipient=scoped.employee, title="你的请假申请已通过"
    ).exists()
    # The days were recomputed by RESULTS: both dates have a daily row now.
    days = set(DailyAttendance.objects.filter(employee=wang(scoped)).values_list("date", flat=True))
    assert {dt.date(2026, 3, 2), dt.date(2026, 3, 3)} <= days
    with pytest.raises(ServiceError) as twice:
        services.leave_request_approve(leave_request=created, actor=scoped.manager)
    assert twice.value.status == 409


def test_reject_needs_a_reason_and_tells_the_employee(scoped: World) -> None:
    created = ask(scoped, "personal", at("2026-03-02"), at("2026-03-03"))
    with pytest.raises(ServiceError) as caught:
        services.leave_request_reject(leave_request=created, actor=scoped.manager, note=" ")
    assert "note" in caught.value.fields
    services.leave_request_reject(leave_request=created, actor=scoped.manager, note="项目上线")
    created.refresh_from_db()
    assert created.status == ApprovalStatus.REJECTED
    note = Notification.objects.get(recipient=scoped.employee)
    assert note.title == "你的请假申请被驳回"
    assert "项目上线" in note.body


def test_cancel_pending_and_future_approved_gives_days_back(scoped: World) -> None:
    services.leave_accrue_year(company=scoped.company, year=2026, actor=scoped.hr)
    pending = ask(scoped, "annual", at("2026-03-02"), at("2026-03-03"))
    services.leave_request_cancel(leave_request=pending, actor=scoped.employee)
    pending.refresh_from_db()
    assert pending.status == ApprovalStatus.CANCELLED

    future = ask(scoped, "annual", at("2026-04-06"), at("2026-04-08"))
    services.leave_request_approve(leave_request=future, actor=scoped.manager)
    assert services.leave_balance(wang(scoped), T("annual"), 2026) == 3
    services.leave_request_cancel(leave_request=future, actor=scoped.employee, reason="不去了")
    assert services.leave_balance(wang(scoped), T("annual"), 2026) == 5
    kinds = list(LeaveLedgerEntry.objects.filter(leave_request=future).values_list("kind", "days"))
    assert kinds == [("use", Decimal("-2")), ("use", Decimal("2"))]

    past = ask(scoped, "annual", at("2026-02-23"), at("2026-02-24"))
    services.leave_request_approve(leave_request=past, actor=scoped.manager)
    with pytest.raises(ServiceError) as caught:
        services.leave_request_cancel(leave_request=past, actor=scoped.employee)
    assert caught.value.status == 409


def test_locked_month_refuses_new_requests(scoped: World) -> None:
    AttendanceMonth.objects.create(
        company=scoped.company, year=2026, month=2, status=AttendanceMonth.Status.LOCKED
    )
    with pytest.raises(ServiceError) as caught:
        ask(scoped, "personal", at("2026-02-23"), at("2026-02-24"))
    assert caught.value.status == 409
    assert "该月考勤已锁定" in caught.value.message


def test_accrual_is_idempotent_and_reads_prior_service(scoped: World) -> None:
    li = scoped.teammate.employee
    li.custom_fields = {"累计工龄": "12"}  # 12 years before joining 2020-03-01
    li.save()
    first = services.leave_accrue_year(company=scoped.company, year=2026, actor=scoped.hr)
    second = services.leave_accrue_year(company=scoped.company, year=2026, actor=scoped.hr)
    assert first.granted > 0 and second.granted == 0
    # 12 years before joining on 2020-03-01: 17–18 years of service in 2026 → 10 days.
    assert services.leave_balance(li, T("annual"), 2026) == 10


def test_accrual_tiers_by_cumulative_service(scoped: World) -> None:
    li = scoped.teammate.employee
    li.custom_fields = {"prior_service_years": "4"}  # 4 + 6 years: 10 reached 2026-03-01
    li.save()
    zhao = scoped.other_team.employee
    zhao.custom_fields = {"累计工龄": "14"}  # 14 + 6 reaches 20 on 2026-03-01 → split
    zhao.save()
    services.leave_accrue_year(company=scoped.company, year=2026, actor=scoped.hr)
    # 59 days at 5 + 306 days at 10 = (295 + 3060) / 365 = 9.19 → 9.
    assert services.leave_balance(li, T("annual"), 2026) == 9
    # 59 days at 10 + 306 days at 15 = (590 + 4590) / 365 = 14.19 → 14.
    assert services.leave_balance(zhao, T("annual"), 2026) == 14
    assert services.leave_balance(wang(scoped), T("annual"), 2026) == 5
    # A leaving date recorded later: the next run grants the difference (negative).
    Employee.objects.filter(pk=li.pk).update(status="left", termination_date=dt.date(2026, 6, 30))
    services.leave_accrue_year(company=scoped.company, year=2026, actor=scoped.hr)
    # Up to 2026-06-30: (59 × 5 + 122 × 10) / 365 = 4.15 → 4.
    assert services.leave_balance(Employee.objects.get(pk=li.pk), T("annual"), 2026) == 4


def test_invalid_prior_service_is_reported_not_guessed(scoped: World) -> None:
    li = scoped.teammate.employee
    li.custom_fields = {"累计工龄": "十年"}
    li.save()
    result = services.leave_accrue_year(company=scoped.company, year=2026, actor=scoped.hr)
    assert any("李哥" in p for p in result.problems)
    assert services.leave_balance(li, T("annual"), 2026) == 0


def test_carry_over_with_expiry_and_the_expiry_job(scoped: World) -> None:
    services.leave_accrue_year(company=scoped.company, year=2025, actor=scoped.hr)
    employee = wang(scoped)
    assert services.leave_balance(employee, T("annual"), 2025) == 5
    T_annual = T("annual")
    T_annual.carry_over_days = Decimal("3")
    T_annual.save()
    result = services.leave_carry_over(company=scoped.company, from_year=2025, actor=scoped.hr)
    again = services.leave_carry_over(company=scoped.company, from_year=2025, actor=scoped.hr)
    assert result.carried >= 1 and again.carried == 0
    assert services.leave_balance(employee, T_annual, 2025) == 0
    carried = LeaveLedgerEntry.objects.get(
        employee=employee, year=2026, kind=LeaveLedgerEntry.Kind.CARRY_OVER
    )
    assert carried.days == 3
    assert carried.expires_on == dt.date(2026, 3, 31)
    services.leave_accrue_year(company=scoped.company, year=2026, actor=scoped.hr)
    assert services.leave_balance(employee, T_annual, 2026) == 8
    # One day used in March goes against the carried days first.
    used = ask(scoped, "annual", at("2026-03-16"), at("2026-03-17"))
    services.leave_request_approve(leave_request=used, actor=scoped.manager)
    assert services.leave_carry_over_expire(company=scoped.company, today=dt.date(2026, 3, 31)) == 0
    assert services.leave_carry_over_expire(company=scoped.company, today=dt.date(2026, 4, 1)) >= 1
    assert services.leave_carry_over_expire(company=scoped.company, today=dt.date(2026, 4, 2)) == 0
    assert services.leave_balance(employee, T_annual, 2026) == 5  # 8 − 1 used − 2 lapsed


def test_hr_adjustment_needs_a_reason_and_is_audited(scoped: World) -> None:
    employee = wang(scoped)
    with pytest.raises(ServiceError):
        services.leave_balance_adjust(
            employee=employee, leave_type=T("company_extra"), year=2026, days=Decimal(3),
            reason="", actor=scoped.hr,
        )  # fmt: skip
    services.leave_balance_adjust(
        employee=employee,
        leave_type=T("company_extra"),
        year=2026,
        days=Decimal(3),
        reason="年度优秀员工奖励 3 天额外假期",
        actor=scoped.hr,
    )
    assert services.leave_balance(employee, T("company_extra"), 2026) == 3
    event = AuditEvent.objects.get(action="attendance.leave_ledger.adjust")
    assert event.changes == {"balance": ["0.00", "3.00"]}
    assert event.reason == "年度优秀员工奖励 3 天额外假期"
    ask(scoped, "company_extra", at("2026-03-02"), at("2026-03-05"))
    with pytest.raises(ServiceError, match="公司奖励假余额不足：剩余 0 天，申请 1 天"):
        ask(scoped, "company_extra", at("2026-03-09"), at("2026-03-10"))
