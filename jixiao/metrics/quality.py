"""Data quality, the pure part: source health, reconciliation, the error rate, check periods.

Seed 000: "每周检查集成是否正常；每月核对数据与实际工作是否一致；每季度复盘数据错误率
是否≤1%". Plain facts in, plain results out — no ORM, no clock: the selectors read the
facts, the checks store what comes back. Reasons are kept as a code with numbers, not
as a sentence, so a stored check reads in whoever opens it's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jixiao.metrics import engine

OK = "ok"
WARNING = "warning"
FAILING = "failing"
STATUSES = (OK, WARNING, FAILING)
_RANK = {OK: 0, WARNING: 1, FAILING: 2}

#: Consecutive failures from which a source is failing rather than warning.
FAILURES_FAILING = 3
#: A source is late after this many of its intervals without success, failing after the second.
LAG_WARNING_FACTOR = 2
LAG_FAILING_FACTOR = 6
#: Slack on top, so that a five-minute schedule is not "late" because the runner ran late.
LAG_GRACE = dt.timedelta(minutes=30)
#: Above this share of disputed or corrected events the quarter raises an alert (seed 000: ≤1%).
ERROR_RATE_THRESHOLD = Decimal("0.01")
#: The days a check, an error rate or a reconciliation can be asked for: the periods
#: around them (a quarter and the three before it, a run two days early) stay valid dates.
EARLIEST_DAY = dt.date(2000, 1, 1)
LATEST_DAY = dt.date(2100, 12, 31)


def day_unsupported_message(day: dt.date) -> str | None:
    """Why ``day`` cannot be a period's day, or None when it can."""
    if EARLIEST_DAY <= day <= LATEST_DAY:
        return None
    return _("日期须在 %(first)s 至 %(last)s 之间。") % {
        "first": EARLIEST_DAY.isoformat(),
        "last": LATEST_DAY.isoformat(),
    }


ZERO = Decimal(0)


def worst(statuses: Iterable[str]) -> str:
    """The most serious of some statuses; ok when there are none."""
    return max(statuses, key=lambda s: _RANK[s], default=OK)


# --- Reasons, in words -----------------------------------------------------------------


def duration_text(seconds: float) -> str:
    """A span in the words people use: "3 天 4 小时", "2 小时 5 分钟", "12 分钟"."""
    minutes = max(0, int(seconds // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts: list[str] = []
    if days:
        parts.append(ngettext("%(n)d 天", "%(n)d 天", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d 小时", "%(n)d 小时", hours) % {"n": hours})
    if mins and not days:
        parts.append(ngettext("%(n)d 分钟", "%(n)d 分钟", mins) % {"n": mins})
    return " ".join(parts) or _("不到 1 分钟")


def reason_text(code: str, params: Mapping[str, Any]) -> str:
    """One reason as a sentence in the active language."""
    p = dict(params)
    if code == "disabled":
        return _("数据源已停用，不再接收数据。")
    if code == "never_succeeded":
        return _("创建 %(age)s 以来从未成功同步。") % {"age": duration_text(p.get("age", 0))}
    if code == "failures":
        text = ngettext("连续失败 %(n)d 次。", "连续失败 %(n)d 次。", int(p.get("n", 0))) % {
            "n": p.get("n", 0)
        }
        if p.get("error"):
            text += " " + _("最近错误：%(error)s") % {"error": p["error"]}
        return text
    if code == "lag":
        return _("已 %(lag)s 没有成功同步（应每 %(interval)s 一次）。") % {
            "lag": duration_text(p.get("lag", 0)),
            "interval": duration_text(p.get("interval", 0)),
        }
    if code == "quiet":
        return _("已 %(lag)s 没有收到数据（通常每 %(interval)s 至少一次）。") % {
            "lag": duration_text(p.get("lag", 0)),
            "interval": duration_text(p.get("interval", 0)),
        }
    if code == "unmatched":
        return ngettext(
            "%(n)d 个外部身份未匹配，%(events)d 条数据尚未计入。",
            "%(n)d 个外部身份未匹配，%(events)d 条数据尚未计入。",
            int(p.get("n", 0)),
        ) % {"n": p.get("n", 0), "events": p.get("events", 0)}
    if code == "item_errors":
        return ngettext(
            "最近一批有 %(n)d 条记录被拒绝。", "最近一批有 %(n)d 条记录被拒绝。", int(p.get("n", 0))
        ) % {"n": p.get("n", 0)}
    if code == "reconciliation":
        return ngettext("%(n)d 处对账差异。", "%(n)d 处对账差异。", int(p.get("n", 0))) % {
            "n": p.get("n", 0)
        }
    if code == "error_rate":
        return _("数据错误率 %(rate)s%%，超过 1%%。") % {"rate": p.get("rate", "")}
    return code


@dataclass(frozen=True)
class Reason:
    """Why a status is not ok: a code and its numbers; ``text`` renders it when read."""

    code: str
    level: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return reason_text(self.code, self.params)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "level": self.level, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        return cls(str(data.get("code", "")), str(data.get("level", WARNING)),
                   dict(data.get("params") or {}))  # fmt: skip


# --- Source health ----------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFacts:
    """What is known about one source at one moment.

    ``interval`` is how often data is expected: the pull schedule, or for a pushing
    system how long it may stay quiet; None for sources that send when they have
    something (file imports, manual entries), whose silence says nothing. ``pulled``:
    Jixiao fetches on a schedule (else the other system sends by itself).
    """

    enabled: bool
    created_at: dt.datetime
    interval: dt.timedelta | None = None
    pulled: bool = True
    last_success_at: dt.datetime | None = None
    failure_count: int = 0
    last_error: str = ""
    unmatched_identities: int = 0
    unmatched_events: int = 0
    last_run_errors: int = 0


@dataclass(frozen=True)
class Health:
    status: str
    reasons: tuple[Reason, ...]
    lag: dt.timedelta | None

    @property
    def texts(self) -> list[str]:
        return [reason.text for reason in self.reasons]


def source_health(facts: SourceFacts, *, now: dt.datetime) -> Health:
    """ok / warning / failing with the reasons: failures, lag, unmatched people, rejected items."""
    reasons: list[Reason] = []
    since = facts.last_success_at or facts.created_at
    lag = now - facts.last_success_at if facts.last_success_at else None
    if not facts.enabled:
        reasons.append(Reason("disabled", WARNING))
    else:
        if facts.failure_count:
            level = FAILING if facts.failure_count >= FAILURES_FAILING else WARNING
            params = {"n": facts.failure_count, "error": facts.last_error[:300]}
            reasons.append(Reason("failures", level, params))
        if facts.interval:
            waited = now - since
            late = facts.interval * LAG_WARNING_FACTOR + LAG_GRACE
            very_late = facts.interval * LAG_FAILING_FACTOR + LAG_GRACE
            if waited > late:
                level = FAILING if waited > very_late else WARNING
                seconds = int(waited.total_seconds())
                interval = int(facts.interval.total_seconds())
                if facts.last_success_at is None:
                    reasons.append(Reason("never_succeeded", level, {"age": seconds}))
                else:
                    code = "lag" if facts.pulled else "quiet"
                    reasons.append(Reason(code, level, {"lag": seconds, "interval": interval}))
    if facts.unmatched_identities:
        reasons.append(
            Reason("unmatched", WARNING,
                   {"n": facts.unmatched_identities, "events": facts.unmatched_events})
        )  # fmt: skip
    if facts.last_run_errors:
        reasons.append(Reason("item_errors", WARNING, {"n": facts.last_run_errors}))
    return Health(worst(r.level for r in reasons), tuple(reasons), lag)


# --- Reconciliation ---------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """A number of records and the sum of their values."""

    count: int = 0
    total: Decimal = ZERO

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.count + other.count, self.total + other.total)

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "sum": str(self.total)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Totals:
        data = data or {}
        return cls(int(data.get("count", 0)), Decimal(str(data.get("sum", "0"))))


MATCH = "match"
MISMATCH = "mismatch"
MISSING_IN_STORE = "missing_in_store"
MISSING_IN_SOURCE = "missing_in_source"

Key = tuple[str, dt.date]


@dataclass(frozen=True)
class ReconciliationRow:
    """One indicator and month: what the source reported against what is stored."""

    indicator: str
    month: dt.date
    reported: Totals
    stored: Totals

    @property
    def count_difference(self) -> int:
        return self.reported.count - self.stored.count

    @property
    def sum_difference(self) -> Decimal:
        return self.reported.total - self.stored.total

    @property
    def status(self) -> str:
        if self.count_difference == 0 and self.sum_difference == 0:
            return MATCH
        if self.stored.count == 0:
            return MISSING_IN_STORE
        if self.reported.count == 0:
            return MISSING_IN_SOURCE
        return MISMATCH

    @property
    def matches(self) -> bool:
        return self.status == MATCH

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator,
            "month": self.month.isoformat(),
            "reported": self.reported.as_dict(),
            "stored": self.stored.as_dict(),
            "count_difference": self.count_difference,
            "sum_difference": str(self.sum_difference),
            "status": self.status,
        }


def reconcile(
    reported: Mapping[Key, Totals], stored: Mapping[Key, Totals]
) -> list[ReconciliationRow]:
    """Every (indicator, month) either side knows, with its differences, by month then code."""
    keys = sorted(set(reported) | set(stored), key=lambda k: (k[1], k[0]))
    empty = Totals()
    return [
        ReconciliationRow(k[0], k[1], reported.get(k, empty), stored.get(k, empty)) for k in keys
    ]


def reconciliation_status(rows: Iterable[ReconciliationRow]) -> str:
    """Failing as soon as one row differs: a figure nobody can explain must not feed a score."""
    return FAILING if any(not row.matches for row in rows) else OK


# --- What a run received (kept on the run, the source's side of the reconciliation) -----


def month_key(indicator: str, month: dt.date) -> str:
    return f"{indicator}|{month:%Y-%m}"


def month_key_parse(key: str) -> Key:
    indicator, _sep, month = key.rpartition("|")
    year, number = month.split("-")
    return indicator, dt.date(int(year), int(number), 1)


def run_totals_merge(
    existing: Mapping[str, Mapping[str, Any]] | None,
    *,
    received: Mapping[Key, Totals],
    accepted: Mapping[Key, Totals],
) -> dict[str, dict[str, Any]]:
    """A run's totals with one more batch added: received as sent, accepted as stored."""
    merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (existing or {}).items()}
    for side, batch in (("received", received), ("accepted", accepted)):
        for (indicator, month), totals in batch.items():
            entry = merged.setdefault(
                month_key(indicator, month),
                {"received": 0, "received_sum": "0", "accepted": 0, "accepted_sum": "0"},
            )
            entry[side] = int(entry.get(side, 0)) + totals.count
            entry[f"{side}_sum"] = str(Decimal(str(entry.get(f"{side}_sum", "0"))) + totals.total)
    return merged


def run_totals_sum(
    runs: Iterable[Mapping[str, Any]], *, month: dt.date
) -> dict[str, dict[str, Totals]]:
    """The runs' totals for one month, per indicator: {"received": Totals, "accepted": Totals}."""
    out: dict[str, dict[str, Totals]] = {}
    for totals in runs:
        for key, entry in totals.items():
            indicator, key_month = month_key_parse(key)
            if key_month != month:
                continue
            parts = out.setdefault(indicator, {"received": Totals(), "accepted": Totals()})
            parts["received"] += Totals(
                int(entry.get("received", 0)), Decimal(str(entry.get("received_sum", "0")))
            )
            parts["accepted"] += Totals(
                int(entry.get("accepted", 0)), Decimal(str(entry.get("accepted_sum", "0")))
            )
    return out


# --- Error rate -------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorRate:
    """Disputed or corrected events over all events of a period (seed 000: alert above 1%).

    ``erroneous`` counts an event once even when it was both disputed and corrected.
    """

    total: int
    disputed: int
    corrected: int
    erroneous: int
    threshold: Decimal = ERROR_RATE_THRESHOLD

    @property
    def rate(self) -> Decimal | None:
        """None without events: no data is not a 0% error rate."""
        if not self.total:
            return None
        return Decimal(self.erroneous) / Decimal(self.total)

    @property
    def percent(self) -> Decimal | None:
        rate = self.rate
        return None if rate is None else engine.quantize(rate * 100, 2)

    @property
    def above_threshold(self) -> bool:
        return self.total > 0 and Decimal(self.erroneous) > self.threshold * self.total

    @property
    def status(self) -> str:
        return FAILING if self.above_threshold else OK

    def as_dict(self) -> dict[str, Any]:
        percent = self.percent
        return {
            "total": self.total,
            "disputed": self.disputed,
            "corrected": self.corrected,
            "erroneous": self.erroneous,
            "percent": None if percent is None else str(percent),
            "above_threshold": self.above_threshold,
        }


def error_rate(*, total: int, disputed: int, corrected: int, both: int = 0) -> ErrorRate:
    """The rate from counts; ``both`` are events that were disputed and also corrected."""
    if min(total, disputed, corrected, both) < 0:
        raise ValueError("counts cannot be negative")
    if both > min(disputed, corrected):
        raise ValueError("both cannot exceed disputed or corrected")
    erroneous = disputed + corrected - both
    if erroneous > total:
        raise ValueError("more erroneous events than events")
    return ErrorRate(total, disputed, corrected, erroneous)


# --- Check periods ----------------------------------------------------------------------

WEEKLY = "weekly"
MONTHLY = "monthly"
QUARTERLY = "quarterly"


def check_period(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last complete period before ``today`` that a check of ``kind`` covers: [start, end)."""
    period = {WEEKLY: engine.WEEK, MONTHLY: engine.MONTH, QUARTERLY: engine.QUARTER}[kind]
    current = engine.period_start(period, today)
    start = engine.period_start(period, current - dt.timedelta(days=1))
    return start, current


def period_of(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The period of ``kind`` containing ``day``: [start, end)."""
    period = {WEEKLY: engine.WEEK, MONTHLY: engine.MONTH, QUARTERLY: engine.QUARTER}[kind]
    start = engine.period_start(period, day)
    return start, engine.period_end(period, start)
