"""Source endpoints: set-up, runs and file imports (HR; executives read the set-up and
runs), and the signed push endpoint (signature only).

``POST /sources/{id}/events`` needs no session or token: the HMAC signature over
``timestamp + "." + raw body`` with the source's secret is the authentication,
and the company is the source's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import BaseModel, ConfigDict, Field

from jixiao.core.api_errors import ERRORS, ErrorOut, ServiceError
from jixiao.core.pagination import Page, PageQuery, paginate
from jixiao.core.rules import reads_whole_company
from jixiao.imports import selectors as import_selectors
from jixiao.imports import services as import_services
from jixiao.imports.api import BatchDetailOut, BatchOut, _batch_detail_out, _batch_out, _json_object
from jixiao.imports.models import ImportBatch
from jixiao.metrics import push
from jixiao.metrics.api.common import WRITE_ERRORS, admin, member
from jixiao.metrics.connectors.base import config_masked, connector_kinds
from jixiao.metrics.importers import IMPORTABLE_KINDS, MetricEventImporter
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
    unmatched_identities: int = Field(description="Open identities no employee matches yet.")
    importable: bool = Field(description="Whether CSV/XLSX files can be imported into it.")
    column_mapping: dict[str, str] = Field(
        description="The column mapping of its last imported file {header: field}, reused."
    )

    @staticmethod
    def resolve_config(obj: MetricSource) -> dict[str, Any]:
        """Connector secrets (passwords, tokens) are shown as "***", never sent back."""
        return config_masked(obj.kind, obj.config)

    @staticmethod
    def resolve_unmatched_identities(obj: MetricSource) -> int:
        counted = getattr(obj, "unmatched_open", None)
        if counted is None:
            counted = obj.unmatched.filter(resolved_at__isnull=True).count()
        return int(counted)

    @staticmethod
    def resolve_importable(obj: MetricSource) -> bool:
        return obj.kind in IMPORTABLE_KINDS


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


class MetricItemResultOut(BaseModel):
    """One pushed item's outcome. A plain pydantic model, read from the ingest's results
    by pydantic's own attribute reader: ninja's ``Schema`` wraps each of a thousand items
    in its Django-aware getter first (50 ms of a batch's answer)."""

    model_config = ConfigDict(from_attributes=True)

    index: int
    source_event_id: str
    status: str
    event_id: int | None
    code: str
    message: str
    fields: dict[str, list[str]]
    anomalies: list[str]


PUSH_INLINE_SUBJECTS = 20
"""A pushed batch touching at most this many people and teams refreshes their values
before it is answered; a bigger one leaves that to a task (measured: 1.3 s of the
2.1 s a batch of 1,000 events for 500 people took went to the refresh)."""


class MetricPushOut(Schema):
    run_id: int | None
    received: int
    created: int
    duplicates: int
    corrected: int
    unmatched: int
    errors: int
    values_current: bool = Field(
        description="True: the touched values (progress, day to year) are refreshed. False: "
        f"the batch touched more than {PUSH_INLINE_SUBJECTS} people or teams, and a "
        "background task refreshes them in a moment."
    )
    items: list[MetricItemResultOut]


def _reader(request: HttpRequest) -> Any:
    """HR and executives read the set-up and the runs."""
    user = member(request)
    if not reads_whole_company.test(user):
        raise PermissionDenied
    return user


def _source(request: HttpRequest, source_id: int, *, read_only: bool = False) -> MetricSource:
    user = _reader(request) if read_only else admin(request)
    found = services.sources_with_health(company_id=user.company_id).filter(pk=source_id).first()
    if found is None:
        raise Http404
    return found


@router.get("/sources", response={200: Page[MetricSourceOut], **ERRORS})
def source_list(
    request: HttpRequest,
    paging: Query[PageQuery],
) -> dict[str, object]:
    user = _reader(request)
    return paginate(
        services.sources_with_health(company_id=user.company_id), paging.page, paging.page_size
    )


@router.post("/sources", response={201: MetricSourceSecretOut, **WRITE_ERRORS})
def source_create(request: HttpRequest, payload: MetricSourceIn) -> Status[MetricSource]:
    user = admin(request)
    source = services.source_create(company=user.company, actor=user, **payload.dict())
    return Status(201, source)


@router.get("/sources/{source_id}", response={200: MetricSourceOut, **ERRORS})
def source_get(request: HttpRequest, source_id: int) -> MetricSource:
    return _source(request, source_id, read_only=True)


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
    source = _source(request, source_id, read_only=True)
    return paginate(SourceRun.objects.filter(source=source), paging.page, paging.page_size)


# --- File imports into a source ---------------------------------------------------------


def importable_source_of(request: HttpRequest, source_id: int) -> MetricSource:
    source = _source(request, source_id)
    if source.kind not in IMPORTABLE_KINDS:
        message = _("该类型的数据源不能导入文件。")
        raise ServiceError(message, code="source_not_importable", fields={"source": [message]})
    return source


def _source_batch(
    request: HttpRequest, source_id: int, batch_id: int
) -> tuple[MetricSource, ImportBatch]:
    source = importable_source_of(request, source_id)
    batch = import_selectors.batch_for_viewer(viewer=request.user, pk=batch_id)
    if batch.importer != MetricEventImporter.name or batch.options.get("source") != source.pk:
        raise Http404
    return source, batch


def source_enabled_check(source: MetricSource) -> None:
    if not source.enabled:
        raise ServiceError(_("数据源已停用。"), code="source_disabled", status=409)


class MetricImportPreviewIn(Schema):
    mapping: dict[str, str] | None = Field(
        None, description="{column header: field name}; omitted: the batch's current mapping."
    )
    mode: Literal["all_or_nothing", "valid_rows_only"] | None = None


def _batch_status(batch: ImportBatch) -> Status[dict[str, Any]]:
    batch.refresh_from_db()
    status = 202 if batch.status == ImportBatch.Status.COMMITTING else 200
    return Status(status, _batch_detail_out(batch))


@router.post(
    "/sources/{source_id}/import",
    response={200: BatchDetailOut, 202: BatchDetailOut, 413: ErrorOut, **WRITE_ERRORS},
    summary="Import a CSV/XLSX of metric events into a source (dry run by default)",
)
def source_import(
    request: HttpRequest,
    source_id: int,
    file: File[UploadedFile | None] = None,
    mapping: Form[str] = "",
    mode: Form[Literal["all_or_nothing", "valid_rows_only"]] = "all_or_nothing",
    dry_run: Form[bool] = True,
) -> Status[dict[str, Any]]:
    """Upload a file into a file, ERP or CRM source. ``mapping`` is a JSON object
    {column header: field name}; omitted, the source's last mapping is reused when the
    file has its columns, else the headers are recognised. The mapping of a successful
    dry run is remembered for the source. With ``dry_run`` nothing is written: the
    batch comes back with row-and-column errors and can be committed later."""
    source = importable_source_of(request, source_id)
    source_enabled_check(source)
    if file is None:  # checked here, after the source: another company's id stays a 404
        message = _("请选择要上传的文件。")
        raise ServiceError(message, code="file_missing", fields={"file": [message]})
    user: Any = request.user
    batch = import_services.batch_upload(
        company=user.company,
        actor=user,
        importer_name=MetricEventImporter.name,
        file_name=file.name or "upload",
        data=file.read(),
        options={"source": source.pk},
    )
    chosen = _json_object(mapping, "mapping")
    columns = {str(k): str(v or "") for k, v in chosen.items()} if chosen else batch.mapping
    import_services.batch_preview(batch=batch, actor=user, mapping=columns, mode=mode)
    if not dry_run:
        batch = import_services.batch_commit(batch=batch, actor=user)
    return _batch_status(batch)


@router.get(
    "/sources/{source_id}/imports",
    response={200: Page[BatchOut], **ERRORS},
    summary="File imports into a source, newest first",
)
def source_import_list(
    request: HttpRequest, source_id: int, paging: Query[PageQuery]
) -> dict[str, Any]:
    source = importable_source_of(request, source_id)
    batches = import_selectors.batches_for_viewer(
        request.user, importer_name=MetricEventImporter.name
    ).filter(options__source=source.pk)
    page = paginate(batches, paging.page, paging.page_size)
    page["items"] = [_batch_out(batch) for batch in page["items"]]
    return page


@router.get(
    "/sources/{source_id}/imports/{batch_id}",
    response={200: BatchDetailOut, **ERRORS},
    summary="One file import of a source: its dry run or outcome",
)
def source_import_get(request: HttpRequest, source_id: int, batch_id: int) -> dict[str, Any]:
    return _batch_detail_out(_source_batch(request, source_id, batch_id)[1])


@router.post(
    "/sources/{source_id}/imports/{batch_id}/preview",
    response={200: BatchDetailOut, **WRITE_ERRORS},
    summary="Dry-run a file import again with another mapping or mode",
)
def source_import_preview(
    request: HttpRequest, source_id: int, batch_id: int, payload: MetricImportPreviewIn
) -> Status[dict[str, Any]]:
    _source_found, batch = _source_batch(request, source_id, batch_id)
    import_services.batch_preview(
        batch=batch,
        actor=request.user,  # type: ignore[arg-type]
        mapping=payload.mapping if payload.mapping is not None else batch.mapping,
        mode=payload.mode or batch.mode,
    )
    return _batch_status(batch)


@router.post(
    "/sources/{source_id}/imports/{batch_id}/commit",
    response={200: BatchDetailOut, 202: BatchDetailOut, **WRITE_ERRORS},
    summary="Commit a dry-run file import (large files in the background: 202)",
)
def source_import_commit(
    request: HttpRequest, source_id: int, batch_id: int
) -> Status[dict[str, Any]]:
    """All or nothing, or the valid rows only, as chosen in the dry run; the rows are
    checked again against today's data first."""
    source, batch = _source_batch(request, source_id, batch_id)
    source_enabled_check(source)
    batch = import_services.batch_commit(batch=batch, actor=request.user)  # type: ignore[arg-type]
    return _batch_status(batch)


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
            company=source.company,
            source=source,
            items=parsed.items,
            actor=None,
            run=run,
            refresh_inline_subjects=PUSH_INLINE_SUBJECTS,
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
        "values_current": outcome.values_current,
        "items": results,
    }
