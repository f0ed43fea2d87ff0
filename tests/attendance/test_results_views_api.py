"""Results pages and endpoints: what each role sees and may do, and what the pages show.

Permission matrix: role (HR admin, executive, manager, employee, platform admin,
anonymous) × the person asked about (own, same team, other team, other company).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled
from openpyxl import load_workbook

from jixiao.attendance.models import AttendanceMonth, DailyAttendance, MonthlySummary
from jixiao.attendance.services import results as services
from jixiao.audit.models import AuditEvent
from jixiao.core.models import User
from jixiao.org.models import Employee
from tests.attendance.results_world import assign, calendar_month, office_schedule, punch
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 5, 6)
ROLES = ("hr", "executive", "manager", "employee", "platform_admin", "anonymous")
TARGETS = ("own", "same_team", "other_team", "other_company")

# Who may see whose days (attendance.view_attendance).
VIEW = {
    "hr": {"own": 200, "same_team": 200, "other_team": 200, "other_company": 404},
    "executive": {"own": 200, "same_team": 200, "other_team": 200, "other_company": 404},
    "manager": {"own": 200, "same_team": 200, "other_team": 403, "other_company": 404},
    "employee": {"own": 200, "same_team": 403, "other_team": 403, "other_company": 404},
    "platform_admin": dict.fromkeys(TARGETS, 403),
}
# Who may recompute whose days (attendance.manage_attendance: HR, or the manager, never oneself).
MANAGE = {
    "hr": {"own": 200, "same_team": 200, "other_team": 200, "other_company": 404},
    "executive": {"own": 403, "same_team": 403, "other_team": 403, "other_company": 404},
    "manager": {"own": 403, "same_team": 200, "other_team": 403, "other_company": 404},
    "employee": {"own": 403, "same_team": 403, "other_team": 403, "other_company": 404},
    "platform_admin": dict.fromkeys(TARGETS, 403),
}


@pytest.fixture
def may(world: World) -> World:
    """Everyone of company A works office hours in May 2026; 王姐 and 李哥 punched on the 6th."""
    with scope(company=world.company):
        calendar_month(world.company, 2026, 5)
        root = world.sales.parent
        assign(world.company, office_schedule(world.company), department=root)
        punch(world.company, world.person(world.employee), ["2026-05-06 09:12", "2026-05-06 18:00"])
        punch(world.company, world.person(world.teammate), ["2026-05-06 08:55", "2026-05-06 18:01"])
        services.attendance_month_compute(company=world.company, year=2026, month=5, actor=None)
    return world


def _client(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else login(getattr(world, role))


def _target(world: World, role: str, target: str) -> Employee:
    with scopes_disabled():
        if target == "other_company":
            return Employee.objects.get(user=world.outsider)
        if target == "other_team":
            return Employee.objects.get(user=world.other_team)
        if target == "same_team":
            user = world.teammate if role == "employee" else world.employee
            return Employee.objects.get(user=user)
        user = world.hr if role in ("platform_admin", "anonymous") else getattr(world, role)
        return Employee.objects.get(user=user)


def _cases(table: dict[str, dict[str, int]]) -> list[tuple[str, str, int]]:
    cases = [(role, target, table[role][target]) for role in table for target in TARGETS]
    return cases + [("anonymous", target, 0) for target in TARGETS]


def _expect(response: Any, expected: int, *, api: bool) -> None:
    if expected == 0:  # anonymous
        assert response.status_code == (401 if api else 302)
    else:
        assert response.status_code == expected, response.content[:300]


# --- Person pages and endpoints ---------------------------------------------------------------


@pytest.mark.parametrize(("role", "target", "expected"), _cases(VIEW))
def test_person_month_page_matrix(may: World, role: str, target: str, expected: int) -> None:
    person = _target(may, role, target)
    response = _client(may, role).get(f"/attendance/results/employees/{person.pk}/?month=2026-05")
    _expect(response, expected, api=False)


@pytest.mark.parametrize(("role", "target", "expected"), _cases(VIEW))
def test_day_detail_page_matrix(may: World, role: str, target: str, expected: int) -> None:
    person = _target(may, role, target)
    response = _client(may, role).get(
        f"/attendance/results/employees/{person.pk}/day/?date=2026-05-06", HTTP_HX_REQUEST="true"
    )
    _expect(response, expected, api=False)


@pytest.mark.parametrize(("role", "target", "expected"), _cases(MANAGE))
def test_day_recompute_page_matrix(may: World, role: str, target: str, expected: int) -> None:
    person = _target(may, role, target)
    response = _client(may, role).post(
        f"/attendance/results/employees/{person.pk}/recompute/",
        {"date": "2026-05-06"},
        HTTP_HX_REQUEST="true",
    )
    _expect(response, expected, api=False)


@pytest.mark.parametrize(("role", "target", "expected"), _cases(VIEW))
def test_api_days_matrix(may: World, role: str, target: str, expected: int) -> None:
    person = _target(may, role, target)
    client = _client(may, role)
    listed = client.get(
        f"/api/v1/attendance/results/days?employee_id={person.pk}&start=2026-05-01&end=2026-05-31"
    )
    _expect(listed, expected, api=True)
    detail = client.get(f"/api/v1/attendance/results/day?employee_id={person.pk}&date=2026-05-06")
    _expect(detail, expected, api=True)
    if expected == 200:
        assert len(listed.json()) == 31
        assert detail.json()["explanation"]


@pytest.mark.parametrize(("role", "target", "expected"), _cases(MANAGE))
def test_api_recompute_matrix(may: World, role: str, target: str, expected: int) -> None:
    person = _target(may, role, target)
    response = _client(may, role).post(
        f"/api/v1/attendance/results/employees/{person.pk}/recompute",
        data=json.dumps({"dates": ["2026-05-06"]}),
        content_type="application/json",
    )
    _expect(response, expected, api=True)
    if expected == 200:
        assert [d["date"] for d in response.json()] == ["2026-05-06"]


# --- Company pages and endpoints ---------------------------------------------------------------

PAGE_CASES = [
    ("/attendance/results/mine/", {"hr": 200, "executive": 200, "manager": 200, "employee": 200}),
    ("/attendance/results/team/", {"hr": 200, "executive": 200, "manager": 200, "employee": 403}),
    ("/attendance/results/exceptions/", {"hr": 200, "executive": 403, "manager": 403, "employee": 403}),
    ("/attendance/results/close/", {"hr": 200, "executive": 403, "manager": 403, "employee": 403}),
    ("/attendance/results/close/export/?month=2026-05", {"hr": 200, "executive": 403, "manager": 403, "employee": 403}),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("url", "allowed"), PAGE_CASES, ids=[c[0] for c in PAGE_CASES])
def test_company_pages_matrix(may: World, role: str, url: str, allowed: dict[str, int]) -> None:
    response = _client(may, role).get(url)
    expected = {**allowed, "platform_admin": 403, "anonymous": 0}[role]
    _expect(response, expected, api=False)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["compute", "review", "lock", "reopen"])
def test_month_close_actions_matrix(may: World, role: str, action: str) -> None:
    response = _client(may, role).post(
        f"/attendance/results/close/{action}/", {"month": "2026-05", "confirm": "1", "reason": "x"}
    )
    if role == "hr":
        assert response.status_code in (302, 409)  # reopen of an open month is refused
    else:
        _expect(response, {"platform_admin": 403, "anonymous": 0}.get(role, 403), api=False)


@pytest.mark.parametrize("role", ROLES)
def test_api_month_endpoints_matrix(may: World, role: str) -> None:
    client = _client(may, role)
    base = "/api/v1/attendance/results/month"
    month = {"year": 2026, "month": 5}

    def post(path: str, **extra: object) -> Any:
        body = json.dumps({**month, **extra})
        return client.post(f"{base}{path}", data=body, content_type="application/json")

    calls = [
        client.get(f"{base}?year=2026&month=5"),
        post("/compute"),
        post("/review"),
        post("/lock", confirm=True),
        post("/reopen", reason="补录"),
    ]
    for response in calls:
        expected = {"hr": 200, "platform_admin": 403, "anonymous": 0}.get(role, 403)
        _expect(response, expected, api=True)


@pytest.mark.parametrize(
    ("role", "visible"),
    [("hr", 6), ("executive", 6), ("manager", 3), ("employee", 1), ("platform_admin", -403), ("anonymous", -401)],
)  # fmt: skip
def test_api_summaries_are_filtered_per_viewer(may: World, role: str, visible: int) -> None:
    response = _client(may, role).get("/api/v1/attendance/results/summaries?year=2026&month=5")
    if visible < 0:
        assert response.status_code == -visible
        return
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == visible
    wang = next((r for r in rows if r["employee_name"] == "王姐"), None)
    if role != "employee" or wang:
        assert wang is not None
        assert wang["metrics"]["late_count"] == "1" or float(wang["metrics"]["late_count"]) == 1


def test_api_summaries_of_another_companys_employee_are_404(may: World) -> None:
    outsider = _target(may, "hr", "other_company")
    response = login(may.hr).get(
        f"/api/v1/attendance/results/summaries?year=2026&month=5&employee_id={outsider.pk}"
    )
    assert response.status_code == 404


# --- What the pages show -------------------------------------------------------------------------


def test_my_month_shows_the_grid_and_the_day_explains_itself(may: World) -> None:
    client = login(may.employee)
    page = client.get("/attendance/results/mine/?month=2026-05").content.decode()
    assert 'data-testid="day-2026-05-06"' in page
    assert "#fee2e2" in page  # the late day is red
    wang = may.person(may.employee)
    detail = client.get(
        f"/attendance/results/employees/{wang.pk}/day/?date=2026-05-06", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in detail
    assert "12" in detail and "09:12" in detail  # late 12 minutes: first punch 09:12
    assert "/attendance/requests/" in detail  # 补卡 and leave links for oneself
    assert 'data-testid="day-recompute"' not in detail


def test_manager_recomputes_a_day_from_the_page(may: World) -> None:
    wang = may.person(may.employee)
    response = login(may.manager).post(
        f"/attendance/results/employees/{wang.pk}/recompute/", {"date": "2026-05-06"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert AuditEvent.objects.filter(action__startswith="attendance.").exists()


def test_team_view_lists_the_managers_people_with_totals(may: World) -> None:
    page = login(may.manager).get("/attendance/results/team/?month=2026-05").content.decode()
    assert page.count('data-testid="team-row"') == 3  # 张经理, 王姐, 李哥
    assert "赵工" not in page


def test_exception_queue_filters_by_kind_and_links_to_the_day(may: World) -> None:
    client = login(may.hr)
    late = client.get(
        "/attendance/results/exceptions/?start=2026-05-01&end=2026-05-31&kind=late"
    ).content.decode()
    assert late.count('data-testid="exception-row"') == 1 and "王姐" in late
    wang = may.person(may.employee)
    assert f"/attendance/results/employees/{wang.pk}/day/?date=2026-05-06" in late
    missing = client.get(
        "/attendance/results/exceptions/?start=2026-05-01&end=2026-05-31&kind=missing_punch"
    ).content.decode()
    assert 'data-testid="exception-row"' not in missing


def test_month_close_page_locks_with_confirmation_and_reopens_with_reason(may: World) -> None:
    client = login(may.hr)
    refused = client.post("/attendance/results/close/lock/", {"month": "2026-05"})
    assert refused.status_code == 409
    assert "异常考勤日" in refused.content.decode()
    assert (
        client.post(
            "/attendance/results/close/lock/", {"month": "2026-05", "confirm": "1"}
        ).status_code
        == 302
    )
    with scopes_disabled():
        assert (
            AttendanceMonth.objects.get(company=may.company, year=2026, month=5).status == "locked"
        )
    no_reason = client.post("/attendance/results/close/reopen/", {"month": "2026-05", "reason": ""})
    assert no_reason.status_code == 400
    assert (
        client.post(
            "/attendance/results/close/reopen/", {"month": "2026-05", "reason": "补卡"}
        ).status_code
        == 302
    )
    with scopes_disabled():
        month = AttendanceMonth.objects.get(company=may.company, year=2026, month=5)
    assert (month.status, month.reopen_count) == ("open", 1)


def test_locked_month_refuses_recompute_over_the_api(may: World) -> None:
    client = login(may.hr)
    lock = "/api/v1/attendance/results/month/lock"
    month = {"year": 2026, "month": 5}
    refused = client.post(lock, data=json.dumps(month), content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "month_has_exceptions"
    body = json.dumps({**month, "confirm": True})
    assert client.post(lock, data=body, content_type="application/json").status_code == 200
    wang = may.person(may.employee)
    response = client.post(
        f"/api/v1/attendance/results/employees/{wang.pk}/recompute",
        data=json.dumps({"dates": ["2026-05-06"]}),
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "month_locked"


def test_export_is_an_xlsx_of_the_summaries(may: World) -> None:
    response = login(may.hr).get("/attendance/results/close/export/?month=2026-05")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("工号", "姓名", "部门")
    with scopes_disabled():
        count = MonthlySummary.objects.filter(company=may.company).count()
    assert len(rows) == count + 1


def test_user_without_employee_record_gets_403_on_my_month(may: World) -> None:
    with scopes_disabled():
        Employee.objects.filter(user=may.executive).update(user=None)
        executive = User.objects.get(pk=may.executive.pk)
    assert login(executive).get("/attendance/results/mine/").status_code == 403
    with scopes_disabled():
        assert DailyAttendance.objects.filter(company=may.company).exists()


@pytest.mark.parametrize(
    ("dates", "message_part"),
    [
        (["0001-01-01"], "2000-01-01"),
        (["9999-12-31"], "2100-12-31"),
        (["2026-01-01", "2027-06-01"], "366"),
    ],
)
def test_api_recompute_refuses_dates_outside_what_can_be_computed(
    may: World, dates: list[str], message_part: str
) -> None:
    """Found by the schema fuzzer: date.min once crashed the neighbouring-day window."""
    response = login(may.hr).post(
        f"/api/v1/attendance/results/employees/{may.person(may.employee).pk}/recompute",
        data=json.dumps({"dates": dates}),
        content_type="application/json",
    )
    assert response.status_code == 422, response.content
    assert message_part in response.json()["fields"]["dates"][0]
