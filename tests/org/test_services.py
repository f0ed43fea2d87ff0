"""Org services: every validation, every refusal, and the audit trail they leave.

Company A is 星海外贸 (see ``tests/conftest.py``): 刘HR does the writing, 张经理
heads 销售部 where 王姐 and 李哥 work, 赵工 is in 研发部.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django_scopes import scope, scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.org import services
from jixiao.org.models import (
    CustomField,
    Department,
    Employee,
    EmployeeStatus,
    EmploymentChange,
    Position,
    Tag,
    WorkLocation,
)
from jixiao.org.selectors import employee_as_of
from tests.conftest import World
from tests.factories import PositionFactory, WorkLocationFactory

pytestmark = pytest.mark.django_db


def _fields(exc: pytest.ExceptionInfo[ServiceError]) -> dict[str, list[str]]:
    return exc.value.fields


def _last_event(world: World, action: str) -> AuditEvent:
    with scopes_disabled():
        event = AuditEvent.objects.filter(company=world.company, action=action).first()
    assert event is not None, f"no audit event {action}"
    return event


# --- Departments -----------------------------------------------------------------


def test_department_create_refuses_a_sibling_with_the_same_name(in_a: World) -> None:
    root = in_a.sales.parent
    with pytest.raises(ServiceError) as exc:
        services.department_create(company=in_a.company, actor=in_a.hr, name="销售部", parent=root)
    assert "name" in _fields(exc)
    # The same name under another parent is fine: 研发部/销售部 is a different node.
    dept = services.department_create(
        company=in_a.company, actor=in_a.hr, name="销售部", parent=in_a.rd
    )
    assert dept.parent == in_a.rd


def test_department_create_refuses_a_duplicate_code_and_a_foreign_parent(in_a: World) -> None:
    services.department_create(company=in_a.company, actor=in_a.hr, name="华东", code="EAST")
    with pytest.raises(ServiceError) as exc:
        services.department_create(company=in_a.company, actor=in_a.hr, name="华南", code="EAST")
    assert "code" in _fields(exc)
    with scopes_disabled():
        foreign = Department.objects.filter(company=in_a.other_company).first()
    with pytest.raises(ServiceError) as exc:
        services.department_create(company=in_a.company, actor=in_a.hr, name="X", parent=foreign)
    assert "parent" in _fields(exc)


def test_department_move_refuses_a_cycle_at_any_depth(in_a: World) -> None:
    team = services.department_create(
        company=in_a.company, actor=in_a.hr, name="德语组", parent=in_a.sales
    )
    night = services.department_create(
        company=in_a.company, actor=in_a.hr, name="夜班", parent=team
    )
    with pytest.raises(ServiceError) as exc:
        services.department_move(department=in_a.sales, new_parent=night, actor=in_a.hr)
    assert "循环" in _fields(exc)["parent"][0]
    with pytest.raises(ServiceError):
        services.department_move(department=in_a.sales, new_parent=in_a.sales, actor=in_a.hr)
    moved = services.department_move(department=team, new_parent=in_a.rd, actor=in_a.hr)
    assert moved.parent == in_a.rd
    event = _last_event(in_a, "org.department.move")
    assert event.changes == {"parent": [in_a.sales.pk, in_a.rd.pk]}


def test_department_delete_names_how_many_people_and_children_block_it(in_a: World) -> None:
    services.department_create(
        company=in_a.company, actor=in_a.hr, name="德语组", parent=in_a.sales
    )
    with pytest.raises(ServiceError) as exc:
        services.department_delete(department=in_a.sales, actor=in_a.hr)
    assert exc.value.code == "department_not_empty"
    assert "3 名员工" in exc.value.message
    assert "1 个下级部门" in exc.value.message
    assert Department.objects.filter(pk=in_a.sales.pk).exists()


def test_department_delete_of_an_empty_department_is_audited(in_a: World) -> None:
    empty = services.department_create(company=in_a.company, actor=in_a.hr, name="临时项目组")
    services.department_delete(department=empty, actor=in_a.hr, reason="项目结束")
    assert not Department.objects.filter(pk=empty.pk).exists()
    event = _last_event(in_a, "org.department.delete")
    assert event.changes["name"] == ["临时项目组", None]
    assert event.reason == "项目结束"


def test_department_head_must_be_a_current_employee_of_the_company(in_a: World) -> None:
    with scopes_disabled():
        outsider = in_a.outsider.employee
    with pytest.raises(ServiceError) as exc:
        services.department_head_set(department=in_a.rd, head=outsider, actor=in_a.hr)
    assert "head" in _fields(exc)
    zhao = in_a.other_team.employee
    services.department_head_set(department=in_a.rd, head=zhao, actor=in_a.hr)
    assert Department.objects.get(pk=in_a.rd.pk).head == zhao


def test_department_rename_is_audited_with_before_and_after(in_a: World) -> None:
    services.department_update(department=in_a.rd, actor=in_a.hr, name="研发中心", reason="改名")
    event = _last_event(in_a, "org.department.update")
    assert event.changes == {"name": ["研发部", "研发中心"]}


# --- Positions, locations, tags ----------------------------------------------------------


def test_position_names_are_unique_and_a_held_position_cannot_be_deleted(in_a: World) -> None:
    position = services.position_create(
        company=in_a.company, actor=in_a.hr, name="外贸业务员", job_family="sales"
    )
    with pytest.raises(ServiceError) as exc:
        services.position_create(company=in_a.company, actor=in_a.hr, name="外贸业务员")
    assert "name" in _fields(exc)
    with pytest.raises(ServiceError) as exc:
        services.position_create(company=in_a.company, actor=in_a.hr, name="X", job_family="pilot")
    assert "job_family" in _fields(exc)
    Employee.objects.filter(pk=in_a.employee.employee.pk).update(position=position)
    with pytest.raises(ServiceError) as exc:
        services.position_delete(position=position, actor=in_a.hr)
    assert "1 名员工" in exc.value.message
    Employee.objects.update(position=None)
    services.position_delete(position=position, actor=in_a.hr)
    assert not Position.objects.filter(pk=position.pk).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Europe/Berlinn"}, "time_zone"),
        ({"time_zone": "CST"}, "time_zone"),
        ({"country": "XX"}, "country"),
        ({"country": "CHN"}, "country"),
        ({"latitude": "91", "longitude": "10"}, "latitude"),
        ({"latitude": "30", "longitude": "181"}, "longitude"),
        ({"latitude": "30"}, "longitude"),
        ({"geofence_radius_m": 0}, "geofence_radius_m"),
        ({"name": ""}, "name"),
    ],
)
def test_work_location_validation(in_a: World, changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "name": "慕尼黑办事处",
        "time_zone": "Europe/Berlin",
        "country": "DE",
    }
    values.update(changes)
    with pytest.raises(ServiceError) as exc:
        services.work_location_create(company=in_a.company, actor=in_a.hr, **values)  # type: ignore[arg-type]
    assert field in _fields(exc)


def test_work_location_create_update_delete(in_a: World) -> None:
    location = services.work_location_create(
        company=in_a.company,
        actor=in_a.hr,
        name="慕尼黑办事处",
        country="de",
        city="München",
        time_zone="Europe/Berlin",
        latitude="48.137154",
        longitude="11.576124",
        geofence_radius_m=150,
    )
    assert location.country == "DE"
    assert location.latitude == Decimal("48.137154")
    services.work_location_update(location=location, actor=in_a.hr, geofence_radius_m=200)
    assert _last_event(in_a, "org.work_location.update").changes == {
        "geofence_radius_m": [150, 200]
    }
    Employee.objects.filter(pk=in_a.teammate.employee.pk).update(work_location=location)
    with pytest.raises(ServiceError) as exc:
        services.work_location_delete(location=location, actor=in_a.hr)
    assert "1 名员工" in exc.value.message
    Employee.objects.update(work_location=None)
    services.work_location_delete(location=location, actor=in_a.hr)
    assert not WorkLocation.objects.filter(pk=location.pk).exists()


def test_tags_are_unique_and_deleting_one_takes_it_off_people(in_a: World) -> None:
    tag = services.tag_create(company=in_a.company, actor=in_a.hr, name="老员工")
    with pytest.raises(ServiceError):
        services.tag_create(company=in_a.company, actor=in_a.hr, name="老员工")
    wang = in_a.employee.employee
    wang.tags.add(tag)
    services.tag_update(tag=tag, actor=in_a.hr, name="资深员工")
    services.tag_delete(tag=tag, actor=in_a.hr)
    assert not Tag.objects.exists()
    assert list(wang.tags.all()) == []
    assert _last_event(in_a, "org.tag.delete").changes["employees"] == [[wang.pk], None]


# --- Custom fields ------------------------------------------------------------------------


def _language_field(world: World, required: bool = False) -> CustomField:
    return services.custom_field_create(
        company=world.company,
        actor=world.hr,
        code="language",
        label="语种",
        field_type="choice",
        choices=["德语", "英语", "日语"],
        required=required,
    )


def test_custom_field_definitions_are_checked(in_a: World) -> None:
    with pytest.raises(ServiceError) as exc:
        services.custom_field_create(
            company=in_a.company, actor=in_a.hr, code="Bad Code", label="x"
        )
    assert "code" in _fields(exc)
    with pytest.raises(ServiceError) as exc:
        services.custom_field_create(
            company=in_a.company, actor=in_a.hr, code="level", label="客户等级", field_type="choice"
        )
    assert "choices" in _fields(exc)
    _language_field(in_a)
    with pytest.raises(ServiceError) as exc:
        services.custom_field_create(
            company=in_a.company, actor=in_a.hr, code="language", label="y"
        )
    assert "code" in _fields(exc)


def test_removing_a_choice_still_in_use_is_refused_with_a_count(in_a: World) -> None:
    field = _language_field(in_a)
    services.employee_update(
        employee=in_a.teammate.employee, actor=in_a.hr, custom_fields={"language": "德语"}
    )
    with pytest.raises(ServiceError) as exc:
        services.custom_field_update(field=field, actor=in_a.hr, choices=["英语", "日语"])
    assert "“德语”仍有 1 名员工在使用" in _fields(exc)["choices"][0]
    # An unused choice can go; the change is audited.
    services.custom_field_update(field=field, actor=in_a.hr, choices=["德语", "英语"])
    assert _last_event(in_a, "org.custom_field.update").changes == {
        "choices": [["德语", "英语", "日语"], ["德语", "英语"]]
    }
    with pytest.raises(ServiceError) as exc:
        services.custom_field_update(field=field, actor=in_a.hr, field_type="text")
    assert "field_type" in _fields(exc)
    with pytest.raises(ServiceError) as exc:
        services.custom_field_delete(field=field, actor=in_a.hr)
    assert "1 名员工" in exc.value.message


@pytest.mark.parametrize(
    ("definition", "value", "ok"),
    [
        ({"field_type": "number"}, "12.5", True),
        ({"field_type": "number"}, "twelve", False),
        ({"field_type": "number"}, True, False),
        ({"field_type": "date"}, "2026-02-30", False),
        ({"field_type": "date"}, "2026-02-28", True),
        ({"field_type": "choice", "choices": ["A", "B"]}, "C", False),
        ({"field_type": "choice", "choices": ["A", "B"]}, "B", True),
        ({"field_type": "text"}, "x" * 501, False),
    ],
)
def test_custom_field_values_are_checked_against_their_type(
    in_a: World, definition: dict[str, object], value: object, ok: bool
) -> None:
    services.custom_field_create(
        company=in_a.company,
        actor=in_a.hr,
        code="extra",
        label="附加",
        **definition,  # type: ignore[arg-type]
    )
    _clean, errors = services.custom_field_values_clean(
        company=in_a.company, values={"extra": value}
    )
    assert (not errors) is ok
    if not ok:
        assert list(errors) == ["custom_fields.extra"]


def test_required_and_unknown_custom_fields(in_a: World) -> None:
    _language_field(in_a, required=True)
    _, errors = services.custom_field_values_clean(company=in_a.company, values={})
    assert "custom_fields.language" in errors
    _, errors = services.custom_field_values_clean(
        company=in_a.company, values={"language": "德语", "shoe_size": "42"}
    )
    assert list(errors) == ["custom_fields.shoe_size"]


# --- Employees -------------------------------------------------------------------------------


def _new(world: World, **values: object) -> Employee:
    data: dict[str, object] = {
        "employee_number": "A100",
        "name": "小周",
        "hire_date": dt.date(2026, 3, 1),
        "department": world.sales,
    }
    data.update(values)
    return services.employee_create(company=world.company, actor=world.hr, **data)  # type: ignore[arg-type]


def test_employee_create_writes_the_row_and_an_audit_event(in_a: World) -> None:
    tag = services.tag_create(company=in_a.company, actor=in_a.hr, name="外派")
    employee = _new(
        in_a, manager=in_a.manager.employee, base_salary="9000", tags=[tag], email=" zhou@x.cn "
    )
    assert employee.base_salary == Decimal("9000")
    assert employee.email == "zhou@x.cn"
    event = _last_event(in_a, "org.employee.create")
    assert event.object_id == str(employee.pk)
    assert event.changes["employee_number"] == [None, "A100"]
    assert event.changes["base_salary"] == [None, "9000.00"]
    assert event.changes["tags"] == [None, [tag.pk]]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"employee_number": "A004"}, "employee_number"),
        ({"employee_number": " "}, "employee_number"),
        ({"name": ""}, "name"),
        ({"base_salary": Decimal("-1")}, "base_salary"),
        ({"base_salary": "abc"}, "base_salary"),
        ({"base_salary": Decimal("1.001")}, "base_salary"),
        ({"termination_date": dt.date(2026, 2, 1), "status": "left"}, "termination_date"),
        ({"status": "left"}, "termination_date"),
        ({"termination_date": dt.date(2026, 5, 1)}, "termination_date"),
        ({"probation_end_date": dt.date(2026, 2, 28)}, "probation_end_date"),
        ({"status": "on_leave"}, "leave_start_date"),
        ({"status": "retired"}, "status"),
        ({"working_hour_system": "996"}, "working_hour_system"),
        ({"custom_fields": {"nope": "1"}}, "custom_fields.nope"),
    ],
)
def test_employee_create_validation(in_a: World, values: dict[str, object], field: str) -> None:
    with pytest.raises(ServiceError) as exc:
        _new(in_a, **values)
    assert field in _fields(exc), _fields(exc)
    assert not Employee.objects.filter(employee_number="A100").exists()


def test_employee_relations_must_belong_to_the_same_company(in_a: World) -> None:
    with scopes_disabled():
        b = in_a.other_company
        foreign_manager = in_a.outsider.employee
        foreign_dept = Department.objects.filter(company=b).first()
        foreign_position = PositionFactory(company=b)
        foreign_location = WorkLocationFactory(company=b)
    for values, field in (
        ({"manager": foreign_manager}, "manager"),
        ({"department": foreign_dept}, "department"),
        ({"position": foreign_position}, "position"),
        ({"work_location": foreign_location}, "work_location"),
    ):
        with pytest.raises(ServiceError) as exc:
            _new(in_a, **values)
        assert field in _fields(exc)


def test_the_same_number_is_fine_in_another_company(in_a: World) -> None:
    with scope(company=in_a.other_company), scopes_disabled():
        b_root = Department.objects.filter(company=in_a.other_company).first()
        employee = services.employee_create(
            company=in_a.other_company,
            actor=in_a.other_hr,
            employee_number="A004",
            name="同号不同公司",
            hire_date=dt.date(2026, 1, 1),
            department=b_root,  # type: ignore[arg-type]
        )
    assert employee.employee_number == "A004"


def test_manager_loops_are_refused_walking_up_the_chain(in_a: World) -> None:
    zhang = in_a.manager.employee
    wang = in_a.employee.employee
    # 王姐 reports to 张经理; a new hire reports to 王姐.
    zhou = _new(in_a, manager=wang)
    with pytest.raises(ServiceError) as exc:
        services.employee_update(employee=zhang, actor=in_a.hr, manager=zhou)
    assert "循环" in _fields(exc)["manager"][0]
    with pytest.raises(ServiceError) as exc:
        services.employee_update(employee=zhang, actor=in_a.hr, manager=zhang)
    assert "manager" in _fields(exc)
    assert Employee.objects.get(pk=zhang.pk).manager_id is None


def test_employee_update_records_tracked_fields_as_history_today(in_a: World) -> None:
    wang = in_a.employee.employee
    with time_machine.travel(dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        services.employee_update(
            employee=wang, actor=in_a.hr, base_salary=Decimal("8800"), phone="138", reason="调薪"
        )
    change = EmploymentChange.objects.get(employee=wang)
    assert (change.field, change.old_value, change.new_value) == (
        "base_salary",
        "8000.00",
        "8800.00",
    )
    assert change.effective_date == dt.date(2026, 6, 1)
    event = _last_event(in_a, "org.employee.update")
    assert event.changes == {"phone": ["", "138"], "base_salary": ["8000.00", "8800.00"]}
    assert event.reason == "调薪"


def test_updating_custom_fields_keeps_the_others(in_a: World) -> None:
    _language_field(in_a)
    services.custom_field_create(
        company=in_a.company, actor=in_a.hr, code="country", label="驻外国家"
    )
    li = in_a.teammate.employee
    services.employee_update(employee=li, actor=in_a.hr, custom_fields={"language": "德语"})
    services.employee_update(employee=li, actor=in_a.hr, custom_fields={"country": "德国"})
    assert Employee.objects.get(pk=li.pk).custom_fields == {"language": "德语", "country": "德国"}
    with pytest.raises(ServiceError) as exc:
        services.employee_update(employee=li, actor=in_a.hr, custom_fields={"language": "法语"})
    assert "custom_fields.language" in _fields(exc)


# --- Effective-dated changes -------------------------------------------------------------------


NOW = dt.datetime(2026, 4, 10, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


def test_a_change_dated_today_or_earlier_applies_at_once(in_a: World) -> None:
    wang = in_a.employee.employee
    with time_machine.travel(NOW, tick=False):
        change = services.employee_change_apply(
            employee=wang,
            field="department",
            value=in_a.rd.pk,
            effective_date=dt.date(2026, 4, 1),
            reason="调岗研发",
            actor=in_a.hr,
        )
    assert change.applied
    assert (change.old_display, change.new_display) == ("销售部", "研发部")
    assert Employee.objects.get(pk=wang.pk).department == in_a.rd
    event = _last_event(in_a, "org.employee.change_apply")
    assert event.changes == {"department": [in_a.sales.pk, in_a.rd.pk]}
    assert event.reason == "调岗研发"


def test_a_future_change_waits_for_the_task_and_applies_only_when_due(in_a: World) -> None:
    wang = in_a.employee.employee
    with time_machine.travel(NOW, tick=False):
        change = services.employee_change_apply(
            employee=wang,
            field="base_salary",
            value="9500",
            effective_date=dt.date(2026, 5, 1),
            reason="年度调薪",
            actor=in_a.hr,
        )
        assert not change.applied
        assert Employee.objects.get(pk=wang.pk).base_salary == Decimal("8000.00")
        assert _last_event(in_a, "org.employee.change_schedule").changes["base_salary"] == [
            None,
            "9500.00",
        ]
    # 2026-04-30 23:59 in Shanghai: not yet due.
    with time_machine.travel(dt.datetime(2026, 4, 30, 15, 59, tzinfo=dt.UTC), tick=False):
        assert services.employment_changes_apply_due(company=in_a.company) == 0
    assert Employee.objects.get(pk=wang.pk).base_salary == Decimal("8000.00")
    # 2026-05-01 00:05 in Shanghai: due.
    with time_machine.travel(dt.datetime(2026, 4, 30, 16, 5, tzinfo=dt.UTC), tick=False):
        assert services.employment_changes_apply_due(company=in_a.company) == 1
        assert services.employment_changes_apply_due(company=in_a.company) == 0
    change.refresh_from_db()
    assert change.applied and change.old_value == "8000.00"
    assert Employee.objects.get(pk=wang.pk).base_salary == Decimal("9500.00")
    applied_events = AuditEvent.objects.filter(action="org.employee.change_apply")
    assert applied_events.count() == 1
    assert applied_events.get().actor is None


def test_a_due_change_that_no_longer_fits_stays_pending_with_its_reason(in_a: World) -> None:
    wang = in_a.employee.employee
    zhao = in_a.other_team.employee
    with time_machine.travel(NOW, tick=False):
        services.employee_change_apply(
            employee=wang,
            field="manager",
            value=zhao.pk,
            effective_date=dt.date(2026, 5, 1),
            reason="换上级",
            actor=in_a.hr,
        )
        # Meanwhile 赵工 is made to report to 王姐: the pending change would now loop.
        services.employee_update(employee=zhao, actor=in_a.hr, manager=wang)
    with time_machine.travel(dt.datetime(2026, 5, 2, 4, 0, tzinfo=dt.UTC), tick=False):
        assert services.employment_changes_apply_due(company=in_a.company) == 0
    pending = EmploymentChange.objects.get(employee=wang, field="manager")
    assert not pending.applied
    assert "循环" in pending.apply_error


def test_invalid_changes_are_refused(in_a: World) -> None:
    wang = in_a.employee.employee
    zhang = in_a.manager.employee
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ServiceError) as exc:
            services.employee_change_apply(
                employee=zhang,
                field="manager",
                value=wang.pk,
                effective_date=dt.date(2026, 4, 1),
                reason="x",
                actor=in_a.hr,
            )
        assert "value" in _fields(exc)
        with pytest.raises(ServiceError) as exc:
            services.employee_change_apply(
                employee=wang,
                field="base_salary",
                value="-5",
                effective_date=dt.date(2026, 4, 1),
                reason="x",
                actor=in_a.hr,
            )
        assert "value" in _fields(exc)
        with pytest.raises(ServiceError) as exc:
            services.employee_change_apply(
                employee=wang,
                field="department",
                value=in_a.rd.pk,
                effective_date=dt.date(2026, 4, 1),
                reason=" ",
                actor=in_a.hr,
            )
        assert "reason" in _fields(exc)
        with pytest.raises(ServiceError) as exc:
            services.employee_change_apply(
                employee=wang,
                field="department",
                value=in_a.rd.pk,
                effective_date=dt.date(2019, 1, 1),
                reason="x",
                actor=in_a.hr,
            )
        assert "effective_date" in _fields(exc)
        services.employee_change_apply(
            employee=wang,
            field="department",
            value=in_a.rd.pk,
            effective_date=dt.date(2026, 4, 1),
            reason="x",
            actor=in_a.hr,
        )
        with pytest.raises(ServiceError) as exc:
            services.employee_change_apply(
                employee=wang,
                field="department",
                value=in_a.sales.pk,
                effective_date=dt.date(2026, 3, 1),
                reason="补录",
                actor=in_a.hr,
            )
        assert "effective_date" in _fields(exc)
    assert EmploymentChange.objects.filter(employee=wang).count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "retired"), ("working_hour_system", "996"), ("position", "abc"), ("nope", "x")],
)
def test_change_values_are_checked(in_a: World, field: str, value: str) -> None:
    with pytest.raises(ServiceError) as exc:
        services.employee_change_apply(
            employee=in_a.employee.employee,
            field=field,
            value=value,
            effective_date=dt.date(2026, 4, 1),
            reason="x",
            actor=in_a.hr,
        )
    assert set(_fields(exc)) <= {"value", "field"} and _fields(exc)


def test_status_leave_and_rehire(in_a: World) -> None:
    li = in_a.teammate.employee
    with time_machine.travel(NOW, tick=False):
        services.employee_change_apply(
            employee=li,
            field="status",
            value="on_leave",
            effective_date=dt.date(2026, 4, 1),
            reason="产假",
            actor=in_a.hr,
        )
        li.refresh_from_db()
        assert (li.status, li.leave_start_date) == ("on_leave", dt.date(2026, 4, 1))
        services.employee_change_apply(
            employee=li,
            field="status",
            value="left",
            effective_date=dt.date(2026, 4, 8),
            reason="辞职",
            actor=in_a.hr,
        )
        li.refresh_from_db()
        assert (li.status, li.termination_date) == ("left", dt.date(2026, 4, 8))
        with pytest.raises(ServiceError):
            services.employee_change_apply(
                employee=li,
                field="status",
                value="on_leave",
                effective_date=dt.date(2026, 4, 9),
                reason="x",
                actor=in_a.hr,
            )
        with pytest.raises(ServiceError) as exc:
            services.employee_rehire(
                employee=li, hire_date=dt.date(2026, 4, 8), actor=in_a.hr, reason="回归"
            )
        assert "effective_date" in _fields(exc)
        services.employee_rehire(
            employee=li, hire_date=dt.date(2026, 4, 10), actor=in_a.hr, reason="回归"
        )
    li.refresh_from_db()
    assert li.status == EmployeeStatus.PROBATION
    assert li.hire_date == dt.date(2026, 4, 10)
    assert li.termination_date is None and li.leave_start_date is None


def test_probation_to_active_sets_the_probation_end(in_a: World) -> None:
    zhou = _new(in_a, status="probation", probation_end_date=dt.date(2026, 9, 1))
    with time_machine.travel(NOW, tick=False):
        services.employee_change_apply(
            employee=zhou,
            field="status",
            value="active",
            effective_date=dt.date(2026, 4, 10),
            reason="提前转正",
            actor=in_a.hr,
        )
    zhou.refresh_from_db()
    assert (zhou.status, zhou.probation_end_date) == ("active", dt.date(2026, 4, 10))


def test_pending_change_can_be_cancelled_but_not_an_applied_one(in_a: World) -> None:
    wang = in_a.employee.employee
    with time_machine.travel(NOW, tick=False):
        pending = services.employee_change_apply(
            employee=wang,
            field="working_hour_system",
            value="comprehensive",
            effective_date=dt.date(2026, 7, 1),
            reason="综合工时审批",
            actor=in_a.hr,
        )
        applied = services.employee_change_apply(
            employee=wang,
            field="working_hour_system",
            value="flexible",
            effective_date=dt.date(2026, 4, 10),
            reason="弹性",
            actor=in_a.hr,
        )
    services.employment_change_cancel(change=pending, actor=in_a.hr, reason="撤回")
    assert not EmploymentChange.objects.filter(pk=pending.pk).exists()
    assert _last_event(in_a, "org.employee.change_cancel").reason == "撤回"
    with pytest.raises(ServiceError):
        services.employment_change_cancel(change=applied, actor=in_a.hr)


def test_employee_as_of_reads_the_history_backwards_and_forwards(in_a: World) -> None:
    wang = in_a.employee.employee
    zhao = in_a.other_team.employee
    with time_machine.travel(NOW, tick=False):
        for field, value, day in (
            ("department", in_a.rd.pk, dt.date(2026, 1, 1)),
            ("base_salary", "8500", dt.date(2026, 2, 1)),
            ("manager", zhao.pk, dt.date(2026, 3, 1)),
            ("base_salary", "9000", dt.date(2026, 4, 1)),
            ("base_salary", "9900", dt.date(2026, 8, 1)),  # pending
        ):
            services.employee_change_apply(
                employee=wang,
                field=field,
                value=value,
                effective_date=day,
                reason="历史",
                actor=in_a.hr,
            )
    wang.refresh_from_db()
    early = employee_as_of(wang, dt.date(2025, 12, 31))
    assert early.department_id == in_a.sales.pk
    assert early.base_salary == Decimal("8000.00")
    assert early.manager_id == in_a.manager.employee.pk
    feb = employee_as_of(wang, dt.date(2026, 2, 15))
    assert (feb.department_id, feb.base_salary, feb.manager_id) == (
        in_a.rd.pk,
        Decimal("8500.00"),
        in_a.manager.employee.pk,
    )
    march = employee_as_of(wang, dt.date(2026, 3, 31))
    assert (march.base_salary, march.manager_id) == (Decimal("8500.00"), zhao.pk)
    assert employee_as_of(wang, dt.date(2026, 4, 1)).base_salary == Decimal("9000.00")
    assert employee_as_of(wang, dt.date(2026, 9, 1)).base_salary == Decimal("9900.00")
    assert employee_as_of(wang, dt.date(2019, 1, 1)).employed is False
    assert employee_as_of(wang, dt.date(2026, 1, 1)).employed is True


def test_the_importer_can_validate_without_queries_per_row(
    in_a: World, django_assert_num_queries: object
) -> None:
    definitions = list(CustomField.objects.all())
    values = {
        "employee_number": "A004",
        "name": "重复",
        "hire_date": dt.date(2026, 1, 1),
        "department": in_a.sales,
        "base_salary": Decimal("1"),
    }
    with django_assert_num_queries(0):  # type: ignore[operator]
        errors = services.employee_validate(
            company=in_a.company, values=values, taken_numbers={"A004"}
        )
        _, custom_errors = services.custom_field_values_clean(
            company=in_a.company, values={}, definitions=definitions
        )
    assert list(errors) == ["employee_number"]
    assert custom_errors == {}


def test_every_write_leaves_an_audit_event_with_before_and_after(in_a: World) -> None:
    """One story through every service; each event must carry [before, after] pairs."""
    hr = in_a.hr
    company = in_a.company
    before = AuditEvent.objects.count()
    dept = services.department_create(company=company, actor=hr, name="德语组", parent=in_a.sales)
    services.department_update(department=dept, actor=hr, name="德语销售组")
    services.department_move(department=dept, new_parent=in_a.rd, actor=hr)
    services.department_head_set(department=dept, head=in_a.other_team.employee, actor=hr)
    position = services.position_create(company=company, actor=hr, name="翻译")
    services.position_update(position=position, actor=hr, description="德语")
    location = services.work_location_create(
        company=company, actor=hr, name="汉堡", country="DE", time_zone="Europe/Berlin"
    )
    services.work_location_update(location=location, actor=hr, city="Hamburg")
    tag = services.tag_create(company=company, actor=hr, name="外派")
    services.tag_update(tag=tag, actor=hr, name="驻外")
    field = services.custom_field_create(company=company, actor=hr, code="visa", label="签证")
    services.custom_field_update(field=field, actor=hr, label="签证类型")
    zhou = _new(in_a, position=position, work_location=location, tags=[tag])
    services.employee_update(employee=zhou, actor=hr, custom_fields={"visa": "D"})
    with time_machine.travel(NOW, tick=False):
        services.employee_change_apply(
            employee=zhou,
            field="department",
            value=dept.pk,
            effective_date=dt.date(2026, 4, 1),
            reason="调岗",
            actor=hr,
        )
    services.employee_update(employee=zhou, actor=hr, custom_fields={"visa": None})
    services.custom_field_delete(field=field, actor=hr)
    services.tag_delete(tag=tag, actor=hr)
    services.department_head_set(department=dept, head=None, actor=hr)
    events = list(AuditEvent.objects.order_by("sequence")[before:])
    assert len(events) == 19
    for event in events:
        assert event.actor == hr
        assert event.changes, event.action
        for pair in event.changes.values():
            assert isinstance(pair, list) and len(pair) == 2, (event.action, pair)


class _Rollback(Exception):
    pass


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.lists(
        st.tuples(st.integers(0, 500), st.integers(1, 50_000)), min_size=1, max_size=6
    ),
    probe=st.integers(-30, 530),
)
def test_employee_as_of_matches_the_last_change_on_or_before_the_day(
    in_a: World, changes: list[tuple[int, int]], probe: int
) -> None:
    """Whatever salary changes (past or future), as-of a day = the latest one due by then."""
    start = dt.date(2025, 1, 1)
    today = dt.date(2025, 9, 1)
    try:
        with transaction.atomic():
            wang = Employee.objects.get(pk=in_a.employee.employee.pk)
            Employee.objects.filter(pk=wang.pk).update(hire_date=start - dt.timedelta(days=60))
            wang.refresh_from_db()
            recorded: list[tuple[dt.date, Decimal]] = []
            with time_machine.travel(dt.datetime(2025, 9, 1, 4, 0, tzinfo=dt.UTC), tick=False):
                for offset, amount in sorted(changes, key=lambda c: c[0]):
                    day = start + dt.timedelta(days=offset)
                    value = Decimal(amount).quantize(Decimal("0.01"))
                    current = Employee.objects.get(pk=wang.pk)
                    due = [v for d, v in recorded if d <= today]
                    if (day <= today and (due[-1] if due else Decimal("8000.00")) == value) or any(
                        d == day for d, _ in recorded
                    ):
                        continue  # a no-op or same-day duplicate is refused; skip it
                    services.employee_change_apply(
                        employee=current,
                        field="base_salary",
                        value=value,
                        effective_date=day,
                        reason="调薪",
                        actor=in_a.hr,
                    )
                    recorded.append((day, value))
            on = start + dt.timedelta(days=probe)
            expected = Decimal("8000.00")
            for day, value in recorded:
                if day <= on:
                    expected = value
            wang.refresh_from_db()
            assert employee_as_of(wang, on).base_salary == expected
            raise _Rollback
    except _Rollback:
        pass
