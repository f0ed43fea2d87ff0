"""Source endpoints: set-up and runs (HR), and the signed push endpoint (signature only).

``POST /sources/{id}/events`` needs no session or token: the HMAC signature over
``timestamp + "." + raw body`` with the source's secret is the authentication,
and the company is the source's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled
from ninja import Query, Router, Schema, Status
from pydantic import Field

from jixiao.core.api_errors import ERRORS, ErrorOut, ServiceError
from jixiao.core.pagination import Page, PageQuery, paginate
from jixiao.metrics import push
from jixiao.metrics.api.common import WRITE_ERRORS, admin
from jixiao.metrics.connectors.base import config_masked, connector_kinds
from jixiao.metrics.models import MetricSource, SourceKind, SourceRun
from jixiao.metrics.services import sources as services
from jixiao.metrics.services.ingest import ItemResult, metric_events_ingest
from jixiao.metrics.services.sync import source_connection_test
from jixiao.metrics.tasks import metric_source_sync

router = Router(tags=["metrics-sources"])
push_router = Router(tags=["metrics-push"])


class MetricSourceOut(Schema):
    id: int
    name: str
    kind: str
    config: dict[str, Any]
    schedule_minutes: int | None
    enabled: bool
    cursor: dict[str, Any]
    last_success_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    last_error: str
    failure_count: int
    created_at: dt.datetime

    @staticmethod
    def resolve_config(obj: MetricSource) -> dict[str, Any]:
        """Connector secrets (passwords, tokens) are shown as "***", never sent back."""
        return config_masked(obj.kind, obj.config)


class MetricConnectionOut(Schema):
    ok: bool
    message: str
    details: dict[str, Any]


class MetricSyncQueuedOut(Schema):
    queued: bool
    message: str


class MetricSourceSecretOut(MetricSourceOut):
    secret: str = Field(description="The push signing secret. Shown only here, once.")


class MetricSourceIn(Schema):
    name: str = Field(max_length=100)
    kind: str = SourceKind.PUSH.value
    config: dict[str, Any] = Field(default_factory=dict)
    schedule_minutes: int | None = Field(None, ge=5, le=10080)
    enabled: bool = True


class MetricSourcePatchIn(Schema):
    name: str | None = Field(None, max_length=100)
    config: dict[str, Any] | None = None
    schedule_minutes: int | None = Field(None, ge=5, le=10080)
    enabled: bool | None = None


class MetricSecretOut(Schema):
    secret: str


class MetricRunOut(Schema):
    id: int
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    received: int
    created: int
    duplicates: int
    corrected: int
    unmatched: int
    errors: int
    error_detail: list[Any]


class MetricItemResultOut(Schema):
    index: int
    source_event_id: str
    status: str
    event_id: int | None
    code: str
    message: str
    fields: dict[str, list[str]]
    anomalies: list[str]


class MetricPushOut(Schema):
    run_id: int | None
    received: int
    created: int
    duplicates: int
    corrected: int
    unmatched: int
    errors: int
    items: list[MetricItemResultOut]


def _source(request: HttpRequest, source_id: int) -> MetricSource:
    user = admin(request)
    found = (
        MetricSource.objects.filter(company_id=user.company_id, pk=source_id)
        .select_related("company")
        .first()
    )
    if found is None:
        raise Http404
    return found


@router.get("/sources", response={200: Page[MetricSourceOut], **ERRORS})
def source_list(
    request: HttpRequest,
    paging: Query[PageQuery],
) -> dict[str, object]:
    user = admin(request)
    return paginate(
        MetricSource.objects.filter(company_id=user.company_id), paging.page, paging.page_size
    )


@router.post("/sources", response={201: MetricSourceSecretOut, **WRITE_ERRORS})
def source_create(request: HttpRequest, payload: MetricSourceIn) -> Status[MetricSource]:
    user = admin(request)
    source = services.source_create(company=user.company, actor=user, **payload.dict())
    return Status(201, source)


@router.get("/sources/{source_id}", response={200: MetricSourceOut, **ERRORS})
def source_get(request: HttpRequest, source_id: int) -> MetricSource:
    return _source(request, source_id)


@router.patch("/sources/{source_id}", response={200: MetricSourceOut, **WRITE_ERRORS})
def source_update(
    request: HttpRequest, source_id: int, payload: MetricSourcePatchIn
) -> MetricSource:
    source = _source(request, source_id)
    # Only schedule_minutes may be cleared with null; a null name, config or enabled is "unchanged".
    changes = {
        key: value
        for key, value in payload.dict(exclude_unset=True).items()
        if value is not None or key == "schedule_minutes"
    }
    return services.source_update(source=source, actor=request.user, **changes)  # type: ignore[arg-type]


@router.delete("/sources/{source_id}", response={204: None, **WRITE_ERRORS})
def source_delete(request: HttpRequest, source_id: int) -> Status[None]:
    source = _source(request, source_id)
    services.source_delete(source=source, actor=request.user)  # type: ignore[arg-type]
    return Status(204, None)


@router.post("/sources/{source_id}/rotate-secret", response={200: MetricSecretOut, **WRITE_ERRORS})
def source_rotate_secret(request: HttpRequest, source_id: int) -> dict[str, str]:
    source = _source(request, source_id)
    secret = services.source_secret_rotate(source=source, actor=request.user)  # type: ignore[arg-type]
    return {"secret": secret}


@router.post("/sources/{source_id}/test", response={200: MetricConnectionOut, **WRITE_ERRORS})
def source_test(request: HttpRequest, source_id: int) -> dict[str, Any]:
    """Try the connection with the saved config: ok or the reason, nothing is stored."""
    source = _source(request, source_id)
    if source.kind not in connector_kinds():
        return {"ok": False, "message": _("该类型的数据源由对方推送或导入，无需连接测试。"),
                "details": {}}  # fmt: skip
    report = source_connection_test(source=source)
    return {"ok": report.ok, "message": report.message, "details": report.details}


@router.post("/sources/{source_id}/sync", response={202: MetricSyncQueuedOut, **WRITE_ERRORS})
def source_sync_now(request: HttpRequest, source_id: int) -> Status[dict[str, Any]]:
    """Queue a sync now (it resumes from the source's cursor; a running sync refuses a second)."""
    source = _source(request, source_id)
    if source.kind not in connector_kinds():
        raise ServiceError(
            _("该类型的数据源由对方推送或导入，不能主动同步。"), code="no_connector", status=409
        )
    if not source.enabled:
        raise ServiceError(_("数据源已停用。"), code="source_disabled", status=409)
    metric_source_sync(source.pk, request.user.pk)
    return Status(202, {"queued": True, "message": _("已开始同步，结果见同步记录。")})


@router.get("/sources/{source_id}/runs", response={200: Page[MetricRunOut], **ERRORS})
def source_runs(
    request: HttpRequest,
    source_id: int,
    paging: Query[PageQuery],
) -> dict[str, object]:
    source = _source(request, source_id)
    return paginate(SourceRun.objects.filter(source=source), paging.page, paging.page_size)


_PUSH_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {
                        "items": {
                            "type": "array",
                            "maxItems": push.MAX_ITEMS,
                            "items": {
                                "type": "object",
                                "required": [
                                    "indicator", "value", "occurred_at", "source_event_id"
                                ],
                                "properties": {
                                    "indicator": {"type": "string"},
                                    "value": {"type": ["number", "string"]},
                                    "occurred_at": {"type": "string", "format": "date-time"},
                                    "source_event_id": {"type": "string"},
                                    "identity": {"type": "string"},
                                    "employee_number": {"type": "string"},
                                    "department_code": {"type": "string"},
                                    "evidence_url": {"type": "string"},
                                    "evidence": {"type": "object"},
                                    "correction": {"enum": ["", "reverse", "replace"]},
                                    "corrects": {"type": "string"},
                                },
                            },
                        }
                    },
                }
            }
        },
    },
    "parameters": [
        {"name": "X-Jixiao-Timestamp", "in": "header", "required": True,
         "schema": {"type": "string"}, "description": "Unix seconds; at most 5 minutes old."},
        {"name": "X-Jixiao-Signature", "in": "header", "required": True,
         "schema": {"type": "string"},
         "description": "sha256=<hex HMAC-SHA256 of timestamp + '.' + raw body>"},
    ],
}  # fmt: skip


@push_router.post(
    "/sources/{source_id}/events",
    auth=None,
    response={200: MetricPushOut, 400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 413: ErrorOut,
              422: ErrorOut},
    openapi_extra=_PUSH_BODY,
    summary="Push a signed batch of metric events",
)  # fmt: skip
def source_events_push(request: HttpRequest, source_id: int) -> dict[str, Any]:
    """Signed batch of up to 1,000 events; per-item results; re-sent ids never count twice."""
    with scopes_disabled():
        source = MetricSource.objects.select_related("company").filter(pk=source_id).first()
    if source is None or not source.company.is_active:
        push.unknown_source_refuse(
            timestamp=request.META.get(push.TIMESTAMP_HEADER, ""),
            signature=request.META.get(push.SIGNATURE_HEADER, ""),
        )
    assert source is not None  # unknown_source_refuse always raises
    with scope(company=source.company):
        push.signature_verify(
            source=source,
            timestamp=request.META.get(push.TIMESTAMP_HEADER, ""),
            signature=request.META.get(push.SIGNATURE_HEADER, ""),
            body=request.body,
            now=timezone.now(),
        )
        if not source.enabled:
            raise ServiceError(_("数据源已停用。"), code="source_disabled", status=403)
        parsed = push.items_parse(request.body)
        run = SourceRun.objects.create(company=source.company, source=source)
        outcome = metric_events_ingest(
            company=source.company, source=source, items=parsed.items, actor=None, run=run
        )
        results: list[ItemResult] = list(parsed.errors)
        for result in outcome.items:
            result.index = parsed.positions[result.index]
            results.append(result)
        results.sort(key=lambda r: r.index)
        counts = {s: sum(1 for r in results if r.status == s) for s in
                  ("created", "duplicate", "corrected", "unmatched", "error")}  # fmt: skip
        push.run_finish(run, parse_errors=parsed.errors, received=len(results))
    return {
        "run_id": run.pk,
        "received": len(results),
        "created": counts["created"],
        "duplicates": counts["duplicate"],
        "corrected": counts["corrected"],
        "unmatched": counts["unmatched"],
        "errors": counts["error"],
        "items": results,
    }
