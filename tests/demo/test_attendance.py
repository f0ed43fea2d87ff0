"""The demo's attendance: calendars, rules, rosters, punches and 李哥's evening calls.

The demo is built "today" = 2026-11-23 (Shanghai), so the data covers September
and October in full and November 1–22.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django_scopes import scope, scopes_disabled

from jixiao.attendance.models import (
    ActivityPolicy,
    CalendarDay,
    CalendarYear,
    DailyAttendance,
    LeaveRequest,
    MonthlySummary,
    Punch,
    PunchCorrection,
    RosterEntry,
    ScheduleAssignment,
    WorkActivity,
    WorkCalendar,
    WorkSchedule,
)
from jixiao.attendance.selectors.calendars import calendar_warnings
from jixiao.core.models import Company
from jixiao.demo.attendance import months_back
from jixiao.demo.builder import DemoLoadResult
from jixiao.org.models import Employee

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(demo_loaded: DemoLoadResult) -> None:
    """The module's demo (tests/demo/conftest.py)."""


def _company(slug: str) -> Company:
    with scopes_disabled():
        return Company.objects.get(slug=slug)


def test_months_back() -> None:
    assert months_back(dt.date(2026, 1, 15), 2) == dt.date(2025, 11, 1)
    assert months_back(dt.date(2026, 11, 23), 0) == dt.date(2026, 11, 1)
    assert months_back(dt.date(2026, 12, 3), -1) == dt.date(2027, 1, 1)


def test_calendars_official_until_2026_and_provisional_2027(demo: None) -> None:
    huarui = _company("huarui")
    with scope(company=huarui):
        years = {
            (y.calendar.region, y.year): y.status
            for y in CalendarYear.objects.select_related("calendar")
        }
        assert years[("CN", 2025)] == years[("CN", 2026)] == "official"
        assert years[("CN", 2027)] == "provisional"
        for country in ("DE", "MX", "VN", "SA", "NG"):
            assert years[(country, 2026)] == "official"  # HR checked the local holidays
            assert years[(country, 2027)] == "provisional"
        shutdown = CalendarDay.objects.get(origin="company")
        assert shutdown.name == "设备年检停产" and shutdown.date.month == 9
        assert shutdown.date.weekday() == 4
        (warning, *others) = calendar_warnings(huarui, dt.date(2026, 11, 23))
        assert (warning.calendar.region, warning.year) == ("CN", 2027)
        assert {w.calendar.region for w in others} == {"DE", "MX", "VN", "SA", "NG"}
    with scope(company=_company("yunfan")):
        assert CalendarDay.objects.get(origin="company").name == "公司团建"


def test_schedules_assignments_and_rosters(demo: None) -> None:
    with scope(company=_company("haixing")):
        flexible = WorkSchedule.objects.get(system="flexible")
        assert flexible.core_start == dt.time(9, 0) and flexible.core_end == dt.time(12, 0)
        assert flexible.night_allowance_per_hour == 20
        assert ScheduleAssignment.objects.filter(
            schedule=flexible, department__name="销售部"
        ).exists()
        policy = ActivityPolicy.objects.get()
        assert policy.kinds == ["call", "email"]
        assert set(policy.positions.values_list("name", flat=True)) == {
            "资深外贸业务员",
            "外贸业务员",
        }
    with scope(company=_company("huarui")):
        systems = Counter(WorkSchedule.objects.values_list("preset", flat=True))
        assert systems["manufacturing_two_shift"] == systems["manufacturing_three_shift"] == 1
        shift_workers = Employee.objects.filter(working_hour_system="shift").count()
        entries = RosterEntry.objects.filter(date__gte=dt.date(2026, 9, 1))
        assert entries.values("employee").distinct().count() == shift_workers
        # 91 days from September 1 to November 30 for each shift worker.
        assert entries.count() == shift_workers * 91
        night = entries.filter(shift__code="C", date=dt.date(2026, 10, 10)).count()
        assert night > 0
    with scope(company=_company("lanhe")):
        presets = set(WorkSchedule.objects.values_list("preset", flat=True))
        assert {"unfixed", "comprehensive_month", "office_standard"} <= presets


def test_punches_up_to_yesterday_mostly_on_time(demo: None) -> None:
    haixing = _company("haixing")
    with scope(company=haixing):
        punches = Punch.objects.filter(company=haixing)
        days = {p.at.astimezone(dt.timezone(dt.timedelta(hours=8))).date() for p in punches}
        assert min(days) >= dt.date(2026, 9, 1)
        assert dt.date(2026, 11, 20) <= max(days) <= dt.date(2026, 11, 22)  # 21st, 22nd: weekend
        shanghai = dt.timezone(dt.timedelta(hours=8))
        office = Employee.objects.filter(working_hour_system="standard")
        office_days = Counter(
            p.at.astimezone(shanghai).date() for p in punches.filter(employee__in=office)
        )
        # National Day week off; the Sunday before (09-20) and Saturday 10-10 are worked.
        assert not any(office_days[dt.date(2026, 10, d)] for d in range(1, 8))
        assert office_days[dt.date(2026, 9, 20)] >= office.count()  # in and out, nearly all
        assert office_days[dt.date(2026, 10, 10)] >= office.count()
        assert office_days[dt.date(2026, 9, 19)] == 0  # an ordinary Saturday
        daily = DailyAttendance.objects.filter(date__gte=dt.date(2026, 9, 1))
        statuses = Counter(daily.values_list("status", flat=True))
        assert statuses["normal"] > statuses["exception"] > 0
        assert not daily.filter(date__gte=dt.date(2026, 11, 23)).exists()
        summaries = MonthlySummary.objects.filter(attendance_month__month__in=[9, 10])
        assert summaries.count() == 2 * Employee.objects.count()


def test_li_calls_germany_at_ten_at_night_and_gets_night_hours(demo: None) -> None:
    with scope(company=_company("haixing")):
        li = Employee.objects.get(name="李建国")
        calls = WorkActivity.objects.filter(employee=li, kind="call")
        assert calls.count() >= 20
        shanghai = dt.timezone(dt.timedelta(hours=8))
        assert {c.started_at.astimezone(shanghai).hour for c in calls} == {22}
        night = DailyAttendance.objects.filter(employee=li, night_minutes__gt=0)
        assert night.count() >= 20


def test_a_leave_and_a_punch_correction_were_approved(demo: None) -> None:
    with scope(company=_company("haixing")):
        leave = LeaveRequest.objects.get()
        assert leave.status == "approved" and leave.leave_type.code == "personal"
        correction = PunchCorrection.objects.get()
        assert correction.status == "approved" and correction.punch is not None
        assert WorkCalendar.objects.get(region="CN").is_default
