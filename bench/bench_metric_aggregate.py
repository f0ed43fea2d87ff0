"""Benchmark: aggregate N stored metric events into monthly values, and one new event (issue 5).

``run(events=300000, employees=1000, seed=1, singles=200)`` creates a company with the
indicator library and people (``bench_metric_common``) and stores ``events`` events of
October 2026 directly (order amounts, visits, customers served; 2% of them replaced
or reversed by a later correction, so they must not count). Then it measures:

* the whole-month refresh: ``metric_values_refresh`` with one touched key per
  (employee, indicator) in the month — each person's month, quarter and year values
  (and the day and week of the key) recomputed from all their events.
  Target for 3,000,000 events and 10,000 employees: ≤ 10 s.
* one new event: ``metric_events_ingest`` of a single pushed event (which stores it
  and refreshes its person's periods), ``singles`` times. Target: p95 ≤ 50 ms.

It checks the monthly values against the events computed independently.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal
from typing import Any

from bench.bench_metric_common import (
    MONTH_START,
    ZONES,
    events_generate,
    expected_values,
    load_average,
    world_create,
)
from bench.timing import server_cpu_s, summary_ms

TARGET_MONTH_S = 10.0
TARGET_SINGLE_P95_MS = 50.0
INSERT_CHUNK = 20_000


def _store_events(world: Any, rows: list[dict[str, str]], *, seed: int) -> int:
    """Write the rows as MetricEvent rows (bulk, outside the measured part); a few
    are marked replaced or reversed. Returns how many do not count."""
    from jixiao.metrics.models import EventStatus, Indicator, MetricEvent

    company = world.company
    indicators = {
        i.code: i
        for i in Indicator.objects.filter(company=company).select_related("current_version")
    }
    by_number = {number: pk for pk, number, _e, _z in world.employees}
    by_email = {email: pk for pk, _n, email, _z in world.employees}
    by_crm = {name: pk for pk, name in world.crm_users.items()}
    rng = random.Random(seed + 1)
    now = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    voided = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        batch = []
        for row in rows[start : start + INSERT_CHUNK]:
            indicator = indicators[row["indicator"]]
            pk = (
                by_number.get(row["employee_number"])
                or by_email.get(row["identity"])
                or by_crm.get(row["identity"])
            )
            status = EventStatus.COUNTED
            if rng.random() < 0.02:
                status = EventStatus.SUPERSEDED if rng.random() < 0.5 else EventStatus.REVERSED
                row["voided"] = "1"
                voided += 1
            batch.append(
                MetricEvent(
                    company=company,
                    indicator=indicator,
                    indicator_version=indicator.current_version,
                    employee_id=pk,
                    value=Decimal(row["value"]),
                    occurred_at=dt.datetime.fromisoformat(row["occurred_at"]),
                    source=world.source,
                    source_event_id=row["source_event_id"],
                    identity=row["identity"].lower(),
                    evidence={"customer": row["customer"]},
                    content_hash=row["source_event_id"],
                    status=status,
                    ingested_at=now,
                )
            )
        MetricEvent.objects.bulk_create(batch, batch_size=2000)
    return voided


def run(
    *, events: int = 300_000, employees: int = 1000, seed: int = 1, singles: int = 200
) -> dict[str, Any]:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.db import connection, transaction
    from django_scopes import scope

    from jixiao.metrics.event_input import EventInput
    from jixiao.metrics.models import Indicator, MetricValue
    from jixiao.metrics.services.aggregation import TouchedKey, metric_values_refresh
    from jixiao.metrics.services.ingest import metric_events_ingest

    world = world_create(employees=employees)
    rows = events_generate(world, events=events, seed=seed)
    company = world.company
    with scope(company=company):
        mark = time.perf_counter()
        voided = _store_events(world, rows, seed=seed)
        store_s = time.perf_counter() - mark
        codes = ("order_amount", "customer_visits", "customers_served")
        indicator_ids = list(
            Indicator.objects.filter(company=company, code__in=codes).values_list("pk", flat=True)
        )
        middle = dt.datetime(2026, 10, 15, 4, 0, tzinfo=dt.UTC)
        touched = [
            TouchedKey(pk, None, indicator_id, middle)
            for pk, _n, _e, _z in world.employees
            for indicator_id in indicator_ids
        ]
        load_before = load_average()
        started = time.perf_counter()
        cpu_started = time.process_time()
        server_started = server_cpu_s()
        with transaction.atomic():
            written = metric_values_refresh(company=company, touched=touched)
        month_s = time.perf_counter() - started
        month_cpu = time.process_time() - cpu_started
        month_server_cpu = server_cpu_s() - server_started
        load_after = load_average()
        monthly = {
            (employee_id, code): value
            for employee_id, code, value in MetricValue.objects.filter(
                company=company, period_kind="month", period_start=MONTH_START
            ).values_list("employee_id", "indicator__code", "value")
        }
        expected = expected_values([r for r in rows if not r.get("voided")], world)
        mismatched = sum(1 for key, value in expected.items() if monthly.get(key) != value)

        # One new event at a time, as a push of one item would bring it.
        rng = random.Random(seed + 2)
        durations: list[float] = []
        single_cpu_started = time.process_time()
        reflected = 0
        for index in range(singles):
            pk, number, _email, zone = world.employees[rng.randrange(len(world.employees))]
            local = dt.datetime(2026, 10, 1 + rng.randrange(31), 9 + rng.randrange(10))
            at = local.replace(tzinfo=dt.timezone(ZONES[zone]))
            item = EventInput(
                indicator_code="order_amount",
                value=Decimal("1000.00"),
                occurred_at=at,
                source_event_id=f"SINGLE-{index}",
                employee_number=number,
                evidence={"customer": "单笔客户"},
            )
            before = MetricValue.objects.filter(
                company=company,
                employee_id=pk,
                indicator__code="order_amount",
                period_kind="month",
                period_start=MONTH_START,
            ).values_list("value", flat=True).first() or Decimal(0)
            began = time.perf_counter()
            metric_events_ingest(company=company, source=world.source, items=[item], actor=None)
            durations.append(time.perf_counter() - began)
            after = (
                MetricValue.objects.filter(
                    company=company,
                    employee_id=pk,
                    indicator__code="order_amount",
                    period_kind="month",
                    period_start=MONTH_START,
                )
                .values_list("value", flat=True)
                .first()
            )
            reflected += int(after == before + Decimal("1000.00"))
        single_cpu = time.process_time() - single_cpu_started
    single = summary_ms(durations) if durations else {}
    return {
        "events": events,
        "employees": employees,
        "voided_events": voided,
        "store_events_s": round(store_s, 2),
        "touched_keys": len(touched),
        "month_refresh_s": round(month_s, 2),
        "month_refresh_cpu_s": round(month_cpu, 2),
        "month_refresh_server_cpu_s": round(month_server_cpu, 2),
        "events_per_s": round(events / month_s),
        "target_month_s_for_3m_events_10k_employees": TARGET_MONTH_S,
        "values_written": written,
        "monthly_values_checked": len(expected),
        "monthly_values_wrong": mismatched,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "single_event": single,
        "single_event_cpu_s": round(single_cpu, 2),
        "single_event_reflected": reflected,
        "target_single_p95_ms": TARGET_SINGLE_P95_MS,
        "single_meets_target": bool(single) and single["p95_ms"] <= TARGET_SINGLE_P95_MS,
        "vendor": connection.vendor,
    }
