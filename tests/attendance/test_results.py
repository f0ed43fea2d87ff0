"""Daily results and the month close: stored rows, summaries, lock and reopen, tasks."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from django_scopes import scope, scopes_disabled

from jixiao.attendance.models import (
    AttendanceMonth,
    AttendancePolicy,
    CompLeaveEntry,
    DailyAttendance,
    MonthlySummary,
)
from jixiao.attendance.services import results as services
from jixiao.attendance.tasks import month_compute_run, yesterday_compute_all
from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.org.models import Employee
from tests.attendance.results_world import (
    assign,
    calendar_month,
    local,
    office_schedule,
    punch,
)
from tests.conftest import World

pytestmark = pytest.mark.django_db

# 王姐 joins on Monday 18 May 2026: the rest of May has ten workdays (18–22, 25–29).
HIRED = dt.date(2026, 5, 18)
WORKDAYS = [HIRED + dt.timedelta(days=i) for i in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)]


@pytest.fixture
def may(world: World) -> World:
    with scope(company=world.company):
        calendar_month(world.company, 2026, 5)
        assign(world.company, office_schedule(world.company), department=world.sales.parent)
    return world


def _wang_punches_nine_of_ten_days(world: World) -> Employee:
    company, wang = world.company, world.person(world.employee)
    with scope(company=company):
        Employee.objects.filter(pk=wang.pk).update(hire_date=HIRED)
        wang.refresh_from_db()
        for day in WORKDAYS[:9]:
            punch(company, wang, [f"{day} 08:55", f"{day} 18:05"])
        punch(company, wang, [f"{WORKDAYS[9]} 08:55"])  # forgot to punch out on the 29th
    return wang


def test_month_summary_punch_rate_is_exact(may: World) -> None:
    """王姐's plan asks for 打卡率 ≥ 90 %: nine complete days of ten is exactly 90.00."""
    wang = _wang_punches_nine_of_ten_days(may)
    with scope(company=may.company):
        stats = services.attendance_month_compute(
            company=may.company, year=2026, month=5, actor=may.hr
        )
        summary = MonthlySummary.objects.get(employee=wang)
        metrics = services.monthly_summary_metrics(summary)
        people = Employee.objects.filter(company=may.company).count()
    assert stats.summaries == people
    assert (summary.scheduled_days, summary.punched_days) == (10, 9)
    assert summary.punch_rate == Decimal("90.00")
    assert summary.missing_punch_count == 1
    assert summary.worked_minutes == 9 * 490
    assert metrics["punch_rate"] == Decimal("90.00")
    assert metrics["worked_hours"] == Decimal("73.50")
    assert metrics["late_count"] == 0
    assert set(metrics) >= {
        "overtime_workday_hours",
        "overtime_rest_day_hours",
        "overtime_holiday_hours",
        "night_hours",
        "night_allowance",
    }


def test_compute_stores_reasons_as_json_and_replaces_rows(may: World) -> None:
    wang = _wang_punches_nine_of_ten_days(may)
    with scope(company=may.company):
        for _ in range(2):
            services.daily_attendance_compute(
                company=may.company, start=HIRED, end=WORKDAYS[-1], employee_ids=[wang.pk]
            )
        rows = list(DailyAttendance.objects.filter(employee=wang).order_by("date"))
    assert len(rows) == (WORKDAYS[-1] - HIRED).days + 1  # idempotent: one row a day
    last = rows[-1]
    assert last.status == "exception" and last.missing_punch
    assert all(isinstance(r, dict) and set(r) == {"code", "params"} for r in last.reasons)
    assert last.first_punch == local(f"{WORKDAYS[9]} 08:55")


def test_month_summary_applies_the_late_penalty_policy(may: World) -> None:
    company, li = may.company, may.person(may.teammate)
    with scope(company=company):
        AttendancePolicy.objects.create(company=company, lates_per_half_day_absence=3)
        for day in (4, 5, 6):
            punch(company, li, [f"2026-05-0{day} 09:20", f"2026-05-0{day} 18:00"])
        services.attendance_month_compute(company=company, year=2026, month=5, actor=may.hr)
        summary = MonthlySummary.objects.get(employee=li)
    assert (summary.late_count, summary.late_minutes) == (3, 60)
    assert summary.penalty_absent_days == Decimal("0.50")


def test_lock_warns_with_counts_then_locks_when_confirmed_and_is_audited(may: World) -> None:
    _wang_punches_nine_of_ten_days(may)
    company = may.company
    with scope(company=company):
        services.attendance_month_compute(company=company, year=2026, month=5, actor=may.hr)
        with pytest.raises(ServiceError) as refused:
            services.attendance_month_lock(company=company, year=2026, month=5, actor=may.hr)
        assert refused.value.code == "month_has_exceptions" and refused.value.status == 409
        counts = services.attendance_month_counts(company=company, year=2026, month=5)
        assert str(counts["exceptions"]) in refused.value.message
        locked = services.attendance_month_lock(
            company=company, year=2026, month=5, actor=may.hr, confirm=True
        )
    assert locked.status == AttendanceMonth.Status.LOCKED and locked.locked_by == may.hr
    with scopes_disabled():
        event = AuditEvent.objects.get(action="attendance.month.lock")
    assert event.changes["status"] == ["open", "locked"]
    assert event.changes["open_exceptions"] == [None, counts["exceptions"]]


def test_locked_month_refuses_recompute_until_reopened_with_a_reason(may: World) -> None:
    wang = _wang_punches_nine_of_ten_days(may)
    company = may.company
    with scope(company=company):
        services.attendance_month_compute(company=company, year=2026, month=5, actor=may.hr)
        services.attendance_month_review(company=company, year=2026, month=5, actor=may.hr)
        services.attendance_month_lock(
            company=company, year=2026, month=5, actor=may.hr, confirm=True
        )
        for attempt in (
            lambda: services.daily_attendance_recompute(
                company=company, employee=wang, dates=[WORKDAYS[0]]
            ),
            lambda: services.attendance_month_compute(
                company=company, year=2026, month=5, actor=may.hr
            ),
            lambda: services.daily_attendance_compute(company=company, start=HIRED, end=HIRED),
        ):
            with pytest.raises(ServiceError) as refused:
                attempt()
            assert refused.value.status == 409
            assert "该月考勤已锁定，请先重新打开" in refused.value.message
        with pytest.raises(ServiceError) as no_reason:
            services.attendance_month_reopen(
                company=company, year=2026, month=5, reason="  ", actor=may.hr
            )
        assert no_reason.value.fields == {"reason": ["请填写重新打开的原因"]}
        reopened = services.attendance_month_reopen(
            company=company, year=2026, month=5, reason="补录 5 月 29 日补卡", actor=may.hr
        )
        rows = services.daily_attendance_recompute(
            company=company, employee=wang, dates=[WORKDAYS[0]]
        )
    assert (reopened.status, reopened.reopen_count) == ("open", 1)
    assert [r.date for r in rows] == [WORKDAYS[0]]
    with scopes_disabled():
        event = AuditEvent.objects.get(action="attendance.month.reopen")
    assert event.reason == "补录 5 月 29 日补卡"
    assert event.changes["reopen_count"] == [0, 1]


def test_recompute_after_a_correction_changes_the_day_and_audits_the_change(may: World) -> None:
    wang = _wang_punches_nine_of_ten_days(may)
    company = may.company
    with scope(company=company):
        services.daily_attendance_compute(
            company=company, start=WORKDAYS[9], end=WORKDAYS[9], employee_ids=[wang.pk]
        )
        punch(company, wang, [f"{WORKDAYS[9]} 18:10"])
        (row,) = services.daily_attendance_recompute(
            company=company, employee=wang, dates=[WORKDAYS[9]], actor=may.manager
        )
    assert (row.status, row.missing_punch, row.worked_minutes) == ("normal", False, 495)
    with scopes_disabled():
        event = AuditEvent.objects.get(action="attendance.daily.recompute")
    assert event.changes[f"{WORKDAYS[9]}.status"] == ["exception", "normal"]
    assert event.actor == may.manager


def test_rest_day_comp_leave_goes_to_the_ledger_and_leaves_it_when_undone(may: World) -> None:
    company, li = may.company, may.person(may.teammate)
    saturday = dt.date(2026, 5, 9)
    with scope(company=company):
        schedule = office_schedule(company, name="调休制", rest_day_comp_leave=True)
        assign(company, schedule, employee=li)
        punches = punch(company, li, [f"{saturday} 09:00", f"{saturday} 13:00"])
        services.daily_attendance_compute(company=company, start=saturday, end=saturday)
        earned = list(CompLeaveEntry.objects.filter(employee=li).values_list("minutes", flat=True))
        punches[1].voided = True
        punches[1].save()
        services.daily_attendance_recompute(company=company, employee=li, dates=[saturday])
        after = sum(CompLeaveEntry.objects.filter(employee=li).values_list("minutes", flat=True))
    assert earned == [180]  # 9:00–13:00 less the unpaid lunch hour
    assert after == 0


def test_tasks_compute_yesterday_and_a_month_and_are_safe_to_run_twice(may: World) -> None:
    wang = _wang_punches_nine_of_ten_days(may)
    now = local("2026-05-20 05:00")
    for _ in range(2):
        computed = yesterday_compute_all(now=now)
    with scope(company=may.company):
        assert computed[may.company.pk] == Employee.objects.filter(company=may.company).count()
        assert DailyAttendance.objects.get(employee=wang, date=dt.date(2026, 5, 19)).status == (
            "normal"
        )
    assert month_compute_run(company_id=may.company.pk, year=2026, month=5, actor_id=None) > 0
    assert month_compute_run(company_id=may.company.pk, year=2026, month=5, actor_id=None) > 0
    with scope(company=may.company):
        services.attendance_month_lock(
            company=may.company, year=2026, month=5, actor=may.hr, confirm=True
        )
    assert month_compute_run(company_id=may.company.pk, year=2026, month=5, actor_id=None) == 0
    assert may.company.pk not in yesterday_compute_all(now=now)


def test_parallel_workers_only_outside_transactions_and_for_big_runs(may: World) -> None:
    assert services._workers_for(50_000, parallel_allowed=False) == 1
    assert services._workers_for(10, parallel_allowed=True) == 1
    # An in-memory SQLite database cannot be shared with worker processes; a file
    # SQLite or PostgreSQL database can (one worker per CPU, capped by the setting).
    from django.db import connection

    in_memory = connection.vendor == "sqlite" and "memory" in str(
        connection.settings_dict.get("NAME") or ":memory:"
    )
    expected = 1 if in_memory or (os.cpu_count() or 1) < 2 else (os.cpu_count() or 1)
    assert services._workers_for(50_000, parallel_allowed=True) == expected
