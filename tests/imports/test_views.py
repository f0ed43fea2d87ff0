"""The wizard, step by step, as 刘HR uses it: upload, map, preview, commit, result."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scope

from jixiao.imports.models import ImportBatch, ImportMapping
from jixiao.org.models import Employee
from tests.conftest import World, login
from tests.imports.helpers import xlsx_bytes, xlsx_rows

pytestmark = pytest.mark.django_db

HEADERS = ["工号", "姓名", "入职", "部门", "工资"]
ROWS = [
    ["R1", "冯一", "2024-03-01", "星海外贸/销售部", "9000"],
    ["R2", "冯二", "没填", "星海外贸/销售部", "9000"],
]


def _batch(world: World) -> ImportBatch:
    with scope(company=world.company):
        return ImportBatch.objects.latest("id")


def test_the_whole_wizard(world: World) -> None:
    client = login(world.hr)
    response = client.post(
        reverse("imports:start"),
        {"file": SimpleUploadedFile("花名册.xlsx", xlsx_bytes(ROWS, HEADERS))},
    )
    batch = _batch(world)
    assert response.status_code == 302 and response.url == reverse(
        "imports:batch_map", args=[batch.pk]
    )

    page = client.get(response.url)
    assert page.status_code == 200
    assert "冯一" in page.content.decode()  # sample values help the mapping
    form = {
        "col_0": "employee_number",
        "col_1": "name",
        "col_2": "hire_date",
        "col_3": "department",
        "col_4": "base_salary",
        "mode": "valid_rows_only",
        "save_as": "月度花名册",
    }
    response = client.post(response.url, form)
    assert response.status_code == 302 and response.url == reverse(
        "imports:batch_preview", args=[batch.pk]
    )
    with scope(company=world.company):
        assert ImportMapping.objects.get().name == "月度花名册"

    preview = client.get(response.url).content.decode()
    assert "日期格式无法识别" in preview and "R1" in preview
    report = client.get(reverse("imports:error_report", args=[batch.pk]))
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    assert xlsx_rows(report.content)[1][:2] == [3, "R2"]

    response = client.post(reverse("imports:batch_preview", args=[batch.pk]))
    assert response.url == reverse("imports:batch_result", args=[batch.pk])
    result = client.get(response.url)
    assert 'data-status="committed"' in result.content.decode()
    with scope(company=world.company):
        assert Employee.objects.filter(employee_number="R1").exists()
        assert not Employee.objects.filter(employee_number="R2").exists()

    # The next file of the same layout gets the saved mapping.
    client.post(
        reverse("imports:start"), {"file": SimpleUploadedFile("b.xlsx", xlsx_bytes(ROWS, HEADERS))}
    )
    page = client.get(reverse("imports:batch_map", args=[_batch(world).pk])).content.decode()
    assert "已套用保存的列映射“月度花名册”" in page


def test_upload_errors_are_shown_on_the_form(world: World) -> None:
    response = login(world.hr).post(
        reverse("imports:start"), {"file": SimpleUploadedFile("a.doc", b"hello")}
    )
    assert response.status_code == 422
    assert "不支持的文件类型" in response.content.decode()


def test_a_mapping_error_is_shown_and_nothing_is_previewed(world: World) -> None:
    client = login(world.hr)
    client.post(
        reverse("imports:start"), {"file": SimpleUploadedFile("a.xlsx", xlsx_bytes(ROWS, HEADERS))}
    )
    batch = _batch(world)
    response = client.post(
        reverse("imports:batch_map", args=[batch.pk]),
        {"col_1": "name", "col_2": "name", "mode": "all_or_nothing"},
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "必须指定“工号”对应哪一列。" in text and "两列都对应“姓名”" in text
    assert _batch(world).status == "uploaded"


def test_progress_partial_for_htmx_polling(world: World) -> None:
    client = login(world.hr)
    client.post(
        reverse("imports:start"),
        {"file": SimpleUploadedFile("a.xlsx", xlsx_bytes(ROWS[:1], HEADERS))},
    )
    batch = _batch(world)
    with scope(company=world.company):
        ImportBatch.objects.filter(pk=batch.pk).update(
            status="committing", progress_done=1, progress_total=4, message="正在写入…"
        )
    partial = client.get(
        reverse("imports:batch_result", args=[batch.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'hx-trigger="every 1s"' in partial and 'value="25"' in partial
    assert "<html" not in partial


def test_the_navigation_points_at_the_wizard(world: World) -> None:
    page = login(world.hr).get(reverse("imports:start")).content.decode()
    assert f'href="{reverse("imports:start")}"' in page
