"""Leave days of shift workers follow their roster, not the calendar; office staff keep it.

李哥 works the factory's two-shift rotation from Monday 2 March 2026 — 白 白 夜 夜 休 休:
白班 08:00–20:00 on 2, 3, 8, 9, 14, 15 March (8 and 15 are Sundays), 夜班 20:00–08:00
starting 4, 5, 10, 11 March, days off 6, 7, 12, 13 March (6 and 12 are Fridays).
王姐 (office, no schedule of her own) keeps the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_scopes import scope

from jixiao.attendance import presets
from jixiao.attendance.models import LeaveType, ShiftType
from jixiao.attendance.services import leave as services
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
        services.leave_types_ensure(company=world.company)
        two_shift = presets.preset_copy(
            company=world.company,
            preset_key="manufacturing_two_shift",
            name="两班倒",
            actor=world.hr,
        )
        li = world.person(world.teammate)
        schedule_services.assignment_create(
            company=world.company,
            actor=world.hr,
            schedule=two_shift.schedule,
            employee=li,
            rotation=two_shift.rotation,
            start_date=MON,
        )
        yield {"world": world, "li": li, "wang": world.person(world.employee), **vars(two_shift)}


def days(employee: Employee, start: str, end: str, code: str = "personal") -> Decimal:
    return services.leave_days_compute(
        employee=employee,
        leave_type=LeaveType.objects.get(code=code),
        start=_at(start),
        end=_at(end),
    )


def _at(text: str) -> dt.datetime:
    """Wall time in Shanghai, as the request forms send it."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Shanghai"))


def test_rostered_days_count_not_the_calendar(factory: dict[str, Any]) -> None:
    li, wang = factory["li"], factory["wang"]
    # Friday to Sunday: the calendar has one workday; 李哥's roster has Thursday's night
    # shift running past midnight (both its halves are touched), Friday and Saturday
    # off, and Sunday's day shift.
    assert days(wang, "2026-03-06T00:00", "2026-03-09T00:00") == Decimal("1")
    assert days(li, "2026-03-06T00:00", "2026-03-09T00:00") == Decimal("2")
    # From Friday 08:00 the night shift is over: only Sunday counts.
    assert days(li, "2026-03-06T08:00", "2026-03-09T00:00") == Decimal("1")
    # Saturday to Monday: no calendar workday but Sunday; his Sunday and Monday shifts.
    assert days(li, "2026-03-07T00:00", "2026-03-10T00:00") == Decimal("2")
    # A whole week: five rostered shifts (Mon, Tue, two nights, Sunday).
    assert days(li, "2026-03-02T00:00", "2026-03-09T00:00") == Decimal("5")


def test_half_days_follow_the_shift(factory: dict[str, Any]) -> None:
    li = factory["li"]
    # 白班 08:00–20:00 splits at 14:00.
    assert days(li, "2026-03-02T08:00", "2026-03-02T14:00") == Decimal("0.5")
    assert days(li, "2026-03-02T13:00", "2026-03-02T20:00") == Decimal("1")
    # 夜班 20:00–08:00 belongs to the date it starts and splits at 02:00.
    assert days(li, "2026-03-04T20:00", "2026-03-05T02:00") == Decimal("0.5")
    assert days(li, "2026-03-05T02:00", "2026-03-05T08:00") == Decimal("0.5")
    assert days(li, "2026-03-04T20:00", "2026-03-05T08:00") == Decimal("1")
    # An office morning of a night-shift date is no working time for him at all.
    with pytest.raises(ServiceError) as nothing:
        services.leave_request_create(
            employee=li,
            leave_type=LeaveType.objects.get(code="personal"),
            start=dt.datetime(2026, 3, 4, 9, 0),
            end=dt.datetime(2026, 3, 4, 18, 0),
            reason="",
            actor=factory["world"].teammate,
        )
    assert "没有需要请假的工作日" in nothing.value.message


def test_split_shift_halves_are_its_two_blocks(world: World) -> None:
    calendar_make(world.company)
    with time_machine.travel(NOW, tick=False), scope(company=world.company):
        services.leave_types_ensure(company=world.company)
        retail = presets.preset_copy(
            company=world.company, preset_key="retail_split", name="两头班", actor=world.hr
        )
        wang = world.person(world.employee)
        schedule_services.assignment_create(
            company=world.company,
            actor=world.hr,
            schedule=retail.schedule,
            employee=wang,
            rotation=retail.rotation,
            start_date=MON,
        )
        # 两头班 10:00–14:00 + 17:00–21:00: the first block is one half, the second the other.
        assert days(wang, "2026-03-02T10:00", "2026-03-02T14:00") == Decimal("0.5")
        assert days(wang, "2026-03-02T14:00", "2026-03-02T17:00") == Decimal("0")
        assert days(wang, "2026-03-02T13:00", "2026-03-02T18:00") == Decimal("1")


def test_a_rostered_day_off_on_a_calendar_workday_needs_no_leave(factory: dict[str, Any]) -> None:
    li = factory["li"]
    with pytest.raises(ServiceError) as caught:
        services.leave_request_create(
            employee=li,
            leave_type=LeaveType.objects.get(code="personal"),
            start=dt.datetime(2026, 3, 6, 8, 0),  # Friday, his day off (the night ended)
            end=dt.datetime(2026, 3, 6, 23, 59),
            reason="",
            actor=factory["world"].teammate,
        )
    assert caught.value.fields == {"start": ["所选时间内没有需要请假的工作日。"]}


def test_roster_entries_win_over_the_rotation(factory: dict[str, Any]) -> None:
    li, world = factory["li"], factory["world"]
    day_shift = ShiftType.objects.get(pk=factory["shifts"][0].pk)
    schedule_services.roster_set(
        employee=li, date=dt.date(2026, 3, 6), shift=day_shift, actor=world.hr
    )
    schedule_services.roster_set(employee=li, date=dt.date(2026, 3, 8), shift=None, actor=world.hr)
    # Friday now a day shift, Sunday now off.
    assert days(li, "2026-03-06T08:00", "2026-03-09T00:00") == Decimal("1")
    assert days(li, "2026-03-08T00:00", "2026-03-09T00:00") == Decimal("0")


def test_balance_checks_use_the_rostered_count(factory: dict[str, Any]) -> None:
    li, world = factory["li"], factory["world"]
    annual = LeaveType.objects.get(code="annual")
    services.leave_balance_adjust(
        employee=li, leave_type=annual, year=2026, days=Decimal("1"), reason="试用", actor=world.hr
    )
    weekend = {"start": dt.datetime(2026, 3, 14, 0, 0), "end": dt.datetime(2026, 3, 16, 0, 0)}
    with pytest.raises(ServiceError) as short:
        services.leave_request_create(
            employee=li, leave_type=annual, reason="", actor=world.teammate, **weekend
        )
    assert short.value.code == "insufficient_balance"
    assert "剩余 1 天，申请 2 天" in short.value.message
    services.leave_balance_adjust(
        employee=li, leave_type=annual, year=2026, days=Decimal("1"), reason="补足", actor=world.hr
    )
    request = services.leave_request_create(
        employee=li, leave_type=annual, reason="", actor=world.teammate, **weekend
    )
    assert request.days == Decimal("2")
    approved = services.leave_request_approve(leave_request=request, actor=world.manager)
    assert approved.status == "approved"
    assert services.leave_balance(li, annual, 2026) == Decimal("0")


def test_shift_worker_without_roster_or_rotation_is_a_clear_error(world: World) -> None:
    calendar_make(world.company)
    with time_machine.travel(NOW, tick=False), scope(company=world.company):
        services.leave_types_ensure(company=world.company)
        copied = presets.preset_copy(
            company=world.company, preset_key="manufacturing_two_shift", name="倒班", actor=world.hr
        )
        zhao = world.person(world.other_team)
        schedule_services.assignment_create(
            company=world.company, actor=world.hr, schedule=copied.schedule, employee=zhao,
            start_date=MON,
        )  # fmt: skip
        with pytest.raises(ServiceError) as caught:
            days(zhao, "2026-03-02T00:00", "2026-03-04T00:00")
        assert caught.value.code == "roster_missing"
        assert "2026-03-02、2026-03-03 尚未排班" in caught.value.message
        schedule_services.roster_set(
            employee=zhao, date=MON, shift=copied.shifts[0], actor=world.hr
        )
        schedule_services.roster_set(
            employee=zhao, date=MON + dt.timedelta(days=1), shift=None, actor=world.hr
        )
        assert days(zhao, "2026-03-02T00:00", "2026-03-04T00:00") == Decimal("1")


def test_office_staff_and_maternity_keep_the_calendar(factory: dict[str, Any]) -> None:
    li, wang = factory["li"], factory["wang"]
    assert days(wang, "2026-03-02T00:00", "2026-03-09T00:00") == Decimal("5")
    assert days(wang, "2026-03-02T09:00", "2026-03-02T12:00") == Decimal("0.5")
    # Maternity leave runs in calendar days for everyone, rostered or not.
    assert days(li, "2026-03-02T00:00", "2026-03-09T00:00", "maternity") == Decimal("7")


def _span_days(employee: Employee, start: str, start_half: str, end: str, end_half: str) -> Any:
    begin, finish = services.leave_span(
        employee=employee,
        start_date=dt.date.fromisoformat(start),
        start_half=start_half,
        end_date=dt.date.fromisoformat(end),
        end_half=end_half,
    )
    count = services.leave_days_compute(
        employee=employee,
        leave_type=LeaveType.objects.get(code="personal"),
        start=begin,
        end=finish,
    )
    zone = ZoneInfo("Asia/Shanghai")
    return (
        begin.astimezone(zone).strftime("%d %H:%M"),
        finish.astimezone(zone).strftime("%d %H:%M"),
        count,
    )


def test_form_halves_follow_the_rostered_shift(factory: dict[str, Any]) -> None:
    li, wang = factory["li"], factory["wang"]
    # The afternoon half of a day shift is its second half, 14:00–20:00.
    assert _span_days(li, "2026-03-02", "pm", "2026-03-02", "pm") == ("02 14:00", "02 20:00", 1 / 2)
    assert _span_days(li, "2026-03-02", "am", "2026-03-02", "am") == ("02 08:00", "02 14:00", 1 / 2)
    # A whole night shift ends the next morning.
    assert _span_days(li, "2026-03-04", "am", "2026-03-04", "pm") == ("04 20:00", "05 08:00", 1)
    # His day off after a night shift starts when the night ends: nothing to take.
    assert _span_days(li, "2026-03-06", "am", "2026-03-06", "pm") == ("06 08:00", "07 00:00", 0)
    # Friday to Sunday by the form: Sunday's day shift only.
    assert _span_days(li, "2026-03-06", "am", "2026-03-08", "pm") == ("06 08:00", "08 20:00", 1)
    # Office staff keep 00:00 and 12:00.
    assert _span_days(wang, "2026-03-02", "pm", "2026-03-03", "am") == ("02 12:00", "03 12:00", 1)


def test_the_leave_form_counts_the_roster(factory: dict[str, Any]) -> None:
    from django.urls import reverse
    from django_scopes import scopes_disabled

    from jixiao.attendance.models import LeaveRequest
    from tests.conftest import login

    world = factory["world"]
    personal = LeaveType.objects.get(code="personal")
    with scopes_disabled():
        response = login(world.teammate).post(
            reverse("attendance:leave_request_new"),
            {
                "leave_type": personal.pk,
                "start_date": "2026-03-07",
                "start_half": "am",
                "end_date": "2026-03-08",
                "end_half": "pm",
                "reason": "家里有事",
            },
        )
        assert response.status_code == 302, response.content.decode()[:500]
        request = LeaveRequest.objects.get(employee=factory["li"])
    assert request.days == Decimal("1")  # the weekend: his Sunday day shift
