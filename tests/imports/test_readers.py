"""Reading uploads: encodings, delimiters, Excel, and each kind of refusal."""

from __future__ import annotations

import datetime as dt

import pytest

from jixiao.imports.engine import FieldSpec, table_from_sheet
from jixiao.imports.readers import FileRejected, read_file
from tests.imports.helpers import csv_bytes, xlsx_bytes

ROWS = [["A101", "王姐", "2024/3/1"], ["A102", "李哥", "2024年3月2日"]]
HEADERS = ["工号", "姓名", "入职日期"]
FIELDS = [
    FieldSpec("employee_number", "工号"),
    FieldSpec("name", "姓名"),
    FieldSpec("hire_date", "入职日期"),
]
LIMIT = 1024 * 1024


def _read(name: str, data: bytes) -> list[list[object]]:
    table = table_from_sheet(read_file(file_name=name, data=data, max_bytes=LIMIT), FIELDS)
    assert table.headers == HEADERS
    return [cells for _number, cells in table.rows]


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter"),
    [
        ("utf-8", False, ","),
        ("utf-8", True, ","),
        ("gb18030", False, ","),
        ("utf-8", False, ";"),
        ("gb18030", False, "\t"),
    ],
)
def test_csv_in_the_encodings_and_delimiters_excel_writes(
    encoding: str, bom: bool, delimiter: str
) -> None:
    data = csv_bytes(ROWS, HEADERS, encoding=encoding, bom=bom, delimiter=delimiter)
    assert _read("花名册.csv", data) == ROWS


def test_xlsx_keeps_typed_cells() -> None:
    data = xlsx_bytes([["A101", "王姐", dt.date(2024, 3, 1)]], HEADERS)
    assert _read("roster.XLSX", data) == [["A101", "王姐", dt.date(2024, 3, 1)]]


def test_a_title_row_above_the_headers_is_skipped_and_rows_keep_their_numbers() -> None:
    data = xlsx_bytes(
        [[], HEADERS, ["A101", "王姐", "2024-03-01"], [], ["A102", "李哥", "2024-03-02"]],
        ["星海外贸员工花名册"],
    )
    table = table_from_sheet(read_file(file_name="r.xlsx", data=data, max_bytes=LIMIT), FIELDS)
    assert table.header_row == 3
    assert [number for number, _cells in table.rows] == [4, 6]


def test_duplicate_headers_are_told_apart() -> None:
    data = csv_bytes([["1", "2"]], ["备注", "备注"])
    table = table_from_sheet(read_file(file_name="a.csv", data=data, max_bytes=LIMIT), FIELDS)
    assert table.headers == ["备注", "备注 (2)"]


REFUSALS = [
    ("big.csv", b"a,b\n" + b"1,2\n" * 400_000, "too_large", "超过上限"),
    ("empty.csv", b"", "empty", "文件是空的"),
    ("blank.csv", b" \n \n", "empty", "文件是空的"),
    ("commas.csv", b",,\n,,\n", "empty", "没有任何数据"),
    ("photo.png", b"\x89PNG....", "wrong_type", "不支持的文件类型"),
    ("noext", b"a,b", "wrong_type", "不支持的文件类型"),
    ("broken.xlsx", b"PK\x03\x04 this is not a zip", "malformed", "Excel 文件已损坏"),
    ("text.xlsx", b"just,some,text\n", "malformed", "Excel 文件已损坏"),
    ("binary.csv", b"\xff\xfe\x00\xd8\x00", "bad_encoding", "编码"),
    ("excel.csv", b"XLSX", "malformed", "内容是 Excel"),
    ("quote.csv", b'a,b\n"1,2\n3,4', "malformed", "CSV 格式有误"),
]


@pytest.mark.parametrize(
    ("name", "data", "code", "message"), REFUSALS, ids=[case[0] for case in REFUSALS]
)
def test_unreadable_files_are_refused_with_a_specific_message(
    name: str, data: bytes, code: str, message: str
) -> None:
    if data == b"XLSX":  # built here: a workbook's bytes differ per build (zip timestamps)
        data = xlsx_bytes([["1"]])
    with pytest.raises(FileRejected) as caught:
        read_file(file_name=name, data=data, max_bytes=LIMIT)
    assert caught.value.code == code
    assert message in caught.value.message
