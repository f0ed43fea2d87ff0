"""Keeping ``MetricValue`` rows right: recompute the periods an event touched.

Called by every write that changes which events count (ingest, corrections,
identity links, disputes). For each touched (person or team, indicator) it reads
the counted events of the touched periods once, recomputes day, week, month,
quarter and year values in the person's time zone, then the ratio and formula
indicators that depend on them.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, Count, F, Max, Min, Q, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Round, TruncDate
from django.utils import timezone

from jixiao.core.models import Company
from jixiao.metrics import engine
from jixiao.metrics.formula import formula_evaluate
from jixiao.metrics.models import (
    VALUE_PLACES,
    Aggregation,
    EventStatus,
    Indicator,
    IndicatorVersion,
    MetricEvent,
    MetricValue,
    SourceRun,
)
from jixiao.metrics.services.indicators import version_dependencies
from jixiao.org.models import Employee

CHUNK = 500
#: Aggregations the database adds up when many people are refreshed at once.
SQL_AGGREGATIONS = frozenset(
    {Aggregation.SUM, Aggregation.COUNT, Aggregation.AVERAGE, Aggregation.MINIMUM,
     Aggregation.MAXIMUM, Aggregation.DISTINCT_COUNT}
)  # fmt: skip
#: Aggregations whose quarter and year follow from the month values alone (a distinct
#: count does not: one customer served in two months is still one customer).
ROLLUP_AGGREGATIONS = frozenset(
    {Aggregation.SUM, Aggregation.COUNT, Aggregation.AVERAGE, Aggregation.MINIMUM,
     Aggregation.MAXIMUM, Aggregation.LATEST}
)  # fmt: skip
#: Periods rolled up from the month values they are made of.
ROLLED_UP_KINDS = frozenset({engine.QUARTER, engine.YEAR})
#: Below this many people a refresh reads their events (few rows, one query).
SQL_PATH_MIN_SUBJECTS = 50
SCALE = 10**VALUE_PLACES

#: (employee id, department id): exactly one is set.
Subject = tuple[int | None, int | None]


@dataclass(frozen=True, slots=True)
class TouchedKey:
    """An event's place in the aggregates: who, which indicator, which local day."""

    employee_id: int | None
    department_id: int | None
    indicator_id: int
    occurred_at: dt.datetime


def subject_time_zones(company: Company, employee_ids: Iterable[int]) -> dict[int, str]:
    """Each employee's time zone: their work location's, else the company's."""
    zones: dict[int, str] = {}
    ids = list(set(employee_ids))
    for start in range(0, len(ids), CHUNK):
        rows = Employee.objects.filter(company=company, pk__in=ids[start : start + CHUNK])
        for pk, zone in rows.values_list("pk", "work_location__time_zone"):
            zones[pk] = zone or company.time_zone
    return zones


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Shanghai")


def _distinct_of(evidence: object, key: str) -> str:
    if key and isinstance(evidence, dict):
        found = evidence.get(key)
        if found is not None and found != "":
            return str(found)
    return ""


def _zero_when_empty(aggregation: str) -> bool:
    return aggregation in (Aggregation.SUM, Aggregation.COUNT, Aggregation.DISTINCT_COUNT)


def metric_values_refresh(*, company: Company, touched: Iterable[TouchedKey]) -> int:
    """Recompute every period the touched keys fall in; returns how many values were written."""
    keys = list(touched)
    if not keys:
        return 0
    zones = subject_time_zones(company, [k.employee_id for k in keys if k.employee_id])
    # periods[(subject, indicator_id)] = {(kind, start)}
    periods: dict[tuple[Subject, int], set[tuple[str, dt.date]]] = defaultdict(set)
    subject_zone: dict[Subject, zoneinfo.ZoneInfo] = {}
    for key in keys:
        subject: Subject = (key.employee_id, key.department_id)
        tz = subject_zone.get(subject)
        if tz is None:
            name = zones.get(key.employee_id, company.time_zone) if key.employee_id else None
            tz = subject_zone[subject] = _zone(name or company.time_zone)
        day = engine.local_day(key.occurred_at, tz)
        periods[(subject, key.indicator_id)].update(_periods_of(day))
    return _periods_refresh(company, periods, subject_zone)


@functools.lru_cache(maxsize=4096)
def _periods_of(day: dt.date) -> tuple[tuple[str, dt.date], ...]:
    return tuple(engine.periods_of(day))


def run_subjects_count(run: SourceRun) -> int:
    """How many people and teams the events a run stored are about."""
    found = MetricEvent.objects.filter(run=run).aggregate(
        people=Count("employee_id", distinct=True), teams=Count("department_id", distinct=True)
    )
    return int(found["people"] or 0) + int(found["teams"] or 0)


def metric_values_refresh_run(company: Company, run_id: int) -> int:
    """Recompute every period the events stored by one run (a bulk import) fall in.

    One GROUP BY (person or team, indicator, UTC date) gives the first and last event
    of each group; the local days of those two instants are the only local days the
    group's events can fall on, so nothing is recomputed that has no event of the run.
    """
    groups = (
        MetricEvent.objects.filter(company=company, run_id=run_id)
        .filter(Q(employee__isnull=False) | Q(department__isnull=False))
        .annotate(utc_day=TruncDate("occurred_at", tzinfo=dt.UTC))
        .values("employee_id", "department_id", "indicator_id", "utc_day")
        .annotate(first=Min("occurred_at"), last=Max("occurred_at"))
        .values_list("employee_id", "department_id", "indicator_id", "first", "last")
        .order_by()
    )
    rows = list(groups)
    if not rows:
        return 0
    zones = subject_time_zones(company, {row[0] for row in rows if row[0]})
    periods: dict[tuple[Subject, int], set[tuple[str, dt.date]]] = defaultdict(set)
    subject_zone: dict[Subject, zoneinfo.ZoneInfo] = {}
    for employee_id, department_id, indicator_id, first, last in rows:
        subject: Subject = (employee_id, None) if employee_id else (None, department_id)
        tz = subject_zone.get(subject)
        if tz is None:
            name = zones.get(employee_id, company.time_zone) if employee_id else None
            tz = subject_zone[subject] = _zone(name or company.time_zone)
        wanted = periods[(subject, indicator_id)]
        wanted.update(_periods_of(engine.local_day(first, tz)))
        wanted.update(_periods_of(engine.local_day(last, tz)))
    return _periods_refresh(company, periods, subject_zone)


def _periods_refresh(
    company: Company,
    periods: dict[tuple[Subject, int], set[tuple[str, dt.date]]],
    subject_zone: dict[Subject, zoneinfo.ZoneInfo],
) -> int:
    indicators = {
        i.pk: i for i in Indicator.objects.filter(company=company).select_related("current_version")
    }
    written = 0
    by_indicator: dict[int, dict[Subject, set[tuple[str, dt.date]]]] = defaultdict(dict)
    for (subject, indicator_id), wanted in periods.items():
        by_indicator[indicator_id][subject] = wanted
    for indicator_id, subjects in by_indicator.items():
        indicator = indicators[indicator_id]
        written += _refresh_direct(company, indicator, subjects, subject_zone)
    written += _refresh_derived(company, indicators, periods)
    return written


def _refresh_direct(
    company: Company,
    indicator: Indicator,
    subjects: dict[Subject, set[tuple[str, dt.date]]],
    subject_zone: dict[Subject, zoneinfo.ZoneInfo],
) -> int:
    version = indicator.current_version
    if version is None or version.aggregation not in engine.DIRECT_AGGREGATIONS:
        return 0
    if version.aggregation not in ROLLUP_AGGREGATIONS:
        return _refresh_from_events(company, indicator, version, subjects, subject_zone)
    # Days, weeks and months from the events; then quarters and years from the months.
    rolled: dict[Subject, set[tuple[str, dt.date]]] = {}
    direct: dict[Subject, set[tuple[str, dt.date]]] = {}
    for subject, wanted in subjects.items():
        later = {period for period in wanted if period[0] in ROLLED_UP_KINDS}
        if later:
            rolled[subject] = later
        if len(later) < len(wanted):
            direct[subject] = wanted - later
    written = _refresh_from_events(company, indicator, version, direct, subject_zone)
    if rolled:
        written += _store(company, indicator, _rolled_up(company, indicator, version, rolled))
    return written


def _refresh_from_events(
    company: Company,
    indicator: Indicator,
    version: IndicatorVersion,
    subjects: dict[Subject, set[tuple[str, dt.date]]],
    subject_zone: dict[Subject, zoneinfo.ZoneInfo],
) -> int:
    if not subjects:
        return 0
    results: dict[tuple[Subject, str, dt.date], engine.Aggregate] = {}
    people = [subject for subject in subjects if subject[0] is not None]
    if version.aggregation in SQL_AGGREGATIONS and len(people) >= SQL_PATH_MIN_SUBJECTS:
        results.update(
            _aggregate_in_database(
                company, indicator, version,
                {subject: subjects[subject] for subject in people}, subject_zone,
            )
        )  # fmt: skip
        subjects = {s: ps for s, ps in subjects.items() if s[0] is None}
        if not subjects:
            return _store(company, indicator, results)
    # Read the counted events of every touched subject within the widest window once.
    windows = {
        subject: [engine.period_window(kind, start, subject_zone[subject]) for kind, start in ps]
        for subject, ps in subjects.items()
    }
    earliest = min(begin for ws in windows.values() for begin, _end in ws)
    latest = max(end for ws in windows.values() for _begin, end in ws)
    points: dict[Subject, list[engine.Point]] = defaultdict(list)
    subject_list = list(subjects)
    for offset in range(0, len(subject_list), CHUNK):
        chunk = subject_list[offset : offset + CHUNK]
        employees = [e for e, _d in chunk if e is not None]
        departments = [d for e, d in chunk if e is None and d is not None]
        who = Q(employee_id__in=employees) | Q(employee__isnull=True, department_id__in=departments)
        rows = MetricEvent.objects.filter(
            who,
            company=company,
            indicator=indicator,
            status=EventStatus.COUNTED,
            occurred_at__gte=earliest,
            occurred_at__lt=latest,
        ).values_list("pk", "employee_id", "department_id", "value", "occurred_at", "evidence")
        key = version.distinct_key
        for pk, employee_id, department_id, value, occurred_at, evidence in rows:
            subject: Subject = (employee_id, None) if employee_id else (None, department_id)
            points[subject].append(
                engine.Point(pk, value, occurred_at, _distinct_of(evidence, key))
            )
    for subject, wanted in subjects.items():
        tz = subject_zone[subject]
        mine = points.get(subject, [])
        for kind, start in wanted:
            begin, end = engine.period_window(kind, start, tz)
            inside = [p for p in mine if begin <= p.occurred_at < end]
            results[(subject, kind, start)] = engine.aggregate(version.aggregation, inside)
    return _store(company, indicator, results)


_VALUE_FIELDS = (
    "value",
    "value_note",
    "count",
    "sum",
    "numerator",
    "denominator",
    "last_event_at",
    "updated_at",
)
_KEY_FIELDS = ("company", "indicator", "employee", "department", "period_kind", "period_start")


def _columns(names: Iterable[str]) -> list[str]:
    return [str(MetricValue._meta.get_field(name).column) for name in names]  # type: ignore[union-attr]


def _aggregate_in_database(
    company: Company,
    indicator: Indicator,
    version: IndicatorVersion,
    subjects: dict[Subject, set[tuple[str, dt.date]]],
    subject_zone: dict[Subject, zoneinfo.ZoneInfo],
) -> dict[tuple[Subject, str, dt.date], engine.Aggregate]:
    """Sum, count, distinct count, average, minimum and maximum of many people's periods,
    added up by the database instead of reading every event into Python: one GROUP BY employee query per
    distinct (time zone, period) window, and for days one query per time zone and UTC
    offset that groups by employee and local day number. Gives the same figures as
    ``engine.aggregate`` over the same events (the tests compare both paths): sums are
    exact (SQLite adds the values as integers of 1/10,000), an average is the exact sum
    divided by the count in Python, as the engine divides.

    Days grouped by number: all days of a group have the one UTC offset ``o`` from
    midnight to midnight, so an event of such a day falls on day ``(epoch + o) // 86400``.
    An event of a day with another offset (a DST change, or the other season) may be
    numbered one day off, but never onto a day of the group: offsets change only on
    transition days, which are queried as windows of their own.
    """
    windows: dict[tuple[str, str, dt.date], list[Subject]] = defaultdict(list)
    day_groups: dict[tuple[str, int], dict[dt.date, list[Subject]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for subject, wanted in subjects.items():
        tz = subject_zone[subject]
        for kind, start in wanted:
            if kind == engine.DAY:
                offset = _fixed_offset(start, tz)
                if offset is not None:
                    day_groups[(str(tz), offset)][start].append(subject)
                    continue
            windows[(str(tz), kind, start)].append(subject)
    empty = engine.aggregate(version.aggregation, [])
    results: dict[tuple[Subject, str, dt.date], engine.Aggregate] = {}
    for (_tz, kind, start), members in windows.items():
        begin, end = engine.period_window(kind, start, subject_zone[members[0]])
        wanted_ids = {employee_id for employee_id, _d in members if employee_id is not None}
        found = {
            employee_id: figures
            for (employee_id, _n), figures in _grouped(
                company, indicator, version, begin, end, wanted_ids, None
            ).items()
        }
        for subject in members:
            results[(subject, kind, start)] = found.get(subject[0] or 0, empty)
    for (zone_name, offset), days in day_groups.items():
        tz = _zone(zone_name)
        first, last = min(days), max(days)
        begin = engine.period_window(engine.DAY, first, tz)[0]
        end = engine.period_window(engine.DAY, last, tz)[1]
        wanted_ids = {e for members in days.values() for e, _d in members if e is not None}
        found_days = _grouped(company, indicator, version, begin, end, wanted_ids, offset)
        for day, members in days.items():
            number = (day - EPOCH_DAY).days
            for subject in members:
                results[(subject, engine.DAY, day)] = found_days.get(
                    (subject[0] or 0, number), empty
                )
    return results


EPOCH_DAY = dt.date(1970, 1, 1)


def _fixed_offset(day: dt.date, tz: zoneinfo.ZoneInfo) -> int | None:
    """The day's UTC offset in seconds when it is the same all day, else None."""
    begin = dt.datetime.combine(day, dt.time(), tzinfo=tz).utcoffset()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz).utcoffset()
    if begin is None or begin != end or begin.microseconds:
        return None
    return int(begin.total_seconds())


def _distinct_expression(key: str) -> RawSQL:
    """What a distinct count counts, as ``_distinct_of`` reads it: the evidence field
    ``key`` as text when it is there and not empty, else the event itself."""
    ops = connection.ops
    evidence = ops.quote_name(MetricEvent._meta.get_field("evidence").column)
    pk = ops.quote_name(MetricEvent._meta.pk.column)  # type: ignore[union-attr]
    if not key:
        return RawSQL(f"'#' || {pk}", ())  # noqa: S611 (model column names only)
    if connection.vendor == "sqlite":
        found = f"CAST(json_extract({evidence}, %s) AS TEXT)"
        path = '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    else:
        found = f"({evidence} ->> %s)"
        path = key
    # The key is a bound parameter; only model column names go into the SQL text.
    return RawSQL(f"COALESCE(NULLIF({found}, ''), '#' || {pk})", (path,))  # noqa: S611


def _grouped(
    company: Company,
    indicator: Indicator,
    version: IndicatorVersion,
    begin: dt.datetime,
    end: dt.datetime,
    wanted_ids: set[int],
    day_offset: int | None,
) -> dict[tuple[int, int], engine.Aggregate]:
    """{(employee id, local day number or 0): figures} of the counted events in [begin, end)."""
    aggregation = version.aggregation
    sqlite = connection.vendor == "sqlite"
    total = Sum(Cast(Round(F("value") * SCALE), BigIntegerField())) if sqlite else Sum("value")
    rows = MetricEvent.objects.filter(
        company=company,
        indicator=indicator,
        status=EventStatus.COUNTED,
        employee__isnull=False,
        occurred_at__gte=begin,
        occurred_at__lt=end,
    )
    if len(wanted_ids) <= CHUNK:
        rows = rows.filter(employee_id__in=wanted_ids)
    if day_offset is None:
        grouped = rows.order_by().annotate(bucket=Value(0, output_field=BigIntegerField()))
    else:
        column = connection.ops.quote_name(MetricEvent._meta.get_field("occurred_at").column)
        if sqlite:
            expression = f"(CAST(strftime('%%s', {column}) AS INTEGER) + %s) / 86400"
        else:
            expression = f"FLOOR((EXTRACT(EPOCH FROM {column}) + %s) / 86400)"
        grouped = rows.order_by().annotate(
            # Only the model's column name and a bound integer go into the SQL.
            bucket=RawSQL(expression, (day_offset,), output_field=BigIntegerField())  # noqa: S611
        )
    distinct: Any = Value(0)
    if aggregation == Aggregation.DISTINCT_COUNT:
        distinct = Count(_distinct_expression(version.distinct_key), distinct=True)
    found: dict[tuple[int, int], engine.Aggregate] = {}
    for employee_id, bucket, count, added, low, high, last_at, different in (
        grouped.values("employee_id", "bucket")
        .annotate(
            n=Count("pk"),
            t=total,
            lo=Min("value"),
            hi=Max("value"),
            at=Max("occurred_at"),
            d=distinct,
        )
        .values_list("employee_id", "bucket", "n", "t", "lo", "hi", "at", "d")
    ):
        if employee_id not in wanted_ids:
            continue
        added = Decimal(added).scaleb(-VALUE_PLACES) if sqlite else Decimal(added)
        value = _grouped_value(aggregation, count, added, low, high, different)
        found[(employee_id, int(bucket))] = engine.Aggregate(value, count, added, last_at)
    return found


def _grouped_value(
    aggregation: str,
    count: int,
    added: Decimal,
    low: Decimal | None,
    high: Decimal | None,
    different: int = 0,
) -> Decimal | None:
    """The value of a group of events (or of months) from its database figures: as
    ``engine.aggregate`` gives it (an average is the exact sum over the count)."""
    if aggregation == Aggregation.SUM:
        return added
    if aggregation == Aggregation.COUNT:
        return Decimal(count)
    if aggregation == Aggregation.DISTINCT_COUNT:
        return Decimal(different)
    if aggregation == Aggregation.AVERAGE:
        return added / count
    if aggregation == Aggregation.MINIMUM:
        return low
    return high


def _rolled_up(
    company: Company,
    indicator: Indicator,
    version: IndicatorVersion,
    subjects: dict[Subject, set[tuple[str, dt.date]]],
) -> dict[tuple[Subject, str, dt.date], engine.Aggregate]:
    """Quarters and years from the stored month values they are made of: one GROUP BY
    per (period, chunk of subjects) over at most twelve rows a person instead of a
    year of events. Each month was computed in its subject's own time zone, so the
    union of its months is the subject's quarter or year exactly. The figures equal
    ``engine.aggregate`` over the period's events: counts and exact sums add up, an
    average is the summed total over the summed count, a minimum or maximum is the
    least or greatest month's, and a latest value is the value of the month whose last
    event is the latest (months never overlap)."""
    aggregation = version.aggregation
    wanted: dict[tuple[str, dt.date], list[Subject]] = defaultdict(list)
    for subject, periods in subjects.items():
        for period in periods:
            wanted[period].append(subject)
    sqlite = connection.vendor == "sqlite"
    total = Sum(Cast(Round(F("sum") * SCALE), BigIntegerField())) if sqlite else Sum("sum")
    empty = engine.aggregate(aggregation, [])
    results: dict[tuple[Subject, str, dt.date], engine.Aggregate] = {}
    for (kind, start), members in wanted.items():
        months = MetricValue.objects.filter(
            company=company,
            indicator=indicator,
            period_kind=engine.MONTH,
            period_start__gte=start,
            period_start__lt=engine.period_end(kind, start),
            count__gt=0,
        ).order_by()
        found: dict[Subject, engine.Aggregate] = {}
        for offset in range(0, len(members), CHUNK):
            chunk = members[offset : offset + CHUNK]
            employees = [e for e, _d in chunk if e is not None]
            departments = [d for e, d in chunk if e is None and d is not None]
            rows = months.filter(
                Q(employee_id__in=employees)
                | Q(employee__isnull=True, department_id__in=departments)
            )
            if aggregation == Aggregation.LATEST:
                found.update(_latest_of_months(rows))
                continue
            for employee_id, department_id, count, added, low, high, last_at in (
                rows.values("employee_id", "department_id")
                .annotate(
                    n=Sum("count"), t=total, lo=Min("value"), hi=Max("value"),
                    at=Max("last_event_at"),
                )
                .values_list("employee_id", "department_id", "n", "t", "lo", "hi", "at")
            ):  # fmt: skip
                who: Subject = (employee_id, None) if employee_id else (None, department_id)
                added = Decimal(added).scaleb(-VALUE_PLACES) if sqlite else Decimal(added)
                value = _grouped_value(aggregation, count, added, low, high)
                found[who] = engine.Aggregate(value, count, added, last_at)
        for subject in members:
            results[(subject, kind, start)] = found.get(subject, empty)
    return results


def _latest_of_months(rows: Any) -> dict[Subject, engine.Aggregate]:
    """Each subject's latest value: the value of its month with the latest event."""
    found: dict[Subject, engine.Aggregate] = {}
    latest: dict[Subject, dt.datetime] = {}
    counts: dict[Subject, int] = defaultdict(int)
    totals: dict[Subject, Decimal] = defaultdict(Decimal)
    for employee_id, department_id, value, count, total, last_at in rows.values_list(
        "employee_id", "department_id", "value", "count", "sum", "last_event_at"
    ):
        subject: Subject = (employee_id, None) if employee_id else (None, department_id)
        counts[subject] += count
        totals[subject] += total
        if last_at is not None and (subject not in latest or last_at > latest[subject]):
            latest[subject] = last_at
            found[subject] = engine.Aggregate(value, 0, Decimal(0), last_at)
    return {
        subject: engine.Aggregate(figures.value, counts[subject], totals[subject], figures.last_at)
        for subject, figures in found.items()
    }


def _store(
    company: Company,
    indicator: Indicator,
    results: dict[tuple[Subject, str, dt.date], engine.Aggregate],
) -> int:
    """Write the values with one ``INSERT … ON CONFLICT DO UPDATE`` per row, sent in
    batches straight to the database: no read of the existing rows first, no model
    instances, no signals (``bulk_create``/``bulk_update`` cost ten times more per row
    here). People's and teams' values meet their own partial unique key."""
    if not results:
        return 0
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    people: list[tuple[Any, ...]] = []
    teams: list[tuple[Any, ...]] = []
    for (subject, kind, start), result in results.items():
        row = (
            company.pk,
            indicator.pk,
            subject[0],
            subject[1],
            kind,
            ops.adapt_datefield_value(start),
            engine.quantize(result.value),
            result.note[:200],
            result.count,
            engine.quantize(result.total) or Decimal(0),
            engine.quantize(result.numerator),
            engine.quantize(result.denominator),
            ops.adapt_datetimefield_value(result.last_at),
            now,
        )
        (people if subject[0] is not None else teams).append(row)
    postgresql = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for rows, field in ((people, "employee"), (teams, "department")):
            if postgresql:  # one array per column: the statement text stays short
                for offset in range(0, len(rows), ARRAY_ROWS):
                    columns = [
                        list(c) for c in zip(*rows[offset : offset + ARRAY_ROWS], strict=True)
                    ]
                    cursor.execute(_upsert_arrays(field), columns)
                continue
            for offset in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[offset : offset + ROWS_PER_STATEMENT]
                cursor.execute(_upsert(field, len(chunk)), [v for row in chunk for v in row])
    return len(results)


#: Values per ``INSERT … ON CONFLICT`` statement on SQLite (one statement of many rows),
#: and per statement of column arrays on PostgreSQL (psycopg parses a statement's text
#: for its placeholders: one of 7,000 of them cost it 35 ms).
ROWS_PER_STATEMENT = 500
ARRAY_ROWS = 20_000
_ARRAY_TYPES = (
    "bigint", "bigint", "bigint", "bigint", "text", "date", "numeric", "text", "integer",
    "numeric", "numeric", "numeric", "timestamptz", "timestamptz",
)  # fmt: skip


@functools.lru_cache(maxsize=4)
def _upsert_arrays(subject_field: str) -> str:
    """PostgreSQL: ``_upsert`` with the rows given as one array per column (unnest)."""
    single = _upsert(subject_field, 1)
    head = single.partition(" VALUES ")[0]
    tail = single.partition(" ON CONFLICT ")[2]
    arrays = ", ".join(f"%s::{kind}[]" for kind in _ARRAY_TYPES)
    # Model column names and fixed type names only; every figure is in the arrays.
    return f"{head} SELECT * FROM unnest({arrays}) ON CONFLICT {tail}"  # noqa: S608


@functools.lru_cache(maxsize=64)
def _upsert(subject_field: str, rows: int) -> str:
    """The statement that writes ``rows`` people's (``employee``) or teams'
    (``department``) values over the partial unique key of their kind."""
    ops = connection.ops
    employee = ops.quote_name(_columns(("employee",))[0])
    condition = f"{employee} IS NOT NULL" if subject_field == "employee" else f"{employee} IS NULL"
    table = ops.quote_name(MetricValue._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in _columns((*_KEY_FIELDS, *_VALUE_FIELDS)))
    marks = ", ".join(["%s"] * (len(_KEY_FIELDS) + len(_VALUE_FIELDS)))
    target = ", ".join(
        ops.quote_name(c)
        for c in _columns(("company", "indicator", subject_field, "period_kind", "period_start"))
    )
    assignments = ", ".join(
        f"{ops.quote_name(c)} = excluded.{ops.quote_name(c)}" for c in _columns(_VALUE_FIELDS)
    )
    # Only model column names go into the statement; every figure is a bound parameter.
    values = ", ".join([f"({marks})"] * rows)
    return (
        f"INSERT INTO {table} ({names}) VALUES {values} "  # noqa: S608
        f"ON CONFLICT ({target}) WHERE {condition} DO UPDATE SET {assignments}"
    )


def _derived_order(indicators: dict[int, Indicator]) -> list[Indicator]:
    """Ratio and formula indicators, each after the derived indicators it depends on."""
    by_code = {i.code: i for i in indicators.values()}
    derived = {
        i.code: version_dependencies(i.current_version)
        for i in indicators.values()
        if i.current_version is not None
        and i.current_version.aggregation not in engine.DIRECT_AGGREGATIONS
    }
    ordered: list[Indicator] = []
    done: set[str] = set()

    def visit(code: str, trail: frozenset[str]) -> None:
        if code in done or code in trail or code not in derived:
            return
        for dep in sorted(derived[code]):
            visit(dep, trail | {code})
        done.add(code)
        ordered.append(by_code[code])

    for code in sorted(derived):
        visit(code, frozenset())
    return ordered


def _refresh_derived(
    company: Company,
    indicators: dict[int, Indicator],
    periods: dict[tuple[Subject, int], set[tuple[str, dt.date]]],
) -> int:
    """Recompute ratio and formula values for the subjects and periods that were touched."""
    if not periods:
        return 0
    by_code = {i.code: i for i in indicators.values()}
    # The (subject, period) keys touched per indicator code; a derived indicator is
    # recomputed for the keys of its touched parts only.
    touched: dict[str, set[tuple[Subject, str, dt.date]]] = defaultdict(set)
    for (subject, indicator_id), wanted in periods.items():
        touched[indicators[indicator_id].code].update(
            (subject, kind, start) for kind, start in wanted
        )
    written = 0
    for indicator in _derived_order(indicators):
        version = indicator.current_version
        assert version is not None
        parts = version_dependencies(version)
        if not parts <= by_code.keys():
            continue
        keys: set[tuple[Subject, str, dt.date]] = set()
        for part in parts:
            keys |= touched.get(part, set())
        if not keys:
            continue
        values = _part_values(company, [by_code[c] for c in parts], keys)
        results = {key: _derived_value(version, values, key, by_code, parts) for key in keys}
        written += _store(company, indicator, results)
        touched[indicator.code] |= keys
    return written


def _part_values(
    company: Company, parts: list[Indicator], keys: set[tuple[Subject, str, dt.date]]
) -> dict[tuple[str, Subject, str, dt.date], Decimal | None]:
    subjects = {subject for subject, _k, _s in keys}
    employees = [e for e, _d in subjects if e is not None]
    departments = [d for e, d in subjects if e is None and d is not None]
    starts = {start for _subject, _k, start in keys}
    found: dict[tuple[str, Subject, str, dt.date], Decimal | None] = {}
    codes = {p.pk: p.code for p in parts}
    for offset in range(0, max(len(employees), len(departments), 1), CHUNK):
        who = Q(employee_id__in=employees[offset : offset + CHUNK]) | Q(
            employee__isnull=True, department_id__in=departments[offset : offset + CHUNK]
        )
        rows = MetricValue.objects.filter(
            who, company=company, indicator_id__in=codes, period_start__in=starts
        ).values_list("indicator_id", "employee_id", "department_id", "period_kind",
                      "period_start", "value")  # fmt: skip
        for indicator_id, employee_id, department_id, kind, period, value in rows:
            subject: Subject = (employee_id, None) if employee_id else (None, department_id)
            found[(codes[indicator_id], subject, kind, period)] = value
    return found


def _derived_value(
    version: IndicatorVersion,
    values: dict[tuple[str, Subject, str, dt.date], Decimal | None],
    key: tuple[Subject, str, dt.date],
    by_code: dict[str, Indicator],
    names: set[str],
) -> engine.Aggregate:
    subject, kind, start = key

    def part(code: str) -> Decimal | None:
        if (code, subject, kind, start) in values:
            return values[(code, subject, kind, start)]
        part_version = by_code[code].current_version
        if part_version is not None and _zero_when_empty(part_version.aggregation):
            return Decimal(0)
        return None

    if version.aggregation == Aggregation.RATIO:
        return engine.ratio_combine(
            part(version.numerator_code),
            part(version.denominator_code),
            percent=version.unit == "%",
        )
    outcome = formula_evaluate(version.formula, {name: part(name) for name in names})
    return engine.Aggregate(outcome.value, 0, Decimal(0), None, outcome.reason)
