"""The importer's fast insert of new employees stores what ``save()`` would store."""

from __future__ import annotations

import datetime as dt
import gc
from decimal import Decimal

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from jixiao.imports.engine import gc_paused
from jixiao.org.importers import _EmployeeBuilder, _insert_employees
from jixiao.org.models import Employee, EmployeeStatus, EmploymentType, WorkingHourSystem
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_inserted_employees_read_back_like_saved_ones(world: World) -> None:
    company = world.company
    before = timezone.now()
    now = before.replace(microsecond=123456)
    boss = world.manager_employee
    builder = _EmployeeBuilder(company_id=company.pk, now=now)
    full = builder.build(
        number="N001",
        custom_fields={"language": "德语", "level": 3},
        values={
            "name": "新人甲",
            "english_name": "Jia",
            "email": "jia@example.com",
            "phone": "+8613912345678",
            "hire_date": dt.date(2024, 3, 1),
            "probation_end_date": dt.date(2024, 6, 1),
            "status": EmployeeStatus.PROBATION,
            "employment_type": EmploymentType.INTERN,
            "working_hour_system": WorkingHourSystem.SHIFT,
            "base_salary": Decimal("12345.67"),
            "department_id": world.sales.pk,
            "manager_id": boss.pk,
        },
    )
    bare = builder.build(
        number="B001",  # the same 工号 as company B's 外人: keys are read per company
        custom_fields={},
        values={"name": "新人乙", "hire_date": dt.date(2023, 1, 2), "department_id": world.rd.pk},
    )
    with scope(company=company):
        _insert_employees([full, bare], company_id=company.pk)
    with scopes_disabled():
        outsider = Employee.objects.get(company=world.other_company, employee_number="B001")
        stored = {e.employee_number: e for e in Employee.objects.filter(company=company)}
    assert bare.pk != outsider.pk
    assert stored["N001"].pk == full.pk and stored["B001"].pk == bare.pk
    assert not full._state.adding
    one = stored["N001"]
    assert (one.name, one.english_name, one.email, one.phone) == (
        "新人甲",
        "Jia",
        "jia@example.com",
        "+8613912345678",
    )
    assert (one.hire_date, one.probation_end_date, one.termination_date) == (
        dt.date(2024, 3, 1),
        dt.date(2024, 6, 1),
        None,
    )
    assert (one.status, one.employment_type, one.working_hour_system) == (
        "probation",
        "intern",
        "shift",
    )
    assert one.base_salary == Decimal("12345.67")
    assert (one.department_id, one.manager_id, one.position_id, one.user_id) == (
        world.sales.pk,
        boss.pk,
        None,
        None,
    )
    assert one.custom_fields == {"language": "德语", "level": 3}
    assert one.created_at == now
    assert one.updated_at >= before  # auto_now, as bulk_create would set it
    other = stored["B001"]
    # The importer's defaults for what the row left out.
    assert (other.status, other.employment_type, other.working_hour_system) == (
        "active",
        "full_time",
        "standard",
    )
    assert other.base_salary == Decimal("0.00")
    assert other.custom_fields == {} and other.english_name == ""


def test_gc_is_paused_inside_and_restored_after_also_on_errors() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner step does not resume it early
    assert gc.isenabled()

    @gc_paused()
    def failing() -> None:
        assert not gc.isenabled()
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        failing()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
