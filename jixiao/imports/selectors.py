"""Reads of import batches and saved mappings, for a viewer who may import."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from jixiao.imports.engine import importer_class
from jixiao.imports.models import ImportBatch, ImportMapping

LIST_DEFER = ("content", "errors", "preview")


def require_import(viewer: Any, importer_name: str = "employees") -> None:
    """403 unless the viewer belongs to a company and holds the importer's permission."""
    cls = importer_class(importer_name)
    if cls is None:
        raise Http404
    if not viewer.is_authenticated or viewer.company_id is None:
        raise PermissionDenied
    if not viewer.has_perm(cls.permission):
        raise PermissionDenied


def batches_for_viewer(viewer: Any, *, importer_name: str = "") -> QuerySet[ImportBatch]:
    """The viewer company's batches, newest first, without their file contents."""
    if not viewer.is_authenticated or viewer.company_id is None:
        return ImportBatch.objects.none()
    qs = ImportBatch.objects.filter(company_id=viewer.company_id).defer(*LIST_DEFER)
    if importer_name:
        qs = qs.filter(importer=importer_name)
    return qs.select_related("created_by")


def batch_for_viewer(*, viewer: Any, pk: int) -> ImportBatch:
    """One batch: 404 when it is another company's (or missing), 403 without the right."""
    company_id = getattr(viewer, "company_id", None) if viewer.is_authenticated else None
    batch = (
        ImportBatch.objects.filter(pk=pk, company_id=company_id)
        .select_related("created_by")
        .first()
        if company_id is not None
        else None
    )
    if batch is None:
        if company_id is None and viewer.is_authenticated:
            raise PermissionDenied
        raise Http404
    require_import(viewer, batch.importer)
    return batch


def mappings_for_viewer(viewer: Any, *, importer_name: str) -> QuerySet[ImportMapping]:
    if not viewer.is_authenticated or viewer.company_id is None:
        return ImportMapping.objects.none()
    return ImportMapping.objects.filter(company_id=viewer.company_id, importer=importer_name)
