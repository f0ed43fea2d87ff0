"""Benchmark: import N metric events from a CSV through the import framework (issue 5).

``run(events=300000, employees=2000, seed=1)`` creates a company with the indicator
library and ``employees`` people (see ``bench_metric_common``), writes a CSV of
``events`` CRM rows (工号 / 外部身份 / 指标编码 / 数值 / 发生时间 / 来源编号 / 客户) and
times the ``metric_events`` importer the way the import wizard runs it: read the file,
map and clean the columns, validate, plan (the dry run), and commit, which stores the
events with ``metric_events_ingest`` and refreshes the touched aggregates. Target:
≥ 100,000 events/s. Reports wall and CPU seconds per phase, load average, and checks
that every event is stored and the monthly values match the rows.
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


def run(*, events: int = 300_000, employees: int = 2000, seed: int = 1) -> dict[str, Any]:
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
