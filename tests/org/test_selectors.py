"""Who sees whom, the list's filters and sorting, salary hiding, and query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from jixiao.org import selectors, services
from jixiao.org.models import Employee, EmployeeStatus
from jixiao.org.selectors import EmployeeFilters
from tests.conftest import World
from tests.factories import DepartmentFactory, EmployeeFactory, PositionFactory

pytestmark = pytest.mark.django_db


def _names(viewer: object, **filters: object) -> list[str]:
    qs = selectors.employee_queryset(viewer=viewer, filters=EmployeeFilters(**filters))  # type: ignore[arg-type]
    return [e.name for e in qs]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("hr", ["刘HR", "陈总", "张经理", "王姐", "李哥", "赵工"]),
        ("executive", ["刘HR", "陈总", "张经理", "王姐", "李哥", "赵工"]),
        ("manager", ["张经理", "王姐", "李哥"]),
        ("employee", ["王姐"]),
        ("other_hr", ["外人", "别家HR"]),
        ("platform_admin", []),
    ],
)
def test_visibility_by_role(in_a: World, role: str, expected: list[str]) -> None:
    viewer = getattr(in_a, role)
    with scopes_disabled():
        assert _names(viewer) == expected


def test_manager_sees_the_whole_subtree_and_direct_reports_elsewhere(in_a: World) -> None:
    night = DepartmentFactory(company=in_a.company, name="夜班", parent=in_a.sales)
    EmployeeFactory(company=in_a.company, department=night, name="小夜", employee_number="A200")
    # 赵工 in 研发部 now reports directly to 张经理.
    Employee.objects.filter(pk=in_a.other_team.employee.pk).update(manager=in_a.manager.employee)
    names = _names(in_a.manager)
    assert set(names) == {"张经理", "王姐", "李哥", "小夜", "赵工"}
    # The selector and the object rule agree on every employee.
    for employee in Employee.objects.all():
        assert in_a.manager.has_perm("org.view_employee", employee) is (employee.name in names)


def test_filters(in_a: World) -> None:
    hr = in_a.hr
    sales_pos = PositionFactory(company=in_a.company, name="外贸业务员", job_family="sales")
    tag = services.tag_create(company=in_a.company, actor=hr, name="老员工")
    services.custom_field_create(
        company=in_a.company,
        actor=hr,
        code="language",
        label="语种",
        field_type="choice",
        choices=["德语", "英语"],
    )
    services.custom_field_create(
        company=in_a.company, actor=hr, code="years", label="外贸年限", field_type="number"
    )
    wang = in_a.employee.employee
    li = in_a.teammate.employee
    services.employee_update(
        employee=wang,
        actor=hr,
        position=sales_pos,
        tags=[tag],
        custom_fields={"language": "英语", "years": "12"},
        email="wang@xinghai.cn",
        hire_date=dt.date(2012, 5, 1),
    )
    services.employee_update(
        employee=li,
        actor=hr,
        position=sales_pos,
        working_hour_system="unfixed",
        custom_fields={"language": "德语", "years": "3"},
        employment_type="part_time",
    )
    night = DepartmentFactory(company=in_a.company, name="夜班", parent=in_a.sales)
    EmployeeFactory(
        company=in_a.company,
        department=night,
        name="小夜",
        employee_number="A200",
        status=EmployeeStatus.LEFT,
        termination_date=dt.date(2026, 1, 1),
    )

    assert _names(hr, q="王") == ["王姐"]
    assert _names(hr, q="a00") == ["刘HR", "陈总", "张经理", "王姐", "李哥", "赵工"]
    assert _names(hr, q="xinghai.cn") == ["王姐"]
    assert _names(hr, department=in_a.sales.pk) == ["张经理", "王姐", "李哥", "小夜"]
    assert _names(hr, department=in_a.sales.pk, include_subdepartments=False) == [
        "张经理",
        "王姐",
        "李哥",
    ]
    assert _names(hr, status=["left"]) == ["小夜"]
    assert _names(hr, job_family="sales") == ["王姐", "李哥"]
    assert _names(hr, employment_type="part_time") == ["李哥"]
    assert _names(hr, working_hour_system="unfixed") == ["李哥"]
    assert _names(hr, tag=tag.pk) == ["王姐"]
    assert _names(hr, custom_field="language", custom_value="德语") == ["李哥"]
    assert _names(hr, custom_field="years", custom_value="12") == ["王姐"]
    assert _names(hr, custom_field="language") == ["王姐", "李哥"]
    assert _names(hr, hired_to=dt.date(2019, 12, 31)) == ["王姐"]
    assert _names(hr, hired_from=dt.date(2020, 1, 1), department=in_a.rd.pk) == ["赵工"]
    # Filters never widen what a viewer may see.
    assert _names(in_a.employee, department=in_a.rd.pk) == []


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("number", "A001"),
        ("-number", "A006"),
        ("name", "A001"),
        ("-name", "A002"),
        ("hire_date", "A006"),
        ("-hire_date", "A005"),
        ("department", "A001"),
        ("-department", "A005"),
        ("nonsense", "A001"),
    ],
)
def test_sorting(in_a: World, sort: str, first: str) -> None:
    Employee.objects.filter(employee_number="A006").update(hire_date=dt.date(2010, 1, 1))
    Employee.objects.filter(employee_number="A005").update(hire_date=dt.date(2025, 1, 1))
    qs = selectors.employee_queryset(viewer=in_a.hr, sort=sort)
    assert qs.first().employee_number == first  # type: ignore[union-attr]


def test_pagination_is_clamped(in_a: World) -> None:
    for i in range(60):
        EmployeeFactory(company=in_a.company, department=in_a.rd, employee_number=f"R{i:03d}")
    page = selectors.employee_page(viewer=in_a.hr, page=2)
    assert (page.count, page.page, page.num_pages, len(page.items)) == (66, 2, 2, 16)
    assert selectors.employee_page(viewer=in_a.hr, page=99).page == 2
    assert len(selectors.employee_page(viewer=in_a.hr, page_size=1000).items) == 66


def test_salary_is_visible_to_hr_and_to_oneself_only(in_a: World) -> None:
    page = selectors.employee_page(viewer=in_a.hr)
    assert page.salary_visible == {e.pk for e in page.items}
    for role in ("executive", "manager"):
        viewer = getattr(in_a, role)
        page = selectors.employee_page(viewer=viewer)
        assert page.salary_visible == {viewer.employee.pk}
    page = selectors.employee_page(viewer=in_a.employee)
    assert page.salary_visible == {in_a.employee.employee.pk}


def test_history_hides_salary_changes_from_who_may_not_see_salary(in_a: World) -> None:
    wang = in_a.employee.employee
    services.employee_update(employee=wang, actor=in_a.hr, base_salary=Decimal("9000"))
    services.employee_update(employee=wang, actor=in_a.hr, department=in_a.rd)
    assert {c.field for c in selectors.employee_history(viewer=in_a.hr, employee=wang)} == {
        "base_salary",
        "department",
    }
    assert {c.field for c in selectors.employee_history(viewer=in_a.employee, employee=wang)} == {
        "base_salary",
        "department",
    }
    assert {c.field for c in selectors.employee_history(viewer=in_a.executive, employee=wang)} == {
        "department",
    }


def test_a_page_costs_a_fixed_number_of_queries(
    in_a: World, django_assert_max_num_queries: object
) -> None:
    tag = services.tag_create(company=in_a.company, actor=in_a.hr, name="老员工")
    position = PositionFactory(company=in_a.company)
    for i in range(80):
        e = EmployeeFactory(
            company=in_a.company,
            department=in_a.sales,
            employee_number=f"S{i:03d}",
            manager=in_a.manager.employee,
            position=position,
        )
        e.tags.add(tag)
    for viewer in (in_a.hr, in_a.manager):
        fresh = type(viewer).objects.get(pk=viewer.pk)
        with django_assert_max_num_queries(8):  # type: ignore[operator]
            page = selectors.employee_page(viewer=fresh, filters=EmployeeFilters(q="S0"), page=1)
            for e in page.items:
                _ = (
                    e.department.name,
                    e.position.name,
                    e.manager.name,
                    [t.name for t in e.tag_list],
                )
        assert len(page.items) == 50


def test_department_tree_counts_people_not_yet_left(in_a: World) -> None:
    night = DepartmentFactory(company=in_a.company, name="夜班", parent=in_a.sales)
    EmployeeFactory(company=in_a.company, department=night, employee_number="A200")
    EmployeeFactory(
        company=in_a.company,
        department=night,
        employee_number="A201",
        status=EmployeeStatus.LEFT,
        termination_date=dt.date(2026, 1, 1),
    )
    roots = selectors.department_tree(in_a.employee)
    assert [r.department.name for r in roots] == ["星海外贸"]
    flat = {n.department.name: n for n in selectors.department_flat(roots)}
    assert (flat["星海外贸"].headcount, flat["星海外贸"].total_headcount) == (2, 7)
    assert (flat["销售部"].headcount, flat["销售部"].total_headcount) == (3, 4)
    assert (flat["夜班"].depth, flat["夜班"].total_headcount) == (2, 1)
    assert flat["销售部"].department.head == in_a.manager.employee
