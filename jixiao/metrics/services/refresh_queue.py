"""Value refreshes owed after big batches, done together: ``refresh_owe`` and ``refresh_drain``.

A pushed batch of a thousand events touches about a thousand people. Refreshing them
batch by batch re-reads each period's events once per batch; a drain that takes every
refresh owed so far reads them once for all batches that came in meanwhile. The owed
keys are rows of ``PendingRefresh``, written in the batch's own transaction (nothing
is lost when a worker stops) and claimed by one ``DELETE … RETURNING`` (two drains never
take the same row; a failed refresh rolls its claim back).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection
from django_scopes import scopes_disabled

from jixiao.core.models import Company
from jixiao.metrics.models import PendingRefresh
from jixiao.metrics.services.aggregation import TouchedKey, metric_values_refresh

SLOT_SECONDS = 15 * 60
"""Event times are kept to the quarter hour: every time zone's offset is a multiple of
it, so the slot's local day is the event's."""
WRITE_CHUNK = 500


def _column(name: str) -> str:
    return connection.ops.quote_name(str(PendingRefresh._meta.get_field(name).column))  # type: ignore[union-attr]


def refresh_owe(company: Company, touched: Iterable[TouchedKey]) -> int:
    """Record the refreshes the touched keys need (repeats fold); returns the new rows."""
    slots = {
        (
            key.employee_id or 0,
            key.department_id or 0,
            key.indicator_id,
            int(key.occurred_at.timestamp()) // SLOT_SECONDS * SLOT_SECONDS,
        )
        for key in touched
    }
    if not slots:
        return 0
    ops = connection.ops
    table = ops.quote_name(PendingRefresh._meta.db_table)
    names = ", ".join(
        _column(n) for n in ("company", "employee_id", "department_id", "indicator_id", "at")
    )
    key = ", ".join(
        _column(n) for n in ("company", "employee_id", "department_id", "indicator_id", "at")
    )
    rows = [
        (company.pk, employee_id, department_id, indicator_id,
         ops.adapt_datetimefield_value(dt.datetime.fromtimestamp(slot, dt.UTC)))
        for employee_id, department_id, indicator_id, slot in sorted(slots)
    ]  # fmt: skip
    added = 0
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_CHUNK):
            chunk = rows[start : start + WRITE_CHUNK]
            marks = ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk))
            # Only model column names go into the text; every value is a parameter.
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {marks} "  # noqa: S608
                f"ON CONFLICT ({key}) DO NOTHING",
                [value for row in chunk for value in row],
            )
            added += max(cursor.rowcount, 0)
    return added


def refresh_drain(company: Company) -> int:
    """Claim every refresh the company is owed and do them in one go; returns how many
    values were written. The caller holds the transaction."""
    table = connection.ops.quote_name(PendingRefresh._meta.db_table)
    columns = ", ".join(_column(n) for n in ("employee_id", "department_id", "indicator_id", "at"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {_column('company')} = %s RETURNING {columns}",  # noqa: S608
            [company.pk],
        )
        claimed = cursor.fetchall()
    touched = [
        TouchedKey(employee_id or None, department_id or None, indicator_id, _instant(at))
        for employee_id, department_id, indicator_id, at in claimed
    ]
    return metric_values_refresh(company=company, touched=touched)


def _instant(value: dt.datetime | str) -> dt.datetime:
    """A UTC instant as the database hands it back (SQLite: text without a zone)."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def companies_owed() -> list[int]:
    """Companies with refreshes waiting (the periodic drain's safety net)."""
    with scopes_disabled():
        return sorted(
            set(PendingRefresh.objects.all().values_list("company_id", flat=True).distinct())
        )
