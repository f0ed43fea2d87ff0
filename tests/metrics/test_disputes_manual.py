"""Disputes (raise, uphold with a correction, reject) and manual entries (submit, decide)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.metrics.models import (
    EventStatus,
    Indicator,
    ManualEntry,
    MetricDispute,
    MetricEvent,
    MetricSource,
    MetricValue,
)
from jixiao.metrics.services.disputes import dispute_raise, dispute_resolve
from jixiao.metrics.services.ingest import metric_events_ingest
from jixiao.metrics.services.manual import manual_entry_decide, manual_entry_submit
from tests.conftest import World
from tests.metrics.conftest import SHANGHAI, event

pytestmark = pytest.mark.django_db


def _month(world: World, code: str) -> Decimal | None:
    return MetricValue.objects.get(
        indicator__code=code,
        employee=world.employee.employee,  # type: ignore[attr-defined]
        period_kind="month",
        period_start=dt.date(2026, 10, 1),
    ).value


@pytest.fixture
def orders(metrics_world: World, push_source: MetricSource) -> list[MetricEvent]:
    metric_events_ingest(
        company=metrics_world.company,
        source=push_source,
        items=[event("o-1", "1000", employee_number="A004"),
               event("o-2", "500", employee_number="A004")],
        actor=None,
    )  # fmt: skip
    return list(MetricEvent.objects.order_by("source_event_id"))


def test_upheld_dispute_replaces_the_value_everywhere(
    metrics_world: World, orders: list[MetricEvent]
) -> None:
    w = metrics_world
    me = w.employee.employee  # type: ignore[attr-defined]
    dispute = dispute_raise(event=orders[0], employee=me, actor=w.employee, reason="订单已取消一半")
    orders[0].refresh_from_db()
    assert orders[0].disputed
    with pytest.raises(ServiceError) as caught:
        dispute_raise(event=orders[0], employee=me, actor=w.employee, reason="再来")
    assert caught.value.status == 409
    resolved = dispute_resolve(
        dispute=dispute, actor=w.hr, upheld=True, note="核实后更正", corrected_value=Decimal(400)
    )
    assert resolved.status == MetricDispute.Status.UPHELD
    assert resolved.correction_event is not None
    assert resolved.correction_event.correction_of_id == orders[0].pk
    orders[0].refresh_from_db()
    assert orders[0].status == EventStatus.SUPERSEDED and not orders[0].disputed
    assert _month(w, "order_amount") == Decimal(900)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"metrics.dispute.raise", "metrics.dispute.resolve", "metrics.event.replace"} <= actions


def test_upheld_without_value_reverses_and_rejected_keeps(
    metrics_world: World, orders: list[MetricEvent]
) -> None:
    w = metrics_world
    me = w.employee.employee  # type: ignore[attr-defined]
    first = dispute_raise(event=orders[0], employee=me, actor=w.employee, reason="不是我的单")
    dispute_resolve(dispute=first, actor=w.hr, upheld=True, note="归属错误")
    assert _month(w, "order_amount") == Decimal(500)
    second = dispute_raise(event=orders[1], employee=me, actor=w.employee, reason="金额不对")
    dispute_resolve(dispute=second, actor=w.hr, upheld=False, note="与合同一致")
    assert _month(w, "order_amount") == Decimal(500)
    with pytest.raises(ServiceError):
        dispute_resolve(dispute=second, actor=w.hr, upheld=False, note="again")


def test_only_the_employee_disputes_their_own_event(
    metrics_world: World, orders: list[MetricEvent]
) -> None:
    w = metrics_world
    with pytest.raises(ServiceError) as caught:
        dispute_raise(
            event=orders[0],
            employee=w.teammate.employee,  # type: ignore[attr-defined]
            actor=w.teammate,
            reason="?",
        )
    assert caught.value.status == 403


def test_manual_entry_approved_by_the_manager_becomes_an_event(metrics_world: World) -> None:
    w = metrics_world
    suggestions = Indicator.objects.get(code="process_savings")
    entry = manual_entry_submit(
        employee=w.employee.employee,  # type: ignore[attr-defined]
        actor=w.employee,
        indicator=suggestions,
        value=Decimal(12000),
        occurred_at=dt.datetime(2026, 10, 20, 15, 0, tzinfo=SHANGHAI),
        description="简化客户下单流程，节省 30% 时间",
    )
    with pytest.raises(ServiceError) as caught:
        manual_entry_decide(entry=entry, actor=w.employee, approve=True)
    assert caught.value.status == 403
    approved = manual_entry_decide(entry=entry, actor=w.manager, approve=True, note="属实")
    assert approved.status == ManualEntry.Status.APPROVED
    assert approved.event is not None
    assert approved.event.source.kind == "manual"
    assert approved.event.evidence["manual_entry"] == entry.pk
    assert _month(w, "process_savings") == Decimal(12000)
    with pytest.raises(ServiceError):
        manual_entry_decide(entry=entry, actor=w.manager, approve=True)


def test_manual_entry_checks_and_rejection(metrics_world: World) -> None:
    w = metrics_world
    rate = Indicator.objects.get(code="repeat_purchase_rate")
    with pytest.raises(ServiceError) as caught:
        manual_entry_submit(
            employee=w.employee.employee,  # type: ignore[attr-defined]
            actor=w.employee,
            indicator=rate,
            value=Decimal("NaN"),
            occurred_at=dt.datetime(2026, 10, 20),
            description="",
        )
    assert set(caught.value.fields) == {"indicator", "value", "occurred_at", "description"}
    entry = manual_entry_submit(
        employee=w.employee.employee,  # type: ignore[attr-defined]
        actor=w.employee,
        indicator=Indicator.objects.get(code="process_suggestions"),
        value=Decimal(1),
        occurred_at=dt.datetime(2026, 10, 20, tzinfo=SHANGHAI),
        description="建议",
    )
    with pytest.raises(ServiceError) as caught:
        manual_entry_decide(entry=entry, actor=w.hr, approve=False)
    assert "note" in caught.value.fields
    rejected = manual_entry_decide(entry=entry, actor=w.hr, approve=False, note="重复")
    assert rejected.status == ManualEntry.Status.REJECTED and rejected.event is None
