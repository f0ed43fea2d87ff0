"""How a device import writes: rows streamed while the file is read (``RowWriter``:
``COPY`` on PostgreSQL, ``INSERT … FROM json_each`` on SQLite) with ``ON CONFLICT DO
NOTHING`` against the unique source id, the duplicate and clock-skew flags set
afterwards, and the employee check that stands in for the foreign-key constraints
Punch no longer has in the database.

Every test runs on both databases (``DATABASE_URL`` selects PostgreSQL); the
concurrent re-import needs two connections to one server and runs on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, connection, connections, transaction
from django_scopes import scope, scopes_disabled

from jixiao.attendance.models import Punch
from jixiao.attendance.services import punch_import
from jixiao.core.api_errors import ServiceError
from jixiao.org.models import Employee
from tests.conftest import World
from tests.imports.helpers import csv_bytes

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 3, 2, 0, tzinfo=dt.UTC)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def in_a(world: World) -> Iterator[World]:
    with time_machine.travel(NOW, tick=False), scope(company=world.company):
        yield world


def _bulk(world: World, data: bytes, mode: str = "all_or_nothing") -> Any:
    return punch_import.punch_bulk_import(
        company=world.company, file=io.BytesIO(data), actor=world.hr, mode=mode, recompute=False
    )


def _local(at: dt.datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


RECORD_HEADERS = ["工号", "打卡时间", "设备", "记录编号"]


def test_record_ids_already_stored_are_skipped_and_new_ones_stored(in_a: World) -> None:
    first = csv_bytes(
        [
            ["A004", "2026-11-02 08:57:13", "ZK-1", "R-1"],
            ["A005", "2026-11-02 09:01:00", "ZK-1", "R-2"],
        ],
        headers=RECORD_HEADERS,
    )
    assert _bulk(in_a, first).created == 2
    # R-1 again (another time: a record id is the device's own, wherever it falls),
    # R-2 again at its time, R-3 new: only R-3 is stored.
    second = csv_bytes(
        [
            ["A004", "2026-11-01 07:00:00", "ZK-1", "R-1"],
            ["A005", "2026-11-02 09:01:00", "ZK-1", "R-2"],
            ["A006", "2026-11-02 09:05:00", "ZK-1", "R-3"],
        ],
        headers=RECORD_HEADERS,
    )
    result = _bulk(in_a, second)
    assert (result.created, result.already_stored) == (1, 2)
    assert sorted(Punch.objects.values_list("source_id", flat=True)) == ["R-1", "R-2", "R-3"]
    stored = Punch.objects.get(source_id="R-1")
    assert _local(stored.at) == "2026-11-02 08:57:13"  # the first import's row stays


def test_a_record_id_repeated_in_the_file_is_stored_once(in_a: World) -> None:
    data = csv_bytes(
        [
            ["A004", "2026-11-02 08:57:13", "ZK-1", "R-9"],
            ["A005", "2026-11-02 09:00:00", "ZK-1", "R-9"],
            ["A006", "2026-11-02 09:00:00", "ZK-1", "R-10"],
        ],
        headers=RECORD_HEADERS,
    )
    result = _bulk(in_a, data)
    assert (result.rows, result.created, result.already_stored) == (3, 2, 1)
    assert Punch.objects.filter(source_id="R-9").count() == 1


def test_the_same_press_twice_is_stored_once_per_device(in_a: World) -> None:
    """Default source ids "employee|instant|device": the same second on two devices is
    two punches, the same second twice on one device one (even with the other between)."""
    data = csv_bytes(
        [
            ["A004", "2026-11-02 08:57:13", "ZK-1"],
            ["A004", "2026-11-02 08:57:13", "ZK-2"],
            ["A004", "2026-11-02 08:57:13", "ZK-1"],
            ["A004", "2026-11-02 08:57:14", "ZK-1"],
        ],
        headers=["工号", "打卡时间", "设备"],
    )
    result = _bulk(in_a, data)
    assert (result.created, result.already_stored) == (3, 1)
    punches = list(Punch.objects.order_by("at", "device_id"))
    assert [(p.device_id, p.flags) for p in punches] == [
        ("ZK-1", []),
        ("ZK-2", ["duplicate"]),
        ("ZK-1", ["duplicate"]),
    ]
    employee_id = in_a.employee.employee.pk
    epoch = int(dt.datetime(2026, 11, 2, 0, 57, 13, tzinfo=dt.UTC).timestamp())
    assert punches[0].source_id == f"{employee_id:09d}|{epoch}|ZK-1"


def test_values_with_tabs_backslashes_and_line_breaks_arrive_unchanged(in_a: World) -> None:
    device = "门禁\\东\t2"
    record = 'R\\1\n"x"\r'
    data = csv_bytes(
        [
            ["A004", "2026-11-02 08:57:13", device, record],
            ["A005", "2026-11-02 09:00:00", device, ""],
        ],
        headers=RECORD_HEADERS,
    )
    assert _bulk(in_a, data).created == 2
    by_employee = {p.employee_id: p for p in Punch.objects.all()}
    mine = by_employee[in_a.employee.employee.pk]
    assert (mine.device_id, mine.source_id) == (device.strip(), record.strip())
    theirs = by_employee[in_a.teammate.employee.pk]
    assert theirs.device_id == device and theirs.source_id.endswith("|" + device)
    again = _bulk(in_a, data)
    assert (again.created, again.already_stored) == (0, 2)


def test_a_voided_punch_keeps_its_source_id(in_a: World) -> None:
    data = csv_bytes(
        [["A004", "2026-11-02 08:57:13", "ZK-1"]], headers=["工号", "打卡时间", "设备"]
    )
    _bulk(in_a, data)
    Punch.objects.update(voided=True)
    result = _bulk(in_a, data)
    assert (result.created, result.already_stored) == (0, 1)
    assert Punch.objects.count() == 1


def test_a_reimport_with_new_rows_flags_them_against_the_stored_ones(in_a: World) -> None:
    first = csv_bytes(
        [["A004", "2026-11-02 08:57:13", "ZK-1"]], headers=["工号", "打卡时间", "设备"]
    )
    _bulk(in_a, first)
    second = csv_bytes(
        [["A004", "2026-11-02 08:57:13", "ZK-1"], ["A004", "2026-11-02 08:57:50", "ZK-1"]],
        headers=["工号", "打卡时间", "设备"],
    )
    result = _bulk(in_a, second)
    assert (result.created, result.already_stored) == (1, 1)
    assert [p.flags for p in Punch.objects.order_by("at")] == [[], ["duplicate"]]


def test_a_row_stored_by_another_writer_first_is_no_error(in_a: World) -> None:
    """Rows are written with ``ON CONFLICT DO NOTHING`` against the unique source id:
    a row another import stored first stays, the others are written."""
    data = csv_bytes(
        [["A004", "2026-11-02 08:57:13", "ZK-1"], ["A005", "2026-11-02 09:00:00", "ZK-1"]],
        headers=["工号", "打卡时间", "设备"],
    )
    _bulk(
        in_a,
        csv_bytes([["A004", "2026-11-02 08:57:13", "ZK-1"]], headers=["工号", "打卡时间", "设备"]),
    )
    result = _bulk(in_a, data)
    assert (result.created, result.already_stored) == (1, 1)
    assert Punch.objects.count() == 2


def test_rows_for_an_employee_who_is_gone_stop_the_import(in_a: World) -> None:
    """Punch has no database foreign key: the import checks (and on PostgreSQL locks)
    the employees it writes for, in one query inside its transaction."""
    with scopes_disabled():
        other_company = Employee.objects.get(employee_number="B001").pk
    epoch = int(NOW.timestamp()) - 3600
    with pytest.raises(ServiceError) as caught, transaction.atomic():
        punch_import.punches_insert(
            company=in_a.company,
            rows=[(in_a.employee.employee.pk, epoch, 2, "", ""), (other_company, epoch, 3, "", "")],
            skewed_devices=set(),
            actor=in_a.hr,
        )
    assert caught.value.code == "employee_gone"
    assert not Punch.objects.exists()


def test_the_unique_source_id_still_holds_in_the_database(in_a: World) -> None:
    employee = in_a.employee.employee
    values = {"company": in_a.company, "employee": employee, "source": "api", "source_id": "X-1"}
    Punch.objects.create(at=NOW, **values)
    with pytest.raises(IntegrityError), transaction.atomic():
        Punch.objects.create(at=NOW - dt.timedelta(hours=1), **values)
    # Byte order, not a locale's: "x-1" is another id.
    Punch.objects.create(at=NOW, **dict(values, source_id="x-1"))
    assert Punch.objects.filter(source_id="X-1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_one_file_at_the_same_time_store_it_once(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two connections writing at once: PostgreSQL (SQLite has one writer)")
    rows = [
        [number, f"2026-11-02 {8 + minute // 60:02d}:{minute % 60:02d}:00", f"ZK-{minute % 3}"]
        for minute in range(0, 240, 2)
        for number in ("A004", "A005", "A006")
    ]
    data = csv_bytes(rows, headers=["工号", "打卡时间", "设备"])
    start = threading.Barrier(2)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with time_machine.travel(NOW, tick=False), scope(company=world.company):
                start.wait(timeout=30)
                results.append(_bulk(world, data))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sorted(r.created for r in results) == [0, len(rows)]
    assert all(r.committed for r in results)
    with scopes_disabled():
        assert Punch.objects.filter(company=world.company).count() == len(rows)


def test_a_big_import_refreshes_the_tables_statistics(
    in_a: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: stale statistics after a million new rows would send the next reads
    (the daily results, the next import's span query) down a scan of all of them."""
    monkeypatch.setattr(punch_import, "ANALYZE_AFTER", 2)
    rows = [["A004", f"2026-11-02 08:{minute:02d}:00"] for minute in range(0, 60, 5)]
    assert _bulk(in_a, csv_bytes(rows, headers=["工号", "打卡时间"])).created == len(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE relname = %s", [Punch._meta.db_table]
            )
            assert cursor.fetchone()[0] == len(rows)


def test_flags_follow_time_not_file_order(in_a: World) -> None:
    """Rows come sorted by employee (each device "jumps back" at every new person) and
    out of order within a day: they are sorted, no device is called skewed, and of two
    presses within a minute the later is the duplicate, whatever the file order."""
    data = csv_bytes(
        [
            ["A004", "2026-11-02 18:05:00", "ZK-1"],
            ["A004", "2026-11-02 08:57:40", "ZK-1"],
            ["A004", "2026-11-02 08:57:13", "ZK-2"],
            ["A005", "2026-11-02 08:30:00", "ZK-1"],
            ["A005", "2026-11-02 08:31:01", "ZK-1"],
        ],
        headers=["工号", "打卡时间", "设备"],
    )
    assert _bulk(in_a, data).created == 5
    rows = [
        (p.employee_id == in_a.employee.employee.pk, _local(p.at), p.flags)
        for p in Punch.objects.order_by("employee_id", "at")
    ]
    assert rows == [
        (True, "2026-11-02 08:57:13", []),
        (True, "2026-11-02 08:57:40", ["duplicate"]),
        (True, "2026-11-02 18:05:00", []),
        (False, "2026-11-02 08:30:00", []),
        (False, "2026-11-02 08:31:01", []),
    ]


def test_a_voided_stored_punch_makes_no_duplicate_and_a_skewed_device_gets_both_flags(
    in_a: World,
) -> None:
    _bulk(
        in_a,
        csv_bytes([["A004", "2026-11-02 08:57:13", "ZK-1"]], headers=["工号", "打卡时间", "设备"]),
    )
    Punch.objects.update(voided=True)
    ahead = (NOW + dt.timedelta(minutes=8)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    data = csv_bytes(
        [
            ["A004", "2026-11-02 08:57:30", "ZK-1"],
            ["A005", ahead, "ZK-9"],
            ["A005", "2026-11-02 09:00:00", "ZK-9"],
            ["A005", "2026-11-02 09:00:20", "ZK-9"],
        ],
        headers=["工号", "打卡时间", "设备"],
    )
    result = _bulk(in_a, data, mode="valid_rows_only")
    assert (result.created, result.error_rows) == (4, 0)
    flags = {(p.device_id, _local(p.at)): p.flags for p in Punch.objects.filter(voided=False)}
    assert flags == {
        ("ZK-1", "2026-11-02 08:57:30"): [],
        ("ZK-9", ahead): ["clock_skew"],
        ("ZK-9", "2026-11-02 09:00:00"): ["clock_skew"],
        ("ZK-9", "2026-11-02 09:00:20"): ["clock_skew", "duplicate"],
    }
