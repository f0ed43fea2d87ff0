"""Text with control characters never breaks an XLSX export."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell

from jixiao.core.xlsx import REPLACEMENT, safe_sheet, xlsx_text


def test_a_control_character_is_replaced_not_fatal() -> None:
    workbook = Workbook(write_only=True)
    sheet = safe_sheet(workbook.create_sheet("s"))
    sheet.append(["a\x0bb", 3])
    buffer = io.BytesIO()
    workbook.save(buffer)
    row = next(load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows(values_only=True))
    assert row == (f"a{REPLACEMENT}b", 3)


@given(st.text())
def test_any_cleaned_text_fits_in_a_cell(value: str) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("s")
    WriteOnlyCell(sheet, value=xlsx_text(value))
    assert len(xlsx_text(value)) == len(value)
