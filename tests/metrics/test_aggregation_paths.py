"""The database aggregation path gives exactly the MetricValue rows of the Python path.

``metric_values_refresh`` adds up sums, counts, distinct counts, averages, minima and
maxima of many people in SQL (GROUP BY employee per time-zone window), and rolls
quarters and years up from the month values. These tests store the same random
events — values with four decimals and negative ones, events just before and after
local midnight in Shanghai and Berlin (across the October DST change and the turn of
a quarter and a year), replaced and reversed events that must not count, customers
as evidence (or none) — refresh once through each path, compare every stored row,
and compare each quarter and year with ``engine.aggregate`` over its own events.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest

from jixiao.metrics import engine
from jixiao.metrics.models import (
    EventStatus,
    Indicator,
    IndicatorVersion,
    MetricEvent,
    MetricSource,
    MetricValue,
)
from jixiao.metrics.services import aggregation
from jixiao.metrics.services.aggregation import TouchedKey, metric_values_refresh
from jixiao.org.models import Employee, WorkLocation
from tests.conftest import World

CODES = {
    "order_amount": "sum",
    "customer_visits": "count",
    "customer_satisfaction": "average",
    "delivery_cycle_days": "minimum",
    "problem_resolution_hours": "maximum",
    "customers_served": "distinct_count",
    "project_progress": "latest",
}
#: Three stretches of days: around the end of September (a quarter ends), across
#: October's DST change and month end, and across the turn of the year.
STRETCHES = ((dt.date(2026, 9, 25), 12), (dt.date(2026, 10, 24), 12), (dt.date(2026, 12, 27), 10))


def _rows(world: World) -> list[tuple[Any, ...]]:
    return sorted(
        MetricValue.objects.filter(company=world.company).values_list(
            "indicator__code",
            "employee_id",
            "department_id",
            "period_kind",
            "period_start",
            "value",
            "value_note",
            "count",
            "sum",
            "numerator",
            "denominator",
            "last_event_at",
        )
    )


def _events(world: World, source: MetricSource, seed: int) -> list[TouchedKey]:
    rng = random.Random(seed)
    berlin = WorkLocation.objects.create(
        company=world.company, name="柏林", time_zone="Europe/Berlin"
    )
    people = list(Employee.objects.filter(company=world.company).order_by("pk"))
    for person in people[::2]:
        person.work_location = berlin
        person.save(update_fields=["work_location"])
    indicators = {
        i.code: i
        for i in Indicator.objects.filter(company=world.company, code__in=CODES).select_related(
            "current_version"
        )
    }
    for code, aggregation_name in CODES.items():
        IndicatorVersion.objects.filter(pk=indicators[code].current_version_id).update(
            aggregation=aggregation_name, plausible_min=None, plausible_max=None,
            distinct_key="customer" if aggregation_name == "distinct_count" else "",
        )  # fmt: skip
        indicators[code].current_version.refresh_from_db()
    events = []
    touched = []
    # Instants around local midnights of Shanghai (16:00 UTC) and Berlin (22:00/23:00
    # UTC), month ends and the DST change on 25 October.
    for index in range(700):
        person = rng.choice(people)
        code = rng.choice(list(CODES))
        first, length = rng.choice(STRETCHES)
        day = first + dt.timedelta(days=rng.randrange(length))
        hour = rng.choice([15, 16, 21, 22, 23, 0, 1, 10])
        minute = rng.choice([0, 29, 30, 59])
        at = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)
        value = Decimal(rng.randrange(-50_000, 5_000_000)).scaleb(-4)
        status = rng.choice([EventStatus.COUNTED] * 8 + [EventStatus.SUPERSEDED,
                                                         EventStatus.REVERSED])  # fmt: skip
        indicator = indicators[code]
        events.append(
            MetricEvent(
                company=world.company,
                indicator=indicator,
                indicator_version=indicator.current_version,
                employee=person,
                value=value,
                occurred_at=at,
                source=source,
                source_event_id=f"E{index}",
                content_hash=f"h{index}",
                status=status,
                evidence=rng.choice([{}, {"customer": ""}, {"customer": 7}]
                                    + [{"customer": f"客户{n}"} for n in range(4)]),
            )
        )  # fmt: skip
        touched.append(TouchedKey(person.pk, None, indicator.pk, at))
    MetricEvent.objects.bulk_create(events)
    return touched


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_database_path_equals_python_path(
    metrics_world: World, push_source: MetricSource, monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    touched = _events(metrics_world, push_source, seed)
    monkeypatch.setattr(aggregation, "SQL_PATH_MIN_SUBJECTS", 10**9)
    written = metric_values_refresh(company=metrics_world.company, touched=touched)
    in_python = _rows(metrics_world)
    assert written == len(in_python) > 100
    MetricValue.objects.filter(company=metrics_world.company).delete()
    monkeypatch.setattr(aggregation, "SQL_PATH_MIN_SUBJECTS", 0)
    assert metric_values_refresh(company=metrics_world.company, touched=touched) == written
    assert _rows(metrics_world) == in_python
    # A second refresh updates the same rows in place (no duplicates, same figures).
    assert metric_values_refresh(company=metrics_world.company, touched=touched) == written
    assert _rows(metrics_world) == in_python


@pytest.mark.parametrize("sql_path", [False, True])
def test_quarters_and_years_equal_their_events(
    metrics_world: World,
    push_source: MetricSource,
    monkeypatch: pytest.MonkeyPatch,
    sql_path: bool,
) -> None:
    """Quarters and years rolled up from months are what the events of the period give."""
    touched = _events(metrics_world, push_source, 7)
    monkeypatch.setattr(aggregation, "SQL_PATH_MIN_SUBJECTS", 0 if sql_path else 10**9)
    metric_values_refresh(company=metrics_world.company, touched=touched)
    versions = {
        i.pk: i.current_version
        for i in Indicator.objects.filter(company=metrics_world.company, code__in=CODES)
        .select_related("current_version")
    }  # fmt: skip
    zones = aggregation.subject_time_zones(
        metrics_world.company, Employee.objects.filter(company=metrics_world.company)
        .values_list("pk", flat=True)
    )  # fmt: skip
    counted = list(
        MetricEvent.objects.filter(company=metrics_world.company, status=EventStatus.COUNTED)
    )
    stored = MetricValue.objects.filter(
        company=metrics_world.company, period_kind__in=("quarter", "year"), indicator__in=versions
    )
    checked = 0
    for row in stored:
        version = versions[row.indicator_id]
        tz = zoneinfo.ZoneInfo(zones[row.employee_id])
        begin, end = engine.period_window(row.period_kind, row.period_start, tz)
        points = [
            engine.Point(e.pk, e.value, e.occurred_at,
                         aggregation._distinct_of(e.evidence, version.distinct_key))
            for e in counted
            if e.employee_id == row.employee_id and e.indicator_id == row.indicator_id
            and begin <= e.occurred_at < end
        ]  # fmt: skip
        expected = engine.aggregate(version.aggregation, points)
        assert (row.value, row.count, row.sum, row.last_event_at) == (
            engine.quantize(expected.value), expected.count,
            engine.quantize(expected.total), expected.last_at,
        ), (version.aggregation, row.period_kind, row.period_start)  # fmt: skip
        checked += 1
    # Every person and indicator has its 2026 year, Q3 and Q4 and (in December's
    # stretch) 2027's, whichever path wrote them.
    assert checked > 100
    assert {r.period_start for r in stored} == {
        dt.date(2026, 7, 1), dt.date(2026, 10, 1), dt.date(2026, 1, 1),
        dt.date(2027, 1, 1),
    }  # fmt: skip


def test_database_path_hand_checked_month(
    metrics_world: World, push_source: MetricSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two people; a Berlin event at 23:30 local on 31 October belongs to October, a
    Shanghai one at 00:30 local on 1 November to November; a reversed one counts nothing."""
    world = metrics_world
    berlin = WorkLocation.objects.create(
        company=world.company, name="柏林", time_zone="Europe/Berlin"
    )
    anna, bo = world.person(world.employee), world.person(world.teammate)
    anna.work_location = berlin
    anna.save(update_fields=["work_location"])
    amount = Indicator.objects.select_related("current_version").get(
        company=world.company, code="order_amount"
    )

    def add(key: str, person: Employee, value: str, at: dt.datetime, status: str) -> TouchedKey:
        MetricEvent.objects.create(
            company=world.company, indicator=amount, indicator_version=amount.current_version,
            employee=person, value=Decimal(value), occurred_at=at, source=push_source,
            source_event_id=key, content_hash=key, status=status,
        )  # fmt: skip
        return TouchedKey(person.pk, None, amount.pk, at)

    touched = [
        add("a1", anna, "100.25", dt.datetime(2026, 10, 31, 22, 30, tzinfo=dt.UTC), "counted"),
        add("a2", anna, "0.0001", dt.datetime(2026, 10, 2, 8, 0, tzinfo=dt.UTC), "counted"),
        add("a3", anna, "999", dt.datetime(2026, 10, 3, 8, 0, tzinfo=dt.UTC), "reversed"),
        add("b1", bo, "50", dt.datetime(2026, 10, 31, 16, 30, tzinfo=dt.UTC), "counted"),
        add("b2", bo, "7.5", dt.datetime(2026, 10, 31, 15, 30, tzinfo=dt.UTC), "counted"),
    ]
    monkeypatch.setattr(aggregation, "SQL_PATH_MIN_SUBJECTS", 0)
    metric_values_refresh(company=world.company, touched=touched)

    def month(person: Employee, start: dt.date) -> tuple[Decimal | None, int]:
        row = MetricValue.objects.get(
            employee=person, indicator=amount, period_kind="month", period_start=start
        )
        return row.value, row.count

    assert month(anna, dt.date(2026, 10, 1)) == (Decimal("100.2501"), 2)
    assert month(bo, dt.date(2026, 10, 1)) == (Decimal("7.5"), 1)
    assert month(bo, dt.date(2026, 11, 1)) == (Decimal("50"), 1)
