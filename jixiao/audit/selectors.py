"""Reading the audit trail: the filtered event list for HR, one object's history,
and the verification of a company's hash chain.

Only HR admins read audit events, and only their own company's; every selector
that takes a viewer returns nothing (or 404) for anyone else.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django_scopes import scopes_disabled

from jixiao.audit.chain import BreakKind, ChainBreak, ChainLink, ChainWalk
from jixiao.audit.models import AuditChainHead, AuditEvent
from jixiao.core.models import Company, Role, User

PAGE_SIZE = 50
PAGE_SIZE_MAX = 200
VERIFY_CHUNK_SIZE = 2000
VERIFY_MAX_BREAKS = 1000


def can_read_audit(viewer: Any) -> bool:
    """HR admins of a company; executives do not read the trail (it holds salary changes)."""
    return bool(
        viewer.is_authenticated
        and viewer.is_active
        and viewer.role == Role.HR_ADMIN
        and viewer.company_id is not None
    )


# --- Filters and pages ----------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    """What the list, the API and the export filter on; dates are in the viewer's time zone."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    actor_id: int | None = None
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    q: str = ""

    def describe(self) -> dict[str, str]:
        """The filters that are set, for the report header."""
        values = {
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
            "actor_id": str(self.actor_id) if self.actor_id else "",
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "q": self.q,
        }
        return {key: value for key, value in values.items() if value}


def viewer_zone(viewer: Any) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(viewer.effective_time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Shanghai")


def day_start(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """Midnight of ``day`` in ``zone`` (an aware datetime the database compares in UTC)."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def audit_events_for_viewer(*, viewer: Any) -> QuerySet[AuditEvent]:
    """Every event the viewer may read: their company's, if they are an HR admin."""
    if not can_read_audit(viewer):
        return AuditEvent.objects.none()
    with scopes_disabled():
        return AuditEvent.objects.filter(company_id=viewer.company_id)


def audit_event_queryset(*, viewer: Any, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The viewer's events matching the filters, newest first."""
    qs = audit_events_for_viewer(viewer=viewer)
    zone = viewer_zone(viewer)
    if filters.date_from:
        qs = qs.filter(occurred_at__gte=day_start(filters.date_from, zone))
    if filters.date_to:
        qs = qs.filter(occurred_at__lt=day_start(filters.date_to + dt.timedelta(days=1), zone))
    if filters.actor_id:
        qs = qs.filter(actor_id=filters.actor_id)
    action = filters.action.strip()
    if action.endswith("*"):
        qs = qs.filter(action__startswith=action.rstrip("*"))
    elif action.endswith("."):
        qs = qs.filter(action__startswith=action)
    elif action:
        qs = qs.filter(action=action)
    if filters.object_type.strip():
        qs = qs.filter(object_type=filters.object_type.strip())
    if filters.object_id.strip():
        qs = qs.filter(object_id=filters.object_id.strip())
    text = filters.q.strip()
    if text:
        qs = qs.filter(Q(object_repr__icontains=text) | Q(reason__icontains=text))
    return qs.select_related("actor").order_by("-sequence")


@dataclass
class AuditEventPage:
    items: list[AuditEvent]
    count: int
    page: int
    page_size: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def audit_event_page(
    *, viewer: Any, filters: AuditFilters, page: int = 1, page_size: int = PAGE_SIZE
) -> AuditEventPage:
    """One page of ``audit_event_queryset``; a page past the end shows the last one."""
    page_size = max(1, min(page_size, PAGE_SIZE_MAX))
    qs = audit_event_queryset(viewer=viewer, filters=filters)
    count = qs.count()
    last = max(1, -(-count // page_size))
    page = max(1, min(page, last))
    start = (page - 1) * page_size
    return AuditEventPage(list(qs[start : start + page_size]), count, page, page_size)


def audit_event_for_viewer(*, viewer: Any, pk: int) -> AuditEvent:
    """One event of the viewer's company, else 404 (another company's ids leak nothing)."""
    event = audit_events_for_viewer(viewer=viewer).select_related("actor").filter(pk=pk).first()
    if event is None:
        raise Http404
    return event


def audit_actor_choices(*, viewer: Any) -> list[User]:
    """The viewer's colleagues, for the actor filter (users are never deleted)."""
    if not can_read_audit(viewer):
        return []
    return list(User.objects.filter(company_id=viewer.company_id).order_by("username"))


def audit_object_types() -> list[str]:
    """Labels of Jixiao's models (what ``audit_record`` writes as object type)."""
    return sorted(
        model._meta.label_lower
        for model in apps.get_models()
        if model.__module__.startswith("jixiao.")
    )


# --- One object's history -----------------------------------------------------------


def _object_in_other_company(viewer: Any, object_type: str, object_id: str) -> bool:
    """Whether ``type``/``id`` names a row that exists and belongs to another company."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return False
    try:
        model._meta.get_field("company")
    except FieldDoesNotExist:
        return False
    try:
        with scopes_disabled():
            company_id = (
                model._default_manager.filter(pk=object_id)
                .values_list("company_id", flat=True)
                .first()
            )
    except (ValueError, TypeError):
        return False
    return company_id is not None and company_id != viewer.company_id


def audit_object_history(
    *, viewer: Any, object_type: str, object_id: str, limit: int = 200
) -> list[AuditEvent]:
    """The events about one object, newest first; 404 for another company's object.

    A deleted object keeps its history: only an object that still exists in
    another company is refused.
    """
    if not can_read_audit(viewer) or not object_type or not object_id:
        raise Http404
    if _object_in_other_company(viewer, object_type, object_id):
        raise Http404
    qs = audit_events_for_viewer(viewer=viewer).filter(object_type=object_type, object_id=object_id)
    return list(qs.select_related("actor").order_by("-sequence")[:limit])


# --- Chain verification ---------------------------------------------------------------


@dataclass
class VerifyResult:
    """The outcome of walking one company's chain from event 1 to its head."""

    company_id: int
    checked: int = 0
    head_sequence: int = 0
    head_hash: str = ""
    breaks: list[ChainBreak] = field(default_factory=list)
    break_count: int = 0

    @property
    def ok(self) -> bool:
        return self.break_count == 0

    @property
    def truncated(self) -> bool:
        """More breaks were found than kept (the list is capped to stay small)."""
        return self.break_count > len(self.breaks)

    @property
    def broken_sequences(self) -> list[int]:
        return sorted({b.sequence for b in self.breaks})


_LINK_FIELDS = (
    "sequence",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
    "reason",
    "ip_address",
    "previous_hash",
    "hash",
)


def _links(company_id: int, up_to: int, chunk_size: int) -> Iterator[tuple[ChainLink, str]]:
    """Events 1..up_to in sequence order, read in keyset-paged chunks (bounded memory,
    no long-held cursor), as (link, stored hash)."""
    after = 0
    while True:
        rows = list(
            AuditEvent.objects.filter(
                company_id=company_id, sequence__gt=after, sequence__lte=up_to
            )
            .order_by("sequence")
            .values_list(*_LINK_FIELDS)[:chunk_size]
        )
        for row in rows:
            values = dict(zip(_LINK_FIELDS, row, strict=True))
            stored = values.pop("hash")
            values["occurred_at"] = (
                values["occurred_at"].astimezone(dt.UTC).isoformat(timespec="microseconds")
            )
            yield ChainLink(company_id=company_id, **values), stored
        if len(rows) < chunk_size:
            return
        after = rows[-1][0]


def _highest_sequence(company_id: int) -> int:
    found = AuditEvent.objects.filter(company_id=company_id).aggregate(highest=Max("sequence"))
    return int(found["highest"] or 0)


def audit_chain_verify(
    company: Company,
    *,
    chunk_size: int = VERIFY_CHUNK_SIZE,
    max_breaks: int = VERIFY_MAX_BREAKS,
) -> VerifyResult:
    """Walk the company's events in sequence order and report every break.

    Detects edited rows (hash), deleted rows (gap and previous-hash mismatch),
    reordering, a head row that does not match the newest event (so deleting the
    newest events is caught), and events beyond the head. Streams the chain in
    chunks, so a million events need no more memory than a few thousand; at most
    ``max_breaks`` breaks are kept, all are counted.

    The newest event is checked against ``AuditChainHead``; events written while
    the walk runs are beyond the head read at the start and are left for the
    next run.
    """
    result = VerifyResult(company_id=company.pk)

    def add(found: list[ChainBreak]) -> None:
        for chain_break in found:
            result.break_count += 1
            if len(result.breaks) < max_breaks:
                result.breaks.append(chain_break)

    with scopes_disabled():
        head = AuditChainHead.objects.filter(company_id=company.pk).first()
        head_sequence = head.last_sequence if head else 0
        result.head_sequence = head_sequence
        result.head_hash = head.last_hash if head else ""
        up_to = head_sequence if head else _highest_sequence(company.pk)
        walk = ChainWalk()
        for link, stored in _links(company.pk, up_to, chunk_size):
            add(walk.step(link, stored))
        result.checked = walk.checked
        # Read the highest sequence first and the head second: a writer commits an
        # event and its head together, so a later head read can only be higher.
        highest = _highest_sequence(company.pk)
        current_head = (
            AuditChainHead.objects.filter(company_id=company.pk)
            .values_list("last_sequence", flat=True)
            .first()
            or 0
        )
        if head is None and highest:
            add([ChainBreak(highest, "chain head is missing", BreakKind.HEAD)])
        elif head is not None:
            add(walk.finish(head_sequence, head.last_hash))
            if highest > current_head:
                add(
                    [
                        ChainBreak(
                            highest,
                            f"events after the chain head ({current_head})",
                            BreakKind.HEAD,
                        )
                    ]
                )
    return result


def audit_chain_verify_for_viewer(*, viewer: Any) -> VerifyResult:
    """Verification of the viewer's own company (HR admins; callers check the permission)."""
    if not can_read_audit(viewer):
        raise Http404
    return audit_chain_verify(viewer.company)


def audit_chain_summary(*, company: Company) -> dict[str, Any]:
    """The head's sequence and hash: what an admin may note down outside the system."""
    with scopes_disabled():
        head = AuditChainHead.objects.filter(company_id=company.pk).first()
    return {
        "sequence": head.last_sequence if head else 0,
        "hash": head.last_hash if head else "",
    }
