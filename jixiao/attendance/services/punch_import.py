"""Device exports (考勤机导出) to punches, fast: one core for the import wizard and big files.

Both the ``attendance_punches`` importer of the import framework (files up to the
framework's row limit, with preview, saved mappings and the XLSX error report) and
``punch_bulk_import`` (a million rows and more, streamed) use this module:

- a row's local time is read from one date-time column, or a date column plus a time
  column (ZKTeco exports either "AC-No., Name, Time" or "…, Date, Time"), in the
  employee's work-location time zone unless a time-zone column says otherwise;
- local times become UTC with offsets cached per (zone, date): a date without a
  daylight-saving change (nearly all) costs one dictionary look-up;
- employee numbers map through one dictionary loaded with one query;
- rows are sorted by (employee, time); one query over the file's time span reads the
  stored punches (for the duplicate flag) and their source ids. Rows whose source id
  is stored already are not sent: importing the same file twice stores nothing new.
  SQLite inserts the rest with one ``executemany`` per chunk and ``ON CONFLICT DO
  NOTHING`` (repeats in the file); PostgreSQL checks the file's own record ids
  against the table with one join, then ``COPY``s the new rows straight into the
  table (text lines joined per batch). Should a concurrent writer commit one of the
  same source ids in between, the unique index stops that ``COPY`` (its savepoint
  is rolled back) and the rows go through a temporary table and ``INSERT … ON
  CONFLICT DO NOTHING`` instead: race-free without locking the table against the
  check-ins of the day. A file without a record-id column gets a deterministic
  source id "employee id (9 digits)|UTC epoch|device": in the order the rows are
  inserted, so the unique index grows at its end.
- Punch has no database foreign keys (see the model): the import checks that its
  employees exist in the company with one query, which on PostgreSQL also locks
  them (``FOR KEY SHARE``) until the import commits.
- Flags as in ``punches``: ``duplicate`` (within 60 s of another punch of the same
  employee), ``clock_skew`` (a device more than 5 min ahead of the import time, or
  jumping back in time by more than an hour in file order).
- One audit event per import (the count, the file, the mode), not one per punch.
"""

from __future__ import annotations

import bisect
import csv
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
    OUT_OF_ORDER_TOLERANCE,
    future_tolerance,
    locked_message,
    locked_month_set,
)
from jixiao.audit.services import audit_record
from jixiao.core.api_errors import ServiceError
from jixiao.core.db import bulk_write_cache, statistics_refresh
from jixiao.core.models import Company, User
from jixiao.imports.engine import FieldSpec, Issue, header_key, header_lookup
from jixiao.imports.readers import FileRejected, decode_text, read_excel
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
_OUT_OF_ORDER = int(OUT_OF_ORDER_TOLERANCE.total_seconds())
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
        self.device_latest: dict[str, int] = {}
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
        if device:
            latest = self.device_latest.get(device)
            if epoch > self.now_epoch + _SKEW_AHEAD or (
                latest is not None and latest - epoch > _OUT_OF_ORDER
            ):
                result.skewed_devices.add(device)
            if latest is None or epoch > latest:
                self.device_latest[device] = epoch
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
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
ANALYZE_AFTER = 100_000
"""PostgreSQL: an import of this many new rows refreshes the table's statistics."""
COPY_BATCH = 5000
"""Rows per ``COPY`` write: one string of some 600 KB."""


def _copy_text(value: str) -> str:
    """A value for COPY's text format (backslash, tab and line breaks escaped)."""
    return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value


def _utc_text(epoch: int, days: dict[int, str]) -> str:
    """ "YYYY-MM-DD HH:MM:SS" in UTC, as Django stores datetimes in SQLite."""
    day, seconds = divmod(epoch, 86400)
    prefix = days.get(day)
    if prefix is None:
        prefix = dt.date.fromordinal(day + _UNIX_ORDINAL).isoformat()
        days[day] = prefix
    return prefix + _CLOCK_TEXT[seconds]


@dataclass
class _Stored:
    """What is stored in the import's time span: non-voided times per employee (for the
    duplicate flag) and the source ids of the import's source (already imported)."""

    times: dict[int, list[int]] = field(default_factory=dict)
    source_ids: set[str] = field(default_factory=set)


def _stored_in_span(
    company: Company,
    rows: Sequence[tuple[int, int, int, str, str]],
    source: str,
    employee_ids: list[int],
) -> _Stored:
    """One query over the file's employees and time span (±60 s), along the (company,
    employee, at) index: a fresh import reads nothing, a re-import reads its own rows,
    whose source ids then need no other look-up."""
    stored = _Stored()
    if not rows:
        return stored
    low = min(r[1] for r in rows) - _DUP
    high = max(r[1] for r in rows) + _DUP
    times: dict[int, list[int]] = defaultdict(list)
    source_ids = stored.source_ids
    # Epoch seconds computed by the database: no datetime objects for a million rows.
    table = Punch._meta.db_table
    span = [
        connection.ops.adapt_datetimefield_value(dt.datetime.fromtimestamp(low, dt.UTC)),
        connection.ops.adapt_datetimefield_value(dt.datetime.fromtimestamp(high, dt.UTC)),
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One index range per employee, whatever the statistics say: right after a
            # big import they count the company's new rows as none, and the planner
            # would scan them all against the whole employee list (OFFSET 0 keeps the
            # lateral subquery from being flattened into such a join).
            cursor.execute(
                "SELECT p.employee_id, p.epoch, p.voided, p.source_id "  # noqa: S608
                "FROM unnest(%s::bigint[]) AS e(id) CROSS JOIN LATERAL ("
                "SELECT employee_id, CAST(EXTRACT(EPOCH FROM at) AS BIGINT) AS epoch, voided, "
                "CASE WHEN source = %s THEN source_id ELSE '' END AS source_id "
                f"FROM {table} WHERE company_id = %s AND employee_id = e.id "
                "AND at >= %s AND at <= %s OFFSET 0) AS p",
                [employee_ids, source, company.pk, *span],
            )
        else:  # our own integers as literals: no limit on the number of variables
            employees = ", ".join(str(int(i)) for i in employee_ids)
            cursor.execute(
                "SELECT employee_id, CAST(strftime('%%s', at) AS INTEGER), voided, "  # noqa: S608
                f"CASE WHEN source = %s THEN source_id ELSE '' END FROM {table} "
                f"WHERE company_id = %s AND employee_id IN ({employees}) "
                "AND at >= %s AND at <= %s",
                [source, company.pk, *span],
            )
        while True:
            fetched = cursor.fetchmany(20_000)
            if not fetched:
                break
            for employee_id, seconds, voided, source_id in fetched:
                if not voided:
                    times[employee_id].append(int(seconds))
                if source_id:
                    source_ids.add(source_id)
    for found in times.values():
        found.sort()
    stored.times = dict(times)
    return stored


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


_FlaggedRow = tuple[int, int, str, str, str]
"""(employee_id, epoch, device, the file's record id or "", flags)."""


def _flagged(
    rows: list[tuple[int, int, int, str, str]],
    existing: dict[int, list[int]],
    skewed_devices: set[str],
    employees: dict[int, tuple[int, int]],
) -> Iterator[_FlaggedRow]:
    """The sorted rows with their flags; fills ``employees`` with each one's time span."""
    flags_plain, flags_dup, flags_skew, flags_both = (
        "[]",
        json.dumps([FLAG_DUPLICATE]),
        json.dumps([FLAG_CLOCK_SKEW]),
        json.dumps([FLAG_CLOCK_SKEW, FLAG_DUPLICATE]),
    )
    previous_employee = -1
    previous_epoch = 0
    low = 0
    stored: list[int] = []
    near = False
    for employee_id, epoch, _number, device, source_id in rows:
        if employee_id != previous_employee:
            stored = existing.get(employee_id, [])
            near = False
            if previous_employee != -1:
                employees[previous_employee] = (low, previous_epoch)
            low = epoch
        else:
            near = epoch - previous_epoch <= _DUP
        if not near and stored:
            i = bisect.bisect_left(stored, epoch - _DUP)
            near = i < len(stored) and stored[i] <= epoch + _DUP
        previous_employee, previous_epoch = employee_id, epoch
        if device and device in skewed_devices:
            flags = flags_both if near else flags_skew
        else:
            flags = flags_dup if near else flags_plain
        yield employee_id, epoch, device, source_id, flags
    if previous_employee != -1:
        employees[previous_employee] = (low, previous_epoch)


def punches_insert(
    *,
    company: Company,
    rows: list[tuple[int, int, int, str, str]],
    skewed_devices: set[str],
    actor: User | None,
    source: str = Punch.Source.DEVICE,
) -> InsertStats:
    """Sort, flag and insert converted rows; rows already stored (same source id) are skipped.

    The caller holds the transaction. SQLite: ``executemany`` with ``ON CONFLICT DO
    NOTHING`` (one writer at a time). PostgreSQL: the rows whose source id is new —
    checked against the stored ones of the span, the file's own record ids against
    the table — are copied straight into the table; should a concurrent writer store
    one of the same ids first, the unique index stops the copy and the import is
    redone through a temporary table with ``INSERT … ON CONFLICT DO NOTHING``."""
    if source not in Punch.Source.values:
        raise ValueError(source)
    rows.sort()
    stats = InsertStats()
    if not rows:
        return stats
    employee_ids = sorted({row[0] for row in rows})
    _employees_lock(company, employee_ids)
    stored = _stored_in_span(company, rows, source, employee_ids)
    constants = {
        "company_id": company.pk,
        "source": source,
        "note": "",
        "voided": False,
        "photo": "",
        "created_by_id": actor.pk if actor is not None and actor.pk else None,
        "created_at": _utc_text(int(time.time()), {})
        + ("+00" if connection.vendor == "postgresql" else ""),
    }
    table = Punch._meta.db_table

    def flagged() -> Iterator[_FlaggedRow]:
        return _flagged(rows, stored.times, skewed_devices, stats.employees)

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            stats.inserted = _postgresql_insert(
                cursor, table, constants, flagged, rows, stored.source_ids
            )
        else:
            stats.inserted = _sqlite_insert(cursor, table, constants, flagged(), stored.source_ids)
    if stats.inserted >= ANALYZE_AFTER:
        # Fresh statistics for the reads that follow (the daily results, the next
        # import's span query).
        statistics_refresh(Punch)
    stats.already_stored = len(rows) - stats.inserted
    return stats


_VARYING = ("employee_id", "at", "source_id", "device_id", "flags")


def _literal(value: Any, *, postgresql: bool = False) -> str:
    """An SQL literal for the import's constant columns (our own ints and enum strings)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        if postgresql:
            return "true" if value else "false"
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if "'" in text or "%" in text:
        raise ValueError(text)
    return f"'{text}'"


def _sqlite_insert(
    cursor: Any,
    table: str,
    constants: dict[str, Any],
    rows: Iterable[_FlaggedRow],
    stored_ids: set[str],
) -> int:
    """``executemany`` in chunks: constants as literals, five bound values per row; rows
    whose source id the span query found are not sent (a re-import writes nothing), the
    others meet ``ON CONFLICT DO NOTHING`` (the file's own record ids, repeats)."""
    names = ", ".join((*_VARYING, *constants))
    values = ", ".join((*(["?"] * len(_VARYING)), *(_literal(v) for v in constants.values())))
    sql = f"INSERT INTO {table} ({names}) VALUES ({values}) ON CONFLICT DO NOTHING"  # noqa: S608
    inserted = 0
    raw = cursor.cursor  # sqlite3's own cursor: "?" placeholders, no per-chunk rewriting
    days: dict[int, str] = {}
    clock_text = _CLOCK_TEXT
    chunk: list[tuple[int, str, str, str, str]] = []
    append = chunk.append
    with bulk_write_cache():
        for employee_id, epoch, device, source_id, flags in rows:
            sid = source_id or f"{employee_id:09d}|{epoch}|{device}"
            if stored_ids and sid in stored_ids:
                continue
            day, seconds = divmod(epoch, 86400)
            prefix = days.get(day)
            if prefix is None:
                prefix = days[day] = dt.date.fromordinal(day + _UNIX_ORDINAL).isoformat()
            append((employee_id, prefix + clock_text[seconds], sid, device, flags))
            if len(chunk) >= INSERT_CHUNK:
                raw.executemany(sql, chunk)
                inserted += max(raw.rowcount, 0)
                chunk.clear()
        if chunk:
            raw.executemany(sql, chunk)
            inserted += max(raw.rowcount, 0)
    return inserted


def _copy_suffix(constants: dict[str, Any]) -> str:
    """The constant columns of a COPY line (text format), with its line end."""
    parts = []
    for value in constants.values():
        if value is None:
            parts.append("\\N")
        elif isinstance(value, bool):
            parts.append("t" if value else "f")
        else:
            parts.append(_copy_text(str(value)))
    return "\t" + "\t".join(parts) + "\n"


def _stored_record_ids(cursor: Any, company_id: int, source: str, wanted: list[str]) -> set[str]:
    """Which of the file's own record ids (not in the span) are stored: one join."""
    cursor.execute(
        'CREATE TEMPORARY TABLE punch_import_ids (source_id text COLLATE "C") ON COMMIT DROP'
    )
    with cursor.cursor.copy("COPY punch_import_ids (source_id) FROM STDIN") as copy:
        for start in range(0, len(wanted), COPY_BATCH):
            copy.write("".join(_copy_text(s) + "\n" for s in wanted[start : start + COPY_BATCH]))
    cursor.execute(
        f"SELECT i.source_id FROM punch_import_ids i WHERE EXISTS (SELECT 1 FROM "  # noqa: S608
        f"{Punch._meta.db_table} p WHERE p.company_id = %s AND p.source = %s "
        "AND p.source_id = i.source_id AND p.source_id <> '')",
        [company_id, source],
    )
    found = {row[0] for row in cursor.fetchall()}
    cursor.execute("DROP TABLE punch_import_ids")
    return found


def _postgresql_insert(
    cursor: Any,
    table: str,
    constants: dict[str, Any],
    flagged: Any,
    rows: list[tuple[int, int, int, str, str]],
    stored_ids: set[str],
) -> int:
    """COPY the new rows straight into the table (text lines joined per batch); on a
    unique violation from a concurrent writer, the temporary-table path instead."""
    import psycopg

    record_ids = [r[4] for r in rows if r[4] and r[4] not in stored_ids]
    if record_ids:
        stored_ids = stored_ids | _stored_record_ids(
            cursor, constants["company_id"], constants["source"], record_ids
        )
    names = ", ".join((*_VARYING, *constants))
    suffix = _copy_suffix(constants)
    days: dict[int, str] = {}
    clock_text = [text + "+00\t" for text in _CLOCK_TEXT]
    devices: dict[str, str] = {}  # device → its COPY text
    try:
        with transaction.atomic():
            copied = 0
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                batch: list[str] = []
                append = batch.append
                seen: set[str] = set()  # the file's own record ids, each once
                # The last default id's employee, instant and device, and the others of
                # that employee and instant.
                same_employee, same_epoch, same_device = -1, -1, ""
                more: set[tuple[int, int, str]] = set()
                current = -1
                employee_text = employee_sid = ""
                for employee_id, epoch, device, source_id, flags in flagged():
                    if employee_id != current:  # rows come by employee: once per employee
                        current = employee_id
                        employee_text, employee_sid = f"{employee_id}\t", f"{employee_id:09d}|"
                    if source_id:
                        if source_id in stored_ids or source_id in seen:
                            continue
                        seen.add(source_id)
                        sid = _copy_text(source_id)
                    else:  # "employee|epoch|device": equal ids are neighbours in sort order
                        if same_epoch == epoch and same_employee == employee_id:
                            if not more:
                                more.add((employee_id, epoch, same_device))
                            key = (employee_id, epoch, device)
                            if key in more:
                                continue
                            more.add(key)
                        elif more:
                            more.clear()
                        same_employee, same_epoch, same_device = employee_id, epoch, device
                        if stored_ids and f"{employee_sid}{epoch}|{device}" in stored_ids:
                            continue
                        sid = ""
                    shown = devices.get(device)
                    if shown is None:
                        shown = devices[device] = _copy_text(device)
                    day, seconds = divmod(epoch, 86400)
                    prefix = days.get(day)
                    if prefix is None:
                        prefix = days[day] = dt.date.fromordinal(day + _UNIX_ORDINAL).isoformat()
                    if sid:
                        append(
                            f"{employee_text}{prefix}{clock_text[seconds]}{sid}"
                            f"\t{shown}\t{flags}{suffix}"
                        )
                    else:
                        append(
                            f"{employee_text}{prefix}{clock_text[seconds]}{employee_sid}{epoch}"
                            f"|{shown}\t{shown}\t{flags}{suffix}"
                        )
                    if len(batch) >= COPY_BATCH:
                        copy.write("".join(batch))
                        copied += len(batch)
                        batch.clear()
                if batch:
                    copy.write("".join(batch))
                    copied += len(batch)
            return copied
    except psycopg.errors.UniqueViolation:
        return _copy_insert(cursor, table, constants, flagged())


def _copy_insert(
    cursor: Any, table: str, constants: dict[str, Any], rows: Iterable[_FlaggedRow]
) -> int:
    """PostgreSQL: COPY into a temporary table, then one INSERT … ON CONFLICT DO NOTHING."""
    names = ", ".join(_VARYING)
    cursor.execute(
        "CREATE TEMPORARY TABLE punch_import_tmp (employee_id bigint, at timestamptz, "
        'source_id varchar(100) COLLATE "C", device_id varchar(100), flags jsonb) ON COMMIT DROP'
    )
    days: dict[int, str] = {}
    with cursor.cursor.copy(f"COPY punch_import_tmp ({names}) FROM STDIN") as copy:
        for employee_id, epoch, device, source_id, flags in rows:
            at = _utc_text(epoch, days) + "+00"
            sid = source_id or f"{employee_id:09d}|{epoch}|{device}"
            copy.write_row((employee_id, at, sid, device, flags))
    all_names = ", ".join((*_VARYING, *constants))
    literals = ", ".join(_literal(v, postgresql=True) for v in constants.values())
    cursor.execute(
        f"INSERT INTO {table} ({all_names}) SELECT {names}, {literals} "  # noqa: S608
        "FROM punch_import_tmp ORDER BY employee_id, at ON CONFLICT DO NOTHING"
    )
    inserted = int(cursor.rowcount)
    cursor.execute("DROP TABLE punch_import_tmp")
    return inserted


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


def _sniff_delimiter(sample: str) -> str:
    counts = {d: sample.count(d) for d in ",;\t|"}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    text = decode_text(data)
    head = "\n".join(text[:8192].splitlines()[:20])
    return csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(head))


def _sheet_rows(file_name: str, data: bytes) -> Iterator[list[Any]]:
    name = file_name.lower()
    if name.endswith((".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")):
        sheet = read_excel_unbounded(data)
        return iter(sheet)
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise FileRejected(
            _("文件扩展名是 CSV，但内容是 Excel 文件，请改用 .xlsx 扩展名。"), code="malformed"
        )
    return _csv_rows(data)


def read_excel_unbounded(data: bytes) -> list[list[Any]]:
    """The first sheet's rows (no row limit: the bulk path streams from them)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        return [
            list(row) for row in workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        ]
    except Exception:  # calamine's own error types: reported as the framework does
        read_excel(data)  # raises the framework's FileRejected with its message
        raise


def header_find(rows: Iterator[list[Any]]) -> tuple[int, list[str], list[tuple[int, list[Any]]]]:
    """The header row (the one of the first rows naming most punch fields), its number,
    and the rows read past it that are data."""
    lookup = header_lookup(punch_fields())
    buffered: list[tuple[int, list[Any]]] = []
    for number, cells in enumerate(rows, start=1):
        buffered.append((number, cells))
        if len(buffered) >= HEADER_SCAN_ROWS:
            break
    best, best_score = -1, 0
    for index, (_n, cells) in enumerate(buffered):
        score = sum(1 for c in cells if c is not None and header_key(str(c)) in lookup)
        if score > best_score:
            best, best_score = index, score
    if best < 0:
        raise ServiceError(
            _("找不到表头行：需要“工号”和“打卡时间”（或“日期”+“时间”）列。"), code="empty"
        )
    number, cells = buffered[best]
    headers = [str(c).strip() if c is not None else "" for c in cells]
    return number, headers, buffered[best + 1 :]


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
        rows = _sheet_rows(file_name, data)
    except FileRejected as exc:
        raise ServiceError(exc.message, code=exc.code, fields={"file": [exc.message]}) from exc
    header_number, headers, first_rows = header_find(rows)
    columns_at = mapping_for(headers, mapping)
    column_names = {name: headers[index] for name, index in columns_at.items()}
    converter = RowConverter(company=company)
    number_i = columns_at["employee_number"]
    time_i = columns_at["time"]
    date_i = columns_at.get("date")
    device_i = columns_at.get("device_id")
    zone_i = columns_at.get("time_zone")
    sid_i = columns_at.get("source_id")
    width = max(columns_at.values()) + 1
    add = converter.add

    # The fast path: text cells "date time" (a CSV, a ZKTeco export) of known employees,
    # with the day's UTC offset cached; anything else takes ``add``, which reports errors.
    fast = date_i is None and zone_i is None
    # Per employee number: (id, the cache of local-midnight epochs by date text of the
    # employee's zone, the zone): one dictionary look-up per row finds all three.
    bases: dict[str, dict[str, int | None]] = {}
    employees: dict[str, tuple[int, dict[str, int | None], str]] = {}
    for employee_number, (employee_id, zone) in converter.employees.items():
        employees[employee_number] = (employee_id, bases.setdefault(zone, {}), zone)
    clocks: dict[str, int] = {}  # "8:57:13" → seconds of the day, -1 when not a time
    day_base = converter.clock.day_base
    append = converter.result.rows.append
    latest_allowed = converter.latest_allowed
    ahead = converter.now_epoch + _SKEW_AHEAD
    device_latest = converter.device_latest
    skewed = converter.result.skewed_devices
    valid_rows = converter.result.rows
    slow_valid = 0  # rows ``add`` accepted (it counts the rows it sees itself)
    numbered = itertools.chain(
        first_rows, enumerate(rows, start=header_number + len(first_rows) + 1)
    )
    for number, cells in numbered:
        if fast:
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
                            if device:
                                latest = device_latest.get(device)
                                if latest is None or epoch > latest:
                                    device_latest[device] = epoch
                                if epoch > ahead or (
                                    latest is not None and latest - epoch > _OUT_OF_ORDER
                                ):
                                    skewed.add(device)
                            sid = cells[sid_i].strip()[:100] if sid_i is not None else ""
                            append((found[0], epoch, number, device, sid))
                            continue
            except (IndexError, AttributeError):
                pass
        if len(cells) < width:
            if not any(c not in (None, "") for c in cells):
                continue
            cells = list(cells) + [""] * (width - len(cells))
        if not any(c not in (None, "") for c in cells):
            continue
        before = len(valid_rows)
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
        slow_valid += len(valid_rows) - before
    converter.result.total += len(valid_rows) - slow_valid
    converted = converter.result
    mapping_used = {headers[i]: name for name, i in columns_at.items()}
    if converted.total == 0:
        raise ServiceError(_("文件只有表头，没有数据行。"), code="empty")
    errors = len(converted.error_rows)
    if errors and mode == MODE_ALL_OR_NOTHING:
        return BulkImportResult(
            converted.total, 0, 0, errors, converted.issues, headers, mapping_used, False,
            time.perf_counter() - started,
        )  # fmt: skip
    with transaction.atomic():
        stats = punches_insert(
            company=company,
            rows=converted.rows,
            skewed_devices=converted.skewed_devices,
            actor=actor,
        )
        audit_record(
            company=company,
            actor=actor,
            action="attendance.punch.import",
            object_type="attendance.punch",
            object_repr=file_name[:300],
            changes={
                "rows": [None, converted.total],
                "created": [None, stats.inserted],
                "already_stored": [None, stats.already_stored],
                "error_rows": [None, errors],
                "mode": [None, mode],
            },
            reason=_("导入考勤机打卡：%(f)s") % {"f": file_name},
        )
        if recompute:
            recompute_after_import(company=company, employees=stats.employees, actor=actor)
    return BulkImportResult(
        converted.total, stats.inserted, stats.already_stored, errors, converted.issues,
        headers, mapping_used, True, time.perf_counter() - started,
    )  # fmt: skip


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
