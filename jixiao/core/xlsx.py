"""Writing user-entered text into XLSX files safely.

Excel files cannot hold most ASCII control characters (openpyxl raises
``IllegalCharacterError``), and a name typed with one must not make an export
or report fail. Every sheet the product writes goes through ``safe_sheet``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

REPLACEMENT = "\ufffd"


def xlsx_text(value: str) -> str:
    """The text with characters Excel cannot store replaced by U+FFFD."""
    return ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, value)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return xlsx_text(value)
    inner = getattr(value, "value", None)
    if isinstance(inner, str) and hasattr(value, "data_type"):
        cleaned = xlsx_text(inner)
        if cleaned != inner:
            data_type = value.data_type
            value.value = cleaned
            value.data_type = data_type
    return value


class SafeSheet:
    """Wraps a (write-only) worksheet so every appended row is cleaned first."""

    def __init__(self, sheet: Any) -> None:
        self._sheet = sheet

    def append(self, row: Iterable[Any]) -> None:
        self._sheet.append([_clean(value) for value in row])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sheet, name)


def safe_sheet(sheet: Any) -> Any:
    return SafeSheet(sheet)
