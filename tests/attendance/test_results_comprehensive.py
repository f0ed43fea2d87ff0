"""The month close of comprehensive hours (综合工时) judged by week or by quarter.

王姐 moves to a comprehensive-hours schedule. By week: weeks run Monday to Sunday
and belong to the month of their Sunday, so November 2026 (which starts on a
Sunday) judges the week of 26 October – 1 November from the stored October days.
By quarter: October and November show the quarter's hours so far, "judged at the
period's end"; December judges the quarter's total.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scope

from jixiao.attendance.explain import reasons_text
from jixiao.attendance.models import MonthlySummary, WorkSchedule
from jixiao.attendance.services import results as services
from jixiao.org.models import Employee
from tests.attendance.results_world import assign, calendar_month, punch
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _comprehensive(world: World, period: str, standard: int) -> Employee:
    company, wang = world.company, world.person(world.employee)
    with scope(company=company):
        for month in (10, 11, 12):
            calendar_month(company, 2026, month)
        schedule = WorkSchedule.objects.create(
            company=company,
            name=f"综合工时 {period}",
            system="comprehensive",
            period=period,
            period_standard_minutes=standard,
        )
        assign(company, schedule, employee=wang)
    return wang


def _work(world: World, wang: Employee, days: list[dt.date], start: str, end: str) -> None:
    with scope(company=world.company):
        punch(world.company, wang, [t for d in days for t in (f"{d} {start}", f"{d} {end}")])


def _weekdays(first: dt.date, last: dt.date) -> list[dt.date]:
    span = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in span if d.weekday() < 5]


def _close(world: World, month: int) -> MonthlySummary:
    with scope(company=world.company):
        services.attendance_month_compute(
            company=world.company, year=2026, month=month, actor=world.hr
        )
        return MonthlySummary.objects.get(
            employee=world.person(world.employee), attendance_month__month=month
        )


def _params(summary: MonthlySummary, code: str) -> list[dict[str, object]]:
    return [r["params"] for r in summary.reasons if r["code"] == code]


def test_weekly_comprehensive_hours_judge_the_week_that_began_in_october(world: World) -> None:
    wang = _comprehensive(world, WorkSchedule.Period.WEEK, 2400)
    # 26–30 October: five days of 10 h = 3,000 min in the week ending Sunday 1 November.
    _work(world, wang, _weekdays(dt.date(2026, 10, 26), dt.date(2026, 10, 30)), "09:00", "19:00")
    # 2–6 November: five days of 9 h = 2,700 min.
    _work(world, wang, _weekdays(dt.date(2026, 11, 2), dt.date(2026, 11, 6)), "09:00", "18:00")

    october = _close(world, 10)
    november = _close(world, 11)

    # October's last week (26 Oct – 1 Nov) ends in November: shown, not judged, in October.
    assert _params(october, "comprehensive_week_pending") == [
        {"start": "2026-10-26", "end": "2026-11-01", "worked": 3000}
    ]
    assert october.overtime_workday_minutes == 0
    weeks = _params(november, "comprehensive_week_total")
    assert [(w["start"], w["worked"], w["overtime"]) for w in weeks] == [
        ("2026-10-26", 3000, 600),
        ("2026-11-02", 2700, 300),
        ("2026-11-09", 0, 0),
        ("2026-11-16", 0, 0),
        ("2026-11-23", 0, 0),
    ]
    # 600 + 300 min of workday overtime (150 %) in November, none counted twice.
    assert november.overtime_workday_minutes == 900
    assert "comprehensive_period_incomplete" not in november.flags
    words = reasons_text(november.reasons)
    assert (
        "综合工时（周，2026-10-26 至 2026-11-01）：实际工作 3000 分钟，标准 2400 分钟"
        "（已扣除请假 0 分钟），超出 600 分钟计为工作日加班"
    ) in words


def test_a_week_whose_earlier_days_were_never_computed_is_flagged(world: World) -> None:
    wang = _comprehensive(world, WorkSchedule.Period.WEEK, 2400)
    _work(world, wang, _weekdays(dt.date(2026, 10, 26), dt.date(2026, 10, 30)), "09:00", "19:00")

    november = _close(world, 11)  # October was never computed

    assert "comprehensive_period_incomplete" in november.flags
    # 26–31 October: six days of employment without a stored result.
    assert _params(november, "comprehensive_period_incomplete") == [
        {"period": "week", "missing": 6, "found": 0}
    ]
    assert november.overtime_workday_minutes == 0


def test_quarterly_comprehensive_hours_are_judged_in_december(world: World) -> None:
    # A standard of 400 h a quarter keeps the example small.
    wang = _comprehensive(world, WorkSchedule.Period.QUARTER, 400 * 60)
    october = _weekdays(dt.date(2026, 10, 1), dt.date(2026, 10, 31))  # 22 weekdays
    november = _weekdays(dt.date(2026, 11, 1), dt.date(2026, 11, 30))  # 21 weekdays
    december = _weekdays(dt.date(2026, 12, 1), dt.date(2026, 12, 31))  # 23 weekdays
    _work(world, wang, october, "09:00", "19:00")  # 22 × 600 = 13,200
    _work(world, wang, november, "09:00", "18:00")  # 21 × 540 = 11,340
    _work(world, wang, december, "09:00", "12:00")  # 23 × 180 = 4,140

    in_october, in_november, in_december = _close(world, 10), _close(world, 11), _close(world, 12)

    assert in_october.overtime_workday_minutes == 0
    assert in_november.overtime_workday_minutes == 0
    assert _params(in_november, "comprehensive_period_to_date") == [
        {
            "period": "quarter",
            "start": "2026-10-01",
            "worked": 13200 + 11340,
            "leave": 0,
            "standard": 24000,
            "end_month": "2026-12",
        }
    ]
    assert (
        "综合工时（季度）：自 2026-10-01 起至本月末已工作 24540 分钟（请假 0 分钟），"
        "周期标准 24000 分钟；加班判定于期末（2026-12）"
    ) in reasons_text(in_november.reasons)
    # December: 13,200 + 11,340 + 4,140 = 28,680 against 24,000 → 4,680 min.
    assert _params(in_december, "comprehensive_period_total") == [
        {"period": "quarter", "worked": 28680, "standard": 24000, "leave": 0, "overtime": 4680}
    ]
    assert in_december.overtime_workday_minutes == 4680
