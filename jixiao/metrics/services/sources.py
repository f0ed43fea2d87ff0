"""Source set-up writes: create, change, delete, rotate the push secret. Audited; secrets never are.

Also the one read the set-up screens and the API share: the sources with their health.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from jixiao.audit.services import audit_record, snapshot
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.metrics.connectors.base import (
    MASK,
    config_masked,
    connector_config,
    connector_for,
    connector_kinds,
)
from jixiao.metrics.models import (
    MetricEvent,
    MetricSource,
    SourceKind,
    SourceRun,
    new_source_secret,
)

_AUDITED = ("name", "kind", "config", "schedule_minutes", "enabled")


def _config_errors(kind: str, config: dict[str, Any]) -> dict[str, list[str]]:
    """A pull source's config checked by its connector, errors keyed ``config.<field>``."""
    if kind not in connector_kinds():
        return {}
    try:
        connector_config(kind, config)
    except ServiceError as exc:
        return {f"config.{key}": messages for key, messages in exc.fields.items()} or {
            "config": [exc.message]
        }
    return {}


def _shown(source: MetricSource) -> dict[str, Any]:
    """The audited fields, with connector secrets masked: the trail never holds a password."""
    values = snapshot(source, _AUDITED)
    values["config"] = config_masked(source.kind, source.config)
    return values


def secrets_kept(kind: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """A config sent back as shown ("***" for a secret) keeps the stored secret."""
    if kind not in connector_kinds():
        return after
    secret_fields = connector_for(kind).config_class.secret_fields
    return {
        key: before.get(key, "") if key in secret_fields and value == MASK else value
        for key, value in after.items()
    }


def _check(
    name: str, kind: str, schedule_minutes: int | None, config: dict[str, Any] | None = None
) -> None:
    errors: dict[str, list[str]] = {}
    if not name.strip() or len(name) > 100:
        errors["name"] = [_("请填写名称（不超过 100 个字符）。")]
    if kind not in SourceKind.values:
        errors["kind"] = [_("类型无效。")]
    if schedule_minutes is not None and not 5 <= schedule_minutes <= 60 * 24 * 7:
        errors["schedule_minutes"] = [_("同步间隔须在 5 分钟到 7 天之间。")]
    if kind in SourceKind.values and config is not None:
        errors.update(_config_errors(kind, config))
    if errors:
        raise ServiceError(_("数据源设置有误，请检查标出的字段。"), fields=errors)


def _conflict(exc: Exception) -> ServiceError:
    return ServiceError(
        _("已有同名数据源。"), code="conflict", status=409, fields={"name": [_("已存在")]}
    )


@transaction.atomic
def source_create(
    *,
    company: Company,
    actor: User | None,
    name: str,
    kind: str,
    config: dict[str, Any] | None = None,
    schedule_minutes: int | None = None,
    enabled: bool = True,
) -> MetricSource:
    _check(name, kind, schedule_minutes, config or {})
    try:
        with transaction.atomic():
            source = MetricSource.objects.create(
                company=company,
                name=name.strip(),
                kind=kind,
                config=config or {},
                schedule_minutes=schedule_minutes,
                enabled=enabled,
            )
    except IntegrityError as exc:
        raise _conflict(exc) from exc
    audit_record(
        company=company,
        actor=actor,
        action="metrics.source.create",
        obj=source,
        changes={k: [None, v] for k, v in _shown(source).items()},
    )
    return source


@transaction.atomic
def source_update(*, source: MetricSource, actor: User | None, **changes: Any) -> MetricSource:
    locked = MetricSource.objects.select_for_update().get(pk=source.pk)
    before = _shown(locked)
    for key, value in changes.items():
        if key not in ("name", "config", "schedule_minutes", "enabled"):
            raise ValueError(key)
        if key == "config":
            value = secrets_kept(locked.kind, locked.config, dict(value or {}))
        setattr(locked, key, value.strip() if isinstance(value, str) else value)
    _check(locked.name, locked.kind, locked.schedule_minutes, locked.config)
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise _conflict(exc) from exc
    after = _shown(locked)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    action = "metrics.source.update"
    if set(changed) == {"enabled"}:
        action = "metrics.source.enable" if locked.enabled else "metrics.source.disable"
    audit_record(company=locked.company, actor=actor, action=action, obj=locked, changes=changed)
    return locked


@transaction.atomic
def source_delete(*, source: MetricSource, actor: User | None) -> None:
    """Only a source without events can go; otherwise disable it (events are never deleted)."""
    if MetricEvent.objects.filter(source=source).exists():
        raise ServiceError(
            _("该数据源已有数据，不能删除；可以停用。"), code="source_has_events", status=409
        )
    audit_record(
        company=source.company,
        actor=actor,
        action="metrics.source.delete",
        obj=source,
        changes={k: [v, None] for k, v in _shown(source).items()},
    )
    source.delete()


@transaction.atomic
def source_secret_rotate(*, source: MetricSource, actor: User | None) -> str:
    """A new push secret, returned once; the old one stops working at once."""
    secret = new_source_secret()
    MetricSource.objects.filter(pk=source.pk).update(secret=secret)
    source.secret = secret
    audit_record(
        company=source.company,
        actor=actor,
        action="metrics.source.rotate_secret",
        obj=source,
        changes={"secret": ["***", "***"]},
    )
    return secret


RECENT_RUNS = 5


def sources_with_health(*, company_id: int) -> QuerySet[MetricSource]:
    """A company's sources with their open unmatched identities counted and their latest runs
    (``recent_runs``, newest first): the set-up list of the screens and the API."""
    return (
        MetricSource.objects.filter(company_id=company_id)
        .annotate(unmatched_open=Count("unmatched", filter=Q(unmatched__resolved_at__isnull=True)))
        .prefetch_related(
            Prefetch(
                "runs",
                queryset=SourceRun.objects.order_by("-started_at", "-id")[:RECENT_RUNS],
                to_attr="recent_runs",
            )
        )
    )
