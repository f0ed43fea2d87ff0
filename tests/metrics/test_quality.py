"""The pure data-quality core: source health, reconciliation, the error rate, check periods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jixiao.metrics import quality
from jixiao.metrics.quality import SourceFacts, Totals

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
# Draws take a millisecond; a busy machine (parallel workers) can stall one for a second.
PROPERTIES = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
HOUR = dt.timedelta(hours=1)
CREATED = NOW - dt.timedelta(days=90)


def health(**facts: object) -> quality.Health:
    base: dict[str, object] = {"enabled": True, "created_at": CREATED}
    base.update(facts)
    return quality.source_health(SourceFacts(**base), now=NOW)  # type: ignore[arg-type]


def test_a_fresh_source_is_ok() -> None:
    found = health(interval=HOUR, last_success_at=NOW - dt.timedelta(minutes=20))
    assert found.status == quality.OK
    assert found.reasons == ()
    assert found.lag == dt.timedelta(minutes=20)


def test_failures_warn_then_fail_with_the_last_error() -> None:
    once = health(interval=HOUR, last_success_at=NOW - HOUR, failure_count=1, last_error="超时")
    assert once.status == quality.WARNING
    assert once.texts == ["连续失败 1 次。 最近错误：超时"]
    thrice = health(interval=HOUR, last_success_at=NOW - HOUR, failure_count=3)
    assert thrice.status == quality.FAILING


def test_a_late_source_warns_after_two_intervals_and_fails_after_six() -> None:
    # Hourly Jira pull: late after 2 h + 30 min grace, failing after 6 h 30 min.
    assert health(interval=HOUR, last_success_at=NOW - 2 * HOUR).status == quality.OK
    late = health(interval=HOUR, last_success_at=NOW - 3 * HOUR)
    assert late.status == quality.WARNING
    assert late.texts == ["已 3 小时 没有成功同步（应每 1 小时 一次）。"]
    assert health(interval=HOUR, last_success_at=NOW - 7 * HOUR).status == quality.FAILING


def test_never_succeeded_counts_from_creation() -> None:
    found = health(interval=HOUR, created_at=NOW - 4 * HOUR)
    assert [r.code for r in found.reasons] == ["never_succeeded"]
    assert found.texts == ["创建 4 小时 以来从未成功同步。"]
    assert found.lag is None
    assert health(interval=HOUR, created_at=NOW - 30 * dt.timedelta(minutes=1)).status == "ok"


def test_a_quiet_pushing_system_and_a_disabled_source() -> None:
    quiet = health(
        interval=dt.timedelta(days=7), pulled=False, last_success_at=NOW - 15 * 24 * HOUR
    )
    assert [r.code for r in quiet.reasons] == ["quiet"]
    assert quiet.texts == ["已 15 天 没有收到数据（通常每 7 天 至少一次）。"]
    off = health(enabled=False, interval=HOUR, last_success_at=NOW - 100 * HOUR)
    assert off.status == quality.WARNING
    assert [r.code for r in off.reasons] == ["disabled"]


def test_file_imports_have_no_lag_alarm_but_unmatched_and_rejected_rows_warn() -> None:
    found = health(last_success_at=NOW - 60 * 24 * HOUR, unmatched_identities=2,
                   unmatched_events=17, last_run_errors=3)  # fmt: skip
    assert found.status == quality.WARNING
    assert found.texts == [
        "2 个外部身份未匹配，17 条数据尚未计入。",
        "最近一批有 3 条记录被拒绝。",
    ]


def test_reasons_survive_storage() -> None:
    reason = quality.Reason("failures", quality.FAILING, {"n": 4, "error": "HTTP 500"})
    again = quality.Reason.from_dict(reason.as_dict())
    assert again == reason and again.text == "连续失败 4 次。 最近错误：HTTP 500"


facts_strategy = st.builds(
    SourceFacts,
    enabled=st.booleans(),
    created_at=st.just(CREATED),
    interval=st.none() | st.integers(5, 10_000).map(lambda m: dt.timedelta(minutes=m)),
    pulled=st.booleans(),
    last_success_at=st.none()
    | st.integers(0, 200_000).map(lambda m: NOW - dt.timedelta(minutes=m)),
    failure_count=st.integers(0, 10),
    unmatched_identities=st.integers(0, 5),
    unmatched_events=st.integers(0, 50),
    last_run_errors=st.integers(0, 5),
)


@PROPERTIES
@given(facts_strategy)
def test_the_status_is_the_worst_reason(facts: SourceFacts) -> None:
    found = quality.source_health(facts, now=NOW)
    assert found.status == quality.worst(r.level for r in found.reasons)
    assert (found.status == quality.OK) == (found.reasons == ())
    assert all(r.text for r in found.reasons)


@PROPERTIES
@given(facts_strategy, st.integers(1, 5))
def test_more_failures_are_never_healthier(facts: SourceFacts, more: int) -> None:
    rank = {quality.OK: 0, quality.WARNING: 1, quality.FAILING: 2}
    worse = SourceFacts(**{**vars(facts), "failure_count": facts.failure_count + more})
    before = quality.source_health(facts, now=NOW).status
    after = quality.source_health(worse, now=NOW).status
    assert rank[after] >= rank[before]


def test_duration_text() -> None:
    assert quality.duration_text(30) == "不到 1 分钟"
    assert quality.duration_text(125 * 60) == "2 小时 5 分钟"
    assert quality.duration_text((3 * 24 + 4) * 3600 + 59) == "3 天 4 小时"


# --- Reconciliation ---------------------------------------------------------------------

OCT = dt.date(2026, 10, 1)


def test_reconcile_names_every_difference() -> None:
    reported = {
        ("orders", OCT): Totals(12, Decimal("1200")),
        ("order_amount", OCT): Totals(12, Decimal("53000.50")),
        ("customer_visits", OCT): Totals(3, Decimal(3)),
    }
    stored = {
        ("orders", OCT): Totals(12, Decimal("1200")),
        ("order_amount", OCT): Totals(11, Decimal("51000.50")),
        ("repeat_customers", OCT): Totals(2, Decimal(2)),
    }
    rows = {row.indicator: row for row in quality.reconcile(reported, stored)}
    assert rows["orders"].status == quality.MATCH
    assert rows["order_amount"].status == quality.MISMATCH
    assert rows["order_amount"].count_difference == 1
    assert rows["order_amount"].sum_difference == Decimal("2000.00")
    assert rows["customer_visits"].status == quality.MISSING_IN_STORE
    assert rows["repeat_customers"].status == quality.MISSING_IN_SOURCE
    assert quality.reconciliation_status(rows.values()) == quality.FAILING
    assert quality.reconciliation_status([rows["orders"]]) == quality.OK
    assert rows["order_amount"].as_dict()["sum_difference"] == "2000.00"


totals_strategy = st.dictionaries(
    st.tuples(
        st.sampled_from(["orders", "visits", "bugs"]), st.sampled_from([OCT, dt.date(2026, 11, 1)])
    ),
    st.builds(
        Totals,
        st.integers(0, 1000),
        st.integers(-(10**8), 10**8).map(lambda n: Decimal(n).scaleb(-4)),
    ),
    max_size=6,
)


@PROPERTIES
@given(totals_strategy)
def test_a_source_always_reconciles_with_itself(totals: dict[quality.Key, Totals]) -> None:
    rows = quality.reconcile(totals, dict(totals))
    assert len(rows) == len(totals) and all(row.matches for row in rows)


@PROPERTIES
@given(totals_strategy, totals_strategy)
def test_differences_add_up(a: dict[quality.Key, Totals], b: dict[quality.Key, Totals]) -> None:
    rows = quality.reconcile(a, b)
    assert sum(r.count_difference for r in rows) == sum(t.count for t in a.values()) - sum(
        t.count for t in b.values()
    )
    assert [(r.month, r.indicator) for r in rows] == sorted((r.month, r.indicator) for r in rows)


@PROPERTIES
@given(st.lists(st.tuples(totals_strategy, totals_strategy), max_size=4))
def test_run_totals_merge_and_sum(
    batches: list[tuple[dict[quality.Key, Totals], dict[quality.Key, Totals]]],
) -> None:
    """Adding batch after batch to a run gives the same month sums as adding them up first."""
    stored: dict[str, dict[str, object]] | None = None
    for received, accepted in batches:
        stored = quality.run_totals_merge(stored, received=received, accepted=accepted)
    sums = quality.run_totals_sum([stored or {}], month=OCT)
    for side, index in (("received", 0), ("accepted", 1)):
        expected: dict[str, Totals] = {}
        for batch in batches:
            for (code, month), t in batch[index].items():
                if month == OCT:
                    expected[code] = expected.get(code, Totals()) + t
        got = {code: parts[side] for code, parts in sums.items()}
        for code, t in expected.items():
            assert got[code] == t
        assert all(got[c] == Totals() for c in got.keys() - expected.keys())


# --- Error rate -------------------------------------------------------------------------


def test_error_rate_against_the_one_percent_line() -> None:
    exactly = quality.error_rate(total=1000, disputed=6, corrected=5, both=1)
    assert exactly.erroneous == 10 and exactly.percent == Decimal("1.00")
    assert not exactly.above_threshold and exactly.status == quality.OK
    above = quality.error_rate(total=1000, disputed=6, corrected=5)
    assert above.percent == Decimal("1.10") and above.above_threshold
    assert above.status == quality.FAILING
    empty = quality.error_rate(total=0, disputed=0, corrected=0)
    assert empty.rate is None and empty.percent is None and not empty.above_threshold
    assert above.as_dict() == {"total": 1000, "disputed": 6, "corrected": 5, "erroneous": 11,
                               "percent": "1.10", "above_threshold": True}  # fmt: skip


@pytest.mark.parametrize(
    "counts",
    [
        {"total": 5, "disputed": -1, "corrected": 0},
        {"total": 5, "disputed": 1, "corrected": 1, "both": 2},
        {"total": 2, "disputed": 2, "corrected": 2},
    ],
)
def test_impossible_counts_are_refused(counts: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        quality.error_rate(**counts)


@PROPERTIES
@given(
    st.integers(0, 10_000).flatmap(lambda total: st.tuples(st.just(total), st.integers(0, total)))
)
def test_above_threshold_is_more_than_one_in_a_hundred(pair: tuple[int, int]) -> None:
    total, bad = pair
    rate = quality.error_rate(total=total, disputed=bad, corrected=0)
    assert rate.above_threshold == (bad * 100 > total)
    if total:
        assert rate.rate is not None and Decimal(0) <= rate.rate <= Decimal(1)


# --- Periods ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "today", "expected"),
    [
        ("weekly", dt.date(2026, 11, 23), (dt.date(2026, 11, 16), dt.date(2026, 11, 23))),
        ("weekly", dt.date(2026, 11, 22), (dt.date(2026, 11, 9), dt.date(2026, 11, 16))),
        ("monthly", dt.date(2026, 12, 2), (dt.date(2026, 11, 1), dt.date(2026, 12, 1))),
        ("monthly", dt.date(2027, 1, 2), (dt.date(2026, 12, 1), dt.date(2027, 1, 1))),
        ("quarterly", dt.date(2027, 1, 3), (dt.date(2026, 10, 1), dt.date(2027, 1, 1))),
    ],
)
def test_check_period_is_the_last_complete_one(
    kind: str, today: dt.date, expected: tuple[dt.date, dt.date]
) -> None:
    assert quality.check_period(kind, today) == expected


def test_period_of() -> None:
    assert quality.period_of("quarterly", dt.date(2026, 11, 23)) == (
        dt.date(2026, 10, 1),
        dt.date(2027, 1, 1),
    )
    assert quality.period_of("weekly", dt.date(2026, 11, 25))[0] == dt.date(2026, 11, 23)
