"""The import API: dry run by default, commit on request, errors at (row, column)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from jixiao.org.models import Employee
from tests.conftest import World, login
from tests.imports.helpers import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

URL = "/api/v1/imports/employees"
GOOD = ["P1", "周一", "2024-03-01", "星海外贸/销售部", "", "", "A003", "在职", "9000"]
BAD = ["P2", "周二", "2024-02-30", "星海外贸/销售部", "", "", "", "在职", "9000"]


def _post(world: World, data: bytes, name: str = "roster.xlsx", **form: Any) -> Any:
    return login(world.hr).post(URL, {"file": SimpleUploadedFile(name, data), **form})


def test_a_dry_run_returns_the_preview_and_writes_nothing(world: World) -> None:
    response = _post(world, xlsx_bytes([GOOD, BAD]))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "previewed"
    assert (body["created_count"], body["error_row_count"]) == (1, 1)
    assert body["issues"] == [
        {
            "row": 3,
            "column": "入职日期",
            "message": "日期“2024-02-30”不存在。",
            "level": "error",
            "field": "hire_date",
        }
    ]
    assert body["outcomes"][0]["key"] == "P1"
    assert body["error_report_url"].endswith(f"/batches/{body['id']}/errors.xlsx")
    with scope(company=world.company):
        assert not Employee.objects.filter(employee_number="P1").exists()


def test_commit_with_a_mapping_and_valid_rows_only(world: World) -> None:
    headers = ["人员编码", "名字", "入职", "部门", "手机", "邮箱", "上级", "状态", "工资"]
    data = csv_bytes([GOOD, BAD], headers, encoding="gb18030")
    mapping = {
        "人员编码": "employee_number",
        "名字": "name",
        "入职": "hire_date",
        "部门": "department",
        "上级": "manager",
        "工资": "base_salary",
    }
    response = _post(
        world,
        data,
        "花名册.csv",
        mapping=json.dumps(mapping),
        dry_run="false",
        mode="valid_rows_only",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["created_count"], body["error_row_count"]) == ("committed", 1, 1)
    assert body["mapping"]["手机"] == ""
    with scope(company=world.company):
        person = Employee.objects.get(employee_number="P1")
    assert person.manager_id == world.manager_employee.pk

    batch = login(world.hr).get(f"/api/v1/imports/batches/{body['id']}").json()
    assert batch["status"] == "committed"
    listing = login(world.hr).get("/api/v1/imports/batches").json()
    assert [b["id"] for b in listing["items"]] == [body["id"]]


@pytest.mark.parametrize(
    ("name", "data", "status", "code"),
    [
        ("roster.pdf", b"%PDF-1.4", 422, "wrong_type"),
        ("roster.xlsx", b"PK\x03\x04broken", 422, "malformed"),
        ("roster.csv", b"", 422, "empty"),
    ],
)
def test_unreadable_uploads(world: World, name: str, data: bytes, status: int, code: str) -> None:
    response = _post(world, data, name)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["fields"]["file"]


def test_oversized_upload(world: World, settings: Any) -> None:
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    response = _post(world, xlsx_bytes([GOOD] * 50))
    assert response.status_code == 413
    assert "超过上限" in response.json()["message"]


def test_a_bad_mapping_is_a_field_error(world: World) -> None:
    response = _post(world, xlsx_bytes([GOOD]), mapping=json.dumps({"姓名": "name"}))
    assert response.status_code == 422
    assert "必须指定“工号”对应哪一列。" in response.json()["fields"]["mapping"]
    response = _post(world, xlsx_bytes([GOOD]), mapping="[1, 2")
    assert response.status_code == 422
    assert response.json()["fields"] == {"mapping": ["必须是 JSON 对象。"]}
