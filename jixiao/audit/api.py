"""REST endpoints of the audit trail: HR admins read their company's events,
verify its hash chain and export the audit report.

Other roles get 403, anonymous callers 401, another company's event ids 404.
Date filters are calendar days in the caller's time zone; times are returned in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from jixiao.audit import selectors
from jixiao.audit.report import XLSX_CONTENT_TYPE
from jixiao.audit.services import audit_report_export
from jixiao.core.api_errors import ServiceError

router = Router(tags=["audit"])


def _reader(request: HttpRequest) -> Any:
    user = request.user
    if not user.has_perm("audit.view_audit") or not selectors.can_read_audit(user):
        raise PermissionDenied
    return user


class EventFilters(Schema):
    date_from: dt.date | None = Field(None, description="first day, in the caller's time zone")
    date_to: dt.date | None = Field(None, description="last day (inclusive)")
    actor: int | None = Field(None, ge=1, le=2**63 - 1, description="user id of the actor")
    action: str = Field("", max_length=100, description="exact, or a prefix ending in * or .")
    object_type: str = Field("", max_length=100, description="e.g. org.employee")
    object_id: str = Field("", max_length=64)
    q: str = Field("", max_length=200, description="text in the object or the reason")

    def to_filters(self) -> selectors.AuditFilters:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            message = _("结束日期不能早于开始日期。")
            raise ServiceError(message, fields={"date_to": [message]})
        return selectors.AuditFilters(
            date_from=self.date_from,
            date_to=self.date_to,
            actor_id=self.actor,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            q=self.q,
        )


class PageQuery(Schema):
    page: int = Field(1, ge=1)
    page_size: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.PAGE_SIZE_MAX)


class EventOut(Schema):
    id: int
    sequence: int
    occurred_at: dt.datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    reason: str


class EventDetailOut(EventOut):
    changes: Any
    ip_address: str | None
    hash: str
    previous_hash: str


class EventPageOut(Schema):
    items: list[EventOut]
    count: int
    page: int
    page_size: int


class ChainBreakOut(Schema):
    sequence: int
    kind: str
    problem: str


class VerifyOut(Schema):
    ok: bool
    checked: int
    head_sequence: int
    head_hash: str
    break_count: int
    truncated: bool
    breaks: list[ChainBreakOut]


@router.get("/events", response=EventPageOut, summary="List audit events")
def event_list(
    request: HttpRequest,
    filters: Query[EventFilters],
    paging: Query[PageQuery],
) -> dict[str, Any]:
    viewer = _reader(request)
    page = selectors.audit_event_page(
        viewer=viewer, filters=filters.to_filters(), page=paging.page, page_size=paging.page_size
    )
    return {
        "items": page.items,
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
    }


@router.get("/events/{event_id}", response=EventDetailOut, summary="One audit event")
def event_detail(request: HttpRequest, event_id: int) -> Any:
    viewer = _reader(request)
    return selectors.audit_event_for_viewer(viewer=viewer, pk=event_id)


@router.get("/verify", response=VerifyOut, summary="Verify the company's audit hash chain")
def verify(request: HttpRequest) -> dict[str, Any]:
    viewer = _reader(request)
    result = selectors.audit_chain_verify_for_viewer(viewer=viewer)
    return {
        "ok": result.ok,
        "checked": result.checked,
        "head_sequence": result.head_sequence,
        "head_hash": result.head_hash,
        "break_count": result.break_count,
        "truncated": result.truncated,
        "breaks": [
            {"sequence": b.sequence, "kind": b.kind, "problem": b.problem} for b in result.breaks
        ],
    }


@router.get(
    "/export.xlsx",
    summary="The audit report of the filtered events (XLSX)",
    openapi_extra={
        "responses": {200: {"content": {XLSX_CONTENT_TYPE: {"schema": {"type": "string"}}}}}
    },
)
def export(request: HttpRequest, filters: Query[EventFilters]) -> HttpResponse:
    viewer = _reader(request)
    report = audit_report_export(viewer=viewer, filters=filters.to_filters())
    response = HttpResponse(report.content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    return response
