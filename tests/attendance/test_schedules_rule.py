"""schedule_rule_build: stored rules and shifts become the engine's ScheduleRule (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jixiao.attendance.engine import Block, System
from jixiao.attendance.models import ShiftType, WorkSchedule
from jixiao.attendance.schedules_rule import block_minutes, schedule_rule_build, time_parse
from jixiao.attendance.services import schedules as services
from jixiao.core.api_errors import ServiceError


def test_office_standard_rule_has_blocks_breaks_and_grace() -> None:
    office = WorkSchedule(
        name="办公室标准",
        system="standard",
        blocks=[["09:00", "18:00"]],
        breaks=[["12:00", "13:00"]],
        grace_late_minutes=5,
    )
    rule = schedule_rule_build(office, None)
    assert rule.system is System.STANDARD
    assert rule.blocks == (Block(dt.time(9), dt.time(18)),)
    assert rule.breaks == (Block(dt.time(12), dt.time(13)),)
    assert rule.grace_late_minutes == 5
    assert rule.daily_minutes == 480
    assert rule.day_off is False
    assert rule.night_start == dt.time(22)


def test_flexible_rule_of_seed_000_has_core_window_and_night_allowance() -> None:
    flex = WorkSchedule(
        name="弹性",
        system="flexible",
        core_start=dt.time(9),
        core_end=dt.time(12),
        flex_earliest=dt.time(7),
        flex_latest=dt.time(23),
        daily_minutes=480,
        night_allowance_per_hour=Decimal("20.00"),
    )
    rule = schedule_rule_build(flex, None)
    assert rule.system is System.FLEXIBLE
    assert rule.blocks == ()
    assert rule.core == Block(dt.time(9), dt.time(12))
    assert rule.flex_window == Block(dt.time(7), dt.time(23))
    assert rule.night_allowance_per_hour == Decimal("20.00")


def test_overnight_shift_gives_its_blocks_and_paid_minutes() -> None:
    schedule = WorkSchedule(name="三班倒", system="shift", blocks=[], breaks=[])
    night = ShiftType(code="N", name="夜班", blocks=[["22:00", "06:00"]], breaks=[])
    rule = schedule_rule_build(schedule, night)
    assert rule.blocks == (Block(dt.time(22), dt.time(6)),)
    assert rule.daily_minutes == 480
    assert rule.day_off is False


def test_split_shift_has_two_blocks() -> None:
    schedule = WorkSchedule(name="两头班", system="shift")
    split = ShiftType(code="S", name="两头班", blocks=[["10:00", "14:00"], ["17:00", "21:00"]])
    rule = schedule_rule_build(schedule, split)
    assert len(rule.blocks) == 2
    assert rule.daily_minutes == 480


@pytest.mark.parametrize("day_off", [True, False])
def test_shift_system_without_a_shift_is_a_day_off(day_off: bool) -> None:
    schedule = WorkSchedule(name="两班倒", system="shift")
    rule = schedule_rule_build(schedule, None, day_off=day_off)
    assert rule.day_off is True
    assert rule.blocks == ()


def test_roster_day_off_drops_the_shift_blocks() -> None:
    schedule = WorkSchedule(name="两班倒", system="shift")
    day = ShiftType(code="D", name="白班", blocks=[["08:00", "20:00"]])
    rule = schedule_rule_build(schedule, day, day_off=True)
    assert rule.day_off is True
    assert rule.blocks == ()


def test_time_parse_and_block_minutes() -> None:
    assert time_parse("07:30") == dt.time(7, 30)
    assert time_parse("24:00") == dt.time(0)
    assert block_minutes(Block(dt.time(20), dt.time(8))) == 720
    with pytest.raises(ValueError):
        time_parse("7h30")


_clock = st.builds(
    lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 15, 30, 45])
)
_block = st.tuples(_clock, _clock).map(list)


@given(st.lists(_block, min_size=1, max_size=2))
def test_accepted_shift_blocks_never_overlap_and_fit_in_a_day(blocks: list[list[str]]) -> None:
    """Whatever HR types: either a clear field error, or blocks whose paid time is 1–1,440 min."""
    values = {"code": "X", "name": "班", "blocks": blocks, "breaks": [], "color": "#123456"}
    try:
        cleaned = services._shift_clean(values)
    except ServiceError as exc:
        assert exc.fields.get("blocks"), exc.fields
        return
    shift = ShiftType(code="X", name="班", blocks=cleaned["blocks"])
    rule = schedule_rule_build(WorkSchedule(name="排班", system="shift"), shift)
    assert 0 < rule.daily_minutes <= 24 * 60
    assert rule.daily_minutes == sum(block_minutes(b) for b in rule.blocks)
