"""补卡 and exception explanations: monthly limit, locked months, the punch it creates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django_scopes import scope

from jixiao.attendance.models import (
    ApprovalStatus,
    AttendanceMonth,
    AttendancePolicy,
    DailyAttendance,
    Punch,
    PunchCorrection,
)
from jixiao.attendance.services import corrections as services
from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.notifications.models import Notification
from jixiao.org.models import Employee
from tests.attendance.requests_support import calendar_make
from tests.conftest import World

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def scoped(world: World) -> Iterator[World]:
    calendar_make(world.company)
    with time_machine.travel(NOW, tick=False), scope(company=world.company):
        yield world


def wang(world: World) -> Employee:
    return world.employee.employee  # type: ignore[no-any-return]


def missing(world: World, day: int, time: str = "09:02") -> PunchCorrection:
    return services.correction_create(
        employee=wang(world),
        kind="missing_punch",
        date=dt.date(2026, 3, day),
        punch_at=dt.datetime.fromisoformat(f"2026-03-{day:02d}T{time}"),
        reason="忘记打卡",
        actor=world.employee,
    )


def test_approved_correction_becomes_a_punch_and_is_audited(scoped: World) -> None:
    correction = missing(scoped, 2)
    assert Notification.objects.filter(
        recipient=scoped.manager, title="王姐 提交了补卡申请"
    ).exists()
    services.correction_approve(correction=correction, actor=scoped.manager, note="属实")
    correction.refresh_from_db()
    assert correction.status == ApprovalStatus.APPROVED
    assert correction.punch_id is not None
    punch = Punch.objects.get(pk=correction.punch_id)
    assert punch.source == Punch.Source.CORRECTION
    assert punch.at == dt.datetime(2026, 3, 2, 1, 2, tzinfo=dt.UTC)  # 09:02 in Shanghai
    event = AuditEvent.objects.get(action="attendance.correction.approve")
    assert event.changes["status"] == ["pending", "approved"]
    assert event.changes["punch"] == [None, punch.pk]
    assert AuditEvent.objects.filter(action="attendance.punch.create").exists()
    assert DailyAttendance.objects.filter(employee=wang(scoped), date=dt.date(2026, 3, 2)).exists()
    assert Notification.objects.filter(
        recipient=scoped.employee, title="你的补卡/异常申请已通过"
    ).exists()


def test_monthly_limit_counts_pending_and_approved(scoped: World) -> None:
    AttendancePolicy.objects.create(company=scoped.company, monthly_correction_limit=2)
    first = missing(scoped, 2)
    missing(scoped, 3)
    with pytest.raises(ServiceError) as caught:
        missing(scoped, 4)
    assert caught.value.message == "2026年3月已申请补卡 2 次，已达每月上限 2 次。"
    # A withdrawn request frees its place; explanations are not limited.
    services.correction_cancel(correction=first, actor=scoped.employee)
    assert missing(scoped, 4).pk
    explanation = services.correction_create(
        employee=wang(scoped),
        kind="explanation",
        date=dt.date(2026, 3, 5),
        reason="外出拜访客户",
        actor=scoped.employee,
    )
    assert explanation.punch_at is None


def test_locked_month_is_refused(scoped: World) -> None:
    pending = missing(scoped, 2)
    AttendanceMonth.objects.create(
        company=scoped.company, year=2026, month=3, status=AttendanceMonth.Status.LOCKED
    )
    with pytest.raises(ServiceError) as caught:
        missing(scoped, 3)
    assert caught.value.status == 409
    assert "该月考勤已锁定" in caught.value.message
    with pytest.raises(ServiceError) as caught:
        services.correction_approve(correction=pending, actor=scoped.manager)
    assert caught.value.status == 409
    assert not Punch.objects.exists()


def test_bad_input_is_refused_clearly(scoped: World) -> None:
    with pytest.raises(ServiceError) as caught:
        services.correction_create(
            employee=wang(scoped), kind="missing_punch", date=dt.date(2026, 3, 2),
            reason="忘记", actor=scoped.employee,
        )  # fmt: skip
    assert "punch_at" in caught.value.fields
    with pytest.raises(ServiceError) as caught:
        missing(scoped, 25)  # in the future
    assert "date" in caught.value.fields
    with pytest.raises(ServiceError) as caught:
        services.correction_create(
            employee=wang(scoped), kind="missing_punch", date=dt.date(2026, 3, 2),
            punch_at=dt.datetime(2026, 3, 10, 9), reason="忘记", actor=scoped.employee,
        )  # fmt: skip
    assert "punch_at" in caught.value.fields


def test_reject_needs_note_and_only_pending_can_be_withdrawn(scoped: World) -> None:
    correction = missing(scoped, 2)
    with pytest.raises(ServiceError):
        services.correction_reject(correction=correction, actor=scoped.manager, note="")
    with pytest.raises(ServiceError) as own:
        services.correction_approve(correction=correction, actor=scoped.employee)
    assert own.value.status == 403
    services.correction_reject(correction=correction, actor=scoped.manager, note="监控显示未到岗")
    with pytest.raises(ServiceError) as caught:
        services.correction_cancel(correction=correction, actor=scoped.employee)
    assert caught.value.status == 409
    event = AuditEvent.objects.get(action="attendance.correction.reject")
    assert event.reason == "监控显示未到岗"
