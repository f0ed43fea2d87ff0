"""The pure metrics core: aggregation, ratios, periods, corrections, anomalies, explanations."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jixiao.metrics import engine
from jixiao.metrics.engine import Point, RawEvent

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
T0 = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)

values = st.decimals(min_value=-10_000, max_value=10_000, places=2, allow_nan=False)
points = st.lists(
    st.tuples(values, st.integers(0, 60 * 24 * 60), st.sampled_from(["a", "b", "c", ""])),
    max_size=30,
).map(
    lambda rows: [
        Point(i + 1, v, T0 + dt.timedelta(minutes=m), d) for i, (v, m, d) in enumerate(rows)
    ]
)
aggregations = st.sampled_from(sorted(engine.DIRECT_AGGREGATIONS))


@given(points, st.integers(0, 30))
def test_sum_over_a_split_is_the_sum_of_the_parts(items: list[Point], cut: int) -> None:
    left, right = items[:cut], items[cut:]
    whole = engine.aggregate(engine.SUM, items)
    assert (
        whole.value
        == engine.aggregate(engine.SUM, left).value
        + engine.aggregate(  # type: ignore[operator]
            engine.SUM, right
        ).value
    )
    count = engine.aggregate(engine.COUNT, items).value
    assert count == Decimal(len(left)) + Decimal(len(right))


@given(aggregations, points, st.randoms())
def test_order_never_matters(aggregation: str, items: list[Point], rnd: object) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert engine.aggregate(aggregation, items) == engine.aggregate(aggregation, shuffled)


@given(aggregations, points, st.data())
def test_reversing_an_event_equals_never_sending_it(
    aggregation: str, items: list[Point], data: st.DataObject
) -> None:
    raw = [RawEvent(str(p.event_id), p.value, p.occurred_at, distinct=p.distinct) for p in items]
    if not raw:
        return
    victim = data.draw(st.sampled_from(raw))
    reversal = RawEvent("rev", victim.value, victim.occurred_at, "reverse", victim.key)

    def result(events: list[RawEvent]) -> engine.Aggregate:
        kept = engine.corrections_apply(events)
        return engine.aggregate(
            aggregation, [Point(int(e.key), e.value, e.occurred_at, e.distinct) for e in kept]
        )

    assert result([*raw, reversal]) == result([e for e in raw if e is not victim])


@given(points, st.data(), values)
def test_replacing_an_event_equals_sending_the_new_value(
    items: list[Point], data: st.DataObject, new_value: Decimal
) -> None:
    raw = [RawEvent(str(p.event_id), p.value, p.occurred_at) for p in items]
    if not raw:
        return
    victim = data.draw(st.sampled_from(raw))
    replacement = RawEvent("999999", new_value, victim.occurred_at, "replace", victim.key)
    kept = engine.corrections_apply([*raw, replacement])
    expected = sum((e.value for e in raw if e is not victim), Decimal(0)) + new_value
    assert sum((e.value for e in kept), Decimal(0)) == expected


def test_a_correction_of_an_unknown_event_changes_nothing() -> None:
    raw = [RawEvent("1", Decimal(5), T0)]
    assert engine.corrections_apply([*raw, RawEvent("2", Decimal(5), T0, "reverse", "x")]) == raw


def test_each_aggregation_on_a_worked_example() -> None:
    items = [
        Point(1, Decimal("10"), T0, "客户A"),
        Point(2, Decimal("30"), T0 + dt.timedelta(days=2), "客户B"),
        Point(3, Decimal("20"), T0 + dt.timedelta(days=1), "客户A"),
    ]
    assert engine.aggregate(engine.SUM, items).value == Decimal(60)
    assert engine.aggregate(engine.COUNT, items).value == Decimal(3)
    assert engine.aggregate(engine.DISTINCT_COUNT, items).value == Decimal(2)
    assert engine.aggregate(engine.AVERAGE, items).value == Decimal(20)
    assert engine.aggregate(engine.LATEST, items).value == Decimal(30)
    assert engine.aggregate(engine.MINIMUM, items).value == Decimal(10)
    assert engine.aggregate(engine.MAXIMUM, items).value == Decimal(30)


def test_an_empty_period_has_zero_sums_and_no_average() -> None:
    assert engine.aggregate(engine.SUM, []).value == 0
    empty = engine.aggregate(engine.AVERAGE, [])
    assert empty.value is None
    assert empty.note == "本期无数据"


def test_ratio_with_zero_denominator_has_no_value_and_says_why() -> None:
    result = engine.ratio_combine(Decimal(3), Decimal(0), percent=True)
    assert result.value is None
    assert result.note == "分母为 0"
    # 王姐: 18 of her 20 customers bought again → 90 %.
    assert engine.ratio_combine(Decimal(18), Decimal(20), percent=True).value == Decimal(90)
    assert engine.ratio_combine(None, Decimal(5), percent=False).value is None


@pytest.mark.parametrize(
    ("kind", "day", "start", "end"),
    [
        ("day", dt.date(2026, 3, 31), dt.date(2026, 3, 31), dt.date(2026, 4, 1)),
        ("week", dt.date(2026, 11, 22), dt.date(2026, 11, 16), dt.date(2026, 11, 23)),
        ("month", dt.date(2026, 12, 31), dt.date(2026, 12, 1), dt.date(2027, 1, 1)),
        ("quarter", dt.date(2026, 8, 9), dt.date(2026, 7, 1), dt.date(2026, 10, 1)),
        ("year", dt.date(2026, 8, 9), dt.date(2026, 1, 1), dt.date(2027, 1, 1)),
    ],
)
def test_period_boundaries(kind: str, day: dt.date, start: dt.date, end: dt.date) -> None:
    assert engine.period_start(kind, day) == start
    assert engine.period_end(kind, start) == end


def test_periods_follow_the_employees_time_zone() -> None:
    # 李哥 calls a German customer at 23:30 Berlin time on 31 October: 06:30 on 1 November
    # in Shanghai. For an employee posted in Berlin the call belongs to October.
    call = dt.datetime(2026, 10, 31, 22, 30, tzinfo=dt.UTC)
    assert engine.period_start("month", engine.local_day(call, BERLIN)) == dt.date(2026, 10, 1)
    assert engine.period_start("month", engine.local_day(call, SHANGHAI)) == dt.date(2026, 11, 1)
    begin, end = engine.period_window("month", dt.date(2026, 11, 1), SHANGHAI)
    assert begin == dt.datetime(2026, 10, 31, 16, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)


def test_local_day_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        engine.local_day(dt.datetime(2026, 1, 1), SHANGHAI)


def test_anomalies() -> None:
    flags = engine.anomalies_detect(
        value=Decimal(500),
        plausible_min=Decimal(0),
        plausible_max=Decimal(100),
        trailing=[Decimal(10), Decimal(12), Decimal(8)],
        near_duplicate=True,
    )
    assert flags == ["out_of_range", "jump", "duplicate_like"]
    assert (
        engine.anomalies_detect(
            value=Decimal(40), plausible_min=None, plausible_max=None, trailing=[Decimal(10)] * 2
        )
        == []
    )  # too little history to call it a jump
    assert (
        engine.anomalies_detect(
            value=Decimal(40), plausible_min=None, plausible_max=None, trailing=[Decimal(10)] * 3
        )
        == []
    )


def test_explanation_lists_events_in_time_order() -> None:
    items = [Point(7, Decimal(2), T0 + dt.timedelta(hours=1)), Point(3, Decimal(5), T0)]
    result = engine.aggregate(engine.SUM, items)
    explanation = engine.explain(engine.SUM, items, result)
    assert explanation.event_ids == (3, 7)
    assert explanation.value == Decimal(7)
    assert "2 条记录" in explanation.steps[0]
    ratio = engine.explain(
        engine.RATIO, [], engine.ratio_combine(Decimal(1), Decimal(0), percent=True)
    )
    assert ratio.note == "分母为 0"
