"""REST endpoints: import an employee file (preview or commit), list batches, export.

Importing is for HR admins (403 for other roles, 404 for another company's batches);
exporting needs ``org.export_employees`` and returns the viewer's employees only.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from jixiao.core.api_errors import ERRORS, ErrorOut, ServiceError
from jixiao.core.pagination import Page, PageQuery, paginate
from jixiao.imports import selectors, services
from jixiao.imports.models import ImportBatch
from jixiao.org.exports import employee_export
from jixiao.org.selectors import EmployeeFilters

router = Router(tags=["imports"])


class IssueOut(Schema):
    row: int = Field(description="Row number as shown in the spreadsheet (header row counts).")
    column: str = Field(description="The column header the problem is in.")
    message: str
    level: Literal["error", "warning"]
    field: str = ""


class OutcomeOut(Schema):
    row: int
    action: Literal["create", "update", "unchanged", "error"]
    key: str
    label: str
    changes: dict[str, list[str]] = Field(description="{column: [old, new]}")


class BatchOut(Schema):
    id: int
    importer: str
    file_name: str
    file_size: int
    status: str
    mode: str
    row_count: int
    created_count: int
    updated_count: int
    unchanged_count: int
    error_row_count: int
    warning_count: int
    message: str
    progress_done: int
    progress_total: int
    created_by: str | None
    created_at: dt.datetime
    committed_at: dt.datetime | None


class BatchDetailOut(BatchOut):
    headers: list[str]
    mapping: dict[str, str]
    options: dict[str, Any] = Field(
        description="Tick boxes (true/false) and settings fixed at upload, e.g. the target source id."
    )
    issues: list[IssueOut]
    outcomes: list[OutcomeOut]
    error_report_url: str | None


def _batch_out(batch: ImportBatch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "importer": batch.importer,
        "file_name": batch.file_name,
        "file_size": batch.file_size,
        "status": batch.status,
        "mode": batch.mode,
        "row_count": batch.row_count,
        "created_count": batch.created_count,
        "updated_count": batch.updated_count,
        "unchanged_count": batch.unchanged_count,
        "error_row_count": batch.error_row_count,
        "warning_count": batch.warning_count,
        "message": batch.message,
        "progress_done": batch.progress_done,
        "progress_total": batch.progress_total,
        "created_by": str(batch.created_by) if batch.created_by else None,
        "created_at": batch.created_at,
        "committed_at": batch.committed_at,
    }


def _batch_detail_out(batch: ImportBatch) -> dict[str, Any]:
    has_errors = any(issue.get("level") == "error" for issue in batch.errors)
    return {
        **_batch_out(batch),
        "headers": batch.headers,
        "mapping": batch.mapping,
        "options": batch.options,
        "issues": batch.errors,
        "outcomes": batch.preview.get("outcomes", []),
        "error_report_url": reverse("imports:error_report", args=[batch.pk])
        if has_errors
        else None,
    }


def _json_object(text: str, field: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        message = _("必须是 JSON 对象。")
        raise ServiceError(message, fields={field: [message]}) from exc
    if not isinstance(value, dict):
        message = _("必须是 JSON 对象。")
        raise ServiceError(message, fields={field: [message]})
    return value


@router.post(
    "/employees",
    response={200: BatchDetailOut, 202: BatchDetailOut, 413: ErrorOut, 409: ErrorOut, **ERRORS},
    summary="Import employees from a CSV/XLSX file (dry run by default)",
)
def employees_import(
    request: HttpRequest,
    file: File[UploadedFile],
    mapping: Form[str] = "",
    mode: Form[Literal["all_or_nothing", "valid_rows_only"]] = "all_or_nothing",
    dry_run: Form[bool] = True,
    options: Form[str] = "",
) -> Status:
    """Upload a roster. ``mapping`` is a JSON object {column header: field name}
    (omitted: the saved or guessed mapping); ``options`` e.g. {"create_departments": true}.
    With ``dry_run`` the preview comes back and nothing is written; otherwise the file is
    committed (files over 2,000 rows in the background: 202, poll the batch)."""
    selectors.require_import(request.user, "employees")
    user: Any = request.user
    data = file.read()
    batch = services.batch_upload(
        company=user.company,
        actor=user,
        importer_name="employees",
        file_name=file.name or "upload",
        data=data,
    )
    chosen = _json_object(mapping, "mapping")
    columns = {str(k): str(v or "") for k, v in chosen.items()} if chosen else batch.mapping
    services.batch_preview(
        batch=batch,
        actor=user,
        mapping=columns,
        mode=mode,
        options=_json_object(options, "options"),
    )
    if not dry_run:
        batch = services.batch_commit(batch=batch, actor=user)
    batch.refresh_from_db()
    status = 202 if batch.status == ImportBatch.Status.COMMITTING else 200
    return Status(status, _batch_detail_out(batch))


@router.get("/batches", response={200: Page[BatchOut], **ERRORS}, summary="Import batches")
def batch_list(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    selectors.require_import(request.user)
    page = paginate(selectors.batches_for_viewer(request.user), paging.page, paging.page_size)
    page["items"] = [_batch_out(b) for b in page["items"]]
    return page


@router.get("/batches/{batch_id}", response={200: BatchDetailOut, **ERRORS}, summary="One batch")
def batch_get(request: HttpRequest, batch_id: int) -> dict[str, Any]:
    return _batch_detail_out(selectors.batch_for_viewer(viewer=request.user, pk=batch_id))


class ExportQuery(Schema):
    format: Literal["csv", "xlsx"] = "csv"
    q: str = ""
    department: int | None = Field(None, ge=1, le=2**63 - 1)
    include_subdepartments: bool = True
    status: list[Literal["probation", "active", "on_leave", "left"]] = Field(default_factory=list)
    job_family: str = ""
    employment_type: str = ""
    working_hour_system: str = ""
    tag: int | None = Field(None, ge=1, le=2**63 - 1)
    custom_field: str = ""
    custom_value: str = ""
    hired_from: dt.date | None = None
    hired_to: dt.date | None = None


@router.get(
    "/employees/export",
    response={200: None, **ERRORS},
    summary="Export the employees you may see as CSV or XLSX",
)
def employees_export(request: HttpRequest, query: Query[ExportQuery]) -> HttpResponse:
    user: Any = request.user
    if user.company_id is None or not user.has_perm("org.export_employees"):
        raise PermissionDenied
    filters = EmployeeFilters(
        q=query.q,
        department=query.department,
        include_subdepartments=query.include_subdepartments,
        status=list(query.status),
        job_family=query.job_family,
        employment_type=query.employment_type,
        working_hour_system=query.working_hour_system,
        tag=query.tag,
        custom_field=query.custom_field,
        custom_value=query.custom_value,
        hired_from=query.hired_from,
        hired_to=query.hired_to,
    )
    export = employee_export(viewer=user, file_format=query.format, filters=filters)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = _attachment(export.file_name)
    return response


def _attachment(file_name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"employees.{file_name.rsplit('.', 1)[-1]}\"; filename*=UTF-8''{quote(file_name)}"
