"""Benchmark: import N metric events from a CSV (issue 5).

``run(events=300000, employees=2000, seed=1, path="bulk")`` creates a company with the
indicator library and ``employees`` people (see ``bench_metric_common``), writes a CSV
of ``events`` CRM rows (工号 / 外部身份 / 指标编码 / 数值 / 发生时间 / 来源编号 / 客户) and
times its import. Target: ≥ 100,000 events/s.

- ``path="bulk"`` (big files: the upload form and ``POST /api/v1/metrics/imports/bulk``):
  ``metric_events_bulk_import`` reads, checks and stores every row and answers
  (``import_s``, the figure for the target); then the after-import task's work — the
  jump and near-duplicate flags and the values the rows touched — is run and timed on
  its own (``after_import_s``), as the worker runs it after the commit.
- ``path="wizard"`` (files within the import framework's row limit): read, map and clean
  the columns, validate, plan (the dry run) and commit through ``metric_events_ingest``.

Reports wall and CPU seconds per phase, load average, and checks that every event is
stored and the monthly values match the rows.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from bench.bench_metric_common import (
    MONTH_START,
    events_generate,
    expected_values,
    load_average,
    world_create,
)
from bench.timing import server_cpu_s

TARGET_PER_S = 100_000
HEADERS = ["工号", "外部身份", "指标编码", "数值", "发生时间", "来源编号", "客户"]


def build_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow(
            [
                row["employee_number"],
                row["identity"],
                row["indicator"],
                row["value"],
                row["occurred_at"],
                row["source_event_id"],
                row["customer"],
            ]
        )
    return out.getvalue().encode()


def run(
    *, events: int = 300_000, employees: int = 2000, seed: int = 1, path: str = "bulk"
) -> dict[str, Any]:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.db import connection, transaction
    from django_scopes import scope

    from jixiao.imports.engine import clean_rows, columns_of, suggest_mapping, table_from_sheet
    from jixiao.imports.readers import read_file
    from jixiao.imports.services import importer_for
    from jixiao.metrics.models import MetricEvent, MetricValue

    world = world_create(employees=employees)
    rows = events_generate(world, events=events, seed=seed)
    data = build_csv(rows)
    company = world.company
    if path == "bulk":
        return _bulk(world, rows, data, events=events, employees=employees)
    phases: dict[str, float] = {}
    with scope(company=company):
        load_before = load_average()
        started = time.perf_counter()
        cpu_started = time.process_time()
        server_started = server_cpu_s()
        importer = importer_for("metric_events", company=company, actor=world.actor)
        sheet = read_file(file_name="crm.csv", data=data, max_bytes=len(data) + 1)
        table = table_from_sheet(sheet, importer.fields())
        phases["read_s"] = time.perf_counter() - started
        mark = time.perf_counter()
        mapping = suggest_mapping(table.headers, importer.fields())
        cleaned = clean_rows(table, mapping, importer.fields())
        columns = columns_of(mapping)
        for row in cleaned:
            importer.validate_row(row, columns)
        phases["clean_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        plan = importer.plan(cleaned, columns)
        phases["plan_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        with transaction.atomic():
            result = importer.commit(plan, reason="bench")
        phases["commit_s"] = time.perf_counter() - mark
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        server_cpu = server_cpu_s() - server_started
        load_after = load_average()
        stored = MetricEvent.objects.filter(company=company).count()
        monthly = {
            (employee_id, code): value
            for employee_id, code, value in MetricValue.objects.filter(
                company=company, period_kind="month", period_start=MONTH_START
            ).values_list("employee_id", "indicator__code", "value")
        }
    expected = expected_values(rows, world)
    mismatched = sum(1 for key, value in expected.items() if monthly.get(key) != value)
    return {
        "events": events,
        "employees": employees,
        "file_mb": round(len(data) / 1048576, 1),
        "mapping": mapping,
        **{key: round(value, 2) for key, value in phases.items()},
        "import_s": round(seconds, 2),
        "events_per_s": round(events / seconds),
        "target_events_per_s": TARGET_PER_S,
        "meets_target": events / seconds >= TARGET_PER_S,
        "cpu_s": round(cpu, 2),
        "server_cpu_s": round(server_cpu, 2),
        "events_per_cpu_s": round(events / (cpu + server_cpu)),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "created": result.created,
        "error_rows": len(plan.error_rows),
        "stored": stored,
        "monthly_values_checked": len(expected),
        "monthly_values_wrong": mismatched,
        "vendor": connection.vendor,
    }


def _bulk(
    world: Any, rows: list[dict[str, str]], data: bytes, *, events: int, employees: int
) -> dict[str, Any]:
    from django.db import connection, transaction
    from django_scopes import scope

    from jixiao.metrics.models import MetricEvent, MetricValue
    from jixiao.metrics.services.aggregation import metric_values_refresh_run
    from jixiao.metrics.services.anomalies import run_anomalies_flag
    from jixiao.metrics.services.bulk_import import metric_events_bulk_import

    company = world.company
    with scope(company=company):
        load_before = load_average()
        started = time.perf_counter()
        cpu_started = time.process_time()
        server_started = server_cpu_s()
        # The task that would run after the commit is run below, on its own clock.
        with transaction.atomic():
            callbacks = len(connection.run_on_commit)
            result = metric_events_bulk_import(
                company=company, file=data, actor=world.actor, file_name="crm.csv",
                mode="all_or_nothing",
            )  # fmt: skip
            del connection.run_on_commit[callbacks:]
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        server_cpu = server_cpu_s() - server_started
        load_after = load_average()
        mark = time.perf_counter()
        with transaction.atomic():
            flags = run_anomalies_flag(company, result.run_id)
            flags_s = time.perf_counter() - mark
            written = metric_values_refresh_run(company, result.run_id)
        after_s = time.perf_counter() - mark
        stored = MetricEvent.objects.filter(company=company).count()
        monthly = {
            (employee_id, code): value
            for employee_id, code, value in MetricValue.objects.filter(
                company=company, period_kind="month", period_start=MONTH_START
            ).values_list("employee_id", "indicator__code", "value")
        }
    expected = expected_values(rows, world)
    mismatched = sum(1 for key, value in expected.items() if monthly.get(key) != value)
    return {
        "path": "bulk",
        "events": events,
        "employees": employees,
        "file_mb": round(len(data) / 1048576, 1),
        "mapping": result.mapping,
        "import_s": round(seconds, 2),
        "events_per_s": round(events / seconds),
        "target_events_per_s": TARGET_PER_S,
        "meets_target": events / seconds >= TARGET_PER_S,
        "cpu_s": round(cpu, 2),
        "server_cpu_s": round(server_cpu, 2),
        "load_average_before": load_before,
        "load_average_after": load_after,
        "created": result.created,
        "unmatched": result.unmatched,
        "error_rows": result.error_rows,
        "stored": stored,
        "values_current_at_answer": result.values_current,
        "after_import_flags_s": round(flags_s, 2),
        "after_import_flags": flags,
        "after_import_s": round(after_s, 2),
        "after_import_values_written": written,
        "monthly_values_checked": len(expected),
        "monthly_values_wrong": mismatched,
        "vendor": connection.vendor,
    }
