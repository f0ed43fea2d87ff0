"""The nightly job applies due employment changes in every company, once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django_scopes import scope, scopes_disabled

from jixiao.core.models import Company
from jixiao.org import services
from jixiao.org.models import Employee, EmploymentChange
from jixiao.org.tasks import employment_changes_apply_all, employment_changes_apply_nightly
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_runs_at_five_past_midnight() -> None:
    assert employment_changes_apply_nightly.task_class().validate_datetime(
        dt.datetime(2026, 5, 1, 0, 5)
    )
    assert not employment_changes_apply_nightly.task_class().validate_datetime(
        dt.datetime(2026, 5, 1, 1, 5)
    )


def test_applies_due_changes_in_every_company_once(world: World) -> None:
    with time_machine.travel(dt.datetime(2026, 4, 10, 4, 0, tzinfo=dt.UTC), tick=False):
        for company, actor, user in (
            (world.company, world.hr, world.employee),
            (world.other_company, world.other_hr, world.outsider),
        ):
            with scope(company=company):
                services.employee_change_apply(
                    employee=Employee.objects.get(user=user),
                    field="base_salary",
                    value="9100",
                    effective_date=dt.date(2026, 5, 1),
                    reason="调薪",
                    actor=actor,
                )
    with scopes_disabled():
        suspended = Company.objects.create(name="停用公司", slug="gone", status="suspended")
    with time_machine.travel(dt.datetime(2026, 4, 20, 4, 0, tzinfo=dt.UTC), tick=False):
        assert employment_changes_apply_all() == {world.company.pk: 0, world.other_company.pk: 0}
    with time_machine.travel(dt.datetime(2026, 5, 1, 0, 5, tzinfo=dt.UTC), tick=False):
        result = employment_changes_apply_nightly.call_local()
        assert result == {world.company.pk: 1, world.other_company.pk: 1}
        assert suspended.pk not in result
        assert employment_changes_apply_nightly.call_local() == {
            world.company.pk: 0,
            world.other_company.pk: 0,
        }
    with scopes_disabled():
        assert not EmploymentChange.objects.filter(applied=False).exists()
        assert set(
            Employee.objects.filter(base_salary=Decimal("9100")).values_list("name", flat=True)
        ) == {"王姐", "外人"}
