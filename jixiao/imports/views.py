"""The import wizard (upload → map columns → preview → commit → result) and the export.

Thin: forms parse, ``selectors`` check who may see a batch, ``services`` do the work.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from jixiao.core.api_errors import ServiceError
from jixiao.imports import selectors, services
from jixiao.imports.engine import Importer
from jixiao.imports.models import ImportBatch
from jixiao.org.exports import employee_export
from jixiao.org.forms import EmployeeFilterForm

EMPLOYEES = "employees"
ISSUES_SHOWN = 500


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("文件（.xlsx / .xls / .csv）"))


class MappingForm(forms.Form):
    """One select per file column, the importer's options, the mode, "save mapping as"."""

    mode = forms.ChoiceField(
        label=gettext_lazy("导入方式"),
        choices=ImportBatch.Mode.choices,
        widget=forms.RadioSelect,
        initial=ImportBatch.Mode.ALL_OR_NOTHING,
    )
    save_as = forms.CharField(
        label=gettext_lazy("将此映射保存为（可选）"), required=False, max_length=100
    )

    def __init__(self, *args: Any, batch: ImportBatch, importer: Importer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("（不导入）"))] + [(spec.name, spec.label) for spec in importer.fields()]
        self.columns: list[tuple[str, str]] = []
        for index, header in enumerate(batch.headers):
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header, choices=choices, required=False, initial=batch.mapping.get(header, "")
            )
            self.columns.append((name, header))
        ticks = [option for option in importer.option_specs() if option.tick_box]
        for option in ticks:
            self.fields[f"opt_{option.name}"] = forms.BooleanField(
                label=option.label,
                required=False,
                initial=batch.options.get(option.name, option.default),
            )
        self.fields["mode"].initial = batch.mode
        self.option_names = [o.name for o in ticks]

    def column_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _header in self.columns]

    def option_fields(self) -> list[forms.BoundField]:
        return [self[f"opt_{name}"] for name in self.option_names]

    def mapping(self) -> dict[str, str]:
        return {header: self.cleaned_data.get(name) or "" for name, header in self.columns}

    def options(self) -> dict[str, bool]:
        return {name: bool(self.cleaned_data.get(f"opt_{name}")) for name in self.option_names}


def _importer(request: HttpRequest, batch: ImportBatch | None = None) -> Importer:
    user: Any = request.user
    return services.importer_for(
        batch.importer if batch else EMPLOYEES,
        company=user.company,
        actor=user,
        options=batch.options if batch else None,
    )


@login_required
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file; also the export form and the recent batches."""
    selectors.require_import(request.user, EMPLOYEES)
    user: Any = request.user
    form = UploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = services.batch_upload(
                    company=user.company,
                    actor=user,
                    importer_name=EMPLOYEES,
                    file_name=upload.name,
                    data=upload.read(),
                )
            except ServiceError as exc:
                form.add_error("file", exc.message)
            else:
                return redirect("imports:batch_map", pk=batch.pk)
        status = 422
    context = {
        "form": form,
        "batches": selectors.batches_for_viewer(user)[:20],
        "filter_form": EmployeeFilterForm(None, viewer=user),
        "max_mb": settings.IMPORT_MAX_UPLOAD_BYTES / 1048576,
    }
    return render(request, "imports/start.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def batch_map(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: map the file's columns to fields, choose mode and options, preview."""
    batch = selectors.batch_for_viewer(viewer=request.user, pk=pk)
    if batch.status in (ImportBatch.Status.COMMITTING, ImportBatch.Status.COMMITTED):
        return redirect("imports:batch_result", pk=batch.pk)
    importer = _importer(request, batch)
    form = MappingForm(request.POST or None, batch=batch, importer=importer)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            user: Any = request.user
            try:
                services.batch_preview(
                    batch=batch,
                    actor=user,
                    mapping=form.mapping(),
                    mode=form.cleaned_data["mode"],
                    options=form.options(),
                )
                if form.cleaned_data["save_as"].strip():
                    saved = services.mapping_save(
                        company=user.company,
                        actor=user,
                        importer_name=batch.importer,
                        name=form.cleaned_data["save_as"],
                        columns=form.mapping(),
                    )
                    messages.success(request, _("列映射已保存为“%(n)s”。") % {"n": saved.name})
            except ServiceError as exc:
                for message in exc.fields.get("mapping", []) or [exc.message]:
                    form.add_error(None, message)
            else:
                return redirect("imports:batch_preview", pk=batch.pk)
        status = 422
    _mapping, suggested = services.mapping_suggest(
        company=batch.company, importer=importer, headers=batch.headers
    )
    context = {
        "batch": batch,
        "form": form,
        "saved_mapping": suggested,
        "samples": _samples(batch, importer),
    }
    return render(request, "imports/map.html", context, status=status)


def _samples(batch: ImportBatch, importer: Importer) -> dict[str, str]:
    """The first data row's value per column, to help the mapping."""
    table = services.batch_table(batch, importer)
    if not table.rows:
        return {}
    _number, cells = table.rows[0]
    return {h: "" if c is None else str(c) for h, c in zip(table.headers, cells, strict=False)}


@login_required
@require_http_methods(["GET", "POST"])
def batch_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 3: what would be created / updated / unchanged, errors and warnings; commit."""
    batch = selectors.batch_for_viewer(viewer=request.user, pk=pk)
    if batch.status == ImportBatch.Status.UPLOADED:
        return redirect("imports:batch_map", pk=batch.pk)
    if request.method == "POST":
        try:
            batch = services.batch_commit(batch=batch, actor=request.user)  # type: ignore[arg-type]
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("imports:batch_result", pk=batch.pk)
    issues = batch.errors[:ISSUES_SHOWN]
    context = {
        "batch": batch,
        "errors": [i for i in issues if i["level"] == "error"],
        "warnings": [i for i in issues if i["level"] == "warning"],
        "outcomes": batch.preview.get("outcomes", []),
        "outcomes_total": batch.preview.get("outcomes_total", 0),
        "issues_total": batch.preview.get("issues_total", 0),
        "can_commit": batch.status == ImportBatch.Status.PREVIEWED
        and (batch.error_row_count == 0 or batch.mode == ImportBatch.Mode.VALID_ROWS_ONLY),
    }
    return render(request, "imports/preview.html", context)


@login_required
def batch_result(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 4: the outcome, or the progress of a background commit (polled by htmx)."""
    batch = selectors.batch_for_viewer(viewer=request.user, pk=pk)
    context = {
        "batch": batch,
        "errors": [i for i in batch.errors[:ISSUES_SHOWN] if i["level"] == "error"],
        "percent": int(100 * batch.progress_done / batch.progress_total)
        if batch.progress_total
        else 0,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "imports/_progress.html", context)
    return render(request, "imports/result.html", context)


@login_required
def error_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The failing rows as an XLSX with an extra "错误" column."""
    batch = selectors.batch_for_viewer(viewer=request.user, pk=pk)
    content = services.error_report(batch=batch)
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = _("导入错误-%(id)d.xlsx") % {"id": batch.pk}
    response["Content-Disposition"] = (
        f"attachment; filename=\"import-errors-{batch.pk}.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response


@login_required
def employee_export_view(request: HttpRequest) -> HttpResponse:
    """Download the employees the viewer may see: ?format=csv|xlsx plus the list's filters."""
    user: Any = request.user
    if user.company_id is None or not user.has_perm("org.export_employees"):
        raise PermissionDenied
    file_format = request.GET.get("format", "xlsx")
    if file_format not in ("csv", "xlsx"):
        file_format = "xlsx"
    form = EmployeeFilterForm(request.GET or None, viewer=user)
    export = employee_export(
        viewer=user, file_format=file_format, filters=form.filters(), sort=form.sort_value()
    )
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="employees.{file_format}"; '
        f"filename*=UTF-8''{quote(export.file_name)}"
    )
    return response
