"""Many requests writing audit events at once still produce one unbroken chain.

8 threads × 25 ``audit_record`` calls on the same company, each thread with its own
database connection, all starting together on a company that has no chain head
yet (so the head's creation races too). Afterwards the sequences must be exactly
1..200 and the chain must verify.

On PostgreSQL the head row's ``SELECT … FOR UPDATE`` serialises the writers. On
SQLite the ``IMMEDIATE`` transactions plus the busy timeout do; the in-memory test
database cannot be shared by writing threads (shared-cache table locks fail at
once instead of waiting), so that variant copies it to a file database first —
the set-up Jixiao runs in production.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from django.db import connection, connections
from django_scopes import scopes_disabled

from jixiao.audit.models import AuditEvent
from jixiao.audit.selectors import VerifyResult, audit_chain_verify
from jixiao.audit.services import audit_record
from jixiao.core.models import Company
from tests.factories import CompanyFactory

THREADS = 8
PER_THREAD = 25

T = TypeVar("T")


def _in_own_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` on a fresh thread (so a fresh connection) and return its result."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def _hammer(company_id: int) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with scopes_disabled():
                company = Company.objects.get(pk=company_id)
            barrier.wait()
            for i in range(PER_THREAD):
                audit_record(
                    company=company,
                    actor=None,
                    action="attendance.punch.record",
                    object_type="attendance.punch",
                    object_id=f"{n}-{i}",
                    object_repr=f"李哥 打卡 {n}-{i}",
                    changes={"at": [None, f"2026-11-23T23:{i:02d}:00+08:00"]},
                    reason="并发写入",
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _chain_state(company_id: int) -> tuple[list[int], set[str], VerifyResult]:
    with scopes_disabled():
        company = Company.objects.get(pk=company_id)
        events = AuditEvent.objects.filter(company=company).order_by("sequence")
        sequences = list(events.values_list("sequence", flat=True))
        ids = set(events.values_list("object_id", flat=True))
    return sequences, ids, audit_chain_verify(company)


def _assert_one_unbroken_chain(company_id: int) -> None:
    errors = _hammer(company_id)
    assert errors == []
    sequences, ids, result = _in_own_thread(lambda: _chain_state(company_id))
    total = THREADS * PER_THREAD
    assert sequences == list(range(1, total + 1))
    assert len(ids) == total
    assert result.ok, result.breaks
    assert result.checked == total
    assert result.head_sequence == total


@pytest.fixture
def sqlite_file_database(tmp_path: Path) -> Iterator[Path]:
    """Copy the in-memory test database to a file; connections opened meanwhile use the file.

    The handler hands every new connection the same settings dict, so changing its
    NAME redirects other threads; this thread's open in-memory connection is untouched.
    """
    path = tmp_path / "audit-concurrency.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)  # type: ignore[union-attr]
    target.close()
    settings_dict = connections.settings["default"]
    original = settings_dict["NAME"]
    settings_dict["NAME"] = str(path)
    try:
        yield path
    finally:
        settings_dict["NAME"] = original


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain_on_postgresql() -> None:
    company = CompanyFactory(name="星海外贸", slug="xinghai")
    _assert_one_unbroken_chain(company.pk)


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain_on_sqlite(request: pytest.FixtureRequest) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant; PostgreSQL has its own test")
    company = CompanyFactory(name="星海外贸", slug="xinghai")
    request.getfixturevalue("sqlite_file_database")
    _assert_one_unbroken_chain(company.pk)
