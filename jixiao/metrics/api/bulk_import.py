"""``POST /api/v1/metrics/sources/{source_id}/bulk-import``: a file of metric events of any size.

The wizard's endpoints (``/sources/{source_id}/import`` and its batches) preview and
commit files within the import framework's row limit; this one streams a file of any
size into the source at once (``metric_events_bulk_import``), with the same checks and
messages at (row, column).
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile

from jixiao.core.api_errors import ServiceError
from jixiao.imports.api import _json_object
from jixiao.metrics.api.common import WRITE_ERRORS
from jixiao.metrics.api.sources import importable_source_of, source_enabled_check
from jixiao.metrics.services.bulk_import import metric_events_bulk_import

router = Router(tags=["metrics"])
MAX_ISSUES_SHOWN = 1000


class MetricBulkImportOut(Schema):
    rows: int
    created: int
    unchanged: int
    unmatched: int
    corrected: int
    error_rows: int
    committed: bool
    seconds: float
    run_id: int | None
    values_current: bool
    mapping: dict[str, str]
    issues: list[dict[str, Any]]


@router.post(
    "/sources/{source_id}/bulk-import",
    response={200: MetricBulkImportOut, **WRITE_ERRORS},
    summary="Import a CSV/XLSX of metric events of any size into a source at once",
)
def source_bulk_import(
    request: HttpRequest,
    source_id: int,
    file: File[UploadedFile | None] = None,
    mapping: Form[str] = "",
    mode: Form[Literal["all_or_nothing", "valid_rows_only"]] = "all_or_nothing",
) -> dict[str, Any]:
    """Stream a file into a file, ERP or CRM source in one transaction. ``mapping`` is a
    JSON object {column header: field name}; omitted, the source's last mapping is used,
    else the headers are recognised. ``all_or_nothing``: any row error stores nothing
    (``committed`` false, the errors in ``issues``); ``valid_rows_only``: the good rows
    are stored. ``values_current`` false: the values and the jump/near-duplicate flags
    are being updated by a task."""
    source = importable_source_of(request, source_id)
    source_enabled_check(source)
    if file is None:  # checked after the source: another company's id stays a 404
        message = _("请选择要上传的文件。")
        raise ServiceError(message, code="file_missing", fields={"file": [message]})
    chosen = _json_object(mapping, "mapping")
    user: Any = request.user
    result = metric_events_bulk_import(
        company=user.company,
        file=file.read(),
        actor=user,
        mode=mode,
        file_name=file.name or "events.csv",
        source=source,
        mapping={str(k): str(v or "") for k, v in chosen.items()} if chosen else None,
    )
    data = result.as_dict()
    data["issues"] = data["issues"][:MAX_ISSUES_SHOWN]
    return data
