"""Pulling a source: fetch pages from its connector and ingest them, one transaction per page.

Each page's events, the source's cursor and the run's counts are written together,
so a failure half-way keeps every page done before it; the failed page's good
items (those before the failure, as the connector reports them) are kept too, and
the cursor points just after them. The next run resumes from there; anything read
twice is a duplicate to the ingest (source ids), never a second count.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.core.api_errors import ServiceError
from jixiao.core.models import User
from jixiao.metrics.connectors.base import (
    DEFAULT_LIMIT,
    ConnectionReport,
    ConnectorError,
    config_from_dict,
    connector_for,
    connector_kinds,
)
from jixiao.metrics.event_input import EventInput
from jixiao.metrics.models import MetricSource, SourceRun
from jixiao.metrics.services.ingest import metric_events_ingest
from jixiao.metrics.services.sources import secrets_kept

logger = logging.getLogger(__name__)

MAX_PAGES = 200
"""Pages per run; a source with more waits for the next run (its cursor is saved)."""
STALE_RUN = dt.timedelta(minutes=30)
"""A run "in progress" for longer than this is taken as crashed, not as running."""
MAX_BACKOFF = dt.timedelta(hours=24)
MAX_DETAIL = 100


@dataclass
class SyncResult:
    run: SourceRun
    pages: int = 0
    complete: bool = False
    error: str = ""
    retryable: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error


def _running_elsewhere(source: MetricSource, now: dt.datetime) -> bool:
    return SourceRun.objects.filter(
        source=source, status=SourceRun.Status.RUNNING, started_at__gt=now - STALE_RUN
    ).exists()


def _detail(run: SourceRun, entries: list[dict[str, Any]]) -> None:
    run.error_detail = [*run.error_detail, *entries][:MAX_DETAIL]


@transaction.atomic
def _page_store(
    *,
    source: MetricSource,
    run: SourceRun,
    items: list[EventInput],
    cursor: dict[str, Any],
    problems: list[str],
    actor: User | None,
) -> None:
    """One page: its events, the source's new cursor and the run's counts, all or nothing."""
    if items:
        metric_events_ingest(
            company=source.company, source=source, items=items, actor=actor, run=run
        )
    if problems:
        _detail(run, [{"code": "skipped_record", "message": p} for p in problems])
    run.cursor_after = cursor
    run.save(update_fields=["cursor_after", "error_detail"])
    source.cursor = cursor
    MetricSource.objects.filter(pk=source.pk).update(cursor=cursor)


def source_sync(
    *,
    source: MetricSource,
    actor: User | None,
    now: dt.datetime | None = None,
    page_limit: int = DEFAULT_LIMIT,
    max_pages: int = MAX_PAGES,
) -> SyncResult:
    """Pull everything new from a source's system; the run and the source's health record it.

    Not one transaction: each page commits by itself (see the module docstring).
    A refusal before anything was fetched (disabled source, no connector, bad
    config, another run in progress) raises ``ServiceError``; a failure of the
    other system is recorded on the run and the source and returned.
    """
    now = now or timezone.now()
    if not source.enabled:
        raise ServiceError(_("数据源已停用。"), code="source_disabled", status=409)
    connector = connector_for(source.kind)
    with transaction.atomic():
        locked = MetricSource.objects.select_for_update().get(pk=source.pk)
        if _running_elsewhere(locked, now):
            raise ServiceError(_("该数据源正在同步，请稍后再试。"), code="sync_running", status=409)
        run = SourceRun.objects.create(
            company=locked.company,
            source=locked,
            started_at=now,
            cursor_before=locked.cursor,
            cursor_after=locked.cursor,
        )
        locked.last_attempt_at = now
        locked.save(update_fields=["last_attempt_at"])
    source.refresh_from_db()
    result = SyncResult(run)
    try:
        config = config_from_dict(connector.config_class, source.config)
    except ServiceError as exc:
        problems = [f"{name}: {'；'.join(msgs)}" for name, msgs in exc.fields.items()]
        return _finish(
            source, result, error=f"{exc.message} {'；'.join(problems)}", retryable=False
        )
    cursor = dict(source.cursor or {})
    try:
        while result.pages < max_pages:
            batch = connector.fetch(config, cursor, now=now, limit=page_limit)
            _page_store(
                source=source,
                run=run,
                items=batch.items,
                cursor=batch.cursor,
                problems=batch.problems,
                actor=actor,
            )
            result.pages += 1
            result.problems.extend(batch.problems)
            cursor = batch.cursor
            if batch.complete:
                result.complete = True
                break
    except ConnectorError as exc:
        try:
            if exc.items:
                _page_store(
                    source=source, run=run, items=exc.items, cursor=exc.cursor, problems=[],
                    actor=actor,
                )  # fmt: skip
        finally:
            _finish(source, result, error=exc.message, retryable=exc.retryable)
        return result
    except Exception as exc:
        # A bug or a database failure: the run must not stay "running"; then let it surface.
        _finish(source, result, error=_("内部错误：%(e)s") % {"e": exc}, retryable=True)
        raise
    return _finish(source, result, error="", retryable=False)


@transaction.atomic
def _finish(source: MetricSource, result: SyncResult, *, error: str, retryable: bool) -> SyncResult:
    run = SourceRun.objects.select_for_update().get(pk=result.run.pk)
    locked = MetricSource.objects.select_for_update().get(pk=source.pk)
    run.finished_at = timezone.now()
    result.error, result.retryable = error, retryable
    if error:
        _detail(run, [{"code": "connector_error", "message": error, "retryable": retryable}])
        run.status = SourceRun.Status.PARTIAL if run.received else SourceRun.Status.FAILED
        locked.failure_count += 1
        locked.last_error = error[:2000]
    else:
        run.status = (
            SourceRun.Status.PARTIAL
            if run.errors or result.problems
            else SourceRun.Status.SUCCEEDED
        )
        locked.failure_count = 0
        locked.last_error = ""
        locked.last_success_at = run.started_at
    run.save()
    locked.save(update_fields=["failure_count", "last_error", "last_success_at"])
    source.failure_count = locked.failure_count
    source.last_error = locked.last_error
    source.last_success_at = locked.last_success_at
    source.cursor = locked.cursor
    result.run = run
    if error:
        logger.warning("metric source %s sync failed: %s", source.pk, error)
    return result


def source_connection_test(*, source: MetricSource) -> ConnectionReport:
    """Try the source's connection with its saved config; writes nothing but the cache."""
    connector = connector_for(source.kind)
    try:
        config = config_from_dict(connector.config_class, source.config)
    except ServiceError as exc:
        return ConnectionReport(False, exc.message, {"fields": exc.fields})
    return connector.connection_test(config)


def source_config_test(
    *, kind: str, config: dict[str, Any], source: MetricSource | None = None
) -> ConnectionReport:
    """Try settings before they are saved: a new source's, or ``source``'s changes
    ("***" keeps its stored secret). Bad settings are a ServiceError with the fields
    ("config.url"); nothing is written."""
    if kind not in connector_kinds():
        message = _("该类型的数据源由对方推送或导入，无需连接测试。")
        raise ServiceError(message, fields={"kind": [message]})
    if source is not None:
        if source.kind != kind:
            message = _("数据源类型不能修改。")
            raise ServiceError(message, fields={"kind": [message]})
        config = secrets_kept(kind, dict(source.config), dict(config))
    connector = connector_for(kind)
    try:
        checked = config_from_dict(connector.config_class, config)
    except ServiceError as exc:
        fields = {f"config.{key}": problems for key, problems in exc.fields.items()}
        raise ServiceError(exc.message, fields=fields or {"config": [exc.message]}) from exc
    return connector.connection_test(checked)


def next_sync_at(source: MetricSource) -> dt.datetime | None:
    """When a scheduled source is due: its interval after the last attempt, doubled per failure.

    None for a source without a schedule. A source never attempted is due from its creation.
    """
    if not source.schedule_minutes:
        return None
    if source.last_attempt_at is None:
        return source.created_at
    wait = dt.timedelta(minutes=source.schedule_minutes)
    if source.failure_count:
        wait = min(wait * (2 ** min(source.failure_count, 16)), max(MAX_BACKOFF, wait))
    return source.last_attempt_at + wait


def sources_due(*, now: dt.datetime) -> list[MetricSource]:
    """Enabled, scheduled sources with a pull connector whose next sync time has come."""
    candidates = MetricSource.objects.filter(
        enabled=True, schedule_minutes__isnull=False, kind__in=connector_kinds()
    ).select_related("company")
    due: list[MetricSource] = []
    for source in candidates:
        at = next_sync_at(source)
        if at is not None and at <= now:
            due.append(source)
    return due
