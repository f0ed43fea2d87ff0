"""Fixtures of the metrics tests: the world's company with the indicator library and a push source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django_scopes import scope

from jixiao.metrics.event_input import EventInput
from jixiao.metrics.library import library_install
from jixiao.metrics.models import MetricSource, SourceKind
from tests.conftest import World

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def metrics_world(world: World) -> Iterator[World]:
    """The world with the library installed in both companies; runs inside company A's scope."""
    with scope(company=world.other_company):
        library_install(company=world.other_company, actor=world.other_hr)
    with scope(company=world.company):
        library_install(company=world.company, actor=world.hr)
        yield world


@pytest.fixture
def push_source(metrics_world: World) -> MetricSource:
    return MetricSource.objects.create(
        company=metrics_world.company, name="CRM 推送", kind=SourceKind.PUSH
    )


def event(
    source_event_id: str,
    value: str | Decimal = "1",
    *,
    code: str = "order_amount",
    at: dt.datetime | None = None,
    **kwargs: Any,
) -> EventInput:
    return EventInput(
        indicator_code=code,
        value=Decimal(value),
        occurred_at=at or dt.datetime(2026, 10, 15, 10, 0, tzinfo=SHANGHAI),
        source_event_id=source_event_id,
        **kwargs,
    )


from tests.metrics.cast import data  # noqa: E402, F401  (the permission-matrix fixture)
