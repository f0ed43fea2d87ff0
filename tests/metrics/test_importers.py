"""Importing metric events from CSV/XLSX through the import framework."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from jixiao.imports import services
from jixiao.imports.models import ImportBatch
from jixiao.metrics.importers import FILE_SOURCE_NAME, clean_moment
from jixiao.metrics.models import IdentityLink, MetricEvent, MetricSource
from tests.conftest import World
from tests.imports.helpers import csv_bytes, issues_of, xlsx_bytes

HEADERS = [
    "工号",
    "外部身份",
    "指标编码",
    "数值",
    "发生时间",
    "来源编号",
    "客户",
    "订单号",
    "证据链接",
]
GOOD = ["A004", "", "order_amount", "12800.50", "2026-11-02 10:00", "R1", "汉堡贸易", "SO-1",
        "https://crm.example/orders/SO-1"]  # fmt: skip


def _upload(
    world: World, data: bytes, *, name: str = "data.csv", mode: str = "all_or_nothing"
) -> tuple[ImportBatch, Any]:
    batch = services.batch_upload(
        company=world.company, actor=world.hr, importer_name="metric_events", file_name=name,
        data=data,
    )  # fmt: skip
    plan = services.batch_preview(batch=batch, actor=world.hr, mapping=batch.mapping, mode=mode)
    return batch, plan


def _events(world: World) -> list[MetricEvent]:
    return list(
        MetricEvent.objects.filter(company=world.company, source__name=FILE_SOURCE_NAME)
        .select_related("indicator", "employee")
        .order_by("source_event_id")
    )


def _messy_file() -> bytes:
    return csv_bytes(
        [
            GOOD,
            ["A005", "", "order_amount", "一千", "2026-11-02", "R2", "", "", ""],
            ["A005", "", "sales_magic", "3", "2026-11-02", "R3", "", "", ""],
            ["A005", "", "orders", "1", "2026-13-45", "R4", "", "", ""],
            ["A999", "", "orders", "1", "2026-11-03", "R5", "", "", ""],
            [
                "",
                "hans@hamburg-trade.de",
                "customer_emails",
                "1",
                "2026-11-03 23:10",
                "R6",
                "",
                "",
                "",
            ],
            ["A004", "", "conversion_rate", "0.5", "2026-11-03", "R7", "", "", ""],
            ["", "", "orders", "1", "2026-11-03", "R8", "", "", ""],
            ["A004", "", "orders", "1", "2026-11-04", "R9", "", "", "ftp://files/1"],
        ],
        HEADERS,
    )


def test_dry_run_shows_errors_at_their_row_and_column(metrics_world: World) -> None:
    batch, plan = _upload(metrics_world, _messy_file())

    assert batch.mapping == {
        "工号": "employee_number",
        "外部身份": "identity",
        "指标编码": "indicator",
        "数值": "value",
        "发生时间": "occurred_at",
        "来源编号": "source_event_id",
        "客户": "customer",
        "订单号": "order_number",
        "证据链接": "evidence_url",
    }
    assert issues_of(batch) == [
        (3, "数值", "必须是数字。"),
        (4, "指标编码", "指标 sales_magic 不存在。"),
        (5, "发生时间", "日期“2026-13-45”不存在。"),
        (6, "工号", "工号 A999 不存在。"),
        (8, "指标编码", "指标 conversion_rate 由其他指标计算得出，请导入它的组成指标。"),
        (9, "工号", "请填写工号、外部身份或部门编码之一。"),
        (10, "证据链接", "证据链接必须以 http:// 或 https:// 开头。"),
    ]
    warnings = issues_of(batch, "warning")
    assert warnings == [
        (7, "外部身份", "“hans@hamburg-trade.de”还没有对应的员工，数据将进入待匹配队列。")
    ]
    assert plan.count("create") == 2
    assert not MetricEvent.objects.filter(company=metrics_world.company).exists()


def test_all_or_nothing_writes_nothing_when_a_row_is_wrong(metrics_world: World) -> None:
    batch, _plan = _upload(metrics_world, _messy_file())
    done = services.batch_commit(batch=batch, actor=metrics_world.hr)
    assert done.status == ImportBatch.Status.FAILED
    assert _events(metrics_world) == []


def test_valid_rows_only_writes_the_good_rows_with_evidence(metrics_world: World) -> None:
    batch, _plan = _upload(metrics_world, _messy_file(), mode="valid_rows_only")
    done = services.batch_commit(batch=batch, actor=metrics_world.hr)

    assert done.status == ImportBatch.Status.COMMITTED
    assert done.created_count == 2
    events = _events(metrics_world)
    assert [e.source_event_id for e in events] == ["R1", "R6"]
    order, mail = events
    assert order.employee == metrics_world.person(metrics_world.employee)
    assert order.indicator.code == "order_amount"
    assert order.value == Decimal("12800.50")
    # 10:00 in the company's zone (Asia/Shanghai) is 02:00 UTC.
    assert order.occurred_at == dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
    assert order.evidence == {"customer": "汉堡贸易", "order_number": "SO-1"}
    assert order.evidence_url == "https://crm.example/orders/SO-1"
    assert mail.employee is None
    assert mail.status == "parked_unmatched"


def test_importing_the_same_file_again_counts_nothing_twice(metrics_world: World) -> None:
    rows = [GOOD, ["A005", "", "orders", "1", "2026-11-05", "", "", "", ""]]
    first, _plan = _upload(metrics_world, csv_bytes(rows, HEADERS))
    assert services.batch_commit(batch=first, actor=metrics_world.hr).created_count == 2
    derived = [e.source_event_id for e in _events(metrics_world) if e.source_event_id != "R1"]
    assert len(derived) == 1 and derived[0].startswith("file-")

    again, plan = _upload(metrics_world, csv_bytes(rows, HEADERS))
    assert plan.count("unchanged") == 2
    assert plan.count("create") == 0
    done = services.batch_commit(batch=again, actor=metrics_world.hr)
    assert done.status == ImportBatch.Status.COMMITTED
    assert len(_events(metrics_world)) == 2

    changed = [[*GOOD[:3], "13000", *GOOD[4:]]]
    conflict, _plan = _upload(metrics_world, csv_bytes(changed, HEADERS))
    assert issues_of(conflict) == [
        (2, "来源编号", "该编号已收到过不同的数值；如需修改，请填写更正方式。")
    ]


def test_a_correction_row_replaces_an_earlier_value(metrics_world: World) -> None:
    first, _plan = _upload(metrics_world, csv_bytes([GOOD], HEADERS))
    services.batch_commit(batch=first, actor=metrics_world.hr)
    headers = [*HEADERS, "更正方式", "被更正编号"]
    fix = [[*GOOD[:3], "13000", GOOD[4], "R1-fix", *GOOD[6:], "替换", "R1"]]
    batch, _plan = _upload(metrics_world, csv_bytes(fix, headers))
    assert issues_of(batch) == []
    assert services.batch_commit(batch=batch, actor=metrics_world.hr).status == "committed"
    statuses = {e.source_event_id: (e.status, e.value) for e in _events(metrics_world)}
    assert statuses == {
        "R1": ("superseded", Decimal("12800.5000")),
        "R1-fix": ("counted", Decimal("13000.0000")),
    }


def test_saved_mapping_is_offered_for_the_next_file_of_that_layout(metrics_world: World) -> None:
    headers = ["Staff", "KPI", "Qty", "When", "Ref"]
    rows = [["A004", "orders", 2, dt.datetime(2026, 11, 6, 9, 30), "ERP-77"]]
    batch = services.batch_upload(
        company=metrics_world.company, actor=metrics_world.hr, importer_name="metric_events",
        file_name="erp.xlsx", data=xlsx_bytes(rows, headers),
    )  # fmt: skip
    assert batch.mapping["Staff"] == ""  # not recognised by itself
    mapping = {"Staff": "employee_number", "KPI": "indicator", "Qty": "value",
               "When": "occurred_at", "Ref": "source_event_id"}  # fmt: skip
    services.mapping_save(
        company=metrics_world.company, actor=metrics_world.hr, importer_name="metric_events",
        name="ERP 导出", columns=mapping,
    )  # fmt: skip
    next_batch = services.batch_upload(
        company=metrics_world.company, actor=metrics_world.hr, importer_name="metric_events",
        file_name="erp-next.xlsx", data=xlsx_bytes(rows, headers),
    )  # fmt: skip
    assert next_batch.mapping == mapping
    services.batch_preview(batch=next_batch, actor=metrics_world.hr, mapping=next_batch.mapping)
    done = services.batch_commit(batch=next_batch, actor=metrics_world.hr)
    assert done.status == ImportBatch.Status.COMMITTED
    (event,) = _events(metrics_world)
    assert event.value == 2
    assert event.occurred_at == dt.datetime(2026, 11, 6, 1, 30, tzinfo=dt.UTC)
    assert MetricSource.objects.filter(company=metrics_world.company, kind="file").count() == 1


def test_identity_linked_to_an_employee_is_matched(metrics_world: World) -> None:
    IdentityLink.objects.create(
        company=metrics_world.company,
        identity="li@xinghai.example",
        employee=metrics_world.person(metrics_world.teammate),
    )
    rows = [["", "Li@XingHai.example", "customer_emails", "3", "2026-11-03", "M1", "", "", ""]]
    batch, _plan = _upload(metrics_world, csv_bytes(rows, HEADERS))
    assert issues_of(batch, "warning") == []
    services.batch_commit(batch=batch, actor=metrics_world.hr)
    (event,) = _events(metrics_world)
    assert event.employee == metrics_world.person(metrics_world.teammate)
    # A date alone is noon of that day in the company's zone.
    assert event.occurred_at == dt.datetime(2026, 11, 3, 4, 0, tzinfo=dt.UTC)


def test_future_times_are_refused(metrics_world: World) -> None:
    later = (timezone.now() + dt.timedelta(days=5)).strftime("%Y-%m-%d %H:%M")
    rows = [["A004", "", "orders", "1", later, "F1", "", "", ""]]
    batch, _plan = _upload(metrics_world, csv_bytes(rows, HEADERS))
    assert issues_of(batch) == [(2, "发生时间", "发生时间不能晚于现在。")]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-11-02 10:00", dt.datetime(2026, 11, 2, 10, 0)),
        ("2026/11/02 10:00:30", dt.datetime(2026, 11, 2, 10, 0, 30)),
        ("2026年11月2日 9:05", dt.datetime(2026, 11, 2, 9, 5)),
        ("2026-11-02T10:00Z", dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)),
        ("2026-11-02 10:00+08:00", dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)),
        ("2026-11-02", dt.datetime(2026, 11, 2, 12, 0)),
        (dt.date(2026, 11, 2), dt.datetime(2026, 11, 2, 12, 0)),
        (46328.75, dt.datetime(2026, 11, 2, 18, 0)),  # Excel serial with a time
        ("", None),
    ],
)
def test_moment_cleaner(cell: object, expected: dt.datetime | None) -> None:
    assert clean_moment(cell) == expected


def test_evidence_too_large_is_refused_at_its_row(metrics_world: World) -> None:
    headers = ["工号", "指标编码", "数值", "发生时间", "客户", "地点", "说明"]
    rows = [
        ["A004", "customer_visits", "1", "2026-11-03", "客" * 200, "广州" * 100, "谈" * 500],
        ["A004", "customer_visits", "1", "2026-11-04", "汉堡贸易", "汉堡", "谈价格"],
    ]
    batch, plan = _upload(metrics_world, csv_bytes(rows, headers))
    assert issues_of(batch) == [(2, "说明", "证据过大（2744 字节，最多 2048 字节）。")]
    assert plan.count("create") == 1


def test_a_file_of_many_email_identities_is_checked_in_chunks(metrics_world: World) -> None:
    """Thousands of e-mail identities: each known one (any case) is matched, the others
    warned about; the database's expression limit is never reached."""
    teammate = metrics_world.person(metrics_world.teammate)
    teammate.email = "Bo.Teammate@XingHai.example"
    teammate.save(update_fields=["email"])
    rows = [
        ["", f"guest{n}@partner.example", "customer_emails", "1", "2026-11-03", f"G{n}", "", "", ""]
        for n in range(2500)
    ]
    rows.append(["", "bo.teammate@xinghai.EXAMPLE", "customer_emails", "1", "2026-11-03", "B1",
                 "", "", ""])  # fmt: skip
    batch, _plan = _upload(metrics_world, csv_bytes(rows, HEADERS))
    warnings = issues_of(batch, "warning")
    assert len(warnings) == 2500
    assert all("guest" in message for _row, _column, message in warnings)
