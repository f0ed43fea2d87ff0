"""Keeping ``MetricValue`` rows right: recompute the periods an event touched.

Called by every write that changes which events count (ingest, corrections,
identity links, disputes). For each touched (person or team, indicator) it reads
the counted events of the touched periods once, recomputes day, week, month,
quarter and year values in the person's time zone, then the ratio and formula
indicators that depend on them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from jixiao.core.models import Company
from jixiao.metrics import engine
from jixiao.metrics.formula import formula_evaluate
from jixiao.metrics.models import (
    Aggregation,
    EventStatus,
    Indicator,
    IndicatorVersion,
    MetricEvent,
    MetricValue,
)
from jixiao.metrics.services.indicators import version_dependencies
from jixiao.org.models import Employee

CHUNK = 500

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
        periods[(subject, key.indicator_id)].update(engine.periods_of(day))
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
    results: dict[tuple[Subject, str, dt.date], engine.Aggregate] = {}
    for subject, wanted in subjects.items():
        tz = subject_zone[subject]
        mine = points.get(subject, [])
        for kind, start in wanted:
            begin, end = engine.period_window(kind, start, tz)
            inside = [p for p in mine if begin <= p.occurred_at < end]
            results[(subject, kind, start)] = engine.aggregate(version.aggregation, inside)
    return _store(company, indicator, results)


def _store(
    company: Company,
    indicator: Indicator,
    results: dict[tuple[Subject, str, dt.date], engine.Aggregate],
) -> int:
    if not results:
        return 0
    existing: dict[tuple[Subject, str, dt.date], MetricValue] = {}
    subjects = {subject for subject, _k, _s in results}
    employees = [e for e, _d in subjects if e is not None]
    departments = [d for e, d in subjects if e is None and d is not None]
    starts = {start for _subject, _k, start in results}
    for offset in range(0, max(len(employees), len(departments), 1), CHUNK):
        who = Q(employee_id__in=employees[offset : offset + CHUNK]) | Q(
            employee__isnull=True, department_id__in=departments[offset : offset + CHUNK]
        )
        for row in MetricValue.objects.filter(
            who, company=company, indicator=indicator, period_start__in=starts
        ):
            subject: Subject = (
                (row.employee_id, None)
                if row.employee_id
                else (
                    None,
                    row.department_id,
                )
            )
            existing[(subject, row.period_kind, row.period_start)] = row
    now = timezone.now()
    creates: list[MetricValue] = []
    updates: list[MetricValue] = []
    for (subject, kind, start), result in results.items():
        found = existing.get((subject, kind, start))
        if found is None:
            row = MetricValue(
                company=company,
                indicator=indicator,
                employee_id=subject[0],
                department_id=subject[1],
                period_kind=kind,
                period_start=start,
            )
            creates.append(row)
        else:
            row = found
            updates.append(row)
        row.value = engine.quantize(result.value)
        row.value_note = result.note[:200]
        row.count = result.count
        row.sum = engine.quantize(result.total) or Decimal(0)
        row.numerator = engine.quantize(result.numerator)
        row.denominator = engine.quantize(result.denominator)
        row.last_event_at = result.last_at
        row.updated_at = now
    fields = [
        "value",
        "value_note",
        "count",
        "sum",
        "numerator",
        "denominator",
        "last_event_at",
        "updated_at",
    ]
    if creates:
        MetricValue.objects.bulk_create(creates, batch_size=CHUNK)
    if updates:
        MetricValue.objects.bulk_update(updates, fields, batch_size=CHUNK)
    return len(creates) + len(updates)


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
        results = {key: _derived_value(version, values, key, by_code) for key in keys}
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
    names = version_dependencies(version)
    outcome = formula_evaluate(version.formula, {name: part(name) for name in names})
    return engine.Aggregate(outcome.value, 0, Decimal(0), None, outcome.reason)
