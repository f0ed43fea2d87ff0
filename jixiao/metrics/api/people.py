"""Identities and the unmatched queue (HR), disputes and manual entries (everyone, by rule)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from jixiao.core.api_errors import ERRORS, ServiceError
from jixiao.core.pagination import Page, PageQuery, paginate
from jixiao.metrics import selectors
from jixiao.metrics.api.common import (
    WRITE_ERRORS,
    admin,
    employee_in_company,
    member,
    own_employee,
    source_in_company,
)
from jixiao.metrics.models import (
    IdentityLink,
    Indicator,
    ManualEntry,
    MetricDispute,
    MetricEvent,
    UnmatchedIdentity,
)
from jixiao.metrics.services import disputes as dispute_services
from jixiao.metrics.services import identities as identity_services
from jixiao.metrics.services import manual as manual_services

router = Router(tags=["metrics-people"])


class MetricLinkOut(Schema):
    id: int
    identity: str
    employee_id: int
    source_id: int | None
    created_at: dt.datetime


class MetricLinkIn(Schema):
    identity: str = Field(max_length=200)
    employee_id: int
    source_id: int | None = None


class MetricLinkCreatedOut(Schema):
    link: MetricLinkOut
    events_matched: int


class MetricUnmatchedOut(Schema):
    id: int
    source_id: int
    identity: str
    first_seen: dt.datetime
    last_seen: dt.datetime
    event_count: int
    sample: dict[str, Any]


class MetricDisputeOut(Schema):
    id: int
    event_id: int
    indicator: str
    value: Decimal
    raised_by_id: int
    reason: str
    status: str
    resolution_note: str
    resolved_at: dt.datetime | None
    correction_event_id: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_indicator(obj: MetricDispute) -> str:
        return obj.event.indicator.code

    @staticmethod
    def resolve_value(obj: MetricDispute) -> Decimal:
        return obj.event.value


class MetricDisputeIn(Schema):
    reason: str = Field(max_length=2000)


class MetricResolveIn(Schema):
    upheld: bool
    note: str = Field(max_length=2000)
    corrected_value: Decimal | None = Field(None, max_digits=18, decimal_places=4)


class MetricManualOut(Schema):
    id: int
    employee_id: int
    indicator: str
    value: Decimal
    occurred_at: dt.datetime
    description: str
    evidence_url: str
    status: str
    decided_at: dt.datetime | None
    decision_note: str
    event_id: int | None
    created_at: dt.datetime

    @staticmethod
    def resolve_indicator(obj: ManualEntry) -> str:
        return obj.indicator.code


class MetricManualIn(Schema):
    indicator: str = Field(max_length=60)
    value: Decimal = Field(max_digits=18, decimal_places=4)
    occurred_at: dt.datetime
    description: str = Field(max_length=2000)
    evidence_url: str = Field("", max_length=500)


class MetricDecideIn(Schema):
    approve: bool
    note: str = Field("", max_length=500)


# --- Identities (HR) -----------------------------------------------------------------


@router.get("/identities", response={200: Page[MetricLinkOut], **ERRORS})
def identity_list(
    request: HttpRequest,
    paging: Query[PageQuery],
) -> dict[str, object]:
    user = admin(request)
    return paginate(
        IdentityLink.objects.filter(company_id=user.company_id), paging.page, paging.page_size
    )


@router.post("/identities", response={201: MetricLinkCreatedOut, **WRITE_ERRORS})
def identity_create(request: HttpRequest, payload: MetricLinkIn) -> Status[dict[str, object]]:
    user = admin(request)
    employee = employee_in_company(user, payload.employee_id)
    source = source_in_company(user, payload.source_id)
    link, matched = identity_services.identity_link_create(
        company=user.company, actor=user, identity=payload.identity, employee=employee,
        source=source,
    )  # fmt: skip
    return Status(201, {"link": link, "events_matched": matched})


@router.delete("/identities/{link_id}", response={204: None, **WRITE_ERRORS})
def identity_delete(request: HttpRequest, link_id: int) -> Status[None]:
    user = admin(request)
    link = (
        IdentityLink.objects.filter(company_id=user.company_id, pk=link_id)
        .select_related("company")
        .first()
    )
    if link is None:
        raise Http404
    identity_services.identity_link_delete(link=link, actor=user)
    return Status(204, None)


@router.get("/unmatched", response={200: Page[MetricUnmatchedOut], **ERRORS})
def unmatched_list(
    request: HttpRequest,
    paging: Query[PageQuery],
) -> dict[str, object]:
    user = admin(request)
    queue = UnmatchedIdentity.objects.filter(company_id=user.company_id, resolved_at__isnull=True)
    return paginate(queue, paging.page, paging.page_size)


# --- Disputes --------------------------------------------------------------------------


@router.get("/disputes", response={200: Page[MetricDisputeOut], **ERRORS})
def dispute_list(
    request: HttpRequest,
    paging: Query[PageQuery],
    status: str = "",
) -> dict[str, object]:
    user = member(request)
    qs = selectors.disputes_visible(user)
    if status:
        qs = qs.filter(status=status)
    return paginate(qs, paging.page, paging.page_size)


@router.post("/events/{event_id}/disputes", response={201: MetricDisputeOut, **WRITE_ERRORS})
def dispute_raise(
    request: HttpRequest, event_id: int, payload: MetricDisputeIn
) -> Status[MetricDispute]:
    user = member(request)
    event = (
        MetricEvent.objects.filter(company_id=user.company_id, pk=event_id)
        .select_related("employee")
        .first()
    )
    if event is None:
        raise Http404
    if event.employee is None or not user.has_perm("metrics.dispute", event.employee):
        raise PermissionDenied
    dispute = dispute_services.dispute_raise(
        event=event, employee=event.employee, actor=user, reason=payload.reason
    )
    return Status(201, dispute)


@router.post("/disputes/{dispute_id}/resolve", response={200: MetricDisputeOut, **WRITE_ERRORS})
def dispute_resolve(
    request: HttpRequest, dispute_id: int, payload: MetricResolveIn
) -> MetricDispute:
    user = member(request)
    dispute = MetricDispute.objects.filter(company_id=user.company_id, pk=dispute_id).first()
    if dispute is None:
        raise Http404
    if not user.has_perm("metrics.administer"):
        raise PermissionDenied
    return dispute_services.dispute_resolve(
        dispute=dispute,
        actor=user,
        upheld=payload.upheld,
        note=payload.note,
        corrected_value=payload.corrected_value,
    )


# --- Manual entries --------------------------------------------------------------------


@router.get("/manual-entries", response={200: Page[MetricManualOut], **ERRORS})
def manual_list(
    request: HttpRequest,
    paging: Query[PageQuery],
    status: str = "",
) -> dict[str, object]:
    user = member(request)
    qs = selectors.manual_entries_visible(user)
    if status:
        qs = qs.filter(status=status)
    return paginate(qs, paging.page, paging.page_size)


@router.post("/manual-entries", response={201: MetricManualOut, **WRITE_ERRORS})
def manual_submit(request: HttpRequest, payload: MetricManualIn) -> Status[ManualEntry]:
    user = member(request)
    employee = own_employee(user)
    indicator = (
        Indicator.objects.filter(company_id=user.company_id, code=payload.indicator)
        .select_related("current_version")
        .first()
    )
    if indicator is None:
        message = _("指标 %(code)s 不存在。") % {"code": payload.indicator}
        raise ServiceError(message, fields={"indicator": [message]})
    entry = manual_services.manual_entry_submit(
        employee=employee,
        actor=user,
        indicator=indicator,
        value=payload.value,
        occurred_at=payload.occurred_at,
        description=payload.description,
        evidence_url=payload.evidence_url,
    )
    return Status(201, entry)


@router.post("/manual-entries/{entry_id}/decide", response={200: MetricManualOut, **WRITE_ERRORS})
def manual_decide(request: HttpRequest, entry_id: int, payload: MetricDecideIn) -> ManualEntry:
    user = member(request)
    entry = (
        ManualEntry.objects.filter(company_id=user.company_id, pk=entry_id)
        .select_related("employee")
        .first()
    )
    if entry is None:
        raise Http404
    if not user.has_perm("metrics.decide_manual", entry.employee):
        raise PermissionDenied
    return manual_services.manual_entry_decide(
        entry=entry, actor=user, approve=payload.approve, note=payload.note
    )
