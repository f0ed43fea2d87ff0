"""An ERP's production export (CSV or XLSX): output and defective units per person and day.

The columns are named in the config (``工号``, ``日期``, ``产量``, ``不良数`` …), so
the ERP's own export needs no changes. Events: ``output_units`` and
``defective_units`` (defect rate = defective units / output units is a ratio
indicator over them). A row's source id is its record-number column when there
is one, else person + day + the row's place among that person's rows of the day:
exporting the file again never counts twice, and a changed quantity is reported
by the ingest as "already received with different values" instead of doubling.

The cursor holds the file's SHA-256 and how many data rows were taken; a new file
is read from the top (its ids keep old rows from counting again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from jixiao.imports.cleaners import CleanError, clean_code, clean_date, clean_number, is_blank
from jixiao.imports.engine import header_key
from jixiao.imports.readers import FileRejected, read_file
from jixiao.metrics.connectors.base import (
    DEFAULT_LIMIT,
    ConnectionReport,
    ConnectorConfig,
    ConnectorError,
    Cursor,
    FetchBatch,
    merge_errors,
    register,
)
from jixiao.metrics.connectors.files import path_errors, resolve_export_path
from jixiao.metrics.event_input import EventInput, EvidenceValue

MAX_FILE_BYTES = 50 * 1024 * 1024
HEADER_SCAN_ROWS = 10


@dataclass(frozen=True)
class ErpConfig(ConnectorConfig):
    """``identity_kind``: "employee_number" (工号) or "identity" (the ERP's operator code)."""

    path: str
    identity_column: str = "工号"
    identity_kind: str = "employee_number"
    date_column: str = "日期"
    output_column: str = "产量"
    defects_column: str = "不良数"
    id_column: str = ""
    time_zone: str = "Asia/Shanghai"

    def check(self) -> dict[str, list[str]]:
        errors = path_errors(self.path, "path")
        if not self.path.lower().endswith((".csv", ".xlsx", ".xls", ".txt")):
            errors = merge_errors(errors, {"path": [_("应为 .csv、.xlsx 或 .xls 文件。")]})
        if self.identity_kind not in {"employee_number", "identity"}:
            errors = merge_errors(
                errors, {"identity_kind": [_("应为 employee_number 或 identity。")]}
            )
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors = merge_errors(errors, {"time_zone": [_("未知的时区。")]})
        return errors

    def columns(self) -> dict[str, str]:
        named = {
            "identity": self.identity_column,
            "date": self.date_column,
            "output": self.output_column,
            "defects": self.defects_column,
            "id": self.id_column,
        }
        return {role: header for role, header in named.items() if header}


def _locate(rows: list[tuple[int, list[Any]]], config: ErpConfig) -> tuple[int, dict[str, int]]:
    """(index of the header row, {role: column index}); missing columns are an error."""
    wanted = {role: header_key(header) for role, header in config.columns().items()}
    for index, (_number, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        keys = [header_key(str(cell)) if not is_blank(cell) else "" for cell in cells]
        found = {role: keys.index(key) for role, key in wanted.items() if key in keys}
        if "identity" in found and "date" in found:
            missing = [config.columns()[role] for role in wanted if role not in found]
            if missing:
                raise ConnectorError(
                    _("导出文件缺少列：%(cols)s") % {"cols": "、".join(missing)}, retryable=False
                )
            return index, found
    raise ConnectorError(
        _("导出文件的前 %(n)d 行中找不到表头“%(a)s”和“%(b)s”。")
        % {"n": HEADER_SCAN_ROWS, "a": config.identity_column, "b": config.date_column},
        retryable=False,
    )


class ErpConnector:
    kind = "erp"
    config_class = ErpConfig

    def _read(self, config: ErpConfig) -> tuple[bytes, list[tuple[int, list[Any]]]]:
        path = resolve_export_path(config.path)
        if path is None or not path.is_file():
            raise ConnectorError(_("找不到导出文件：%(p)s") % {"p": config.path}, retryable=False)
        try:
            data = path.read_bytes()
            sheet = read_file(file_name=path.name, data=data, max_bytes=MAX_FILE_BYTES)
        except FileRejected as exc:
            raise ConnectorError(exc.message, retryable=False) from exc
        except OSError as exc:
            raise ConnectorError(_("读取导出文件出错：%(r)s") % {"r": exc}) from exc
        return data, sheet.rows

    def connection_test(self, config: ErpConfig) -> ConnectionReport:
        try:
            _data, rows = self._read(config)
            header, _found = _locate(rows, config)
        except ConnectorError as exc:
            return ConnectionReport(False, exc.message, {"path": config.path})
        count = len(rows) - header - 1
        return ConnectionReport(
            True, _("导出文件可读，共 %(n)d 行数据。") % {"n": count}, {"rows": count}
        )

    def fetch(
        self, config: ErpConfig, cursor: Cursor, *, now: dt.datetime, limit: int = DEFAULT_LIMIT
    ) -> FetchBatch:
        data, rows = self._read(config)
        digest = hashlib.sha256(data).hexdigest()
        header, columns = _locate(rows, config)
        body = rows[header + 1 :]
        position = int(cursor.get("position", 0) or 0) if cursor.get("sha256") == digest else 0
        zone = ZoneInfo(config.time_zone)
        # Places of each person's rows within a day are counted over the whole file,
        # so a row's id is the same whichever page it falls in.
        seen: dict[tuple[str, dt.date], int] = {}
        items: list[EventInput] = []
        problems: list[str] = []
        end = min(len(body), position + limit)
        for index, (number, cells) in enumerate(body[:end]):

            def cell(role: str, cells: list[Any] = cells) -> Any:
                at = columns.get(role)
                return cells[at] if at is not None and at < len(cells) else None

            if all(is_blank(value) for value in cells):
                continue
            try:
                who = clean_code(cell("identity"))
                day = clean_date(cell("date"))
                output = clean_number(cell("output"))
                defects = clean_number(cell("defects")) if "defects" in columns else None
            except CleanError as exc:
                if index >= position:
                    problems.append(_("第 %(n)d 行：%(m)s") % {"n": number, "m": exc.message})
                continue
            if not who or day is None:
                if index >= position:
                    problems.append(_("第 %(n)d 行：缺少人员或日期。") % {"n": number})
                continue
            place = seen[(who, day)] = seen.get((who, day), 0) + 1
            if index < position:
                continue
            record = clean_code(cell("id")) if "id" in columns else ""
            key = record or f"{who}:{day.isoformat()}:{place}"
            occurred = dt.datetime.combine(day, dt.time(12), tzinfo=zone).astimezone(dt.UTC)
            evidence: dict[str, EvidenceValue] = {"file": config.path, "row": number}
            if record:
                evidence["record"] = record
            for code, value in (("output_units", output), ("defective_units", defects)):
                if value is None:
                    continue
                if value < 0:
                    problems.append(_("第 %(n)d 行：数量不能为负。") % {"n": number})
                    continue
                items.append(
                    EventInput(
                        indicator_code=code,
                        value=Decimal(value),
                        occurred_at=occurred,
                        source_event_id=f"{key}:{code}",
                        identity=who if config.identity_kind == "identity" else "",
                        employee_number=who if config.identity_kind == "employee_number" else "",
                        evidence=evidence,
                    )
                )
        return FetchBatch(items, {"sha256": digest, "position": end}, end >= len(body), problems)


connector = register(ErpConnector())
