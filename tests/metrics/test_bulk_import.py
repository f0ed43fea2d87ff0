"""``metric_events_bulk_import``: big files of metric events, the same rules as the wizard."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest

from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.imports import services
from jixiao.metrics.importers import FILE_SOURCE_NAME
from jixiao.metrics.models import (
    EventStatus,
    Indicator,
    IndicatorVersion,
    MetricEvent,
    MetricSource,
    MetricValue,
    SourceKind,
    SourceRun,
    UnmatchedIdentity,
)
from jixiao.metrics.services.anomalies import run_anomalies_flag
from jixiao.metrics.services.bulk_import import metric_events_bulk_import
from tests.conftest import World
from tests.imports.helpers import csv_bytes, xlsx_bytes
from tests.metrics.test_importers import GOOD, HEADERS, _messy_file

EVENT_FIELDS = (
    "indicator__code", "employee_id", "department_id", "value", "occurred_at",
    "source_event_id", "identity", "evidence_url", "evidence", "content_hash", "status",
    "indicator_version_id",
)  # fmt: skip
# (Flags are compared in their own test: the second copy of a row is, rightly, a
# near-duplicate of the first.)


def _stored(source: MetricSource) -> list[tuple[Any, ...]]:
    return sorted(
        MetricEvent.objects.filter(source=source).values_list(*EVENT_FIELDS),
        key=lambda row: row[5],
    )


def _bulk(world: World, data: bytes, **options: Any) -> Any:
    return metric_events_bulk_import(
        company=world.company, file=data, actor=world.hr, file_name="events.csv", **options
    )


def _issues(result: Any) -> list[tuple[int, str, str]]:
    return [(i.row, i.column, i.message) for i in result.issues]


def test_messy_file_gets_the_wizards_errors_at_row_and_column(metrics_world: World) -> None:
    result = _bulk(metrics_world, _messy_file())
    assert _issues(result) == [
        (3, "数值", "必须是数字。"),
        (4, "指标编码", "指标 sales_magic 不存在。"),
        (5, "发生时间", "日期“2026-13-45”不存在。"),
        (6, "工号", "工号 A999 不存在。"),
        (8, "指标编码", "指标 conversion_rate 由其他指标计算得出，请导入它的组成指标。"),
        (9, "工号", "请填写工号、外部身份或部门编码之一。"),
        (10, "证据链接", "证据链接必须以 http:// 或 https:// 开头。"),
    ]
    assert not result.committed and result.created == 0 and result.error_rows == 7
    assert not MetricEvent.objects.filter(company=metrics_world.company).exists()
    assert not SourceRun.objects.filter(company=metrics_world.company).exists()


def test_valid_rows_only_stores_exactly_what_the_wizard_stores(metrics_world: World) -> None:
    """The same file through the wizard (import framework + ingest) and the bulk path
    gives the same events, field by field; the audit and run record the import."""
    world = metrics_world
    batch = services.batch_upload(
        company=world.company, actor=world.hr, importer_name="metric_events",
        file_name="data.csv", data=_messy_file(),
    )  # fmt: skip
    services.batch_preview(
        batch=batch, actor=world.hr, mapping=batch.mapping, mode="valid_rows_only"
    )
    services.batch_commit(batch=batch, actor=world.hr)
    wizard = MetricSource.objects.get(company=world.company, name=FILE_SOURCE_NAME)
    other = MetricSource.objects.create(company=world.company, name="ERP 导出", kind=SourceKind.ERP)

    result = _bulk(world, _messy_file(), mode="valid_rows_only", source=other)

    assert result.committed and (result.created, result.unmatched) == (1, 1)
    assert result.error_rows == 7 and result.rows == 9
    assert _stored(other) == _stored(wizard) and len(_stored(other)) == 2
    run = SourceRun.objects.get(pk=result.run_id)
    assert (run.received, run.created, run.unmatched, run.errors, run.status) == (
        9, 1, 1, 7, SourceRun.Status.PARTIAL,
    )  # fmt: skip
    assert run.totals == {
        "order_amount|2026-11": {
            "received": 1, "received_sum": "12800.5000",
            "accepted": 1, "accepted_sum": "12800.5000",
        },
        "customer_emails|2026-11": {
            "received": 1, "received_sum": "1.0000", "accepted": 1, "accepted_sum": "1.0000",
        },
    }  # fmt: skip
    assert UnmatchedIdentity.objects.get(source=other).event_count == 1
    audit = AuditEvent.objects.get(action="metrics.events.bulk_import")
    assert audit.changes["created"] == [None, 1] and audit.changes["error_rows"] == [None, 7]
    other.refresh_from_db()
    assert other.column_mapping["工号"] == "employee_number"
    # The values are current (one person): the month shows the order.
    month = MetricValue.objects.get(
        employee=world.person(world.employee), indicator__code="order_amount",
        period_kind="month", period_start=dt.date(2026, 11, 1),
    )  # fmt: skip
    assert month.value == Decimal("25601.0000")  # the wizard's copy and the bulk one


def test_importing_again_is_unchanged_and_other_content_is_an_error(
    metrics_world: World,
) -> None:
    no_id = ["A005", "", "orders", "1", "2026-11-05", "", "", "", ""]
    repeated = _bulk(metrics_world, csv_bytes([GOOD, no_id, GOOD], HEADERS))
    assert _issues(repeated) == [(4, "来源编号", "“R1”与第 2 行重复。")]
    rows = [GOOD, no_id, no_id]  # the same content without an id: stored once
    first = _bulk(metrics_world, csv_bytes(rows, HEADERS))
    assert (first.created, first.unchanged, first.error_rows) == (2, 1, 0)
    again = _bulk(metrics_world, csv_bytes(rows, HEADERS))
    assert (again.created, again.unchanged, again.error_rows) == (0, 3, 0)
    assert MetricEvent.objects.filter(company=metrics_world.company).count() == 2

    changed = [no_id, [*GOOD[:3], "13000", *GOOD[4:]]]
    conflict = _bulk(metrics_world, csv_bytes(changed, HEADERS))
    assert _issues(conflict) == [
        (3, "来源编号", "该编号已收到过不同的数值；如需修改，请填写更正方式。")
    ]
    assert not conflict.committed
    partial = _bulk(metrics_world, csv_bytes(changed, HEADERS), mode="valid_rows_only")
    assert (partial.created, partial.unchanged, partial.error_rows) == (0, 1, 1)
    assert MetricEvent.objects.get(source_event_id="R1").value == Decimal("12800.5")


def test_a_correction_row_goes_through_the_ingest(metrics_world: World) -> None:
    _bulk(metrics_world, csv_bytes([GOOD], HEADERS))
    headers = [*HEADERS, "更正方式", "被更正编号"]
    fix = [
        [*GOOD[:3], "13000", GOOD[4], "R1-fix", *GOOD[6:], "替换", "R1"],
        [*GOOD[:3], "1", GOOD[4], "R2-fix", *GOOD[6:], "替换", "R-none"],
    ]
    result = _bulk(metrics_world, csv_bytes(fix, headers), mode="valid_rows_only")
    assert result.corrected == 1
    assert _issues(result) == [(3, "被更正编号", "找不到被更正的记录 R-none。")]
    statuses = dict(
        MetricEvent.objects.filter(company=metrics_world.company).values_list(
            "source_event_id", "status"
        )
    )
    assert statuses == {"R1": "superseded", "R1-fix": "counted"}


def test_xlsx_team_events_and_bad_headers(metrics_world: World) -> None:
    world = metrics_world
    department = world.person(world.employee).department
    department.code = "SALES"
    department.save(update_fields=["code"])
    data = xlsx_bytes(
        [["", "SALES", "order_amount", 500, dt.datetime(2026, 11, 3, 9, 30), "T1"],
         ["", "NOPE", "order_amount", 1, "2026-11-03", "T2"]],
        ["工号", "部门编码", "指标编码", "数值", "发生时间", "来源编号"],
    )  # fmt: skip
    result = metric_events_bulk_import(
        company=world.company, file=data, actor=world.hr, file_name="team.xlsx",
        mode="valid_rows_only",
    )  # fmt: skip
    assert _issues(result) == [(3, "部门编码", "部门编码 NOPE 不存在。")]
    event = MetricEvent.objects.get(source_event_id="T1")
    assert (event.department_id, event.employee_id, event.value) == (department.pk, None, 500)
    assert event.occurred_at == dt.datetime(2026, 11, 3, 1, 30, tzinfo=dt.UTC)
    with pytest.raises(ServiceError) as missing:
        _bulk(world, csv_bytes([["A004", "1"]], ["工号", "数值"]))
    assert missing.value.fields == {"mapping": ["缺少必需的列：指标编码、发生时间。"]}
    with pytest.raises(ServiceError):
        _bulk(world, b"")
    with pytest.raises(ServiceError):
        _bulk(world, csv_bytes([GOOD], HEADERS), mode="sometimes")


def test_flags_after_the_import(metrics_world: World) -> None:
    """Out of range at once; near-duplicates (in the file and against stored events)
    and jumps against three months of history by the pass after the import."""
    world = metrics_world
    amount = Indicator.objects.get(company=world.company, code="order_amount")
    IndicatorVersion.objects.filter(pk=amount.current_version_id).update(plausible_max=100000)
    # Three months of history of about 1,000 a month for A004 (through the ingest).
    history = [
        ["A004", "", "order_amount", "1000", f"2026-{m:02d}-10 10:00", f"H{m}", "", "", ""]
        for m in (7, 8, 9)
    ]
    _bulk(world, csv_bytes(history, HEADERS))
    rows = [
        ["A004", "", "order_amount", "999999", "2026-10-02 10:00", "B1", "", "", ""],
        ["A004", "", "order_amount", "200", "2026-10-03 10:00", "B2", "", "", ""],
        ["A004", "", "order_amount", "200", "2026-10-03 10:00", "B3", "", "", ""],
        ["A004", "", "order_amount", "1000", "2026-09-10 10:00", "B4", "", "", ""],
        ["A005", "", "order_amount", "5", "2026-10-03 10:00", "B5", "", "", ""],
    ]
    result = _bulk(world, csv_bytes(rows, HEADERS))
    flags = dict(
        MetricEvent.objects.filter(run_id=result.run_id).values_list("source_event_id", "anomalies")
    )
    assert flags == {
        "B1": ["out_of_range", "jump"],
        "B2": [],
        "B3": ["duplicate_like"],
        "B4": ["duplicate_like"],
        "B5": [],
    }
    # The pass adds nothing twice.
    assert run_anomalies_flag(world.company, result.run_id) == {"jump": 0, "duplicate_like": 0}


@pytest.mark.parametrize("seed", [1, 2])
def test_random_files_match_the_wizard(metrics_world: World, seed: int) -> None:
    """Random rows (people by 工号 or e-mail, unknown identities, zones in the time,
    dates alone, repeats) give the same events through both paths."""
    world = metrics_world
    rng = random.Random(seed)
    people = ["A004", "A005"]
    rows = []
    for index in range(120):
        who = rng.choice([*people, "", ""])
        identity = "" if who else rng.choice(["x@elsewhere.example", "Y@ELSEWHERE.example"])
        when = rng.choice(["2026-10-31 23:30", "2026-11-01T00:10:00+08:00", "2026-11-02",
                           "2026/11/03 08:00", "2026-11-04 16:00:00Z"])  # fmt: skip
        rows.append([who, identity, rng.choice(["orders", "order_amount", "customer_visits"]),
                     str(Decimal(rng.randrange(1, 10**7)).scaleb(-rng.randrange(0, 5))), when,
                     rng.choice(["", f"S{index}", f"S{index % 7}"]) if index % 9 else "",
                     rng.choice(["", "甲公司", "ＡＢＣ"]), "", ""])  # fmt: skip
    data = csv_bytes(rows, HEADERS)
    batch = services.batch_upload(
        company=world.company, actor=world.hr, importer_name="metric_events",
        file_name="data.csv", data=data,
    )  # fmt: skip
    services.batch_preview(
        batch=batch, actor=world.hr, mapping=batch.mapping, mode="valid_rows_only"
    )
    services.batch_commit(batch=batch, actor=world.hr)
    wizard = MetricSource.objects.get(company=world.company, name=FILE_SOURCE_NAME)
    other = MetricSource.objects.create(company=world.company, name="CRM 导出", kind=SourceKind.CRM)
    _bulk(world, data, mode="valid_rows_only", source=other)
    assert _stored(other) == _stored(wizard)
    assert len(_stored(other)) > 50
    assert MetricEvent.objects.filter(source=other, status=EventStatus.PARKED).exists()


def test_the_upload_page_imports_a_big_file_directly(
    metrics_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond the wizard's row limit the file goes through the bulk path in the chosen
    mode; "直接导入" does so for any file. The outcome and its errors show on the page."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jixiao.imports import readers
    from tests.metrics.cast import client_as

    world = metrics_world
    source = MetricSource.objects.create(
        company=world.company, name="CRM 导出", kind=SourceKind.CRM
    )
    hr = client_as(world, "hr")
    url = f"/metrics/sources/{source.pk}/import/"
    monkeypatch.setattr(readers, "MAX_ROWS", 1)
    rows = [GOOD, ["A999", "", "orders", "1", "2026-11-03", "R9", "", "", ""]]
    page = hr.post(url, {"file": SimpleUploadedFile("big.csv", csv_bytes(rows, HEADERS)),
                         "mode": "all_or_nothing"})  # fmt: skip
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="bulk-result"' in text
    assert "未导入：文件有错误" in text and "工号 A999 不存在。" in text
    assert not MetricEvent.objects.filter(source=source).exists()
    page = hr.post(url, {"file": SimpleUploadedFile("big.csv", csv_bytes(rows, HEADERS)),
                         "mode": "valid_rows_only"})  # fmt: skip
    assert "共 2 行；新增 1 条" in page.content.decode()
    assert MetricEvent.objects.filter(source=source).count() == 1
    monkeypatch.setattr(readers, "MAX_ROWS", 200_000)
    direct = hr.post(url, {"file": SimpleUploadedFile("small.csv", csv_bytes([GOOD], HEADERS)),
                           "direct": "on", "mode": "all_or_nothing"})  # fmt: skip
    assert "已存在 1 条" in direct.content.decode()
    wizard = hr.post(url, {"file": SimpleUploadedFile("small.csv", csv_bytes([GOOD], HEADERS)),
                           "mode": "all_or_nothing"})  # fmt: skip
    assert wizard.status_code == 302  # to the mapping step


def test_the_api_streams_a_file_into_a_source(metrics_world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.metrics.cast import client_as

    world = metrics_world
    source = MetricSource.objects.create(company=world.company, name="ERP", kind=SourceKind.ERP)
    hr = client_as(world, "hr")
    url = f"/api/v1/metrics/sources/{source.pk}/bulk-import"
    headers = ["Staff", "KPI", "Qty", "When", "Ref"]
    data = csv_bytes([["A004", "orders", "2", "2026-11-02 09:00", "E1"],
                      ["A004", "orders", "x", "2026-11-02 09:00", "E2"]], headers)  # fmt: skip
    mapping = ('{"Staff": "employee_number", "KPI": "indicator", "Qty": "value", '
               '"When": "occurred_at", "Ref": "source_event_id"}')  # fmt: skip
    refused = hr.post(url, {"file": SimpleUploadedFile("e.csv", data), "mapping": mapping})
    assert refused.status_code == 200
    body = refused.json()
    assert body["committed"] is False and body["error_rows"] == 1
    assert body["issues"] == [
        {"row": 3, "column": "Qty", "message": "必须是数字。", "level": "error", "field": "value"}
    ]
    stored = hr.post(
        url,
        {"file": SimpleUploadedFile("e.csv", data), "mapping": mapping, "mode": "valid_rows_only"},
    ).json()
    assert (stored["created"], stored["committed"], stored["values_current"]) == (1, True, True)
    source.refresh_from_db()
    assert source.column_mapping == {}  # a mapping given with the file is not remembered
    # Without a mapping, a file of the wizard's headers is recognised, and that mapping
    # is remembered and used for the next file of that layout.
    recognised = hr.post(url, {"file": SimpleUploadedFile("g.csv", csv_bytes([GOOD], HEADERS))})
    assert recognised.json()["created"] == 1
    source.refresh_from_db()
    assert source.column_mapping["工号"] == "employee_number"
    no_file = hr.post(url, {"mode": "valid_rows_only"})
    assert no_file.status_code == 422 and no_file.json()["fields"] == {
        "file": ["请选择要上传的文件。"]
    }
    bad_mapping = hr.post(url, {"file": SimpleUploadedFile("e.csv", data), "mapping": "{}"})
    assert bad_mapping.status_code == 422
    push = MetricSource.objects.create(company=world.company, name="推送", kind=SourceKind.PUSH)
    refused_kind = hr.post(
        f"/api/v1/metrics/sources/{push.pk}/bulk-import",
        {"file": SimpleUploadedFile("e.csv", data)},
    )
    assert refused_kind.status_code == 422


def test_a_file_of_many_people_is_finished_by_the_task_after_the_commit(
    metrics_world: World, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from jixiao.metrics.services import bulk_import

    monkeypatch.setattr(bulk_import, "REFRESH_INLINE_SUBJECTS", 0)
    rows = [GOOD, [*GOOD[:4], "2026-11-02 10:00", "R2", *GOOD[6:]]]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = _bulk(metrics_world, csv_bytes(rows, HEADERS))
    assert result.values_current is False and len(callbacks) == 1
    month = MetricValue.objects.filter(indicator__code="order_amount", period_kind="month")
    assert not month.exists()
    callbacks[0]()  # what the worker runs once the import is committed
    assert month.get().value == Decimal("25601.0000")
    assert MetricEvent.objects.get(source_event_id="R2").anomalies == ["duplicate_like"]
