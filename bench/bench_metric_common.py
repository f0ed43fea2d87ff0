"""Shared set-up of the metric benchmarks: a company with the indicator library, people, events.

The events are what a CRM sends over a month: order amounts (a sum, with the customer
as evidence), customer visits (a count) and customers served (a distinct count by the
``customer`` evidence key), spread over October 2026 in the people's own time zones
(Shanghai and, for one in ten, Berlin). People are matched the three ways the real
ingest matches them: 工号 (half the events), their work e-mail as identity (a quarter)
and a CRM user name linked to them with an ``IdentityLink`` (the rest).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

MONTH_START = dt.date(2026, 10, 1)
DAYS = 31
ZONES = {"Asia/Shanghai": dt.timedelta(hours=8), "Europe/Berlin": dt.timedelta(hours=2)}
INDICATORS = ("order_amount", "customer_visits", "customers_served")


@dataclass
class World:
    company: Any
    actor: Any
    employees: list[tuple[int, str, str, str]]  # (pk, 工号, email, zone)
    crm_users: dict[int, str]  # employee pk -> CRM user name linked by IdentityLink
    source: Any


def world_create(*, employees: int, tag: str = "") -> World:
    """Company, HR actor, library, ``employees`` people in two zones, a push source, links."""
    from django_scopes import scope, scopes_disabled

    from jixiao.core.models import Company, Role, User
    from jixiao.metrics.library import library_install
    from jixiao.metrics.models import IdentityLink, MetricSource, SourceKind
    from jixiao.org.models import Department, Employee, WorkLocation

    tag = tag or uuid.uuid4().hex[:8]
    with scopes_disabled():
        company = Company.objects.create(name=f"指标 bench {tag}", slug=f"bench-metric-{tag}")
        actor = User.objects.create_user(
            username=f"bench-metric-hr-{tag}",
            email=f"hr-{tag}@bench.example.com",
            company=company,
            role=Role.HR_ADMIN,
        )
    with scope(company=company):
        library_install(company=company, actor=actor)
        root = Department.objects.create(company=company, name="销售部")
        locations = {
            zone: WorkLocation.objects.create(company=company, name=zone, time_zone=zone)
            for zone in ZONES
        }
        rows = []
        for index in range(employees):
            zone = "Europe/Berlin" if index % 10 == 0 else "Asia/Shanghai"
            rows.append(
                Employee(
                    company=company,
                    department=root,
                    employee_number=f"S{index + 1:06d}",
                    name=f"销售{index}",
                    email=f"s{index + 1:06d}@{tag}.bench.example.com",
                    hire_date=dt.date(2020, 1, 1),
                    work_location=locations[zone],
                )
            )
        Employee.objects.bulk_create(rows, batch_size=2000)
        people = [
            (pk, number, email, zone.time_zone)
            for pk, number, email, zone in (
                (e.pk, e.employee_number, e.email, e.work_location)
                for e in Employee.objects.filter(company=company).select_related("work_location")
            )
        ]
        people.sort(key=lambda p: p[1])
        source = MetricSource.objects.create(company=company, name="CRM", kind=SourceKind.PUSH)
        crm_users = {pk: f"crm.user{number[1:]}" for pk, number, _e, _z in people}
        IdentityLink.objects.bulk_create(
            [
                IdentityLink(company=company, employee_id=pk, identity=name, source=None)
                for pk, name in crm_users.items()
            ],
            batch_size=2000,
        )
    return World(company, actor, people, crm_users, source)


def events_generate(
    world: World, *, events: int, seed: int, prefix: str = "EV"
) -> list[dict[str, str]]:
    """``events`` deterministic events as text fields (the shape of a CSV row / push item)."""
    rng = random.Random(seed)
    people = world.employees
    out: list[dict[str, str]] = []
    for index in range(events):
        pk, number, email, zone = people[rng.randrange(len(people))]
        offset = ZONES[zone]
        day = MONTH_START + dt.timedelta(days=rng.randrange(DAYS))
        # Local times from 00:00 to 23:59, so early-morning events land on the
        # day before in UTC: the day boundary is the employee's, not the server's.
        seconds = rng.randrange(86400)
        local = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
        sign = "+" if offset >= dt.timedelta(0) else "-"
        hours = int(abs(offset).total_seconds()) // 3600
        stamp = local.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{hours:02d}:00"
        pick = rng.random()
        indicator = INDICATORS[0] if pick < 0.4 else INDICATORS[1] if pick < 0.8 else INDICATORS[2]
        amount = f"{rng.randrange(100, 5_000_000) / 100:.2f}"
        value = amount if indicator == "order_amount" else "1"
        how = index % 4
        row = {
            "indicator": indicator,
            "value": value,
            "occurred_at": stamp,
            "source_event_id": f"{prefix}-{index:08d}",
            "employee_number": number if how in (0, 1) else "",
            "identity": email if how == 2 else world.crm_users[pk] if how == 3 else "",
            "customer": f"客户{rng.randrange(400):03d}",
        }
        out.append(row)
    return out


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def expected_values(rows: list[dict[str, str]], world: World) -> dict[tuple[int, str], Decimal]:
    """Monthly value per (employee pk, indicator) computed straight from the rows (a check)."""
    import zoneinfo

    by_number = {number: pk for pk, number, _e, _z in world.employees}
    by_email = {email: pk for pk, _n, email, _z in world.employees}
    by_crm = {name: pk for pk, name in world.crm_users.items()}
    zone_of = {pk: zone for pk, _n, _e, zone in world.employees}
    sums: dict[tuple[int, str], Decimal] = {}
    distinct: dict[tuple[int, str], set[str]] = {}
    for row in rows:
        pk = (
            by_number.get(row["employee_number"])
            or by_email.get(row["identity"])
            or by_crm.get(row["identity"])
        )
        assert pk is not None
        at = dt.datetime.fromisoformat(row["occurred_at"])
        local = at.astimezone(zoneinfo.ZoneInfo(zone_of[pk])).date()
        if local.replace(day=1) != MONTH_START:
            continue
        key = (pk, row["indicator"])
        if row["indicator"] == "customers_served":
            distinct.setdefault(key, set()).add(row["customer"])
        else:
            sums[key] = sums.get(key, Decimal(0)) + Decimal(row["value"])
    for key, customers in distinct.items():
        sums[key] = Decimal(len(customers))
    return sums
