"""Small database helpers shared by the bulk writers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import Model

#: Rows SQLite's ANALYZE reads per index (``PRAGMA analysis_limit``; 0 = all). A sample
#: taken in index order sees only the first days of a month and misjudges the
#: (company, date) index; a full pass over 300,000 day rows takes about 0.2 s.
SQLITE_ANALYSIS_LIMIT = 0


def statistics_refresh(model: type[Model]) -> None:
    """Fresh planner statistics for ``model``'s table after a bulk write.

    Without them SQLite weighs a (company, date) range as well as an (employee, date)
    one and may scan a whole company's day for one person; PostgreSQL's autovacuum
    would get there only later. Counts the calling transaction's rows. On PostgreSQL a
    role that does not own the table gets a warning, not an error.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        cursor.execute(f"ANALYZE {table}")


#: SQLite's page cache during a bulk write (``PRAGMA cache_size``, KiB). The default
#: 2 MB cannot hold the indexes a month of day rows or a million punches go into,
#: so each row's index update would spill pages and read them back.
BULK_CACHE_KIB = 512 * 1024


@contextmanager
def bulk_write_cache() -> Iterator[None]:
    """A large SQLite page cache for the length of a bulk write (nothing elsewhere)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {before}")
