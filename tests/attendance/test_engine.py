"""The attendance engine, one employee-day at a time: the seeds' people as exact-value stories."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from jixiao.attendance.engine import (
    Activity,
    ActivityRule,
    Block,
    DayInput,
    DayKind,
    DayResult,
    DayStatus,
    Interval,
    ScheduleRule,
    System,
    activity_sessions,
    day_compute,
)
from jixiao.attendance.explain import known_codes, reason_text

SHANGHAI = "Asia/Shanghai"
BERLIN = "Europe/Berlin"


def at(
    date: dt.date, hour: int, minute: int = 0, zone: str = SHANGHAI, days: int = 0
) -> dt.datetime:
    """A local wall-clock moment as the aware UTC instant the engine takes."""
    local = dt.datetime.combine(date + dt.timedelta(days=days), dt.time(hour, minute))
    return local.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def t(text: str) -> dt.time:
    hour, minute = text.split(":")
    return dt.time(int(hour), int(minute))


def block(start: str, end: str) -> Block:
    return Block(t(start), t(end))


OFFICE = ScheduleRule(
    system=System.STANDARD,
    blocks=(block("09:00", "18:00"),),
    breaks=(block("12:00", "13:00"),),
    grace_late_minutes=5,
)
# Seed 000: flexible hours, core time 9:00–12:00, 20 yuan an hour after 22:00.
FLEX_000 = ScheduleRule(
    system=System.FLEXIBLE,
    core=block("09:00", "12:00"),
    flex_window=block("07:00", "21:00"),
    breaks=(block("12:00", "13:00"),),
    grace_late_minutes=5,
    night_allowance_per_hour=Decimal("20"),
)
NIGHT_SHIFT = ScheduleRule(
    system=System.SHIFT, blocks=(block("22:00", "06:00"),), night_allowance_per_hour=Decimal("20")
)
RETAIL_SPLIT = ScheduleRule(
    system=System.SHIFT, blocks=(block("10:00", "14:00"), block("17:00", "21:00"))
)
CALLS = ActivityRule()

WEDNESDAY = dt.date(2026, 11, 18)
SATURDAY = dt.date(2026, 11, 21)
NATIONAL_DAY = dt.date(2026, 10, 1)


def day(
    rule: ScheduleRule | None,
    *punches: dt.datetime,
    date: dt.date = WEDNESDAY,
    kind: DayKind = DayKind.WORKDAY,
    zone: str = SHANGHAI,
    **extra: object,
) -> DayInput:
    return DayInput(
        employee_id=7,
        date=date,
        time_zone=zone,
        day_kind=kind,
        rule=rule,
        punches=punches,
        **extra,  # type: ignore[arg-type]
    )


def codes(result: DayResult) -> list[str]:
    return [r.code for r in result.reasons]


def reason(result: DayResult, code: str) -> dict[str, str | int]:
    found = [r for r in result.reasons if r.code == code]
    assert found, f"no {code!r} reason in {codes(result)}"
    return found[0].params


# --- 王姐: flexible hours with core time 9:00–12:00 ----------------------------------------


def test_wang_jie_flexible_day_inside_core_time_is_normal() -> None:
    result = day_compute(day(FLEX_000, at(WEDNESDAY, 8, 55), at(WEDNESDAY, 17, 55)))

    assert result.status == DayStatus.NORMAL
    assert result.scheduled_minutes == 480
    assert result.worked_minutes == 480  # 8:55–17:55 less lunch
    assert (result.late_minutes, result.early_minutes, result.overtime_minutes) == (0, 0, 0)
    assert reason(result, "worked") == {"minutes": 480, "first": "08:55", "last": "17:55"}
    assert reason(result, "break_deducted") == {"minutes": 60}


def test_wang_jie_arriving_after_core_start_is_late_and_short_overtime_is_not_counted() -> None:
    result = day_compute(day(FLEX_000, at(WEDNESDAY, 9, 20), at(WEDNESDAY, 18, 30)))

    assert result.status == DayStatus.EXCEPTION
    assert result.late_minutes == 20
    assert reason(result, "core_late") == {
        "minutes": 20,
        "first": "09:20",
        "start": "09:00",
        "grace": 5,
    }
    assert result.worked_minutes == 490
    assert result.overtime_minutes == 0
    assert reason(result, "overtime_below_minimum") == {"minutes": 10, "minimum": 30}


def test_wang_jie_leaving_in_core_time_is_early_and_short_of_the_daily_total() -> None:
    result = day_compute(day(FLEX_000, at(WEDNESDAY, 8, 30), at(WEDNESDAY, 11, 30)))

    assert result.worked_minutes == 180
    assert reason(result, "core_early")["minutes"] == 30
    assert reason(result, "flex_shortfall") == {"minutes": 300, "counted": 180, "required": 480}
    assert result.early_minutes == 300  # the larger of the two, both explained
    assert set(result.flags) == {"early", "flex_shortfall"}


def test_flexible_work_before_the_allowed_span_is_overtime_not_required_time() -> None:
    result = day_compute(day(FLEX_000, at(WEDNESDAY, 6, 0), at(WEDNESDAY, 14, 0)))

    # 6:00–14:00 less lunch = 420 worked; 60 of them before 7:00 do not count toward the 480.
    assert result.worked_minutes == 420
    assert reason(result, "flex_outside_window")["minutes"] == 60
    assert reason(result, "flex_shortfall") == {"minutes": 120, "counted": 360, "required": 480}
    assert result.overtime_workday_minutes == 60


# --- 李哥: calls to German customers late in the evening ------------------------------------


def test_li_ge_call_from_22_to_23_is_overtime_and_night_work_at_20_yuan_an_hour() -> None:
    call = Activity("call", at(WEDNESDAY, 22, 0), 60, "crm:call:88123")
    result = day_compute(
        day(
            FLEX_000,
            at(WEDNESDAY, 9, 0),
            at(WEDNESDAY, 18, 0),
            activities=(call,),
            activity_rule=CALLS,
        )
    )

    assert result.worked_minutes == 540
    assert result.overtime_workday_minutes == 60
    assert result.night_minutes == 60
    assert result.night_allowance == Decimal("20.00")
    assert reason(result, "night_allowance") == {
        "minutes": 60,
        "rate": "20.00",
        "amount": "20.00",
        "rounding": "ROUND_HALF_UP 0.01",
    }
    assert Interval(at(WEDNESDAY, 22), at(WEDNESDAY, 23)) in result.work_sessions
    assert result.status == DayStatus.NORMAL


def test_li_ge_23_00_call_with_a_berlin_customer_joins_the_email_after_it() -> None:
    # 23:00 in Shanghai is 16:00 in Berlin; the follow-up email 10 minutes after the call joins.
    call = Activity("call", at(WEDNESDAY, 23, 0), 30)
    email = Activity("email", at(WEDNESDAY, 23, 40))
    result = day_compute(
        day(
            FLEX_000,
            at(WEDNESDAY, 9, 0),
            at(WEDNESDAY, 18, 0),
            activities=(email, call),
            activity_rule=CALLS,
        )
    )

    assert reason(result, "activity_sessions") == {"count": 1, "minutes": 45}
    assert result.night_minutes == 45
    assert result.night_allowance == Decimal("15.00")
    assert result.overtime_workday_minutes == 45


def test_activities_count_only_when_the_company_enables_them() -> None:
    call = Activity("call", at(WEDNESDAY, 22, 0), 60)
    result = day_compute(day(FLEX_000, at(WEDNESDAY, 9), at(WEDNESDAY, 18), activities=(call,)))

    assert result.worked_minutes == 480
    assert result.night_minutes == 0


def test_activity_sessions_join_small_gaps_and_skip_kinds_not_configured() -> None:
    rule = ActivityRule(
        kinds=frozenset({"call", "email"}), gap_join_minutes=15, email_credit_minutes=5
    )
    sessions = activity_sessions(
        [
            Activity("email", at(WEDNESDAY, 20, 50)),  # 20:50–20:55
            Activity("call", at(WEDNESDAY, 21, 5), 25),  # gap 10 → joins: 20:50–21:30
            Activity("meeting", at(WEDNESDAY, 21, 40), 60),  # not a counted kind
            Activity("call", at(WEDNESDAY, 22, 0), 60),  # gap 30 → new session 22:00–23:00
        ],
        rule,
    )

    assert sessions == (
        Interval(at(WEDNESDAY, 20, 50), at(WEDNESDAY, 21, 30)),
        Interval(at(WEDNESDAY, 22, 0), at(WEDNESDAY, 23, 0)),
    )


def test_activity_sessions_alone_make_a_worked_day_without_punches() -> None:
    calls = (Activity("call", at(WEDNESDAY, 9, 0), 120), Activity("call", at(WEDNESDAY, 11, 0), 60))
    result = day_compute(day(FLEX_000, activities=calls, activity_rule=CALLS))

    assert result.worked_minutes == 180
    assert result.absent_minutes == 0
    assert not result.missing_punch
    assert result.first_punch is None


# --- standard hours: late, early, absence, leave, missing punch -----------------------------


def test_late_12_minutes_with_5_minutes_grace() -> None:
    result = day_compute(day(OFFICE, at(WEDNESDAY, 9, 12), at(WEDNESDAY, 18, 0)))

    assert result.late_minutes == 12
    assert result.status == DayStatus.EXCEPTION
    assert result.flags == ("late",)
    params = reason(result, "late")
    assert params == {"minutes": 12, "first": "09:12", "start": "09:00", "grace": 5}
    late_reason = next(r for r in result.reasons if r.code == "late")
    assert reason_text(late_reason) == "迟到 12 分钟：首次打卡 09:12，上班时间 09:00，宽限 5 分钟"


def test_arriving_within_grace_is_not_late() -> None:
    result = day_compute(
        day(OFFICE, at(WEDNESDAY, 9, 5) + dt.timedelta(seconds=59), at(WEDNESDAY, 18, 0))
    )

    assert result.late_minutes == 0
    assert result.status == DayStatus.NORMAL


def test_leaving_early_counts_the_missed_scheduled_minutes() -> None:
    result = day_compute(day(OFFICE, at(WEDNESDAY, 8, 58), at(WEDNESDAY, 17, 20)))

    assert result.early_minutes == 40
    assert reason(result, "early") == {"minutes": 40, "last": "17:20", "end": "18:00", "grace": 0}


def test_no_punch_and_no_leave_is_absence_of_the_scheduled_minutes() -> None:
    result = day_compute(day(OFFICE))

    assert result.status == DayStatus.EXCEPTION
    assert result.absent_minutes == 480
    assert result.flags == ("absent",)


def test_full_day_leave_is_leave_not_absence() -> None:
    leave = Interval(at(WEDNESDAY, 0), at(WEDNESDAY, 0, days=1))
    result = day_compute(day(OFFICE, leaves=(leave,)))

    assert result.status == DayStatus.LEAVE
    assert result.leave_minutes == 480
    assert result.absent_minutes == 0


def test_morning_leave_moves_the_expected_arrival_to_after_lunch() -> None:
    leave = Interval(at(WEDNESDAY, 9), at(WEDNESDAY, 12))
    on_time = day_compute(day(OFFICE, at(WEDNESDAY, 13, 4), at(WEDNESDAY, 18, 1), leaves=(leave,)))
    late = day_compute(day(OFFICE, at(WEDNESDAY, 13, 20), at(WEDNESDAY, 18, 1), leaves=(leave,)))

    assert on_time.leave_minutes == 180
    assert on_time.late_minutes == 0
    assert on_time.status == DayStatus.NORMAL
    assert late.late_minutes == 20
    assert reason(late, "late")["start"] == "13:00"


def test_one_punch_is_a_missing_punch_never_a_silent_zero() -> None:
    result = day_compute(day(OFFICE, at(WEDNESDAY, 9, 3)))

    assert result.missing_punch
    assert result.worked_minutes == 0
    assert result.absent_minutes == 0
    assert result.status == DayStatus.EXCEPTION
    assert reason(result, "missing_punch") == {"at": "09:03"}


def test_one_late_punch_is_judged_as_the_arrival() -> None:
    result = day_compute(day(OFFICE, at(WEDNESDAY, 9, 30)))

    assert result.missing_punch
    assert result.late_minutes == 30
    assert result.early_minutes == 0


def test_one_early_evening_punch_is_judged_as_the_departure() -> None:
    result = day_compute(day(OFFICE, at(WEDNESDAY, 17, 0)))

    assert result.early_minutes == 60
    assert result.late_minutes == 0


def test_workday_overtime_is_the_time_outside_the_planned_blocks() -> None:
    result = day_compute(day(OFFICE, at(WEDNESDAY, 8, 0), at(WEDNESDAY, 20, 0)))

    assert result.worked_minutes == 660
    assert result.overtime_workday_minutes == 180
    assert "overtime_daily_cap" not in result.flags


def test_workday_overtime_above_three_hours_is_flagged_never_cut() -> None:
    result = day_compute(day(OFFICE, at(WEDNESDAY, 9, 0), at(WEDNESDAY, 22, 30)))

    assert result.overtime_workday_minutes == 270
    assert "overtime_daily_cap" in result.flags
    assert reason(result, "overtime_daily_cap") == {"minutes": 270, "cap": 180}
    assert result.night_minutes == 30
    assert result.night_allowance == Decimal("0.00")  # the office rule pays no night allowance


def test_unapproved_overtime_counts_only_inside_approved_requests() -> None:
    rule = ScheduleRule(
        system=System.STANDARD,
        blocks=(block("09:00", "18:00"),),
        breaks=(block("12:00", "13:00"),),
        overtime_requires_approval=True,
    )
    approved = Interval(at(WEDNESDAY, 18), at(WEDNESDAY, 19, 30))
    result = day_compute(
        day(rule, at(WEDNESDAY, 9), at(WEDNESDAY, 20, 30), approved_overtime=(approved,))
    )

    assert result.overtime_workday_minutes == 90
    assert result.unapproved_overtime_minutes == 60
    assert result.flags == ("unapproved_overtime",)
    assert result.status == DayStatus.EXCEPTION
    assert reason(result, "overtime_unapproved") == {"minutes": 60}


def test_overtime_without_any_approval_is_all_unapproved() -> None:
    rule = ScheduleRule(
        system=System.STANDARD, blocks=(block("09:00", "18:00"),), overtime_requires_approval=True
    )
    result = day_compute(day(rule, at(WEDNESDAY, 9), at(WEDNESDAY, 19, 0)))

    assert result.overtime_minutes == 0
    assert result.unapproved_overtime_minutes == 60


# --- shifts: overnight and split -------------------------------------------------------------


def test_factory_night_shift_crossing_midnight_belongs_to_the_day_it_starts() -> None:
    previous_shift_end = at(WEDNESDAY, 6, 2)  # the end of the shift that started the 17th
    result = day_compute(
        day(
            NIGHT_SHIFT,
            at(WEDNESDAY, 6, 5, days=1),
            previous_shift_end,
            at(WEDNESDAY, 21, 55),
            at(WEDNESDAY, 21, 55),
        )
    )

    assert result.first_punch == at(WEDNESDAY, 21, 55)
    assert result.last_punch == at(WEDNESDAY, 6, 5, days=1)
    assert result.scheduled_minutes == 480
    assert result.worked_minutes == 490
    assert result.overtime_minutes == 0  # 10 minutes outside the block: below the minimum
    assert result.night_minutes == 480
    assert result.night_allowance == Decimal("160.00")
    assert result.status == DayStatus.NORMAL
    assert reason(result, "scheduled") == {"minutes": 480, "start": "22:00", "end": "06:00"}


def test_night_shift_leaving_early_next_morning() -> None:
    result = day_compute(day(NIGHT_SHIFT, at(WEDNESDAY, 22, 0), at(WEDNESDAY, 5, 0, days=1)))

    assert result.early_minutes == 60
    assert reason(result, "early")["last"] == "05:00"


def test_split_retail_shift_does_not_pay_the_gap_between_its_blocks() -> None:
    result = day_compute(
        day(
            RETAIL_SPLIT,
            at(WEDNESDAY, 9, 58),
            at(WEDNESDAY, 14, 1),
            at(WEDNESDAY, 16, 59),
            at(WEDNESDAY, 21, 3),
        )
    )

    assert result.scheduled_minutes == 480
    assert result.worked_minutes == 485  # 9:58–21:03 less the 14:00–17:00 gap
    assert reason(result, "break_deducted") == {"minutes": 180}
    assert result.overtime_minutes == 0
    assert result.status == DayStatus.NORMAL


def test_split_shift_late_for_the_first_block() -> None:
    result = day_compute(day(RETAIL_SPLIT, at(WEDNESDAY, 10, 20), at(WEDNESDAY, 21, 0)))

    assert result.late_minutes == 20
    assert result.worked_minutes == 460


def test_roster_day_off_with_nothing_worked_is_rest() -> None:
    rule = ScheduleRule(system=System.SHIFT, day_off=True)
    result = day_compute(day(rule))

    assert result.status == DayStatus.REST
    assert reason(result, "rest") == {"day_kind": "workday", "holiday": ""}


def test_shift_without_a_roster_entry_is_flagged_not_a_rest_day() -> None:
    result = day_compute(
        day(ScheduleRule(system=System.SHIFT), at(WEDNESDAY, 9), at(WEDNESDAY, 17))
    )

    assert result.status == DayStatus.NO_SCHEDULE
    assert result.flags == ("not_rostered",)
    assert result.worked_minutes == 480


# --- calendar days: holidays, rest days, make-up workdays ------------------------------------


def test_national_day_worked_8_hours_is_480_minutes_of_holiday_overtime() -> None:
    rule = ScheduleRule(
        system=System.STANDARD,
        blocks=(block("09:00", "18:00"),),
        breaks=(block("12:00", "13:00"),),
        rest_day_comp_leave=True,
    )
    result = day_compute(
        day(
            rule,
            at(NATIONAL_DAY, 9),
            at(NATIONAL_DAY, 18),
            date=NATIONAL_DAY,
            kind=DayKind.STATUTORY_HOLIDAY,
            holiday_name="国庆节",
        )
    )

    assert result.overtime_holiday_minutes == 480
    assert result.overtime_minutes == 480
    assert result.comp_leave_minutes == 0  # 300 %, never comp leave
    assert result.scheduled_minutes == 0
    assert result.status == DayStatus.NORMAL
    assert reason(result, "overtime_holiday") == {"minutes": 480, "holiday": "国庆节"}


def test_holiday_nobody_worked_is_rest() -> None:
    result = day_compute(day(OFFICE, date=NATIONAL_DAY, kind=DayKind.STATUTORY_HOLIDAY))

    assert result.status == DayStatus.REST
    assert result.absent_minutes == 0


def test_rest_day_work_becomes_comp_leave_when_the_rule_says_so() -> None:
    rule = ScheduleRule(
        system=System.STANDARD,
        blocks=(block("09:00", "18:00"),),
        breaks=(block("12:00", "13:00"),),
        rest_day_comp_leave=True,
    )
    result = day_compute(
        day(rule, at(SATURDAY, 9), at(SATURDAY, 15), date=SATURDAY, kind=DayKind.REST_DAY)
    )

    assert result.overtime_rest_day_minutes == 300
    assert result.comp_leave_minutes == 300
    assert result.overtime_workday_minutes == 0
    assert codes(result)[-1] == "comp_leave"


def test_rest_day_work_is_paid_200_percent_without_comp_leave() -> None:
    result = day_compute(
        day(OFFICE, at(SATURDAY, 9), at(SATURDAY, 15), date=SATURDAY, kind=DayKind.REST_DAY)
    )

    assert result.overtime_rest_day_minutes == 300
    assert result.comp_leave_minutes == 0


def test_makeup_workday_is_an_ordinary_working_day() -> None:
    makeup = dt.date(2026, 9, 20)  # a Sunday worked before the National Day block
    worked = day_compute(
        day(OFFICE, at(makeup, 9), at(makeup, 18), date=makeup, kind=DayKind.MAKEUP_WORKDAY)
    )
    stayed_home = day_compute(day(OFFICE, date=makeup, kind=DayKind.MAKEUP_WORKDAY))

    assert worked.status == DayStatus.NORMAL
    assert worked.overtime_minutes == 0
    assert stayed_home.absent_minutes == 480


def test_company_rest_day_overrides_the_roster() -> None:
    result = day_compute(
        day(
            NIGHT_SHIFT,
            at(WEDNESDAY, 22),
            at(WEDNESDAY, 6, days=1),
            kind=DayKind.COMPANY_REST_DAY,
        )
    )

    assert result.overtime_rest_day_minutes == 480
    assert result.scheduled_minutes == 0


def test_rostered_shift_on_a_statutory_holiday_is_judged_and_paid_300_percent() -> None:
    result = day_compute(
        day(
            NIGHT_SHIFT,
            at(NATIONAL_DAY, 22, 10),
            at(NATIONAL_DAY, 6, days=1),
            date=NATIONAL_DAY,
            kind=DayKind.STATUTORY_HOLIDAY,
        )
    )

    assert result.late_minutes == 10
    assert result.overtime_holiday_minutes == 470


# --- other working-hour systems ---------------------------------------------------------------


def test_comprehensive_hours_have_no_daily_overtime_except_on_statutory_holidays() -> None:
    rule = ScheduleRule(system=System.COMPREHENSIVE, daily_minutes=480)
    long_day = day_compute(day(rule, at(WEDNESDAY, 8), at(WEDNESDAY, 20)))
    rest_day = day_compute(
        day(rule, at(SATURDAY, 8), at(SATURDAY, 20), date=SATURDAY, kind=DayKind.REST_DAY)
    )
    holiday = day_compute(
        day(
            rule,
            at(NATIONAL_DAY, 8),
            at(NATIONAL_DAY, 12),
            date=NATIONAL_DAY,
            kind=DayKind.STATUTORY_HOLIDAY,
        )
    )

    assert long_day.worked_minutes == 720
    assert long_day.overtime_minutes == 0
    assert reason(long_day, "comprehensive_period") == {"minutes": 720}
    assert rest_day.overtime_minutes == 0
    assert holiday.overtime_holiday_minutes == 240


def test_unfixed_hours_have_no_overtime_unless_the_city_requires_holiday_pay() -> None:
    plain = ScheduleRule(system=System.UNFIXED, punch_required=False)
    paid = ScheduleRule(
        system=System.UNFIXED, punch_required=False, unfixed_statutory_holiday_pay=True
    )
    punches = (at(NATIONAL_DAY, 9), at(NATIONAL_DAY, 17))

    no_pay = day_compute(day(plain, *punches, date=NATIONAL_DAY, kind=DayKind.STATUTORY_HOLIDAY))
    with_pay = day_compute(day(paid, *punches, date=NATIONAL_DAY, kind=DayKind.STATUTORY_HOLIDAY))
    workday = day_compute(day(plain, at(WEDNESDAY, 9), at(WEDNESDAY, 23)))
    away = day_compute(day(plain))

    assert no_pay.overtime_minutes == 0
    assert reason(no_pay, "unfixed_no_overtime") == {"minutes": 480}
    assert with_pay.overtime_holiday_minutes == 480
    assert workday.overtime_minutes == 0
    assert (workday.late_minutes, workday.early_minutes) == (0, 0)
    assert away.status == DayStatus.NORMAL
    assert away.absent_minutes == 0
    assert away.scheduled_minutes == 0


def test_no_working_hour_rule_is_flagged_never_a_silent_zero() -> None:
    result = day_compute(day(None, at(WEDNESDAY, 9), at(WEDNESDAY, 18)))

    assert result.status == DayStatus.NO_SCHEDULE
    assert result.flags == ("no_schedule",)
    assert codes(result)[0] == "no_schedule"
    assert result.worked_minutes == 540  # what happened is still shown


def test_overtime_below_the_minimum_is_explained() -> None:
    result = day_compute(day(OFFICE, at(WEDNESDAY, 9), at(WEDNESDAY, 18, 20)))

    assert result.overtime_minutes == 0
    assert reason(result, "overtime_below_minimum") == {"minutes": 20, "minimum": 30}


# --- time zones: daylight saving in Berlin, a move mid-month ----------------------------------


@pytest.mark.parametrize(
    ("start_date", "hours"),
    [
        (dt.date(2026, 3, 28), 7),  # clocks go forward at 02:00 on 29 March: a 7-hour night
        (dt.date(2026, 10, 24), 9),  # clocks go back at 03:00 on 25 October: a 9-hour night
        (dt.date(2026, 3, 29), 8),  # the night after the change is ordinary again
    ],
)
def test_berlin_night_shift_over_a_daylight_saving_change(start_date: dt.date, hours: int) -> None:
    result = day_compute(
        day(
            NIGHT_SHIFT,
            at(start_date, 22, 0, BERLIN),
            at(start_date, 6, 0, BERLIN, days=1),
            date=start_date,
            zone=BERLIN,
        )
    )

    assert result.scheduled_minutes == hours * 60
    assert result.worked_minutes == hours * 60
    assert result.night_minutes == hours * 60
    assert result.overtime_minutes == 0
    assert result.status == DayStatus.NORMAL
    assert result.night_allowance == Decimal(20 * hours).quantize(Decimal("0.01"))


@pytest.mark.parametrize("date", [dt.date(2026, 3, 29), dt.date(2026, 10, 25)])
def test_berlin_office_day_on_a_daylight_saving_sunday_is_judged_in_local_time(
    date: dt.date,
) -> None:
    result = day_compute(
        day(
            OFFICE,
            at(date, 9, 0, BERLIN),
            at(date, 18, 0, BERLIN),
            date=date,
            zone=BERLIN,
            kind=DayKind.MAKEUP_WORKDAY,
        )
    )

    assert result.worked_minutes == 480
    assert result.late_minutes == 0
    assert reason(result, "worked") == {"minutes": 480, "first": "09:00", "last": "18:00"}


def test_employee_moving_from_shanghai_to_berlin_mid_month_keeps_local_rules() -> None:
    """Days until the 15th are judged in Shanghai, from the 16th in Berlin; each punch counts once."""
    dates = [dt.date(2026, 11, d) for d in range(1, 31) if dt.date(2026, 11, d).weekday() < 5]
    zone_of = {d: SHANGHAI if d.day <= 15 else BERLIN for d in dates}
    punches = tuple(p for d in dates for p in (at(d, 9, 0, zone_of[d]), at(d, 18, 0, zone_of[d])))

    results = [day_compute(day(OFFICE, *punches, date=d, zone=zone_of[d])) for d in dates]

    assert all(r.worked_minutes == 480 for r in results)
    assert all(r.late_minutes == 0 and r.early_minutes == 0 for r in results)
    assert all(r.status == DayStatus.NORMAL for r in results)
    assert sum(r.worked_minutes for r in results) == 480 * len(dates)
    used = [p for r in results for p in (r.first_punch, r.last_punch)]
    assert len(used) == len(set(used)) == len(punches)


# --- results are explained and JSON-safe ------------------------------------------------------


def test_every_reason_of_the_stories_has_a_message_and_json_params() -> None:
    stories = [
        day(FLEX_000, at(WEDNESDAY, 9, 20), at(WEDNESDAY, 23, 30)),
        day(OFFICE, at(WEDNESDAY, 9, 12), at(WEDNESDAY, 22, 0)),
        day(OFFICE, at(WEDNESDAY, 9, 12)),
        day(OFFICE),
        day(None),
        day(NIGHT_SHIFT, at(WEDNESDAY, 22), at(WEDNESDAY, 6, days=1)),
        day(OFFICE, date=SATURDAY, kind=DayKind.REST_DAY),
    ]
    for story in stories:
        result = day_compute(story)
        for r in result.reasons:
            assert r.code in known_codes()
            json.dumps(r.params)
            assert not reason_text(r).startswith(r.code)


def test_naive_punch_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        day_compute(day(OFFICE, dt.datetime(2026, 11, 18, 9, 0)))


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(Exception, match="Mars"):
        day_compute(day(OFFICE, zone="Mars/Olympus_Mons"))


def test_office_day_with_only_an_evening_call_is_an_absence_plus_overtime() -> None:
    call = Activity("call", at(WEDNESDAY, 19, 0), 60)
    result = day_compute(day(OFFICE, activities=(call,), activity_rule=CALLS))

    assert result.absent_minutes == 480
    assert result.late_minutes == 0
    assert result.worked_minutes == 60
    assert result.overtime_workday_minutes == 60
