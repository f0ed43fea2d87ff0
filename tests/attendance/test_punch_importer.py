"""Device exports: the import wizard's punch importer and the bulk path for big files.

星海外贸's ZKTeco device at the Shanghai office exports CSV (GB18030 on a Chinese
Windows PC) or XLSX; HR maps the columns, previews, and imports all rows or only
the valid ones.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django_scopes import scope, scopes_disabled
from openpyxl import Workbook

from jixiao.attendance.models import Punch
from jixiao.attendance.services import punch_import
from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.imports import services as import_services
from jixiao.imports.models import ImportMapping
from jixiao.org.models import Employee
from tests.conftest import World
from tests.factories import WorkLocationFactory
from tests.imports.helpers import csv_bytes, xlsx_bytes, xlsx_rows

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 3, 2, 0, tzinfo=dt.UTC)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def in_a(world: World) -> Iterator[World]:
    with time_machine.travel(NOW, tick=False), scope(company=world.company):
        yield world


def _preview(world: World, data: bytes, name: str, mode: str = "all_or_nothing") -> Any:
    batch = import_services.batch_upload(
        company=world.company,
        actor=world.hr,
        importer_name="attendance_punches",
        file_name=name,
        data=data,
    )
    import_services.batch_preview(batch=batch, actor=world.hr, mapping=batch.mapping, mode=mode)
    batch.refresh_from_db()
    return batch


def _commit(world: World, batch: Any) -> Any:
    return import_services.batch_commit(batch=batch, actor=world.hr)


def _local(at: dt.datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


# --- Times ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date_cell", "time_cell", "expected"),
    [
        (None, "2026-11-02 08:57:13", dt.datetime(2026, 11, 2, 8, 57, 13)),
        (None, "2026/11/2 8:57", dt.datetime(2026, 11, 2, 8, 57)),
        (None, "2026年11月2日 8:57:05", dt.datetime(2026, 11, 2, 8, 57, 5)),
        (None, "11/2/2026 5:57 PM", dt.datetime(2026, 11, 2, 17, 57)),
        ("2026/11/2", "8:57:13", dt.datetime(2026, 11, 2, 8, 57, 13)),
        (dt.date(2026, 11, 2), dt.time(8, 57), dt.datetime(2026, 11, 2, 8, 57)),
        (None, dt.datetime(2026, 11, 2, 8, 57), dt.datetime(2026, 11, 2, 8, 57)),
        (None, 46328.375, dt.datetime(2026, 11, 2, 9, 0)),
    ],
)
def test_local_time_reads_what_devices_write(
    date_cell: Any, time_cell: Any, expected: dt.datetime
) -> None:
    assert punch_import.local_time(date_cell, time_cell) == expected


@pytest.mark.parametrize("text", ["", "8:57", "2026-13-02 08:00", "2026-11-02 25:00", "昨天"])
def test_local_time_refuses_what_is_not_a_time(text: str) -> None:
    with pytest.raises(punch_import.BadTime):
        punch_import.local_time(None, text)


def test_zone_clock_caches_offsets_and_handles_daylight_saving() -> None:
    clock = punch_import.ZoneClock()
    berlin = "Europe/Berlin"
    # 2026-03-29: clocks go forward at 02:00 in Berlin (UTC+1 → UTC+2).
    before = clock.epoch(dt.datetime(2026, 3, 29, 1, 30), berlin)
    after = clock.epoch(dt.datetime(2026, 3, 29, 3, 30), berlin)
    assert after - before == 3600
    assert clock.epoch(dt.datetime(2026, 11, 2, 8, 0), "Asia/Shanghai") == int(
        dt.datetime(2026, 11, 2, 0, 0, tzinfo=dt.UTC).timestamp()
    )
    assert clock.epoch(dt.datetime(2026, 7, 1, 9, 0), berlin) == int(
        dt.datetime(2026, 7, 1, 7, 0, tzinfo=dt.UTC).timestamp()
    )


# --- The import wizard -----------------------------------------------------------------------


def test_csv_import_maps_employee_numbers_and_local_times(in_a: World) -> None:
    data = csv_bytes(
        [["A004", "王姐", "2026-11-02 08:57:13"], ["A005", "李哥", "2026/11/2 9:03"]],
        headers=["工号", "姓名", "打卡时间"],
    )
    batch = _preview(in_a, data, "device.csv")
    assert batch.mapping == {"工号": "employee_number", "姓名": "name", "打卡时间": "time"}
    assert batch.created_count == 2 and batch.error_row_count == 0
    assert not Punch.objects.exists()  # the preview writes nothing
    batch = _commit(in_a, batch)
    assert batch.status == "committed" and batch.created_count == 2
    stored = {p.employee.employee_number: _local(p.at) for p in Punch.objects.all()}
    assert stored == {"A004": "2026-11-02 08:57:13", "A005": "2026-11-02 09:03:00"}
    assert set(Punch.objects.values_list("source", flat=True)) == {"device"}
    assert AuditEvent.objects.filter(action="attendance.punch.import").count() == 1


def test_zkteco_xlsx_with_date_and_time_columns_and_device(in_a: World) -> None:
    data = xlsx_bytes(
        [
            ["A004", "王姐", "2026/11/2", "8:57:13", "ZK-1"],
            ["A004", "王姐", "2026/11/2", "18:05:00", "ZK-1"],
        ],
        headers=["AC-No.", "Name", "Date", "Time", "Machine"],
    )
    batch = _preview(in_a, data, "zk.xlsx")
    assert batch.mapping == {
        "AC-No.": "employee_number",
        "Name": "name",
        "Date": "date",
        "Time": "time",
        "Machine": "device_id",
    }
    batch = _commit(in_a, batch)
    assert batch.created_count == 2
    assert sorted(_local(at) for at in Punch.objects.values_list("at", flat=True)) == [
        "2026-11-02 08:57:13",
        "2026-11-02 18:05:00",
    ]
    assert set(Punch.objects.values_list("device_id", flat=True)) == {"ZK-1"}


def test_zkteco_single_time_column_in_gb18030(in_a: World) -> None:
    data = csv_bytes(
        [["A004", "王姐", "2026/11/2 8:57"], ["A006", "赵工", "2026/11/2 9:10"]],
        headers=["AC-No.", "Name", "Time"],
        encoding="gb18030",
    )
    batch = _commit(in_a, _preview(in_a, data, "zk.csv"))
    assert batch.created_count == 2
    assert Punch.objects.filter(employee__name="赵工").count() == 1


def test_time_zone_is_the_work_locations_unless_a_column_says_otherwise(in_a: World) -> None:
    berlin = WorkLocationFactory(company=in_a.company, name="杜塞尔多夫", time_zone="Europe/Berlin")
    Employee.objects.filter(employee_number="A005").update(work_location=berlin)
    data = csv_bytes(
        [
            ["A005", "2026-11-02 09:00:00", ""],
            ["A004", "2026-11-02 09:00:00", ""],
            ["A004", "2026-11-02 17:00:00", "Europe/Berlin"],
        ],
        headers=["工号", "打卡时间", "时区"],
    )
    _commit(in_a, _preview(in_a, data, "tz.csv"))
    stored = sorted(
        (p.employee.employee_number, p.at.astimezone(dt.UTC).strftime("%H:%M"))
        for p in Punch.objects.all()
    )
    assert stored == [("A004", "01:00"), ("A004", "16:00"), ("A005", "08:00")]


def test_every_error_is_reported_at_its_row_and_column(in_a: World) -> None:
    data = csv_bytes(
        [
            ["A004", "2026-11-02 08:57:13", ""],
            ["A999", "2026-11-02 08:57:13", ""],
            ["A004", "tomorrow", ""],
            ["A004", "2026-11-09 08:00:00", ""],
            ["A004", "2026-11-02 09:00:00", "Mars/Olympus"],
        ],
        headers=["工号", "打卡时间", "时区"],
    )
    batch = _preview(in_a, data, "errors.csv")
    errors = [(i["row"], i["column"], i["message"]) for i in batch.errors if i["level"] == "error"]
    assert [(row, column) for row, column, _m in errors] == [
        (3, "工号"),
        (4, "打卡时间"),
        (5, "打卡时间"),
        (6, "时区"),
    ]
    assert "A999" in errors[0][2]
    assert "无法识别" in errors[1][2]
    assert "未来" in errors[2][2]
    assert batch.error_row_count == 4 and batch.created_count == 1


def test_all_or_nothing_stores_nothing_when_a_row_fails(in_a: World) -> None:
    data = csv_bytes(
        [["A004", "2026-11-02 08:57:13"], ["A999", "2026-11-02 08:57:13"]],
        headers=["工号", "打卡时间"],
    )
    batch = _commit(in_a, _preview(in_a, data, "a.csv", mode="all_or_nothing"))
    assert batch.status == "failed"
    assert not Punch.objects.exists()


def test_valid_rows_only_stores_the_good_rows_and_reports_the_rest(in_a: World) -> None:
    data = csv_bytes(
        [["A004", "2026-11-02 08:57:13"], ["A999", "2026-11-02 08:57:13"]],
        headers=["工号", "打卡时间"],
    )
    batch = _commit(in_a, _preview(in_a, data, "v.csv", mode="valid_rows_only"))
    assert batch.status == "committed" and batch.created_count == 1
    assert Punch.objects.count() == 1
    report = xlsx_rows(import_services.error_report(batch=batch))
    assert report[1][0] == 3 and report[1][1] == "A999"
    assert "A999" in report[1][-1]


def test_importing_the_same_file_twice_stores_nothing_new(in_a: World) -> None:
    data = csv_bytes(
        [["A004", "2026-11-02 08:57:13", "ZK-1"]], headers=["工号", "打卡时间", "设备"]
    )
    _commit(in_a, _preview(in_a, data, "once.csv"))
    again = _preview(in_a, data, "twice.csv")
    assert again.created_count == 0 and again.unchanged_count == 1
    again = _commit(in_a, again)
    assert again.created_count == 0 and again.unchanged_count == 1
    assert Punch.objects.count() == 1


def test_a_saved_mapping_is_offered_for_the_next_file(in_a: World) -> None:
    import_services.mapping_save(
        company=in_a.company,
        actor=in_a.hr,
        importer_name="attendance_punches",
        name="前台考勤机",
        columns={"编号X": "employee_number", "刷卡": "time"},
    )
    data = csv_bytes([["A004", "2026-11-02 08:57:13"]], headers=["编号X", "刷卡"])
    batch = _preview(in_a, data, "custom.csv")
    assert batch.mapping == {"编号X": "employee_number", "刷卡": "time"}
    assert ImportMapping.objects.filter(importer="attendance_punches").count() == 1
    assert _commit(in_a, batch).created_count == 1


def test_near_duplicates_in_a_file_are_kept_and_flagged(in_a: World) -> None:
    data = csv_bytes(
        [["A004", "2026-11-02 08:57:40"], ["A004", "2026-11-02 08:57:13"]],
        headers=["工号", "打卡时间"],
    )
    _commit(in_a, _preview(in_a, data, "dup.csv"))
    flags = [p.flags for p in Punch.objects.order_by("at")]
    assert flags == [[], ["duplicate"]]


# --- The bulk path ---------------------------------------------------------------------------


def _bulk(world: World, data: bytes, name: str = "big.csv", mode: str = "all_or_nothing") -> Any:
    return punch_import.punch_bulk_import(
        company=world.company, file=io.BytesIO(data), actor=world.hr, mode=mode, file_name=name
    )


def test_bulk_import_is_atomic_when_asked(in_a: World) -> None:
    data = csv_bytes(
        [["A004", "2026-11-02 08:57:13"], ["A999", "2026-11-02 09:00:00"]],
        headers=["工号", "打卡时间"],
    )
    result = _bulk(in_a, data)
    assert not result.committed and result.created == 0 and result.error_rows == 1
    assert [(i.row, i.column) for i in result.issues] == [(3, "工号")]
    assert not Punch.objects.exists()
    result = _bulk(in_a, data, mode="valid_rows_only")
    assert result.committed and result.created == 1
    report = xlsx_rows(punch_import.error_report_xlsx(result))
    assert report[1][:2] == [3, "工号"]


def test_bulk_import_reads_zkteco_xlsx_with_a_title_row_in_any_order(in_a: World) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["考勤记录表 2026-11"])
    sheet.append(["AC-No.", "Name", "Date", "Time", "SN"])
    sheet.append(["A004", "王姐", "2026/11/2", "18:05:00", "ZK-1"])
    sheet.append(["A004", "王姐", "2026/11/2", "08:57:13", "ZK-1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = _bulk(in_a, buffer.getvalue(), name="zk.xlsx")
    assert result.created == 2 and result.error_rows == 0
    assert [_local(p.at) for p in Punch.objects.order_by("at")] == [
        "2026-11-02 08:57:13",
        "2026-11-02 18:05:00",
    ]
    again = _bulk(in_a, buffer.getvalue(), name="zk.xlsx")
    assert again.created == 0 and again.already_stored == 2


def test_bulk_import_flags_a_device_clock_that_runs_ahead(in_a: World) -> None:
    ahead = (NOW + dt.timedelta(minutes=7)).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    data = csv_bytes(
        [
            ["A004", "2026-11-02 08:57:13", "ZK-1"],
            ["A005", ahead, "ZK-1"],
            ["A006", "2026-11-02 08:57:13", "ZK-2"],
        ],
        headers=["工号", "打卡时间", "设备"],
    )
    _bulk(in_a, data)
    flags = dict(Punch.objects.values_list("employee__employee_number", "flags"))
    assert flags == {"A004": ["clock_skew"], "A005": ["clock_skew"], "A006": []}


def test_bulk_import_without_the_needed_columns_is_refused(in_a: World) -> None:
    data = csv_bytes([["王姐", "2026-11-02 08:57:13"]], headers=["姓名", "打卡时间"])
    with pytest.raises(ServiceError) as caught:
        _bulk(in_a, data)
    assert "工号" in caught.value.message


def test_bulk_import_recomputes_the_daily_results(in_a: World) -> None:
    from jixiao.attendance.models import DailyAttendance

    data = csv_bytes(
        [["A004", "2026-11-02 08:57:13"], ["A004", "2026-11-02 18:01:00"]],
        headers=["工号", "打卡时间"],
    )
    _bulk(in_a, data)
    with scopes_disabled():
        day = DailyAttendance.objects.filter(
            employee__employee_number="A004", date=dt.date(2026, 11, 2)
        ).first()
    assert day is not None
    assert day.first_punch is not None
    assert _local(day.first_punch).startswith("2026-11-02 08:57")  # the engine counts minutes


def test_rows_of_a_locked_month_are_errors(in_a: World) -> None:
    from jixiao.attendance.models import AttendanceMonth

    AttendanceMonth.objects.create(
        company=in_a.company, year=2026, month=10, status=AttendanceMonth.Status.LOCKED
    )
    data = csv_bytes(
        [["A004", "2026-10-31 08:57:13"], ["A004", "2026-11-01 08:57:13"]],
        headers=["工号", "打卡时间"],
    )
    result = _bulk(in_a, data, mode="valid_rows_only")
    assert [(i.row, i.column) for i in result.issues] == [(2, "打卡时间")]
    assert "锁定" in result.issues[0].message
    assert result.created == 1


def test_the_benchmark_imports_its_file_and_reimports_nothing(db: None) -> None:
    from bench import bench_punch_import

    figures = bench_punch_import.run(punches=600, employees=30, seed=3)
    assert figures["error_rows"] == 0
    assert figures["stored"] == figures["created"] > 590  # a few same-second presses merge
    assert figures["reimport_created"] == 0
    assert figures["rows_per_s"] > 0 and figures["rows_per_cpu_s"] > 0
