"""Upload, preview, commit: dry runs write nothing, commits are all-or-nothing."""

from __future__ import annotations

from typing import Any

import pytest

from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.imports import services
from jixiao.imports.models import ImportBatch, ImportMapping
from jixiao.org.models import Department, Employee, EmploymentChange
from tests.conftest import World
from tests.imports.helpers import HEADERS, issues_of, upload_and_preview, xlsx_bytes, xlsx_rows

pytestmark = pytest.mark.django_db

SALES = "星海外贸/销售部"
GOOD = [
    ["K1", "孙一", "2024-03-01", f"{SALES}/外贸一组", "", "", "", "在职", "8000"],
    ["K2", "孙二", "2024-03-01", SALES, "", "", "K1", "在职", "8000"],
    ["A004", "王姐", "2020-03-01", SALES, "", "", "A003", "在职", "8800"],
]
BAD = ["K3", "孙三", "某天", SALES, "", "", "", "在职", "8000"]


def _counts() -> tuple[int, int, int, int]:
    return (
        Employee.objects.count(),
        Department.objects.count(),
        AuditEvent.objects.count(),
        EmploymentChange.objects.count(),
    )


def test_a_dry_run_writes_nothing_but_the_batch(in_a: World) -> None:
    before = _counts()
    batch, _plan = upload_and_preview(
        in_a, xlsx_bytes([*GOOD, BAD]), options={"create_departments": True}
    )
    assert _counts() == before
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert (batch.created_count, batch.updated_count, batch.error_row_count) == (2, 1, 1)
    assert [o["key"] for o in batch.preview["outcomes"]] == ["K1", "K2", "A004"]
    assert batch.preview["outcomes"][2]["changes"] == {"月基本工资": ["8000.00", "8800.00"]}


def test_all_or_nothing_refuses_a_file_with_errors(in_a: World) -> None:
    before = _counts()
    batch, _plan = upload_and_preview(
        in_a, xlsx_bytes([*GOOD, BAD]), options={"create_departments": True}
    )
    batch = services.batch_commit(batch=batch, actor=in_a.hr)
    assert batch.status == ImportBatch.Status.FAILED
    assert "没有写入任何数据" in batch.message
    assert _counts() == before


def test_valid_rows_only_skips_the_failing_rows(in_a: World) -> None:
    batch, _plan = upload_and_preview(
        in_a, xlsx_bytes([*GOOD, BAD]), mode="valid_rows_only", options={"create_departments": True}
    )
    batch = services.batch_commit(batch=batch, actor=in_a.hr)
    assert (batch.status, batch.created_count, batch.updated_count) == ("committed", 2, 1)
    assert "跳过 1 行" in batch.message
    assert set(
        Employee.objects.filter(employee_number__startswith="K").values_list(
            "employee_number", flat=True
        )
    ) == {"K1", "K2"}
    report = xlsx_rows(services.error_report(batch=batch))
    assert report[0] == ["原行号", *HEADERS, "错误"]
    assert report[1][:3] == [5, "K3", "孙三"]
    assert report[1][-1] == "入职日期：日期格式无法识别，请写成 2024-03-01。"
    assert len(report) == 2


def test_a_crash_during_the_commit_leaves_the_data_untouched(in_a: World, monkeypatch: Any) -> None:
    def explode(**kwargs: Any) -> int:
        raise RuntimeError("disk on fire")

    # The audit write comes last: departments and employees were already inserted.
    monkeypatch.setattr("jixiao.org.importers.audit_record_many", explode)
    before = _counts()
    batch, _plan = upload_and_preview(in_a, xlsx_bytes(GOOD), options={"create_departments": True})
    batch = services.batch_commit(batch=batch, actor=in_a.hr)
    assert batch.status == ImportBatch.Status.FAILED
    assert "已全部撤销" in batch.message and "disk on fire" in batch.message
    assert _counts() == before
    assert Employee.objects.get(employee_number="A004").base_salary == 8000


def test_a_batch_is_committed_once(in_a: World) -> None:
    batch, _plan = upload_and_preview(in_a, xlsx_bytes(GOOD), options={"create_departments": True})
    batch = services.batch_commit(batch=batch, actor=in_a.hr)
    assert batch.status == "committed"
    with pytest.raises(ServiceError) as caught:
        services.batch_commit(batch=batch, actor=in_a.hr)
    assert caught.value.status == 409
    with pytest.raises(ServiceError):
        services.batch_preview(batch=batch, actor=in_a.hr, mapping=batch.mapping)


def test_large_files_are_committed_by_the_background_task(in_a: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "INLINE_MAX_ROWS", 2)
    calls: list[int] = []
    from jixiao.imports import tasks

    original = services.batch_commit_run

    def spy(*, batch_id: int) -> ImportBatch:
        calls.append(batch_id)
        return original(batch_id=batch_id)

    monkeypatch.setattr(services, "batch_commit_run", spy)
    batch, _plan = upload_and_preview(in_a, xlsx_bytes(GOOD), options={"create_departments": True})
    batch = services.batch_commit(batch=batch, actor=in_a.hr)  # Huey runs immediately in tests
    assert calls == [batch.pk]
    assert batch.status == "committed"
    assert batch.progress_done == batch.progress_total == 3
    # Running the task again changes nothing.
    assert tasks.import_batch_commit.call_local(batch.pk) == "committed"
    assert calls == [batch.pk, batch.pk]
    assert Employee.objects.filter(employee_number__startswith="K").count() == 2


def test_upload_refusals_name_the_problem(in_a: World, settings: Any) -> None:
    settings.IMPORT_MAX_UPLOAD_BYTES = 100
    with pytest.raises(ServiceError) as caught:
        services.batch_upload(
            company=in_a.company,
            actor=in_a.hr,
            importer_name="employees",
            file_name="a.xlsx",
            data=xlsx_bytes(GOOD),
        )
    assert (caught.value.status, caught.value.code) == (413, "too_large")
    settings.IMPORT_MAX_UPLOAD_BYTES = 10_000_000
    with pytest.raises(ServiceError) as caught:
        services.batch_upload(
            company=in_a.company,
            actor=in_a.hr,
            importer_name="employees",
            file_name="a.xlsx",
            data=xlsx_bytes([]),
        )
    assert caught.value.fields == {"file": ["文件只有表头，没有数据行。"]}
    with pytest.raises(ServiceError) as caught:
        services.batch_upload(
            company=in_a.company,
            actor=in_a.hr,
            importer_name="payroll",
            file_name="a.xlsx",
            data=xlsx_bytes(GOOD),
        )
    assert caught.value.status == 404


def test_a_bad_mapping_is_refused(in_a: World) -> None:
    batch = services.batch_upload(
        company=in_a.company,
        actor=in_a.hr,
        importer_name="employees",
        file_name="a.xlsx",
        data=xlsx_bytes(GOOD),
    )
    with pytest.raises(ServiceError) as caught:
        services.batch_preview(batch=batch, actor=in_a.hr, mapping={"姓名": "name", "工号": ""})
    assert "必须指定“工号”对应哪一列。" in caught.value.fields["mapping"]
    with pytest.raises(ServiceError) as caught:
        services.batch_preview(
            batch=batch, actor=in_a.hr, mapping={**batch.mapping, "部门": "name"}
        )
    assert "“姓名”和“部门”两列都对应“姓名”，只能选一列。" in caught.value.fields["mapping"]


def test_a_saved_mapping_is_suggested_for_a_file_with_its_columns(in_a: World) -> None:
    headers = ["人员代码", "Full Name", "到岗", "组织"]
    rows = [["Q1", "钱一", "2024-01-01", SALES]]
    batch = services.batch_upload(
        company=in_a.company,
        actor=in_a.hr,
        importer_name="employees",
        file_name="hr.xlsx",
        data=xlsx_bytes(rows, headers),
    )
    assert batch.mapping == {"人员代码": "", "Full Name": "name", "到岗": "", "组织": ""}
    columns = {
        "人员代码": "employee_number",
        "Full Name": "name",
        "到岗": "hire_date",
        "组织": "department",
    }
    services.mapping_save(
        company=in_a.company,
        actor=in_a.hr,
        importer_name="employees",
        name="旧系统导出",
        columns=columns,
    )
    assert ImportMapping.objects.get().columns == columns

    again = services.batch_upload(
        company=in_a.company,
        actor=in_a.hr,
        importer_name="employees",
        file_name="hr2.xlsx",
        data=xlsx_bytes(rows, [*headers, "备注"]),
    )
    assert again.mapping == {**columns, "备注": ""}
    plan = services.batch_preview(batch=again, actor=in_a.hr, mapping=again.mapping)
    assert issues_of(again) == [] and plan.count("create") == 1
