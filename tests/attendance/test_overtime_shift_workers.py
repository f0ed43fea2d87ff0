"""Comp leave (调休) for overtime only on the employee's rest days (Labour Law Art. 44),
judged by the roster for shift workers and by the calendar for everyone else.

李哥 works the two-shift rotation from Monday 2 March 2026 (白 白 夜 夜 休 休): Friday
6 March is his day off although the calendar says workday; Sunday 8 March he works.
王姐 in the office follows the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django_scopes import scope

from jixiao.attendance import presets
from jixiao.attendance.models import OvertimeRequest
from jixiao.attendance.services import overtime as services
from jixiao.attendance.services import schedules as schedule_services
from jixiao.core.api_errors import ServiceError
from jixiao.org.models import Employee
from tests.attendance.requests_support import calendar_make
from tests.conftest import World

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC)
MON = dt.date(2026, 3, 2)


@pytest.fixture
def factory(world: World) -> Iterator[dict[str, Any]]:
    calendar_make(world.company)
    with time_machine.travel(NOW, tick=False), scope(company=world.company):
        copied = presets.preset_copy(
            company=world.company,
            preset_key="manufacturing_two_shift",
            name="两班倒",
            actor=world.hr,
        )
        li = world.person(world.teammate)
        schedule_services.assignment_create(
            company=world.company,
            actor=world.hr,
            schedule=copied.schedule,
            employee=li,
            rotation=copied.rotation,
            start_date=MON,
        )
        yield {"world": world, "li": li, "wang": world.person(world.employee), **vars(copied)}


def ask(employee: Employee, start: str, end: str, compensation: str) -> OvertimeRequest:
    return services.overtime_request_create(
        employee=employee,
        start=dt.datetime.fromisoformat(start),
        end=dt.datetime.fromisoformat(end),
        reason="赶单",
        compensation=compensation,
        actor=employee.user,  # type: ignore[arg-type]
    )


def test_rostered_day_off_on_a_calendar_workday_is_a_rest_day(factory: dict[str, Any]) -> None:
    li = factory["li"]
    overtime = ask(li, "2026-03-06T09:00", "2026-03-06T17:00", "comp_leave")
    assert overtime.compensation == "comp_leave"


def test_rostered_shift_on_a_saturday_is_a_workday(factory: dict[str, Any]) -> None:
    li = factory["li"]
    with pytest.raises(ServiceError) as caught:
        ask(li, "2026-03-08T20:00", "2026-03-08T22:00", "comp_leave")
    assert caught.value.code == "workday_comp_leave"
    assert "2026-03-08 是李哥的工作日" in caught.value.message
    assert caught.value.fields == {"compensation": ["工作日加班不能以调休代替"]}
    # Paid at 150 % it is fine.
    assert ask(li, "2026-03-08T20:00", "2026-03-08T22:00", "pay").pk


def test_office_staff_follow_the_calendar(factory: dict[str, Any]) -> None:
    wang = factory["wang"]
    with pytest.raises(ServiceError) as caught:
        ask(wang, "2026-03-06T18:00", "2026-03-06T20:00", "comp_leave")
    assert caught.value.code == "workday_comp_leave"
    assert ask(wang, "2026-03-07T09:00", "2026-03-07T12:00", "comp_leave").pk
    # A make-up workday (调休上班) is a workday.
    with pytest.raises(ServiceError):
        ask(wang, "2026-09-27T18:00", "2026-09-27T20:00", "comp_leave")


def test_a_roster_change_changes_the_judgement(factory: dict[str, Any]) -> None:
    li, world = factory["li"], factory["world"]
    schedule_services.roster_set(employee=li, date=dt.date(2026, 3, 9), shift=None, actor=world.hr)
    schedule_services.roster_set(
        employee=li, date=dt.date(2026, 3, 7), shift=factory["shifts"][0], actor=world.hr
    )
    assert ask(li, "2026-03-09T09:00", "2026-03-09T12:00", "comp_leave").pk  # Monday, now off
    with pytest.raises(ServiceError):
        ask(li, "2026-03-07T20:00", "2026-03-07T21:00", "comp_leave")  # Saturday, now on


def test_statutory_holiday_stays_paid_even_on_a_rostered_day_off(factory: dict[str, Any]) -> None:
    li, world = factory["li"], factory["world"]
    schedule_services.roster_set(employee=li, date=dt.date(2026, 5, 1), shift=None, actor=world.hr)
    with pytest.raises(ServiceError) as caught:
        ask(li, "2026-05-01T09:00", "2026-05-01T12:00", "comp_leave")
    assert caught.value.code == "statutory_holiday_comp_leave"


def test_overnight_request_must_be_rest_on_every_date(factory: dict[str, Any]) -> None:
    li = factory["li"]
    # Saturday (off) 22:00 to Sunday (day shift) 02:00 reaches into a workday.
    with pytest.raises(ServiceError) as caught:
        ask(li, "2026-03-07T22:00", "2026-03-08T02:00", "comp_leave")
    assert "2026-03-08" in caught.value.message and "2026-03-07" not in caught.value.message
    # Friday (off) 22:00 to Saturday (off) 02:00 is rest-day work throughout.
    assert ask(li, "2026-03-06T22:00", "2026-03-07T02:00", "comp_leave").pk


def test_unrostered_shift_worker_is_a_clear_error(world: World) -> None:
    calendar_make(world.company)
    with time_machine.travel(NOW, tick=False), scope(company=world.company):
        copied = presets.preset_copy(
            company=world.company, preset_key="manufacturing_two_shift", name="倒班", actor=world.hr
        )
        zhao = world.person(world.other_team)
        schedule_services.assignment_create(
            company=world.company, actor=world.hr, schedule=copied.schedule, employee=zhao,
            start_date=MON,
        )  # fmt: skip
        with pytest.raises(ServiceError) as caught:
            ask(zhao, "2026-03-07T09:00", "2026-03-07T12:00", "comp_leave")
        assert caught.value.code == "roster_missing"
        # Paid overtime needs no rest-day judgement.
        assert ask(zhao, "2026-03-07T09:00", "2026-03-07T12:00", "pay").pk


def test_comprehensive_hours_have_no_rest_day_category(world: World) -> None:
    calendar_make(world.company)
    with time_machine.travel(NOW, tick=False), scope(company=world.company):
        copied = presets.preset_copy(
            company=world.company, preset_key="comprehensive_month", name="综合工时", actor=world.hr
        )
        wang = world.person(world.employee)
        schedule_services.assignment_create(
            company=world.company, actor=world.hr, schedule=copied.schedule, employee=wang,
            start_date=MON,
        )  # fmt: skip
        assert ask(wang, "2026-03-03T18:00", "2026-03-03T20:00", "comp_leave").pk
        with pytest.raises(ServiceError):
            ask(wang, "2026-05-01T09:00", "2026-05-01T12:00", "comp_leave")
