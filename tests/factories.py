"""factory_boy factories for the foundation's models."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from jixiao.core.models import Company, Role, User
from jixiao.org.models import Department, Employee, Position, WorkLocation


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"测试公司{n}")
    slug = factory.Sequence(lambda n: f"company-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.EMPLOYEE
    password = factory.PostGenerationMethodCall("set_password", "pass-Word-123")

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"部门{n}")


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"岗位{n}")


class WorkLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkLocation

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"地点{n}")
    time_zone = "Asia/Shanghai"


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    company = factory.SubFactory(CompanyFactory)
    department = factory.SubFactory(DepartmentFactory, company=factory.SelfAttribute("..company"))
    employee_number = factory.Sequence(lambda n: f"E{n:05d}")
    name = factory.Sequence(lambda n: f"员工{n}")
    hire_date = dt.date(2020, 3, 1)
    base_salary = Decimal("8000.00")
