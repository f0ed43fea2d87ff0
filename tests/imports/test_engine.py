"""The framework's pure core: header matching, mapping checks, cleaning with (row, column)."""

from __future__ import annotations

import pytest

from jixiao.imports.cleaners import clean_date
from jixiao.imports.engine import (
    FieldSpec,
    Table,
    clean_rows,
    header_key,
    importer_class,
    importer_names,
    mapping_errors,
    suggest_mapping,
)

FIELDS = [
    FieldSpec("number", "工号", ("员工编号", "Employee No"), required=True, unique=True),
    FieldSpec("name", "姓名", ("Name",)),
    FieldSpec("hire_date", "入职日期", ("Hire date",), clean=clean_date),
]


def test_headers_match_labels_and_aliases_in_chinese_and_english() -> None:
    headers = ["员工编号*", "NAME", "入职日期（必填）", "备注"]
    assert suggest_mapping(headers, FIELDS) == {
        "员工编号*": "number",
        "NAME": "name",
        "入职日期（必填）": "hire_date",
        "备注": "",
    }
    assert suggest_mapping(["Employee No.", "hire_date"], FIELDS) == {
        "Employee No.": "number",
        "hire_date": "hire_date",
    }
    assert header_key(" Hire-Date ") == header_key("hire date")


def test_a_field_is_suggested_for_one_column_only() -> None:
    assert suggest_mapping(["工号", "员工编号"], FIELDS) == {"工号": "number", "员工编号": ""}


def test_mapping_errors_name_every_problem() -> None:
    headers = ["A", "B", "C"]
    errors = mapping_errors(
        {"A": "name", "B": "name", "C": "salary", "D": "number"}, headers, FIELDS
    )
    assert "“A”和“B”两列都对应“姓名”，只能选一列。" in errors
    assert "“C”对应的字段“salary”不存在。" in errors
    assert "文件中没有“D”这一列。" in errors
    assert "必须指定“工号”对应哪一列。" in errors
    assert mapping_errors({"A": "number"}, headers, FIELDS) == []


def test_clean_rows_reports_row_and_column_and_duplicates() -> None:
    table = Table(
        ["员工编号", "姓名", "入职"],
        2,
        [
            (3, ["A1", "王姐", "2024-03-01"]),
            (4, ["A2", "李哥", "下周一"]),
            (7, ["A1", "王姐", "2024/3/1"]),
        ],
    )
    mapping = {"员工编号": "number", "姓名": "name", "入职": "hire_date"}
    rows = clean_rows(table, mapping, FIELDS)
    assert [r.number for r in rows] == [3, 4, 7]
    assert rows[0].issues == []
    assert [(i.row, i.column, i.field) for i in rows[1].issues] == [(4, "入职", "hire_date")]
    assert "日期格式无法识别" in rows[1].issues[0].message
    assert [(i.row, i.column, i.message) for i in rows[2].issues] == [
        (7, "员工编号", "“A1”与第 3 行重复。")
    ]
    assert rows[2].raw == {"员工编号": "A1", "姓名": "王姐", "入职": "2024/3/1"}


@pytest.mark.django_db
def test_the_employee_importer_is_registered_by_name() -> None:
    assert "employees" in importer_names()
    cls = importer_class("employees")
    assert cls is not None and cls.permission == "org.import_employees"
    assert importer_class("nothing") is None
