"""What every date of a year is, derived from the public calendar libraries (pure).

China (``chinese_calendar`` for the years the State Council has published, rules
for the rest) gives the three kinds of day a holiday block mixes, which the
libraries alone do not tell apart (DOMAIN.md, "The statutory calendar"):

- statutory days (法定节假日, 300 %, Labour Law Art. 44): derived here from the
  rules of 《全国年节及纪念日放假办法》, never from the festival name, because
  ``chinese_calendar`` names every day of a block after the festival, has no
  statutory flag, and its in-lieu list omits weekday substitutes;
- rest days moved into the block (200 %): the block's other days off;
- make-up workdays (调休上班): weekend days the notice turns into workdays.

Other countries come from ``holidays``. Their public holidays are days off
(``REST_DAY`` with the holiday's name), not ``STATUTORY_HOLIDAY``: the 300 %
statutory-holiday rate is a rule of Chinese labour contracts tied to China's
legal holidays, while staff working abroad simply do not work on the local
public holiday. Work on it is rest-day work unless HR edits the day.

No ORM, no clock: the service turns a ``SeededYear`` into rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version

import chinese_calendar
import holidays
import holidays.registry
from holidays.calendars.chinese import _ChineseLunisolar

from jixiao.attendance.engine import DayKind

CHINA = "CN"

# Festival names as stored on the calendar days (data, shown as written).
NEW_YEAR = "元旦"
SPRING_FESTIVAL = "春节"
QINGMING = "清明节"
LABOUR_DAY = "劳动节"
DRAGON_BOAT = "端午节"
MID_AUTUMN = "中秋节"
NATIONAL_DAY = "国庆节"
VICTORY_DAY_2015 = "抗战胜利70周年纪念日"

_CHINESE_CALENDAR_NAMES = {
    chinese_calendar.Holiday.new_years_day.value: NEW_YEAR,
    chinese_calendar.Holiday.spring_festival.value: SPRING_FESTIVAL,
    chinese_calendar.Holiday.tomb_sweeping_day.value: QINGMING,
    chinese_calendar.Holiday.labour_day.value: LABOUR_DAY,
    chinese_calendar.Holiday.dragon_boat_festival.value: DRAGON_BOAT,
    chinese_calendar.Holiday.mid_autumn_festival.value: MID_AUTUMN,
    chinese_calendar.Holiday.national_day.value: NATIONAL_DAY,
    chinese_calendar.Holiday.anti_fascist_70th_day.value: VICTORY_DAY_2015,
}

MIN_YEAR = 2000
MAX_YEAR = 2100


class UnknownRegion(ValueError):
    """A region code no calendar source knows."""


@dataclass(frozen=True)
class SeededDay:
    date: dt.date
    kind: DayKind
    name: str = ""


@dataclass(frozen=True)
class SeededYear:
    """A whole year from a source; ``official`` when it reflects a published notice."""

    region: str
    year: int
    official: bool
    source: str
    days: tuple[SeededDay, ...]

    def by_date(self) -> dict[dt.date, SeededDay]:
        return {day.date: day for day in self.days}


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    """Codes ``holidays`` supports, from its registry (without importing every country)."""
    return frozenset(entry[1] for entry in holidays.registry.COUNTRIES.values())


@lru_cache(maxsize=64)
def _subdivisions(country: str) -> dict[str, str]:
    return {s.upper(): s for s in holidays.country_holidays(country).subdivisions}


def region_split(region: str) -> tuple[str, str | None]:
    """Split "US-CA" into ("US", "CA"), validated against what ``holidays`` supports."""
    code = region.strip().upper()
    country, _, subdiv = code.partition("-")
    if country not in _countries():
        raise UnknownRegion(code)
    if subdiv:
        known = _subdivisions(country)
        if subdiv not in known:
            raise UnknownRegion(code)
        return country, known[subdiv]
    return country, None


def region_normalize(region: str) -> str:
    """The canonical spelling of a supported region code; raises ``UnknownRegion``."""
    country, subdiv = region_split(region)
    return f"{country}-{subdiv.upper()}" if subdiv else country


@lru_cache(maxsize=64)
def year_seed(region: str, year: int) -> SeededYear:
    """Every date of ``year`` in ``region``'s calendar (immutable, so cached)."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(year)
    country, subdiv = region_split(region)
    if country == CHINA:
        return _china_year(year)
    return _foreign_year(country, subdiv, year)


# --- China ---------------------------------------------------------------------------------


def china_official_available(year: int) -> bool:
    """True when ``chinese_calendar`` carries the State Council's notice for ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=256)
def china_statutory_days(year: int) -> dict[dt.date, str]:
    """The statutory (300 %) holidays of ``year`` by the rules in force that year.

    《全国年节及纪念日放假办法》: before 2008 New Year 1, Spring Festival 3 (the first
    three lunar days), Labour Day 3, National Day 3; from 2008 (国务院令第513号)
    Spring Festival is New Year's Eve and the first two lunar days, Labour Day 1,
    and Qingming, Dragon Boat and Mid-Autumn 1 each; from 2014 (国务院令第644号)
    Spring Festival is the first three lunar days; from 2025 (国务院令第795号)
    Spring Festival is New Year's Eve plus the first three lunar days and Labour
    Day is May 1–2: 13 days. A festival whose date is already a statutory day of
    another (Mid-Autumn on October 1, as in 2020) takes the next free day, so
    the year keeps its full count.
    """
    lunar = _ChineseLunisolar()
    new_year = _known(lunar.lunar_new_year_date(year)[0])
    eve = new_year - dt.timedelta(days=1)
    festivals: list[tuple[str, list[dt.date]]] = [(NEW_YEAR, [dt.date(year, 1, 1)])]
    if year < 2008:
        spring = [new_year + dt.timedelta(days=i) for i in range(3)]
    elif year < 2014:
        spring = [eve, new_year, new_year + dt.timedelta(days=1)]
    elif year < 2025:
        spring = [new_year + dt.timedelta(days=i) for i in range(3)]
    else:
        spring = [eve] + [new_year + dt.timedelta(days=i) for i in range(3)]
    festivals.append((SPRING_FESTIVAL, spring))
    if year >= 2008:
        festivals.append((QINGMING, [_known(lunar.qingming_date(year)[0])]))
    labour_days = 3 if year < 2008 else (1 if year < 2025 else 2)
    festivals.append((LABOUR_DAY, [dt.date(year, 5, 1 + i) for i in range(labour_days)]))
    if year >= 2008:
        festivals.append((DRAGON_BOAT, [_known(lunar.dragon_boat_date(year)[0])]))
    festivals.append((NATIONAL_DAY, [dt.date(year, 10, 1 + i) for i in range(3)]))
    if year >= 2008:
        festivals.append((MID_AUTUMN, [_known(lunar.mid_autumn_date(year)[0])]))
    if year == 2015:
        festivals.append((VICTORY_DAY_2015, [dt.date(2015, 9, 3)]))
    days: dict[dt.date, str] = {}
    for name, dates in festivals:
        for date in dates:
            while date in days:
                date += dt.timedelta(days=1)
            days[date] = name
    return dict(sorted(days.items()))


def _known(date: dt.date | None) -> dt.date:
    if date is None:  # outside the lunisolar tables (1901–2099); years are checked before
        raise ValueError("date outside the lunisolar calendar")
    return date


def _dates_of(year: int) -> Iterable[dt.date]:
    day = dt.date(year, 1, 1)
    while day.year == year:
        yield day
        day += dt.timedelta(days=1)


def _china_year(year: int) -> SeededYear:
    statutory = china_statutory_days(year)
    if not china_official_available(year):
        return _china_provisional_year(year, statutory)
    days: list[SeededDay] = []
    for date in _dates_of(year):
        weekend = date.weekday() >= 5
        is_holiday, detail = chinese_calendar.get_holiday_detail(date)
        name = _CHINESE_CALENDAR_NAMES.get(detail or "", detail or "")
        if date in statutory:
            days.append(SeededDay(date, DayKind.STATUTORY_HOLIDAY, statutory[date]))
        elif is_holiday:
            days.append(SeededDay(date, DayKind.REST_DAY, name))
        elif weekend:
            days.append(SeededDay(date, DayKind.MAKEUP_WORKDAY, name))
        else:
            days.append(SeededDay(date, DayKind.WORKDAY))
    return SeededYear(
        region=CHINA,
        year=year,
        official=True,
        source=f"chinese_calendar {version('chinese-calendar')}（国务院办公厅放假安排通知）",
        days=tuple(days),
    )


def _china_provisional_year(year: int, statutory: dict[dt.date, str]) -> SeededYear:
    """A year without a published notice: statutory days only, weekends off, no make-up days.

    The statutory days are the ones ``holidays`` lists for China without its
    guessed "substituted"/"observed" days off (the tests hold the two equal);
    the blocks and make-up workdays are unknown until the notice is published.
    """
    days = [
        SeededDay(date, DayKind.STATUTORY_HOLIDAY, statutory[date])
        if date in statutory
        else SeededDay(date, DayKind.REST_DAY if date.weekday() >= 5 else DayKind.WORKDAY)
        for date in _dates_of(year)
    ]
    return SeededYear(
        region=CHINA,
        year=year,
        official=False,
        source=f"holidays {holidays.__version__} 推算（{year} 年放假安排尚未发布，仅法定节假日）",
        days=tuple(days),
    )


def holidays_library_statutory_days(year: int) -> dict[dt.date, str]:
    """China's holidays per ``holidays`` minus its substitute days: the cross-check."""
    listed = holidays.country_holidays(CHINA, years=year, language="en_US")
    return {
        date: name
        for date, name in sorted(listed.items())
        if "substituted" not in name.lower() and "observed" not in name.lower()
    }


# --- Other countries -----------------------------------------------------------------------


def _language_for(country: str) -> str | None:
    supported = holidays.country_holidays(country).supported_languages
    for language in ("zh_CN", "en_US"):
        if language in supported:
            return language
    return None


def _foreign_year(country: str, subdiv: str | None, year: int) -> SeededYear:
    calendar = holidays.country_holidays(
        country, subdiv=subdiv, years=year, language=_language_for(country)
    )
    weekend_of = getattr(calendar, "_get_weekend", None)
    days: list[SeededDay] = []
    for date in _dates_of(year):
        weekend = weekend_of(date) if weekend_of is not None else calendar.weekend
        name = calendar.get(date)
        if name:
            days.append(SeededDay(date, DayKind.REST_DAY, str(name)[:100]))
        elif date.weekday() in weekend:
            days.append(SeededDay(date, DayKind.REST_DAY))
        else:
            days.append(SeededDay(date, DayKind.WORKDAY))
    region = f"{country}-{subdiv.upper()}" if subdiv else country
    return SeededYear(
        region=region,
        year=year,
        official=False,
        source=f"holidays {holidays.__version__}（{region} 公共假日，按规则推算，待 HR 确认）",
        days=tuple(days),
    )
