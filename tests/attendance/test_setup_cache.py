"""The per-process copy of a company's attendance set-up is used only while nothing changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from jixiao.attendance import inputs
from jixiao.attendance.models import (
    AttendancePolicy,
    DailyAttendance,
    RotationPattern,
    SetupStamp,
    ShiftType,
    WorkCalendar,
)
from jixiao.attendance.services.results import daily_attendance_recompute
from jixiao.attendance.services.schedules import schedule_update
from jixiao.attendance.setup_cache import company_setup, setup_stamp
from jixiao.imports import services as import_services
from jixiao.org.models import Department, Employee
from jixiao.org.services import department_move
from tests.attendance.results_world import assign, calendar_month, office_schedule, punch
from tests.conftest import World
from tests.factories import EmployeeFactory, WorkLocationFactory
from tests.imports.helpers import issues_of, upload_and_preview, xlsx_bytes

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 5, 6)  # a Wednesday


@pytest.fixture
def may(world: World) -> World:
    with scope(company=world.company):
        calendar_month(world.company, 2026, 5)
    return world


def _stamp(world: World) -> str:
    return setup_stamp(world.company.pk)


def test_the_set_up_is_read_once_and_then_only_the_stamp_and_the_days(may: World) -> None:
    with scope(company=may.company):
        office_schedule(may.company)
        inputs.company_context_load(company=may.company, start=DAY, end=DAY)
        with CaptureQueriesContext(connection) as queries:
            context = inputs.company_context_load(company=may.company, start=DAY, end=DAY)
    tables = [q["sql"].split(" FROM ", 1)[1].split()[0] for q in queries.captured_queries]
    assert tables == ['"attendance_setupstamp"', '"attendance_calendarday"']
    assert len(context.calendar_days[next(iter(context.calendar_days))]) == 3  # DAY ± 1


def test_each_company_gets_its_own_random_stamp_on_first_use(world: World) -> None:
    first = setup_stamp(world.company.pk)
    assert len(first) == 32 and setup_stamp(world.company.pk) == first
    assert setup_stamp(world.other_company.pk) != first
    with scope(company=world.company):
        assert SetupStamp.objects.filter(company=world.company).count() == 1


WRITES: dict[str, Callable[[World], Any]] = {
    "work calendar": lambda w: WorkCalendar.objects.create(
        company=w.company, region="HK", name="香港"
    ),
    "work location": lambda w: WorkLocationFactory(company=w.company),
    "department": lambda w: Department.objects.create(company=w.company, name="新部门"),
    "schedule": lambda w: office_schedule(w.company, name="新规则"),
    "shift": lambda w: ShiftType.objects.create(
        company=w.company, code="M", name="早班", blocks=[["06:00", "14:00"]]
    ),
    "rotation": lambda w: RotationPattern.objects.create(
        company=w.company, name="四班", sequence=["M", "M", ""]
    ),
    "department assignment": lambda w: assign(
        w.company, office_schedule(w.company, name="部门规则"), department=w.sales
    ),
    "attendance policy": lambda w: AttendancePolicy.objects.update_or_create(
        company=w.company, defaults={"daily_overtime_cap_minutes": 120}
    ),
    "department deleted": lambda w: Department.objects.create(
        company=w.company, name="临时部门"
    ).delete(),
}


@pytest.mark.parametrize("write", WRITES, ids=list(WRITES))
def test_every_write_to_the_set_up_changes_the_stamp(world: World, write: str) -> None:
    with scope(company=world.company):
        before, other = _stamp(world), setup_stamp(world.other_company.pk)
        WRITES[write](world)
        assert _stamp(world) != before
        assert setup_stamp(world.other_company.pk) == other  # only the writer's company


def test_an_edited_schedule_is_used_by_the_next_recompute(may: World) -> None:
    with scope(company=may.company):
        schedule = office_schedule(may.company)
        assign(may.company, schedule, department=may.sales)
        employee = EmployeeFactory(company=may.company, department=may.sales)
        punch(may.company, employee, ["2026-05-06 09:30", "2026-05-06 18:30"])
        daily_attendance_recompute(company=may.company, employee=employee, dates=[DAY])
        assert DailyAttendance.objects.get(employee=employee, date=DAY).late_minutes == 30
        cached = company_setup(may.company.pk)

        schedule_update(
            schedule=schedule, actor=may.hr, blocks=[["09:30", "18:30"]], reason="夏令时"
        )
        daily_attendance_recompute(company=may.company, employee=employee, dates=[DAY])
        assert DailyAttendance.objects.get(employee=employee, date=DAY).late_minutes == 0
        assert company_setup(may.company.pk) is not cached


def test_a_moved_department_inherits_from_its_new_parent_at_once(may: World) -> None:
    with scope(company=may.company):
        late_start = office_schedule(may.company, name="10 点上班", blocks=[["10:00", "19:00"]])
        assign(may.company, office_schedule(may.company), department=may.sales)
        assign(may.company, late_start, department=may.rd)
        team = Department.objects.create(company=may.company, name="外贸一组", parent=may.sales)
        employee = EmployeeFactory(company=may.company, department=team)
        punch(may.company, employee, ["2026-05-06 09:50", "2026-05-06 19:00"])
        daily_attendance_recompute(company=may.company, employee=employee, dates=[DAY])
        assert DailyAttendance.objects.get(employee=employee, date=DAY).late_minutes == 50

        department_move(department=team, new_parent=may.rd, actor=may.hr, reason="调整")
        daily_attendance_recompute(company=may.company, employee=employee, dates=[DAY])
        assert DailyAttendance.objects.get(employee=employee, date=DAY).late_minutes == 0


def test_departments_created_by_an_org_import_change_the_stamp(may: World) -> None:
    with scope(company=may.company):
        company_setup(may.company.pk)
        before = _stamp(may)
        row = ["E1", "甲", "2024-03-01", "星海外贸/销售部/外贸二组", "", "", "", "在职", "8000"]
        batch, _plan = upload_and_preview(
            may, xlsx_bytes([row]), options={"create_departments": True}
        )
        assert issues_of(batch) == []
        assert import_services.batch_commit(batch=batch, actor=may.hr).status == "committed"
        group = Department.objects.get(name="外贸二组")
        assert _stamp(may) != before
        assert company_setup(may.company.pk).department_parent[group.pk] == may.sales.pk
        assert Employee.objects.get(employee_number="E1").department == group
