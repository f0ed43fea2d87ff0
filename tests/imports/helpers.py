"""Building upload files for import tests (shared with tests/org/test_importers*.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook, load_workbook

HEADERS = ["工号", "姓名", "入职日期", "部门", "手机", "邮箱", "直属上级", "状态", "月基本工资"]


def xlsx_bytes(rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str] = HEADERS,
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    bom: bool = False,
) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(row)
    data = text.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_rows(data: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def upload_and_preview(
    world: Any,
    data: bytes,
    *,
    name: str = "roster.xlsx",
    mapping: dict[str, str] | None = None,
    mode: str = "all_or_nothing",
    options: dict[str, bool] | None = None,
) -> tuple[Any, Any]:
    """Upload as company A's HR (inside its scope) and run the dry run: (batch, plan)."""
    from jixiao.imports import services

    batch = services.batch_upload(
        company=world.company,
        actor=world.hr,
        importer_name="employees",
        file_name=name,
        data=data,
    )
    plan = services.batch_preview(
        batch=batch,
        actor=world.hr,
        mapping=mapping if mapping is not None else batch.mapping,
        mode=mode,
        options=options,
    )
    return batch, plan


def issues_of(batch: Any, level: str = "error") -> list[tuple[int, str, str]]:
    return [(i["row"], i["column"], i["message"]) for i in batch.errors if i["level"] == level]
