"""Refreshes owed after big batches (``refresh_queue``): owed in the batch's transaction,
folded, claimed once, done together, and kept when a refresh fails."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django_scopes import scopes_disabled

from jixiao.metrics.models import MetricSource, MetricValue, PendingRefresh
from jixiao.metrics.services import aggregation, refresh_queue
from jixiao.metrics.services.ingest import metric_events_ingest
from jixiao.metrics.tasks import metric_values_drain_all
from tests.conftest import World
from tests.metrics.conftest import SHANGHAI, event


def _month(world: World, person: Any) -> Decimal | None:
    row = MetricValue.objects.filter(
        employee=world.person(person), indicator__code="order_amount", period_kind="month",
        period_start=dt.date(2026, 10, 1),
    ).first()  # fmt: skip
    return row.value if row else None


def _push(world: World, source: MetricSource, items: list[Any]) -> Any:
    return metric_events_ingest(
        company=world.company, source=source, items=items, actor=None, refresh_inline_subjects=0
    )


def test_batches_owe_refreshes_that_one_drain_does_together(
    metrics_world: World, push_source: MetricSource, django_capture_on_commit_callbacks: Any
) -> None:
    w = metrics_world
    morning = dt.datetime(2026, 10, 15, 10, 0, tzinfo=SHANGHAI)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = _push(w, push_source, [
            event("a", "100", employee_number="A004", at=morning),
            event("b", "5", employee_number="A004", at=morning + dt.timedelta(minutes=5)),
            event("c", "7", employee_number="A005", at=morning),
        ])  # fmt: skip
        second = _push(w, push_source, [event("d", "1", employee_number="A004", at=morning)])
    assert first.values_current is False and second.values_current is False
    # a and b share A004's quarter hour, d repeats it: two rows owed, not four.
    assert PendingRefresh.objects.filter(company=w.company).count() == 2
    assert _month(w, w.employee) is None
    callbacks[0]()  # the first batch's drain takes both batches
    assert _month(w, w.employee) == Decimal("106")
    assert _month(w, w.teammate) == Decimal("7")
    assert not PendingRefresh.objects.filter(company=w.company).exists()
    assert refresh_queue.refresh_drain(w.company) == 0  # the second drain: nothing owed


def test_a_failed_refresh_keeps_what_it_claimed(
    metrics_world: World, push_source: MetricSource, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    w = metrics_world
    with django_capture_on_commit_callbacks(execute=False):
        _push(w, push_source, [event("a", "100", employee_number="A004")])

    def broken(**_kwargs: Any) -> int:
        raise RuntimeError("database went away")

    monkeypatch.setattr(refresh_queue, "metric_values_refresh", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        refresh_queue.refresh_drain(w.company)
    assert PendingRefresh.objects.filter(company=w.company).count() == 1
    monkeypatch.setattr(refresh_queue, "metric_values_refresh", aggregation.metric_values_refresh)
    # The periodic safety net finds the company and drains it.
    with scopes_disabled():
        assert metric_values_drain_all.call_local() == [w.company.pk]
    assert _month(w, w.employee) == Decimal("100")
    assert not PendingRefresh.objects.filter(company=w.company).exists()


def test_slots_keep_the_local_day_in_every_zone() -> None:
    """Floored to the quarter hour, 23:59 local stays on its day in zones of :30 and :45."""
    import zoneinfo

    from jixiao.metrics import engine

    for zone in ("Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Asia/Shanghai"):
        tz = zoneinfo.ZoneInfo(zone)
        for minute in (0, 14, 15, 29, 44, 59):
            local = dt.datetime(2026, 10, 15, 23, minute, 59, tzinfo=tz)
            at = local.astimezone(dt.UTC)
            slot = int(at.timestamp()) // refresh_queue.SLOT_SECONDS * refresh_queue.SLOT_SECONDS
            floored = dt.datetime.fromtimestamp(slot, dt.UTC)
            assert engine.local_day(floored, tz) == engine.local_day(at, tz) == local.date()
