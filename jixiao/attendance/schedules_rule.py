"""Conversion of stored working-hour rules (and a day's shift) into the engine's ``ScheduleRule``.

Pure: reads only the attributes of the rows it is given, touches no database and
validates nothing (the schedules service validates when a rule is saved).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from jixiao.attendance.engine import Block, ScheduleRule, System

if TYPE_CHECKING:
    from jixiao.attendance.models import ShiftType, WorkSchedule


def time_parse(value: str) -> dt.time:
    """ "HH:MM" (or "HH:MM:SS") → time; "24:00" means midnight at the end of the day."""
    text = value.strip()
    if text in {"24:00", "24:00:00"}:
        return dt.time(0, 0)
    parts = text.split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() and len(p) <= 2 for p in parts):
        raise ValueError(f"not a time of day: {value!r}")
    hour, minute = int(parts[0]), int(parts[1])
    second = int(parts[2]) if len(parts) == 3 else 0
    return dt.time(hour, minute, second)


def blocks_parse(pairs: Iterable[Sequence[str]] | None) -> tuple[Block, ...]:
    """[["09:00", "12:00"], ["13:00", "18:00"]] → (Block, Block)."""
    return tuple(Block(time_parse(start), time_parse(end)) for start, end in (pairs or ()))


def block_minutes(block: Block) -> int:
    """Length of a wall-clock block in minutes; end ≤ start wraps to the next day."""
    start = block.start.hour * 60 + block.start.minute
    end = block.end.hour * 60 + block.end.minute
    return (end - start) % (24 * 60) if end != start else 24 * 60


def schedule_rule_build(
    schedule: WorkSchedule, shift: ShiftType | None, *, day_off: bool = False
) -> ScheduleRule:
    """The rule in force for one date: the schedule's parameters, blocks from the shift if any.

    For the shift system, ``shift`` is that date's rostered shift; ``None`` or
    ``day_off=True`` gives a rule without blocks that says the person is off.
    """
    system = System(schedule.system)
    core = (
        Block(schedule.core_start, schedule.core_end)
        if schedule.core_start is not None and schedule.core_end is not None
        else None
    )
    flex_window = (
        Block(schedule.flex_earliest, schedule.flex_latest)
        if schedule.flex_earliest is not None and schedule.flex_latest is not None
        else None
    )
    if system == System.SHIFT or shift is not None:
        off = day_off or shift is None
        blocks = () if off or shift is None else blocks_parse(shift.blocks)
        breaks = () if off or shift is None else blocks_parse(shift.breaks)
    else:
        off = day_off
        blocks = () if off else blocks_parse(schedule.blocks)
        breaks = () if off else blocks_parse(schedule.breaks)
    daily_minutes = schedule.daily_minutes
    if blocks and system in (System.SHIFT, System.STANDARD):
        paid = sum(block_minutes(b) for b in blocks) - sum(block_minutes(b) for b in breaks)
        daily_minutes = max(0, paid)
    return ScheduleRule(
        system=system,
        blocks=blocks,
        breaks=breaks,
        grace_late_minutes=schedule.grace_late_minutes,
        grace_early_minutes=schedule.grace_early_minutes,
        core=core,
        flex_window=flex_window,
        daily_minutes=daily_minutes,
        day_off=off,
        punch_required=schedule.punch_required,
        overtime_requires_approval=schedule.overtime_requires_approval,
        overtime_min_minutes=schedule.overtime_min_minutes,
        rest_day_comp_leave=schedule.rest_day_comp_leave,
        unfixed_statutory_holiday_pay=schedule.unfixed_statutory_holiday_pay,
        night_start=schedule.night_start,
        night_end=schedule.night_end,
        night_allowance_per_hour=Decimal(schedule.night_allowance_per_hour),
        day_boundary=schedule.day_boundary,
    )
