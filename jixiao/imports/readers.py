"""Turning an uploaded file's bytes into rows of cells: CSV (any common encoding) and Excel.

No ORM and no settings: the caller passes the size limit. Every refusal is a
``FileRejected`` with a message the uploader can act on.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None

EXCEL_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
MAX_ROWS = 200_000


class FileRejected(Exception):
    """The file cannot be read at all; ``code`` says why for the API."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class RawSheet:
    """Every row of the file's first sheet, numbered as the user sees them (1-based)."""

    rows: list[tuple[int, list[Cell]]]
    kind: str


def _extension(file_name: str) -> str:
    name = file_name.lower().strip()
    dot = name.rfind(".")
    return name[dot:] if dot >= 0 else ""


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), then GB18030 (Excel's "CSV" on Chinese Windows)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FileRejected(_("文件编码无法识别。"), code="bad_encoding") from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            _("文件编码无法识别，请另存为 UTF-8 或 GB18030 编码的 CSV，或上传 Excel 文件。"),
            code="bad_encoding",
        ) from exc


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t|"}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def read_csv(data: bytes) -> RawSheet:
    text = decode_text(data)
    if "\x00" in text:
        raise FileRejected(_("文件不是有效的 CSV 文本文件。"), code="malformed")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    rows: list[tuple[int, list[Cell]]] = []
    try:
        for number, record in enumerate(reader, start=1):
            rows.append((number, list(record)))
            if number > MAX_ROWS:
                raise FileRejected(
                    _("文件超过 %(n)d 行，请拆分后再导入。") % {"n": MAX_ROWS}, code="too_many_rows"
                )
    except csv.Error as exc:
        raise FileRejected(
            _("CSV 格式有误（第 %(line)d 行）：%(error)s")
            % {"line": reader.line_num, "error": exc},
            code="malformed",
        ) from exc
    return RawSheet(rows, "csv")


def read_excel(data: bytes) -> RawSheet:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            raise FileRejected(_("Excel 文件中没有工作表。"), code="empty")
        sheet = workbook.get_sheet_by_index(0)
        values = sheet.to_python(skip_empty_area=False)
    except FileRejected:
        raise
    except (CalamineError, ValueError, OSError) as exc:
        raise FileRejected(
            _("Excel 文件已损坏或不是有效的 Excel 文件，请用 Excel 打开后重新保存再上传。"),
            code="malformed",
        ) from exc
    except Exception as exc:  # calamine raises its own error types for zip/xml damage
        raise FileRejected(
            _("Excel 文件已损坏或不是有效的 Excel 文件，请用 Excel 打开后重新保存再上传。"),
            code="malformed",
        ) from exc
    if len(values) > MAX_ROWS:
        raise FileRejected(
            _("文件超过 %(n)d 行，请拆分后再导入。") % {"n": MAX_ROWS}, code="too_many_rows"
        )
    return RawSheet([(i, list(row)) for i, row in enumerate(values, start=1)], "excel")


def _looks_like_zip_or_ole(data: bytes) -> bool:
    return data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0"))


def read_file(*, file_name: str, data: bytes, max_bytes: int) -> RawSheet:
    """Read a CSV or Excel upload; refuse oversized, empty, unknown and damaged files."""
    if len(data) > max_bytes:
        raise FileRejected(
            _("文件大小 %(size).1f MB 超过上限 %(limit).1f MB。")
            % {"size": len(data) / 1048576, "limit": max_bytes / 1048576},
            code="too_large",
        )
    if not data.strip():
        raise FileRejected(_("文件是空的。"), code="empty")
    extension = _extension(file_name)
    if extension in EXCEL_EXTENSIONS:
        sheet = read_excel(data)
    elif extension in CSV_EXTENSIONS:
        if _looks_like_zip_or_ole(data):
            raise FileRejected(
                _("文件扩展名是 CSV，但内容是 Excel 文件，请改用 .xlsx 扩展名。"), code="malformed"
            )
        sheet = read_csv(data)
    else:
        raise FileRejected(
            _("不支持的文件类型“%(ext)s”，请上传 .xlsx、.xls 或 .csv 文件。")
            % {"ext": extension or file_name},
            code="wrong_type",
        )
    if not any(_filled(cell) for _, row in sheet.rows for cell in row):
        raise FileRejected(_("文件中没有任何数据。"), code="empty")
    return sheet


def _filled(cell: Cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


# --- Unbounded reading (the bulk imports) -----------------------------------------


def _sniff_delimiter(sample: str) -> str:
    counts = {d: sample.count(d) for d in ",;\t|"}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = decode_text(data)
    head = "\n".join(text[:8192].splitlines()[:20])
    return csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(head))


def file_rows(file_name: str, data: bytes) -> Iterator[list[Any]]:
    """A file's rows as they are read, without a row limit (the bulk imports stream
    them): an Excel workbook's first sheet, or a CSV in any encoding and delimiter."""
    name = file_name.lower()
    if name.endswith((".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")):
        sheet = read_excel_unbounded(data)
        return iter(sheet)
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRejected(
            _("文件扩展名是 CSV，但内容是 Excel 文件，请改用 .xlsx 扩展名。"), code="malformed"
        )
    return _csv_rows(data)


def read_excel_unbounded(data: bytes) -> list[list[Any]]:
    """The first sheet's rows (no row limit)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [
            list(row) for row in workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        ]
    except Exception:  # calamine's own error types: reported as the framework does
        read_excel(data)  # raises the framework's FileRejected with its message
        raise
