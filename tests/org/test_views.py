"""Org pages: the permission matrix for every URL, htmx partials, forms and their errors."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from jixiao.org import services
from jixiao.org.models import CustomField, Department, Employee, EmploymentChange, Tag
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

TARGETS = ("own", "team", "other_team", "other_company")


def _client(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else login(getattr(world, role))


def _employee(world: World, role: str, target: str) -> Employee:
    with scopes_disabled():
        if target == "own":
            return getattr(world, role).employee  # type: ignore[no-any-return]
        return {
            "team": world.teammate,
            "other_team": world.other_team,
            "other_company": world.outsider,
        }[target].employee


def _matrix(table: dict[str, tuple[int | None, ...]]) -> list[tuple[str, str, int]]:
    return [
        (role, target, status)
        for role, statuses in table.items()
        for target, status in zip(TARGETS, statuses, strict=True)
        if status is not None
    ]


READ = {
    "hr": (200, 200, 200, 404),
    "executive": (200, 200, 200, 404),
    "manager": (200, 200, 403, 404),
    "employee": (200, 403, 403, 404),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 302, 302, 302),
}
WRITE = {
    "hr": (200, 200, 200, 404),
    "executive": (403, 403, 403, 404),
    "manager": (403, 403, 403, 404),
    "employee": (403, 403, 403, 404),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 302, 302, 302),
}


@pytest.mark.parametrize(("role", "target", "expected"), _matrix(READ))
def test_employee_detail_matrix(world: World, role: str, target: str, expected: int) -> None:
    employee = _employee(world, role, target)
    response = _client(world, role).get(reverse("org:employee_detail", args=[employee.pk]))
    assert response.status_code == expected


@pytest.mark.parametrize(("role", "target", "expected"), _matrix(WRITE))
@pytest.mark.parametrize("url_name", ["org:employee_edit", "org:employee_change"])
def test_employee_write_pages_matrix(
    world: World, role: str, target: str, expected: int, url_name: str
) -> None:
    employee = _employee(world, role, target)
    client = _client(world, role)
    url = reverse(url_name, args=[employee.pk])
    assert client.get(url).status_code == expected
    # Posting an empty form: HR gets the form back with errors (422), nobody else gets in.
    assert client.post(url, {}).status_code == (422 if expected == 200 else expected)


@pytest.mark.parametrize(("role", "target", "expected"), _matrix(WRITE))
def test_change_cancel_matrix(world: World, role: str, target: str, expected: int) -> None:
    employee = _employee(world, role, target)
    company = world.other_company if target == "other_company" else world.company
    with scope(company=company):
        change = EmploymentChange.objects.create(
            company=company,
            employee=employee,
            field="status",
            new_value="left",
            effective_date=dt.date(2099, 1, 1),
            applied=False,
            reason="计划",
        )
    response = _client(world, role).post(
        reverse("org:employee_change_cancel", args=[employee.pk, change.pk])
    )
    assert response.status_code == (302 if expected == 200 else expected)
    with scopes_disabled():
        assert EmploymentChange.objects.filter(pk=change.pk).exists() is (expected != 200)


PAGE_STATUS = {
    "hr": 200,
    "executive": 200,
    "manager": 200,
    "employee": 200,
    "platform_admin": 403,
    "anonymous": 302,
}
HR_ONLY = {
    "hr": 200,
    "executive": 403,
    "manager": 403,
    "employee": 403,
    "platform_admin": 403,
    "anonymous": 302,
}
ROLES = tuple(PAGE_STATUS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("url_name", "table"),
    [
        ("org:employee_list", PAGE_STATUS),
        ("org:department_tree", PAGE_STATUS),
        ("org:employee_create", HR_ONLY),
        ("org:position_list", HR_ONLY),
        ("org:work_location_list", HR_ONLY),
        ("org:tag_list", HR_ONLY),
        ("org:custom_field_list", HR_ONLY),
    ],
)
def test_page_matrix(world: World, role: str, url_name: str, table: dict[str, int]) -> None:
    assert _client(world, role).get(reverse(url_name)).status_code == table[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["same_company", "other_company"])
def test_department_pages_matrix(world: World, role: str, which: str) -> None:
    with scopes_disabled():
        if which == "same_company":
            with scope(company=world.company):
                dept = services.department_create(company=world.company, actor=world.hr, name="空")
        else:
            dept = Department.objects.get(company=world.other_company)
    client = _client(world, role)
    if role in ("anonymous", "platform_admin"):
        expected = HR_ONLY[role]
    elif which == "other_company":
        expected = 404
    else:
        expected = HR_ONLY[role]
    assert client.get(reverse("org:department_edit", args=[dept.pk])).status_code == expected
    response = client.post(reverse("org:department_delete", args=[dept.pk]))
    assert response.status_code == (302 if expected == 200 else expected)
    with scopes_disabled():
        assert Department.objects.filter(pk=dept.pk).exists() is (expected != 200)
    response = client.post(reverse("org:department_create"), {"name": f"新{role}"})
    create_expected = {"hr": 302}.get(role, HR_ONLY[role])
    assert response.status_code == create_expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["same_company", "other_company"])
def test_settings_delete_matrix(world: World, role: str, which: str) -> None:
    company = world.company if which == "same_company" else world.other_company
    actor = world.hr if which == "same_company" else world.other_hr
    with scope(company=company):
        tag = services.tag_create(company=company, actor=actor, name="外派")
    if role in ("anonymous", "platform_admin"):
        expected = HR_ONLY[role]
    elif which == "other_company":
        expected = 404
    else:
        expected = {"hr": 302}.get(role, 403)
    response = _client(world, role).post(reverse("org:tag_delete", args=[tag.pk]))
    assert response.status_code == expected
    deleted = role == "hr" and which == "same_company"
    with scopes_disabled():
        assert Tag.objects.filter(pk=tag.pk).exists() is not deleted


# --- Behaviour -----------------------------------------------------------------------------


def test_list_renders_the_partial_for_htmx_and_hides_salary(world: World) -> None:
    client = login(world.executive)
    full = client.get(reverse("org:employee_list"))
    assert b"<html" in full.content and b'id="employee-table"' in full.content
    partial = client.get(reverse("org:employee_list"), {"q": "王"}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert "<html" not in body and 'id="employee-table"' in body
    assert "王姐" in body and "赵工" not in body
    # 陈总 sees only his own salary column value; 王姐's 8000.00 is not on the page.
    assert "8000.00" not in body
    assert "HX-Request" in partial["Vary"]
    # Going back in history without htmx's cache needs the whole page again.
    restore = client.get(
        reverse("org:employee_list"),
        {"q": "王"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert b"<html" in restore.content
    hr_body = login(world.hr).get(reverse("org:employee_list"), {"q": "王"}).content.decode()
    assert "8000.00" in hr_body


def test_list_filters_and_sort_links_keep_the_query(world: World) -> None:
    client = login(world.hr)
    body = client.get(
        reverse("org:employee_list"), {"department": world.sales.pk, "sort": "name"}
    ).content.decode()
    assert body.count('data-testid="employee-row"') == 3
    assert f"department={world.sales.pk}" in body and "sort=-name" in body


def test_detail_shows_chain_history_custom_fields_and_salary_only_when_allowed(
    world: World,
) -> None:
    with scope(company=world.company):
        services.custom_field_create(
            company=world.company,
            actor=world.hr,
            code="language",
            label="语种",
            field_type="choice",
            choices=["德语"],
        )
        wang = world.employee.employee
        services.employee_update(
            employee=wang,
            actor=world.hr,
            custom_fields={"language": "德语"},
            base_salary="8600",
            reason="调薪",
        )
    url = reverse("org:employee_detail", args=[wang.pk])
    hr_page = login(world.hr).get(url).content.decode()
    assert "张经理" in hr_page and "德语" in hr_page and "8600.00" in hr_page
    assert 'data-testid="salary"' in hr_page and "调薪" in hr_page
    manager_page = login(world.manager).get(url).content.decode()
    assert 'data-testid="salary"' not in manager_page and "8600.00" not in manager_page
    own_page = login(world.employee).get(url).content.decode()
    assert "8600.00" in own_page and "编辑资料" not in own_page


def test_create_form_shows_field_errors_from_the_service(world: World) -> None:
    client = login(world.hr)
    response = client.post(
        reverse("org:employee_create"),
        {
            "employee_number": "A004",
            "name": "重号",
            "hire_date": "2026-03-01",
            "department": world.sales.pk,
            "status": "active",
            "employment_type": "full_time",
            "working_hour_system": "standard",
            "base_salary": "-5",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'data-testid="error-employee_number"' in body
    assert 'data-testid="error-base_salary"' in body
    response = client.post(
        reverse("org:employee_create"),
        {
            "employee_number": "A400",
            "name": "小周",
            "hire_date": "2026-03-01",
            "department": world.sales.pk,
            "status": "probation",
            "employment_type": "intern",
            "working_hour_system": "standard",
            "base_salary": "4000",
            "manager_number": "A003",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        zhou = Employee.objects.get(employee_number="A400")
    assert zhou.manager == world.manager.employee
    assert response["Location"] == reverse("org:employee_detail", args=[zhou.pk])


def test_edit_form_keeps_tracked_fields_out_and_saves_custom_fields(world: World) -> None:
    with scope(company=world.company):
        services.custom_field_create(
            company=world.company,
            actor=world.hr,
            code="years",
            label="外贸年限",
            field_type="number",
            required=True,
        )
        li = world.teammate.employee
    client = login(world.hr)
    url = reverse("org:employee_edit", args=[li.pk])
    page = client.get(url).content.decode()
    assert 'name="base_salary"' not in page and 'name="cf_years"' in page
    data = {
        "employee_number": "A005",
        "name": "李哥",
        "hire_date": "2020-03-01",
        "employment_type": "full_time",
        "cf_years": "",
    }
    response = client.post(url, data)
    assert response.status_code == 422
    assert 'data-testid="error-cf_years"' in response.content.decode()
    response = client.post(url, {**data, "cf_years": "6"})
    assert response.status_code == 302
    with scopes_disabled():
        assert Employee.objects.get(pk=li.pk).custom_fields == {"years": 6}


def test_change_form_applies_or_schedules(world: World) -> None:
    client = login(world.hr)
    with scopes_disabled():
        wang = world.employee.employee
    url = reverse("org:employee_change", args=[wang.pk])
    response = client.post(
        url,
        {
            "field": "manager",
            "manager_number": "A004",
            "effective_date": "2026-01-01",
            "reason": "x",
        },
    )
    assert response.status_code == 422
    assert 'data-testid="error-manager_number"' in response.content.decode()
    response = client.post(
        url,
        {"field": "base_salary", "base_salary": "", "effective_date": "2026-01-01", "reason": "x"},
    )
    assert 'data-testid="error-base_salary"' in response.content.decode()
    response = client.post(
        url,
        {
            "field": "base_salary",
            "base_salary": "12000",
            "effective_date": "2099-01-01",
            "reason": "远期",
        },
    )
    assert response.status_code == 302
    response = client.post(
        url,
        {
            "field": "manager",
            "manager_number": "A006",
            "effective_date": "2026-01-01",
            "reason": "换上级",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        wang.refresh_from_db()
        assert wang.manager == world.other_team.employee
        assert EmploymentChange.objects.filter(employee=wang, applied=False).count() == 1
    page = client.get(reverse("org:employee_detail", args=[wang.pk])).content.decode()
    assert "待生效" in page and "赵工" in page


def test_department_tree_page_and_clear_errors(world: World) -> None:
    client = login(world.hr)
    page = client.get(reverse("org:department_tree")).content.decode()
    assert page.count('data-testid="department-row"') == 3 and "张经理" in page
    response = client.post(
        reverse("org:department_create"), {"name": "销售部", "parent": world.sales.parent_id}
    )
    assert response.status_code == 422
    assert 'data-testid="error-name"' in response.content.decode()
    response = client.post(
        reverse("org:department_edit", args=[world.sales.parent_id]),
        {
            "name": "星海外贸",
            "parent": world.sales.pk,
            "sort_order": 0,
        },
    )
    assert response.status_code == 422
    assert "循环" in response.content.decode()
    response = client.post(
        reverse("org:department_edit", args=[world.rd.pk]),
        {
            "name": "研发中心",
            "parent": world.sales.parent_id,
            "head_number": "A006",
            "sort_order": 1,
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        rd = Department.objects.get(pk=world.rd.pk)
    assert (rd.name, rd.head, rd.sort_order) == ("研发中心", world.other_team.employee, 1)
    response = client.post(reverse("org:department_delete", args=[world.sales.pk]), follow=True)
    assert "3 名员工" in response.content.decode()


def test_settings_pages_create_edit_and_refuse_removing_a_used_choice(world: World) -> None:
    client = login(world.hr)
    url = reverse("org:custom_field_list")
    response = client.post(
        url,
        {
            "code": "language",
            "label": "语种",
            "field_type": "choice",
            "choices": "德语\n英语",
            "sort_order": 0,
        },
    )
    assert response.status_code == 302
    with scope(company=world.company):
        field = CustomField.objects.get(code="language")
        services.employee_update(
            employee=world.employee.employee, actor=world.hr, custom_fields={"language": "德语"}
        )
    assert "德语" in client.get(url, {"edit": field.pk}).content.decode()
    response = client.post(
        url,
        {
            "id": field.pk,
            "code": "language",
            "label": "语种",
            "field_type": "choice",
            "choices": "英语",
            "sort_order": 0,
        },
    )
    assert response.status_code == 422
    assert "仍有 1 名员工在使用" in response.content.decode()
    response = client.post(
        reverse("org:work_location_list"),
        {
            "name": "慕尼黑",
            "country": "DE",
            "time_zone": "Europe/Munich",
            "geofence_radius_m": 300,
        },
    )
    assert response.status_code == 422
    assert 'data-testid="error-time_zone"' in response.content.decode()


def test_navigation_shows_settings_to_hr_only(world: World) -> None:
    settings_url = reverse("org:position_list")
    assert settings_url in login(world.hr).get(reverse("org:employee_list")).content.decode()
    assert (
        settings_url not in login(world.manager).get(reverse("org:employee_list")).content.decode()
    )
