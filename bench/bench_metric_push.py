"""Benchmark: push N metric events in signed batches of 1,000 to the push endpoint (issue 5).

``run(events=50000, employees=2000, batch=1000, seed=1)`` creates a company with the
indicator library, people and a push source (``bench_metric_common``), then POSTs the
events as JSON batches to ``/api/v1/metrics/sources/<id>/events`` through Django's
test client, each signed with the source's secret (``X-Jixiao-Timestamp`` and
``X-Jixiao-Signature``, as a real client sends them): the whole request path of one
web process — middleware, signature and replay check, parsing, ingest, aggregate
refresh (inline for small batches; for big ones queued as a task, which the bench then
runs and times apart, as the worker would), response. Target: ≥ 5,000 events/s.
Reports per-batch latency, wall and CPU seconds, load average, and checks every event
is stored and counted once and every month value is right.
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.bench_metric_common import (
    MONTH_START,
    events_generate,
    expected_values,
    load_average,
    world_create,
)
from bench.timing import server_cpu_s, summary_ms

TARGET_PER_S = 5_000


def _items(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    items = []
    for row in rows:
        item: dict[str, Any] = {
            "indicator": row["indicator"],
            "value": row["value"],
            "occurred_at": row["occurred_at"],
            "source_event_id": row["source_event_id"],
            "evidence": {"customer": row["customer"]},
            "evidence_url": f"https://crm.example.com/records/{row['source_event_id']}",
        }
        if row["employee_number"]:
            item["employee_number"] = row["employee_number"]
        else:
            item["identity"] = row["identity"]
        items.append(item)
    return items


def _queued_tasks_run() -> int:
    """Run the Huey tasks the pushes queued (none when Huey runs them immediately)."""
    from huey.contrib.djhuey import HUEY

    ran = 0
    while True:
        task = HUEY.dequeue()
        if task is None:
            return ran
        HUEY.execute(task)
        ran += 1


def run(
    *, events: int = 50_000, employees: int = 2000, batch: int = 1000, seed: int = 1
) -> dict[str, Any]:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.db import connection
    from django.test import Client
    from django_scopes import scopes_disabled

    from jixiao.metrics.models import MetricEvent, MetricValue
    from jixiao.metrics.push import signature_for

    world = world_create(employees=employees)
    rows = events_generate(world, events=events, seed=seed)
    items = _items(rows)
    source = world.source
    url = f"/api/v1/metrics/sources/{source.pk}/events"
    bodies = [
        json.dumps({"items": items[start : start + batch]}).encode()
        for start in range(0, len(items), batch)
    ]
    client = Client()
    durations: list[float] = []
    created = 0
    statuses: dict[int, int] = {}
    load_before = load_average()
    started = time.perf_counter()
    cpu_started = time.process_time()
    server_started = server_cpu_s()
    for body in bodies:
        stamp = str(int(time.time()))
        began = time.perf_counter()
        response = client.post(
            url,
            body,
            content_type="application/json",
            headers={
                "X-Jixiao-Timestamp": stamp,
                "X-Jixiao-Signature": signature_for(source.secret, stamp, body),
            },
        )
        durations.append(time.perf_counter() - began)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 200:
            created += response.json()["created"]
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    server_cpu = server_cpu_s() - server_started
    # The values of big batches are refreshed by queued tasks (what the worker does):
    # run them here, timed apart, so that the values are checked once they are current.
    refresh_started = time.perf_counter()
    refreshed_by_tasks = _queued_tasks_run()
    refresh_s = time.perf_counter() - refresh_started
    load_after = load_average()
    with scopes_disabled():
        stored = MetricEvent.objects.filter(company=world.company).count()
        monthly = {
            (employee_id, code): value
            for employee_id, code, value in MetricValue.objects.filter(
                company=world.company, period_kind="month", period_start=MONTH_START
            ).values_list("employee_id", "indicator__code", "value")
        }
    expected = expected_values(rows, world)
    mismatched = sum(1 for key, value in expected.items() if monthly.get(key) != value)
    return {
        "events": events,
        "employees": employees,
        "batch": batch,
        "batches": len(bodies),
        "statuses": {str(k): v for k, v in statuses.items()},
        "push_s": round(seconds, 2),
        "events_per_s": round(events / seconds),
        "target_events_per_s": TARGET_PER_S,
        "meets_target": events / seconds >= TARGET_PER_S,
        "cpu_s": round(cpu, 2),
        "server_cpu_s": round(server_cpu, 2),
        "events_per_cpu_s": round(events / (cpu + server_cpu)),
        "batch_latency": summary_ms(durations),
        "tasks_run": refreshed_by_tasks,
        "refresh_by_tasks_s": round(refresh_s, 2),
        "events_per_s_until_values_current": round(events / (seconds + refresh_s)),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "created": created,
        "stored": stored,
        "monthly_values_checked": len(expected),
        "monthly_values_wrong": mismatched,
        "vendor": connection.vendor,
    }
