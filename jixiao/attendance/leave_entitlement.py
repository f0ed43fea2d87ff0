"""Statutory annual leave (带薪年休假): how many days one person is owed in one year.

Pure: dates in, an explained entitlement out; no ORM, no clock.

Law applied (职工带薪年休假条例 Art. 3; 企业职工带薪年休假实施办法 Art. 3, 5, 12;
人社厅函〔2009〕149号):
- cumulative service (累计工作年限) ≥ 1 and < 10 years → 5 days, ≥ 10 and < 20 → 10,
  ≥ 20 → 15;
- nothing before 12 months of continuous work (连续工作满12个月, which may span
  employers: prior service declared by HR counts);
- a new hire, and anyone whose tier changes or who becomes eligible during the year,
  is pro-rated by calendar days: days in each tier ÷ 365 × that tier's days;
- a leaver is pro-rated by the calendar days already passed in the year;
- fractions under one whole day are dropped (折算后不足1整天的部分不享受).

Service start: the hire date in this company, minus the prior service HR records
in the employee's custom field ``prior_service_years`` (or ``累计工龄``), which is
also taken as continuous work leading up to the hire.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

YEAR_DIVISOR = 365

#: (minimum complete years of cumulative service, days) from the highest tier down.
TIERS: tuple[tuple[int, int], ...] = ((20, 15), (10, 10), (1, 5))


@dataclass(frozen=True)
class Segment:
    """A stretch of the year with one tier: ``days`` calendar days at ``tier_days`` a year."""

    start: dt.date
    end: dt.date  # inclusive
    service_years: int
    tier_days: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def share(self) -> Decimal:
        return Decimal(self.days * self.tier_days) / YEAR_DIVISOR


@dataclass(frozen=True)
class Entitlement:
    """The result with its breakdown: the exact share before dropping the fraction."""

    year: int
    days: int
    exact: Decimal
    segments: tuple[Segment, ...]
    eligible_from: dt.date


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months; the 29th–31st fall back to the month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 always exists


def tier_days(service_years: int) -> int:
    for minimum, days in TIERS:
        if service_years >= minimum:
            return days
    return 0


def service_years_on(day: dt.date, *, service_start: dt.date) -> int:
    """Complete years of cumulative service on ``day``.

    Anniversaries are ``add_months(service_start, 12 * n)``, so someone who started on
    29 February completes a year on 28 February of a common year, as the tier segments
    of ``annual_leave_entitlement`` assume (otherwise their loop would never advance).
    """
    years = day.year - service_start.year
    if day < add_months(service_start, 12 * years):
        years -= 1
    return max(years, 0)


def annual_leave_entitlement(
    *,
    year: int,
    hire_date: dt.date,
    prior_service_months: int = 0,
    termination_date: dt.date | None = None,
) -> Entitlement:
    """Days of statutory annual leave owed for ``year`` (see the module's rules)."""
    if prior_service_months < 0:
        raise ValueError("prior service cannot be negative")
    service_start = add_months(hire_date, -prior_service_months)
    # 12 months of continuous work: prior service is taken as leading up to the hire.
    eligible_from = add_months(hire_date, max(12 - prior_service_months, 0))
    first = max(dt.date(year, 1, 1), hire_date, eligible_from)
    last = dt.date(year, 12, 31)
    if termination_date is not None:
        last = min(last, termination_date)
    segments: list[Segment] = []
    cursor = first
    while cursor <= last:
        years = service_years_on(cursor, service_start=service_start)
        # The next anniversary of the service start may move the person up a tier.
        anniversary = add_months(service_start, 12 * (years + 1))
        end = min(last, anniversary - dt.timedelta(days=1))
        days = tier_days(years)
        if segments and segments[-1].tier_days == days:
            previous = segments.pop()
            segments.append(Segment(previous.start, end, previous.service_years, days))
        else:
            segments.append(Segment(cursor, end, years, days))
        cursor = end + dt.timedelta(days=1)
    exact = sum((s.share for s in segments), Decimal(0))
    cap = max((s.tier_days for s in segments), default=0)
    whole = min(int(exact.to_integral_value(rounding=ROUND_FLOOR)), cap)
    return Entitlement(year, whole, exact, tuple(segments), eligible_from)
