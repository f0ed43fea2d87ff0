"""The calendar editor and its API: who may read, who may edit, and bad input.

Every member of 星海外贸 reads its calendars; only 刘HR edits them. Another
company's calendar ids are 404; anonymous visitors go to the login page (401 on
the API); the platform admin belongs to no company and is refused.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_scopes import scope, scopes_disabled

from jixiao.attendance.calendar_sources import year_seed
from jixiao.attendance.models import CalendarDay, CalendarYear, WorkCalendar
from jixiao.audit.models import AuditEvent
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

ROLES = ["hr", "executive", "manager", "employee", "platform_admin", "anonymous"]
TARGETS = ["own", "other_company"]


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # {cal}, {y26}, {y27}, {d10}, {d03}: ids of the target company's rows
    write: bool
    api: bool
    body: dict[str, Any] | None = None
    ok: int = 200


CASES = [
    Case("list", "get", "/attendance/calendars/", False, False),
    Case("year", "get", "/attendance/calendar-years/{y26}/", False, False),
    Case("day", "get", "/attendance/calendar-days/{d10}/", False, False),
    Case(
        "day_edit",
        "post",
        "/attendance/calendar-days/{d10}/",
        True,
        False,
        {"kind": "company_rest_day", "name": "团建", "reason": "老板批准"},
        302,
    ),
    Case(
        "company_day_add",
        "post",
        "/attendance/calendar-years/{y26}/",
        True,
        False,
        {"date": "2026-07-17", "name": "公司团建", "kind": "company_rest_day", "reason": ""},
        302,
    ),
    Case(
        "company_day_delete",
        "post",
        "/attendance/calendar-days/{d03}/delete/",
        True,
        False,
        {},
        302,
    ),
    Case(
        "day_reset",
        "post",
        "/attendance/calendar-days/{d06}/reset/",
        True,
        False,
        {"reason": "通知有误"},
        302,
    ),
    Case("confirm", "post", "/attendance/calendar-years/{y27}/confirm/", True, False, {}, 302),
    Case("seed", "post", "/attendance/calendars/{cal}/seed/", True, False, {"year": 2028}, 302),
    Case("api_list", "get", "/api/v1/attendance/calendars", False, True),
    Case("api_get", "get", "/api/v1/attendance/calendars/{cal}", False, True),
    Case("api_years", "get", "/api/v1/attendance/calendars/{cal}/years", False, True),
    Case(
        "api_days",
        "get",
        "/api/v1/attendance/calendars/{cal}/days?year=2026&month=2",
        False,
        True,
    ),
    Case(
        "api_day_patch",
        "patch",
        "/api/v1/attendance/calendars/days/{d10}",
        True,
        True,
        {"kind": "rest_day", "name": "团建", "reason": "老板批准"},
    ),
    Case(
        "api_company_day",
        "post",
        "/api/v1/attendance/calendars/{cal}/company-days",
        True,
        True,
        {"date": "2026-07-17", "name": "公司团建"},
        201,
    ),
    Case(
        "api_company_day_delete",
        "delete",
        "/api/v1/attendance/calendars/days/{d03}/company",
        True,
        True,
    ),
    Case(
        "api_day_reset",
        "post",
        "/api/v1/attendance/calendars/days/{d06}/reset",
        True,
        True,
        {"reason": "通知有误"},
    ),
    Case(
        "api_confirm",
        "post",
        "/api/v1/attendance/calendars/years/{y27}/confirm",
        True,
        True,
        {"reason": "已核对"},
    ),
    Case(
        "api_seed",
        "post",
        "/api/v1/attendance/calendars/{cal}/years",
        True,
        True,
        {"year": 2028},
        201,
    ),
]
COMPANY_WIDE = {"list", "api_list"}  # no object in the path


def _seed(company: Any) -> WorkCalendar:
    """A light calendar: the 2026 and 2027 years, with the days of February and July 2026
    as seeded (the matrix runs 200 times; full years are seeded by the other tests)."""
    with scope(company=company):
        calendar = WorkCalendar.objects.create(
            company=company, region="CN", name="中国", is_default=True
        )
        CalendarYear.objects.create(
            company=company, calendar=calendar, year=2026, status="official"
        )
        CalendarYear.objects.create(company=company, calendar=calendar, year=2027)
        CalendarDay.objects.bulk_create(
            CalendarDay(
                company=company, calendar=calendar, date=d.date, kind=d.kind.value, name=d.name
            )
            for d in year_seed("CN", 2026).days
            if d.date.month in (2, 7, 10)
        )
        CalendarDay.objects.filter(calendar=calendar, date=dt.date(2026, 7, 3)).update(
            kind="company_rest_day", name="半年会", origin="company"
        )
        CalendarDay.objects.filter(calendar=calendar, date=dt.date(2026, 7, 6)).update(
            kind="rest_day", name="调整", origin="edited"
        )
        return calendar


@pytest.fixture
def calendars(world: World) -> dict[str, WorkCalendar]:
    return {
        "own": _seed(world.company),
        "other_company": _seed(world.other_company),
    }


def _client(world: World, role: str) -> Client:
    if role == "anonymous":
        return Client()
    user = {
        "hr": world.hr,
        "executive": world.executive,
        "manager": world.manager,
        "employee": world.employee,
        "platform_admin": world.platform_admin,
    }[role]
    return login(user)


def _expected(case: Case, role: str, target: str) -> int:
    if role == "anonymous":
        return 401 if case.api else 302
    if role == "platform_admin":
        return 403
    if case.write and role != "hr":
        return 403
    if target == "other_company" and case.name not in COMPANY_WIDE:
        return 404
    return case.ok


def _ids(calendar: WorkCalendar) -> dict[str, int]:
    with scopes_disabled():
        years = dict(calendar.years.values_list("year", "pk"))
        days = dict(calendar.days.values_list("date", "pk"))
    return {
        "cal": calendar.pk,
        "y26": years[2026],
        "y27": years[2027],
        "d10": days[dt.date(2026, 7, 10)],
        "d03": days[dt.date(2026, 7, 3)],
        "d06": days[dt.date(2026, 7, 6)],
    }


def _day(calendar: WorkCalendar, date: dt.date) -> CalendarDay:
    with scopes_disabled():
        return CalendarDay.objects.get(calendar=calendar, date=date)


def _send(client: Client, case: Case, calendar: WorkCalendar) -> Any:
    path = case.path.format(**_ids(calendar))
    if case.method == "get":
        return client.get(path)
    if case.api:
        return getattr(client, case.method)(
            path, data=json.dumps(case.body or {}), content_type="application/json"
        )
    return client.post(path, data=case.body or {})


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_permission_matrix(
    world: World, calendars: dict[str, WorkCalendar], case: Case, role: str, target: str
) -> None:
    response = _send(_client(world, role), case, calendars[target])
    expected = _expected(case, role, target)
    assert response.status_code == expected, response.content[:300]
    if expected == 302 and role == "anonymous":
        assert "login" in response["Location"]


def test_year_page_shows_month_grids_and_legend(
    world: World, calendars: dict[str, WorkCalendar]
) -> None:
    ids = _ids(calendars["own"])
    response = login(world.employee).get(f"/attendance/calendar-years/{ids['y26']}/")
    html = response.content.decode()
    assert html.count('class="month-grid"') == 12
    assert html.count('class="day kind-') == 28 + 31 + 31
    assert 'id="day-2026-10-01" class="day kind-statutory_holiday"' in html
    assert 'id="day-2026-10-10" class="day kind-makeup_workday"' in html
    assert 'id="day-2026-07-03" class="day kind-company_rest_day origin-company"' in html
    for label in ("工作日", "调休上班", "休息日", "法定节假日", "公司休息日"):
        assert label in html
    assert "确认为正式日历" not in html  # read-only for employees
    assert 'data-testid="year-status">已确认' in html
    hr_html = login(world.hr).get(f"/attendance/calendar-years/{ids['y27']}/").content.decode()
    assert "确认为正式日历" in hr_html and "添加公司特别日" in hr_html


def test_htmx_day_edit_swaps_the_cell(world: World, calendars: dict[str, WorkCalendar]) -> None:
    calendar = calendars["own"]
    client = login(world.hr)
    day = _day(calendar, dt.date(2026, 10, 9))
    form = client.get(f"/attendance/calendar-days/{day.pk}/", HTTP_HX_REQUEST="true")
    assert form.status_code == 200 and "<form" in form.content.decode()
    assert "<html" not in form.content.decode()
    saved = client.post(
        f"/attendance/calendar-days/{day.pk}/",
        {"kind": "rest_day", "name": "国庆节", "reason": "地方通知"},
        HTTP_HX_REQUEST="true",
    )
    html = saved.content.decode()
    assert saved.status_code == 200
    assert 'id="day-2026-10-09" class="day kind-rest_day origin-edited" hx-swap-oob="true"' in html
    other = _day(calendar, dt.date(2026, 10, 12))
    missing = client.post(
        f"/attendance/calendar-days/{other.pk}/",
        {"kind": "rest_day", "name": "", "reason": ""},
        HTTP_HX_REQUEST="true",
    )
    assert missing.status_code == 422 and "field-errors" in missing.content.decode()
    assert _day(calendar, dt.date(2026, 10, 12)).kind == "workday"
    employee_view = login(world.employee).get(f"/attendance/calendar-days/{day.pk}/")
    assert employee_view.status_code == 200 and "<form method" not in employee_view.content.decode()


def test_hr_adds_a_country_calendar_and_bad_codes_are_field_errors(world: World) -> None:
    client = login(world.hr)
    bad = client.post("/attendance/calendars/", {"region": "ZZ", "name": ""})
    assert bad.status_code == 422 and "请输入 ISO 3166 国家代码" in bad.content.decode()
    with time_machine.travel(dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC), tick=False):
        good = client.post("/attendance/calendars/", {"region": "de-by", "name": ""})
    with scope(company=world.company):
        calendar = WorkCalendar.objects.get(region="DE-BY")
        year = calendar.years.get()
        assert good["Location"] == f"/attendance/calendar-years/{year.pk}/"
        assert year.status == CalendarYear.Status.PROVISIONAL and year.year == 2026


def test_company_day_form_and_delete(world: World, calendars: dict[str, WorkCalendar]) -> None:
    ids = _ids(calendars["own"])
    client = login(world.hr)
    added = client.post(
        f"/attendance/calendar-years/{ids['y26']}/",
        {"date": "2026-07-17", "name": "公司团建", "kind": "company_rest_day", "reason": ""},
    )
    assert added.status_code == 302
    assert _day(calendars["own"], dt.date(2026, 7, 17)).origin == "company"
    no_name = client.post(
        f"/attendance/calendar-years/{ids['y26']}/",
        {"date": "2026-07-20", "name": "", "kind": "company_rest_day"},
    )
    assert no_name.status_code == 422
    no_year = client.post(
        f"/attendance/calendar-years/{ids['y26']}/",
        {"date": "2031-07-18", "name": "团建", "kind": "company_rest_day"},
    )
    assert no_year.status_code == 422 and "该年度日历尚未生成" in no_year.content.decode()
    client.post(f"/attendance/calendar-days/{ids['d03']}/delete/")
    restored = _day(calendars["own"], dt.date(2026, 7, 3))
    assert (restored.kind, restored.origin) == ("workday", "seeded")


def test_api_errors(world: World, calendars: dict[str, WorkCalendar]) -> None:
    client = login(world.hr)
    ids = _ids(calendars["own"])
    cal, d10 = ids["cal"], ids["d10"]
    region = client.post(
        "/api/v1/attendance/calendars", data={"region": "XX"}, content_type="application/json"
    )
    assert region.status_code == 422
    assert region.json()["code"] == "unknown_region" and "region" in region.json()["fields"]
    year = client.post(
        f"/api/v1/attendance/calendars/{cal}/years",
        data={"year": 2200},
        content_type="application/json",
    )
    assert year.status_code == 422 and year.json()["fields"] == {
        "year": ["年份须在 2000 到 2100 之间。"]
    }
    missing = client.get(f"/api/v1/attendance/calendars/{cal}/days?year=2031")
    assert missing.status_code == 404
    kind = client.patch(
        f"/api/v1/attendance/calendars/days/{d10}",
        data={"kind": "holiday", "reason": "x"},
        content_type="application/json",
    )
    assert kind.status_code == 422
    no_reason = client.patch(
        f"/api/v1/attendance/calendars/days/{d10}",
        data={"kind": "rest_day", "reason": ""},
        content_type="application/json",
    )
    assert no_reason.status_code == 422 and no_reason.json()["fields"] == {"reason": ["必填。"]}
    not_company = client.delete(f"/api/v1/attendance/calendars/days/{d10}/company")
    assert not_company.status_code == 409
    confirm = f"/api/v1/attendance/calendars/years/{ids['y27']}/confirm"
    assert client.post(confirm, data={}, content_type="application/json").status_code == 200
    again = client.post(confirm, data={}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_confirmed"
    month = client.get(f"/api/v1/attendance/calendars/{cal}/days?year=2026&month=13")
    assert month.status_code == 422
    with time_machine.travel(dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC), tick=False):
        this_year = client.get(f"/api/v1/attendance/calendars/{cal}/days")
    assert this_year.status_code == 200 and len(this_year.json()) == 28 + 31 + 31
    twice = client.post(
        "/api/v1/attendance/calendars", data={"region": "cn"}, content_type="application/json"
    )
    assert twice.status_code == 409


def test_api_seed_and_days_of_a_month(world: World, calendars: dict[str, WorkCalendar]) -> None:
    cal = calendars["own"].pk
    seeded = login(world.hr).post(
        f"/api/v1/attendance/calendars/{cal}/years",
        data={"year": 2025},
        content_type="application/json",
    )
    assert seeded.status_code == 201 and seeded.json()["status"] == "official"
    response = login(world.employee).get(
        f"/api/v1/attendance/calendars/{cal}/days?year=2025&month=10"
    )
    days = response.json()
    assert len(days) == 31
    statutory = [d["date"] for d in days if d["kind"] == "statutory_holiday"]
    assert statutory == ["2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06"]
    assert {d["date"]: d["kind"] for d in days}["2025-10-11"] == "makeup_workday"
    feb = login(world.employee).get(f"/api/v1/attendance/calendars/{cal}/days?year=2026&month=2")
    assert len(feb.json()) == 28


def test_api_patch_audited(world: World, calendars: dict[str, WorkCalendar]) -> None:
    day = _day(calendars["own"], dt.date(2026, 10, 9))
    response = login(world.hr).patch(
        f"/api/v1/attendance/calendars/days/{day.pk}",
        data={"kind": "rest_day", "name": "国庆节", "reason": "地方通知"},
        content_type="application/json",
    )
    assert response.json() == {
        "id": day.pk,
        "date": "2026-10-09",
        "kind": "rest_day",
        "name": "国庆节",
        "origin": "edited",
    }
    with scopes_disabled():
        event = AuditEvent.objects.get(action="attendance.calendar_day.update")
    assert event.reason == "地方通知" and event.changes["kind"] == ["workday", "rest_day"]


def test_hr_home_warns_from_november(world: World, calendars: dict[str, WorkCalendar]) -> None:
    ids = _ids(calendars["own"])
    with time_machine.travel(dt.datetime(2026, 11, 2, 3, 0, tzinfo=dt.UTC), tick=False):
        hr_home = login(world.hr).get("/").content.decode()
        employee_home = login(world.employee).get("/").content.decode()
    assert "明年的日历尚未确认" in hr_home
    assert f"/attendance/calendar-years/{ids['y27']}/" in hr_home
    assert "明年的日历尚未确认" not in employee_home
    with time_machine.travel(dt.datetime(2026, 10, 31, 3, 0, tzinfo=dt.UTC), tick=False):
        assert "明年的日历尚未确认" not in login(world.hr).get("/").content.decode()


def test_reset_restores_the_official_day_in_the_panel(
    world: World, calendars: dict[str, WorkCalendar]
) -> None:
    """刘HR set 7 月 6 日 to a rest day by mistake; 恢复为官方日历 puts the workday back."""
    ids = _ids(calendars["own"])
    client = login(world.hr)
    panel = client.get(f"/attendance/calendar-days/{ids['d06']}/", headers={"HX-Request": "true"})
    assert 'data-testid="day-reset"' in panel.content.decode()
    response = client.post(
        f"/attendance/calendar-days/{ids['d06']}/reset/",
        {"reason": "通知有误"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="day-2026-07-06" class="day kind-workday" hx-swap-oob="true"' in html
    assert 'data-testid="day-reset"' not in html  # seeded again: nothing to restore
    day = _day(calendars["own"], dt.date(2026, 7, 6))
    assert (day.kind, day.name, day.origin) == ("workday", "", "seeded")
    again = client.post(
        f"/attendance/calendar-days/{ids['d06']}/reset/", headers={"HX-Request": "true"}
    )
    assert again.status_code == 409
    assert "无需恢复" in again.content.decode()
    # Seeded days of an employee's view never show the button.
    employee_panel = login(world.employee).get(f"/attendance/calendar-days/{ids['d10']}/")
    assert 'data-testid="day-reset"' not in employee_panel.content.decode()


def test_api_reset_refuses_company_days_and_returns_the_source_day(
    world: World, calendars: dict[str, WorkCalendar]
) -> None:
    ids = _ids(calendars["own"])
    client = login(world.hr)
    company_day = client.post(
        f"/api/v1/attendance/calendars/days/{ids['d03']}/reset",
        data="{}",
        content_type="application/json",
    )
    assert company_day.status_code == 409
    assert company_day.json()["code"] == "company_day"
    done = client.post(
        f"/api/v1/attendance/calendars/days/{ids['d06']}/reset",
        data=json.dumps({"reason": "通知有误"}),
        content_type="application/json",
    )
    assert done.status_code == 200
    assert done.json()["kind"] == "workday"
    assert done.json()["origin"] == "seeded"
    with scopes_disabled():
        event = AuditEvent.objects.get(action="attendance.calendar_day.reset")
    assert event.changes["origin"] == ["edited", "seeded"]
    assert event.changes["kind"] == ["rest_day", "workday"]
    assert event.reason == "通知有误"
