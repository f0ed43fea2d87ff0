"""Engine inputs from rows: who works which rule, in which zone and calendar, with which punches.

The stories run through ``daily_attendance_compute`` so they check the stored
result of the whole chain: rows → ``inputs.day_inputs_load`` → engine → DailyAttendance.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from jixiao.attendance import inputs
from jixiao.attendance.models import (
    ActivityPolicy,
    ApprovalStatus,
    DailyAttendance,
    LeaveRequest,
    LeaveType,
    Punch,
    RotationPattern,
    ShiftType,
    WorkActivity,
)
from jixiao.attendance.services.results import daily_attendance_compute
from jixiao.org.models import Employee, EmploymentChange
from tests.attendance.results_world import (
    assign,
    calendar_month,
    flexible_schedule,
    local,
    night_shift,
    office_schedule,
    punch,
    roster,
    shift_schedule,
)
from tests.conftest import World
from tests.factories import EmployeeFactory, WorkLocationFactory

pytestmark = pytest.mark.django_db

MAY = (dt.date(2026, 5, 1), dt.date(2026, 5, 31))
LABOUR_DAY = dt.date(2026, 5, 1)


def _day(employee: Employee, day: dt.date) -> DailyAttendance:
    return DailyAttendance.objects.get(employee=employee, date=day)


@pytest.fixture
def may(world: World) -> World:
    with scope(company=world.company):
        calendar_month(
            world.company, 2026, 5, overrides={LABOUR_DAY: ("statutory_holiday", "劳动节")}
        )
    return world


def test_flexible_employee_is_judged_on_core_hours_and_daily_total(may: World) -> None:
    """王姐 works flexible hours with core time 9:00–12:00 (seed 000)."""
    company, wang = may.company, may.person(may.employee)
    with scope(company=company):
        assign(company, flexible_schedule(company), employee=wang)
        punch(company, wang, ["2026-05-06 08:30", "2026-05-06 17:30"])
        punch(company, wang, ["2026-05-07 09:20", "2026-05-07 18:30"])
        daily_attendance_compute(
            company=company, start=dt.date(2026, 5, 6), end=dt.date(2026, 5, 7)
        )
        wednesday = _day(wang, dt.date(2026, 5, 6))
        thursday = _day(wang, dt.date(2026, 5, 7))
    assert wednesday.system == "flexible"
    assert (wednesday.status, wednesday.worked_minutes, wednesday.late_minutes) == (
        "normal",
        540,
        0,
    )
    assert wednesday.overtime_workday_minutes == 60  # 9 h inside 7:00–21:00, 8 h required
    assert (thursday.status, thursday.late_minutes) == ("exception", 20)
    assert "late" in thursday.flags
    assert {"code", "params"} <= set(thursday.reasons[0])


def test_night_shift_across_midnight_belongs_to_the_day_it_starts(may: World) -> None:
    """李哥's night shift 22:00–06:00: the morning punch closes the shift, not the day off after."""
    company, li = may.company, may.person(may.teammate)
    with scope(company=company):
        shift = night_shift(company)
        assign(company, shift_schedule(company), employee=li)
        roster(company, li, dt.date(2026, 5, 6), shift)
        roster(company, li, dt.date(2026, 5, 7), None)
        punch(company, li, ["2026-05-06 21:55", "2026-05-07 06:05"])
        daily_attendance_compute(
            company=company, start=dt.date(2026, 5, 6), end=dt.date(2026, 5, 7)
        )
        night = _day(li, dt.date(2026, 5, 6))
        off = _day(li, dt.date(2026, 5, 7))
    assert (night.status, night.worked_minutes, night.scheduled_minutes) == ("normal", 490, 480)
    assert night.night_minutes == 480
    assert night.first_punch == local("2026-05-06 21:55")
    assert night.last_punch == local("2026-05-07 06:05")
    assert (off.status, off.worked_minutes, off.missing_punch) == ("rest", 0, False)


def test_statutory_holiday_worked_is_holiday_overtime(may: World) -> None:
    company, wang = may.company, may.person(may.employee)
    with scope(company=company):
        assign(company, office_schedule(company), employee=wang)
        punch(company, wang, ["2026-05-01 09:00", "2026-05-01 18:00"])
        daily_attendance_compute(company=company, start=LABOUR_DAY, end=LABOUR_DAY)
        holiday = _day(wang, LABOUR_DAY)
    assert holiday.day_kind == "statutory_holiday"
    assert holiday.overtime_holiday_minutes == 480  # 9 h less the lunch hour, at 300 %
    assert holiday.overtime_workday_minutes == holiday.overtime_rest_day_minutes == 0


def test_calendar_missing_is_an_exception_not_a_zero(may: World) -> None:
    """June 2026 has no calendar rows: the day is flagged for HR, its worked time kept."""
    company, wang = may.company, may.person(may.employee)
    june_first = dt.date(2026, 6, 1)
    with scope(company=company):
        assign(company, office_schedule(company), employee=wang)
        punch(company, wang, ["2026-06-01 09:00", "2026-06-01 18:00"])
        daily_attendance_compute(company=company, start=june_first, end=june_first)
        day = _day(wang, june_first)
    assert day.status == "exception"
    assert "calendar_missing" in day.flags
    assert day.reasons[0] == {
        "code": "calendar_missing",
        "params": {"date": "2026-06-01", "region": "CN", "assumed": "workday"},
    }
    assert day.worked_minutes == 480


def test_location_change_mid_month_uses_the_old_zone_before_the_change(may: World) -> None:
    """赵工 worked in Berlin until 14 May, in Shanghai from the 15th (today's row says Shanghai)."""
    company, zhao = may.company, may.person(may.other_team)
    with scope(company=company):
        berlin = WorkLocationFactory(
            company=company, name="柏林办事处", country="DE", time_zone="Europe/Berlin"
        )
        shanghai = WorkLocationFactory(company=company, name="上海总部", time_zone="Asia/Shanghai")
        Employee.objects.filter(pk=zhao.pk).update(work_location=shanghai)
        EmploymentChange.objects.create(
            company=company,
            employee=zhao,
            field=EmploymentChange.Field.WORK_LOCATION,
            old_value=str(berlin.pk),
            new_value=str(shanghai.pk),
            effective_date=dt.date(2026, 5, 15),
        )
        assign(company, office_schedule(company), employee=zhao)
        punch(company, zhao, ["2026-05-14 09:00", "2026-05-14 18:00"], zone="Europe/Berlin")
        punch(company, zhao, ["2026-05-15 09:00", "2026-05-15 18:00"])
        daily_attendance_compute(
            company=company, start=dt.date(2026, 5, 14), end=dt.date(2026, 5, 15)
        )
        before = _day(zhao, dt.date(2026, 5, 14))
        after = _day(zhao, dt.date(2026, 5, 15))
    assert (before.time_zone, before.status, before.late_minutes) == ("Europe/Berlin", "normal", 0)
    assert before.worked_minutes == 480
    assert (after.time_zone, after.status) == ("Asia/Shanghai", "normal")


def test_the_employees_own_assignment_beats_the_departments(may: World) -> None:
    company = may.company
    wang, li = may.person(may.employee), may.person(may.teammate)
    with scope(company=company):
        root = may.sales.parent
        assert root is not None
        office = office_schedule(company)
        assign(company, office, department=root)
        assign(company, flexible_schedule(company), employee=wang)
        loaded = _loaded(may, [wang.pk, li.pk], dt.date(2026, 5, 6))
    assert loaded[wang.pk].day.rule is not None and loaded[wang.pk].day.rule.system == "flexible"
    assert loaded[li.pk].schedule_id == office.pk  # inherited from the root department


def test_rotation_pattern_gives_shifts_and_days_off(may: World) -> None:
    company, li = may.company, may.person(may.teammate)
    with scope(company=company):
        day_shift = ShiftType.objects.create(
            company=company, code="D", name="白班", blocks=[["08:00", "20:00"]]
        )
        rotation = RotationPattern.objects.create(
            company=company, name="做二休一", sequence=["D", "D", ""]
        )
        assign(
            company,
            shift_schedule(company),
            employee=li,
            start=dt.date(2026, 5, 4),
            rotation=rotation,
        )
        results = [_loaded(may, [li.pk], dt.date(2026, 5, 4 + i))[li.pk] for i in range(3)]
    rules = [r.day.rule for r in results]
    assert all(rule is not None for rule in rules)
    assert [rule.day_off for rule in rules if rule is not None] == [False, False, True]
    assert day_shift.blocks == [["08:00", "20:00"]]


def test_no_schedule_and_days_before_hiring(may: World) -> None:
    company = may.company
    with scope(company=company):
        newcomer = EmployeeFactory(
            company=company, department=may.sales, hire_date=dt.date(2026, 5, 20)
        )
        daily_attendance_compute(
            company=company,
            start=dt.date(2026, 5, 18),
            end=dt.date(2026, 5, 21),
            employee_ids=[newcomer.pk],
        )
        rows = list(DailyAttendance.objects.filter(employee=newcomer).order_by("date"))
    assert [r.date.day for r in rows] == [20, 21]
    assert {r.status for r in rows} == {"no_schedule"}


def test_voided_punches_and_leave_and_activities_reach_the_engine(may: World) -> None:
    company, li = may.company, may.person(may.teammate)
    day = dt.date(2026, 5, 6)
    with scope(company=company):
        assign(company, office_schedule(company), employee=li)
        punches = punch(company, li, ["2026-05-06 08:58", "2026-05-06 18:02", "2026-05-06 19:00"])
        Punch.objects.filter(pk=punches[2].pk).update(voided=True)
        sick = LeaveType.objects.create(company=company, code="sick", name="病假")
        LeaveRequest.objects.create(
            company=company,
            employee=li,
            leave_type=sick,
            start=local("2026-05-07 09:00"),
            end=local("2026-05-07 18:00"),
            days=1,
            status=ApprovalStatus.APPROVED,
        )
        policy = ActivityPolicy.objects.create(company=company, name="外贸通话", kinds=["call"])
        policy.employees.add(li)
        WorkActivity.objects.create(
            company=company,
            employee=li,
            kind="call",
            started_at=local("2026-05-06 22:00"),
            duration_minutes=60,
            source="crm",
            source_id="call-1",
        )
        loaded = _loaded(may, [li.pk], day)[li.pk]
        leave_day = _loaded(may, [li.pk], dt.date(2026, 5, 7))[li.pk]
    assert loaded.day.punches == (local("2026-05-06 08:58"), local("2026-05-06 18:02"))
    assert [a.source_ref for a in loaded.day.activities] == ["crm:call-1"]
    assert loaded.day.activity_rule is not None and loaded.day.activity_rule.kinds == {"call"}
    assert leave_day.day.leaves and leave_day.day.leaves[0].minutes == 540


def test_queries_do_not_grow_with_the_number_of_employees(may: World) -> None:
    company = may.company
    with scope(company=company):
        assign(company, office_schedule(company), department=may.sales)
        few = [EmployeeFactory(company=company, department=may.sales).pk for _ in range(2)]
        many = [EmployeeFactory(company=company, department=may.sales).pk for _ in range(20)]
        for pk in few + many:
            punch(company, Employee.objects.get(pk=pk), ["2026-05-06 09:00", "2026-05-06 18:00"])
        counts = []
        for ids in (few, many):
            context = inputs.company_context_load(company=company, start=MAY[0], end=MAY[1])
            with CaptureQueriesContext(connection) as queries:
                days = list(inputs.day_inputs_load(context=context, employee_ids=ids))
            counts.append(len(queries))
            assert len(days) == 31 * len(ids)
    assert counts[0] == counts[1]


def _loaded(world: World, ids: list[int], day: dt.date) -> dict[int, inputs.LoadedDay]:
    context = inputs.company_context_load(company=world.company, start=day, end=day)
    return {
        loaded.day.employee_id: loaded
        for loaded in inputs.day_inputs_load(context=context, employee_ids=ids)
    }
