"""Writing audit events. Every service that changes data calls ``audit_record``."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connections, models, router, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address
from django_scopes import scopes_disabled

from jixiao.audit.chain import ChainLink, link_hash
from jixiao.audit.models import AuditChainHead, AuditEvent
from jixiao.audit.report import AuditReport, audit_report_build
from jixiao.audit.selectors import AuditFilters
from jixiao.core.models import Company, User


def _json_value(value: Any) -> Any:
    if value is None or type(value) in (str, int, bool):
        return value  # the common case, first: imports audit thousands of rows at once
    if isinstance(value, float) and (not math.isfinite(value) or "e" in repr(value)):
        # PostgreSQL's jsonb rewrites 1e+20 as 100000000000000000000 and refuses NaN;
        # either would change the hashed JSON, so such floats are kept as text.
        return repr(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Field values of an instance, JSON-ready, for a before/after comparison."""
    result: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        result[name] = _json_value(getattr(instance, attname))
    return result


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Only the fields that changed, as {field: [before, after]}."""
    changes: dict[str, list[Any]] = {}
    for key in dict.fromkeys([*before.keys(), *after.keys()]):
        old, new = _json_value(before.get(key)), _json_value(after.get(key))
        if old != new:
            changes[key] = [old, new]
    return changes


_PLAIN_TYPES = frozenset({str, int, bool, type(None)})


def _json_changes(changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """``_json_value(dict(changes or {}))``, without the recursion for the usual shape.

    A changes dict is ``{field: [before, after]}`` and both sides are nearly always
    plain text, numbers or ``None``: such a pair is copied as it is; anything else goes
    through ``_json_value``. The result (keys, order, types) is the same either way, so
    the hashed JSON is too.
    """
    result: dict[str, Any] = {}
    if not changes:
        return result
    plain = _PLAIN_TYPES
    for key, value in changes.items():
        kind = type(value)
        if (kind is list or kind is tuple) and len(value) == 2:
            old, new = value
            if type(old) in plain and type(new) in plain:
                result[key if type(key) is str else str(key)] = [old, new]
                continue
        result[str(key)] = _json_value(value)
    return result


BULK_BATCH_SIZE = 1000

_EVENT_COLUMNS = (
    "company_id", "sequence", "occurred_at", "actor_id", "actor_label", "action",
    "object_type", "object_id", "object_repr", "changes", "reason", "ip_address",
    "previous_hash", "hash",
)  # fmt: skip
"""The columns ``_insert_events`` writes, in the order of its row tuples."""


def _insert_events(rows: list[tuple[Any, ...]]) -> None:
    """Insert event rows (``_EVENT_COLUMNS``, values already adapted for the database)
    with one ``executemany``: ``bulk_create`` spends most of an import's audit time
    building a model instance per event and preparing each of its fields."""
    if not rows:
        return
    connection = connections[router.db_for_write(AuditEvent)]
    ops = connection.ops
    table = ops.quote_name(AuditEvent._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in _EVENT_COLUMNS)  # field names are the columns
    marks = ", ".join(["%s"] * len(_EVENT_COLUMNS))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _locked_head(company: Company) -> AuditChainHead:
    """The company's chain head, created if missing, locked until the transaction ends.

    ``INSERT … ON CONFLICT DO NOTHING`` (``INSERT OR IGNORE`` on SQLite) makes the
    first write of a new company race-safe: of two writers creating the head at
    once, one inserts and the other waits on the unique key, then finds the row.
    ``SELECT … FOR UPDATE`` then serialises writers on PostgreSQL; on SQLite the
    ``IMMEDIATE`` transaction mode (settings) already holds the database write
    lock from ``BEGIN``, so writers queue there instead.
    """
    head = AuditChainHead.objects.select_for_update().filter(company=company).first()
    if head is None:
        AuditChainHead.objects.bulk_create([AuditChainHead(company=company)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(company=company)
    return head


def _clean_ip(ip_address: str | None) -> str | None:
    """The form the database gives back (``inet`` on PostgreSQL), so the hash survives."""
    if not ip_address:
        return None
    if ":" in ip_address:
        return clean_ipv6_address(ip_address)
    return ip_address


@transaction.atomic
def audit_record(
    *,
    company: Company,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
    ip_address: str | None = None,
) -> AuditEvent:
    """Append one event to the company's chain.

    The chain head row is locked (see ``_locked_head``), so concurrent writers
    get consecutive numbers and each event hashes its true predecessor. The lock
    is held until the caller's transaction ends: call this after the service's
    own ``select_for_update`` locks, never before, so locks are always taken in
    the same order.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:300]
    if ip_address is None:
        ip_address = current_ip()
    ip_address = _clean_ip(ip_address)
    with scopes_disabled():
        head = _locked_head(company)
        event = AuditEvent(
            company=company,
            sequence=head.last_sequence + 1,
            occurred_at=timezone.now(),
            actor=actor if actor is not None and actor.pk else None,
            actor_label=(str(actor) if actor is not None else "system")[:200],
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr[:300],
            changes=_json_changes(changes),
            reason=reason,
            ip_address=ip_address,
            previous_hash=head.last_hash,
        )
        event.hash = link_hash(event_link(event))
        event.save()
        head.last_sequence = event.sequence
        head.last_hash = event.hash
        head.save(update_fields=["last_sequence", "last_hash"])
    return event


def event_link(event: AuditEvent) -> ChainLink:
    return ChainLink(
        company_id=event.company_id,
        sequence=event.sequence,
        occurred_at=event.occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        object_repr=event.object_repr,
        changes=event.changes,
        reason=event.reason,
        ip_address=event.ip_address,
        previous_hash=event.previous_hash,
    )


def current_ip() -> str | None:
    """The client IP of the request being served, set by the tenant middleware."""
    from jixiao.core.request_context import current_request_ip

    return current_request_ip()


@dataclass(frozen=True)
class AuditEntry:
    """One event of a bulk write (e.g. an import of thousands of employees)."""

    action: str
    object_type: str
    object_id: str
    object_repr: str = ""
    changes: Mapping[str, Any] | None = None


@transaction.atomic
def audit_record_many(
    *,
    company: Company,
    actor: User | None,
    entries: Iterable[AuditEntry],
    reason: str = "",
    ip_address: str | None = None,
) -> int:
    """Append many events in one locked pass, inserted 1,000 at a time; returns how many.

    Each event is hashed from the same ``ChainLink`` that ``event_link`` gives for the
    stored row, built directly from the entry instead of through an ``AuditEvent``
    instance; the columns shared by all events are adapted for the database once.
    """
    if ip_address is None:
        ip_address = current_ip()
    ip_address = _clean_ip(ip_address)
    connection = connections[router.db_for_write(AuditEvent)]
    ops = connection.ops
    with scopes_disabled():
        head = _locked_head(company)
        now = timezone.now()
        occurred_at = now.astimezone(dt.UTC).isoformat(timespec="microseconds")
        db_occurred_at = ops.adapt_datetimefield_value(now)
        db_ip_address = ops.adapt_ipaddressfield_value(ip_address)
        company_id = company.pk
        actor_id = actor.pk if actor is not None and actor.pk else None
        actor_label = (str(actor) if actor is not None else "system")[:200]
        rows: list[tuple[Any, ...]] = []
        written = 0
        previous = head.last_hash
        sequence = head.last_sequence
        for entry in entries:
            sequence += 1
            object_repr = entry.object_repr[:300]
            changes = _json_changes(entry.changes)
            link = ChainLink(
                company_id=company_id,
                sequence=sequence,
                occurred_at=occurred_at,
                actor_id=actor_id,
                actor_label=actor_label,
                action=entry.action,
                object_type=entry.object_type,
                object_id=entry.object_id,
                object_repr=object_repr,
                changes=changes,
                reason=reason,
                ip_address=ip_address,
                previous_hash=previous,
            )
            digest = link_hash(link)
            rows.append(
                (
                    company_id,
                    sequence,
                    db_occurred_at,
                    actor_id,
                    actor_label,
                    entry.action,
                    entry.object_type,
                    entry.object_id,
                    object_repr,
                    ops.adapt_json_value(changes, None),
                    reason,
                    db_ip_address,
                    previous,
                    digest,
                )
            )
            previous = digest
            if len(rows) == BULK_BATCH_SIZE:
                _insert_events(rows)
                written += len(rows)
                rows = []
        _insert_events(rows)
        written += len(rows)
        if written:
            head.last_sequence = sequence
            head.last_hash = previous
            head.save(update_fields=["last_sequence", "last_hash"])
    return written


@transaction.atomic
def audit_report_export(*, viewer: User, filters: AuditFilters) -> AuditReport:
    """Build the XLSX audit report and record who exported what (it holds personal data)."""
    report = audit_report_build(viewer=viewer, filters=filters)
    audit_record(
        company=viewer.company,  # type: ignore[arg-type]
        actor=viewer,
        action="audit.report.export",
        object_type="audit.report",
        object_id="",
        object_repr=report.filename,
        changes={"filters": [None, filters.describe()], "rows": [None, report.rows]},
    )
    return report
