"""Ingest: idempotency, item errors, identities, corrections, aggregates, anomalies, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from jixiao.audit.models import AuditEvent
from jixiao.metrics.models import (
    EventStatus,
    IdentityLink,
    Indicator,
    MetricEvent,
    MetricSource,
    MetricValue,
    SourceRun,
    UnmatchedIdentity,
)
from jixiao.metrics.services.identities import identity_link_create
from jixiao.metrics.services.ingest import metric_events_ingest
from tests.conftest import World
from tests.metrics.conftest import SHANGHAI, event

pytestmark = pytest.mark.django_db


def _value(world: World, code: str, kind: str = "month", start: dt.date | None = None,
           user: object = None) -> MetricValue:  # fmt: skip
    employee = (user or world.employee).employee  # type: ignore[attr-defined]
    return MetricValue.objects.get(
        indicator__code=code,
        employee=employee,
        period_kind=kind,
        period_start=start or dt.date(2026, 10, 1),
    )


def test_a_batch_is_stored_counted_and_aggregated(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    result = metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[
            event("o-1", "1200.50", employee_number="A004", evidence={"order": "SO-1"}),
            event("o-2", "800", employee_number="A004"),
            event("o-3", "99", identity=" XINGHAI-A005@example.COM "),  # 李哥 by email
        ],
        actor=None,
    )
    assert [i.status for i in result.items] == ["created", "created", "created"]
    assert result.created == 3 and result.errors == 0
    assert _value(w, "order_amount").value == Decimal("2000.50")
    assert _value(w, "order_amount", "year", dt.date(2026, 1, 1)).count == 2
    assert _value(w, "order_amount", "week", dt.date(2026, 10, 12)).value == Decimal("2000.50")
    assert _value(w, "order_amount", user=w.teammate).value == Decimal("99")
    run = SourceRun.objects.get(pk=result.run_id)
    assert (run.status, run.received, run.created) == ("succeeded", 3, 3)
    audit = AuditEvent.objects.get(action="metrics.events.ingest")
    assert audit.changes["created"] == [None, 3]


@pytest.fixture(autouse=True)
def _emails(metrics_world: World) -> None:
    from jixiao.org.models import Employee

    for user in (metrics_world.employee, metrics_world.teammate, metrics_world.other_team):
        Employee.objects.filter(user=user).update(email=user.email)


def test_resending_the_same_id_never_counts_twice(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    items = [event("o-1", "100", employee_number="A004")]
    metric_events_ingest(company=w.company, source=push_source, items=items, actor=None)
    again = metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[*items, event("o-1", "150", employee_number="A004")],
        actor=None,
    )
    assert [i.status for i in again.items] == ["duplicate", "error"]
    assert again.items[1].code == "conflicting_resend"
    assert "source_event_id" in again.items[1].fields
    assert MetricEvent.objects.count() == 1
    assert _value(w, "order_amount").value == Decimal(100)
    # The same id inside one batch: the second is a duplicate.
    inner = metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[event("o-9", "5", employee_number="A004")] * 2,
        actor=None,
    )
    assert [i.status for i in inner.items] == ["created", "duplicate"]


@time_machine.travel(dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC), tick=False)
def test_bad_items_get_field_errors_and_the_rest_is_stored(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    naive = dt.datetime(2026, 10, 1, 9, 0)
    future = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    result = metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[
            event("ok", "1", employee_number="A004"),
            event("e1", "1", code="no_such_indicator", employee_number="A004"),
            event("e2", "NaN", employee_number="A004"),
            event("e3", "1", at=naive, employee_number="A004"),
            event("e4", "1", at=future, employee_number="A004"),
            event("e5", "1", employee_number="A004", evidence={"note": "x" * 3000}),
            event("e6", "1", employee_number="NOPE"),
            event("e7", "1", code="repeat_purchase_rate", employee_number="A004"),
            event("e8", "1"),
            event("e9", "1", employee_number="A004", correction="reverse", corrects="missing"),
            event("e10", "1", employee_number="A004", evidence_url="javascript:alert(1)"),
        ],
        actor=None,
    )
    statuses = [(i.status, i.code, sorted(i.fields)) for i in result.items]
    assert statuses == [
        ("created", "", []),
        ("error", "unknown_indicator", ["indicator"]),
        ("error", "invalid_value", ["value"]),
        ("error", "naive_time", ["occurred_at"]),
        ("error", "future_time", ["occurred_at"]),
        ("error", "evidence_too_large", ["evidence"]),
        ("error", "unknown_subject", ["employee_number"]),
        ("error", "derived_indicator", ["indicator"]),
        ("error", "no_subject", ["identity"]),
        ("error", "unknown_target", ["corrects"]),
        ("error", "invalid_url", ["evidence_url"]),
    ]
    assert MetricEvent.objects.count() == 1
    run = SourceRun.objects.get(pk=result.run_id)
    assert run.status == "partial" and run.errors == 10
    assert run.error_detail[0]["code"] == "unknown_indicator"


def test_reverse_and_replace(metrics_world: World, push_source: MetricSource) -> None:
    w = metrics_world
    metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[
            event("o-1", "100", employee_number="A004"),
            event("o-2", "200", employee_number="A004"),
            event("o-3", "300", employee_number="A004"),
        ],
        actor=None,
    )
    result = metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[
            event("c-1", "0", employee_number="A004", correction="reverse", corrects="o-1"),
            event("c-2", "250", employee_number="A004", correction="replace", corrects="o-2"),
            event("c-3", "0", employee_number="A004", correction="reverse", corrects="o-1"),
        ],
        actor=w.hr,
    )
    assert [i.status for i in result.items] == ["corrected", "corrected", "error"]
    assert result.items[2].code == "already_corrected"
    statuses = dict(MetricEvent.objects.values_list("source_event_id", "status"))
    assert statuses == {
        "o-1": EventStatus.REVERSED,
        "o-2": EventStatus.SUPERSEDED,
        "o-3": EventStatus.COUNTED,
        "c-1": EventStatus.REVERSED,
        "c-2": EventStatus.COUNTED,
    }
    assert _value(w, "order_amount").value == Decimal(550)
    assert MetricEvent.objects.get(source_event_id="c-2").correction_of.source_event_id == "o-2"  # type: ignore[union-attr]
    corrections = AuditEvent.objects.filter(
        action__in=["metrics.event.reverse", "metrics.event.replace"]
    )
    assert corrections.count() == 2
    # Corrections inside one batch: send and reverse at once counts nothing.
    metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[
            event("x-1", "7", employee_number="A005"),
            event("x-2", "0", employee_number="A005", correction="reverse", corrects="x-1"),
        ],
        actor=None,
    )
    assert _value(w, "order_amount", user=w.teammate).value == Decimal(0)
    assert MetricEvent.objects.get(source_event_id="x-2").correction_of_id is not None


def test_unmatched_identities_are_parked_then_counted_when_linked(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    items = [
        event("v-1", "1", code="customer_visits", identity="crm-0042"),
        event("v-2", "1", code="customer_visits", identity="CRM-0042"),
    ]
    result = metric_events_ingest(company=w.company, source=push_source, items=items, actor=None)
    assert [i.status for i in result.items] == ["unmatched", "unmatched"]
    queue = UnmatchedIdentity.objects.get()
    assert (queue.identity, queue.event_count, queue.resolved_at) == ("crm-0042", 2, None)
    assert not MetricValue.objects.filter(indicator__code="customer_visits").exists()
    link, matched = identity_link_create(
        company=w.company,
        actor=w.hr,
        identity="CRM-0042",
        employee=w.other_team.employee,  # type: ignore[attr-defined]
        source=push_source,
    )
    assert matched == 2
    queue.refresh_from_db()
    assert queue.resolved_link == link
    assert _value(w, "customer_visits", user=w.other_team).value == Decimal(2)
    # Later events from the same identity are matched at once.
    later = metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[event("v-3", "1", code="customer_visits", identity="crm-0042")],
        actor=None,
    )
    assert later.items[0].status == "created"
    assert AuditEvent.objects.filter(action="metrics.identity.link").count() == 1
    assert IdentityLink.objects.count() == 1


def test_ratio_and_formula_follow_their_parts(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[
            event("s-1", "1", code="customers_served", employee_number="A004",
                  evidence={"customer": "Müller GmbH"}),
            event("s-2", "1", code="customers_served", employee_number="A004",
                  evidence={"customer": "Schmidt AG"}),
            event("s-3", "1", code="customers_served", employee_number="A004",
                  evidence={"customer": "Müller GmbH"}),
            event("r-1", "1", code="repeat_customers", employee_number="A004",
                  evidence={"customer": "Müller GmbH"}),
            event("d-1", "5", code="customer_visits", employee_number="A004"),
        ],
        actor=None,
    )  # fmt: skip
    assert _value(w, "customers_served").value == Decimal(2)
    assert _value(w, "repeat_purchase_rate").value == Decimal(50)
    conversion = _value(w, "conversion_rate")  # no orders over 5 visits
    assert (conversion.value, conversion.numerator, conversion.denominator) == (0, 0, 1)
    amount = _value(w, "amount_per_visit")
    assert amount.value == Decimal(0)  # no orders yet: 0 / 1 visit event
    metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[event("o-1", "3000", employee_number="A004")],
        actor=None,
    )
    assert _value(w, "amount_per_visit").value == Decimal(3000)
    referral = _value(w, "referral_rate")
    assert referral.value == Decimal(0)


def test_conversion_rate_with_no_visits_says_zero_denominator(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[event("n-1", "1", code="orders", employee_number="A004")],
        actor=None,
    )
    value = _value(w, "conversion_rate")
    assert value.value is None
    assert value.value_note == "分母为 0"


def test_periods_use_the_employees_time_zone(
    metrics_world: World, push_source: MetricSource
) -> None:
    from jixiao.org.models import Employee, WorkLocation

    w = metrics_world
    berlin = WorkLocation.objects.create(company=w.company, name="汉堡", time_zone="Europe/Berlin")
    Employee.objects.filter(user=w.teammate).update(work_location=berlin)
    late_call = dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[
            event("t-1", "1", code="customer_visits", at=late_call, employee_number="A005"),
            event("t-2", "1", code="customer_visits", at=late_call, employee_number="A004"),
        ],
        actor=None,
    )
    assert _value(w, "customer_visits", user=w.teammate).value == Decimal(1)  # October
    assert _value(w, "customer_visits", start=dt.date(2026, 11, 1)).value == Decimal(1)


def test_anomaly_flags(metrics_world: World, push_source: MetricSource) -> None:
    w = metrics_world
    months = [dt.datetime(2026, m, 10, 9, 0, tzinfo=SHANGHAI) for m in (6, 7, 8)]
    metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[event(f"h-{i}", "10", code="story_points", at=at, employee_number="A004")
               for i, at in enumerate(months)],
        actor=None,
    )  # fmt: skip
    result = metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[
            event("big", "90", code="story_points", employee_number="A004"),
            event("huge", "500", code="story_points", employee_number="A004"),
            event("twin", "10", code="story_points", at=months[0], employee_number="A004"),
        ],
        actor=None,
    )
    assert [i.anomalies for i in result.items] == [
        ["jump"],
        ["out_of_range", "jump"],
        ["duplicate_like"],
    ]


def test_team_level_events(metrics_world: World, push_source: MetricSource) -> None:
    w = metrics_world
    w.sales.code = "SALES"
    w.sales.save()
    metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[event("team-1", "40", code="output_units", department_code="SALES")],
        actor=None,
    )
    value = MetricValue.objects.get(
        indicator__code="output_units", department=w.sales, period_kind="month"
    )
    assert value.employee is None and value.value == Decimal(40)


def test_other_company_indicators_are_not_used(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    assert Indicator.objects.filter(code="orders").count() == 1  # scoped to company A
    result = metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[event("o-1", "1", employee_number="B001")],  # 外人 is in company B
        actor=None,
    )
    assert result.items[0].code == "unknown_subject"


def test_derived_values_only_for_people_whose_parts_changed(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[
            event("o-1", "1", code="orders", employee_number="A004"),
            event("g-1", "1", code="commits", employee_number="A006"),
        ],
        actor=None,
    )
    rates = MetricValue.objects.filter(indicator__code="conversion_rate", period_kind="month")
    assert [v.employee.employee_number for v in rates] == ["A004"]  # type: ignore[union-attr]
