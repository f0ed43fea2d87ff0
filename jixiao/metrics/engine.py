"""The pure core of metrics: corrections, aggregation, periods, anomaly checks, explanations.

Plain values in, plain results out: no ORM, no clock, no settings. The services
read events, hand them here, and store what comes back, so the same rules
decide a figure whether it is computed for one new event or for a whole year.
"""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

ZERO = Decimal(0)
HUNDRED = Decimal(100)

SUM = "sum"
COUNT = "count"
DISTINCT_COUNT = "distinct_count"
AVERAGE = "average"
LATEST = "latest"
MINIMUM = "minimum"
MAXIMUM = "maximum"
RATIO = "ratio"
FORMULA = "formula"
#: Aggregations computed from the events of the indicator itself.
DIRECT_AGGREGATIONS = frozenset({SUM, COUNT, DISTINCT_COUNT, AVERAGE, LATEST, MINIMUM, MAXIMUM})

DAY = "day"
WEEK = "week"
MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
PERIOD_KINDS = (DAY, WEEK, MONTH, QUARTER, YEAR)

#: A value is a "jump" when it exceeds this many times the trailing average.
JUMP_FACTOR = Decimal(5)
#: Trailing points needed before a jump is judged at all.
JUMP_MIN_HISTORY = 3


# --- Corrections ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawEvent:
    """An event as received: ``correction`` reverses or replaces the event named ``corrects``."""

    key: str
    value: Decimal
    occurred_at: dt.datetime
    correction: str = ""
    corrects: str = ""
    distinct: str = ""


def corrections_apply(events: Iterable[RawEvent]) -> list[RawEvent]:
    """The events that count after applying corrections in arrival order.

    A reversal removes its target and counts nothing itself; a replacement removes
    its target and counts in its place. A correction of an unknown or already
    corrected event changes nothing (the services refuse those as item errors).
    """
    counted: dict[str, RawEvent] = {}
    for event in events:
        if event.correction in ("reverse", "replace"):
            if event.corrects not in counted:
                continue
            del counted[event.corrects]
            if event.correction == "replace":
                counted[event.key] = event
        else:
            counted[event.key] = event
    return list(counted.values())


# --- Aggregation ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Point:
    """One counted event's contribution to an aggregate."""

    event_id: int
    value: Decimal
    occurred_at: dt.datetime
    distinct: str = ""


@dataclass(frozen=True)
class Aggregate:
    """An aggregate with its parts; ``value`` is None when it cannot be computed, see ``note``."""

    value: Decimal | None
    count: int
    total: Decimal
    last_at: dt.datetime | None = None
    note: str = ""
    numerator: Decimal | None = None
    denominator: Decimal | None = None


def aggregate(aggregation: str, points: Sequence[Point]) -> Aggregate:
    """Combine counted events by the indicator's aggregation; the order of points never matters."""
    count = len(points)
    total = sum((p.value for p in points), ZERO)
    last_at = max((p.occurred_at for p in points), default=None)
    if aggregation == SUM:
        value: Decimal | None = total
    elif aggregation == COUNT:
        value = Decimal(count)
    elif aggregation == DISTINCT_COUNT:
        value = Decimal(len({p.distinct or f"#{p.event_id}" for p in points}))
    elif not points:
        return Aggregate(None, 0, ZERO, None, _("本期无数据"))
    elif aggregation == AVERAGE:
        value = total / count
    elif aggregation == LATEST:
        value = max(points, key=lambda p: (p.occurred_at, p.event_id)).value
    elif aggregation == MINIMUM:
        value = min(p.value for p in points)
    elif aggregation == MAXIMUM:
        value = max(p.value for p in points)
    else:
        raise ValueError(f"not a direct aggregation: {aggregation}")
    return Aggregate(value, count, total, last_at)


def ratio_combine(
    numerator: Decimal | None, denominator: Decimal | None, *, percent: bool
) -> Aggregate:
    """Numerator over denominator (× 100 for a percentage); a zero denominator gives no value."""
    if numerator is None or denominator is None:
        return Aggregate(None, 0, ZERO, None, _("缺少分子或分母数据"), numerator, denominator)
    if denominator == 0:
        return Aggregate(None, 0, ZERO, None, _("分母为 0"), numerator, denominator)
    with decimal.localcontext() as ctx:
        ctx.prec = 28
        value = numerator / denominator
    if percent:
        value *= HUNDRED
    return Aggregate(value, 0, ZERO, None, "", numerator, denominator)


def quantize(value: Decimal | None, places: int = 4) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-places), rounding=decimal.ROUND_HALF_UP)


# --- Periods -------------------------------------------------------------------------


def local_day(occurred_at: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.date:
    """The date an instant falls on in the employee's time zone."""
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be aware")
    return occurred_at.astimezone(tz).date()


def period_start(kind: str, day: dt.date) -> dt.date:
    """First day of the period containing ``day``; weeks start on Monday."""
    if kind == DAY:
        return day
    if kind == WEEK:
        return day - dt.timedelta(days=day.weekday())
    if kind == MONTH:
        return day.replace(day=1)
    if kind == QUARTER:
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if kind == YEAR:
        return dt.date(day.year, 1, 1)
    raise ValueError(f"unknown period kind: {kind}")


def period_end(kind: str, start: dt.date) -> dt.date:
    """The first day after the period that starts on ``start``."""
    if kind == DAY:
        return start + dt.timedelta(days=1)
    if kind == WEEK:
        return start + dt.timedelta(days=7)
    months = {MONTH: 1, QUARTER: 3, YEAR: 12}.get(kind)
    if months is None:
        raise ValueError(f"unknown period kind: {kind}")
    month_index = start.year * 12 + start.month - 1 + months
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


def period_window(
    kind: str, start: dt.date, tz: zoneinfo.ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """The period as UTC instants [from, to) for an employee in ``tz``."""
    end = period_end(kind, start)
    begin = dt.datetime.combine(start, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    finish = dt.datetime.combine(end, dt.time(), tzinfo=tz).astimezone(dt.UTC)
    return begin, finish


def periods_of(day: dt.date) -> list[tuple[str, dt.date]]:
    """Every (kind, start) an event on ``day`` counts towards."""
    return [(kind, period_start(kind, day)) for kind in PERIOD_KINDS]


# --- Anomalies -----------------------------------------------------------------------

OUT_OF_RANGE = "out_of_range"
JUMP = "jump"
DUPLICATE_LIKE = "duplicate_like"


def anomalies_detect(
    *,
    value: Decimal,
    plausible_min: Decimal | None,
    plausible_max: Decimal | None,
    trailing: Sequence[Decimal] = (),
    near_duplicate: bool = False,
) -> list[str]:
    """Flags for a new value: outside the plausible range, a sudden jump, a near-duplicate.

    A jump is a value more than ``JUMP_FACTOR`` times the average size of the
    trailing values, judged only once there are ``JUMP_MIN_HISTORY`` of them.
    Flags never block an event; they mark it for HR's data-quality view.
    """
    flags: list[str] = []
    if (plausible_min is not None and value < plausible_min) or (
        plausible_max is not None and value > plausible_max
    ):
        flags.append(OUT_OF_RANGE)
    if len(trailing) >= JUMP_MIN_HISTORY:
        average = sum((abs(v) for v in trailing), ZERO) / len(trailing)
        if average > 0 and abs(value) > JUMP_FACTOR * average:
            flags.append(JUMP)
    if near_duplicate:
        flags.append(DUPLICATE_LIKE)
    return flags


# --- Explanations --------------------------------------------------------------------


@dataclass(frozen=True)
class Explanation:
    """How a figure was made: which events, combined how, and why it may be empty."""

    aggregation: str
    value: Decimal | None
    event_ids: tuple[int, ...]
    steps: tuple[str, ...] = field(default_factory=tuple)
    note: str = ""


def explain(aggregation: str, points: Sequence[Point], result: Aggregate) -> Explanation:
    """The explanation users see when they doubt a number."""
    ids = tuple(p.event_id for p in sorted(points, key=lambda p: (p.occurred_at, p.event_id)))
    steps: list[str] = []
    if aggregation == SUM:
        steps.append(_("求和：%(n)d 条记录，合计 %(v)s") % {"n": result.count, "v": result.total})
    elif aggregation == COUNT:
        steps.append(_("计数：%(n)d 条记录") % {"n": result.count})
    elif aggregation == DISTINCT_COUNT:
        steps.append(
            _("去重计数：%(n)d 条记录，去重后 %(v)s 个") % {"n": result.count, "v": result.value}
        )
    elif aggregation == AVERAGE and result.value is not None:
        steps.append(
            _("平均：合计 %(t)s ÷ %(n)d 条 = %(v)s")
            % {"t": result.total, "n": result.count, "v": quantize(result.value)}
        )
    elif aggregation == LATEST and result.value is not None:
        steps.append(_("取最新一条记录的值：%(v)s") % {"v": result.value})
    elif aggregation in (MINIMUM, MAXIMUM) and result.value is not None:
        label = _("最小值") if aggregation == MINIMUM else _("最大值")
        steps.append(_("%(label)s：%(v)s") % {"label": label, "v": result.value})
    elif aggregation in (RATIO, FORMULA) and (
        result.numerator is not None or result.denominator is not None
    ):
        steps.append(
            _("比率：分子 %(a)s ÷ 分母 %(b)s") % {"a": result.numerator, "b": result.denominator}
        )
    return Explanation(aggregation, result.value, ids, tuple(steps), result.note)


# --- Roll-ups ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Part:
    """A stored aggregate (one person's, or one period's) as a roll-up reads it."""

    value: Decimal | None
    count: int
    total: Decimal
    last_at: dt.datetime | None = None


def parts_combine(
    aggregation: str, parts: Sequence[Part], *, distinct: int | None = None
) -> Aggregate:
    """Combine stored aggregates of people (or of consecutive periods) into one.

    Sums and counts add up; an average is weighted by each part's record count
    (never the average of averages); latest takes the part with the most recent
    event; minimum and maximum compare the parts' values. A distinct count
    cannot be added up (one customer served by two people counts once): the
    caller counts the distinct keys of the parts' events and passes ``distinct``.
    """
    count = sum(p.count for p in parts)
    total = sum((p.total for p in parts), ZERO)
    last_at = max((p.last_at for p in parts if p.last_at is not None), default=None)
    present = [p for p in parts if p.value is not None]
    if aggregation == SUM:
        value: Decimal | None = total
    elif aggregation == COUNT:
        value = Decimal(count)
    elif aggregation == DISTINCT_COUNT:
        if distinct is None:
            raise ValueError("a distinct count needs the distinct keys of the events")
        value = Decimal(distinct)
    elif aggregation == AVERAGE:
        if count == 0:
            return Aggregate(None, 0, ZERO, None, _("本期无数据"))
        with decimal.localcontext() as ctx:
            ctx.prec = 28
            value = total / count
    elif not present:
        return Aggregate(None, count, total, last_at, _("本期无数据"))
    elif aggregation == LATEST:
        oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
        value = max(present, key=lambda p: p.last_at or oldest).value
    elif aggregation == MINIMUM:
        value = min(p.value for p in present if p.value is not None)
    elif aggregation == MAXIMUM:
        value = max(p.value for p in present if p.value is not None)
    else:
        raise ValueError(f"not a direct aggregation: {aggregation}")
    return Aggregate(value, count, total, last_at)


def _plain(value: Decimal | None) -> str:
    """A figure for an explanation: at most four places, no trailing zeros."""
    if value is None:
        return "—"
    rounded = quantize(value)
    assert rounded is not None
    text = format(rounded, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def rollup_explain(
    aggregation: str,
    result: Aggregate,
    *,
    contributors: int,
    parts_total: Decimal | None = None,
    formula: str = "",
    percent: bool = False,
) -> tuple[str, ...]:
    """The steps of a roll-up in words: how the contributors' figures became one."""
    steps: list[str] = []
    if aggregation == SUM:
        steps.append(
            _("求和：%(p)d 个统计对象，合计 %(v)s") % {"p": contributors, "v": _plain(result.total)}
        )
    elif aggregation == COUNT:
        steps.append(
            _("计数：%(p)d 个统计对象共 %(n)d 条记录") % {"p": contributors, "n": result.count}
        )
    elif aggregation == DISTINCT_COUNT:
        steps.append(
            _(
                "去重计数：各统计对象的去重数相加为 %(s)s，合并后去重为 %(v)s（同一对象被多人记录只算一次）"
            )
            % {"s": _plain(parts_total), "v": _plain(result.value)}
        )
    elif aggregation == AVERAGE and result.value is not None:
        steps.append(
            _("加权平均：合计 %(t)s ÷ %(n)d 条记录 = %(v)s（按记录数加权，不是各人平均数的平均）")
            % {"t": _plain(result.total), "n": result.count, "v": _plain(result.value)}
        )
    elif aggregation == LATEST and result.value is not None:
        steps.append(_("取所有统计对象中最近一条记录的值：%(v)s") % {"v": _plain(result.value)})
    elif aggregation in (MINIMUM, MAXIMUM) and result.value is not None:
        label = _("最小值") if aggregation == MINIMUM else _("最大值")
        steps.append(
            _("取 %(p)d 个统计对象中的%(label)s：%(v)s")
            % {"p": contributors, "label": label, "v": _plain(result.value)}
        )
    elif aggregation == RATIO:
        step = _("比率：分子合计 %(a)s ÷ 分母合计 %(b)s") % {
            "a": _plain(result.numerator),
            "b": _plain(result.denominator),
        }
        if percent and result.value is not None:
            step += " × 100"
        steps.append(step)
    elif aggregation == FORMULA:
        steps.append(_("公式 %(f)s，代入各组成指标的汇总值") % {"f": formula})
    return tuple(steps)
