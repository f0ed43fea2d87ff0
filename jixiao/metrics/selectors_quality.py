"""Data-quality reads: source health, anomaly-flagged events, the error rate, reconciliation.

The ``company_*`` functions read one company's facts for the checks (a task has no
viewer); the viewer-taking ones answer the dashboard and the API and return nothing
to someone who may not see data quality (HR admins and executives may).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum

from jixiao.core.models import Company
from jixiao.metrics import engine, quality
from jixiao.metrics.connectors.base import connector_kinds
from jixiao.metrics.models import (
    EventStatus,
    Indicator,
    MetricDispute,
    MetricEvent,
    MetricSource,
    MetricValue,
    PeriodKind,
    QualityCheck,
    SourceKind,
    SourceRun,
    UnmatchedIdentity,
)
from jixiao.metrics.services.aggregation import subject_time_zones

VIEW_QUALITY = "metrics.view_quality"
#: How long a pushing system may stay quiet before its health says so.
QUIET_INTERVAL = {
    SourceKind.PUSH: dt.timedelta(days=7),
    SourceKind.ATTENDANCE: dt.timedelta(days=40),  # one locked month at a time
}
#: Anomalies counted on a health card: those ingested in the last 30 days.
ANOMALY_WINDOW = dt.timedelta(days=30)
RECENT_RUNS = 10
DISPUTE_ERRORS = (MetricDispute.Status.OPEN, MetricDispute.Status.UPHELD)
CORRECTED = (EventStatus.SUPERSEDED, EventStatus.REVERSED)
FLAGS = (engine.JUMP, engine.DUPLICATE_LIKE, engine.OUT_OF_RANGE)


def may_view(viewer: Any) -> bool:
    return bool(
        viewer.is_authenticated and viewer.company_id is not None and viewer.has_perm(VIEW_QUALITY)
    )


def company_zone(company: Company) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(company.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Shanghai")


def local_window(company: Company, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) in the company's time zone, as aware instants."""
    zone = company_zone(company)
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=zone),
        dt.datetime.combine(end, dt.time(), tzinfo=zone),
    )


# --- Source health ----------------------------------------------------------------------


def expected_interval(source: MetricSource) -> dt.timedelta | None:
    """How often data should arrive: the pull schedule, or a pushing system's quiet limit."""
    if source.kind in connector_kinds():
        return dt.timedelta(minutes=source.schedule_minutes) if source.schedule_minutes else None
    return QUIET_INTERVAL.get(SourceKind(source.kind)) if source.kind in SourceKind.values else None


@dataclass
class SourceHealth:
    source: MetricSource
    health: quality.Health
    last_success_at: dt.datetime | None
    last_run: SourceRun | None
    failures: int
    unmatched_identities: int
    unmatched_events: int
    anomalies: int
    interval: dt.timedelta | None

    @property
    def status(self) -> str:
        return self.health.status

    def as_dict(self) -> dict[str, Any]:
        """The stored form inside a weekly check (reasons as codes, read in any language)."""
        return {
            "source_id": self.source.pk,
            "source": self.source.name,
            "kind": self.source.kind,
            "status": self.health.status,
            "reasons": [r.as_dict() for r in self.health.reasons],
            "last_success_at": self.last_success_at.isoformat() if self.last_success_at else None,
            "lag_seconds": int(self.health.lag.total_seconds()) if self.health.lag else None,
            "failures": self.failures,
            "unmatched_identities": self.unmatched_identities,
            "unmatched_events": self.unmatched_events,
            "anomalies": self.anomalies,
        }


def _leading_failures(runs: Iterable[SourceRun]) -> int:
    count = 0
    for run in runs:
        if run.status != SourceRun.Status.FAILED:
            break
        count += 1
    return count


def company_source_health(
    company: Company, *, now: dt.datetime, source_id: int | None = None
) -> list[SourceHealth]:
    """Every source's health now: last success, lag, failures, unmatched people, anomalies."""
    sources = MetricSource.objects.filter(company=company).order_by("name")
    if source_id is not None:
        sources = sources.filter(pk=source_id)
    unmatched = {
        row["source_id"]: row["n"]
        for row in UnmatchedIdentity.objects.filter(company=company, resolved_at__isnull=True)
        .values("source_id")
        .annotate(n=Count("pk"))
    }
    parked = {
        row["source_id"]: row["n"]
        for row in MetricEvent.objects.filter(company=company, status=EventStatus.PARKED)
        .values("source_id")
        .annotate(n=Count("pk"))
    }
    anomalies = {
        row["source_id"]: row["n"]
        for row in MetricEvent.objects.filter(
            company=company, ingested_at__gte=now - ANOMALY_WINDOW, anomalies__0__isnull=False
        )
        .values("source_id")
        .annotate(n=Count("pk"))
    }
    received = {
        row["source_id"]: row["last"]
        for row in SourceRun.objects.filter(
            company=company,
            status__in=(SourceRun.Status.SUCCEEDED, SourceRun.Status.PARTIAL),
        )
        .values("source_id")
        .annotate(last=Max("finished_at"))
    }
    out: list[SourceHealth] = []
    for source in sources:
        runs = list(source.runs.order_by("-started_at", "-id")[:RECENT_RUNS])
        last_run = runs[0] if runs else None
        finished = [r for r in runs if r.status != SourceRun.Status.RUNNING]
        failures = max(source.failure_count, _leading_failures(finished))
        last_success = source.last_success_at or received.get(source.pk)
        interval = expected_interval(source)
        facts = quality.SourceFacts(
            enabled=source.enabled,
            created_at=source.created_at,
            interval=interval,
            pulled=source.kind in connector_kinds(),
            last_success_at=last_success,
            failure_count=failures,
            last_error=source.last_error or _last_run_error(finished),
            unmatched_identities=unmatched.get(source.pk, 0),
            unmatched_events=parked.get(source.pk, 0),
            last_run_errors=finished[0].errors if finished else 0,
        )
        out.append(
            SourceHealth(
                source=source,
                health=quality.source_health(facts, now=now),
                last_success_at=last_success,
                last_run=last_run,
                failures=failures,
                unmatched_identities=facts.unmatched_identities,
                unmatched_events=facts.unmatched_events,
                anomalies=anomalies.get(source.pk, 0),
                interval=interval,
            )
        )
    return out


def _last_run_error(runs: list[SourceRun]) -> str:
    if not runs or runs[0].status != SourceRun.Status.FAILED:
        return ""
    for entry in runs[0].error_detail or []:
        if isinstance(entry, dict) and entry.get("message"):
            return str(entry["message"])
    return ""


@dataclass
class RunsInPeriod:
    runs: int = 0
    failed: int = 0
    partial: int = 0
    received: int = 0
    created: int = 0
    errors: int = 0


def company_runs_in(
    company: Company, *, since: dt.datetime, until: dt.datetime
) -> dict[int, RunsInPeriod]:
    """Per source: its runs started in [since, until) and what they brought."""
    out: dict[int, RunsInPeriod] = defaultdict(RunsInPeriod)
    rows = (
        SourceRun.objects.filter(company=company, started_at__gte=since, started_at__lt=until)
        .values("source_id")
        .annotate(
            runs=Count("pk"),
            failed=Count("pk", filter=Q(status=SourceRun.Status.FAILED)),
            partial=Count("pk", filter=Q(status=SourceRun.Status.PARTIAL)),
            received=Sum("received"),
            created=Sum("created"),
            errors=Sum("errors"),
        )
    )
    for row in rows:
        out[row["source_id"]] = RunsInPeriod(
            row["runs"], row["failed"], row["partial"], row["received"] or 0,
            row["created"] or 0, row["errors"] or 0,
        )  # fmt: skip
    return out


# --- Error rate -------------------------------------------------------------------------


@dataclass
class ErrorRates:
    """One period's error rate for the company and for each source that had events."""

    start: dt.date
    end: dt.date
    company: quality.ErrorRate
    sources: list[tuple[MetricSource, quality.ErrorRate]] = field(default_factory=list)


def company_error_rates(company: Company, *, start: dt.date, end: dt.date) -> ErrorRates:
    """Disputed (open or upheld) or corrected events over all events that happened in
    [start, end) in the company's time. Correction events are not events of their own
    here: they are how an error was fixed. A rejected dispute confirmed the figure, so it
    is no error."""
    begin, finish = local_window(company, start, end)
    disputed = Q(disputes__status__in=DISPUTE_ERRORS)
    corrected = Q(status__in=CORRECTED)
    rows = (
        MetricEvent.objects.filter(
            company=company, correction_kind="", occurred_at__gte=begin, occurred_at__lt=finish
        )
        .values("source_id")
        .annotate(
            total=Count("pk", distinct=True),
            disputed=Count("pk", filter=disputed, distinct=True),
            corrected=Count("pk", filter=corrected, distinct=True),
            both=Count("pk", filter=disputed & corrected, distinct=True),
        )
    )
    counts = {row["source_id"]: row for row in rows}
    sources = {s.pk: s for s in MetricSource.objects.filter(company=company, pk__in=counts)}
    per_source: list[tuple[MetricSource, quality.ErrorRate]] = []
    totals = {"total": 0, "disputed": 0, "corrected": 0, "both": 0}
    for source_id, row in counts.items():
        for key in totals:
            totals[key] += row[key]
        rate = quality.error_rate(
            total=row["total"], disputed=row["disputed"], corrected=row["corrected"],
            both=row["both"],
        )  # fmt: skip
        per_source.append((sources[source_id], rate))
    per_source.sort(key=lambda pair: pair[0].name)
    return ErrorRates(start, end, quality.error_rate(**totals), per_source)


def company_error_rate_trend(
    company: Company, *, today: dt.date, quarters: int = 4
) -> list[ErrorRates]:
    """The error rate of the current quarter and the ones before it, oldest first."""
    out: list[ErrorRates] = []
    start, end = quality.period_of(quality.QUARTERLY, today)
    for _n in range(quarters):
        out.append(company_error_rates(company, start=start, end=end))
        end = start
        start = engine.period_start(engine.QUARTER, start - dt.timedelta(days=1))
    return list(reversed(out))


# --- Reconciliation ---------------------------------------------------------------------


@dataclass
class SourceReconciliation:
    """One source, one month: what it reported (accepted for storage) against what is stored."""

    source: MetricSource
    rows: list[quality.ReconciliationRow]
    received: dict[str, quality.Totals]
    unverified: int

    @property
    def status(self) -> str:
        return quality.reconciliation_status(self.rows)

    @property
    def differences(self) -> list[quality.ReconciliationRow]:
        return [row for row in self.rows if not row.matches]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_id": self.source.pk,
            "source": self.source.name,
            "kind": self.source.kind,
            "status": self.status,
            "rows": [
                {
                    **row.as_dict(),
                    "received": self.received.get(row.indicator, quality.Totals()).as_dict(),
                }
                for row in self.rows
            ],
            "differences": len(self.differences),
            "unverified": self.unverified,
        }


def company_reconciliation(company: Company, *, month: dt.date) -> list[SourceReconciliation]:
    """Per source and indicator for the month (company time): the runs' accepted totals
    against the events stored. Events of runs from before totals were recorded cannot be
    checked; they are counted as ``unverified``."""
    start, end = quality.period_of(quality.MONTHLY, month)
    begin, finish = local_window(company, start, end)
    # An event is ingested no earlier than a day before it happens (ingest refuses more).
    earliest_run = begin - dt.timedelta(days=2)
    out: list[SourceReconciliation] = []
    for source in MetricSource.objects.filter(company=company).order_by("name"):
        totals = SourceRun.objects.filter(
            source=source, started_at__gte=earliest_run, totals__isnull=False
        ).values_list("totals", flat=True)
        sums = quality.run_totals_sum((t for t in totals.iterator() if t), month=start)
        events = MetricEvent.objects.filter(
            source=source, occurred_at__gte=begin, occurred_at__lt=finish
        )
        verifiable = Q(run__isnull=True) | Q(run__totals__isnull=False)
        stored = {
            (row["indicator__code"], start): quality.Totals(row["n"], row["total"] or Decimal(0))
            for row in events.filter(verifiable)
            .values("indicator__code")
            .annotate(n=Count("pk"), total=Sum("value"))
        }
        reported = {(code, start): parts["accepted"] for code, parts in sums.items()}
        unverified = events.exclude(verifiable).count()
        if not stored and not reported and not unverified:
            continue
        out.append(
            SourceReconciliation(
                source=source,
                rows=quality.reconcile(reported, stored),
                received={code: parts["received"] for code, parts in sums.items()},
                unverified=unverified,
            )
        )
    return out


def company_aggregate_check(company: Company, *, month: dt.date) -> list[quality.ReconciliationRow]:
    """Counted events against the stored monthly figures, per indicator (people's own
    values; each person's month in their own time zone, as the figures are made)."""
    start, end = quality.period_of(quality.MONTHLY, month)
    begin, finish = local_window(company, start, end)
    direct = [
        i.pk
        for i in Indicator.objects.filter(company=company).select_related("current_version")
        if i.current_version and i.current_version.aggregation in engine.DIRECT_AGGREGATIONS
    ]
    rows = list(
        MetricEvent.objects.filter(
            company=company,
            status=EventStatus.COUNTED,
            employee__isnull=False,
            indicator_id__in=direct,
            occurred_at__gte=begin - dt.timedelta(days=1),
            occurred_at__lt=finish + dt.timedelta(days=1),
        ).values_list("employee_id", "indicator__code", "value", "occurred_at")
    )
    zones = {
        pk: zoneinfo.ZoneInfo(name)
        for pk, name in subject_time_zones(company, {r[0] for r in rows}).items()
    }
    events: dict[quality.Key, quality.Totals] = defaultdict(quality.Totals)
    fallback = company_zone(company)
    for employee_id, code, value, occurred_at in rows:
        if engine.local_day(occurred_at, zones.get(employee_id, fallback)).replace(day=1) == start:
            events[(code, start)] += quality.Totals(1, value)
    figures = {
        (row["indicator__code"], start): quality.Totals(row["n"] or 0, row["total"] or Decimal(0))
        for row in MetricValue.objects.filter(
            company=company,
            indicator_id__in=direct,
            employee__isnull=False,
            period_kind=PeriodKind.MONTH,
            period_start=start,
        )
        .values("indicator__code")
        .annotate(n=Sum("count"), total=Sum("sum"))
        if row["n"] or row["total"]
    }
    return quality.reconcile(dict(events), figures)


# --- For the viewer: dashboard and API -------------------------------------------------


def source_health_visible(viewer: Any, *, now: dt.datetime) -> list[SourceHealth]:
    if not may_view(viewer):
        return []
    return company_source_health(viewer.company, now=now)


@dataclass(frozen=True)
class AnomalyFilters:
    flag: str = ""
    source_id: int | None = None
    since: dt.datetime | None = None


def anomalies_visible(viewer: Any, filters: AnomalyFilters | None = None) -> QuerySet[MetricEvent]:
    """Events the ingest flagged (jump, near-duplicate, out of range), newest first."""
    if not may_view(viewer):
        return MetricEvent.objects.none()
    filters = filters or AnomalyFilters()
    qs = MetricEvent.objects.filter(
        company_id=viewer.company_id, anomalies__0__isnull=False
    ).select_related("indicator", "indicator__current_version", "source", "employee", "department")
    if filters.flag:
        qs = qs.filter(
            Q(anomalies__0=filters.flag)
            | Q(anomalies__1=filters.flag)
            | Q(anomalies__2=filters.flag)
        )
    if filters.source_id:
        qs = qs.filter(source_id=filters.source_id)
    if filters.since:
        qs = qs.filter(ingested_at__gte=filters.since)
    return qs.order_by("-ingested_at", "-id")


def anomaly_value_ids(company: Company, events: Iterable[MetricEvent]) -> dict[int, int]:
    """For each event, the monthly figure it counts in (to open its drill-down)."""
    events = [e for e in events if e.employee_id or e.department_id]
    if not events:
        return {}
    zones = subject_time_zones(company, {e.employee_id for e in events if e.employee_id})
    fallback = company_zone(company)
    wanted: dict[tuple[int | None, int | None, int, dt.date], list[int]] = defaultdict(list)
    for event in events:
        zone = (
            zoneinfo.ZoneInfo(zones[event.employee_id]) if event.employee_id in zones else fallback
        )
        month = engine.local_day(event.occurred_at, zone).replace(day=1)
        subject = (event.employee_id, None if event.employee_id else event.department_id)
        wanted[(*subject, event.indicator_id, month)].append(event.pk)
    rows = MetricValue.objects.filter(
        company=company,
        period_kind=PeriodKind.MONTH,
        indicator_id__in={k[2] for k in wanted},
        period_start__in={k[3] for k in wanted},
    ).filter(
        Q(employee_id__in={k[0] for k in wanted if k[0]})
        | Q(employee__isnull=True, department_id__in={k[1] for k in wanted if k[1]})
    )
    out: dict[int, int] = {}
    for row in rows.values_list(
        "pk", "employee_id", "department_id", "indicator_id", "period_start"
    ):
        pk, employee_id, department_id, indicator_id, period_start = row
        key = (employee_id, None if employee_id else department_id, indicator_id, period_start)
        for event_id in wanted.get(key, []):
            out[event_id] = pk
    return out


def checks_visible(viewer: Any, *, kind: str = "") -> QuerySet[QualityCheck]:
    if not may_view(viewer):
        return QualityCheck.objects.none()
    qs = QualityCheck.objects.filter(company_id=viewer.company_id).select_related("triggered_by")
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-id")


def latest_checks(viewer: Any) -> dict[str, QualityCheck | None]:
    """The newest stored check of each kind."""
    return {kind: checks_visible(viewer, kind=kind).first() for kind in QualityCheck.Kind.values}
