"""Overtime requests (caps warn, holidays refuse comp leave) and the comp-leave ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django_scopes import scope

from jixiao.attendance.models import (
    ApprovalStatus,
    AttendancePolicy,
    CompLeaveEntry,
    DailyAttendance,
    LeaveRequest,
    LeaveType,
    OvertimeRequest,
)
from jixiao.attendance.services import leave as leave_services
from jixiao.attendance.services import overtime as services
from jixiao.attendance.tasks_requests import leave_expiries_run
from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.notifications.models import Notification
from jixiao.org.models import Employee
from tests.attendance.requests_support import calendar_make
from tests.conftest import World

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def scoped(world: World) -> Iterator[World]:
    calendar_make(world.company)
    with time_machine.travel(NOW, tick=False), scope(company=world.company):
        leave_services.leave_types_ensure(company=world.company)
        yield world


def li(world: World) -> Employee:
    """李哥, who calls German customers late in the evening."""
    return world.teammate.employee  # type: ignore[no-any-return]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def ask(world: World, start: str, end: str, compensation: str = "pay") -> OvertimeRequest:
    return services.overtime_request_create(
        employee=li(world),
        start=at(start),
        end=at(end),
        reason="德国客户电话会议",
        compensation=compensation,
        actor=world.teammate,
    )


def test_statutory_holiday_overtime_cannot_be_comp_leave(scoped: World) -> None:
    with pytest.raises(ServiceError) as caught:
        ask(scoped, "2026-05-01T09:00", "2026-05-01T12:00", "comp_leave")
    assert "法定节假日加班不能以调休代替" in caught.value.message
    assert caught.value.code == "statutory_holiday_comp_leave"
    paid = ask(scoped, "2026-05-01T09:00", "2026-05-01T12:00", "pay")
    assert paid.compensation == "pay"
    # A rest day may be compensated by comp leave (Art. 44).
    assert ask(scoped, "2026-03-07T09:00", "2026-03-07T12:00", "comp_leave").pk


def test_caps_warn_but_never_refuse(scoped: World) -> None:
    # 22:00–02:00 is four hours on 2026-03-02 and 03-03 (two each): no daily warning.
    night = ask(scoped, "2026-03-02T22:00", "2026-03-03T02:00")
    assert services.overtime_warnings(night) == []
    long_day = ask(scoped, "2026-03-04T18:00", "2026-03-04T22:30")
    warnings = services.overtime_warnings(long_day)
    assert warnings == ["2026-03-04 加班共 4.5 小时，超过每日上限 3 小时（劳动法第四十一条）"]
    event = AuditEvent.objects.get(
        action="attendance.overtime_request.create", object_id=str(long_day.pk)
    )
    assert "超过每日上限 3 小时" in event.reason
    # Eleven more evenings of three hours: 4 + 4.5 + 33 = 41.5 h in March.
    for day in range(5, 16):
        last = ask(scoped, f"2026-03-{day:02d}T19:00", f"2026-03-{day:02d}T22:00")
    month = services.overtime_warnings(last)
    assert month == ["2026年3月加班共 41.5 小时，超过每月上限 36 小时（劳动法第四十一条）"]
    # The approver sees it, and the approval's audit reason keeps it.
    services.overtime_request_approve(overtime=last, actor=scoped.manager, note="客户急单")
    approval = AuditEvent.objects.get(action="attendance.overtime_request.approve")
    assert approval.reason.startswith("客户急单；2026年3月加班共 41.5 小时")


def test_company_caps_are_configurable(scoped: World) -> None:
    AttendancePolicy.objects.create(company=scoped.company, daily_overtime_cap_minutes=60)
    request = ask(scoped, "2026-03-02T19:00", "2026-03-02T21:00")
    assert services.overtime_warnings(request) == [
        "2026-03-02 加班共 2 小时，超过每日上限 1 小时（劳动法第四十一条）"
    ]


def test_overlap_and_bad_spans_are_refused(scoped: World) -> None:
    ask(scoped, "2026-03-02T19:00", "2026-03-02T22:00")
    with pytest.raises(ServiceError) as caught:
        ask(scoped, "2026-03-02T21:00", "2026-03-02T23:00")
    assert caught.value.status == 409
    with pytest.raises(ServiceError, match="晚于开始"):
        ask(scoped, "2026-03-03T22:00", "2026-03-03T21:00")
    with pytest.raises(ServiceError, match="24 小时"):
        ask(scoped, "2026-03-03T08:00", "2026-03-04T09:00")


def test_approval_notifies_and_recomputes(scoped: World) -> None:
    request = ask(scoped, "2026-02-23T22:00", "2026-02-23T23:30")
    assert Notification.objects.filter(
        recipient=scoped.manager, title="李哥 提交了加班申请"
    ).exists()
    with pytest.raises(ServiceError) as own:
        services.overtime_request_approve(overtime=request, actor=scoped.teammate)
    assert own.value.status == 403
    services.overtime_request_approve(overtime=request, actor=scoped.manager)
    request.refresh_from_db()
    assert request.status == ApprovalStatus.APPROVED
    assert Notification.objects.filter(
        recipient=scoped.teammate, title="你的加班申请已通过"
    ).exists()
    assert DailyAttendance.objects.filter(employee=li(scoped), date=dt.date(2026, 2, 23)).exists()


def test_reject_and_cancel(scoped: World) -> None:
    request = ask(scoped, "2026-03-10T19:00", "2026-03-10T21:00")
    with pytest.raises(ServiceError):
        services.overtime_request_reject(overtime=request, actor=scoped.manager, note="")
    services.overtime_request_reject(overtime=request, actor=scoped.manager, note="不需要")
    request.refresh_from_db()
    assert request.status == ApprovalStatus.REJECTED
    with pytest.raises(ServiceError) as caught:
        services.overtime_request_cancel(overtime=request, actor=scoped.teammate)
    assert caught.value.status == 409
    future = ask(scoped, "2026-03-11T19:00", "2026-03-11T21:00")
    services.overtime_request_approve(overtime=future, actor=scoped.manager)
    services.overtime_request_cancel(overtime=future, actor=scoped.teammate)
    future.refresh_from_db()
    assert future.status == ApprovalStatus.CANCELLED


def test_comp_leave_earn_replaces_the_day(scoped: World) -> None:
    employee = li(scoped)
    services.comp_leave_earn(
        employee=employee, work_date=dt.date(2026, 2, 7), minutes=240, actor=None
    )
    services.comp_leave_earn(
        company=scoped.company,
        employee_id=employee.pk,
        work_date=dt.date(2026, 2, 7),
        minutes=300,
        actor=None,
    )
    entry = CompLeaveEntry.objects.get(employee=employee)
    assert entry.minutes == 300
    assert entry.expires_on == dt.date(2026, 2, 7) + dt.timedelta(days=180)
    services.comp_leave_earn(
        employee=employee, work_date=dt.date(2026, 2, 7), minutes=0, actor=None
    )
    assert not CompLeaveEntry.objects.filter(employee=employee).exists()
    assert AuditEvent.objects.filter(action="attendance.comp_leave.earn").count() == 3


def comp_leave_request(world: World, start: str, end: str) -> LeaveRequest:
    return leave_services.leave_request_create(
        employee=li(world),
        leave_type=LeaveType.objects.get(code="comp_leave"),
        start=at(start),
        end=at(end),
        reason="调休",
        actor=world.teammate,
    )


def test_comp_leave_is_used_oldest_first_and_given_back(scoped: World) -> None:
    employee = li(scoped)
    services.comp_leave_earn(
        employee=employee, work_date=dt.date(2026, 1, 10), minutes=240, actor=None
    )
    services.comp_leave_earn(
        employee=employee, work_date=dt.date(2026, 2, 7), minutes=480, actor=None
    )
    assert services.comp_leave_available_minutes(employee=employee, on=dt.date(2026, 3, 2)) == 720
    with pytest.raises(ServiceError, match="调休余额不足：剩余 12 小时，申请 16 小时"):
        comp_leave_request(scoped, "2026-03-02T00:00", "2026-03-04T00:00")
    request = comp_leave_request(scoped, "2026-03-02T00:00", "2026-03-03T00:00")
    leave_services.leave_request_approve(leave_request=request, actor=scoped.manager)
    used = list(
        CompLeaveEntry.objects.filter(leave_request=request).values_list("work_date", "minutes")
    )
    assert used == [(dt.date(2026, 1, 10), -240), (dt.date(2026, 2, 7), -240)]
    assert services.comp_leave_available_minutes(employee=employee, on=dt.date(2026, 3, 2)) == 240

    future = comp_leave_request(scoped, "2026-03-16T00:00", "2026-03-16T12:00")
    leave_services.leave_request_approve(leave_request=future, actor=scoped.manager)
    assert services.comp_leave_available_minutes(employee=employee, on=dt.date(2026, 3, 2)) == 0
    leave_services.leave_request_cancel(leave_request=future, actor=scoped.teammate)
    assert services.comp_leave_available_minutes(employee=employee, on=dt.date(2026, 3, 2)) == 240


def test_comp_leave_expires_and_the_job_is_safe_to_rerun(scoped: World) -> None:
    AttendancePolicy.objects.create(company=scoped.company, comp_leave_expiry_days=30)
    employee = li(scoped)
    services.comp_leave_earn(
        employee=employee, work_date=dt.date(2026, 1, 10), minutes=240, actor=None
    )
    services.comp_leave_earn(
        employee=employee, work_date=dt.date(2026, 2, 21), minutes=120, actor=None
    )
    # Expired lots are not usable for a leave after their expiry date.
    assert services.comp_leave_available_minutes(employee=employee, on=dt.date(2026, 3, 2)) == 120
    with pytest.raises(ServiceError, match="调休余额不足"):
        comp_leave_request(scoped, "2026-03-02T00:00", "2026-03-02T12:00")
    assert services.comp_leave_expire(company=scoped.company, today=dt.date(2026, 2, 10)) == 1
    assert services.comp_leave_expire(company=scoped.company, today=dt.date(2026, 2, 10)) == 0
    lapsed = CompLeaveEntry.objects.get(employee=employee, minutes__lt=0)
    assert (lapsed.work_date, lapsed.minutes) == (dt.date(2026, 1, 10), -240)
    assert leave_expiries_run(dt.date(2026, 3, 30))[scoped.company.pk] == (1, 0)
    assert leave_expiries_run(dt.date(2026, 3, 30))[scoped.company.pk] == (0, 0)
    assert services.comp_leave_available_minutes(employee=employee, on=dt.date(2026, 1, 1)) == 0
