"""The employee importer: creating, updating, every error kind at its (row, column)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django_scopes import scope

from jixiao.audit.models import AuditEvent
from jixiao.imports import services
from jixiao.imports.models import ImportBatch
from jixiao.org.models import CustomField, Department, Employee, EmploymentChange, Tag
from tests.conftest import World
from tests.imports.helpers import issues_of, upload_and_preview, xlsx_bytes

pytestmark = pytest.mark.django_db

SALES = "星海外贸/销售部"


@pytest.fixture
def in_a(world: World) -> Iterator[World]:
    """Company A's scope (defined here so these tests stand on their own)."""
    with scope(company=world.company):
        yield world


def _row(number: str, name: str, **extra: Any) -> list[Any]:
    values = {
        "hire_date": "2024-03-01",
        "department": SALES,
        "phone": "",
        "email": "",
        "manager": "",
        "status": "在职",
        "salary": "8,000.00",
        **extra,
    }
    return [
        number,
        name,
        values["hire_date"],
        values["department"],
        values["phone"],
        values["email"],
        values["manager"],
        values["status"],
        values["salary"],
    ]


def _commit(batch: ImportBatch, world: World) -> ImportBatch:
    return services.batch_commit(batch=batch, actor=world.hr)


def test_new_people_are_created_with_managers_from_the_file_and_from_the_company(
    in_a: World,
) -> None:
    data = xlsx_bytes(
        [
            _row("B003", "孙小美", manager="B001", phone="139 1234 5678"),
            _row("B001", "周总监", manager="A003", salary="¥20000", status="Active"),
            _row("B002", "吴工", manager="周总监", hire_date="2023年7月15日", status="试用期"),
        ]
    )
    batch, _plan = upload_and_preview(in_a, data)
    assert (batch.created_count, batch.updated_count, batch.error_row_count) == (3, 0, 0)
    assert issues_of(batch) == []
    assert Employee.objects.filter(employee_number__startswith="B").count() == 0

    batch = _commit(batch, in_a)
    assert batch.status == ImportBatch.Status.COMMITTED
    people = {
        e.employee_number: e for e in Employee.objects.filter(employee_number__startswith="B")
    }
    assert people["B001"].manager == in_a.manager_employee
    assert people["B003"].manager == people["B001"]
    assert people["B002"].manager == people["B001"]
    assert people["B003"].phone == "13912345678"
    assert people["B001"].base_salary == Decimal("20000.00")
    assert people["B002"].hire_date == dt.date(2023, 7, 15)
    assert people["B002"].status == "probation"
    assert people["B003"].department == in_a.sales
    events = AuditEvent.objects.filter(action="org.employee.create")
    assert events.count() == 3
    event = events.get(object_id=str(people["B001"].pk))
    assert event.changes["name"] == [None, "周总监"]
    assert event.changes["manager"] == [None, in_a.manager_employee.pk]
    assert event.actor == in_a.hr
    assert "导入批次" in event.reason


def test_every_error_kind_is_reported_at_its_row_and_column(in_a: World) -> None:
    data = xlsx_bytes(
        [
            _row("C01", "甲", hire_date="明天"),  # row 2
            _row("C02", "乙", phone="12345"),  # row 3
            _row("C03", "丙", email="x@"),  # row 4
            _row("C04", "丁", status="合同工"),  # row 5
            _row("C05", "戊", salary="八千"),  # row 6
            _row("C06", "己", department="星海外贸/市场部"),  # row 7
            _row("C07", "庚", manager="Z999"),  # row 8
            _row("C01", "辛"),  # row 9
            _row("C09", "壬", hire_date=""),  # row 10
            _row("C10", "癸", status="已离职"),  # row 11
            _row("C11", "子", manager="C11"),  # row 12
            _row("", "丑"),  # row 13
            _row("C13", ""),  # row 14
            _row("C14", "寅", department=""),  # row 15
        ]
    )
    batch, _plan = upload_and_preview(in_a, data)
    assert issues_of(batch) == [
        (2, "入职日期", "日期格式无法识别，请写成 2024-03-01。"),
        (3, "手机", "电话号码“12345”无效。"),
        (4, "邮箱", "邮箱“x@”格式不对。"),
        (5, "状态", "“合同工”不是可选值，可选：试用期、在职、休假/停薪留职、已离职。"),
        (6, "月基本工资", "必须是数字。"),
        (7, "部门", "部门“星海外贸/市场部”不存在（可勾选“部门不存在时自动创建”）。"),
        (8, "直属上级", "找不到工号或姓名为“Z999”的直属上级。"),
        (9, "工号", "“C01”与第 2 行重复。"),
        (10, "入职日期", "请填写入职日期。"),
        (11, "离职日期", "状态为已离职时必须填写离职日期。"),
        (12, "直属上级", "员工不能是自己的直属上级。"),
        (13, "工号", "请填写工号。"),
        (14, "姓名", "请填写姓名。"),
        (15, "部门", "请选择部门。"),
    ]
    assert batch.error_row_count == 14
    assert batch.created_count == 0


def test_a_reporting_loop_in_the_file_is_an_error_on_each_row(in_a: World) -> None:
    data = xlsx_bytes(
        [
            _row("D1", "甲", manager="D2"),
            _row("D2", "乙", manager="D1"),
            _row("D3", "丙", manager="D1"),
        ]
    )
    batch, _plan = upload_and_preview(in_a, data)
    assert issues_of(batch) == [
        (2, "直属上级", "汇报关系形成循环：D1 → D2 → D1。"),
        (3, "直属上级", "汇报关系形成循环：D2 → D1 → D2。"),
        (4, "直属上级", "直属上级（第 2 行，工号 D1）有错误，本行无法导入。"),
    ]


def test_a_loop_through_existing_people_is_caught(in_a: World) -> None:
    # 张经理 (A003) manages 王姐 (A004); making 王姐 his manager closes a loop.
    data = xlsx_bytes([["A003", "A004"]], ["工号", "直属上级"])
    batch, _plan = upload_and_preview(in_a, data)
    assert issues_of(batch) == [(2, "直属上级", "汇报关系形成循环：A003 → A004 → A003。")]


def test_departments_by_path_are_created_only_when_ticked(in_a: World) -> None:
    rows = [
        _row("E1", "甲", department="星海外贸/销售部/外贸一组"),
        _row("E2", "乙", department="销售部 / 外贸一组"),
        _row("E3", "丙", department="研发部"),
    ]
    data = xlsx_bytes(rows)
    batch, _plan = upload_and_preview(in_a, data)
    assert [i[:2] for i in issues_of(batch)] == [(2, "部门"), (3, "部门")]

    batch, _plan = upload_and_preview(in_a, data, options={"create_departments": True})
    assert issues_of(batch) == []
    assert not Department.objects.filter(name="外贸一组").exists()
    assert _commit(batch, in_a).status == "committed"
    group = Department.objects.get(name="外贸一组")
    assert group.parent == in_a.sales
    assert set(
        Employee.objects.filter(employee_number__in=["E1", "E2"]).values_list(
            "department", flat=True
        )
    ) == {group.pk}
    assert Employee.objects.get(employee_number="E3").department == in_a.rd
    assert AuditEvent.objects.filter(
        action="org.department.create", object_id=str(group.pk)
    ).exists()


def test_an_ambiguous_department_name_asks_for_the_path(in_a: World) -> None:
    Department.objects.create(company=in_a.company, name="一组", parent=in_a.sales)
    Department.objects.create(company=in_a.company, name="一组", parent=in_a.rd)
    batch, _plan = upload_and_preview(in_a, xlsx_bytes([_row("F1", "甲", department="一组")]))
    assert issues_of(batch) == [
        (2, "部门", "有多个部门叫“一组”，请写完整路径，例如“星海外贸/销售部/一组”。")
    ]


def test_possible_duplicates_are_warnings_suggesting_a_merge(in_a: World) -> None:
    Employee.objects.filter(employee_number="A004").update(
        email="wangjie@xinghai.cn", phone="13800138000"
    )
    data = xlsx_bytes(
        [
            _row("G1", "王姐", phone="138-0013-8000"),
            _row("G2", "小王", email="WANGJIE@xinghai.cn"),
            _row("G3", "赵六", email="zhao@x.cn"),
            _row("G4", "赵小六", email="zhao@x.cn"),
            _row("G5", "钱七", phone="13911112222"),
            _row("G6", "钱七", phone="+86 139 1111 2222"),
        ]
    )
    batch, _plan = upload_and_preview(in_a, data)
    assert issues_of(batch) == []
    assert issues_of(batch, "warning") == [
        (2, "手机", "可能与已有员工王姐（工号 A004）是同一人：姓名和手机相同，建议合并。"),
        (3, "邮箱", "可能与已有员工王姐（工号 A004）是同一人：邮箱相同，建议合并。"),
        (5, "邮箱", "可能与第 4 行（工号 G3）是同一人：邮箱相同，建议合并。"),
        (7, "手机", "可能与第 6 行（工号 G5）是同一人：姓名和手机相同，建议合并。"),
    ]
    assert batch.created_count == 6


def test_reimport_updates_only_changed_fields_and_audits_them(in_a: World) -> None:
    data = xlsx_bytes(
        [
            ["A004", "王姐", "研发部", "9,500", "138 0013 8000"],
            ["A005", "李哥", "星海外贸/销售部", "8000", ""],
        ],
        ["工号", "姓名", "部门", "工资", "手机"],
    )
    before_events = AuditEvent.objects.count()
    batch, plan = upload_and_preview(in_a, data)
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 1, 1)
    update = next(o for o in plan.outcomes if o.action == "update")
    assert update.changes == {
        "部门": ("星海外贸/销售部", "星海外贸/研发部"),
        "月基本工资": ("8000.00", "9500.00"),
        "手机": ("", "13800138000"),
    }
    assert AuditEvent.objects.count() == before_events

    batch = _commit(batch, in_a)
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 1, 1)
    wang = Employee.objects.get(employee_number="A004")
    assert (wang.department, wang.base_salary, wang.phone) == (
        in_a.rd,
        Decimal("9500.00"),
        "13800138000",
    )
    assert wang.manager == in_a.manager_employee  # not in the file: untouched
    events = AuditEvent.objects.filter(action="org.employee.update")
    assert events.count() == 1
    assert events.get().changes == {
        "department": [in_a.sales.pk, in_a.rd.pk],
        "base_salary": ["8000.00", "9500.00"],
        "phone": ["", "13800138000"],
    }
    history = {
        c.field: (c.old_display, c.new_display)
        for c in EmploymentChange.objects.filter(employee=wang)
    }
    assert history == {"department": ("销售部", "研发部"), "base_salary": ("8000.00", "9500.00")}

    again, _plan = upload_and_preview(in_a, data)
    assert (again.updated_count, again.unchanged_count) == (0, 2)


def test_custom_fields_and_tags(in_a: World) -> None:
    CustomField.objects.create(
        company=in_a.company,
        code="language",
        label="语种",
        field_type="choice",
        choices=["英语", "德语"],
    )
    CustomField.objects.create(
        company=in_a.company, code="quota", label="季度指标", field_type="number"
    )
    Tag.objects.create(company=in_a.company, name="老员工")
    data = xlsx_bytes(
        [
            ["H1", "甲", "2024-01-02", SALES, "德语", "1,200", "老员工、外派"],
            ["H2", "乙", "2024-01-02", SALES, "法语", "x", ""],
        ],
        ["工号", "姓名", "入职日期", "部门", "语种", "quota", "标签"],
    )
    batch, _plan = upload_and_preview(in_a, data)
    assert issues_of(batch) == [
        (2, "标签", "标签“外派”不存在（可勾选“标签不存在时自动创建”）。"),
        (3, "语种", "“法语”不是可选值，可选：英语、德语。"),
        (3, "quota", "必须是数字。"),
    ]
    batch, _plan = upload_and_preview(
        in_a, data, mode="valid_rows_only", options={"create_tags": True}
    )
    batch = _commit(batch, in_a)
    assert (batch.status, batch.created_count, batch.error_row_count) == ("committed", 1, 1)
    h1 = Employee.objects.get(employee_number="H1")
    assert h1.custom_fields == {"language": "德语", "quota": 1200}
    assert sorted(h1.tags.values_list("name", flat=True)) == ["外派", "老员工"]


def test_a_new_employee_needs_the_required_custom_fields(in_a: World) -> None:
    CustomField.objects.create(
        company=in_a.company, code="country", label="驻外国家", required=True
    )
    batch, _plan = upload_and_preview(in_a, xlsx_bytes([_row("J1", "甲")]))
    assert issues_of(batch) == [(2, "驻外国家", "“驻外国家”是必填项。")]
