"""Jump and near-duplicate flags for the events a bulk import stored (``run_anomalies_flag``).

The ingest flags each batch as it stores it (``ingest._flag_anomalies``). A bulk import
of millions of rows sets the out-of-range flag inline and leaves these two to this pass,
run after the import by ``metric_run_after_import_task`` (or at once for a small file),
with the same rules (``engine.anomalies_detect``):

- ``jump``: a value more than five times the average size of the person's last three
  months (month values before the event's month), judged only with three months of
  history — people without it are never read;
- ``duplicate_like``: the same person, indicator, time and value as an earlier counted
  event (of this file or stored before), found by one ``UPDATE … WHERE EXISTS`` over
  the person-indicator-time index.

Flags never block an event; they mark it for HR's data-quality view.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Min

from jixiao.core.models import Company
from jixiao.metrics import engine
from jixiao.metrics.models import EventStatus, MetricEvent, MetricValue, PeriodKind

CHUNK = 2000


def run_anomalies_flag(company: Company, run_id: int) -> dict[str, int]:
    """Add the jump and near-duplicate flags to the run's counted events; the counts."""
    return {
        engine.JUMP: _jumps_flag(company, run_id),
        engine.DUPLICATE_LIKE: _duplicates_flag(company, run_id),
    }


def _append(flag: str) -> str:
    """SQL for the event's flags with ``flag`` added at the end."""
    column = connection.ops.quote_name(MetricEvent._meta.get_field("anomalies").column)
    if connection.vendor == "postgresql":
        return f"{column} || to_jsonb(%s::text)"
    return f"json_insert({column}, '$[#]', %s)"


def _lacks() -> str:
    """SQL true when the event's flags do not hold the flag given as a parameter."""
    column = connection.ops.quote_name(MetricEvent._meta.get_field("anomalies").column)
    if connection.vendor == "postgresql":
        return f"NOT ({column} @> jsonb_build_array(%s::text))"
    return f"NOT EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = %s)"  # noqa: S608


def _jumps_flag(company: Company, run_id: int) -> int:
    events = MetricEvent.objects.filter(
        company=company, run_id=run_id, status=EventStatus.COUNTED, employee__isnull=False
    )
    pairs = list(
        events.values("employee_id", "indicator_id").annotate(first=Min("occurred_at")).order_by()
        .values_list("employee_id", "indicator_id", "first")
    )  # fmt: skip
    if not pairs:
        return 0
    earliest = min(first for _e, _i, first in pairs)
    since = (earliest - dt.timedelta(days=100)).date().replace(day=1)
    wanted = {(employee_id, indicator_id) for employee_id, indicator_id, _f in pairs}
    # People with enough months of history at all, found with one small query.
    with_history = {
        (employee_id, indicator_id)
        for employee_id, indicator_id, months in MetricValue.objects.filter(
            company=company, period_kind=PeriodKind.MONTH, period_start__gte=since,
            count__gt=0, employee__isnull=False,
        ).values("employee_id", "indicator_id").annotate(n=Count("pk")).order_by()
        .values_list("employee_id", "indicator_id", "n")
        if months >= engine.JUMP_MIN_HISTORY and (employee_id, indicator_id) in wanted
    }  # fmt: skip
    if not with_history:
        return 0
    trailing: dict[tuple[int, int], list[tuple[dt.date, Decimal]]] = defaultdict(list)
    employees = sorted({employee_id for employee_id, _i in with_history})
    for start in range(0, len(employees), CHUNK):
        for employee_id, indicator_id, month, total, count in (
            MetricValue.objects.filter(
                company=company, period_kind=PeriodKind.MONTH, period_start__gte=since,
                count__gt=0, employee_id__in=employees[start : start + CHUNK],
            ).order_by("period_start")
            .values_list("employee_id", "indicator_id", "period_start", "sum", "count")
        ):  # fmt: skip
            if (employee_id, indicator_id) in with_history:
                trailing[(employee_id, indicator_id)].append((month, total / count))
    jumped: list[int] = []
    for start in range(0, len(employees), CHUNK):
        for pk, employee_id, indicator_id, value, occurred_at, flagged in events.filter(
            employee_id__in=employees[start : start + CHUNK]
        ).values_list("pk", "employee_id", "indicator_id", "value", "occurred_at", "anomalies"):
            history = trailing.get((employee_id, indicator_id))
            if not history or engine.JUMP in flagged:
                continue
            month = occurred_at.date().replace(day=1)
            earlier = [average for begins, average in history if begins < month][-3:]
            flags = engine.anomalies_detect(
                value=value, plausible_min=None, plausible_max=None, trailing=earlier
            )
            if engine.JUMP in flags:
                jumped.append(pk)
    table = connection.ops.quote_name(MetricEvent._meta.db_table)
    column = connection.ops.quote_name(MetricEvent._meta.get_field("anomalies").column)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {column} = {_append('%s')} "  # noqa: S608
            f"WHERE id = %s AND {_lacks()}",
            [(engine.JUMP, pk, engine.JUMP) for pk in jumped],
        )
    return len(jumped)


def _duplicates_flag(company: Company, run_id: int) -> int:
    ops = connection.ops
    table = ops.quote_name(MetricEvent._meta.db_table)
    fields = ("company", "employee", "indicator", "occurred_at", "value", "status", "run")
    c = {name: ops.quote_name(str(MetricEvent._meta.get_field(name).column)) for name in fields}  # type: ignore[union-attr]
    column = ops.quote_name(MetricEvent._meta.get_field("anomalies").column)
    # Only model column names go into the text; company, run and status are parameters.
    sql = (
        f"UPDATE {table} SET {column} = {_append('%s')} "  # noqa: S608
        f"WHERE {c['run']} = %s AND {c['company']} = %s AND {c['status']} = %s "
        f"AND {c['employee']} IS NOT NULL AND {_lacks()} AND EXISTS ("
        f"SELECT 1 FROM {table} AS earlier WHERE earlier.{c['company']} = {table}.{c['company']} "
        f"AND earlier.{c['employee']} = {table}.{c['employee']} "
        f"AND earlier.{c['indicator']} = {table}.{c['indicator']} "
        f"AND earlier.{c['occurred_at']} = {table}.{c['occurred_at']} "
        f"AND earlier.{c['value']} = {table}.{c['value']} "
        f"AND earlier.{c['status']} = %s AND earlier.id < {table}.id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                engine.DUPLICATE_LIKE,
                run_id,
                company.pk,
                EventStatus.COUNTED,
                engine.DUPLICATE_LIKE,
                EventStatus.COUNTED,
            ],
        )
        return int(cursor.rowcount or 0)
