"""Locked attendance months flow into metrics: 王姐's 打卡率 of 90 % becomes an indicator value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django_scopes import scope

from jixiao.attendance.services import results as attendance
from jixiao.metrics.attendance_feed import attendance_month_publish
from jixiao.metrics.library import library_install
from jixiao.metrics.models import EventStatus, MetricEvent, MetricValue, PeriodKind
from jixiao.org.models import Employee
from tests.attendance.results_world import assign, calendar_month, office_schedule, punch
from tests.conftest import World

pytestmark = pytest.mark.django_db

HIRED = dt.date(2026, 5, 18)
WORKDAYS = [HIRED + dt.timedelta(days=i) for i in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)]


@pytest.fixture
def may(world: World) -> World:
    with scope(company=world.company):
        calendar_month(world.company, 2026, 5)
        assign(world.company, office_schedule(world.company), department=world.sales.parent)
        library_install(company=world.company, actor=world.hr)
    return world


def _wang(world: World) -> Employee:
    company, wang = world.company, world.person(world.employee)
    with scope(company=company):
        Employee.objects.filter(pk=wang.pk).update(hire_date=HIRED)
        wang.refresh_from_db()
        for day in WORKDAYS[:9]:
            punch(company, wang, [f"{day} 08:55", f"{day} 18:05"])
    return wang


def _month_value(world: World, wang: Employee, code: str) -> Decimal | None:
    with scope(company=world.company):
        value = MetricValue.objects.get(
            company=world.company,
            employee=wang,
            indicator__code=code,
            period_kind=PeriodKind.MONTH,
            period_start=dt.date(2026, 5, 1),
        )
    return value.value


def _lock(world: World) -> None:
    attendance.attendance_month_compute(company=world.company, year=2026, month=5, actor=world.hr)
    attendance.attendance_month_lock(
        company=world.company, year=2026, month=5, actor=world.hr, confirm=True
    )


def test_locking_the_month_publishes_punch_rate_90(
    may: World, django_capture_on_commit_callbacks: object
) -> None:
    wang = _wang(may)
    with scope(company=may.company), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        _lock(may)
    assert _month_value(may, wang, "scheduled_days") == Decimal(10)
    assert _month_value(may, wang, "punched_days") == Decimal(9)
    assert _month_value(may, wang, "punch_rate") == Decimal("90")
    with scope(company=may.company):
        event = MetricEvent.objects.get(employee=wang, indicator__code="punched_days")
    assert event.evidence["month"] == "2026-05" and event.source.kind == "attendance"


def test_an_open_month_is_not_published(may: World) -> None:
    _wang(may)
    with scope(company=may.company):
        attendance.attendance_month_compute(company=may.company, year=2026, month=5, actor=may.hr)
        result = attendance_month_publish(company=may.company, year=2026, month=5, actor=may.hr)
        assert result.received == 0 and not MetricEvent.objects.exists()


def test_relocking_after_a_correction_replaces_only_what_changed(may: World) -> None:
    wang = _wang(may)
    with scope(company=may.company):
        _lock(may)
        attendance_month_publish(company=may.company, year=2026, month=5, actor=may.hr)
        again = attendance_month_publish(company=may.company, year=2026, month=5, actor=may.hr)
        assert again.received == 0  # publishing twice sends nothing new
        attendance.attendance_month_reopen(
            company=may.company, year=2026, month=5, reason="补录 29 日打卡", actor=may.hr
        )
        punch(may.company, wang, [f"{WORKDAYS[9]} 08:58", f"{WORKDAYS[9]} 18:02"])
        _lock(may)
        result = attendance_month_publish(company=may.company, year=2026, month=5, actor=may.hr)
        assert {item.source_event_id.split("-")[-1].split("~")[0] for item in result.items} >= {
            "punched_days"
        }
        assert all(item.status == "corrected" for item in result.items)
        old, new = MetricEvent.objects.filter(
            employee=wang, indicator__code="punched_days"
        ).order_by("pk")
    assert old.status == EventStatus.SUPERSEDED and new.value == Decimal(10)
    assert new.correction_of_id == old.pk
    assert _month_value(may, wang, "punch_rate") == Decimal("100")
