"""Background commit of large imports (more than ``services.INLINE_MAX_ROWS`` rows)."""

from __future__ import annotations

from django_scopes import scope, scopes_disabled
from huey.contrib.djhuey import db_task

from jixiao.imports import services
from jixiao.imports.models import ImportBatch


@db_task()
def import_batch_commit(batch_id: int) -> str:
    """Commit one batch inside its company's scope; a finished batch is left alone."""
    with scopes_disabled():
        batch = ImportBatch.objects.select_related("company").get(pk=batch_id)
    with scope(company=batch.company):
        return services.batch_commit_run(batch_id=batch_id).status
