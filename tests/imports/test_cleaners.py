"""Cell cleaners: the formats Chinese spreadsheets really contain, property-tested."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jixiao.imports.cleaners import (
    CleanError,
    choice_lookup,
    clean_choice,
    clean_code,
    clean_date,
    clean_decimal,
    clean_email,
    clean_number,
    clean_phone,
    clean_text,
    date_to_excel_serial,
    half_width,
    split_list,
)

FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
dates = st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2999, 12, 31))


@given(dates)
def test_every_spelling_of_a_date_means_that_date(day: dt.date) -> None:
    spellings = [
        day.isoformat(),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month:02d}.{day.day:02d}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}年{day.month}月{day.day}号",
        day.strftime("%Y%m%d"),
        f"{day.isoformat()} 00:00:00",
        f"{day.year}年{day.month}月{day.day}日".translate(FULL_WIDTH_DIGITS),
    ]
    for text in spellings:
        assert clean_date(text) == day, text
    assert clean_date(dt.datetime.combine(day, dt.time(9, 30))) == day
    assert clean_date(date_to_excel_serial(day)) == day
    assert clean_date(float(date_to_excel_serial(day)) + 0.5) == day  # a time part is dropped
    assert clean_date(str(date_to_excel_serial(day))) == day


def test_excel_serial_numbers_use_the_1900_system() -> None:
    assert clean_date(45352) == dt.date(2024, 3, 1)
    assert clean_date(1) == dt.date(1899, 12, 31) or clean_date(61) == dt.date(1900, 3, 1)
    assert clean_date(61) == dt.date(1900, 3, 1)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2024-02-30", "不存在"),
        ("2024-13-01", "不存在"),
        ("三月一日", "日期格式无法识别"),
        ("03/01/2024", "日期格式无法识别"),
        (0, "日期格式无法识别"),
        (True, "日期格式无法识别"),
    ],
)
def test_impossible_dates_are_refused_with_a_reason(value: object, message: str) -> None:
    with pytest.raises(CleanError, match=message):
        clean_date(value)


def test_blank_dates_are_none() -> None:
    assert clean_date("") is None
    assert clean_date("  ") is None
    assert clean_date(None) is None


money = st.decimals(
    min_value=Decimal("0"), max_value=Decimal("99999999.99"), places=2, allow_nan=False
)


@given(money)
def test_every_spelling_of_an_amount_means_that_amount(amount: Decimal) -> None:
    grouped = f"{amount:,.2f}"
    spellings = [
        str(amount),
        grouped,
        f"¥{grouped}",
        f"￥{amount}",
        f"{amount}元",
        f"RMB {grouped}",
        grouped.translate(FULL_WIDTH_DIGITS),
        float(amount),
    ]
    for value in spellings:
        assert clean_decimal(value) == amount, value


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4))
def test_a_number_round_trips_through_its_text(number: Decimal) -> None:
    assert clean_number(str(number)) == number


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("八千", "必须是数字"),
        ("8000.123", "最多 2 位小数"),
        ("-5", "不能小于 0"),
        ("NaN", "必须是数字"),
    ],
)
def test_bad_amounts(value: str, message: str) -> None:
    with pytest.raises(CleanError, match=message):
        clean_decimal(value, minimum=Decimal("0"))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13800138000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),
        (13800138000.0, "13800138000"),
        ("010-6552 9988", "01065529988"),
        ("+49 151 23456789", "+4915123456789"),
        ("", ""),
    ],
)
def test_phone_numbers_are_stored_one_way(typed: object, stored: str) -> None:
    assert clean_phone(typed) == stored
    if stored:
        assert clean_phone(stored) == stored  # idempotent: re-import changes nothing


@pytest.mark.parametrize("typed", ["12345", "138001380001234", "电话"])
def test_impossible_phone_numbers(typed: str) -> None:
    with pytest.raises(CleanError, match="电话号码"):
        clean_phone(typed)


def test_text_and_codes() -> None:
    assert clean_text("  王  姐 ") == "王 姐"
    assert clean_text(1001.0) == "1001"
    assert clean_code("Ａ ００１") == "A001"
    assert half_width("ＡＢＣ１２３，") == "ABC123,"
    with pytest.raises(CleanError, match="不能超过 3 个字符"):
        clean_text("abcd", max_length=3)


def test_email() -> None:
    assert clean_email(" wang@example.com ") == "wang@example.com"
    with pytest.raises(CleanError, match="邮箱"):
        clean_email("wang@")


def test_choices_by_code_or_label_in_either_language() -> None:
    lookup = choice_lookup(
        [("full_time", "全职"), ("part_time", "兼职")], {"part_time": ["Part-time", "PT"]}
    )
    labels = ["全职", "兼职"]
    assert clean_choice("全职", lookup, labels) == "full_time"
    assert clean_choice("FULL TIME", lookup, labels) == "full_time"
    assert clean_choice("full_time", lookup, labels) == "full_time"
    assert clean_choice("part-time", lookup, labels) == "part_time"
    assert clean_choice("", lookup, labels) is None
    with pytest.raises(CleanError, match="可选：全职、兼职"):
        clean_choice("合同工", lookup, labels)


def test_lists() -> None:
    assert split_list("老员工、外派, 销售；老员工") == ["老员工", "外派", "销售"]
    assert split_list(None) == []
