"""Streaming bulk inserts for the big imports (device punches, metric events).

``RowWriter`` takes rows while the caller is still reading its file and writes them
into one table of the current transaction, so that reading and writing use the
machine's two cores at once:

- **SQLite** runs in this process. Each chunk of rows goes, as one JSON array, to a
  writer thread that runs ``INSERT … SELECT … FROM json_each(?)`` on the same
  connection; SQLite releases the GIL while it works, so the caller's parsing goes on.
  (``executemany`` would bind each row's values holding the GIL; here the whole chunk
  is encoded at once by ``json.dumps`` in C and SQLite unpacks it by itself.)
- **PostgreSQL** does the work in its own process: the rows are streamed with
  ``COPY … FROM STDIN`` as they come. With ``conflict_do_nothing`` they are copied into
  a temporary table and moved with one ``INSERT … ON CONFLICT DO NOTHING`` at the end
  (in ``order_by`` order, if given).

``sort_chunks`` sorts each chunk's rows before they are written: rows in index order
cost the database much less than rows that land all over its indexes (a million
punches in day-by-day file order: 7.7 CPU-s on SQLite; in chunks of 250,000 sorted by
employee: 6.2; all sorted: 5.2), while the rows still go out as they come.

Values are ``int``, ``float``, ``str``, ``bool`` or ``None``; date-times as text made
by ``utc_text`` / ``datetime_text`` (what Django stores), JSON columns as JSON text,
decimals as ``str``. Constant columns (the company, who imported) are given once as
``constants`` and written as SQL literals.

Between ``__enter__`` and ``__exit__`` the caller must not use the database
connection: on SQLite the writer thread owns it. The caller holds the transaction
(``transaction.atomic``): nothing is committed here, and an error anywhere rolls
everything back with it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any

from django.db import connection

CHUNK = 20_000
"""Rows per SQLite statement (about 1 MB of JSON)."""
COPY_BATCH = 5_000
"""Rows per ``COPY`` write on PostgreSQL."""
_UNIX_ORDINAL = dt.date(1970, 1, 1).toordinal()
_CLOCK = [f" {s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in range(86400)]
_DAYS: dict[int, str] = {}
_STOP = object()


def utc_text(epoch: int) -> str:
    """Whole UTC epoch seconds as the current database stores a date-time."""
    day, seconds = divmod(epoch, 86400)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = dt.date.fromordinal(day + _UNIX_ORDINAL).isoformat()
    text = prefix + _CLOCK[seconds]
    return text + "+00" if connection.vendor == "postgresql" else text


def datetime_text(value: dt.datetime) -> str:
    """An aware date-time as the current database stores it (UTC, microseconds kept)."""
    utc = value.astimezone(dt.UTC).replace(tzinfo=None)
    text = utc.isoformat(sep=" ")
    return text + "+00" if connection.vendor == "postgresql" else text


def sql_literal(value: Any) -> str:
    """An SQL literal for a constant column: our own ints, bools, enum strings, None."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        if connection.vendor == "postgresql":
            return "true" if value else "false"
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text.replace("'", "''") + "'"


class BulkWriteError(RuntimeError):
    """The database refused a chunk (a constraint, a type); the caller rolls back."""


class RowWriter:
    """Insert rows into ``table`` as they come; ``inserted`` counts the stored rows.

    ``with RowWriter(table=…, columns=(…), constants={…}) as writer: writer.add(row)``.
    With ``conflict_do_nothing`` a row that breaks a unique constraint is skipped (the
    count then leaves it out), otherwise the whole write fails.
    """

    def __init__(
        self,
        *,
        table: str,
        columns: Sequence[str],
        constants: Mapping[str, Any] | None = None,
        conflict_do_nothing: bool = False,
        order_by: Sequence[str] = (),
        chunk: int = CHUNK,
        sort_chunks: bool = False,
        sort_key: Callable[[tuple[Any, ...]], Any] | None = None,
    ) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.constants = dict(constants or {})
        self.conflict_do_nothing = conflict_do_nothing
        self.order_by = tuple(order_by)
        self.chunk = chunk
        self.sort_chunks = sort_chunks
        self.sort_key = sort_key  # sorts each chunk by this key (rows may hold None)
        self.inserted = 0
        self.sent = 0
        self.writer_cpu_s = 0.0  # SQLite: the writer thread's CPU time
        self._rows: list[tuple[Any, ...]] = []
        self._postgresql = connection.vendor == "postgresql"
        self._thread: threading.Thread | None = None
        self._queue: queue.Queue[object] = queue.Queue(maxsize=2)
        self._failure: BaseException | None = None
        self._copy_context: Any = None
        self._copy: Any = None
        self._cursor: Any = None
        self._target = table

    # --- the caller's side ---------------------------------------------------------

    def __enter__(self) -> RowWriter:
        if not connection.in_atomic_block:
            raise RuntimeError("RowWriter needs the caller's transaction (transaction.atomic)")
        connection.ensure_connection()
        if self._postgresql:
            self._copy_open()
        else:
            self._thread = threading.Thread(
                target=self._sqlite_work,
                args=(connection.connection, self._sqlite_sql()),
                name=f"bulk-insert-{self.table}",
                daemon=True,
            )
            self._thread.start()
        return self

    def add(self, row: tuple[Any, ...]) -> None:
        rows = self._rows
        rows.append(row)
        if len(rows) >= self.chunk:
            self._flush()

    def extend(self, rows: Iterable[tuple[Any, ...]]) -> None:
        for row in rows:
            self.add(row)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self._flush()
            self._finish()
        else:
            self._abandon()

    # --- SQLite --------------------------------------------------------------------

    def _sqlite_sql(self) -> str:
        names = ", ".join((*self.columns, *self.constants))
        literals = "".join(", " + sql_literal(v) for v in self.constants.values())
        conflict = " WHERE true ON CONFLICT DO NOTHING" if self.conflict_do_nothing else ""
        picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(self.columns)))
        return (
            f"INSERT INTO {self.table} ({names}) SELECT {picks}{literals} "  # noqa: S608
            f"FROM json_each(?){conflict}"
        )

    def _sqlite_work(self, raw: Any, sql: str) -> None:
        cursor = raw.cursor()
        started = time.thread_time()
        try:
            while True:
                payload = self._queue.get()
                if payload is _STOP:
                    return
                if self._failure is not None:
                    continue  # drain: the caller learns of the failure at its next flush
                try:
                    cursor.execute(sql, (payload,))
                    self.inserted += max(cursor.rowcount, 0)
                except BaseException as exc:  # reported to the caller's thread
                    self._failure = exc
        finally:
            cursor.close()
            self.writer_cpu_s = time.thread_time() - started

    # --- PostgreSQL ----------------------------------------------------------------

    def _copy_open(self) -> None:
        self._cursor = connection.cursor()
        raw = self._cursor.cursor
        if self.conflict_do_nothing:
            self._target = "bulk_insert_rows"
            names = ", ".join(self.columns)
            raw.execute(f"DROP TABLE IF EXISTS {self._target}")
            raw.execute(
                f"CREATE TEMPORARY TABLE {self._target} ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {names} FROM {self.table} WITH NO DATA"
            )
            columns = self.columns
        else:
            columns = (*self.columns, *self.constants)
        self._copy_context = raw.copy(f"COPY {self._target} ({', '.join(columns)}) FROM STDIN")
        self._copy = self._copy_context.__enter__()

    def _copy_rows(self, rows: list[tuple[Any, ...]]) -> None:
        write_row = self._copy.write_row
        if self.conflict_do_nothing or not self.constants:
            for row in rows:
                write_row(row)
        else:
            extra = tuple(self.constants.values())
            for row in rows:
                write_row((*row, *extra))

    # --- both ----------------------------------------------------------------------

    def _flush(self) -> None:
        rows = self._rows
        if self._failure is not None:
            self._raise_failure()
        if not rows:
            return
        self.sent += len(rows)
        if self.sort_key is not None:
            rows.sort(key=self.sort_key)
        elif self.sort_chunks:
            rows.sort()
        if self._postgresql:
            self._copy_rows(rows)
        else:
            self._queue.put(json.dumps(rows, ensure_ascii=False, separators=(",", ":")))
        self._rows = []

    def _finish(self) -> None:
        if self._postgresql:
            try:
                self._copy_context.__exit__(None, None, None)
            except Exception as exc:
                self._cursor.close()
                raise BulkWriteError(str(exc)) from exc
            raw = self._cursor.cursor
            if self.conflict_do_nothing:
                names = ", ".join(self.columns)
                literals = "".join(", " + sql_literal(v) for v in self.constants.values())
                order = f" ORDER BY {', '.join(self.order_by)}" if self.order_by else ""
                raw.execute(
                    f"INSERT INTO {self.table} ({', '.join((*self.columns, *self.constants))}) "  # noqa: S608
                    f"SELECT {names}{literals} FROM {self._target}{order} ON CONFLICT DO NOTHING"
                )
                self.inserted = max(raw.rowcount, 0)
                raw.execute(f"DROP TABLE {self._target}")
            else:
                self.inserted = self.sent
            self._cursor.close()
            return
        assert self._thread is not None
        self._queue.put(_STOP)
        self._thread.join()
        if self._failure is not None:
            self._raise_failure()

    def _abandon(self) -> None:
        """The caller failed: stop writing; its transaction rolls back what was written."""
        self._rows = []
        if self._postgresql:
            if self._copy_context is not None:
                error = RuntimeError("bulk write abandoned")
                # The caller's own error is the one to report.
                with contextlib.suppress(Exception):
                    self._copy_context.__exit__(RuntimeError, error, None)
            if self._cursor is not None:
                self._cursor.close()
            return
        if self._thread is not None and self._thread.is_alive():
            self._failure = self._failure or RuntimeError("bulk write abandoned")
            self._queue.put(_STOP)
            self._thread.join()

    def _raise_failure(self) -> None:
        failure = self._failure
        assert failure is not None
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
        raise BulkWriteError(str(failure)) from failure
