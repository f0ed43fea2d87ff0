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

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


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
    first_punch: dt.datetime | None = None
    last_punch: dt.datetime | None = None
    work_sessions: tuple[Interval, ...] = ()
    flags: tuple[str, ...] = ()  # machine-readable exceptions, e.g. "late", "overtime_daily_cap"
    reasons: tuple[Reason, ...] = ()

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
