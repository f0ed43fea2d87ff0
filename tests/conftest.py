"""Shared fixtures. ``world`` is the permission-matrix cast used across the suite.

Company A (星海外贸) has a sales department headed by 张经理 with 王姐 and 李哥,
an R&D department with 赵工 (another team), HR admin 刘HR and executive 陈总.
Company B has 外人 (another company) and its own HR admin.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django_scopes import scopes_disabled

from jixiao.core.models import Company, Role, User
from jixiao.org.models import Department, Employee
from tests.factories import CompanyFactory, DepartmentFactory, EmployeeFactory, UserFactory

PASSWORD = "pass-Word-123"


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the site's default language (zh-hans).

    Django's LocaleMiddleware leaves the last request's language active in the
    thread, so a test client request by an English user would otherwise turn
    the messages of a later test on the same worker into English.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def unscoped() -> Iterator[None]:
    with scopes_disabled():
        yield


@dataclass
class World:
    company: Company
    other_company: Company
    sales: Department
    rd: Department
    hr: User
    executive: User
    manager: User
    employee: User
    teammate: User
    other_team: User
    outsider: User
    other_hr: User
    platform_admin: User

    @property
    def manager_employee(self) -> Employee:
        return self.manager.employee  # type: ignore[no-any-return]

    def person(self, user: User) -> Employee:
        return user.employee  # type: ignore[no-any-return]


def _member(company: Company, dept: Department, name: str, role: str, number: str) -> User:
    user = UserFactory(company=company, username=f"{company.slug}-{number}", role=role)
    EmployeeFactory(company=company, department=dept, name=name, employee_number=number, user=user)
    return user


@pytest.fixture
def world(db: None) -> World:
    with scopes_disabled():
        a = CompanyFactory(name="星海外贸", slug="xinghai")
        b = CompanyFactory(name="别家公司", slug="other")
        root = DepartmentFactory(company=a, name="星海外贸")
        sales = DepartmentFactory(company=a, name="销售部", parent=root)
        rd = DepartmentFactory(company=a, name="研发部", parent=root)
        b_root = DepartmentFactory(company=b, name="别家公司")
        hr = _member(a, root, "刘HR", Role.HR_ADMIN, "A001")
        executive = _member(a, root, "陈总", Role.EXECUTIVE, "A002")
        manager = _member(a, sales, "张经理", Role.MANAGER, "A003")
        employee = _member(a, sales, "王姐", Role.EMPLOYEE, "A004")
        teammate = _member(a, sales, "李哥", Role.EMPLOYEE, "A005")
        other_team = _member(a, rd, "赵工", Role.EMPLOYEE, "A006")
        outsider = _member(b, b_root, "外人", Role.EMPLOYEE, "B001")
        other_hr = _member(b, b_root, "别家HR", Role.HR_ADMIN, "B002")
        sales.head = manager.employee
        sales.save()
        for user in (employee, teammate):
            Employee.objects.filter(user=user).update(manager=manager.employee)
        platform_admin = UserFactory(company=None, username="platform", role=Role.PLATFORM_ADMIN)
        return World(
            a,
            b,
            sales,
            rd,
            hr,
            executive,
            manager,
            employee,
            teammate,
            other_team,
            outsider,
            other_hr,
            platform_admin,
        )


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for() -> object:
    return login
