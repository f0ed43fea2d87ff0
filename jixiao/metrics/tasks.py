"""Background pulls: every few minutes, sync each source whose schedule has come round.

Safe to run twice: a sync resumes from the source's cursor, a run already in
progress refuses a second one, and anything fetched twice is a duplicate to the
ingest. A failure that may pass (timeout, HTTP 5xx) is retried by Huey with a
delay; the schedule itself backs off too (``next_sync_at`` doubles the interval
per consecutive failure), so a source that stays down is not hammered.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from jixiao.core.api_errors import ServiceError
from jixiao.core.models import User
from jixiao.metrics.models import MetricSource
from jixiao.metrics.services.quality import quality_checks_due
from jixiao.metrics.services.sync import source_sync, sources_due

logger = logging.getLogger(__name__)

SYNC_RETRIES = 3
SYNC_RETRY_DELAY_SECONDS = 120


class SyncFailed(Exception):
    """Raised by the task for a failure worth retrying, so that Huey retries it."""


def source_sync_run(
    *, source_id: int, actor_id: int | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Sync one source by id (the task's body); a refusal is logged, not raised."""
    with scopes_disabled():
        source = MetricSource.objects.select_related("company").filter(pk=source_id).first()
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    if source is None:
        return {"source": source_id, "status": "missing"}
    with scope(company=source.company):
        try:
            result = source_sync(source=source, actor=actor, now=now)
        except ServiceError as exc:
            logger.info("metric source %s not synced: %s", source_id, exc.message)
            return {"source": source_id, "status": "refused", "error": exc.message}
    return {
        "source": source_id,
        "status": result.run.status,
        "run": result.run.pk,
        "pages": result.pages,
        "complete": result.complete,
        "error": result.error,
        "retryable": result.retryable,
    }


@db_task(retries=SYNC_RETRIES, retry_delay=SYNC_RETRY_DELAY_SECONDS)
def metric_source_sync(source_id: int, actor_id: int | None = None) -> dict[str, Any]:
    outcome = source_sync_run(source_id=source_id, actor_id=actor_id)
    if outcome.get("error") and outcome.get("retryable"):
        raise SyncFailed(f"source {source_id}: {outcome['error']}")
    return outcome


def sources_due_sync(*, now: dt.datetime | None = None) -> list[int]:
    """Queue a sync for every source that is due; returns their ids."""
    now = now or timezone.now()
    with scopes_disabled():
        due = [source.pk for source in sources_due(now=now)]
    for source_id in due:
        metric_source_sync(source_id)
    return due


@db_periodic_task(crontab(minute="*/5"))
def metric_sources_due_sync() -> list[int]:
    queued = sources_due_sync()
    if queued:
        logger.info("metric source syncs queued: %s", queued)
    return queued


@db_task(retries=SYNC_RETRIES, retry_delay=SYNC_RETRY_DELAY_SECONDS)
def attendance_month_publish_task(
    company_id: int, year: int, month: int, actor_id: int | None
) -> int:
    """Publish a locked attendance month as metric events; returns how many were sent."""
    from jixiao.core.models import Company
    from jixiao.metrics.attendance_feed import attendance_month_publish

    with scopes_disabled():
        company = Company.objects.filter(pk=company_id).first()
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    if company is None:
        return 0
    with scope(company=company):
        return attendance_month_publish(
            company=company, year=year, month=month, actor=actor
        ).received


# --- Data quality (seed 000): weekly integration check, monthly reconciliation, quarterly
# error rate. Each fires hourly on its day (crontabs read in TIME_ZONE), so that every
# company's own local day is reached; a period already checked is skipped.


@db_periodic_task(crontab(day_of_week="1", minute="10"))
def metric_quality_weekly() -> list[int]:
    return quality_checks_due(kind="weekly")


@db_periodic_task(crontab(day="2", minute="20"))
def metric_quality_monthly() -> list[int]:
    return quality_checks_due(kind="monthly")


@db_periodic_task(crontab(month="1,4,7,10", day="3", minute="30"))
def metric_quality_quarterly() -> list[int]:
    return quality_checks_due(kind="quarterly")


@db_task(retries=3, retry_delay=30)
def metric_values_refresh_task(
    company_id: int, keys: list[tuple[int | None, int | None, int, str]]
) -> int:
    """The values a big pushed batch touched (see ``metric_events_ingest``); returns how
    many values were written. Safe to run twice: a refresh recomputes from the events."""
    from jixiao.core.models import Company
    from jixiao.metrics.services.aggregation import TouchedKey, metric_values_refresh

    with scopes_disabled():
        company = Company.objects.filter(pk=company_id).first()
    if company is None:
        return 0
    touched = [
        TouchedKey(employee_id, department_id, indicator_id, dt.datetime.fromisoformat(at))
        for employee_id, department_id, indicator_id, at in keys
    ]
    with scope(company=company):
        return metric_values_refresh(company=company, touched=touched)


@db_task(retries=3, retry_delay=30)
def metric_run_after_import_task(company_id: int, run_id: int) -> int:
    """After a bulk import: the jump and near-duplicate flags of its rows, then the values
    they touched; returns how many values were written. Safe to run twice (a flag is
    only added where the event lacks it; a refresh recomputes from the events)."""
    from jixiao.core.models import Company
    from jixiao.metrics.services.aggregation import metric_values_refresh_run
    from jixiao.metrics.services.anomalies import run_anomalies_flag

    with scopes_disabled():
        company = Company.objects.filter(pk=company_id).first()
    if company is None:
        return 0
    with scope(company=company), transaction.atomic():
        run_anomalies_flag(company, run_id)
        return metric_values_refresh_run(company, run_id)


@db_task(retries=3, retry_delay=30)
def metric_values_drain_task(company_id: int) -> int:
    """Every value refresh the company is owed (``refresh_queue``), done in one go; a drain
    that finds nothing owed (an earlier one took it all) costs one query."""
    from jixiao.core.models import Company
    from jixiao.metrics.services.refresh_queue import refresh_drain

    with scopes_disabled():
        company = Company.objects.filter(pk=company_id).first()
    if company is None:
        return 0
    with scope(company=company), transaction.atomic():
        return refresh_drain(company)


@db_periodic_task(crontab(minute="*/5"))
def metric_values_drain_all() -> list[int]:
    """The safety net: drains refreshes still owed (a drain task lost with its queue)."""
    from jixiao.metrics.services.refresh_queue import companies_owed

    owed = companies_owed()
    for company_id in owed:
        metric_values_drain_task.call_local(company_id)
    return owed
