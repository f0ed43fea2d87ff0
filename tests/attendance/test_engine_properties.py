"""Properties of the attendance engine that hold for any input (hypothesis)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jixiao.attendance.engine import (
    Activity,
    ActivityRule,
    Block,
    DayInput,
    DayKind,
    DayResult,
    DayStatus,
    Interval,
    MonthPolicy,
    ScheduleRule,
    System,
    _intersect,
    _subtract,
    _total,
    _union,
    day_compute,
    month_summarize,
)
from jixiao.attendance.explain import known_codes, reason_text


def _b(start: str, end: str) -> Block:
    return Block(dt.time.fromisoformat(start), dt.time.fromisoformat(end))


RULES: dict[str, ScheduleRule | None] = {
    "office": ScheduleRule(
        system=System.STANDARD,
        blocks=(_b("09:00", "18:00"),),
        breaks=(_b("12:00", "13:00"),),
        grace_late_minutes=5,
        night_allowance_per_hour=Decimal("12.5"),
    ),
    "office_approval": ScheduleRule(
        system=System.STANDARD,
        blocks=(_b("09:00", "18:00"),),
        breaks=(_b("12:00", "13:00"),),
        overtime_requires_approval=True,
        rest_day_comp_leave=True,
        overtime_min_minutes=0,
    ),
    "flexible": ScheduleRule(
        system=System.FLEXIBLE,
        core=_b("09:00", "12:00"),
        flex_window=_b("07:00", "21:00"),
        breaks=(_b("12:00", "13:00"),),
        night_allowance_per_hour=Decimal("20"),
    ),
    "flexible_open": ScheduleRule(system=System.FLEXIBLE, core=_b("10:00", "15:00")),
    "night_shift": ScheduleRule(
        system=System.SHIFT,
        blocks=(_b("22:00", "06:00"),),
        breaks=(_b("02:00", "02:30"),),
        night_allowance_per_hour=Decimal("7.77"),
    ),
    "split_shift": ScheduleRule(
        system=System.SHIFT, blocks=(_b("10:00", "14:00"), _b("17:00", "21:00"))
    ),
    "day_off": ScheduleRule(system=System.SHIFT, day_off=True),
    "comprehensive": ScheduleRule(system=System.COMPREHENSIVE),
    "unfixed": ScheduleRule(system=System.UNFIXED, punch_required=False),
    "none": None,
}
ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York"]
DATES = [
    dt.date(2026, 3, 8),  # New York springs forward
    dt.date(2026, 3, 28),
    dt.date(2026, 3, 29),  # Berlin springs forward
    dt.date(2026, 10, 24),
    dt.date(2026, 10, 25),  # Berlin falls back
    dt.date(2026, 11, 1),  # New York falls back
    dt.date(2026, 11, 18),
]
KINDS = list(DayKind)


def _midnight(date: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(0), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


@st.composite
def day_inputs(draw: st.DrawFn) -> DayInput:
    zone = draw(st.sampled_from(ZONES))
    date = draw(st.sampled_from(DATES))
    base = _midnight(date, zone)
    seconds = st.integers(min_value=-20 * 3600, max_value=56 * 3600)

    def instant(offset: int) -> dt.datetime:
        return base + dt.timedelta(seconds=offset)

    punches = tuple(instant(s) for s in draw(st.lists(seconds, max_size=6)))
    activities = tuple(
        Activity(kind, instant(s), duration)
        for kind, s, duration in draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["call", "email", "meeting"]),
                    seconds,
                    st.integers(min_value=0, max_value=240),
                ),
                max_size=4,
            )
        )
    )
    spans = st.lists(st.tuples(seconds, st.integers(min_value=0, max_value=12 * 3600)), max_size=2)
    leaves = tuple(Interval(instant(s), instant(s + n)) for s, n in draw(spans))
    approved = tuple(Interval(instant(s), instant(s + n)) for s, n in draw(spans))
    return DayInput(
        employee_id=1,
        date=date,
        time_zone=zone,
        day_kind=draw(st.sampled_from(KINDS)),
        rule=RULES[draw(st.sampled_from(sorted(RULES)))],
        punches=punches,
        activities=activities,
        activity_rule=draw(st.sampled_from([None, ActivityRule()])),
        leaves=leaves,
        approved_overtime=approved,
    )


FIGURES = (
    "scheduled_minutes",
    "worked_minutes",
    "late_minutes",
    "early_minutes",
    "absent_minutes",
    "leave_minutes",
    "overtime_workday_minutes",
    "overtime_rest_day_minutes",
    "overtime_holiday_minutes",
    "unapproved_overtime_minutes",
    "comp_leave_minutes",
    "night_minutes",
)
# A non-zero figure must be explained by at least one of these reason codes.
EXPLAINED_BY = {
    "scheduled_minutes": {"scheduled", "scheduled_daily"},
    "worked_minutes": {"worked"},
    "late_minutes": {"late", "core_late"},
    "early_minutes": {"early", "core_early", "flex_shortfall"},
    "absent_minutes": {"absent"},
    "leave_minutes": {"leave"},
    "overtime_workday_minutes": {"overtime_workday"},
    "overtime_rest_day_minutes": {"overtime_rest_day"},
    "overtime_holiday_minutes": {"overtime_holiday"},
    "unapproved_overtime_minutes": {"overtime_unapproved"},
    "comp_leave_minutes": {"comp_leave"},
    "night_minutes": {"night"},
}

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(day_inputs())
def test_figures_are_never_negative_and_overtime_never_exceeds_worked(day: DayInput) -> None:
    result = day_compute(day)

    for name in FIGURES:
        assert getattr(result, name) >= 0, name
    assert result.night_allowance >= 0
    assert result.overtime_minutes == (
        result.overtime_workday_minutes
        + result.overtime_rest_day_minutes
        + result.overtime_holiday_minutes
    )
    assert result.overtime_minutes + result.unapproved_overtime_minutes <= result.worked_minutes
    assert result.comp_leave_minutes <= result.overtime_rest_day_minutes
    assert result.night_minutes <= result.worked_minutes
    assert result.absent_minutes + result.leave_minutes <= result.scheduled_minutes
    assert not (result.missing_punch and result.worked_minutes and not day.activity_rule)
    # Only one overtime category applies to a day.
    categories = [
        result.overtime_workday_minutes,
        result.overtime_rest_day_minutes,
        result.overtime_holiday_minutes,
    ]
    assert sum(1 for c in categories if c) <= 1


@FAST
@given(day_inputs())
def test_worked_time_is_the_work_sessions_inside_the_day_window(day: DayInput) -> None:
    result = day_compute(day)

    sessions = result.work_sessions
    assert result.worked_minutes == sum(s.minutes for s in sessions)
    assert all(a.end < b.start for a, b in itertools.pairwise(sessions))
    if sessions:
        # The window is at most a day plus the 4 h before and 8 h after a block (and a DST hour).
        assert sessions[-1].end - sessions[0].start <= dt.timedelta(hours=24 + 12 + 1)
        assert result.worked_minutes <= (24 + 12 + 1) * 60
    if day.rule is not None and not day.rule.blocks:
        assert result.worked_minutes <= 25 * 60


@FAST
@given(day_inputs(), st.randoms(use_true_random=False))
def test_punch_order_and_duplicates_do_not_matter(day: DayInput, rng: random.Random) -> None:
    # The same minute punched again (another device, a double tap) at any second.
    shuffled = list(day.punches) + [
        p.replace(second=rng.randrange(60), microsecond=rng.randrange(10**6)) for p in day.punches
    ]
    rng.shuffle(shuffled)
    activities = list(day.activities)
    rng.shuffle(activities)
    variant = DayInput(
        employee_id=day.employee_id,
        date=day.date,
        time_zone=day.time_zone,
        day_kind=day.day_kind,
        rule=day.rule,
        punches=tuple(shuffled),
        activities=tuple(activities),
        activity_rule=day.activity_rule,
        leaves=tuple(reversed(day.leaves)),
        approved_overtime=tuple(reversed(day.approved_overtime)),
    )

    assert day_compute(variant) == day_compute(day)


@FAST
@given(day_inputs())
def test_day_compute_is_deterministic(day: DayInput) -> None:
    assert day_compute(day) == day_compute(day)


@FAST
@given(day_inputs())
def test_every_figure_is_explained_in_words(day: DayInput) -> None:
    result = day_compute(day)
    present = {r.code for r in result.reasons}

    for name, explained_by in EXPLAINED_BY.items():
        if getattr(result, name):
            assert present & explained_by, (name, sorted(present))
    if result.night_allowance:
        assert "night_allowance" in present
    if result.missing_punch:
        assert "missing_punch" in present
    if result.status in (DayStatus.NO_SCHEDULE, DayStatus.REST):
        assert present & {"no_schedule", "not_rostered", "rest"}
    for r in result.reasons:
        assert r.code in known_codes()
        assert json.loads(json.dumps(r.params)) == r.params
        assert not reason_text(r).startswith(r.code)


def _month_days(data: st.DataObject) -> list[DayResult]:
    draw = data.draw
    zone = draw(st.sampled_from(ZONES))
    rule = RULES[draw(st.sampled_from(sorted(RULES)))]
    results = []
    for d in range(1, 31):
        date = dt.date(2026, 11, d)
        base = _midnight(date, zone)
        offsets = draw(st.lists(st.integers(min_value=4 * 60, max_value=27 * 60), max_size=3))
        results.append(
            day_compute(
                DayInput(
                    employee_id=3,
                    date=date,
                    time_zone=zone,
                    day_kind=DayKind.WORKDAY if date.weekday() < 5 else DayKind.REST_DAY,
                    rule=rule,
                    punches=tuple(base + dt.timedelta(minutes=m) for m in offsets),
                )
            )
        )
    return results


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.integers(min_value=0, max_value=4), st.integers(min_value=0, max_value=3))
def test_month_punch_rate_is_a_percentage_and_totals_add_up(
    data: st.DataObject, per: int, free: int
) -> None:
    days = _month_days(data)
    policy = MonthPolicy(lates_per_half_day_absence=per, late_free_count=free)

    month = month_summarize(employee_id=3, year=2026, month=11, days=days, policy=policy)

    assert Decimal("0") <= month.punch_rate <= Decimal("100")
    assert 0 <= month.punched_days <= month.scheduled_days <= 30
    assert month.worked_minutes == sum(d.worked_minutes for d in days)
    assert month.late_count == sum(1 for d in days if d.late_minutes)
    assert month.absent_days >= 0
    assert month.penalty_absent_days >= 0
    assert month.penalty_absent_days % Decimal("0.5") == 0
    for r in month.reasons:
        assert r.code in known_codes()
        json.dumps(r.params)


_spans = st.lists(
    st.tuples(st.integers(min_value=0, max_value=60), st.integers(min_value=0, max_value=20)).map(
        lambda p: (p[0], p[0] + p[1])
    ),
    max_size=5,
)


def _minutes_of(ivs: list[tuple[int, int]]) -> set[int]:
    return {m for start, end in ivs for m in range(start, end)}


@settings(max_examples=300, deadline=None)
@given(_spans, _spans)
def test_interval_arithmetic_matches_sets_of_minutes(
    a: list[tuple[int, int]], b: list[tuple[int, int]]
) -> None:
    ua, ub = _union(a), _union(b)
    assert _minutes_of(ua) == _minutes_of(a)
    assert all(x[1] < y[0] for x, y in itertools.pairwise(ua))
    assert _minutes_of(_intersect(ua, ub)) == _minutes_of(a) & _minutes_of(b)
    assert _minutes_of(_subtract(ua, ub)) == _minutes_of(a) - _minutes_of(b)
    assert _total(_subtract(ua, ub)) == len(_minutes_of(a) - _minutes_of(b))
