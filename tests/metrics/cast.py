"""The permission-matrix cast of the metrics tests: each person's event, value, manual entry
and open dispute in company A, 外人's in company B, a push source and an identity link each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled

from jixiao.core.models import User
from jixiao.metrics.models import (
    IdentityLink,
    Indicator,
    ManualEntry,
    MetricDispute,
    MetricEvent,
    MetricSource,
    MetricValue,
    SourceKind,
    UnmatchedIdentity,
)
from jixiao.metrics.services.disputes import dispute_raise
from jixiao.metrics.services.identities import identity_link_create
from jixiao.metrics.services.ingest import metric_events_ingest
from jixiao.metrics.services.manual import manual_entry_submit
from tests.conftest import World, login
from tests.metrics.conftest import SHANGHAI, event

ROLES = ["hr", "executive", "manager", "employee", "platform_admin", "anonymous"]
TARGETS = ["own", "team", "other", "foreign"]
NUMBER = {"hr": "A001", "executive": "A002", "manager": "A003", "employee": "A004"}


def client_as(world: World, role: str) -> Client:
    if role == "anonymous":
        return Client()
    user = {"hr": world.hr, "executive": world.executive, "manager": world.manager,
            "employee": world.employee, "platform_admin": world.platform_admin}[role]  # fmt: skip
    return login(user)


def target_number(role: str, target: str) -> str:
    if target == "own":
        return NUMBER.get(role, "A004")
    if target == "team":
        return "A005" if role == "employee" else "A004"
    return "A006" if target == "other" else "B001"


@dataclass
class Data:
    events: dict[str, MetricEvent]
    values: dict[str, MetricValue]
    employees: dict[str, int]
    entries: dict[str, ManualEntry]
    disputes: dict[str, MetricDispute]
    source: dict[str, MetricSource]
    indicator: dict[str, Indicator]
    link: dict[str, IdentityLink]
    unmatched: dict[str, UnmatchedIdentity]


@pytest.fixture
def data(metrics_world: World) -> Data:
    w = metrics_world
    out = Data({}, {}, {}, {}, {}, {}, {}, {}, {})
    with scopes_disabled():
        people = {
            u.employee.employee_number: u for u in User.objects.filter(employee__isnull=False)
        }
    for company, key, numbers in (
        (w.company, "home", ["A001", "A002", "A003", "A004", "A005", "A006"]),
        (w.other_company, "foreign", ["B001"]),
    ):
        with scope(company=company):
            source = MetricSource.objects.create(company=company, name="推送", kind=SourceKind.PUSH)
            out.source[key] = source
            out.indicator[key] = Indicator.objects.get(code="orders")
            metric_events_ingest(
                company=company,
                source=source,
                items=[event(f"o-{n}", "100", employee_number=n) for n in numbers]
                + [event("u-1", "1", identity="someone@else.example")],
                actor=None,
            )
            out.unmatched[key] = UnmatchedIdentity.objects.get(source=source)
            helper = people["B001" if key == "foreign" else "A006"].employee
            out.link[key], _n = identity_link_create(
                company=company, actor=None, identity=f"crm-{key}", employee=helper
            )
            for number in numbers:
                user = people[number]
                employee = user.employee
                out.employees[number] = employee.pk
                out.events[number] = MetricEvent.objects.get(source_event_id=f"o-{number}")
                out.values[number] = MetricValue.objects.get(
                    employee=employee, indicator__code="order_amount", period_kind="month"
                )
                out.entries[number] = manual_entry_submit(
                    employee=employee,
                    actor=user,
                    indicator=Indicator.objects.get(code="process_suggestions"),
                    value=Decimal(1),
                    occurred_at=dt.datetime(2026, 10, 3, tzinfo=SHANGHAI),
                    description="建议",
                )
                out.disputes[number] = dispute_raise(
                    event=out.events[number], employee=employee, actor=user, reason="不对"
                )
    return out
