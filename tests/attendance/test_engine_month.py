"""The attendance engine's month: 打卡率, late penalty, caps, comprehensive hours, allowances."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from jixiao.attendance.engine import (
    COMPREHENSIVE_STANDARD_MINUTES,
    Activity,
    ActivityRule,
    Block,
    DayInput,
    DayKind,
    DayResult,
    DayStatus,
    Interval,
    MonthPolicy,
    MonthResult,
    ScheduleRule,
    System,
    comprehensive_period_overtime,
    day_compute,
    month_summarize,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = ScheduleRule(
    system=System.STANDARD,
    blocks=(Block(dt.time(9), dt.time(18)),),
    breaks=(Block(dt.time(12), dt.time(13)),),
    grace_late_minutes=5,
)
FLEX_000 = ScheduleRule(
    system=System.FLEXIBLE,
    core=Block(dt.time(9), dt.time(12)),
    breaks=(Block(dt.time(12), dt.time(13)),),
    night_allowance_per_hour=Decimal("20"),
)
POLICY = MonthPolicy()
NOVEMBER = [dt.date(2026, 11, d) for d in range(1, 31)]
WORKDAYS = [d for d in NOVEMBER if d.weekday() < 5]  # 21 working days in November 2026


def at(date: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(hour, minute), tzinfo=SHANGHAI).astimezone(dt.UTC)


def kind(date: dt.date) -> DayKind:
    return DayKind.WORKDAY if date.weekday() < 5 else DayKind.REST_DAY


def compute(
    date: dt.date, *punches: dt.datetime, rule: ScheduleRule = OFFICE, **extra: object
) -> DayResult:
    return day_compute(
        DayInput(
            employee_id=1,
            date=date,
            time_zone="Asia/Shanghai",
            day_kind=kind(date),
            rule=rule,
            punches=punches,
            **extra,  # type: ignore[arg-type]
        )
    )


def regular_month(overrides: dict[dt.date, DayResult] | None = None) -> list[DayResult]:
    overrides = overrides or {}
    return [
        overrides[d]
        if d in overrides
        else (compute(d, at(d, 9), at(d, 18)) if d.weekday() < 5 else compute(d))
        for d in NOVEMBER
    ]


def params(result: MonthResult, code: str) -> dict[str, str | int]:
    found = [r for r in result.reasons if r.code == code]
    assert found, code
    return found[0].params


def test_a_clean_month_is_all_punched() -> None:
    month = month_summarize(employee_id=1, year=2026, month=11, days=regular_month(), policy=POLICY)

    assert (month.scheduled_days, month.punched_days) == (21, 21)
    assert month.punch_rate == Decimal("100.00")
    assert month.worked_minutes == 21 * 480
    assert month.late_count == 0
    assert month.flags == ()
    assert params(month, "punch_rate") == {"punched": 21, "scheduled": 21, "rate": "100.00"}


def test_wang_jie_punch_rate_with_two_missing_punches_and_a_leave_day() -> None:
    first, second, third = WORKDAYS[2], WORKDAYS[5], WORKDAYS[9]
    leave = Interval(at(third, 0), at(third, 23, 59))
    days = regular_month(
        {
            first: compute(first, at(first, 9)),
            second: compute(second, at(second, 18)),
            third: compute(third, leaves=(leave,)),
        }
    )

    month = month_summarize(employee_id=1, year=2026, month=11, days=days, policy=POLICY)

    assert month.scheduled_days == 20  # the leave day needs no punching
    assert month.punched_days == 18
    assert month.punch_rate == Decimal("90.00")  # exactly 王姐's KPI threshold
    assert month.missing_punch_count == 2
    assert month.leave_minutes == 480


def test_punch_rate_rounds_half_up_to_two_decimals() -> None:
    missed = WORKDAYS[0]
    days = regular_month({missed: compute(missed)})  # absent: 20 of 21 punched

    month = month_summarize(employee_id=1, year=2026, month=11, days=days, policy=POLICY)

    assert month.punch_rate == Decimal("95.24")
    assert month.absent_days == Decimal("1.00")


def test_a_month_without_days_to_punch_counts_as_100_percent_and_says_why() -> None:
    leave = Interval(at(NOVEMBER[0], 0), at(NOVEMBER[-1], 23, 59))
    days = [compute(d, leaves=(leave,)) for d in NOVEMBER]

    month = month_summarize(employee_id=1, year=2026, month=11, days=days, policy=POLICY)

    assert all(d.status in (DayStatus.LEAVE, DayStatus.REST) for d in days)
    assert month.scheduled_days == 0
    assert month.punch_rate == Decimal("100.00")
    assert params(month, "punch_rate_no_scheduled_days") == {"rate": "100.00"}


def test_three_lates_count_as_half_a_day_absent() -> None:
    late_days = WORKDAYS[:3]
    days = regular_month({d: compute(d, at(d, 9, 12), at(d, 18)) for d in late_days})

    month = month_summarize(employee_id=1, year=2026, month=11, days=days, policy=POLICY)

    assert month.late_count == 3
    assert month.late_minutes == 36
    assert month.penalty_absent_days == Decimal("0.5")
    assert "late_penalty" in month.flags
    assert params(month, "late_penalty") == {"lates": 3, "free": 0, "per": 3, "days": "0.5"}


@pytest.mark.parametrize(
    ("lates", "free", "penalty"),
    [(2, 0, "0"), (5, 0, "0.5"), (6, 0, "1.0"), (3, 1, "0"), (4, 1, "0.5"), (7, 1, "1.0")],
)
def test_late_penalty_counts_whole_groups_beyond_the_free_lates(
    lates: int, free: int, penalty: str
) -> None:
    days = regular_month({d: compute(d, at(d, 9, 30), at(d, 18)) for d in WORKDAYS[:lates]})
    policy = MonthPolicy(lates_per_half_day_absence=3, late_free_count=free)

    month = month_summarize(employee_id=1, year=2026, month=11, days=days, policy=policy)

    assert month.penalty_absent_days == Decimal(penalty)


def test_late_penalty_can_be_switched_off() -> None:
    days = regular_month({d: compute(d, at(d, 9, 30), at(d, 18)) for d in WORKDAYS[:9]})
    policy = MonthPolicy(lates_per_half_day_absence=0)

    month = month_summarize(employee_id=1, year=2026, month=11, days=days, policy=policy)

    assert month.penalty_absent_days == 0
    assert month.late_count == 9


def test_absent_days_are_fractions_of_each_days_schedule() -> None:
    full, half = WORKDAYS[0], WORKDAYS[1]
    leave = Interval(at(half, 9), at(half, 13))  # a morning off, then no show
    days = regular_month({full: compute(full), half: compute(half, leaves=(leave,))})

    month = month_summarize(employee_id=1, year=2026, month=11, days=days, policy=POLICY)

    assert days[full.day - 1].absent_minutes == 480
    assert days[half.day - 1].absent_minutes == 300
    assert days[half.day - 1].leave_minutes == 180
    assert month.absent_days == Decimal("1.63")  # 1 + 300/480 = 1.625 → 1.63
    assert params(month, "month_absent") == {"days": "1.63", "minutes": 780}


def test_monthly_overtime_above_36_hours_is_flagged_not_cut() -> None:
    evenings = {d: compute(d, at(d, 9), at(d, 20)) for d in WORKDAYS[:19]}  # 19 × 120 = 38 h
    month = month_summarize(
        employee_id=1, year=2026, month=11, days=regular_month(evenings), policy=POLICY
    )

    assert month.overtime_workday_minutes == 19 * 120
    assert "overtime_monthly_cap" in month.flags
    assert params(month, "overtime_monthly_cap") == {"minutes": 2280, "cap": 2160}


def test_rest_day_overtime_and_comp_leave_are_summed() -> None:
    comp = ScheduleRule(
        system=System.STANDARD,
        blocks=(Block(dt.time(9), dt.time(18)),),
        breaks=(Block(dt.time(12), dt.time(13)),),
        rest_day_comp_leave=True,
    )
    saturday = dt.date(2026, 11, 21)
    days = regular_month(
        {saturday: compute(saturday, at(saturday, 9), at(saturday, 18), rule=comp)}
    )

    month = month_summarize(employee_id=1, year=2026, month=11, days=days, policy=POLICY)

    assert month.overtime_rest_day_minutes == 480
    assert month.comp_leave_minutes == 480
    assert month.scheduled_days == 21  # the Saturday worked was not a day to punch


def test_li_ge_month_of_evening_calls_sums_the_night_allowance() -> None:
    calls = ActivityRule()
    evening = {
        d: compute(
            d,
            at(d, 9),
            at(d, 18),
            rule=FLEX_000,
            activities=(Activity("call", at(d, 22, 0), 60),),
            activity_rule=calls,
        )
        for d in WORKDAYS[:8]
    }
    days = regular_month(evening)

    month = month_summarize(employee_id=1, year=2026, month=11, days=days, policy=POLICY)

    assert month.night_minutes == 8 * 60
    assert month.night_allowance == Decimal("160.00")
    assert month.overtime_workday_minutes == 8 * 60
    assert params(month, "month_night") == {
        "minutes": 480,
        "amount": "160.00",
        "rounding": "ROUND_HALF_UP 0.01",
    }


def test_company_night_rate_applies_to_days_without_their_own_rate() -> None:
    late_night = {d: compute(d, at(d, 9), at(d, 22, 20)) for d in WORKDAYS[:3]}  # 20 night min
    policy = MonthPolicy(night_allowance_per_hour=Decimal("20"))

    month = month_summarize(
        employee_id=1, year=2026, month=11, days=regular_month(late_night), policy=policy
    )

    # Each day: 20 min × 20 yuan/h = 6.666… → 6.67 rounded per day; three days → 20.01.
    assert month.night_allowance == Decimal("20.01")
    assert params(month, "month_night")["fallback_days"] == 3


def test_comprehensive_month_overtime_is_judged_on_the_total() -> None:
    rule = ScheduleRule(system=System.COMPREHENSIVE)
    long_days = [
        compute(d, at(d, 8), at(d, 20), rule=rule) for d in NOVEMBER[:14]
    ]  # 14 × 720 = 10,080 minutes, no daily overtime
    holiday = day_compute(
        DayInput(
            employee_id=1,
            date=NOVEMBER[14],
            time_zone="Asia/Shanghai",
            day_kind=DayKind.STATUTORY_HOLIDAY,
            rule=rule,
            punches=(at(NOVEMBER[14], 9), at(NOVEMBER[14], 17)),
        )
    )
    rest = [compute(d, rule=rule) for d in NOVEMBER[15:]]
    days = [*long_days, holiday, *rest]
    policy = MonthPolicy(comprehensive_period_minutes=COMPREHENSIVE_STANDARD_MINUTES["month"])

    month = month_summarize(employee_id=1, year=2026, month=11, days=days, policy=policy)

    assert all(d.overtime_minutes == 0 for d in long_days)
    assert month.overtime_holiday_minutes == 480  # apart, at 300 %
    assert month.overtime_workday_minutes == 10080 - 9922
    assert params(month, "comprehensive_period_total") == {
        "period": "month",
        "worked": 10080,
        "standard": 9922,
        "leave": 0,
        "overtime": 158,
    }


def test_comprehensive_week_with_leave_lowers_the_standard() -> None:
    rule = ScheduleRule(system=System.COMPREHENSIVE)
    week = NOVEMBER[15:22]  # Monday 16 – Sunday 22 November
    leave = Interval(at(week[0], 0), at(week[0], 23, 59))
    days = [compute(week[0], rule=rule, leaves=(leave,))] + [
        compute(d, at(d, 8), at(d, 18), rule=rule) for d in week[1:5]
    ]

    period = comprehensive_period_overtime(
        days=days, period_standard_minutes=COMPREHENSIVE_STANDARD_MINUTES["week"], period="week"
    )

    assert period.worked_minutes == 4 * 600
    assert period.standard_minutes == 2400 - 480
    assert period.overtime_minutes == 480
    assert period.holiday_minutes == 0


def test_comprehensive_standard_hours_follow_the_2025_notice() -> None:
    assert COMPREHENSIVE_STANDARD_MINUTES == {
        "week": 2400,
        "month": 9922,  # 165.36 h
        "quarter": 29760,  # 496 h
        "year": 119040,  # 1,984 h
    }


def test_month_summary_refuses_days_of_another_month_or_person() -> None:
    other_month = compute(dt.date(2026, 12, 1))
    with pytest.raises(ValueError, match="not in this month"):
        month_summarize(employee_id=1, year=2026, month=11, days=[other_month], policy=POLICY)
    with pytest.raises(ValueError, match="not in this month"):
        month_summarize(
            employee_id=2, year=2026, month=11, days=[compute(NOVEMBER[0])], policy=POLICY
        )
    with pytest.raises(ValueError, match="twice"):
        day_one = compute(NOVEMBER[2])
        month_summarize(employee_id=1, year=2026, month=11, days=[day_one, day_one], policy=POLICY)
