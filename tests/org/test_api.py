"""The org API: permission matrix per endpoint, validation errors, paging, salary hiding."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled

from jixiao.audit.models import AuditEvent
from jixiao.org import services
from jixiao.org.models import Department, Employee, EmploymentChange
from tests.conftest import World, login
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

ROLES = ("hr", "executive", "manager", "employee", "platform_admin", "anonymous")
BASE = "/api/v1/org"


def _client(world: World, role: str) -> Client:
    if role == "anonymous":
        return Client()
    return login(getattr(world, role))


def _call(client: Client, method: str, url: str, body: Any = None) -> Any:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method)(url, **kwargs)


def _target(world: World, role: str, target: str) -> Employee:
    with scopes_disabled():
        if target == "own":
            return getattr(world, role).employee  # type: ignore[no-any-return]
        return {
            "team": world.teammate,
            "other_team": world.other_team,
            "other_company": world.outsider,
        }[target].employee


# Who may read an employee: role → (own, team, other team, other company).
READ = {
    "hr": (200, 200, 200, 404),
    "executive": (200, 200, 200, 404),
    "manager": (200, 200, 403, 404),
    "employee": (200, 403, 403, 404),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 401, 401, 401),
}
WRITE = {
    "hr": (200, 200, 200, 404),
    "executive": (403, 403, 403, 404),
    "manager": (403, 403, 403, 404),
    "employee": (403, 403, 403, 404),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 401, 401, 401),
}
TARGETS = ("own", "team", "other_team", "other_company")


def _matrix(table: dict[str, tuple[int | None, ...]]) -> list[tuple[str, str, int]]:
    return [
        (role, target, status)
        for role, statuses in table.items()
        for target, status in zip(TARGETS, statuses, strict=True)
        if status is not None
    ]


@pytest.mark.parametrize(("role", "target", "expected"), _matrix(READ))
@pytest.mark.parametrize("suffix", ["", "/history"])
def test_employee_read_matrix(
    world: World, role: str, target: str, expected: int, suffix: str
) -> None:
    employee = _target(world, role, target)
    response = _client(world, role).get(f"{BASE}/employees/{employee.pk}{suffix}")
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("role", "target", "expected"), _matrix(WRITE))
def test_employee_patch_matrix(world: World, role: str, target: str, expected: int) -> None:
    employee = _target(world, role, target)
    response = _call(
        _client(world, role), "patch", f"{BASE}/employees/{employee.pk}", {"phone": "13800000000"}
    )
    assert response.status_code == expected, response.content
    with scopes_disabled():
        phone = Employee.objects.get(pk=employee.pk).phone
    assert (phone == "13800000000") is (expected == 200)


@pytest.mark.parametrize(("role", "target", "expected"), _matrix(WRITE))
def test_employee_change_matrix(world: World, role: str, target: str, expected: int) -> None:
    employee = _target(world, role, target)
    response = _call(
        _client(world, role),
        "post",
        f"{BASE}/employees/{employee.pk}/changes",
        {
            "field": "working_hour_system",
            "value": "comprehensive",
            "effective_date": "2026-01-01",
            "reason": "综合工时审批",
        },
    )
    assert response.status_code == (201 if expected == 200 else expected), response.content
    with scopes_disabled():
        made = EmploymentChange.objects.filter(employee=employee).exists()
    assert made is (expected == 200)


COLLECTIONS = [
    "/employees",
    "/departments",
    "/departments/tree",
    "/positions",
    "/work-locations",
    "/tags",
    "/custom-fields",
]
LIST_STATUS = {
    "hr": 200,
    "executive": 200,
    "manager": 200,
    "employee": 200,
    "platform_admin": 403,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", COLLECTIONS)
def test_list_matrix(world: World, role: str, path: str) -> None:
    assert _client(world, role).get(BASE + path).status_code == LIST_STATUS[role]


CREATE_BODIES = {
    "/departments": {"name": "新部门"},
    "/positions": {"name": "翻译", "job_family": "office"},
    "/work-locations": {"name": "汉堡", "country": "DE", "time_zone": "Europe/Berlin"},
    "/tags": {"name": "外派"},
    "/custom-fields": {"code": "visa", "label": "签证", "field_type": "text"},
    "/employees": {"employee_number": "A300", "name": "小周", "hire_date": "2026-03-01"},
}
CREATE_STATUS = {
    "hr": 201,
    "executive": 403,
    "manager": 403,
    "employee": 403,
    "platform_admin": 403,
    "anonymous": 401,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", list(CREATE_BODIES))
def test_create_matrix(world: World, role: str, path: str) -> None:
    body = dict(CREATE_BODIES[path])
    if path == "/employees":
        body["department_id"] = world.sales.pk
    response = _call(_client(world, role), "post", BASE + path, body)
    assert response.status_code == CREATE_STATUS[role], response.content


def _settings_objects(world: World) -> dict[str, tuple[int, int]]:
    """For each resource: (an id in company A, an id in company B)."""
    result: dict[str, tuple[int, int]] = {}
    for company, actor in ((world.company, world.hr), (world.other_company, world.other_hr)):
        with scope(company=company):
            made = {
                "/departments": services.department_create(
                    company=company, actor=actor, name="空部门"
                ),
                "/positions": services.position_create(company=company, actor=actor, name="翻译"),
                "/work-locations": services.work_location_create(
                    company=company,
                    actor=actor,
                    name="汉堡",
                    country="DE",
                    time_zone="Europe/Berlin",
                ),
                "/tags": services.tag_create(company=company, actor=actor, name="外派"),
                "/custom-fields": services.custom_field_create(
                    company=company, actor=actor, code="visa", label="签证"
                ),
            }
        for path, obj in made.items():
            result.setdefault(path, (obj.pk, 0))
            if company == world.other_company:
                result[path] = (result[path][0], obj.pk)
    return result


PATCH_BODIES = {
    "/departments": {"sort_order": 5},
    "/positions": {"description": "德语翻译"},
    "/work-locations": {"city": "Hamburg"},
    "/tags": {"name": "驻外"},
    "/custom-fields": {"label": "签证类型"},
}
OBJECT_WRITE = {
    "hr": (200, 404),
    "executive": (403, 404),
    "manager": (403, 404),
    "employee": (403, 404),
    "platform_admin": (403, 403),
    "anonymous": (401, 401),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", list(PATCH_BODIES))
def test_settings_object_matrix(world: World, role: str, path: str) -> None:
    own_id, other_id = _settings_objects(world)[path]
    client = _client(world, role)
    own_status, other_status = OBJECT_WRITE[role]
    assert (
        _call(client, "patch", f"{BASE}{path}/{other_id}", PATCH_BODIES[path]).status_code
        == other_status
    )
    assert (
        _call(client, "patch", f"{BASE}{path}/{own_id}", PATCH_BODIES[path]).status_code
        == own_status
    )
    read_own = 200 if role in ("hr", "executive", "manager", "employee") else own_status
    assert client.get(f"{BASE}{path}/{own_id}").status_code == read_own
    assert client.get(f"{BASE}{path}/{other_id}").status_code == other_status
    assert client.delete(f"{BASE}{path}/{other_id}").status_code == other_status
    expected_delete = 204 if own_status == 200 else own_status
    assert client.delete(f"{BASE}{path}/{own_id}").status_code == expected_delete


# --- Behaviour ---------------------------------------------------------------------------


def test_validation_errors_are_422_with_api_field_names(world: World) -> None:
    client = login(world.hr)
    with scopes_disabled():
        outsider = world.outsider.employee
    response = _call(
        client,
        "post",
        f"{BASE}/employees",
        {
            "employee_number": "A004",
            "name": "重号",
            "hire_date": "2026-03-01",
            "department_id": world.sales.pk,
            "base_salary": "-1",
            "termination_date": "2026-01-01",
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert {"employee_number", "base_salary", "termination_date"} <= set(body["fields"])
    response = _call(
        client,
        "post",
        f"{BASE}/employees",
        {
            "employee_number": "A301",
            "name": "x",
            "hire_date": "2026-03-01",
            "department_id": world.sales.pk,
            "manager_id": outsider.pk,
        },
    )
    assert response.status_code == 422
    assert "manager_id" in response.json()["fields"]
    response = _call(client, "post", f"{BASE}/employees", {"name": "缺字段"})
    assert response.status_code == 422
    assert "employee_number" in response.json()["fields"]


def test_manager_loop_through_the_api(world: World) -> None:
    client = login(world.hr)
    with scopes_disabled():
        zhang, wang = world.manager.employee, world.employee.employee
    response = _call(client, "patch", f"{BASE}/employees/{zhang.pk}", {"manager_id": wang.pk})
    assert response.status_code == 422
    assert "循环" in response.json()["fields"]["manager_id"][0]


def test_department_delete_with_people_is_refused_with_counts(world: World) -> None:
    response = login(world.hr).delete(f"{BASE}/departments/{world.sales.pk}")
    assert response.status_code == 409
    assert "3 名员工" in response.json()["message"]


def test_department_move_cycle_through_patch(world: World) -> None:
    client = login(world.hr)
    root_id = world.sales.parent_id
    response = _call(
        client, "patch", f"{BASE}/departments/{root_id}", {"parent_id": world.sales.pk}
    )
    assert response.status_code == 422
    assert "parent_id" in response.json()["fields"]
    response = _call(
        client,
        "patch",
        f"{BASE}/departments/{world.rd.pk}",
        {"parent_id": world.sales.pk, "name": "研发中心"},
    )
    assert response.status_code == 200
    assert response.json()["parent_id"] == world.sales.pk
    tree = client.get(f"{BASE}/departments/tree").json()
    assert tree[0]["children"][0]["children"][0]["name"] == "研发中心"


def test_list_filters_sort_and_paging(world: World) -> None:
    with scopes_disabled():
        for i in range(7):
            EmployeeFactory(
                company=world.company, department=world.rd, employee_number=f"R{i}", name=f"研发{i}"
            )
    client = login(world.hr)
    body = client.get(
        f"{BASE}/employees",
        {"department": world.rd.pk, "page_size": 3, "page": 2, "sort": "-number"},
    ).json()
    assert (body["count"], body["page"], body["page_size"]) == (8, 2, 3)
    assert [e["employee_number"] for e in body["items"]] == ["R3", "R2", "R1"]
    assert client.get(f"{BASE}/employees", {"page_size": 201}).status_code == 422
    body = client.get(f"{BASE}/employees?status=active&status=left&q=王").json()
    assert [e["name"] for e in body["items"]] == ["王姐"]
    assert client.get(f"{BASE}/employees", {"sort": "salary"}).status_code == 422


@pytest.mark.parametrize(
    ("role", "salary_of"),
    [
        ("hr", {"A001", "A002", "A003", "A004", "A005", "A006"}),
        ("executive", {"A002"}),
        ("manager", {"A003"}),
        ("employee", {"A004"}),
    ],
)
def test_salary_never_leaks_in_list_or_detail(world: World, role: str, salary_of: set[str]) -> None:
    client = login(getattr(world, role))
    items = client.get(f"{BASE}/employees").json()["items"]
    assert {e["employee_number"] for e in items if e["base_salary"] is not None} == salary_of
    for item in items:
        detail = client.get(f"{BASE}/employees/{item['id']}").json()
        assert (detail["base_salary"] is not None) is (item["employee_number"] in salary_of)


def test_change_then_history(world: World) -> None:
    client = login(world.hr)
    with scopes_disabled():
        wang = world.employee.employee
    response = _call(
        client,
        "post",
        f"{BASE}/employees/{wang.pk}/changes",
        {
            "field": "base_salary",
            "value": "9500",
            "effective_date": "2099-01-01",
            "reason": "远期调薪",
        },
    )
    assert response.status_code == 201
    assert response.json()["applied"] is False
    response = _call(
        client,
        "post",
        f"{BASE}/employees/{wang.pk}/changes",
        {
            "field": "department",
            "value": world.rd.pk,
            "effective_date": dt.date.today().isoformat(),
            "reason": "调岗",
        },
    )
    assert response.json()["applied"] is True
    history = client.get(f"{BASE}/employees/{wang.pk}/history").json()
    assert [h["field"] for h in history] == ["base_salary", "department"]
    # 陈总 may see 王姐 but not her pay: the salary change is left out.
    history = login(world.executive).get(f"{BASE}/employees/{wang.pk}/history").json()
    assert [h["field"] for h in history] == ["department"]
    response = _call(
        client,
        "post",
        f"{BASE}/employees/{wang.pk}/changes",
        {
            "field": "department",
            "value": 999999,
            "effective_date": "2026-01-01",
            "reason": "x",
        },
    )
    assert response.status_code == 422
    assert "value" in response.json()["fields"]


def test_api_writes_are_audited(world: World) -> None:
    client = login(world.hr)
    response = _call(
        client, "post", f"{BASE}/positions", {"name": "报关员", "job_family": "operations"}
    )
    with scopes_disabled():
        event = AuditEvent.objects.filter(action="org.position.create").get()
    assert event.object_id == str(response.json()["id"])
    assert event.changes["name"] == [None, "报关员"]
    assert event.actor == world.hr


def test_token_auth_reads_and_other_company_ids_are_404(world: World) -> None:
    with scopes_disabled():
        b_dept = Department.objects.filter(company=world.other_company).get()
    client = login(world.other_hr)
    assert client.get(f"{BASE}/departments/{world.sales.pk}").status_code == 404
    assert client.get(f"{BASE}/departments/{b_dept.pk}").status_code == 200
