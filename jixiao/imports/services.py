"""Every write of the import framework: upload, save a mapping, preview, commit.

The permission to import is checked by the caller (views, API). A commit runs inline
for small files and as a Huey task for large ones (``INLINE_MAX_ROWS``); either way
the importer writes inside one transaction, so a failure leaves the data untouched.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.core.xlsx import safe_sheet
from jixiao.imports.engine import (
    Importer,
    ImportPlan,
    Table,
    importer_class,
    mapping_errors,
    run_plan,
    suggest_mapping,
    table_from_sheet,
)
from jixiao.imports.models import ImportBatch, ImportMapping
from jixiao.imports.readers import FileRejected, read_file

logger = logging.getLogger(__name__)

INLINE_MAX_ROWS = 2000
"""Files with more data rows than this are committed by a background task."""
PREVIEW_MAX_OUTCOMES = 1000
STORED_MAX_ISSUES = 5000


def importer_for(
    name: str, *, company: Company, actor: User | None, options: Mapping[str, Any] | None = None
) -> Importer:
    cls = importer_class(name)
    if cls is None:
        raise ServiceError(_("不支持的导入类型。"), code="not_found", status=404)
    return cls(company=company, actor=actor, options=options)


def batch_table(batch: ImportBatch, importer: Importer) -> Table:
    """The batch's stored file read again (it passed the checks at upload)."""
    sheet = read_file(
        file_name=batch.file_name, data=bytes(batch.content), max_bytes=len(batch.content) + 1
    )
    return table_from_sheet(sheet, importer.fields())


def mapping_suggest(
    *, company: Company, importer: Importer, headers: list[str]
) -> tuple[dict[str, str], ImportMapping | None]:
    """The mapping the importer remembers for its target when its columns are all in the
    file; else a saved mapping whose columns are (the one covering most columns, newest
    first); else the mapping guessed from the headers."""
    header_set = set(headers)
    field_names = {spec.name for spec in importer.fields()}
    remembered = {h: t for h, t in importer.mapping_remembered().items() if t in field_names}
    if remembered and set(remembered) <= header_set:
        return {h: remembered.get(h, "") for h in headers}, None
    best: ImportMapping | None = None
    best_score = 0
    for saved in ImportMapping.objects.filter(company=company, importer=importer.name):
        used = {h for h, target in saved.columns.items() if target}
        if not used or not used <= header_set:
            continue
        if len(used) > best_score:
            best, best_score = saved, len(used)
    if best is not None:
        mapping = {h: best.columns.get(h, "") for h in headers}
        mapping = {h: (t if t in field_names else "") for h, t in mapping.items()}
        return mapping, best
    return suggest_mapping(headers, importer.fields()), None


@transaction.atomic
def batch_upload(
    *,
    company: Company,
    actor: User | None,
    importer_name: str,
    file_name: str,
    data: bytes,
    options: Mapping[str, Any] | None = None,
) -> ImportBatch:
    """Store an uploaded file as a new batch after checking that it can be read.

    ``options`` fixes the importer's settings for this batch (e.g. its target source)."""
    importer = importer_for(importer_name, company=company, actor=actor, options=options)
    try:
        sheet = read_file(
            file_name=file_name, data=data, max_bytes=settings.IMPORT_MAX_UPLOAD_BYTES
        )
    except FileRejected as exc:
        status = 413 if exc.code == "too_large" else 422
        raise ServiceError(
            exc.message, code=exc.code, status=status, fields={"file": [exc.message]}
        ) from exc
    table = table_from_sheet(sheet, importer.fields())
    if not table.headers:
        message = _("文件中没有表头行。")
        raise ServiceError(message, code="empty", fields={"file": [message]})
    if not table.rows:
        message = _("文件只有表头，没有数据行。")
        raise ServiceError(message, code="empty", fields={"file": [message]})
    mapping, _saved = mapping_suggest(company=company, importer=importer, headers=table.headers)
    return ImportBatch.objects.create(
        company=company,
        importer=importer.name,
        file_name=file_name[:255],
        file_size=len(data),
        content=data,
        headers=table.headers,
        header_row=table.header_row,
        row_count=len(table.rows),
        mapping=mapping,
        options=importer.options,
        created_by=actor,
    )


@transaction.atomic
def mapping_save(
    *,
    company: Company,
    actor: User | None,
    importer_name: str,
    name: str,
    columns: Mapping[str, str],
) -> ImportMapping:
    """Save (or overwrite, by name) a column mapping for the next file of this layout."""
    name = name.strip()
    if not name:
        raise ServiceError(_("请填写映射名称。"), fields={"mapping_name": [_("请填写映射名称。")]})
    if len(name) > 100:
        raise ServiceError(
            _("映射名称不能超过 100 个字。"),
            fields={"mapping_name": [_("映射名称不能超过 100 个字。")]},
        )
    saved, _created = ImportMapping.objects.update_or_create(
        company=company,
        importer=importer_name,
        name=name,
        defaults={"columns": {h: t for h, t in columns.items() if t}, "created_by": actor},
    )
    return saved


def _mode(mode: str) -> str:
    if mode not in ImportBatch.Mode.values:
        raise ServiceError(_("导入方式无效。"), fields={"mode": [_("请选择导入方式。")]})
    return mode


def _store_plan(batch: ImportBatch, plan: ImportPlan) -> None:
    issues = plan.issues
    batch.created_count = plan.count("create")
    batch.updated_count = plan.count("update")
    batch.unchanged_count = plan.count("unchanged")
    batch.error_row_count = len(plan.error_rows)
    batch.warning_count = sum(1 for issue in issues if issue.level == "warning")
    batch.errors = [issue.as_dict() for issue in issues[:STORED_MAX_ISSUES]]
    shown = [o.as_dict() for o in plan.outcomes if o.action in ("create", "update")]
    batch.preview = {
        "outcomes": shown[:PREVIEW_MAX_OUTCOMES],
        "outcomes_total": len(shown),
        "issues_total": len(issues),
    }


@transaction.atomic
def batch_preview(
    *,
    batch: ImportBatch,
    actor: User | None,
    mapping: Mapping[str, str],
    mode: str = ImportBatch.Mode.ALL_OR_NOTHING,
    options: Mapping[str, Any] | None = None,
) -> ImportPlan:
    """The dry run: clean, validate and compare every row; nothing but the batch (and a
    mapping the importer remembers for its target) is written.

    ``options`` sets the tick boxes; the options fixed at upload stay as they were."""
    if batch.status in (ImportBatch.Status.COMMITTING, ImportBatch.Status.COMMITTED):
        raise ServiceError(_("该批次已经导入，不能再预览。"), code="batch_finished", status=409)
    importer = importer_for(
        batch.importer, company=batch.company, actor=actor, options=batch.options
    )
    if options is not None:
        ticks = {opt.name for opt in importer.option_specs() if opt.tick_box}
        chosen = {name: value for name, value in options.items() if name in ticks}
        importer.options = importer.options_clean({**batch.options, **chosen})
    full = {h: str(mapping.get(h) or "") for h in batch.headers}
    problems = mapping_errors(full, batch.headers, importer.fields())
    unknown = [h for h in mapping if h not in batch.headers]
    if unknown:
        problems.insert(0, _("文件中没有这些列：%(h)s。") % {"h": "、".join(unknown)})
    if problems:
        raise ServiceError(problems[0], code="bad_mapping", fields={"mapping": problems})
    plan = run_plan(importer, batch_table(batch, importer), full)
    importer.mapping_remember(full)
    batch.mapping = full
    batch.mode = _mode(mode)
    batch.options = importer.options
    batch.status = ImportBatch.Status.PREVIEWED
    batch.message = ""
    _store_plan(batch, plan)
    batch.save()
    return plan


def batch_commit(*, batch: ImportBatch, actor: User | None) -> ImportBatch:
    """Commit a previewed batch: inline when small, else queued (status "committing")."""
    if batch.status != ImportBatch.Status.PREVIEWED:
        raise ServiceError(
            _("请先预览再导入；已导入或正在导入的批次不能再次导入。"),
            code="not_previewed",
            status=409,
        )
    batch.status = ImportBatch.Status.COMMITTING
    batch.progress_done = 0
    batch.progress_total = batch.row_count
    batch.message = _("排队中…")
    batch.save(update_fields=["status", "progress_done", "progress_total", "message", "updated_at"])
    if batch.row_count > INLINE_MAX_ROWS:
        from jixiao.imports.tasks import import_batch_commit

        import_batch_commit(batch.pk)
    else:
        batch_commit_run(batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


def _progress(batch_id: int, message: str, done: int) -> None:
    ImportBatch.objects.filter(pk=batch_id).update(
        message=message, progress_done=done, updated_at=timezone.now()
    )


def batch_commit_run(*, batch_id: int) -> ImportBatch:
    """Validate again against today's data and write: all rows in one transaction.

    Not wrapped in ``transaction.atomic`` itself: the write is, and the batch is marked
    failed after that transaction rolled back. Safe to run twice (a finished batch is
    left alone).
    """
    batch = ImportBatch.objects.select_related("company", "created_by").get(pk=batch_id)
    if batch.status != ImportBatch.Status.COMMITTING:
        return batch
    actor = batch.created_by
    try:
        importer = importer_for(
            batch.importer, company=batch.company, actor=actor, options=batch.options
        )
    except ServiceError as exc:  # e.g. the target named at upload is gone
        batch.status = ImportBatch.Status.FAILED
        batch.message = (_("导入出错，没有写入任何数据：%(e)s") % {"e": exc.message})[:500]
        batch.save()
        return batch
    _progress(batch.pk, _("正在校验 %(n)d 行…") % {"n": batch.row_count}, 0)
    plan = run_plan(importer, batch_table(batch, importer), batch.mapping)
    _store_plan(batch, plan)
    errors = len(plan.error_rows)
    if errors and batch.mode == ImportBatch.Mode.ALL_OR_NOTHING:
        batch.status = ImportBatch.Status.FAILED
        batch.message = _("有 %(n)d 行存在错误；按“全部成功才导入”方式，没有写入任何数据。") % {
            "n": errors
        }
        batch.save()
        return batch
    _progress(batch.pk, _("正在写入…"), batch.row_count)
    reason = _("导入批次 #%(id)d：%(file)s") % {"id": batch.pk, "file": batch.file_name}
    try:
        with transaction.atomic():
            result = importer.commit(plan, reason=reason)
            batch.created_count = result.created
            batch.updated_count = result.updated
            batch.unchanged_count = result.unchanged
            batch.status = ImportBatch.Status.COMMITTED
            batch.committed_at = timezone.now()
            batch.progress_done = batch.row_count
            batch.message = _("已跳过 %(n)d 行有错误的行。") % {"n": errors} if errors else ""
            batch.save()
    except Exception as exc:
        logger.exception("import batch %s failed", batch.pk)
        batch.refresh_from_db()
        batch.status = ImportBatch.Status.FAILED
        batch.created_count = batch.updated_count = 0
        batch.message = (_("导入出错，已全部撤销，没有写入任何数据：%(e)s") % {"e": exc})[:500]
        batch.save()
    return batch


def error_report(*, batch: ImportBatch) -> bytes:
    """An XLSX of the failing rows as uploaded, plus their row number and errors."""
    from openpyxl import Workbook

    importer = importer_for(
        batch.importer, company=batch.company, actor=None, options=batch.options
    )
    table = batch_table(batch, importer)
    messages: dict[int, list[str]] = {}
    for issue in batch.errors:
        if issue.get("level") != "error":
            continue
        column = issue.get("column") or ""
        text = f"{column}：{issue['message']}" if column else str(issue["message"])
        messages.setdefault(int(issue["row"]), []).append(text)
    workbook = Workbook(write_only=True)
    sheet = safe_sheet(workbook.create_sheet(_("错误行")))
    sheet.append([_("原行号"), *table.headers, _("错误")])
    for number, cells in table.rows:
        if number in messages:
            sheet.append([number, *[_cell(c) for c in cells], "；".join(messages[number])])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, str | int | float) or value is None:
        return value
    return value if hasattr(value, "isoformat") else str(value)
