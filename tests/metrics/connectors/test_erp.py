"""The ERP export connector against real CSV and XLSX files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from jixiao.core.api_errors import ServiceError
from jixiao.metrics.connectors.base import ConnectorError, config_from_dict, connector_for
from jixiao.metrics.connectors.erp import ErpConfig

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)

CSV = """星海工厂 生产日报 2026年11月
工号,姓名,日期,产量,不良数,单号
A001,王姐,2026-11-02,120,3,MO-1
A002,李哥,2026/11/02,95,0,MO-2
A001,王姐,2026-11-03,"1,050",7,MO-3
A002,李哥,2026-11-03,很多,1,MO-4
,,,,,
A002,李哥,2026-11-04,80,,MO-5
"""


@pytest.fixture
def export_dir(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    folder = tmp_path / "connector-files"
    folder.mkdir()
    return folder


def _config(**extra: object) -> ErpConfig:
    return config_from_dict(ErpConfig, {"path": "daily.csv", "id_column": "单号", **extra})


def test_output_and_defects_per_person_and_day(export_dir: Path) -> None:
    (export_dir / "daily.csv").write_text(CSV, encoding="utf-8")
    batch = connector_for("erp").fetch(_config(), {}, now=NOW)

    assert batch.complete
    got = [(i.employee_number, i.indicator_code, i.value) for i in batch.items]
    assert got == [
        ("A001", "output_units", Decimal(120)),
        ("A001", "defective_units", Decimal(3)),
        ("A002", "output_units", Decimal(95)),
        ("A002", "defective_units", Decimal(0)),
        ("A001", "output_units", Decimal(1050)),
        ("A001", "defective_units", Decimal(7)),
        ("A002", "output_units", Decimal(80)),
    ]
    first = batch.items[0]
    assert first.source_event_id == "MO-1:output_units"
    assert first.evidence == {"file": "daily.csv", "row": 3, "record": "MO-1"}
    # Production on 2 November in Shanghai, stored at local noon in UTC.
    assert first.occurred_at == dt.datetime(2026, 11, 2, 4, 0, tzinfo=dt.UTC)
    assert batch.problems == ["第 6 行：必须是数字。"]

    again = connector_for("erp").fetch(_config(), batch.cursor, now=NOW)
    assert again.items == []
    assert again.complete


def test_without_a_record_column_ids_are_person_day_and_place(export_dir: Path) -> None:
    (export_dir / "daily.csv").write_text(
        "工号,日期,产量\nA001,2026-11-02,10\nA001,2026-11-02,15\nA002,2026-11-02,9\n",
        encoding="utf-8",
    )
    connector = connector_for("erp")
    pages = [connector.fetch(_config(id_column="", defects_column=""), {}, now=NOW, limit=1)]
    while not pages[-1].complete:
        pages.append(
            connector.fetch(
                _config(id_column="", defects_column=""), pages[-1].cursor, now=NOW, limit=1
            )
        )
    ids = [item.source_event_id for page in pages for item in page.items]
    assert ids == [
        "A001:2026-11-02:1:output_units",
        "A001:2026-11-02:2:output_units",
        "A002:2026-11-02:1:output_units",
    ]


def test_xlsx_with_operator_codes_as_identity(export_dir: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["操作员", "生产日期", "合格+不良", "不良品"])
    sheet.append(["op-wang", dt.datetime(2026, 11, 5), 200, 4])
    book.save(export_dir / "mes.xlsx")
    config = config_from_dict(
        ErpConfig,
        {
            "path": "mes.xlsx",
            "identity_column": "操作员",
            "identity_kind": "identity",
            "date_column": "生产日期",
            "output_column": "合格+不良",
            "defects_column": "不良品",
        },
    )
    batch = connector_for("erp").fetch(config, {}, now=NOW)
    assert [(i.identity, i.indicator_code, i.value) for i in batch.items] == [
        ("op-wang", "output_units", Decimal(200)),
        ("op-wang", "defective_units", Decimal(4)),
    ]
    assert connector_for("erp").connection_test(config).details == {"rows": 1}


def test_missing_file_and_columns_are_clear(export_dir: Path) -> None:
    connector = connector_for("erp")
    with pytest.raises(ConnectorError) as caught:
        connector.fetch(_config(), {}, now=NOW)
    assert not caught.value.retryable
    (export_dir / "daily.csv").write_text("工号,日期,数量\nA001,2026-11-02,1\n", encoding="utf-8")
    with pytest.raises(ConnectorError) as caught:
        connector.fetch(_config(), {}, now=NOW)
    assert "产量" in caught.value.message
    report = connector.connection_test(_config())
    assert not report.ok
    with pytest.raises(ServiceError) as caught_config:
        config_from_dict(ErpConfig, {"path": "../secrets.csv", "identity_kind": "name"})
    assert set(caught_config.value.fields) == {"path", "identity_kind"}
