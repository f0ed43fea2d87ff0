"""The metric benchmarks (issue 5) at a tiny size: their figures are real.

Each benchmark stores what it claims (every event, counted once) and its own check of
the monthly values agrees with the database; the check itself is tested on a
hand-computed case (time zones, identities, a distinct count).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from bench import bench_metric_aggregate, bench_metric_import, bench_metric_push
from bench.bench_metric_common import events_generate, expected_values, world_create
from bench.runner import BENCHMARKS
from jixiao.metrics.models import MetricEvent, MetricValue

pytestmark = pytest.mark.django_db


def test_the_metric_benchmarks_are_registered() -> None:
    assert BENCHMARKS["metric_import"] == "bench.bench_metric_import"
    assert BENCHMARKS["metric_push"] == "bench.bench_metric_push"
    assert BENCHMARKS["metric_aggregate"] == "bench.bench_metric_aggregate"


def test_expected_values_by_hand() -> None:
    world = world_create(employees=3, tag="hand")
    (a, a_no, a_mail, a_zone), (_b, b_no, _m, b_zone), (c, _n, _e, _z) = world.employees
    assert (a_zone, b_zone) == ("Europe/Berlin", "Asia/Shanghai")
    base = {"source_event_id": "x", "identity": "", "employee_number": "", "customer": "甲"}
    rows = [
        # Berlin, 1 October 00:30 local: October, though 30 September in UTC.
        {**base, "indicator": "order_amount", "value": "10.50", "employee_number": a_no,
         "occurred_at": "2026-10-01T00:30:00+02:00"},
        # Same person by e-mail: 31 October 23:30 at +02:00 is 22:30 in Berlin's winter
        # time (+01:00 after 25 October): still October.
        {**base, "indicator": "order_amount", "value": "4.25", "identity": a_mail,
         "occurred_at": "2026-10-31T23:30:00+02:00"},
        # Shanghai, 1 November 00:10 local: November, not counted for October.
        {**base, "indicator": "order_amount", "value": "99", "employee_number": b_no,
         "occurred_at": "2026-11-01T00:10:00+08:00"},
        # By CRM user name; two visits of the same customer and one of another.
        {**base, "indicator": "customers_served", "value": "1", "identity": world.crm_users[c],
         "occurred_at": "2026-10-05T10:00:00+08:00"},
        {**base, "indicator": "customers_served", "value": "1", "identity": world.crm_users[c],
         "occurred_at": "2026-10-06T10:00:00+08:00"},
        {**base, "indicator": "customers_served", "value": "1", "identity": world.crm_users[c],
         "occurred_at": "2026-10-07T10:00:00+08:00", "customer": "乙"},
    ]  # fmt: skip
    assert expected_values(rows, world) == {
        (a, "order_amount"): Decimal("14.75"),
        (c, "customers_served"): Decimal(2),
    }


def test_generated_events_are_spread_over_the_month_and_matched_three_ways() -> None:
    world = world_create(employees=20, tag="spread")
    rows = events_generate(world, events=400, seed=3)
    assert len({row["source_event_id"] for row in rows}) == 400
    assert {row["indicator"] for row in rows} == {
        "order_amount", "customer_visits", "customers_served",
    }  # fmt: skip
    days = {dt.datetime.fromisoformat(row["occurred_at"]).day for row in rows}
    assert len(days) >= 28
    by_number = sum(1 for row in rows if row["employee_number"])
    by_identity = sum(1 for row in rows if row["identity"])
    assert by_number == 200 and by_identity == 200


def test_import_benchmark_stores_every_event_and_right_values() -> None:
    figures = bench_metric_import.run(events=600, employees=30, seed=2)
    assert figures["stored"] == figures["created"] == 600
    assert figures["error_rows"] == 0
    assert figures["monthly_values_checked"] > 30
    assert figures["monthly_values_wrong"] == 0
    assert figures["events_per_s"] > 0 and figures["cpu_s"] > 0


def test_push_benchmark_posts_signed_batches() -> None:
    figures = bench_metric_push.run(events=450, employees=20, batch=200, seed=4)
    assert figures["batches"] == 3
    assert figures["statuses"] == {"200": 3}
    assert figures["stored"] == figures["created"] == 450
    assert figures["monthly_values_wrong"] == 0
    assert figures["batch_latency"]["requests"] == 3


def test_aggregate_benchmark_refreshes_the_month_and_single_events() -> None:
    figures = bench_metric_aggregate.run(events=800, employees=12, seed=5, singles=6)
    assert figures["touched_keys"] == 36
    assert figures["voided_events"] > 0
    assert figures["monthly_values_checked"] == 36
    assert figures["monthly_values_wrong"] == 0
    assert figures["single_event"]["requests"] == 6
    assert figures["single_event_reflected"] == 6
    with scopes_disabled():
        assert MetricEvent.objects.count() == 806
        assert MetricValue.objects.filter(period_kind="month").exists()
