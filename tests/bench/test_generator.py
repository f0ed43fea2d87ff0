"""The synthetic generator: the requested size, a sane org chart, the same rows for a seed."""

from __future__ import annotations

import pytest
from django_scopes import scope, scopes_disabled

from bench.generator import bench_companies_remove, generate
from jixiao.core.models import Company, Role
from jixiao.org.models import Department, Employee

pytestmark = pytest.mark.django_db


def _fingerprint(slug_prefix: str) -> list[tuple[str, str, str, str, str]]:
    with scopes_disabled():
        return list(
            Employee.objects.filter(company__slug__startswith=slug_prefix)
            .order_by("company__slug", "employee_number")
            .values_list("employee_number", "name", "department__name", "hire_date", "base_salary")
        )


def test_generates_the_requested_employees_across_companies() -> None:
    generated = generate(companies=3, employees=301, seed=7)
    assert [g.employees for g in generated] == [101, 100, 100]
    for g in generated:
        with scope(company=g.company):
            staff = Employee.objects.filter(company=g.company)
            assert staff.count() == g.employees
            # Exactly one person (the CEO) has no manager; every team has a head.
            assert staff.filter(manager__isnull=True).count() == 1
            assert not Department.objects.filter(head__isnull=True).exists()
            assert (
                not staff.exclude(manager__isnull=True).exclude(manager__company=g.company).exists()
            )
            assert g.hr.role == Role.HR_ADMIN and g.hr.employee.company == g.company
            assert g.manager.employee.direct_reports.exists()
            assert g.employee.employee.manager == g.manager.employee


def test_same_seed_same_rows_and_other_seed_other_rows() -> None:
    generate(employees=120, seed=1, slug_prefix="seed-a")
    generate(employees=120, seed=1, slug_prefix="seed-b")
    generate(employees=120, seed=2, slug_prefix="seed-c")
    a, b, c = _fingerprint("seed-a"), _fingerprint("seed-b"), _fingerprint("seed-c")
    assert [row[1:] for row in a] == [row[1:] for row in b]
    assert [row[1:] for row in a] != [row[1:] for row in c]


def test_leftover_bench_companies_are_removed_before_a_shared_database_run() -> None:
    generate(companies=2, employees=60, seed=3)
    assert bench_companies_remove() == 2
    assert not Company.objects.filter(slug__startswith="bench-").exists()


def test_refuses_sizes_too_small_for_an_org_chart() -> None:
    with pytest.raises(ValueError):
        generate(companies=2, employees=10)
