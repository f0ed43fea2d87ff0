"""Device exports (考勤机导出) to punches, fast: the import wizard and big files.

Both the ``attendance_punches`` importer of the import framework (files up to the
framework's row limit, with preview, saved mappings and the XLSX error report) and
``punch_bulk_import`` (a million rows and more, streamed) use this module:

- a row's local time is read from one date-time column, or a date column plus a time
  column (ZKTeco exports either "AC-No., Name, Time" or "…, Date, Time"), in the
  employee's work-location time zone unless a time-zone column says otherwise;
- local times become UTC with offsets cached per (zone, date): a date without a
  daylight-saving change (nearly all) costs one dictionary look-up;
- employee numbers map through one dictionary loaded with one query;
- rows are written while the file is still being read (``PunchWriter`` over
  ``jixiao.core.bulk_insert.RowWriter``: a writer thread running ``INSERT … FROM
  json_each`` per chunk on SQLite, ``COPY`` on PostgreSQL), with ``ON CONFLICT DO
  NOTHING`` against the unique source id: importing the same file twice stores
  nothing new, a repeat within the file is stored once, and a concurrent writer
  storing the same ids first is no error — without locking the table against the
  check-ins of the day. A file without a record-id column gets a deterministic
  source id "employee id (9 digits)|UTC epoch|device". Each row also leaves one
  packed int (employee, time, row number); sorted after the last row, they give the
  duplicate flags (set with a few UPDATEs) and each employee's span for the daily
  results;
- Punch has no database foreign keys (see the model): the import checks that its
  employees exist in the company with one query, which on PostgreSQL also locks
  them (``FOR KEY SHARE``) until the import commits.
- Flags as in ``punches``: ``duplicate`` (within 60 s of another punch of the same
  employee), ``clock_skew`` (a device more than 5 min ahead of the import time). A
  file's rows out of order are no sign of a wrong clock: exports come sorted by
  employee, so each device "jumps back" at every new person; they are sorted.
- One audit event per import (the count, the file, the mode), not one per punch.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import itertools
import json
import re
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jixiao.attendance.models import Punch
from jixiao.attendance.services.punches import (
    CLOCK_SKEW_AHEAD,
    DUPLICATE_WINDOW,
    FLAG_CLOCK_SKEW,
    FLAG_DUPLICATE,
    future_tolerance,
    locked_message,
    locked_month_set,
)
from jixiao.audit.services import audit_record
from jixiao.core.api_errors import ServiceError
from jixiao.core.bulk_insert import RowWriter, datetime_text
from jixiao.core.db import bulk_write_cache, statistics_refresh
from jixiao.core.models import Company, User
from jixiao.imports.engine import FieldSpec, Issue, header_key, header_lookup, header_row_find
from jixiao.imports.readers import FileRejected, file_rows
from jixiao.org.models import Employee

MODE_ALL_OR_NOTHING = "all_or_nothing"
MODE_VALID_ROWS_ONLY = "valid_rows_only"
MODES = (MODE_ALL_OR_NOTHING, MODE_VALID_ROWS_ONLY)
INSERT_CHUNK = 20_000
MAX_ISSUES = 5000
HEADER_SCAN_ROWS = 10
_UNIX_ORDINAL = dt.date(1970, 1, 1).toordinal()
_DUP = int(DUPLICATE_WINDOW.total_seconds())
_SKEW_AHEAD = int(CLOCK_SKEW_AHEAD.total_seconds())
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


_UNSET: Any = object()


def _clock_seconds(clock: str) -> int:
    """Seconds of the day of "8:57:13" or "08:57"; -1 when the text is no such time."""
    parts = clock.split(":")
    if not 2 <= len(parts) <= 3:
        return -1
    try:
        hour, minute = int(parts[0]), int(parts[1])
        second = int(parts[2]) if len(parts) == 3 else 0
    except ValueError:
        return -1
    if 0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60:
        return hour * 3600 + minute * 60 + second
    return -1


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def punch_fields() -> list[FieldSpec]:
    """The columns of a device export; header aliases cover Chinese tools and ZKTeco."""
    return [
        FieldSpec(
            "employee_number",
            str(gettext_lazy("工号")),
            (
                "工号", "员工编号", "员工号", "人员编号", "考勤号", "考勤号码", "登记号码",
                "AC-No.", "AC-No", "AC No", "ACNo", "Employee No", "Employee number",
                "User ID", "UserID", "Badge", "PIN",
            ),
            required=True,
            clean=_text,
        ),
        FieldSpec("name", str(gettext_lazy("姓名")), ("姓名", "Name", "员工姓名"), clean=_text),
        FieldSpec("date", str(gettext_lazy("日期")), ("日期", "打卡日期", "Date"), clean=lambda v: v),
        FieldSpec(
            "time",
            str(gettext_lazy("打卡时间")),
            (
                "打卡时间", "时间", "签到时间", "考勤时间", "刷卡时间", "日期时间", "Time",
                "DateTime", "Date/Time", "Date Time", "CheckTime", "Punch time", "Timestamp",
            ),
            required=True,
            clean=lambda v: v,
        ),
        FieldSpec(
            "device_id",
            str(gettext_lazy("设备")),
            ("设备", "设备号", "机器号", "考勤机", "Machine", "SN", "Device", "Terminal"),
            clean=_text,
        ),
        FieldSpec("time_zone", str(gettext_lazy("时区")), ("时区", "Time zone", "TZ"), clean=_text),
        FieldSpec(
            "source_id",
            str(gettext_lazy("记录编号")),
            ("记录编号", "流水号", "记录号", "Record ID", "RecordID", "LogID", "Log ID"),
            clean=_text,
        ),
    ]  # fmt: skip


# --- Local times ------------------------------------------------------------------------

_DATE_TIME = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?[\sT]*"
    r"(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2})(?:\.\d+)?)?\s*$"
)
_DATE_ONLY = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_US_DATE_TIME = re.compile(
    r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?\s*$"
)


class BadTime(ValueError):
    """A cell that is not a date and time."""


def _from_serial(value: float) -> dt.datetime:
    if not 1 <= value < 2958466:
        raise BadTime(value)
    return EXCEL_EPOCH + dt.timedelta(days=value)


def _date_part(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(float(value)).date().isoformat()
    return str(value).strip()


def _time_part(value: Any) -> str:
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        seconds = int(value.total_seconds())
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if isinstance(value, float) and 0 <= value < 1:
        seconds = round(value * 86400)
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if isinstance(value, dt.datetime):
        return value.time().isoformat()
    return str(value).strip()


def local_time(date_cell: Any, time_cell: Any) -> dt.datetime:
    """The local date-time of a row: "2026-11-02 08:57:13", "2026/11/2 8:57", an Excel
    date-time, or a date cell plus a time cell. May carry an offset ("…+08:00")."""
    if date_cell is None or date_cell == "":
        value = time_cell
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _from_serial(float(value))
        text = str(value).strip() if value is not None else ""
    else:
        text = _date_part(date_cell) + " " + _time_part(time_cell)
    if not text:
        raise BadTime(text)
    if len(text) >= 16 and text[4] == "-" and text[13] == ":":
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    match = _DATE_TIME.match(text)
    if match:
        y, mo, d, h, mi, s = match.groups()
        try:
            return dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
        except ValueError as exc:
            raise BadTime(text) from exc
    match = _US_DATE_TIME.match(text)
    if match:  # ZKTeco's default (US) export: M/D/YYYY h:mm[:ss] [AM|PM]
        mo, d, y, h, mi, s, half = match.groups()
        hour = int(h)
        if half:
            if not 1 <= hour <= 12:
                raise BadTime(text)
            hour = hour % 12 + (12 if half.lower() == "pm" else 0)
        try:
            return dt.datetime(int(y), int(mo), int(d), hour, int(mi), int(s or 0))
        except ValueError as exc:
            raise BadTime(text) from exc
    raise BadTime(text)


class ZoneClock:
    """Local → UTC epoch seconds, with the UTC offset cached per (zone, date)."""

    def __init__(self, locked_months: set[tuple[int, int]] | None = None) -> None:
        self._zones: dict[str, ZoneInfo | None] = {}
        self._offsets: dict[tuple[str, int], int | None] = {}
        self.locked_months = locked_months or set()

    def zone(self, name: str) -> ZoneInfo | None:
        try:
            return self._zones[name]
        except KeyError:
            try:
                found: ZoneInfo | None = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                found = None
            self._zones[name] = found
            return found

    def day_base(self, zone_name: str, date_text: str) -> int | None:
        """UTC epoch of local midnight of "2026-11-02"/"2026/11/2" in the zone, when the
        whole day has one UTC offset; None otherwise (bad date, daylight-saving change)."""
        match = _DATE_ONLY.match(date_text)
        if match is None:
            return None
        try:
            day = dt.date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
        if (day.year, day.month) in self.locked_months:
            return None  # the slow path reports the row
        ordinal = day.toordinal()
        try:
            base = self.epoch(dt.datetime.fromordinal(ordinal), zone_name)
        except ZoneInfoNotFoundError:
            return None
        return base if self._offsets.get((zone_name, ordinal)) is not None else None

    def epoch(self, local: dt.datetime, zone_name: str) -> int:
        if local.tzinfo is not None:
            return int(local.timestamp())
        ordinal = local.toordinal()
        key = (zone_name, ordinal)
        try:
            offset = self._offsets[key]
        except KeyError:
            zone = self.zone(zone_name)
            if zone is None:
                raise ZoneInfoNotFoundError(zone_name) from None
            day = dt.date.fromordinal(ordinal)
            start = dt.datetime(day.year, day.month, day.day, tzinfo=zone).utcoffset()
            following = day + dt.timedelta(days=1)
            end = dt.datetime(
                following.year, following.month, following.day, tzinfo=zone
            ).utcoffset()
            offset = int(start.total_seconds()) if start == end and start is not None else None
            self._offsets[key] = offset
        if offset is None:  # a daylight-saving change on this date: the full conversion
            zone = self.zone(zone_name)
            return int(local.replace(tzinfo=zone).timestamp())
        return (
            (ordinal - _UNIX_ORDINAL) * 86400
            + local.hour * 3600
            + local.minute * 60
            + local.second
            - offset
        )


# --- Converting rows -----------------------------------------------------------------


@dataclass
class Converted:
    """The valid rows as (employee_id, epoch, row number, device, source_id) and the issues."""

    rows: list[tuple[int, int, int, str, str]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
    skewed_devices: set[str] = field(default_factory=set)
    total: int = 0
    max_issues: int | None = MAX_ISSUES  # None: keep every issue (the import wizard's rows)

    def error(self, row: int, column: str, message: str, field_name: str) -> None:
        self.error_rows.add(row)
        if self.max_issues is None or len(self.issues) < self.max_issues:
            self.issues.append(Issue(row, column, message, "error", field_name))


class RowConverter:
    """Turns mapped cells into punch rows for one company; one instance per import."""

    def __init__(
        self, *, company: Company, now: dt.datetime | None = None, keep_all_issues: bool = False
    ) -> None:
        self.company = company
        default_zone = str(company.time_zone or "Asia/Shanghai")
        self.employees: dict[str, tuple[int, str]] = {
            number: (pk, zone or default_zone)
            for number, pk, zone in Employee.objects.filter(company=company).values_list(
                "employee_number", "pk", "work_location__time_zone"
            )
        }
        moment = now or timezone.now()
        self.now_epoch = int(moment.timestamp())
        self.latest_allowed = self.now_epoch + int(future_tolerance(company).total_seconds())
        self.clock = ZoneClock(locked_month_set(company))
        self.result = Converted(max_issues=None if keep_all_issues else MAX_ISSUES)

    def add(
        self,
        number: int,
        employee_number: Any,
        date_cell: Any,
        time_cell: Any,
        *,
        device: str = "",
        zone_name: str = "",
        source_id: str = "",
        columns: dict[str, str],
    ) -> None:
        result = self.result
        result.total += 1
        key = employee_number.strip() if isinstance(employee_number, str) else ""
        if not isinstance(employee_number, str):
            key = _text_code(employee_number)
        found = self.employees.get(key)
        if found is None:
            message = _("工号“%(n)s”在本公司不存在。") % {"n": key} if key else _("请填写工号。")
            result.error(number, columns["employee_number"], message, "employee_number")
            return
        employee_id, zone = found
        if zone_name:
            zone_name = zone_name.strip()
            if self.clock.zone(zone_name) is None:
                result.error(
                    number,
                    columns.get("time_zone", ""),
                    _("时区“%(z)s”无法识别，请写成 IANA 名称，如 Asia/Shanghai。")
                    % {"z": zone_name},
                    "time_zone",
                )
                return
            zone = zone_name
        try:
            local = local_time(date_cell, time_cell)
            epoch = self.clock.epoch(local, zone)
        except (BadTime, ValueError, OverflowError, ZoneInfoNotFoundError):
            shown = f"{date_cell} {time_cell}" if date_cell not in (None, "") else f"{time_cell}"
            result.error(
                number,
                columns.get("time", ""),
                _("打卡时间“%(v)s”无法识别，请写成 2026-11-02 08:57:13。") % {"v": shown.strip()},
                "time",
            )
            return
        if (local.year, local.month) in self.clock.locked_months:
            result.error(number, columns.get("time", ""), locked_message(local.date()), "time")
            return
        if epoch > self.latest_allowed:
            result.error(
                number,
                columns.get("time", ""),
                _("打卡时间 %(v)s 在未来，不能导入。") % {"v": local.isoformat(sep=" ")},
                "time",
            )
            return
        if device and epoch > self.now_epoch + _SKEW_AHEAD:
            result.skewed_devices.add(device)
        result.rows.append((employee_id, epoch, number, device, source_id))


def _text_code(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def default_source_id(employee_id: int, epoch: int, device: str) -> str:
    """The source id of a device row without its own record id (see the module doc)."""
    return f"{employee_id:09d}|{epoch}|{device}"


# --- Writing -----------------------------------------------------------------------------


@dataclass
class InsertStats:
    inserted: int = 0
    already_stored: int = 0
    employees: dict[int, tuple[int, int]] = field(default_factory=dict)  # id → (min, max) epoch


_CLOCK_TEXT = [f" {s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in range(86400)]
ANALYZE_AFTER = 100_000
"""PostgreSQL: an import of this many new rows refreshes the table's statistics."""
WRITE_CHUNK = 250_000
"""SQLite: rows per sorted chunk handed to the writer thread (some 20 MB of JSON)."""
_FLAGS_DUP = json.dumps([FLAG_DUPLICATE])
_FLAGS_SKEW = json.dumps([FLAG_CLOCK_SKEW])
_FLAGS_BOTH = json.dumps([FLAG_CLOCK_SKEW, FLAG_DUPLICATE])
# A row's sort key packed into one int: employee id, then epoch (offset so that
# times before 1970 stay positive), then its row number.
_NUMBER_BITS = 32
_EPOCH_BITS = 38
_EPOCH_OFFSET = 1 << 37
_EMPLOYEE_SHIFT = _NUMBER_BITS + _EPOCH_BITS


def _utc_text(epoch: int, days: dict[int, str]) -> str:
    """ "YYYY-MM-DD HH:MM:SS" in UTC, as Django stores datetimes in SQLite."""
    day, seconds = divmod(epoch, 86400)
    prefix = days.get(day)
    if prefix is None:
        prefix = dt.date.fromordinal(day + _UNIX_ORDINAL).isoformat()
        days[day] = prefix
    return prefix + _CLOCK_TEXT[seconds]


class PunchWriter:
    """Stores converted punch rows while the file is still being read, then flags them.

    Rows go through ``RowWriter`` (a writer thread on SQLite, ``COPY`` on PostgreSQL)
    with ``ON CONFLICT DO NOTHING``: a source id that is stored already (a re-import)
    or repeated in the file is stored once, and a concurrent writer storing the same
    ids first is no error. Each row leaves one packed int (employee, time, row number);
    ``finish`` sorts those and sets the flags of the few rows that need one:

    - ``duplicate``: within 60 s after another punch of the file for the same employee
      (the first of a pair stays unflagged), or within 60 s of a stored, non-voided one;
    - ``clock_skew``: every row of a device found running ahead of the import time.

    It then checks the employees (see ``_employees_lock``) and returns the counts and
    each employee's time span for the daily results. The caller holds the transaction
    and must not use the database between ``open`` and ``finish``.

    On PostgreSQL the rows are collected instead and written sorted at ``finish``
    (``punch_import_postgresql``: there, index order decides the speed).
    """

    def __init__(
        self, *, company: Company, actor: User | None, source: str = Punch.Source.DEVICE
    ) -> None:
        if source not in Punch.Source.values:
            raise ValueError(source)
        self.company = company
        self.source = source
        self.postgresql = connection.vendor == "postgresql"
        self.created_at = datetime_text(timezone.now())
        self.actor_id = actor.pk if actor is not None and actor.pk else None
        self.before_id = 0  # SQLite: this import's rows are those above the largest id before
        if not self.postgresql:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Punch._meta.db_table}")  # noqa: S608
                self.before_id = int(cursor.fetchone()[0])
        self.keys: list[int] = []
        self.days: dict[int, str] = {}  # UTC day number → "YYYY-MM-DD"
        self.shifted: dict[int, int] = {}  # employee id → id << _EMPLOYEE_SHIFT
        self.constants: dict[str, Any] = {
            "company_id": company.pk,
            "source": source,
            "note": "",
            "voided": False,
            "photo": "",
            "created_by_id": self.actor_id,
            "created_at": self.created_at,
        }
        self.collected: list[tuple[int, int, int, str, str]] = []
        self._writer = RowWriter(
            table=Punch._meta.db_table,
            columns=("employee_id", "at", "source_id", "device_id"),
            constants={**self.constants, "flags": "[]"},
            conflict_do_nothing=True,
            # Chunks sorted by (employee, time) before they go: a file comes day by
            # day, and its rows in index order cost SQLite a good deal less.
            chunk=WRITE_CHUNK,
            sort_chunks=True,
        )
        self.row_add = self._writer.add
        self._cache = bulk_write_cache()
        self.open = False

    def __enter__(self) -> PunchWriter:
        if self.postgresql:
            self.open = True
            return self
        self._cache.__enter__()
        try:
            self._writer.__enter__()
        except BaseException:
            self._cache.__exit__(None, None, None)
            raise
        self.open = True
        return self

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        if self.open and not self.postgresql:  # an error: stop writing (and roll back)
            self.open = False
            try:
                self._writer.__exit__(kind, error, trace)
            finally:
                self._cache.__exit__(None, None, None)

    def add(self, employee_id: int, epoch: int, number: int, device: str, source_id: str) -> None:
        """One row (the fast loop of ``punch_bulk_import`` does the same inline)."""
        if self.postgresql:
            self.collected.append((employee_id, epoch, number, device, source_id))
            return
        shifted = self.shifted.get(employee_id)
        if shifted is None:
            shifted = self.shifted[employee_id] = employee_id << _EMPLOYEE_SHIFT
        self.keys.append(shifted | (epoch + _EPOCH_OFFSET) << _NUMBER_BITS | number)
        day, seconds = divmod(epoch, 86400)
        prefix = self.days.get(day)
        if prefix is None:
            prefix = self.days[day] = dt.date.fromordinal(day + _UNIX_ORDINAL).isoformat()
        self._writer.add(
            (
                employee_id,
                prefix + _CLOCK_TEXT[seconds],
                source_id or f"{employee_id:09d}|{epoch}|{device}",
                device,
            )
        )

    def finish(self, skewed_devices: set[str]) -> InsertStats:
        self.open = False
        if self.postgresql:
            from jixiao.attendance.services.punch_import_postgresql import sorted_insert

            return sorted_insert(
                company=self.company,
                rows=self.collected,
                skewed_devices=skewed_devices,
                constants=self.constants,
            )
        try:
            self._writer.__exit__(None, None, None)
            stats = InsertStats(inserted=self._writer.inserted)
            stats.already_stored = len(self.keys) - stats.inserted
            if not self.keys:
                return stats
            self.keys.sort()
            groups, employee_ids = self._groups(stats)
            _employees_lock(self.company, employee_ids)
            if stats.inserted:
                self._flag(groups, skewed_devices)
        finally:
            self._cache.__exit__(None, None, None)
        if stats.inserted >= ANALYZE_AFTER:
            # Fresh statistics for the reads that follow (the daily results, the next
            # import's span query).
            statistics_refresh(Punch)
        return stats

    def _groups(self, stats: InsertStats) -> tuple[list[tuple[int, int, int]], list[int]]:
        """(employee, epoch, rows at that instant) in order; fills the employees' spans."""
        groups: list[tuple[int, int, int]] = []
        spans = stats.employees
        previous_employee, previous_epoch, count, low = -1, -1, 0, 0
        mask = (1 << _EPOCH_BITS) - 1
        for key in self.keys:
            employee_id = key >> _EMPLOYEE_SHIFT
            epoch = (key >> _NUMBER_BITS & mask) - _EPOCH_OFFSET
            if employee_id == previous_employee and epoch == previous_epoch:
                count += 1
                continue
            if previous_employee != -1:
                groups.append((previous_employee, previous_epoch, count))
            if employee_id != previous_employee:
                if previous_employee != -1:
                    spans[previous_employee] = (low, previous_epoch)
                low = epoch
            previous_employee, previous_epoch, count = employee_id, epoch, 1
        groups.append((previous_employee, previous_epoch, count))
        spans[previous_employee] = (low, previous_epoch)
        return groups, list(spans)

    def _flag(self, groups: list[tuple[int, int, int]], skewed_devices: set[str]) -> None:
        stored = self._stored_times(groups)
        every: list[tuple[int, int]] = []  # (employee, epoch): all its rows are duplicates
        later: list[tuple[int, int]] = []  # only the rows after the instant's first
        previous_employee, previous_epoch = -1, 0
        for employee_id, epoch, count in groups:
            near = employee_id == previous_employee and epoch - previous_epoch <= _DUP
            if not near and stored:
                times = stored.get(employee_id)
                if times:
                    i = bisect.bisect_left(times, epoch - _DUP)
                    near = i < len(times) and times[i] <= epoch + _DUP
            if near:
                every.append((employee_id, epoch))
            elif count > 1:
                later.append((employee_id, epoch))
            previous_employee, previous_epoch = employee_id, epoch
        table = Punch._meta.db_table
        # SQLite has one writer: every row above the largest id before is this import's.
        ours = "company_id = %s AND id > %s"
        params: list[Any] = [self.company.pk, self.before_id]
        days: dict[int, str] = {}
        with connection.cursor() as cursor:
            if every:
                cursor.executemany(
                    f"UPDATE {table} SET flags = %s WHERE employee_id = %s AND at = %s "  # noqa: S608
                    f"AND {ours}",
                    [[_FLAGS_DUP, e, _utc_text(t, days), *params] for e, t in every],
                )
            if later:
                cursor.executemany(
                    f"UPDATE {table} SET flags = %s WHERE employee_id = %s AND at = %s "  # noqa: S608
                    f"AND {ours} AND id > (SELECT MIN(id) FROM {table} WHERE employee_id = %s "
                    f"AND at = %s AND {ours})",
                    [
                        [_FLAGS_DUP, e, text, *params, e, text, *params]
                        for e, t in later
                        for text in [_utc_text(t, days)]
                    ],
                )
            if skewed_devices:
                devices = sorted(skewed_devices)
                marks = ", ".join(["%s"] * len(devices))
                cursor.execute(
                    f"UPDATE {table} SET flags = CASE WHEN flags = %s THEN %s ELSE %s END "  # noqa: S608
                    f"WHERE {ours} AND device_id IN ({marks})",
                    [_FLAGS_DUP, _FLAGS_BOTH, _FLAGS_SKEW, *params, *devices],
                )

    def _stored_times(self, groups: list[tuple[int, int, int]]) -> dict[int, list[int]]:
        """SQLite: non-voided punches stored before this import in its span (±60 s), by
        employee, along the (company, employee, at) index; a fresh import reads nothing."""
        low = min(g[1] for g in groups) - _DUP
        high = max(g[1] for g in groups) + _DUP
        employee_ids = sorted({g[0] for g in groups})
        table = Punch._meta.db_table
        span = [
            connection.ops.adapt_datetimefield_value(dt.datetime.fromtimestamp(low, dt.UTC)),
            connection.ops.adapt_datetimefield_value(dt.datetime.fromtimestamp(high, dt.UTC)),
        ]
        # Stored before this import: the ids up to the largest before it; the index
        # entries carry the id, so no table look-up is needed. Our own integers as
        # literals: no limit on the number of variables.
        employees = ", ".join(str(int(i)) for i in employee_ids)
        times: dict[int, list[int]] = defaultdict(list)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT employee_id, CAST(strftime('%%s', at) AS INTEGER) "  # noqa: S608
                f"FROM {table} WHERE company_id = %s AND employee_id IN ({employees}) "
                "AND at >= %s AND at <= %s AND NOT voided AND id <= %s",
                [self.company.pk, *span, self.before_id],
            )
            while True:
                fetched = cursor.fetchmany(20_000)
                if not fetched:
                    break
                for employee_id, seconds in fetched:
                    times[employee_id].append(int(seconds))
        for found in times.values():
            found.sort()
        return dict(times)


def _employees_lock(company: Company, employee_ids: list[int]) -> None:
    """The rows' employees exist in the company, and stay until the import commits
    (``FOR KEY SHARE`` on PostgreSQL, what a foreign-key trigger would take per row;
    SQLite's writer holds the whole database)."""
    found: set[int] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT id FROM org_employee WHERE company_id = %s AND id = ANY(%s) FOR KEY SHARE",
                [company.pk, employee_ids],
            )
            found.update(row[0] for row in cursor.fetchall())
        else:
            for start in range(0, len(employee_ids), 900):
                part = employee_ids[start : start + 900]
                marks = ", ".join(["%s"] * len(part))
                cursor.execute(
                    f"SELECT id FROM org_employee WHERE company_id = %s AND id IN ({marks})",  # noqa: S608
                    [company.pk, *part],
                )
                found.update(row[0] for row in cursor.fetchall())
    missing = set(employee_ids) - found
    if missing:
        message = _("%(n)d 名员工在导入期间已被删除或不属于本公司，请重新导入。") % {
            "n": len(missing)
        }
        raise ServiceError(message, code="employee_gone", status=409)


def punches_insert(
    *,
    company: Company,
    rows: Iterable[tuple[int, int, int, str, str]],
    skewed_devices: set[str],
    actor: User | None,
    source: str = Punch.Source.DEVICE,
) -> InsertStats:
    """Store converted rows (employee id, UTC epoch, row number, device, source id) and
    flag them; rows already stored (same source id) are skipped. The caller holds the
    transaction. See ``PunchWriter``."""
    writer = PunchWriter(company=company, actor=actor, source=source)
    with writer:
        add = writer.add
        for employee_id, epoch, number, device, source_id in rows:
            add(employee_id, epoch, number, device, source_id)
        return writer.finish(skewed_devices)


def recompute_after_import(
    *, company: Company, employees: dict[int, tuple[int, int]], actor: User | None
) -> None:
    """Daily results for the imported span: one compute call over the touched employees."""
    if not employees:
        return
    from jixiao.attendance.services.results import daily_attendance_compute

    zone = ZoneInfo(str(company.time_zone or "Asia/Shanghai"))
    low = min(v[0] for v in employees.values())
    high = max(v[1] for v in employees.values())
    # A day either side: employees in other zones, and overnight shifts of the day before.
    start = dt.datetime.fromtimestamp(low, zone).date() - dt.timedelta(days=1)
    end = dt.datetime.fromtimestamp(high, zone).date() + dt.timedelta(days=1)
    end = min(end, timezone.localdate() + dt.timedelta(days=1))
    locked = locked_month_set(company)
    ids = sorted(employees)
    day = start
    while day <= end:  # one compute per run of unlocked months (locked ones had no rows)
        month_end = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        run_end = min(end, month_end - dt.timedelta(days=1))
        if (day.year, day.month) not in locked:
            daily_attendance_compute(
                company=company, start=day, end=run_end, employee_ids=ids, actor=actor
            )
        day = run_end + dt.timedelta(days=1)


# --- The big-file path ------------------------------------------------------------------


@dataclass
class BulkImportResult:
    rows: int
    created: int
    already_stored: int
    error_rows: int
    issues: list[Issue]
    headers: list[str]
    mapping: dict[str, str]
    committed: bool
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "already_stored": self.already_stored,
            "error_rows": self.error_rows,
            "issues": [i.as_dict() for i in self.issues],
            "committed": self.committed,
            "seconds": round(self.seconds, 3),
            "mapping": self.mapping,
        }


def header_find(rows: Iterator[list[Any]]) -> tuple[int, list[str], list[tuple[int, list[Any]]]]:
    """The header row (the one of the first rows naming most punch fields), its number,
    and the rows read past it that are data."""
    found = header_row_find(rows, header_lookup(punch_fields()), scan=HEADER_SCAN_ROWS)
    if found is None:
        raise ServiceError(
            _("找不到表头行：需要“工号”和“打卡时间”（或“日期”+“时间”）列。"), code="empty"
        )
    return found


def mapping_for(headers: Sequence[str], mapping: dict[str, str] | None) -> dict[str, int]:
    """{field name: column index} from a {header: field} mapping or the headers' names."""
    if mapping:
        chosen = {
            target: headers.index(h) for h, target in mapping.items() if target and h in headers
        }
    else:
        lookup = header_lookup(punch_fields())
        chosen = {}
        for index, header in enumerate(headers):
            target = lookup.get(header_key(header))
            if target and target not in chosen:
                chosen[target] = index
    missing = [f.label for f in punch_fields() if f.required and f.name not in chosen]
    if missing:
        message = _("缺少必需的列：%(c)s。") % {"c": "、".join(missing)}
        raise ServiceError(message, code="bad_mapping", fields={"mapping": [message]})
    return chosen


def punch_bulk_import(
    *,
    company: Company,
    file: BinaryIO | bytes,
    actor: User | None,
    mode: str = MODE_ALL_OR_NOTHING,
    file_name: str = "punches.csv",
    mapping: dict[str, str] | None = None,
    recompute: bool = True,
) -> BulkImportResult:
    """Import a device export of any size in one transaction.

    ``all_or_nothing``: any row error stores nothing; ``valid_rows_only``: the valid
    rows are stored and the errors reported. The result lists the issues (row, column,
    message) for the error report. ``recompute=False`` leaves the daily results to the
    next month compute (a benchmark, or a backfill that is followed by one)."""
    if mode not in MODES:
        raise ServiceError(_("导入方式无效。"), fields={"mode": [_("请选择导入方式。")]})
    started = time.perf_counter()
    data = file if isinstance(file, bytes) else file.read()
    if not data.strip():
        raise ServiceError(_("文件是空的。"), code="empty", fields={"file": [_("文件是空的。")]})
    try:
        rows = file_rows(file_name, data)
    except FileRejected as exc:
        raise ServiceError(exc.message, code=exc.code, fields={"file": [exc.message]}) from exc
    header_number, headers, first_rows = header_find(rows)
    columns_at = mapping_for(headers, mapping)
    column_names = {name: headers[index] for name, index in columns_at.items()}
    converter = RowConverter(company=company)

    # The fast path: text cells "date time" (a CSV, a ZKTeco export) of known employees,
    # with the day's UTC offset cached; anything else takes ``add``, which reports errors.
    fast = "date" not in columns_at and "time_zone" not in columns_at
    all_or_nothing = mode == MODE_ALL_OR_NOTHING
    try:
        with transaction.atomic():
            writer = PunchWriter(company=company, actor=actor)
            with writer:
                total, errors = _rows_write(
                    writer, converter, rows, first_rows, header_number,
                    fast=fast, all_or_nothing=all_or_nothing, columns_at=columns_at,
                    column_names=column_names,
                )  # fmt: skip
                converted = converter.result
                if total == 0:
                    raise ServiceError(_("文件只有表头，没有数据行。"), code="empty")
                if errors and all_or_nothing:
                    raise _NothingStored
                stats = writer.finish(converted.skewed_devices)
            audit_record(
                company=company,
                actor=actor,
                action="attendance.punch.import",
                object_type="attendance.punch",
                object_repr=file_name[:300],
                changes={
                    "rows": [None, total],
                    "created": [None, stats.inserted],
                    "already_stored": [None, stats.already_stored],
                    "error_rows": [None, errors],
                    "mode": [None, mode],
                },
                reason=_("导入考勤机打卡：%(f)s") % {"f": file_name},
            )
            if recompute:
                recompute_after_import(company=company, employees=stats.employees, actor=actor)
    except _NothingStored:
        converted = converter.result
        return BulkImportResult(
            converted.total, 0, 0, len(converted.error_rows), converted.issues, headers,
            {headers[i]: name for name, i in columns_at.items()}, False,
            time.perf_counter() - started,
        )  # fmt: skip
    mapping_used = {headers[i]: name for name, i in columns_at.items()}
    return BulkImportResult(
        total, stats.inserted, stats.already_stored, errors, converted.issues,
        headers, mapping_used, True, time.perf_counter() - started,
    )  # fmt: skip


class _NothingStored(Exception):
    """All or nothing, and a row failed: the transaction rolls back what was written."""


def _rows_write(
    writer: PunchWriter,
    converter: RowConverter,
    rows: Iterator[list[Any]],
    first_rows: list[tuple[int, list[Any]]],
    header_number: int,
    *,
    fast: bool,
    all_or_nothing: bool,
    columns_at: dict[str, int],
    column_names: dict[str, str],
) -> tuple[int, int]:
    """Read the rows and hand the valid ones to ``writer`` as they come; returns the
    number of data rows and of error rows. All or nothing: after the first error the
    rest is only checked (for the error report), no longer written."""
    number_i = columns_at["employee_number"]
    time_i = columns_at["time"]
    date_i = columns_at.get("date")
    device_i = columns_at.get("device_id")
    zone_i = columns_at.get("time_zone")
    sid_i = columns_at.get("source_id")
    width = max(columns_at.values()) + 1
    add = converter.add
    # Per employee number: (id, the cache of local-midnight epochs by date text of the
    # employee's zone, the zone, the id shifted for the sort key, the default source
    # id's prefix): one dictionary look-up per row finds them all.
    bases: dict[str, dict[str, int | None]] = {}
    employees: dict[str, tuple[int, dict[str, int | None], str, int, str]] = {}
    for employee_number, (employee_id, zone) in converter.employees.items():
        employees[employee_number] = (
            employee_id, bases.setdefault(zone, {}), zone, employee_id << _EMPLOYEE_SHIFT,
            f"{employee_id:09d}|",
        )  # fmt: skip
    clocks: dict[str, int] = {}  # "8:57:13" → seconds of the day, -1 when not a time
    day_base = converter.clock.day_base
    latest_allowed = converter.latest_allowed
    ahead = converter.now_epoch + _SKEW_AHEAD
    result = converter.result
    skewed = result.skewed_devices
    valid_rows = result.rows
    error_rows = result.error_rows
    keys_append = writer.keys.append
    write = writer.row_add
    days = writer.days
    collect = writer.collected.append if writer.postgresql else None
    writing = True
    fast_rows = 0  # rows the fast loop took (``add`` counts the rows it sees itself)
    numbered = itertools.chain(
        first_rows, enumerate(rows, start=header_number + len(first_rows) + 1)
    )
    for number, cells in numbered:
        if fast and writing:
            try:
                found = employees.get(cells[number_i])
                text = cells[time_i]
                if found is not None and type(text) is str:
                    date_text, _space, clock = text.partition(" ")
                    zone_bases = found[1]
                    base = zone_bases.get(date_text, _UNSET)
                    if base is _UNSET:
                        base = zone_bases[date_text] = day_base(found[2], date_text)
                    seconds = clocks.get(clock)
                    if seconds is None:
                        seconds = clocks[clock] = _clock_seconds(clock)
                    if base is not None and seconds >= 0:
                        epoch = base + seconds
                        if epoch <= latest_allowed:
                            device = cells[device_i].strip() if device_i is not None else ""
                            if device and epoch > ahead:
                                skewed.add(device)
                            sid = cells[sid_i].strip()[:100] if sid_i is not None else ""
                            if collect is not None:  # PostgreSQL: written sorted at the end
                                collect((found[0], epoch, number, device, sid))
                                fast_rows += 1
                                continue
                            keys_append(found[3] | (epoch + _EPOCH_OFFSET) << 32 | number)
                            day, seconds = divmod(epoch, 86400)
                            prefix = days.get(day)
                            if prefix is None:
                                prefix = days[day] = dt.date.fromordinal(
                                    day + _UNIX_ORDINAL
                                ).isoformat()
                            write(
                                (
                                    found[0],
                                    prefix + _CLOCK_TEXT[seconds],
                                    sid or f"{found[4]}{epoch}|{device}",
                                    device,
                                )
                            )
                            fast_rows += 1
                            continue
            except (IndexError, AttributeError):
                pass
        if len(cells) < width:
            if not any(c not in (None, "") for c in cells):
                continue
            cells = list(cells) + [""] * (width - len(cells))
        if not any(c not in (None, "") for c in cells):
            continue
        add(
            number,
            cells[number_i],
            cells[date_i] if date_i is not None else None,
            cells[time_i],
            device=str(cells[device_i]).strip()
            if device_i is not None and cells[device_i] is not None
            else "",
            zone_name=str(cells[zone_i] or "") if zone_i is not None else "",
            source_id=str(cells[sid_i] or "").strip()[:100] if sid_i is not None else "",
            columns=column_names,
        )
        if valid_rows:
            row = valid_rows.pop()
            if writing:
                writer.add(*row)
        elif error_rows and all_or_nothing:
            writing = False
    result.total += fast_rows
    return result.total, len(error_rows)


def error_report_xlsx(result: BulkImportResult) -> bytes:
    """The issues of a bulk import as an XLSX (row, column, message)."""
    from openpyxl import Workbook

    from jixiao.core.xlsx import safe_sheet

    workbook = Workbook(write_only=True)
    sheet = safe_sheet(workbook.create_sheet(_("错误行")))
    sheet.append([_("原行号"), _("列"), _("错误")])
    for issue in result.issues:
        sheet.append([issue.row, issue.column, issue.message])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
