"""The attendance engine: one employee-day (and one month) in, explained figures out.

Pure: plain dataclasses in, plain dataclasses out; no ORM, no clock, no settings,
no translation. Instants are timezone-aware datetimes in UTC; local wall-clock
rules (blocks, core hours, the night window) are judged in ``DayInput.time_zone``.
Every figure in a result is backed by ``Reason`` lines (a code plus parameters)
that ``jixiao.attendance.explain`` turns into words in the reader's language.

Law applied (see ../shared/DOMAIN.md):
- Labour Law Art. 44: workday overtime 150 %, rest-day work 200 % (or comp
  leave), statutory-holiday work 300 % (never comp leave).
- Labour Law Art. 41: overtime ≤ 3 h a day and ≤ 36 h a month — warned, never cut.
- 人社部发〔2025〕2号: 165.36 standard hours a month for comprehensive hours.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from typing import Any, TypeVar
from zoneinfo import ZoneInfo


class DayKind(StrEnum):
    """What the work calendar says a date is."""

    WORKDAY = "workday"
    MAKEUP_WORKDAY = "makeup_workday"  # 调休上班: a weekend day worked in exchange for a holiday
    REST_DAY = "rest_day"  # weekends and rest days moved into a holiday block (200 %)
    STATUTORY_HOLIDAY = "statutory_holiday"  # 法定节假日 (300 %)
    COMPANY_REST_DAY = "company_rest_day"  # company outing, plant shutdown: paid rest day


class System(StrEnum):
    """Working-hour systems (工时制度); values match ``org.WorkingHourSystem``."""

    STANDARD = "standard"
    FLEXIBLE = "flexible"
    SHIFT = "shift"
    COMPREHENSIVE = "comprehensive"
    UNFIXED = "unfixed"


class OvertimeCategory(StrEnum):
    WORKDAY = "workday"  # 150 %
    REST_DAY = "rest_day"  # 200 % or comp leave
    STATUTORY_HOLIDAY = "statutory_holiday"  # 300 %


class DayStatus(StrEnum):
    NORMAL = "normal"  # nothing to look at
    EXCEPTION = "exception"  # late, early, absent, missing punch, unapproved overtime ...
    REST = "rest"  # not a working day for this person and nothing worked
    LEAVE = "leave"  # the whole scheduled time is covered by approved leave
    NO_SCHEDULE = "no_schedule"  # no working-hour system in force: flagged, never a silent zero


@dataclass(frozen=True)
class Interval:
    """A half-open span of time [start, end) between two aware UTC instants."""

    start: dt.datetime
    end: dt.datetime

    @property
    def minutes(self) -> int:
        return max(0, int((self.end - self.start).total_seconds() // 60))


@dataclass(frozen=True)
class Block:
    """A planned working block in local wall-clock time; ``end <= start`` means it ends the next day."""

    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class ScheduleRule:
    """The working-hour rule in force for one employee on one date.

    For shift work the compute service puts that day's shift blocks (from the
    roster) into ``blocks``; a roster day off has no blocks and ``day_off=True``.
    """

    system: System
    blocks: tuple[Block, ...] = ()
    breaks: tuple[Block, ...] = ()  # unpaid breaks inside the blocks, e.g. lunch 12:00–13:00
    grace_late_minutes: int = 0
    grace_early_minutes: int = 0
    core: Block | None = None  # flexible: must be present in this window (seed 000: 9:00–12:00)
    flex_window: Block | None = None  # flexible: the span in which the daily total may be worked
    daily_minutes: int = 480  # required daily total (flexible, comprehensive, unfixed presence)
    day_off: bool = False  # shift roster says this person is off this date
    punch_required: bool = True  # unfixed hours track presence but judge no lateness
    overtime_requires_approval: bool = False
    overtime_min_minutes: int = 30  # overtime shorter than this on a day is not counted
    rest_day_comp_leave: bool = False  # rest-day overtime becomes comp leave instead of pay
    unfixed_statutory_holiday_pay: bool = False  # some cities require 300 % even for 不定时
    night_start: dt.time = dt.time(22, 0)
    night_end: dt.time = dt.time(6, 0)
    night_allowance_per_hour: Decimal = Decimal("0")  # seed 000: 20 yuan/hour after 22:00
    daily_overtime_cap_minutes: int = 180  # Art. 41: warn above 3 h a day
    day_boundary: dt.time = dt.time(4, 0)  # punches before this local time belong to the day before


@dataclass(frozen=True)
class Activity:
    """A piece of evidenced work from another system (a call, an email sent)."""

    kind: str  # "call", "email", "meeting", ...
    start: dt.datetime
    duration_minutes: int = 0
    source_ref: str = ""  # evidence: e.g. "crm:call:88123"


@dataclass(frozen=True)
class ActivityRule:
    """How activities become work sessions (issue 4 §4); configured per company and role."""

    kinds: frozenset[str] = frozenset({"call", "email"})
    gap_join_minutes: int = 30  # activities closer than this join into one session
    email_credit_minutes: int = 5  # an email with no duration counts this long


@dataclass(frozen=True)
class DayInput:
    employee_id: int
    date: dt.date  # the local work date (an overnight shift belongs to the date it starts)
    time_zone: str  # IANA zone in force on this date (work location's, as of the date)
    day_kind: DayKind
    rule: ScheduleRule | None  # None: no working-hour system assigned → NO_SCHEDULE
    punches: tuple[
        dt.datetime, ...
    ] = ()  # UTC, any order, duplicates possible; may span neighbours
    activities: tuple[Activity, ...] = ()
    activity_rule: ActivityRule | None = None  # None: activities do not count as work time
    leaves: tuple[Interval, ...] = ()  # approved leave
    approved_overtime: tuple[Interval, ...] = ()  # approved overtime requests
    holiday_name: str = ""


@dataclass(frozen=True)
class Reason:
    """One explained line: ``code`` names the rule, ``params`` its inputs (JSON-safe values)."""

    code: str
    params: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class DayResult:
    employee_id: int
    date: dt.date
    day_kind: DayKind
    status: DayStatus
    scheduled_minutes: int = 0
    worked_minutes: int = 0
    late_minutes: int = 0
    early_minutes: int = 0
    absent_minutes: int = 0
    leave_minutes: int = 0
    missing_punch: bool = False
    overtime_workday_minutes: int = 0
    overtime_rest_day_minutes: int = 0
    overtime_holiday_minutes: int = 0
    unapproved_overtime_minutes: int = 0
    comp_leave_minutes: int = 0  # rest-day overtime turned into comp leave (part of rest-day OT)
    night_minutes: int = 0
    night_allowance: Decimal = Decimal("0.00")
    # Instants as whole UTC epoch minutes, the engine's own unit; ``first_punch``,
    # ``last_punch`` and ``work_sessions`` give them as datetimes when asked.
    first_punch_minute: int | None = None
    last_punch_minute: int | None = None
    work_session_minutes: tuple[tuple[int, int], ...] = ()
    flags: tuple[str, ...] = ()  # machine-readable exceptions, e.g. "late", "overtime_daily_cap"
    reasons: tuple[Reason, ...] = ()

    @property
    def first_punch(self) -> dt.datetime | None:
        minute = self.first_punch_minute
        return None if minute is None else _instant(minute)

    @property
    def last_punch(self) -> dt.datetime | None:
        minute = self.last_punch_minute
        return None if minute is None else _instant(minute)

    @property
    def work_sessions(self) -> tuple[Interval, ...]:
        """Worked time as intervals: the punch span and activity sessions, less unpaid breaks."""
        return tuple(Interval(_instant(s), _instant(e)) for s, e in self.work_session_minutes)

    @property
    def overtime_minutes(self) -> int:
        return (
            self.overtime_workday_minutes
            + self.overtime_rest_day_minutes
            + self.overtime_holiday_minutes
        )


@dataclass(frozen=True)
class MonthPolicy:
    """Company rules applied to a month of results (issue 4 §6), editable without code."""

    lates_per_half_day_absence: int = 3  # seed: three lates in a month count as half a day absent
    late_free_count: int = 0  # the first N lates a month are forgiven
    monthly_overtime_cap_minutes: int = 36 * 60  # Art. 41
    comprehensive_period_minutes: int | None = None  # e.g. 165.36 h = 9,922 min a month
    comprehensive_period: str = "month"  # week, month, quarter or year (with the minutes above)
    night_allowance_per_hour: Decimal = Decimal("0")


@dataclass(frozen=True)
class MonthResult:
    employee_id: int
    year: int
    month: int
    scheduled_days: int = 0  # days that required punching
    punched_days: int = 0  # of those, days with a complete punch record
    punch_rate: Decimal = Decimal("0")  # 打卡率 in percent, 2 decimals (seed 000: ≥ 90 %)
    worked_minutes: int = 0
    late_count: int = 0
    late_minutes: int = 0
    early_count: int = 0
    early_minutes: int = 0
    absent_days: Decimal = Decimal("0")
    penalty_absent_days: Decimal = Decimal("0")  # from the late-penalty rule
    missing_punch_count: int = 0
    leave_minutes: int = 0
    overtime_workday_minutes: int = 0
    overtime_rest_day_minutes: int = 0
    overtime_holiday_minutes: int = 0
    comp_leave_minutes: int = 0
    night_minutes: int = 0
    night_allowance: Decimal = Decimal("0.00")
    flags: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()


# ---------------------------------------------------------------------------
# The computation.
#
# Internally every instant is an integer: whole minutes since the Unix epoch
# (UTC), floored. Punches within the same minute are therefore one punch, and
# every figure is a whole number of minutes. Intervals are half-open
# ``(start, end)`` tuples kept sorted and disjoint. Local wall-clock rules are
# localised once per (zone, date, rule part) and cached, so a month of 10,000
# employees sharing a few rules and zones localises each of them only once.
# ---------------------------------------------------------------------------

_MinIv = tuple[int, int]

_DAY = dt.timedelta(days=1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_FEN = Decimal("0.01")
_PERCENT = Decimal("0.01")
_DEFAULT_DAY_BOUNDARY = dt.time(4, 0)
WINDOW_BEFORE_MINUTES = 4 * 60  # punches up to 4 h before the first block belong to the day
WINDOW_AFTER_MINUTES = 8 * 60  # ... and up to 8 h after the last block
ROUNDING_NOTE = "ROUND_HALF_UP 0.01"

# Standard hours of a comprehensive-hours period since 2025-01-01 (人社部发〔2025〕2号):
# 40 h a week, 165.36 h a month (9,921.6 min, rounded to the minute), 496 h a quarter,
# 1,984 h a year.
COMPREHENSIVE_STANDARD_MINUTES: dict[str, int] = {
    "week": 40 * 60,
    "month": 9922,
    "quarter": 496 * 60,
    "year": 1984 * 60,
}


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def _local_minute(zone_name: str, naive: dt.datetime) -> int:
    """A local wall-clock moment → UTC epoch minute (a time skipped by DST keeps the earlier offset)."""
    aware = naive.replace(tzinfo=_zone(zone_name))
    return int(aware.timestamp()) // 60


def _minute(at: dt.datetime) -> int:
    if at.tzinfo is None:
        raise ValueError(f"naive datetime given to the attendance engine: {at!r}")
    return int(at.timestamp()) // 60


@lru_cache(maxsize=65536)
def _instant(minute: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(minutes=minute)


@lru_cache(maxsize=32768)
def _hhmm(minute: int, zone_name: str) -> str:
    local = dt.datetime.fromtimestamp(minute * 60, _zone(zone_name))
    return f"{local.hour:02d}:{local.minute:02d}"


def _span(
    date: dt.date, block: Block, not_before: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """A wall-clock block on ``date`` as naive local datetimes; an end ≤ start is the next day."""
    start = dt.datetime.combine(date, block.start)
    if not_before is not None:
        while start < not_before:
            start += _DAY
    end = dt.datetime.combine(start.date(), block.end)
    if end <= start:
        end += _DAY
    return start, end


@lru_cache(maxsize=16384)
def _plan(
    zone_name: str, date: dt.date, blocks: tuple[Block, ...], breaks: tuple[Block, ...]
) -> tuple[tuple[_MinIv, ...], tuple[_MinIv, ...]]:
    """The planned blocks and the unpaid time inside them (breaks and split-shift gaps), in UTC.

    Each block starts at or after the end of the one before (a second block at
    02:00 after a 22:00 block is the next morning). Breaks earlier in the day
    than the first block belong to the next day (a 02:00 break in a night shift).
    """
    naive_blocks: list[tuple[dt.datetime, dt.datetime]] = []
    previous_end: dt.datetime | None = None
    for block in blocks:
        start, end = _span(date, block, previous_end)
        naive_blocks.append((start, end))
        previous_end = end
    block_ivs = _union(
        [(_local_minute(zone_name, s), _local_minute(zone_name, e)) for s, e in naive_blocks]
    )
    first_start = naive_blocks[0][0]
    break_ivs: list[_MinIv] = []
    for brk in breaks:
        start, end = _span(date, brk)
        if start < first_start:
            start, end = _span(date + _DAY, brk)
        break_ivs.append((_local_minute(zone_name, start), _local_minute(zone_name, end)))
    gaps = [(block_ivs[i][1], block_ivs[i + 1][0]) for i in range(len(block_ivs) - 1)]
    unpaid = _union(_intersect(_union(break_ivs), block_ivs) + gaps)
    return tuple(block_ivs), tuple(unpaid)


@lru_cache(maxsize=16384)
def _local_block(zone_name: str, date: dt.date, block: Block) -> _MinIv:
    start, end = _span(date, block)
    return _local_minute(zone_name, start), _local_minute(zone_name, end)


@lru_cache(maxsize=16384)
def _boundary_window(zone_name: str, date: dt.date, boundary: dt.time) -> _MinIv:
    start = dt.datetime.combine(date, boundary)
    return _local_minute(zone_name, start), _local_minute(zone_name, start + _DAY)


@lru_cache(maxsize=16384)
def _night_windows(
    zone_name: str, date: dt.date, start: dt.time, end: dt.time
) -> tuple[_MinIv, ...]:
    """The night windows that can touch a day's punch window: those of the day before, the day, the day after."""
    return tuple(
        _union(
            [
                _local_block(zone_name, date + dt.timedelta(days=k), Block(start, end))
                for k in (-1, 0, 1)
            ]
        )
    )


def _union(ivs: Iterable[_MinIv]) -> list[_MinIv]:
    out: list[_MinIv] = []
    for start, end in sorted(ivs):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _intersect(a: Sequence[_MinIv], b: Sequence[_MinIv]) -> list[_MinIv]:
    out: list[_MinIv] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _overlap(a: Sequence[_MinIv], b: Sequence[_MinIv]) -> int:
    """Minutes in both: ``_total(_intersect(a, b))`` without building the intersection."""
    total = i = j = 0
    len_a, len_b = len(a), len(b)
    while i < len_a and j < len_b:
        a_start, a_end = a[i]
        b_start, b_end = b[j]
        start = a_start if a_start > b_start else b_start
        end = a_end if a_end < b_end else b_end
        if start < end:
            total += end - start
        if a_end < b_end:
            i += 1
        else:
            j += 1
    return total


def _clipped(ivs: Sequence[_MinIv], lo: int, hi: int) -> int:
    """Minutes of sorted disjoint ``ivs`` inside [lo, hi)."""
    total = 0
    for start, end in ivs:
        if start < lo:
            start = lo
        if end > hi:
            end = hi
        if start < end:
            total += end - start
    return total


def _subtract(a: Sequence[_MinIv], b: Sequence[_MinIv]) -> list[_MinIv]:
    out: list[_MinIv] = []
    j = 0
    for start, end in a:
        cursor = start
        while j < len(b) and b[j][1] <= cursor:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cursor:
                out.append((cursor, b[k][0]))
            cursor = max(cursor, b[k][1])
            if cursor >= end:
                break
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def _total(ivs: Iterable[_MinIv]) -> int:
    total = 0
    for start, end in ivs:
        total += end - start
    return total


def _head(ivs: Sequence[_MinIv], minutes: int) -> tuple[list[_MinIv], list[_MinIv]]:
    """Split sorted intervals after their first ``minutes`` minutes: (head, tail)."""
    head: list[_MinIv] = []
    tail: list[_MinIv] = []
    left = minutes
    for start, end in ivs:
        if left <= 0:
            tail.append((start, end))
        elif end - start <= left:
            head.append((start, end))
            left -= end - start
        else:
            head.append((start, start + left))
            tail.append((start + left, end))
            left = 0
    return head, tail


def _to_minutes(intervals: Iterable[Interval]) -> list[_MinIv]:
    return _union((_minute(iv.start), _minute(iv.end)) for iv in intervals)


def _session_minutes(
    activities: Iterable[Activity], rule: ActivityRule, window: _MinIv | None = None
) -> list[_MinIv]:
    spans: list[_MinIv] = []
    for activity in activities:
        if activity.kind not in rule.kinds:
            continue
        start = _minute(activity.start)
        if window is not None and not window[0] <= start < window[1]:
            continue
        length = (
            activity.duration_minutes
            if activity.duration_minutes > 0
            else rule.email_credit_minutes
        )
        if length > 0:
            spans.append((start, start + length))
    spans.sort()
    sessions: list[_MinIv] = []
    for start, end in spans:
        if sessions and start - sessions[-1][1] <= rule.gap_join_minutes:
            if end > sessions[-1][1]:
                sessions[-1] = (sessions[-1][0], end)
        else:
            sessions.append((start, end))
    return sessions


def activity_sessions(activities: Sequence[Activity], rule: ActivityRule) -> tuple[Interval, ...]:
    """Work sessions evidenced by activities (issue 4 §4).

    Only the rule's ``kinds`` count. An activity lasts its ``duration_minutes``;
    one without a duration (an email sent) counts ``email_credit_minutes``.
    Activities whose gap to the session before is at most ``gap_join_minutes``
    join that session (the gap counts as work). Instants are floored to the minute.
    """
    return tuple(Interval(_instant(s), _instant(e)) for s, e in _session_minutes(activities, rule))


def _money(value: Decimal) -> str:
    return str(value.quantize(_FEN, rounding=ROUND_HALF_UP))


def _night_allowance(minutes: int, rate: Decimal) -> Decimal:
    """Night minutes × hourly rate, rounded to the fen per line (ROUND_HALF_UP)."""
    return (Decimal(minutes) * rate / Decimal(60)).quantize(_FEN, rounding=ROUND_HALF_UP)


class _Frame:
    """A rule's fixed parts on one date in one zone, in epoch minutes.

    The same for everyone sharing the rule, zone and date, so a month of 10,000
    employees on a few rules builds each frame once (see ``_frame``).
    """

    __slots__ = (
        "blocks",
        "bounds",
        "core",
        "end_hhmm",
        "night_end",
        "night_start",
        "nights",
        "planned",
        "reference",
        "scheduled",
        "start_hhmm",
        "unpaid",
        "window",
    )  # fmt: skip

    def __init__(self, rule: ScheduleRule | None, zone_name: str, date: dt.date) -> None:
        blocks: tuple[_MinIv, ...] = ()
        unpaid: tuple[_MinIv, ...] = ()
        if rule is not None and rule.blocks:
            blocks, unpaid = _plan(zone_name, date, rule.blocks, rule.breaks)
            window = (blocks[0][0] - WINDOW_BEFORE_MINUTES, blocks[-1][1] + WINDOW_AFTER_MINUTES)
        else:
            boundary = rule.day_boundary if rule is not None else _DEFAULT_DAY_BOUNDARY
            window = _boundary_window(zone_name, date, boundary)
            if rule is not None and rule.breaks:
                # Breaks without blocks (a flexible day's lunch) are localised on the date.
                unpaid = tuple(_union(_local_block(zone_name, date, b) for b in rule.breaks))
        self.blocks = blocks
        self.unpaid = unpaid
        self.window = window
        lo, hi = window
        span = (blocks[0][0], blocks[-1][1]) if blocks else window
        self.bounds = (lo * 60, hi * 60, span[0] * 60, span[1] * 60)
        self.planned = tuple(_subtract(blocks, unpaid)) if unpaid else blocks
        self.scheduled = _total(self.planned)
        self.start_hhmm = _hhmm(blocks[0][0], zone_name) if blocks else ""
        self.end_hhmm = _hhmm(blocks[-1][1], zone_name) if blocks else ""
        self.reference: tuple[_MinIv, ...] = (window,)
        self.core: tuple[_MinIv, ...] = ()
        self.nights: tuple[_MinIv, ...] = ()
        self.night_start = self.night_end = ""
        if rule is not None:
            if not blocks and rule.flex_window is not None:
                self.reference = (_local_block(zone_name, date, rule.flex_window),)
            if rule.core is not None:
                self.core = (_local_block(zone_name, date, rule.core),)
            self.nights = _night_windows(zone_name, date, rule.night_start, rule.night_end)
            self.night_start = rule.night_start.strftime("%H:%M")
            self.night_end = rule.night_end.strftime("%H:%M")


_FRAMES: dict[tuple[int, str, dt.date], tuple[ScheduleRule | None, _Frame]] = {}
_FRAMES_MAX = 65536


def _frame(rule: ScheduleRule | None, zone_name: str, date: dt.date) -> _Frame:
    """The cached frame of a rule object: keyed by identity, which is far cheaper than
    hashing a rule's fields; the entry keeps the rule alive, so its id cannot be reused."""
    key = (id(rule), zone_name, date)
    hit = _FRAMES.get(key)
    if hit is not None and hit[0] is rule:
        return hit[1]
    if len(_FRAMES) >= _FRAMES_MAX:
        _FRAMES.clear()
    frame = _Frame(rule, zone_name, date)
    _FRAMES[key] = (rule, frame)
    return frame


def day_window_seconds(
    rule: ScheduleRule | None, zone_name: str, date: dt.date
) -> tuple[int, int, int, int]:
    """A day's punch window [lo, hi) and its planned span (the window itself when nothing
    is planned), in epoch seconds: how a loader hands each punch to exactly one day
    the way ``day_compute`` will count it (see its docstring for the window)."""
    return _frame(rule, zone_name, date).bounds


_T = TypeVar("_T")
_new = object.__new__
_set = object.__setattr__


def frozen_build(cls: type[_T], values: dict[str, Any]) -> _T:
    """A frozen dataclass (``DayInput``, ``DayResult``) from the values of all its fields,
    without its field-by-field ``__init__``: five times faster, and a month compute makes
    two per employee-day. Nothing is checked: pass every field, as ``__init__`` would set it."""
    made: _T = _new(cls)
    _set(made, "__dict__", values)
    return made


def _day_result_make(values: dict[str, Any]) -> DayResult:
    return frozen_build(DayResult, values)


def day_result_for_employee(result: DayResult, employee_id: int) -> DayResult:
    """The same figures for another person: a day with nothing recorded (a rest day, an
    absence) comes out alike for everyone on the same rule, zone and calendar entry."""
    return frozen_build(DayResult, {**result.__dict__, "employee_id": employee_id})


def day_compute(day: DayInput) -> DayResult:
    """One employee-day: which punches belong to it, worked time, lateness, absence, overtime, night work.

    See the module docstring for the law applied. The caller may pass punches and
    activities of neighbouring days; only those inside this day's window count:
    [first block start − 4 h, last block end + 8 h) with planned blocks,
    otherwise [date ``day_boundary``, next date ``day_boundary``) local time.

    Choices worth knowing:
    - Worked time is the span first..last punch united with activity sessions,
      less unpaid breaks; the gap between the blocks of a split shift is unpaid too.
    - Lateness and early leave count the scheduled minutes missed (breaks and
      approved leave excluded), reported whole when above the grace.
    - A single punch is a missing punch (worked 0, an exception); it is judged as
      the arrival when nearer the start, else as the departure.
    - Flexible hours: a shortfall against the daily total is reported in
      ``early_minutes`` (the larger of it and core-time early leave) with its own
      reason ``flex_shortfall``; work outside ``flex_window`` is overtime.
    - Shifts follow the roster: a rostered shift on a calendar rest day is an
      ordinary working day; on a statutory holiday it is judged against the roster
      and all of it is holiday overtime (300 %). A company rest day overrides the roster.
    - The 3 h daily cap (Art. 41) is checked on workday overtime only; rest-day and
      holiday work count against the monthly cap in ``month_summarize``.
    """
    zone_name = day.time_zone
    rule = day.rule
    reasons: list[Reason] = []
    flags: list[str] = []

    frame = _frame(rule, zone_name, day.date)  # an unknown zone fails here, loudly
    blocks, unpaid, window = frame.blocks, frame.unpaid, frame.window
    lo, hi = window

    # Punches of this day: distinct minutes inside the window, in order.
    punch_set: set[int] = set()
    for at in day.punches:
        if at.tzinfo is None:
            raise ValueError(f"naive datetime given to the attendance engine: {at!r}")
        m = int(at.timestamp()) // 60
        if lo <= m < hi:
            punch_set.add(m)
    punches = sorted(punch_set)
    sessions: list[_MinIv] = []
    if day.activity_rule is not None and day.activities:
        sessions = [
            (s, min(e, hi)) for s, e in _session_minutes(day.activities, day.activity_rule, window)
        ]

    # Worked time: the punch span united with the activity sessions, minus unpaid breaks.
    span = [(punches[0], punches[-1])] if len(punches) >= 2 else []
    presence = _union(span + sessions) if sessions else span
    worked_ivs = _subtract(presence, unpaid) if unpaid else presence
    worked = _total(worked_ivs)
    missing_punch = len(punches) == 1 and not sessions
    if presence:
        reasons.append(
            Reason(
                "worked",
                {
                    "minutes": worked,
                    "first": _hhmm(presence[0][0], zone_name),
                    "last": _hhmm(presence[-1][1], zone_name),
                },
            )
        )
        deducted = _total(presence) - worked
        if deducted:
            reasons.append(Reason("break_deducted", {"minutes": deducted}))
        if sessions:
            reasons.append(
                Reason(
                    "activity_sessions",
                    {"count": len(sessions), "minutes": _total(sessions)},
                )
            )
    if missing_punch:
        flags.append("missing_punch")
        reasons.append(Reason("missing_punch", {"at": _hhmm(punches[0], zone_name)}))

    def result(
        status: DayStatus,
        *,
        scheduled: int = 0,
        late: int = 0,
        early: int = 0,
        absent: int = 0,
        leave: int = 0,
        ot_workday: int = 0,
        ot_rest: int = 0,
        ot_holiday: int = 0,
        unapproved: int = 0,
        comp_leave: int = 0,
        night: int = 0,
        allowance: Decimal = Decimal("0.00"),
    ) -> DayResult:
        return _day_result_make(
            {
                "employee_id": day.employee_id,
                "date": day.date,
                "day_kind": day.day_kind,
                "status": status,
                "scheduled_minutes": scheduled,
                "worked_minutes": worked,
                "late_minutes": late,
                "early_minutes": early,
                "absent_minutes": absent,
                "leave_minutes": leave,
                "missing_punch": missing_punch,
                "overtime_workday_minutes": ot_workday,
                "overtime_rest_day_minutes": ot_rest,
                "overtime_holiday_minutes": ot_holiday,
                "unapproved_overtime_minutes": unapproved,
                "comp_leave_minutes": comp_leave,
                "night_minutes": night,
                "night_allowance": allowance,
                "first_punch_minute": punches[0] if punches else None,
                "last_punch_minute": punches[-1] if punches else None,
                "work_session_minutes": tuple(worked_ivs),
                "flags": tuple(flags),
                "reasons": tuple(reasons),
            }
        )

    if rule is None:
        flags.insert(0, "no_schedule")
        reasons.insert(0, Reason("no_schedule", {}))
        return result(DayStatus.NO_SCHEDULE)

    system = rule.system
    rostered = system == System.SHIFT or (system == System.COMPREHENSIVE and bool(rule.blocks))
    holiday = day.day_kind == DayKind.STATUTORY_HOLIDAY
    if rule.day_off or day.day_kind == DayKind.COMPANY_REST_DAY:
        working = False
    elif rostered:
        working = bool(blocks)
    else:
        working = day.day_kind in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)
    if system == System.SHIFT and not blocks and not rule.day_off:
        flags.insert(0, "not_rostered")
        reasons.insert(0, Reason("not_rostered", {}))
        return result(DayStatus.NO_SCHEDULE)

    leaves = _to_minutes(day.leaves) if day.leaves else []
    scheduled = leave_minutes = late = early = absent = required = 0
    fully_on_leave = False
    reference = frame.reference

    if working:
        grace_late, grace_early = rule.grace_late_minutes, rule.grace_early_minutes
        if blocks:
            planned = frame.planned
            scheduled = frame.scheduled
            due = _subtract(planned, leaves) if leaves else planned
            leave_minutes = scheduled - _total(due)
            reasons.append(
                Reason(
                    "scheduled",
                    {"minutes": scheduled, "start": frame.start_hhmm, "end": frame.end_hhmm},
                )
            )
            judged: Sequence[_MinIv] = due
        else:
            scheduled = (
                rule.daily_minutes if (system != System.UNFIXED or rule.punch_required) else 0
            )
            if leaves and scheduled:
                leave_minutes = min(scheduled, _overlap(reference, leaves))
            required = scheduled - leave_minutes
            if scheduled:
                reasons.append(Reason("scheduled_daily", {"minutes": scheduled}))
            else:
                reasons.append(Reason("unfixed_hours", {}))
            judged = []
            if system == System.FLEXIBLE and frame.core:
                core = frame.core
                judged = _subtract(core, leaves) if leaves else core
        if leave_minutes:
            reasons.append(Reason("leave", {"minutes": leave_minutes}))
        fully_on_leave = scheduled > 0 and leave_minutes >= scheduled
        if fully_on_leave:
            reasons.append(Reason("leave_full", {"minutes": leave_minutes}))
        elif scheduled > 0:
            due_minutes = _total(judged) if blocks else required
            core_label = "core_" if not blocks else ""
            # Planned blocks with no presence inside them at all (only an evening call,
            # say) is an absence, not a day-long lateness.
            away = not presence or (bool(blocks) and not _overlap(presence, judged))
            if away and not missing_punch:
                if rule.punch_required and due_minutes:
                    absent = due_minutes
                    flags.append("absent")
                    reasons.append(Reason("absent", {"minutes": absent}))
            elif judged:
                if missing_punch:
                    # One punch: judge it as the arrival if it is nearer the start, else as the departure.
                    only = punches[0]
                    as_arrival = abs(only - judged[0][0]) <= abs(judged[-1][1] - only)
                    first = last = only
                else:
                    as_arrival = True
                    first, last = presence[0][0], presence[-1][1]
                if as_arrival:
                    missed = _clipped(judged, judged[0][0], first)
                    if missed > grace_late:
                        late = missed
                        flags.append("late")
                        reasons.append(
                            Reason(
                                core_label + "late",
                                {
                                    "minutes": late,
                                    "first": _hhmm(first, zone_name),
                                    "start": _hhmm(judged[0][0], zone_name),
                                    "grace": grace_late,
                                },
                            )
                        )
                if not missing_punch or not as_arrival:
                    missed = _clipped(judged, last, judged[-1][1])
                    if missed > grace_early:
                        early = missed
                        flags.append("early")
                        reasons.append(
                            Reason(
                                core_label + "early",
                                {
                                    "minutes": early,
                                    "last": _hhmm(last, zone_name),
                                    "end": _hhmm(judged[-1][1], zone_name),
                                    "grace": grace_early,
                                },
                            )
                        )
        counted = worked
        if system == System.FLEXIBLE and not blocks and scheduled > 0 and not fully_on_leave:
            if rule.flex_window is not None:
                inside = _intersect(worked_ivs, reference)
                counted = _total(inside)
                outside = worked - counted
                if outside:
                    start, end = reference[0]
                    reasons.append(
                        Reason(
                            "flex_outside_window",
                            {
                                "minutes": outside,
                                "start": _hhmm(start, zone_name),
                                "end": _hhmm(end, zone_name),
                            },
                        )
                    )
            shortfall = required - counted
            if presence and shortfall > grace_early:
                if shortfall > early:
                    if "early" not in flags:
                        flags.append("early")
                    early = shortfall
                flags.append("flex_shortfall")
                reasons.append(
                    Reason(
                        "flex_shortfall",
                        {"minutes": shortfall, "counted": counted, "required": required},
                    )
                )

    # Overtime: which worked minutes are overtime, and in which category (Labour Law Art. 44).
    ot_ivs: list[_MinIv] = []
    category: OvertimeCategory | None = None
    if worked:
        if holiday:
            if system == System.UNFIXED and not rule.unfixed_statutory_holiday_pay:
                reasons.append(Reason("unfixed_no_overtime", {"minutes": worked}))
            else:
                category, ot_ivs = OvertimeCategory.STATUTORY_HOLIDAY, worked_ivs
        elif not working:
            if system == System.COMPREHENSIVE:
                reasons.append(Reason("comprehensive_period", {"minutes": worked}))
            elif system == System.UNFIXED:
                reasons.append(Reason("unfixed_no_overtime", {"minutes": worked}))
            else:
                category, ot_ivs = OvertimeCategory.REST_DAY, worked_ivs
        elif system == System.COMPREHENSIVE:
            reasons.append(Reason("comprehensive_period", {"minutes": worked}))
        elif system == System.UNFIXED:
            reasons.append(Reason("unfixed_no_overtime", {"minutes": worked}))
        elif blocks:
            category, ot_ivs = OvertimeCategory.WORKDAY, _subtract(worked_ivs, blocks)
        else:
            # Flexible: minutes outside the allowed span, plus what exceeds the daily total inside it.
            if rule.flex_window is not None:
                inside = _intersect(worked_ivs, reference)
                outside_ivs = _subtract(worked_ivs, reference)
            else:
                inside, outside_ivs = worked_ivs, []
            _, beyond = _head(inside, required)
            category, ot_ivs = OvertimeCategory.WORKDAY, _union(outside_ivs + beyond)
    raw_overtime = _total(ot_ivs)
    overtime = unapproved = 0
    if category is not None and raw_overtime:
        if raw_overtime < rule.overtime_min_minutes:
            reasons.append(
                Reason(
                    "overtime_below_minimum",
                    {"minutes": raw_overtime, "minimum": rule.overtime_min_minutes},
                )
            )
        elif rule.overtime_requires_approval:
            approved = _overlap(ot_ivs, _to_minutes(day.approved_overtime))
            unapproved = raw_overtime - approved
            if unapproved:
                flags.append("unapproved_overtime")
                reasons.append(Reason("overtime_unapproved", {"minutes": unapproved}))
            if 0 < approved < rule.overtime_min_minutes:
                reasons.append(
                    Reason(
                        "overtime_below_minimum",
                        {"minutes": approved, "minimum": rule.overtime_min_minutes},
                    )
                )
            else:
                overtime = approved
        else:
            overtime = raw_overtime
    ot_workday = ot_rest = ot_holiday = comp_leave = 0
    if overtime:
        if category == OvertimeCategory.WORKDAY:
            ot_workday = overtime
            reasons.append(Reason("overtime_workday", {"minutes": overtime}))
        elif category == OvertimeCategory.REST_DAY:
            ot_rest = overtime
            reasons.append(Reason("overtime_rest_day", {"minutes": overtime}))
            if rule.rest_day_comp_leave:
                comp_leave = overtime
                reasons.append(Reason("comp_leave", {"minutes": overtime}))
        else:
            ot_holiday = overtime
            reasons.append(
                Reason("overtime_holiday", {"minutes": overtime, "holiday": day.holiday_name})
            )
        # Art. 41 caps the lengthening of a working day; work on rest days and holidays
        # counts against the monthly cap (month_summarize), not this one.
        if category == OvertimeCategory.WORKDAY and overtime > rule.daily_overtime_cap_minutes:
            flags.append("overtime_daily_cap")
            reasons.append(
                Reason(
                    "overtime_daily_cap",
                    {"minutes": overtime, "cap": rule.daily_overtime_cap_minutes},
                )
            )

    # Night work: worked minutes inside the night window, and its allowance.
    night = 0
    allowance = Decimal("0.00")
    if worked:
        night = _overlap(worked_ivs, frame.nights)
        if night:
            reasons.append(
                Reason(
                    "night",
                    {"minutes": night, "start": frame.night_start, "end": frame.night_end},
                )
            )
            if rule.night_allowance_per_hour > 0:
                allowance = _night_allowance(night, rule.night_allowance_per_hour)
                reasons.append(
                    Reason(
                        "night_allowance",
                        {
                            "minutes": night,
                            "rate": _money(rule.night_allowance_per_hour),
                            "amount": str(allowance),
                            "rounding": ROUNDING_NOTE,
                        },
                    )
                )

    if late or early or absent or missing_punch or unapproved or "overtime_daily_cap" in flags:
        status = DayStatus.EXCEPTION
    elif fully_on_leave:
        status = DayStatus.LEAVE
    elif not working and not worked:
        status = DayStatus.REST
        reasons.insert(
            0, Reason("rest", {"day_kind": str(day.day_kind), "holiday": day.holiday_name})
        )
    else:
        status = DayStatus.NORMAL
    return result(
        status,
        scheduled=scheduled,
        late=late,
        early=early,
        absent=absent,
        leave=leave_minutes,
        ot_workday=ot_workday,
        ot_rest=ot_rest,
        ot_holiday=ot_holiday,
        unapproved=unapproved,
        comp_leave=comp_leave,
        night=night,
        allowance=allowance,
    )


@dataclass(frozen=True)
class PeriodOvertime:
    """Comprehensive hours (综合工时): overtime judged on a period's total, not day by day."""

    worked_minutes: int  # worked in the period, statutory-holiday overtime excluded
    standard_minutes: int  # the period's standard, less paid leave taken in it
    overtime_minutes: int  # max(0, worked − standard): workday category (150 %)
    holiday_minutes: int  # statutory-holiday overtime of the period, always paid apart (300 %)
    reasons: tuple[Reason, ...] = ()


def comprehensive_period_overtime(
    *, days: Sequence[DayResult], period_standard_minutes: int, period: str = ""
) -> PeriodOvertime:
    """Overtime of a comprehensive-hours period (week, month, quarter or year).

    The caller passes the days of one period and its standard minutes (see
    ``COMPREHENSIVE_STANDARD_MINUTES``, or the company's configured figure).
    Statutory-holiday work is already holiday overtime on its day (always 300 %,
    Labour Law Art. 44) and is left out of the total compared. Approved leave
    counts as attended time, so it lowers the standard to reach. The result
    is workday-category overtime (150 %) of the whole period.
    """
    holiday = sum(d.overtime_holiday_minutes for d in days)
    worked = sum(d.worked_minutes for d in days) - holiday
    leave = sum(d.leave_minutes for d in days)
    standard = max(0, period_standard_minutes - leave)
    overtime = max(0, worked - standard)
    reasons = [
        Reason(
            "comprehensive_period_total",
            {
                "period": period,
                "worked": worked,
                "standard": period_standard_minutes,
                "leave": leave,
                "overtime": overtime,
            },
        )
    ]
    if holiday:
        reasons.append(Reason("comprehensive_holiday_apart", {"minutes": holiday}))
    return PeriodOvertime(
        worked_minutes=worked,
        standard_minutes=standard,
        overtime_minutes=overtime,
        holiday_minutes=holiday,
        reasons=tuple(reasons),
    )


COMPREHENSIVE_PERIODS = ("week", "month", "quarter", "year")


def comprehensive_period_start(period: str, year: int, month: int) -> dt.date:
    """The first date whose results the month close of ``year``-``month`` needs for a period.

    - week: weeks run Monday to Sunday and belong to the month of their Sunday (the
      month in which they end), so the first is the week of the month's first Sunday,
      whose Monday may fall in the month before;
    - month: the month's first day;
    - quarter, year: the first day of the quarter or year (judged in its last month).
    """
    first = dt.date(year, month, 1)
    if period == "week":
        sunday = first + dt.timedelta(days=6 - first.weekday())
        return sunday - dt.timedelta(days=6)
    if period == "quarter":
        return dt.date(year, (month - 1) // 3 * 3 + 1, 1)
    if period == "year":
        return dt.date(year, 1, 1)
    if period == "month":
        return first
    raise ValueError(f"unknown comprehensive-hours period: {period!r}")


def _period_end_month(period: str, month: int) -> int:
    return 12 if period == "year" else (month - 1) // 3 * 3 + 3


def _comprehensive_month(
    *,
    period: str,
    year: int,
    month: int,
    days: Sequence[DayResult],
    before: Sequence[DayResult],
    missing_before: int,
    standard: int,
) -> tuple[int, list[Reason], list[str]]:
    """Workday overtime a comprehensive-hours period adds to this month, with its reasons.

    ``before``: stored results of the period's days before this month (see
    ``comprehensive_period_start``); ``missing_before`` of those days have no stored result.
    """
    reasons: list[Reason] = []
    flags: list[str] = []
    if missing_before:
        flags.append("comprehensive_period_incomplete")
        reasons.append(
            Reason(
                "comprehensive_period_incomplete",
                {"period": period, "missing": missing_before, "found": len(before)},
            )
        )
    if period == "month":
        result = comprehensive_period_overtime(
            days=days, period_standard_minutes=standard, period="month"
        )
        return result.overtime_minutes, [*reasons, *result.reasons], flags
    every = sorted([*before, *days], key=lambda d: d.date)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    if period == "week":
        overtime = 0
        sunday = comprehensive_period_start(period, year, month) + dt.timedelta(days=6)
        while sunday <= last:
            monday = sunday - dt.timedelta(days=6)
            week = [d for d in every if monday <= d.date <= sunday]
            result = comprehensive_period_overtime(
                days=week, period_standard_minutes=standard, period="week"
            )
            overtime += result.overtime_minutes
            total, *apart = result.reasons
            reasons.append(
                Reason(
                    "comprehensive_week_total",
                    {**total.params, "start": monday.isoformat(), "end": sunday.isoformat()},
                )
            )
            reasons.extend(apart)
            sunday += dt.timedelta(days=7)
        pending = [d for d in days if d.date > sunday - dt.timedelta(days=7)]
        if pending:
            monday = sunday - dt.timedelta(days=6)
            worked = sum(d.worked_minutes - d.overtime_holiday_minutes for d in pending)
            reasons.append(
                Reason(
                    "comprehensive_week_pending",
                    {
                        "start": monday.isoformat(),
                        "end": sunday.isoformat(),
                        "worked": worked,
                    },
                )
            )
        return overtime, reasons, flags
    end_month = _period_end_month(period, month)
    result = comprehensive_period_overtime(
        days=every, period_standard_minutes=standard, period=period
    )
    if month == end_month:
        return result.overtime_minutes, [*reasons, *result.reasons], flags
    reasons.append(
        Reason(
            "comprehensive_period_to_date",
            {
                "period": period,
                "start": comprehensive_period_start(period, year, month).isoformat(),
                "worked": result.worked_minutes,
                "leave": sum(d.leave_minutes for d in every),
                "standard": standard,
                "end_month": f"{year}-{end_month:02d}",
            },
        )
    )
    return 0, reasons, flags


def _requires_punching(day: DayResult) -> bool:
    """A working day on which the person owed time and had to punch (not rest, not full leave)."""
    return day.scheduled_minutes > 0 and day.status in (DayStatus.NORMAL, DayStatus.EXCEPTION)


def _punched(day: DayResult) -> bool:
    """A complete punch record: two distinct punches (or activity sessions) and no punch missing."""
    if day.missing_punch or (day.worked_minutes <= 0 and not day.work_session_minutes):
        return False
    two_punches = (
        day.first_punch_minute is not None
        and day.last_punch_minute is not None
        and day.first_punch_minute != day.last_punch_minute
    )
    return two_punches or bool(day.work_session_minutes)


def month_summarize(
    *,
    employee_id: int,
    year: int,
    month: int,
    days: Sequence[DayResult],
    policy: MonthPolicy,
    period_days: Sequence[DayResult] = (),
    period_days_missing: int = 0,
) -> MonthResult:
    """One employee's month from its day results (issue 4 §9), with the company's month rules.

    - 打卡率 = days with a complete punch record / days that required punching × 100,
      rounded to 2 decimals (ROUND_HALF_UP). A month without any day that required
      punching (all rest or leave) has nothing missed: 100.00, explained.
    - absent days = Σ absent minutes / scheduled minutes of that day (exact, then 2 decimals).
    - late penalty: every ``lates_per_half_day_absence`` lates beyond ``late_free_count``
      count as half a day absent (``penalty_absent_days``).
    - Art. 41: overtime above the monthly cap is flagged, never cut.
    - comprehensive hours (``comprehensive_period_minutes`` set), by
      ``policy.comprehensive_period`` (see ``comprehensive_period_overtime``):
      month — the month total beyond the standard is workday overtime;
      week — each Monday–Sunday week ending in this month (by its Sunday) is judged
      on its own total, and the minutes beyond the standard of every such week are
      added; a week still running at the month's end is shown and judged next month;
      quarter, year — judged once, in the period's last month, on the period's total;
      earlier months show the period's hours to date, "judged at the period's end".
      ``period_days``: the stored results of the period's days before this month
      (from ``comprehensive_period_start``), ``period_days_missing``: how many of
      those days have none (flagged ``comprehensive_period_incomplete``).
    - night allowance: the days' allowances (each rounded to the fen) summed; a day with
      night minutes but no rate of its own takes ``policy.night_allowance_per_hour``.

    Days must belong to this employee and month, one per date (ValueError otherwise).
    """
    seen: set[dt.date] = set()
    for d in days:
        if d.employee_id != employee_id or d.date.year != year or d.date.month != month:
            raise ValueError(f"day {d.date} of employee {d.employee_id} is not in this month")
        if d.date in seen:
            raise ValueError(f"day {d.date} given twice")
        seen.add(d.date)
    if period_days:
        first = comprehensive_period_start(policy.comprehensive_period, year, month)
        for d in period_days:
            if d.employee_id != employee_id or not first <= d.date < dt.date(year, month, 1):
                raise ValueError(f"day {d.date} of employee {d.employee_id} is not in the period")
            if d.date in seen:
                raise ValueError(f"day {d.date} given twice")
            seen.add(d.date)
    reasons: list[Reason] = []
    flags: list[str] = []

    # One pass over the days for every total (a month close runs this for each person).
    scheduled_days = punched_days = late_count = late_minutes = early_count = early_minutes = 0
    absent_minutes = missing = leave_minutes = worked = night = comp_leave = 0
    ot_workday = ot_rest = ot_holiday = 0
    absent_exact = Fraction(0)
    for d in days:
        if _requires_punching(d):
            scheduled_days += 1
            if _punched(d):
                punched_days += 1
        if d.late_minutes > 0:
            late_count += 1
            late_minutes += d.late_minutes
        if d.early_minutes > 0:
            early_count += 1
            early_minutes += d.early_minutes
        if d.absent_minutes > 0:
            absent_minutes += d.absent_minutes
            absent_exact += Fraction(d.absent_minutes, d.scheduled_minutes)
        if d.missing_punch:
            missing += 1
        leave_minutes += d.leave_minutes
        worked += d.worked_minutes
        ot_workday += d.overtime_workday_minutes
        ot_rest += d.overtime_rest_day_minutes
        ot_holiday += d.overtime_holiday_minutes
        comp_leave += d.comp_leave_minutes
        night += d.night_minutes

    if scheduled_days:
        rate = (Decimal(punched_days) * 100 / Decimal(scheduled_days)).quantize(
            _PERCENT, rounding=ROUND_HALF_UP
        )
        reasons.append(
            Reason(
                "punch_rate",
                {"punched": punched_days, "scheduled": scheduled_days, "rate": str(rate)},
            )
        )
    else:
        rate = Decimal("100.00")
        reasons.append(Reason("punch_rate_no_scheduled_days", {"rate": str(rate)}))

    if late_count:
        reasons.append(Reason("month_late", {"count": late_count, "minutes": late_minutes}))
    if early_count:
        reasons.append(Reason("month_early", {"count": early_count, "minutes": early_minutes}))

    absent_days = (Decimal(absent_exact.numerator) / Decimal(absent_exact.denominator)).quantize(
        _PERCENT, rounding=ROUND_HALF_UP
    )
    if absent_days:
        reasons.append(
            Reason(
                "month_absent",
                {
                    "days": str(absent_days),
                    "minutes": absent_minutes,
                },
            )
        )

    penalty = Decimal("0")
    per = policy.lates_per_half_day_absence
    counted_lates = max(0, late_count - policy.late_free_count)
    if per > 0 and counted_lates >= per:
        penalty = Decimal(counted_lates // per) * Decimal("0.5")
        flags.append("late_penalty")
        reasons.append(
            Reason(
                "late_penalty",
                {
                    "lates": late_count,
                    "free": policy.late_free_count,
                    "per": per,
                    "days": str(penalty),
                },
            )
        )

    if missing:
        reasons.append(Reason("month_missing_punch", {"count": missing}))
    if leave_minutes:
        reasons.append(Reason("month_leave", {"minutes": leave_minutes}))

    if policy.comprehensive_period_minutes is not None:
        period_overtime, period_reasons, period_flags = _comprehensive_month(
            period=policy.comprehensive_period,
            year=year,
            month=month,
            days=days,
            before=period_days,
            missing_before=period_days_missing,
            standard=policy.comprehensive_period_minutes,
        )
        ot_workday += period_overtime
        reasons.extend(period_reasons)
        flags.extend(period_flags)
    if ot_workday:
        reasons.append(Reason("month_overtime_workday", {"minutes": ot_workday}))
    if ot_rest:
        reasons.append(
            Reason("month_overtime_rest_day", {"minutes": ot_rest, "comp_leave": comp_leave})
        )
    if ot_holiday:
        reasons.append(Reason("month_overtime_holiday", {"minutes": ot_holiday}))
    overtime = ot_workday + ot_rest + ot_holiday
    if overtime > policy.monthly_overtime_cap_minutes:
        flags.append("overtime_monthly_cap")
        reasons.append(
            Reason(
                "overtime_monthly_cap",
                {"minutes": overtime, "cap": policy.monthly_overtime_cap_minutes},
            )
        )

    allowance = Decimal("0.00")
    fallback_days = 0
    for d in days:
        if d.night_allowance > 0:
            allowance += d.night_allowance
        elif d.night_minutes > 0 and policy.night_allowance_per_hour > 0:
            allowance += _night_allowance(d.night_minutes, policy.night_allowance_per_hour)
            fallback_days += 1
    if night:
        params: dict[str, str | int] = {
            "minutes": night,
            "amount": _money(allowance),
            "rounding": ROUNDING_NOTE,
        }
        if fallback_days:
            params["fallback_days"] = fallback_days
            params["rate"] = _money(policy.night_allowance_per_hour)
        reasons.append(Reason("month_night", params))

    return MonthResult(
        employee_id=employee_id,
        year=year,
        month=month,
        scheduled_days=scheduled_days,
        punched_days=punched_days,
        punch_rate=rate,
        worked_minutes=worked,
        late_count=late_count,
        late_minutes=late_minutes,
        early_count=early_count,
        early_minutes=early_minutes,
        absent_days=absent_days,
        penalty_absent_days=penalty,
        missing_punch_count=missing,
        leave_minutes=leave_minutes,
        overtime_workday_minutes=ot_workday,
        overtime_rest_day_minutes=ot_rest,
        overtime_holiday_minutes=ot_holiday,
        comp_leave_minutes=comp_leave,
        night_minutes=night,
        night_allowance=allowance.quantize(_FEN, rounding=ROUND_HALF_UP),
        flags=tuple(flags),
        reasons=tuple(reasons),
    )
