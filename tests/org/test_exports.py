"""Employee export: the viewer's people, the importer's headers, salary for HR only,
and an exported file imports back with every row unchanged."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django_scopes import scope

from jixiao.org.exports import employee_export
from jixiao.org.models import CustomField, Employee, Position, Tag, WorkLocation
from jixiao.org.selectors import EmployeeFilters
from tests.conftest import World
from tests.imports.helpers import upload_and_preview, xlsx_rows

pytestmark = pytest.mark.django_db


def _enrich(world: World) -> None:
    """Give 王姐 and 李哥 every kind of field the roster carries."""
    CustomField.objects.create(
        company=world.company,
        code="language",
        label="语种",
        field_type="choice",
        choices=["英语", "德语"],
    )
    CustomField.objects.create(
        company=world.company, code="quota", label="季度指标", field_type="number"
    )
    CustomField.objects.create(
        company=world.company, code="visa_until", label="签证到期", field_type="date"
    )
    CustomField.objects.create(company=world.company, code="note", label="备注", field_type="text")
    berlin = WorkLocation.objects.create(
        company=world.company, name="杜塞尔多夫", time_zone="Europe/Berlin"
    )
    seller = Position.objects.create(company=world.company, name="外贸业务员")
    veteran = Tag.objects.create(company=world.company, name="老员工")
    abroad = Tag.objects.create(company=world.company, name="外派")
    wang = Employee.objects.get(employee_number="A004")
    wang.english_name = "Wang Jie"
    wang.email = "wangjie@xinghai.cn"
    wang.phone = "13800138000"
    wang.hire_date = dt.date(2011, 5, 3)
    wang.status = "active"
    wang.probation_end_date = dt.date(2011, 8, 3)
    wang.position = seller
    wang.base_salary = Decimal("12345.67")
    wang.working_hour_system = "comprehensive"
    wang.custom_fields = {
        "language": "德语",
        "quota": 1200,
        "visa_until": "2027-01-31",
        "note": "007",
    }
    wang.save()
    wang.tags.set([veteran, abroad])
    li = Employee.objects.get(employee_number="A005")
    li.work_location = berlin
    li.phone = "+4915123456789"
    li.status = "left"
    li.termination_date = dt.date(2025, 12, 31)
    li.employment_type = "dispatched"
    li.custom_fields = {"quota": 2.5}
    li.save()


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_export_then_import_changes_nothing(world: World, file_format: str) -> None:
    with scope(company=world.company):
        _enrich(world)
        export = employee_export(viewer=world.hr, file_format=file_format)
        assert export.rows == 6
        batch, plan = upload_and_preview(world, export.content, name=export.file_name)
    assert batch.errors == []
    assert [o.action for o in plan.outcomes] == ["unchanged"] * 6
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 0, 6)


def test_hr_export_has_salary_custom_fields_and_only_its_company(world: World) -> None:
    with scope(company=world.company):
        _enrich(world)
        export = employee_export(viewer=world.hr, file_format="xlsx")
    rows = xlsx_rows(export.content)
    header = rows[0]
    assert header[:4] == ["工号", "姓名", "英文名", "邮箱"]
    assert "月基本工资" in header and header[-4:] == ["语种", "备注", "季度指标", "签证到期"]
    by_number = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert sorted(by_number) == ["A001", "A002", "A003", "A004", "A005", "A006"]
    wang = by_number["A004"]
    assert wang["部门"] == "星海外贸/销售部"
    assert wang["直属上级"] == "A003"
    assert wang["状态"] == "在职"
    assert wang["工时制度"] == "综合工时制"
    assert wang["标签"] == "外派、老员工"
    assert wang["月基本工资"] == 12345.67
    assert wang["入职日期"] == dt.datetime(2011, 5, 3)
    assert (wang["语种"], wang["季度指标"], wang["备注"]) == ("德语", 1200, "007")


def test_executives_export_without_salary_and_filters_apply(world: World) -> None:
    with scope(company=world.company):
        export = employee_export(
            viewer=world.executive,
            file_format="csv",
            filters=EmployeeFilters(department=world.sales.pk),
        )
    assert export.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert "月基本工资" not in rows[0]
    assert sorted(r[0] for r in rows[1:]) == ["A003", "A004", "A005"]


def test_exports_are_fast_enough_in_queries(
    world: World, django_assert_max_num_queries: object
) -> None:
    with scope(company=world.company):
        Employee.objects.filter(company=world.company).update(custom_fields={})
        with django_assert_max_num_queries(6):  # type: ignore[operator]
            employee_export(viewer=world.hr, file_format="csv")
