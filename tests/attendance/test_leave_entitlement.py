"""Statutory annual leave: exact days by service, the 12-month rule, pro-rating."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jixiao.attendance.leave_entitlement import (
    add_months,
    annual_leave_entitlement,
    service_years_on,
    tier_days,
)


def days(**kwargs: object) -> int:
    return annual_leave_entitlement(**kwargs).days  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("years", "expected"),
    [(0, 0), (1, 5), (9, 5), (10, 10), (19, 10), (20, 15), (35, 15)],
)
def test_tiers_of_the_regulation(years: int, expected: int) -> None:
    assert tier_days(years) == expected


def test_full_years_at_each_tier() -> None:
    # 王姐 joined long ago: a whole year at one tier gives the tier's days.
    assert days(year=2026, hire_date=dt.date(2020, 3, 1)) == 5
    assert days(year=2026, hire_date=dt.date(2010, 1, 1)) == 10
    assert days(year=2026, hire_date=dt.date(2000, 1, 1)) == 15


def test_nothing_before_twelve_months_of_continuous_work() -> None:
    # Hired 2026-03-01 with no prior service: nothing in 2026.
    assert days(year=2026, hire_date=dt.date(2026, 3, 1)) == 0
    # In 2027 she qualifies on 2027-03-01: 306 days left / 365 × 5 = 4.19 → 4.
    result = annual_leave_entitlement(year=2027, hire_date=dt.date(2026, 3, 1))
    assert result.eligible_from == dt.date(2027, 3, 1)
    assert result.exact == Decimal(306 * 5) / 365
    assert result.days == 4


def test_new_hire_with_prior_service_is_pro_rated_by_remaining_days() -> None:
    # 8 years elsewhere, joins 2026-07-01: 184 days left / 365 × 5 = 2.52 → 2.
    assert days(year=2026, hire_date=dt.date(2026, 7, 1), prior_service_months=96) == 2
    # 12 years elsewhere, joins 2026-10-01: 92 / 365 × 10 = 2.52 → 2.
    assert days(year=2026, hire_date=dt.date(2026, 10, 1), prior_service_months=144) == 2
    # Joins 2026-01-01 with 25 years: the whole year at 15.
    assert days(year=2026, hire_date=dt.date(2026, 1, 1), prior_service_months=300) == 15


def test_prior_service_under_a_year_completes_the_twelve_months() -> None:
    # Six months elsewhere, joins 2026-01-01: qualifies 2026-07-01, 184/365×5 = 2.52 → 2.
    result = annual_leave_entitlement(
        year=2026, hire_date=dt.date(2026, 1, 1), prior_service_months=6
    )
    assert result.eligible_from == dt.date(2026, 7, 1)
    assert result.days == 2


def test_leaver_is_pro_rated_by_days_passed() -> None:
    # Leaves 2026-06-30 after long service at 10 days: 181/365×10 = 4.96 → 4.
    assert (
        days(year=2026, hire_date=dt.date(2010, 1, 1), termination_date=dt.date(2026, 6, 30)) == 4
    )
    # Left the year before: nothing.
    assert (
        days(year=2026, hire_date=dt.date(2010, 1, 1), termination_date=dt.date(2025, 12, 31)) == 0
    )


def test_crossing_a_tier_mid_year_is_split_by_days() -> None:
    # 10 years reached on 2026-07-01: 181/365×5 + 184/365×10 = 7.52 → 7.
    result = annual_leave_entitlement(year=2026, hire_date=dt.date(2016, 7, 1))
    assert [(s.start, s.end, s.tier_days) for s in result.segments] == [
        (dt.date(2026, 1, 1), dt.date(2026, 6, 30), 5),
        (dt.date(2026, 7, 1), dt.date(2026, 12, 31), 10),
    ]
    assert result.days == 7


def test_leap_year_never_exceeds_the_tier() -> None:
    assert days(year=2028, hire_date=dt.date(2000, 1, 1)) == 15
    assert days(year=2028, hire_date=dt.date(2020, 1, 1)) == 5


def test_month_arithmetic_at_month_ends() -> None:
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 3, 15), -15) == dt.date(2024, 12, 15)
    assert service_years_on(dt.date(2026, 2, 28), service_start=dt.date(2016, 3, 1)) == 9
    assert service_years_on(dt.date(2026, 3, 1), service_start=dt.date(2016, 3, 1)) == 10


def test_negative_prior_service_is_refused() -> None:
    with pytest.raises(ValueError):
        annual_leave_entitlement(year=2026, hire_date=dt.date(2020, 1, 1), prior_service_months=-1)


@given(
    hire=st.dates(min_value=dt.date(1980, 1, 1), max_value=dt.date(2030, 12, 31)),
    prior=st.integers(min_value=0, max_value=480),
    year=st.integers(min_value=2020, max_value=2032),
)
def test_entitlement_is_bounded_and_whole(hire: dt.date, prior: int, year: int) -> None:
    result = annual_leave_entitlement(year=year, hire_date=hire, prior_service_months=prior)
    assert 0 <= result.days <= 15
    assert result.days <= result.exact < result.days + 1 or result.days == max(
        s.tier_days for s in result.segments
    )
    if hire.year > year:
        assert result.days == 0


def test_service_starting_on_29_february_advances_every_year() -> None:
    """Found by hypothesis: a 29 February service start once looped forever on 28 February."""
    assert service_years_on(dt.date(2021, 2, 28), service_start=dt.date(2020, 2, 29)) == 1
    assert service_years_on(dt.date(2021, 2, 27), service_start=dt.date(2020, 2, 29)) == 0
    assert service_years_on(dt.date(2024, 2, 28), service_start=dt.date(2020, 2, 29)) == 3
    assert service_years_on(dt.date(2024, 2, 29), service_start=dt.date(2020, 2, 29)) == 4
    result = annual_leave_entitlement(
        year=2030, hire_date=dt.date(2020, 2, 29), prior_service_months=0
    )
    # Ten years of service are complete on 28 February 2030: 5 days before, 10 after.
    assert [(s.start, s.tier_days) for s in result.segments] == [
        (dt.date(2030, 1, 1), 5),
        (dt.date(2030, 2, 28), 10),
    ]
    assert result.days == 9
