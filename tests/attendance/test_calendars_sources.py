"""China's 2025 and 2026 calendars day by day against the State Council notices.

国办发明电〔2024〕12号 (2025) and 国办发明电〔2025〕7号 (2026): the statutory (300 %) days
are derived by rule, the rest of each block is rest days (200 %), and the weekend
days worked in exchange are make-up workdays.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jixiao.attendance.calendar_sources import (
    UnknownRegion,
    china_official_available,
    china_statutory_days,
    holidays_library_statutory_days,
    region_normalize,
    year_seed,
)
from jixiao.attendance.engine import DayKind

D = dt.date
STATUTORY, REST, MAKEUP, WORK = (
    DayKind.STATUTORY_HOLIDAY,
    DayKind.REST_DAY,
    DayKind.MAKEUP_WORKDAY,
    DayKind.WORKDAY,
)

STATUTORY_2025 = [
    D(2025, 1, 1),  # 元旦
    D(2025, 1, 28), D(2025, 1, 29), D(2025, 1, 30), D(2025, 1, 31),  # 除夕 + 初一至初三
    D(2025, 4, 4),  # 清明 (the solar term)
    D(2025, 5, 1), D(2025, 5, 2),  # 劳动节, two days since 2025
    D(2025, 5, 31),  # 端午, a Saturday
    D(2025, 10, 1), D(2025, 10, 2), D(2025, 10, 3),  # 国庆
    D(2025, 10, 6),  # 中秋
]  # fmt: skip
STATUTORY_2026 = [
    D(2026, 1, 1),
    D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19),
    D(2026, 4, 5),  # 清明 on a Sunday: the library's block names it, its flag would not
    D(2026, 5, 1), D(2026, 5, 2),
    D(2026, 6, 19),
    D(2026, 9, 25),  # 中秋
    D(2026, 10, 1), D(2026, 10, 2), D(2026, 10, 3),  # 10-03 is a Saturday
]  # fmt: skip


def _kinds(year: int) -> dict[dt.date, tuple[DayKind, str]]:
    return {d.date: (d.kind, d.name) for d in year_seed("CN", year).days}


def test_thirteen_statutory_days_2025_and_2026() -> None:
    assert list(china_statutory_days(2025)) == STATUTORY_2025
    assert list(china_statutory_days(2026)) == STATUTORY_2026
    for year, expected in ((2025, STATUTORY_2025), (2026, STATUTORY_2026)):
        kinds = _kinds(year)
        assert [d for d, (k, _n) in kinds.items() if k == STATUTORY] == expected
        assert len(kinds) == 365


def test_holidays_library_without_substitutes_agrees() -> None:
    for year in (2024, 2025, 2026, 2027):
        assert list(holidays_library_statutory_days(year)) == list(china_statutory_days(year))


def test_2026_spring_festival_block() -> None:
    kinds = _kinds(2026)
    block = {d: kinds[d] for d in (D(2026, 2, 14) + dt.timedelta(days=i) for i in range(15))}
    assert block == {
        D(2026, 2, 14): (MAKEUP, "春节"),  # Saturday worked
        D(2026, 2, 15): (REST, "春节"),  # 腊月二十八, Sunday
        D(2026, 2, 16): (STATUTORY, "春节"),  # 除夕
        D(2026, 2, 17): (STATUTORY, "春节"),  # 初一
        D(2026, 2, 18): (STATUTORY, "春节"),
        D(2026, 2, 19): (STATUTORY, "春节"),
        D(2026, 2, 20): (REST, "春节"),  # Friday moved in from 02-14
        D(2026, 2, 21): (REST, "春节"),
        D(2026, 2, 22): (REST, "春节"),
        D(2026, 2, 23): (REST, "春节"),  # Monday moved in from 02-28
        D(2026, 2, 24): (WORK, ""),
        D(2026, 2, 25): (WORK, ""),
        D(2026, 2, 26): (WORK, ""),
        D(2026, 2, 27): (WORK, ""),
        D(2026, 2, 28): (MAKEUP, "春节"),  # Saturday worked
    }


def test_2026_mid_autumn_and_national_day() -> None:
    kinds = _kinds(2026)
    assert kinds[D(2026, 9, 20)] == (MAKEUP, "国庆节")  # Sunday worked
    assert kinds[D(2026, 9, 25)] == (STATUTORY, "中秋节")
    assert kinds[D(2026, 9, 26)] == (REST, "中秋节")
    assert kinds[D(2026, 9, 27)] == (REST, "中秋节")
    assert [kinds[D(2026, 10, day)][0] for day in range(1, 11)] == [
        STATUTORY, STATUTORY, STATUTORY,  # 10-01 … 10-03 (Thu–Sat)
        REST, REST, REST, REST,  # 10-04 … 10-07: Sunday plus three moved-in weekdays
        WORK, WORK,  # 10-08, 10-09
        MAKEUP,  # 10-10 Saturday worked
    ]  # fmt: skip


def test_2025_blocks_and_makeup_days() -> None:
    kinds = _kinds(2025)
    makeup = sorted(d for d, (k, _n) in kinds.items() if k == MAKEUP)
    assert makeup == [
        D(2025, 1, 26),
        D(2025, 2, 8),
        D(2025, 4, 27),
        D(2025, 9, 28),
        D(2025, 10, 11),
    ]
    assert kinds[D(2025, 2, 3)] == (REST, "春节") and kinds[D(2025, 2, 4)] == (REST, "春节")
    assert kinds[D(2025, 5, 5)] == (REST, "劳动节")
    assert kinds[D(2025, 6, 2)] == (REST, "端午节")  # 端午 Saturday, Monday off
    assert [kinds[D(2025, 10, day)][0] for day in range(1, 9)] == [
        STATUTORY, STATUTORY, STATUTORY, REST, REST, STATUTORY, REST, REST,
    ]  # fmt: skip
    assert kinds[D(2025, 10, 6)] == (STATUTORY, "中秋节")


def test_before_2025_eleven_days_without_eve_and_one_labour_day() -> None:
    days = china_statutory_days(2024)
    assert len(days) == 11
    assert D(2024, 2, 9) not in days  # 除夕 was not statutory in 2014–2024
    assert [d for d, name in days.items() if name == "劳动节"] == [D(2024, 5, 1)]
    assert [d for d, name in days.items() if name == "春节"] == [
        D(2024, 2, 10), D(2024, 2, 11), D(2024, 2, 12),
    ]  # fmt: skip


def test_mid_autumn_on_national_day_keeps_the_count() -> None:
    days = china_statutory_days(2020)  # 2020-10-01 was both
    assert [d.day for d, _n in days.items() if d.month == 10] == [1, 2, 3, 4]


def test_2027_is_provisional_statutory_days_only() -> None:
    assert not china_official_available(2027)
    seeded = year_seed("CN", 2027)
    assert not seeded.official and "尚未发布" in seeded.source
    kinds = {d.date: d.kind for d in seeded.days}
    assert sorted(d for d, k in kinds.items() if k == STATUTORY) == list(
        holidays_library_statutory_days(2027)
    )
    assert len([k for k in kinds.values() if k == STATUTORY]) == 13
    assert MAKEUP not in kinds.values()
    assert kinds[D(2027, 2, 9)] == WORK  # the library's guessed 补假 is not taken
    assert kinds[D(2027, 1, 2)] == REST  # a Saturday


def test_foreign_calendar_public_holidays_are_named_rest_days() -> None:
    bavaria = {d.date: d for d in year_seed("de-by", 2026).days}
    assert bavaria[D(2026, 1, 6)].kind == REST and "Epiphany" in bavaria[D(2026, 1, 6)].name
    assert bavaria[D(2026, 1, 7)].kind == WORK
    assert STATUTORY not in {d.kind for d in bavaria.values()}
    riyadh = {d.date: d.kind for d in year_seed("SA", 2026).days}
    assert riyadh[D(2026, 1, 2)] == REST and riyadh[D(2026, 1, 3)] == REST  # Fri, Sat
    assert riyadh[D(2026, 1, 4)] == WORK  # Sunday is a workday
    dubai_2021 = {d.date: d.kind for d in year_seed("AE", 2021).days}
    assert dubai_2021[D(2021, 6, 4)] == REST and dubai_2021[D(2021, 6, 6)] == WORK  # Fri–Sat
    dubai_2026 = {d.date: d.kind for d in year_seed("AE", 2026).days}
    assert dubai_2026[D(2026, 6, 5)] == WORK and dubai_2026[D(2026, 6, 7)] == REST  # Sat–Sun


@pytest.mark.parametrize("code", ["XX", "US-ZZ", "", "CN-11", "123"])
def test_unknown_regions(code: str) -> None:
    with pytest.raises(UnknownRegion):
        region_normalize(code)


def test_region_codes_normalised() -> None:
    assert region_normalize(" us-ca ") == "US-CA"
    assert region_normalize("cn") == "CN"
