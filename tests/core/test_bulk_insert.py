"""RowWriter: rows streamed into a table of the caller's transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import transaction
from django_scopes import scopes_disabled

from jixiao.attendance.models import Punch
from jixiao.core.bulk_insert import BulkWriteError, RowWriter, datetime_text, utc_text
from tests.factories import CompanyFactory, EmployeeFactory

pytestmark = pytest.mark.django_db

COLUMNS = ("employee_id", "at", "source_id", "device_id", "flags", "latitude", "voided")


def _constants(company_id: int) -> dict[str, object]:
    return {
        "company_id": company_id,
        "source": Punch.Source.DEVICE,
        "note": "导入",
        "photo": "",
        "created_by_id": None,
        "created_at": utc_text(1_790_000_000),
    }


@pytest.fixture
def person() -> tuple[int, int]:
    with scopes_disabled():
        employee = EmployeeFactory(company=CompanyFactory())
    return employee.company_id, employee.pk


def _stored(company_id: int) -> list[Punch]:
    with scopes_disabled():
        return list(Punch.objects.filter(company_id=company_id).order_by("at", "source_id"))


def test_rows_of_every_kind_arrive_as_django_reads_them(person: tuple[int, int]) -> None:
    company_id, employee_id = person
    moment = dt.datetime(2026, 11, 2, 0, 57, 13, 250_000, tzinfo=dt.UTC)
    with (
        transaction.atomic(),
        RowWriter(
            table=Punch._meta.db_table, columns=COLUMNS, constants=_constants(company_id), chunk=2
        ) as writer,
    ):
        writer.add((employee_id, utc_text(1_793_581_200), "a", "ZK-1", "[]", None, False))
        writer.add(
            (employee_id, datetime_text(moment), "b", "门禁 'A'", json.dumps(["duplicate"]),
             "31.230416", True)
        )  # fmt: skip
        writer.extend(
            (employee_id, utc_text(1_793_581_200 + i), f"c{i}", "", "[]", None, False)
            for i in range(1, 4)
        )
    assert writer.inserted == 5
    assert writer.sent == 5
    punches = _stored(company_id)
    assert [p.source_id for p in punches] == ["b", "a", "c1", "c2", "c3"]
    first, second = punches[1], punches[0]
    assert first.at == dt.datetime.fromtimestamp(1_793_581_200, dt.UTC)
    assert first.flags == [] and first.voided is False and first.latitude is None
    assert first.note == "导入" and first.source == Punch.Source.DEVICE
    assert first.created_at == dt.datetime.fromtimestamp(1_790_000_000, dt.UTC)
    assert second.at == moment
    assert second.device_id == "门禁 'A'"
    assert second.flags == ["duplicate"] and second.voided is True
    assert second.latitude == Decimal("31.230416")


def test_repeats_are_skipped_and_not_counted_when_conflicts_are_allowed(
    person: tuple[int, int],
) -> None:
    company_id, employee_id = person
    row = (employee_id, utc_text(1_793_581_200), "same", "", "[]", None, False)
    with transaction.atomic():
        with RowWriter(
            table=Punch._meta.db_table, columns=COLUMNS, constants=_constants(company_id)
        ) as writer:
            writer.add(row)
        with RowWriter(
            table=Punch._meta.db_table,
            columns=COLUMNS,
            constants=_constants(company_id),
            conflict_do_nothing=True,
            chunk=1,
        ) as again:
            again.add(row)
            again.add((*row[:2], "other", *row[3:]))
    assert (writer.inserted, again.sent, again.inserted) == (1, 2, 1)
    assert [p.source_id for p in _stored(company_id)] == ["other", "same"]


def test_a_refused_chunk_fails_the_write_and_the_transaction_keeps_nothing(
    person: tuple[int, int],
) -> None:
    company_id, employee_id = person
    row = (employee_id, utc_text(1_793_581_200), "same", "", "[]", None, False)
    with (
        pytest.raises(BulkWriteError),
        transaction.atomic(),
        RowWriter(
            table=Punch._meta.db_table, columns=COLUMNS, constants=_constants(company_id), chunk=1
        ) as writer,
    ):
        for _ in range(5):  # the unique source id refuses the second
            writer.add(row)
    assert _stored(company_id) == []


def test_the_callers_error_stops_the_writer_and_rolls_back(person: tuple[int, int]) -> None:
    company_id, employee_id = person
    with (
        pytest.raises(ValueError, match="bad row"),
        transaction.atomic(),
        RowWriter(
            table=Punch._meta.db_table, columns=COLUMNS, constants=_constants(company_id), chunk=1
        ) as writer,
    ):
        writer.add((employee_id, utc_text(1_793_581_200), "x", "", "[]", None, False))
        raise ValueError("bad row")
    assert _stored(company_id) == []


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_run_outside_a_transaction() -> None:
    writer = RowWriter(table=Punch._meta.db_table, columns=COLUMNS, constants={})
    with pytest.raises(RuntimeError, match="transaction"):
        writer.__enter__()


def test_sorted_chunks_are_written_in_index_order(person: tuple[int, int]) -> None:
    """``sort_chunks``: each chunk goes out sorted (ids follow the sort within a chunk),
    while chunks keep their order."""
    company_id, employee_id = person
    times = [5, 1, 4, 2, 3]
    with (
        transaction.atomic(),
        RowWriter(
            table=Punch._meta.db_table,
            columns=COLUMNS,
            constants=_constants(company_id),
            chunk=3,
            sort_chunks=True,
        ) as writer,
    ):
        for minute in times:
            at = utc_text(1_793_581_200 + minute * 60)
            writer.add((employee_id, at, f"m{minute}", "", "[]", None, False))
    with scopes_disabled():
        by_id = list(
            Punch.objects.filter(company_id=company_id)
            .order_by("pk")
            .values_list("source_id", flat=True)
        )
    assert by_id == ["m1", "m4", "m5", "m2", "m3"]
