"""Attendance notifications reach each reader in their own language, not the submitter's.

王姐 reads the system in English; her manager 张经理 in Chinese. When she asks for
leave, overtime or a punch correction from an English page, 张经理's inbox says it in
Chinese; when he decides from a Chinese page, she reads the decision in English.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.utils import translation
from django_scopes import scope, scopes_disabled

from jixiao.attendance import presets
from jixiao.attendance.models import LeaveType
from jixiao.attendance.services import corrections as correction_services
from jixiao.attendance.services import leave as leave_services
from jixiao.attendance.services import overtime as overtime_services
from jixiao.attendance.services import schedules as schedule_services
from jixiao.core.models import User
from jixiao.notifications.models import Notification
from tests.attendance.requests_support import calendar_make
from tests.conftest import World

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def bilingual(world: World) -> Iterator[World]:
    """王姐 (employee) and 李哥 (teammate) read English, 张经理 (manager) Chinese."""
    with scopes_disabled():
        User.objects.filter(pk__in=[world.employee.pk, world.teammate.pk]).update(language="en")
        User.objects.filter(pk=world.manager.pk).update(language="zh-hans")
        for user in (world.employee, world.teammate, world.manager):
            user.refresh_from_db()
    calendar_make(world.company)
    with time_machine.travel(NOW, tick=False), scope(company=world.company):
        leave_services.leave_types_ensure(company=world.company)
        yield world


def _last(user: User) -> Notification:
    with scopes_disabled():
        return Notification.objects.filter(recipient=user).latest("pk")


def test_leave_request_and_decision(bilingual: World) -> None:
    wang = bilingual.person(bilingual.employee)
    with translation.override("en"):  # she submits from an English page
        request = leave_services.leave_request_create(
            employee=wang,
            leave_type=LeaveType.objects.get(code="personal"),
            start=dt.datetime(2026, 3, 2, 9, 0),
            end=dt.datetime(2026, 3, 3, 18, 0),
            reason="family",
            actor=bilingual.employee,
        )
    to_manager = _last(bilingual.manager)
    assert to_manager.title == "王姐 提交了请假申请"
    assert to_manager.body == "事假 2026-03-02 09:00 至 2026-03-03 18:00，共 2 天"
    with translation.override("zh-hans"):  # he decides from a Chinese page
        leave_services.leave_request_approve(
            leave_request=request, actor=bilingual.manager, note="注意交接"
        )
    to_wang = _last(bilingual.employee)
    assert to_wang.title == "Your leave request has been approved"
    assert to_wang.body == (
        "事假 2026-03-02 09:00 to 2026-03-03 18:00, 2 days in total\nApprover's comment: 注意交接"
    )


def test_overtime_request_and_decision(bilingual: World) -> None:
    wang = bilingual.person(bilingual.employee)
    with translation.override("en"):
        overtime = overtime_services.overtime_request_create(
            employee=wang,
            start=dt.datetime(2026, 3, 2, 19, 0),
            end=dt.datetime(2026, 3, 2, 21, 0),
            reason="German customer call",
            compensation="pay",
            actor=bilingual.employee,
        )
    to_manager = _last(bilingual.manager)
    assert to_manager.title == "王姐 提交了加班申请"
    assert to_manager.body == "2026-03-02 19:00 至 2026-03-02 21:00，2 小时，加班费"
    with translation.override("zh-hans"):
        overtime_services.overtime_request_reject(
            overtime=overtime, actor=bilingual.manager, note="不需要"
        )
    to_wang = _last(bilingual.employee)
    assert to_wang.title.startswith("Your overtime request")
    assert to_wang.body.startswith("2026-03-02 19:00 to 2026-03-02 21:00, 2 hours, ")
    assert "至" not in to_wang.body
    assert to_wang.body.endswith("Approver's comment: 不需要")


def test_correction_request_and_decision(bilingual: World) -> None:
    wang = bilingual.person(bilingual.employee)
    with (
        translation.override("en"),
        time_machine.travel(dt.datetime(2026, 3, 3, 1, 0, tzinfo=dt.UTC)),
    ):
        correction = correction_services.correction_create(
            employee=wang,
            date=dt.date(2026, 3, 2),
            kind="explanation",
            reason="badge reader down",
            actor=bilingual.employee,
        )
        to_manager = _last(bilingual.manager)
        assert to_manager.title == "王姐 提交了异常说明申请"
        assert to_manager.body == "2026-03-02 异常说明：badge reader down"
        with translation.override("zh-hans"):
            correction_services.correction_approve(
                correction=correction, actor=bilingual.manager, note="已核实"
            )
    to_wang = _last(bilingual.employee)
    assert to_wang.title == "Your punch correction/exception request has been approved"
    assert to_wang.body == (
        "2026-03-02 exception explanation: badge reader down\nApprover's comment: 已核实"
    )


@pytest.fixture
def rostered(bilingual: World) -> dict[str, Any]:
    copied = presets.preset_copy(
        company=bilingual.company, preset_key="retail_split", name="门店两头班", actor=bilingual.hr
    )
    monday = dt.date(2026, 3, 2)
    people = [bilingual.person(bilingual.employee), bilingual.person(bilingual.teammate)]
    for person, offset in zip(people, (0, 2), strict=True):
        schedule_services.assignment_create(
            company=bilingual.company,
            actor=bilingual.hr,
            schedule=copied.schedule,
            employee=person,
            rotation=copied.rotation,
            rotation_offset=offset,
            start_date=monday,
        )
    schedule_services.roster_generate(
        company=bilingual.company,
        employees=people,
        start=monday,
        end=monday + dt.timedelta(days=6),
        actor=bilingual.hr,
    )
    return {"wang": people[0], "li": people[1]}


def test_swap_request_and_decision(bilingual: World, rostered: dict[str, Any]) -> None:
    wed, fri = dt.date(2026, 3, 4), dt.date(2026, 3, 6)
    with translation.override("en"):
        swap = schedule_services.swap_request_create(
            requester=rostered["wang"],
            counterpart=rostered["li"],
            requester_date=wed,
            counterpart_date=fri,
            reason="family",
            actor=bilingual.employee,
        )
    to_manager = _last(bilingual.manager)
    assert to_manager.title == "王姐 申请换班"
    assert to_manager.body == "王姐（2026-03-04）与 李哥（2026-03-06）换班，待上级审批。"
    with translation.override("zh-hans"):
        schedule_services.swap_request_decide(
            swap=swap, approve=True, actor=bilingual.manager, note=""
        )
    assert _last(bilingual.employee).title == "Shift swap request approved"
    assert _last(bilingual.teammate).title == "Shift swap request approved"
    # The status word inside the body follows the reader too.
    assert "已通过" not in _last(bilingual.employee).body


def test_one_notice_two_readers_two_languages(bilingual: World) -> None:
    """A request whose approvers are HR (no manager): each HR admin reads their own language."""
    with scopes_disabled():
        zhao = bilingual.person(bilingual.other_team)  # R&D has no head: HR decides
        second_hr = User.objects.create(
            company=bilingual.company, username="hr-en", role="hr_admin", language="en"
        )
    with translation.override("zh-hans"):
        leave_services.leave_request_create(
            employee=zhao,
            leave_type=LeaveType.objects.get(code="personal"),
            start=dt.datetime(2026, 3, 2, 9, 0),
            end=dt.datetime(2026, 3, 2, 12, 0),
            reason="看病",
            actor=bilingual.other_team,
        )
    assert _last(bilingual.hr).body.endswith("共 0.5 天")
    assert _last(second_hr).title == "赵工 submitted a leave request"
    assert _last(second_hr).body.endswith("0.5 days in total")
