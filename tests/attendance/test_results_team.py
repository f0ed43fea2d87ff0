"""The team month, paged: the web page and the API list every visible person across pages,
keeping the department filter and the order; who may open it and whose rows they get.

刘HR opens the team month of a 130-person factory floor; 张经理 sees only his sales team.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from jixiao.attendance.models import DailyAttendance
from jixiao.attendance.views.results import TEAM_PAGE_SIZE
from jixiao.org.models import Department, Employee
from tests.conftest import World, login
from tests.factories import DepartmentFactory, EmployeeFactory

pytestmark = pytest.mark.django_db

ROLES = ("hr", "executive", "manager", "employee", "platform_admin", "anonymous")
PAGE = {"hr": 200, "executive": 200, "manager": 200, "employee": 403, "platform_admin": 403}
API = {**PAGE, "anonymous": 401}
PAGE["anonymous"] = 302


def _client(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else login(getattr(world, role))


def _department(world: World, target: str) -> Department:
    return world.sales if target == "own_company" else _other_department(world)


def _other_department(world: World) -> Department:
    with scopes_disabled():
        return Department.objects.filter(company=world.other_company).first()  # type: ignore[return-value]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["none", "own_company", "other_company"])
def test_team_page_matrix(world: World, role: str, target: str) -> None:
    query = "?month=2026-05" + (
        f"&department={_department(world, target).pk}" if target != "none" else ""
    )
    response = _client(world, role).get("/attendance/results/team/" + query)
    expected = PAGE[role]
    if expected == 200 and target == "other_company":
        expected = 404
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["none", "own_company", "other_company"])
def test_team_api_matrix(world: World, role: str, target: str) -> None:
    query = "?year=2026&month=5" + (
        f"&department_id={_department(world, target).pk}" if target != "none" else ""
    )
    response = _client(world, role).get("/api/v1/attendance/team/month" + query)
    expected = API[role]
    if expected == 200 and target == "other_company":
        expected = 404
    assert response.status_code == expected


@pytest.fixture
def floor(world: World) -> Department:
    """A 130-person production department (more than two pages), numbered P001…P130."""
    with scopes_disabled():
        department = DepartmentFactory(company=world.company, name="生产部")
        for i in range(1, 131):
            EmployeeFactory(
                company=world.company,
                department=department,
                name=f"工人{131 - i:03d}",  # names run the other way round to the numbers
                employee_number=f"P{i:03d}",
            )
        people = Employee.objects.filter(department=department)
        DailyAttendance.objects.bulk_create(
            DailyAttendance(
                company=world.company,
                employee=person,
                date=dt.date(2026, 5, 6),
                day_kind="workday",
                status="exception",
                time_zone="Asia/Shanghai",
                worked_minutes=480,
                late_minutes=12,
            )
            for person in people
        )
    return department


def _names(html: str) -> list[str]:
    return re.findall(r'data-testid="team-row">\s*<th scope="row"><a [^>]*>([^<]+)</a>', html)


def test_web_pages_cover_everyone_once_and_keep_the_filter(world: World, floor: Department) -> None:
    client = login(world.hr)
    url = f"/attendance/results/team/?month=2026-05&department={floor.pk}&sort=number"
    seen: list[str] = []
    html = client.get(url).content.decode()
    assert "共 130 人" in html
    pages = 1
    while True:
        names = _names(html)
        assert 0 < len(names) <= TEAM_PAGE_SIZE
        seen += names
        link = re.search(r'href="\?([^"]+)" data-testid="team-next-page"', html)
        if link is None:
            break
        query = link.group(1).replace("&amp;", "&")
        assert f"department={floor.pk}" in query and "sort=number" in query
        assert "month=2026-05" in query
        html = client.get("/attendance/results/team/?" + query).content.decode()
        pages += 1
    assert pages == 3
    assert len(seen) == 130 and len(set(seen)) == 130
    assert seen[0] == "工人130" and seen[-1] == "工人001"  # by number: P001 first
    # Month links keep the filter and the order too.
    month_link = re.search(r'href="\?([^"]+)" data-testid="team-next-month"', html)
    assert month_link is not None
    assert f"department={floor.pk}" in month_link.group(1)
    assert "sort=number" in month_link.group(1)


def test_web_sort_by_name_and_totals(world: World, floor: Department) -> None:
    html = (
        login(world.hr)
        .get(f"/attendance/results/team/?month=2026-05&department={floor.pk}&sort=name")
        .content.decode()
    )
    assert _names(html)[:2] == ["工人001", "工人002"]
    assert 'value="name" selected' in html


def test_web_page_out_of_range_shows_the_last_page(world: World, floor: Department) -> None:
    html = (
        login(world.hr)
        .get(f"/attendance/results/team/?month=2026-05&department={floor.pk}&page=99")
        .content.decode()
    )
    assert len(_names(html)) == 130 - 2 * TEAM_PAGE_SIZE


def test_manager_pages_hold_only_his_team(world: World, floor: Department) -> None:
    html = login(world.manager).get("/attendance/results/team/?month=2026-05").content.decode()
    assert sorted(_names(html)) == sorted(["张经理", "王姐", "李哥"])
    assert 'data-testid="team-next-page"' not in html


def test_api_pages_with_days_and_totals(world: World, floor: Department) -> None:
    client = login(world.hr)
    base = f"/api/v1/attendance/team/month?year=2026&month=5&department_id={floor.pk}&sort=number"
    first = client.get(base + "&page=1&page_size=100").json()
    second = client.get(base + "&page=2&page_size=100").json()
    assert first["count"] == second["count"] == 130
    assert len(first["items"]) == 100 and len(second["items"]) == 30
    numbers = [r["employee_number"] for r in first["items"] + second["items"]]
    assert numbers == [f"P{i:03d}" for i in range(1, 131)]
    row = first["items"][0]
    assert len(row["days"]) == 31
    assert row["days"][5] == {"date": "2026-05-06", "status": "exception"}
    assert row["days"][0]["status"] is None
    assert (row["worked_hours"], row["lates"], row["exceptions"]) == (8, 1, 1)
    assert row["department"] == "生产部"
    past_end = client.get(base + "&page=9&page_size=100").json()
    assert past_end["items"] == [] and past_end["count"] == 130


def test_api_manager_sees_his_team_only(world: World, floor: Department) -> None:
    body = login(world.manager).get("/api/v1/attendance/team/month?year=2026&month=5").json()
    assert body["count"] == 3
    assert {r["name"] for r in body["items"]} == {"张经理", "王姐", "李哥"}


@pytest.mark.parametrize(
    "query",
    ["year=2026&month=13", "year=2026&month=5&page=0", "year=2026&month=5&page_size=0",
     "year=2026&month=5&page_size=100000", "year=2026&month=5&sort=salary", "month=5"],
)  # fmt: skip
def test_api_bad_parameters_are_422(world: World, query: str) -> None:
    response = login(world.hr).get("/api/v1/attendance/team/month?" + query)
    assert response.status_code == 422
