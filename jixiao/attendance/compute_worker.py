"""Worker-process side of a parallel attendance compute (see ``services.results._run``).

Workers are started by a ``forkserver`` (a fresh interpreter, never a fork of a
process holding database connections, which SQLite and PostgreSQL both forbid),
so this module imports nothing from Django at import time: ``init`` sets Django
up, then unpickles the job (it holds model instances) and keeps it for ``chunk``.
"""

from __future__ import annotations

import gc
import pickle
from typing import Any

_JOB: Any = None


def init(job: bytes) -> None:
    global _JOB
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    _JOB = pickle.loads(job)  # noqa: S301 - bytes pickled by the parent process itself
    gc.freeze()  # the job lives as long as the worker: keep it out of collections


def chunk(employee_ids: list[int]) -> Any:
    from django_scopes import scope

    from jixiao.attendance.services.results import _chunk_output

    context, dates, now, month = _JOB
    gc.disable()
    try:
        with scope(company=context.company):
            return _chunk_output(context, employee_ids, dates, now, month)
    finally:
        gc.enable()
