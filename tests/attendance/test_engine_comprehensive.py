"""Comprehensive hours (综合工时) at the month close: weekly, quarterly and yearly periods.

Worked examples with exact values. 小周 works a comprehensive-hours schedule with
no fixed blocks, so no day has overtime of its own: only the period total does.

November 2026 starts on a Sunday. Weeks run Monday to Sunday and belong to the
month of their Sunday, so November judges five weeks — the one from Monday
26 October to Sunday 1 November, then those ending 8, 15, 22 and 29 November —
and leaves Monday 30 November to the week judged in December.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from jixiao.attendance.engine import (
    COMPREHENSIVE_STANDARD_MINUTES,
    DayInput,
    DayKind,
    DayResult,
    Interval,
    MonthPolicy,
    MonthResult,
    ScheduleRule,
    System,
    comprehensive_period_start,
    day_compute,
    month_summarize,
)
from jixiao.attendance.explain import reason_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULE = ScheduleRule(system=System.COMPREHENSIVE)
WEEK = COMPREHENSIVE_STANDARD_MINUTES["week"]  # 2,400 min = 40 h
QUARTER = COMPREHENSIVE_STANDARD_MINUTES["quarter"]  # 29,760 min = 496 h


def at(date: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(hour), tzinfo=SHANGHAI).astimezone(dt.UTC)


def day(
    date: dt.date,
    hours: int = 0,
    *,
    kind: DayKind | None = None,
    leave: bool = False,
) -> DayResult:
    """One day of 小周: from 9:00 for ``hours`` hours (0: not at work)."""
    if kind is None:
        kind = DayKind.WORKDAY if date.weekday() < 5 else DayKind.REST_DAY
    return day_compute(
        DayInput(
            employee_id=7,
            date=date,
            time_zone="Asia/Shanghai",
            day_kind=kind,
            rule=RULE,
            punches=(at(date, 9), at(date, 9 + hours)) if hours else (),
            leaves=(Interval(at(date, 9), at(date, 17)),) if leave else (),
        )
    )


def dates(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def params(month: MonthResult, code: str) -> list[dict[str, str | int]]:
    return [r.params for r in month.reasons if r.code == code]


def text(month: MonthResult, code: str) -> list[str]:
    return [reason_text(r) for r in month.reasons if r.code == code]


def weekly(minutes: int = WEEK) -> MonthPolicy:
    return MonthPolicy(comprehensive_period_minutes=minutes, comprehensive_period="week")


def quarterly() -> MonthPolicy:
    return MonthPolicy(comprehensive_period_minutes=QUARTER, comprehensive_period="quarter")


def test_the_period_a_month_close_starts_from() -> None:
    # November 2026 begins on a Sunday: its first week began on Monday 26 October.
    assert comprehensive_period_start("week", 2026, 11) == dt.date(2026, 10, 26)
    # June 2026 begins on a Monday: its first week lies wholly inside it.
    assert comprehensive_period_start("week", 2026, 6) == dt.date(2026, 6, 1)
    assert comprehensive_period_start("month", 2026, 11) == dt.date(2026, 11, 1)
    assert comprehensive_period_start("quarter", 2026, 11) == dt.date(2026, 10, 1)
    assert comprehensive_period_start("quarter", 2026, 3) == dt.date(2026, 1, 1)
    assert comprehensive_period_start("year", 2026, 11) == dt.date(2026, 1, 1)
    with pytest.raises(ValueError, match="unknown comprehensive-hours period"):
        comprehensive_period_start("fortnight", 2026, 11)


def _xiao_zhou_november() -> tuple[list[DayResult], list[DayResult]]:
    """(October's days of the first week, November's days)."""
    october = [day(d, 10) for d in dates(dt.date(2026, 10, 26), dt.date(2026, 10, 30))]
    october += [day(dt.date(2026, 10, 31))]
    plan: dict[dt.date, DayResult] = {}
    # Week 2–8 Nov: five days of 8 h = exactly the standard.
    for d in dates(dt.date(2026, 11, 2), dt.date(2026, 11, 6)):
        plan[d] = day(d, 8)
    # Week 9–15 Nov: five days of 9 h.
    for d in dates(dt.date(2026, 11, 9), dt.date(2026, 11, 13)):
        plan[d] = day(d, 9)
    # Week 16–22 Nov: a day of approved leave on Monday, four days of 8 h.
    plan[dt.date(2026, 11, 16)] = day(dt.date(2026, 11, 16), leave=True)
    for d in dates(dt.date(2026, 11, 17), dt.date(2026, 11, 20)):
        plan[d] = day(d, 8)
    # Week 23–29 Nov: six days of 8 h, Saturday included.
    for d in dates(dt.date(2026, 11, 23), dt.date(2026, 11, 28)):
        plan[d] = day(d, 8)
    # Monday 30 Nov: 10 h, in the week that ends on 6 December.
    plan[dt.date(2026, 11, 30)] = day(dt.date(2026, 11, 30), 10)
    november = [plan.get(d) or day(d) for d in dates(dt.date(2026, 11, 1), dt.date(2026, 11, 30))]
    return october, november


def test_weekly_periods_are_judged_week_by_week_in_the_month_of_their_sunday() -> None:
    october, november = _xiao_zhou_november()
    assert all(d.overtime_minutes == 0 for d in [*october, *november])

    month = month_summarize(
        employee_id=7, year=2026, month=11, days=november, policy=weekly(), period_days=october
    )

    weeks = params(month, "comprehensive_week_total")
    assert [(w["start"], w["end"], w["worked"], w["leave"], w["overtime"]) for w in weeks] == [
        # 26 Oct – 1 Nov: five October days of 10 h = 3,000 min, 600 beyond 2,400.
        ("2026-10-26", "2026-11-01", 3000, 0, 600),
        # 2–8 Nov: 5 × 480 = 2,400, nothing beyond.
        ("2026-11-02", "2026-11-08", 2400, 0, 0),
        # 9–15 Nov: 5 × 540 = 2,700, 300 beyond.
        ("2026-11-09", "2026-11-15", 2700, 0, 300),
        # 16–22 Nov: 4 × 480 = 1,920 against 2,400 less 480 of leave: nothing beyond.
        ("2026-11-16", "2026-11-22", 1920, 480, 0),
        # 23–29 Nov: 6 × 480 = 2,880, 480 beyond.
        ("2026-11-23", "2026-11-29", 2880, 0, 480),
    ]
    assert all(w["standard"] == 2400 and w["period"] == "week" for w in weeks)
    # 600 + 0 + 300 + 0 + 480: workday overtime (150 %) of November.
    assert month.overtime_workday_minutes == 1380
    # Monday 30 November's 600 min wait for the week that ends in December.
    assert params(month, "comprehensive_week_pending") == [
        {"start": "2026-11-30", "end": "2026-12-06", "worked": 600}
    ]
    assert month.worked_minutes == 5 * 480 + 5 * 540 + 4 * 480 + 6 * 480 + 600
    assert "comprehensive_period_incomplete" not in month.flags
    assert text(month, "comprehensive_week_total")[0] == (
        "综合工时（周，2026-10-26 至 2026-11-01）：实际工作 3000 分钟，标准 2400 分钟"
        "（已扣除请假 0 分钟），超出 600 分钟计为工作日加班"
    )
    assert text(month, "comprehensive_week_pending") == [
        "综合工时：2026-11-30 至 2026-12-06 这一周跨月，本月内已工作 600 分钟；"
        "每周按周日所在月份归属，于下月判定加班"
    ]


def test_the_week_that_ends_next_month_is_judged_there_with_this_months_days() -> None:
    """December judges 30 Nov – 6 Dec on all seven days: Monday's 600 min count there once."""
    _october, november = _xiao_zhou_november()
    december = [day(d, 10) for d in dates(dt.date(2026, 12, 1), dt.date(2026, 12, 4))]
    december += [day(d) for d in dates(dt.date(2026, 12, 5), dt.date(2026, 12, 31))]

    month = month_summarize(
        employee_id=7,
        year=2026,
        month=12,
        days=december,
        policy=weekly(),
        period_days=[november[-1]],
    )

    first = params(month, "comprehensive_week_total")[0]
    assert (first["start"], first["end"], first["worked"], first["overtime"]) == (
        "2026-11-30",
        "2026-12-06",
        5 * 600,
        600,
    )
    # Later December weeks are empty; 27 Dec is the last Sunday, so 28–31 Dec wait for January.
    assert month.overtime_workday_minutes == 600
    assert params(month, "comprehensive_week_pending") == [
        {"start": "2026-12-28", "end": "2027-01-03", "worked": 0}
    ]


def test_statutory_holiday_work_stays_apart_from_the_week_total() -> None:
    """Work on a statutory holiday is 300 % on its day and left out of the week compared."""
    week = dates(dt.date(2026, 6, 1), dt.date(2026, 6, 7))
    days = [day(d, 10) for d in week[:4]]
    days.append(day(week[4], 8, kind=DayKind.STATUTORY_HOLIDAY))
    days += [day(d) for d in dates(dt.date(2026, 6, 6), dt.date(2026, 6, 30))]

    month = month_summarize(employee_id=7, year=2026, month=6, days=days, policy=weekly())

    first = params(month, "comprehensive_week_total")[0]
    # 4 × 600 = 2,400 compared (the holiday's 480 apart): nothing beyond the standard.
    assert (first["worked"], first["overtime"]) == (2400, 0)
    assert month.overtime_holiday_minutes == 480
    assert month.overtime_workday_minutes == 0
    assert params(month, "comprehensive_holiday_apart") == [{"minutes": 480}]


def test_missing_results_before_the_month_are_flagged_not_counted_as_zero_silently() -> None:
    _october, november = _xiao_zhou_november()

    month = month_summarize(
        employee_id=7,
        year=2026,
        month=11,
        days=november,
        policy=weekly(),
        period_days=[],
        period_days_missing=6,
    )

    assert "comprehensive_period_incomplete" in month.flags
    assert params(month, "comprehensive_period_incomplete") == [
        {"period": "week", "missing": 6, "found": 0}
    ]
    assert text(month, "comprehensive_period_incomplete") == [
        "综合工时（周）：本月之前的周期内有 6 天没有考勤结果（已有 0 天），"
        "周期总工时可能偏少，请先计算这些日期"
    ]
    # The first week then holds only Sunday 1 November (a rest day, nothing worked).
    assert params(month, "comprehensive_week_total")[0]["worked"] == 0


def _quarter_days(month: int, hours: int) -> list[DayResult]:
    first = dt.date(2026, month, 1)
    last = dt.date(2026, month, calendar.monthrange(2026, month)[1])
    return [day(d, hours if d.weekday() < 5 else 0) for d in dates(first, last)]


def test_a_quarter_is_judged_in_its_last_month_on_the_quarters_total() -> None:
    # October 2026: 22 weekdays of 10 h = 13,200 min; November: 21 of 9 h = 11,340;
    # December: 23 of 8 h = 11,040. The quarter: 35,580 against 29,760 (496 h).
    october, november, december = (
        _quarter_days(10, 10),
        _quarter_days(11, 9),
        _quarter_days(12, 8),
    )

    in_october = month_summarize(
        employee_id=7, year=2026, month=10, days=october, policy=quarterly()
    )
    in_november = month_summarize(
        employee_id=7, year=2026, month=11, days=november, policy=quarterly(), period_days=october
    )
    in_december = month_summarize(
        employee_id=7,
        year=2026,
        month=12,
        days=december,
        policy=quarterly(),
        period_days=[*october, *november],
    )

    # Before the quarter's end no overtime: the hours so far, judged at the period's end.
    assert in_october.overtime_workday_minutes == 0
    assert params(in_october, "comprehensive_period_to_date") == [
        {
            "period": "quarter",
            "start": "2026-10-01",
            "worked": 13200,
            "leave": 0,
            "standard": 29760,
            "end_month": "2026-12",
        }
    ]
    assert in_november.overtime_workday_minutes == 0
    assert params(in_november, "comprehensive_period_to_date")[0]["worked"] == 13200 + 11340
    assert text(in_november, "comprehensive_period_to_date") == [
        "综合工时（季度）：自 2026-10-01 起至本月末已工作 24540 分钟（请假 0 分钟），"
        "周期标准 29760 分钟；加班判定于期末（2026-12）"
    ]
    # December: 35,580 − 29,760 = 5,820 min of workday overtime (150 %).
    assert in_december.overtime_workday_minutes == 5820
    assert params(in_december, "comprehensive_period_total") == [
        {"period": "quarter", "worked": 35580, "standard": 29760, "leave": 0, "overtime": 5820}
    ]
    assert "comprehensive_period_to_date" not in [r.code for r in in_december.reasons]
    # The month's own figures stay the month's: worked time is December's only.
    assert in_december.worked_minutes == 11040


def test_a_year_shows_its_hours_to_date_until_december() -> None:
    policy = MonthPolicy(
        comprehensive_period_minutes=COMPREHENSIVE_STANDARD_MINUTES["year"],
        comprehensive_period="year",
    )
    october = _quarter_days(10, 10)

    month = month_summarize(employee_id=7, year=2026, month=10, days=october, policy=policy)

    assert month.overtime_workday_minutes == 0
    assert params(month, "comprehensive_period_to_date") == [
        {
            "period": "year",
            "start": "2026-01-01",
            "worked": 13200,
            "leave": 0,
            "standard": 119040,
            "end_month": "2026-12",
        }
    ]
    assert "判定于期末" in text(month, "comprehensive_period_to_date")[0]


def test_period_days_must_belong_to_the_person_and_the_period_before_the_month() -> None:
    _october, november = _xiao_zhou_november()
    with pytest.raises(ValueError, match="not in the period"):
        month_summarize(
            employee_id=7,
            year=2026,
            month=11,
            days=november,
            policy=weekly(),
            period_days=[day(dt.date(2026, 10, 25))],  # the week before the first one
        )
    with pytest.raises(ValueError, match="not in the period"):
        month_summarize(
            employee_id=7,
            year=2026,
            month=11,
            days=november,
            policy=weekly(),
            period_days=[november[0]],  # a day of the month itself
        )
