"""Daily results and the month close: engine inputs in, stored explained figures out.

``daily_attendance_compute`` runs the engine over many employees in chunks and
replaces their ``DailyAttendance`` rows with one ``DELETE`` and one ``COPY``
(PostgreSQL) or ``executemany`` (SQLite) per chunk; ``daily_attendance_recompute``
does the same for one employee and a few dates after an approval or a correction.
Comprehensive hours by week, quarter or year read the period's earlier days from
the stored results (see ``engine.month_summarize``). The month services
summarise the days (``MonthlySummary``), move the month through review to a
lock, and reopen it only with a reason. A locked month refuses any recompute.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import gc
import importlib
import json
import multiprocessing
import os
import pickle
import resource
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.attendance import compute_worker, engine
from jixiao.attendance.engine import (
    DayResult,
    DayStatus,
    MonthPolicy,
    MonthResult,
    Reason,
    System,
)
from jixiao.attendance.inputs import (
    CompanyContext,
    LoadedDay,
    company_context_load,
    day_inputs_load,
)
from jixiao.attendance.models import (
    AttendanceMonth,
    AttendancePolicy,
    DailyAttendance,
    MonthlySummary,
    WorkSchedule,
)
from jixiao.attendance.signals import attendance_month_locked
from jixiao.audit.services import audit_record, diff
from jixiao.core.api_errors import ServiceError
from jixiao.core.db import bulk_write_cache, statistics_refresh
from jixiao.core.models import Company, User
from jixiao.org.models import Employee, EmployeeStatus

CHUNK_SIZE = 500
HOURS = Decimal(60)

DAILY_COLUMNS = (
    "company_id", "employee_id", "date", "day_kind", "status", "time_zone", "system",
    "scheduled_minutes", "worked_minutes", "late_minutes", "early_minutes", "absent_minutes",
    "leave_minutes", "missing_punch", "overtime_workday_minutes", "overtime_rest_day_minutes",
    "overtime_holiday_minutes", "unapproved_overtime_minutes", "comp_leave_minutes",
    "night_minutes", "night_allowance", "first_punch", "last_punch", "flags", "reasons",
    "computed_at",
)  # fmt: skip
SUMMARY_COLUMNS = (
    "company_id", "attendance_month_id", "employee_id", "scheduled_days", "punched_days",
    "punch_rate", "worked_minutes", "late_count", "late_minutes", "early_count", "early_minutes",
    "absent_days", "penalty_absent_days", "missing_punch_count", "leave_minutes",
    "overtime_workday_minutes", "overtime_rest_day_minutes", "overtime_holiday_minutes",
    "comp_leave_minutes", "night_minutes", "night_allowance", "flags", "reasons", "reviewed",
    "computed_at",
)  # fmt: skip


@dataclass(frozen=True)
class ComputeStats:
    """What a compute run did, for the month-close page, tasks and benchmarks."""

    employees: int = 0
    days: int = 0
    exceptions: int = 0
    summaries: int = 0
    seconds: float = 0.0
    chunk_cpu_seconds: float = 0.0  # CPU spent loading and computing, summed over processes
    peak_worker_rss_mib: float = 0.0  # largest worker process (parallel runs only)


# --- Guards ---------------------------------------------------------------------------


def _months_of(dates: Iterable[dt.date]) -> set[tuple[int, int]]:
    return {(d.year, d.month) for d in dates}


def locked_months(*, company: Company, months: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    wanted = set(months)
    if not wanted:
        return set()
    rows = AttendanceMonth.objects.filter(
        company=company,
        status=AttendanceMonth.Status.LOCKED,
        year__in={y for y, _m in wanted},
        month__in={m for _y, m in wanted},
    ).values_list("year", "month")
    return {(y, m) for y, m in rows if (y, m) in wanted}


def month_locked_check(*, company: Company, dates: Iterable[dt.date]) -> None:
    """Refuse any change to a day of a locked month (409)."""
    locked = locked_months(company=company, months=_months_of(dates))
    if locked:
        year, month = min(locked)
        raise ServiceError(
            _("该月考勤已锁定，请先重新打开") + f" ({year}-{month:02d})",
            code="month_locked",
            status=409,
        )


# --- The engine, and what the loader adds ------------------------------------------------


def day_result(loaded: LoadedDay) -> DayResult:
    """The engine's result, marked as an exception when the calendar had no row for the date."""
    result = engine.day_compute(loaded.day)
    if not loaded.calendar_missing:
        return result
    reason = Reason(
        "calendar_missing",
        {
            "date": loaded.day.date.isoformat(),
            "region": loaded.calendar_region,
            "assumed": str(loaded.day.day_kind),
        },
    )
    return dataclasses.replace(
        result,
        status=DayStatus.EXCEPTION,
        flags=(*result.flags, "calendar_missing"),
        reasons=(reason, *result.reasons),
    )


_JSON = json.JSONEncoder(check_circular=False, separators=(", ", ": "))
_json_str = json.encoder.encode_basestring_ascii  # the C encoder json.dumps uses for str


def _json_value(value: object) -> str:
    if type(value) is int:
        return str(value)
    if isinstance(value, str):
        return _json_str(value)
    return _JSON.encode(value)


#: JSON of one reason by its code and params: lines repeat across people and days
#: ("scheduled 480 min, 09:00–18:00", "break deducted 60 min"), so most are written once.
_REASON_JSON: dict[tuple[Any, ...], str] = {}
_REASON_JSON_MAX = 200_000


def _reason_json(reason: Reason) -> str:
    params = ", ".join(
        f"{_json_str(key)}: {_json_value(value)}" for key, value in reason.params.items()
    )
    return f'{{"code": {_json_str(reason.code)}, "params": {{{params}}}}}'


def _reasons_text(reasons: Iterable[Reason]) -> str:
    """The reasons as JSON ``[{"code": ..., "params": {...}}]``, as ``json.dumps`` writes it
    (ASCII, the same separators), one stored day at a time.

    The cache relies on params being ``str`` or ``int`` (``Reason``'s type): a line
    holding anything else is written but not cached (``True == 1`` would share a key).
    """
    parts = []
    cache = _REASON_JSON
    for reason in reasons:
        key = (reason.code, *reason.params.items())
        text = cache.get(key)
        if text is None:
            text = _reason_json(reason)
            if all(type(v) is int or type(v) is str for v in reason.params.values()):
                if len(cache) >= _REASON_JSON_MAX:
                    cache.clear()
                cache[key] = text
        parts.append(text)
    return f"[{', '.join(parts)}]"


@lru_cache(maxsize=65536)
def _sqlite_minute(minute: int) -> str:
    """An epoch minute as SQLite stores a datetime: naive UTC text."""
    return (_NAIVE_EPOCH + dt.timedelta(minutes=minute)).isoformat(" ")


_NAIVE_EPOCH = dt.datetime(1970, 1, 1)
_UTC_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class _Writer:
    """How values go into the database without the ORM's per-field preparation.

    JSON is sent as text (PostgreSQL casts it in the statement); datetimes are
    naive UTC text on SQLite, as Django stores them, and aware objects elsewhere.
    """

    vendor: str

    def instant(self, value: dt.datetime | None) -> Any:
        if value is None or self.vendor != "sqlite":
            return value
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")

    def minute(self, value: int | None) -> Any:
        """An engine instant (whole UTC epoch minutes)."""
        if value is None:
            return None
        if self.vendor == "sqlite":
            return _sqlite_minute(value)
        return _UTC_EPOCH + dt.timedelta(minutes=value)

    def day(self, value: dt.date) -> Any:
        return value.isoformat() if self.vendor == "sqlite" else value

    def placeholders(self, columns: Sequence[str], json_columns: frozenset[str]) -> str:
        cast = "::jsonb" if self.vendor == "postgresql" else ""
        return ", ".join(f"%s{cast}" if c in json_columns else "%s" for c in columns)


JSON_COLUMNS = frozenset({"flags", "reasons"})


def _writer() -> _Writer:
    return _Writer(connections[router.db_for_write(DailyAttendance)].vendor)


def _daily_row(
    writer: _Writer,
    company_id: int,
    loaded: LoadedDay,
    result: DayResult,
    now: Any,
    flags_json: dict[tuple[str, ...], str],
) -> tuple[Any, ...]:
    rule = loaded.day.rule
    flags = flags_json.get(result.flags)
    if flags is None:
        flags = flags_json[result.flags] = json.dumps(list(result.flags))
    return (
        company_id,
        result.employee_id,
        writer.day(result.date),
        str(result.day_kind),
        str(result.status),
        loaded.day.time_zone,
        str(rule.system) if rule is not None else "",
        result.scheduled_minutes,
        result.worked_minutes,
        result.late_minutes,
        result.early_minutes,
        result.absent_minutes,
        result.leave_minutes,
        result.missing_punch,
        result.overtime_workday_minutes,
        result.overtime_rest_day_minutes,
        result.overtime_holiday_minutes,
        result.unapproved_overtime_minutes,
        result.comp_leave_minutes,
        result.night_minutes,
        result.night_allowance,
        writer.minute(result.first_punch_minute),
        writer.minute(result.last_punch_minute),
        flags,
        _reasons_text(result.reasons),
        now,
    )


def _insert(table_model: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """One ``COPY`` on PostgreSQL, one ``executemany`` elsewhere: ``bulk_create`` would
    spend most of the time preparing fields."""
    if not rows:
        return
    connection = connections[router.db_for_write(table_model)]
    ops = connection.ops
    table = ops.quote_name(table_model._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    if connection.vendor == "postgresql":
        # COPY's text format: JSON goes in as its text, None as NULL.
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    values = _Writer(connection.vendor).placeholders(columns, JSON_COLUMNS)
    sql = f"INSERT INTO {table} ({names}) VALUES ({values})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@dataclass(frozen=True)
class _MonthSpec:
    """What a chunk needs to summarise its employees' month as well."""

    year: int
    month: int
    month_id: int
    policy: MonthPolicy


@dataclass
class _ChunkOutput:
    employee_ids: list[int]
    rows: list[tuple[Any, ...]]
    exceptions: int
    summary_rows: list[tuple[Any, ...]]
    comp_leave: dict[tuple[int, dt.date], int]
    cpu_seconds: float = 0.0
    maxrss_kib: int = 0


def _chunk_output(
    context: CompanyContext,
    employee_ids: list[int],
    dates: Sequence[dt.date] | None,
    now: Any,
    month: _MonthSpec | None,
) -> _ChunkOutput:
    """Load, compute and turn one chunk into rows (no writes: this may run in a worker)."""
    cpu_started = time.process_time()
    writer = _writer()
    company_id = context.company.id
    rows: list[tuple[Any, ...]] = []
    exceptions = 0
    flags_json: dict[tuple[str, ...], str] = {}
    # Days with nothing recorded (rest days, days off, absences) repeat across people:
    # the engine runs once per distinct rule, zone, date and calendar entry.
    blank: dict[tuple[Any, ...], DayResult] = {}
    by_employee: dict[int, list[DayResult]] = {}
    schedule_of: dict[int, int] = {}
    comp_leave: dict[tuple[int, dt.date], int] = {}
    for loaded in day_inputs_load(context=context, employee_ids=employee_ids, dates=dates):
        day = loaded.day
        if day.punches or day.activities or day.leaves or day.approved_overtime:
            result = day_result(loaded)
        else:
            key = (
                day.date, day.time_zone, day.day_kind, id(day.rule), day.holiday_name,
                loaded.calendar_missing, loaded.calendar_region, id(day.activity_rule),
            )  # fmt: skip
            cached = blank.get(key)
            if cached is None:
                cached = blank[key] = day_result(loaded)
            result = engine.day_result_for_employee(cached, day.employee_id)
        if result.status == DayStatus.EXCEPTION:
            exceptions += 1
        if result.comp_leave_minutes:
            comp_leave[(result.employee_id, result.date)] = result.comp_leave_minutes
        rows.append(_daily_row(writer, company_id, loaded, result, now, flags_json))
        if month is not None:
            by_employee.setdefault(result.employee_id, []).append(result)
            if loaded.schedule_id is not None:
                schedule_of[result.employee_id] = loaded.schedule_id  # the last day's rule wins
    summary_rows: list[tuple[Any, ...]] = []
    if month is not None:
        policies: dict[int, MonthPolicy] = {}
        by_schedule: dict[int | None, MonthPolicy] = {}
        for employee_id in by_employee:
            schedule_id = schedule_of.get(employee_id)
            policy = by_schedule.get(schedule_id)
            if policy is None:
                schedule = context.schedules.get(schedule_id) if schedule_id else None
                policy = by_schedule[schedule_id] = _policy_for(month.policy, schedule)
            policies[employee_id] = policy
        before, missing = _period_days_load(
            company=context.company, year=month.year, month=month.month, policies=policies
        )
        for employee_id, days in by_employee.items():
            summary = engine.month_summarize(
                employee_id=employee_id,
                year=month.year,
                month=month.month,
                days=days,
                policy=policies[employee_id],
                period_days=before.get(employee_id, ()),
                period_days_missing=missing.get(employee_id, 0),
            )
            summary_rows.append(_summary_row(company_id, month.month_id, summary, now))
    return _ChunkOutput(
        employee_ids,
        rows,
        exceptions,
        summary_rows,
        comp_leave,
        cpu_seconds=time.process_time() - cpu_started,
        maxrss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    )


def _period_days_load(
    *, company: Company, year: int, month: int, policies: dict[int, MonthPolicy]
) -> tuple[dict[int, list[DayResult]], dict[int, int]]:
    """Stored results of the comprehensive-hours period's days before this month.

    For people whose period is a week, quarter or year (``engine.comprehensive_period_start``):
    {employee: the days' results}, and {employee: how many days of their employment in
    that stretch have no stored result} (the month close flags those, never a silent zero).
    """
    first = dt.date(year, month, 1)
    starts: dict[dt.date, list[int]] = {}
    for employee_id, policy in policies.items():
        if policy.comprehensive_period_minutes is None or policy.comprehensive_period == "month":
            continue
        start = engine.comprehensive_period_start(policy.comprehensive_period, year, month)
        if start < first:
            starts.setdefault(start, []).append(employee_id)
    before: dict[int, list[DayResult]] = {}
    missing: dict[int, int] = {}
    for start, ids in starts.items():
        rows = (
            DailyAttendance.objects.filter(
                company=company, employee_id__in=ids, date__gte=start, date__lt=first
            )
            .order_by("employee_id", "date")
            .values_list(
                "employee_id", "date", "day_kind", "status", "scheduled_minutes",
                "worked_minutes", "leave_minutes", "overtime_holiday_minutes",
            )
        )  # fmt: skip
        for eid, date, kind, status, scheduled, worked, leave, holiday in rows:
            before.setdefault(eid, []).append(
                DayResult(
                    employee_id=eid,
                    date=date,
                    day_kind=engine.DayKind(kind),
                    status=DayStatus(status),
                    scheduled_minutes=scheduled,
                    worked_minutes=worked,
                    leave_minutes=leave,
                    overtime_holiday_minutes=holiday,
                )
            )
        employment = Employee.objects.filter(company=company, id__in=ids).values_list(
            "id", "hire_date", "termination_date"
        )
        for eid, hired, left in employment:
            span_start = max(start, hired)
            span_end = first - dt.timedelta(days=1)
            if left is not None:
                span_end = min(span_end, left)
            owed = max(0, (span_end - span_start).days + 1)
            found = len(before.get(eid, ()))
            if owed > found:
                missing[eid] = owed - found
    return before, missing


def _stale_remove(
    *,
    context: CompanyContext,
    employee_ids: Sequence[int] | None,
    dates: Sequence[dt.date] | None,
) -> set[tuple[int, dt.date]]:
    """Delete the stored days about to be recomputed; returns the days that had earned comp leave.

    Runs before anything is inserted, so each statement only meets the old rows
    (``employee_ids=None``: the whole company's range in one statement).
    """
    stale = DailyAttendance.objects.filter(company=context.company).order_by()
    if employee_ids is not None:
        stale = stale.filter(employee_id__in=list(employee_ids))
    if dates is None:
        stale = stale.filter(date__gte=context.start, date__lte=context.end)
    else:
        stale = stale.filter(date__in=list(dates))
    earned = set(stale.filter(comp_leave_minutes__gt=0).values_list("employee_id", "date"))
    stale.delete()
    return earned


def _chunk_store(
    *,
    context: CompanyContext,
    output: _ChunkOutput,
    dates: Sequence[dt.date] | None,
    actor: User | None,
    earned_before: set[tuple[int, dt.date]] | None = None,
) -> None:
    """Store one chunk's days (and summaries) and settle its comp leave.

    ``earned_before=None``: the chunk's old days are replaced here (one employee's
    recompute); otherwise ``_stale_remove`` has already removed them.
    """
    if earned_before is None:
        earned_before = _stale_remove(
            context=context, employee_ids=output.employee_ids, dates=dates
        )
    chunk_ids = set(output.employee_ids)
    _insert(DailyAttendance, DAILY_COLUMNS, output.rows)
    _insert(MonthlySummary, SUMMARY_COLUMNS, output.summary_rows)
    settled = {key: 0 for key in earned_before if key[0] in chunk_ids}
    _comp_leave_hand_off(
        company=context.company, minutes={**settled, **output.comp_leave}, actor=actor
    )


def _comp_leave_hand_off(
    *, company: Company, minutes: dict[tuple[int, dt.date], int], actor: User | None
) -> None:
    """Rest-day overtime taken as comp leave goes to the comp-leave ledger (REQUESTS' service);
    a day that no longer earns any is settled with zero minutes."""
    if not minutes:
        return
    try:
        overtime = importlib.import_module("jixiao.attendance.services.overtime")
    except ImportError:
        return
    earn: Callable[..., Any] | None = getattr(overtime, "comp_leave_earn", None)
    if earn is None:
        return
    for (employee_id, work_date), earned in sorted(minutes.items()):
        earn(
            company=company,
            employee_id=employee_id,
            work_date=work_date,
            minutes=earned,
            actor=actor,
        )


def _company_employee_ids(company: Company, start: dt.date, end: dt.date) -> list[int]:
    """Everyone employed at some point of [start, end]."""
    rows = (
        Employee.objects.filter(company=company, hire_date__lte=end)
        .exclude(termination_date__lt=start)
        .exclude(status=EmployeeStatus.LEFT, termination_date__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return list(rows)


# --- Parallel chunks ------------------------------------------------------------------------

PARALLEL_MIN_EMPLOYEES = 1000


def _workers_for(employees: int, parallel_allowed: bool) -> int:
    """Worker processes for a compute: one per CPU for big committed-data runs, else none.

    Workers read through their own connections, so they only see committed rows:
    a caller inside a transaction (tests, a larger service) gets the serial path,
    as does an in-memory SQLite database.
    """
    configured = int(getattr(settings, "ATTENDANCE_COMPUTE_WORKERS", 0) or os.cpu_count() or 1)
    if not parallel_allowed or configured < 2 or employees < PARALLEL_MIN_EMPLOYEES:
        return 1
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return 1
    connection = connections[router.db_for_write(DailyAttendance)]
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite" and (not name or ":memory:" in name or "mode=memory" in name):
        return 1
    return configured


def _run(
    *,
    company: Company,
    start: dt.date,
    end: dt.date,
    employee_ids: Sequence[int],
    actor: User | None,
    month: _MonthSpec | None = None,
    parallel_allowed: bool = False,
    whole_company: bool = False,
) -> ComputeStats:
    """Compute ``employee_ids`` over [start, end] in chunks, in worker processes when worth it.

    ``whole_company``: the ids are everyone employed in the range, so the old
    rows of the range are removed with one statement.
    """
    started = time.perf_counter()
    context = company_context_load(company=company, start=start, end=end)
    now = _writer().instant(timezone.now())
    chunks = [
        list(employee_ids[offset : offset + CHUNK_SIZE])
        for offset in range(0, len(employee_ids), CHUNK_SIZE)
    ]
    workers = _workers_for(len(employee_ids), parallel_allowed)
    days = exceptions = summaries = 0
    cpu = 0.0
    worker_rss = 0

    earned_before: set[tuple[int, dt.date]] = set()

    def stale_remove() -> None:
        nonlocal earned_before
        if whole_company:
            earned_before = _stale_remove(context=context, employee_ids=None, dates=None)
        else:
            for chunk in chunks:
                earned_before |= _stale_remove(context=context, employee_ids=chunk, dates=None)

    def store(output: _ChunkOutput) -> None:
        nonlocal days, exceptions, summaries, cpu, worker_rss
        _chunk_store(
            context=context, output=output, dates=None, actor=actor, earned_before=earned_before
        )
        days += len(output.rows)
        exceptions += output.exceptions
        summaries += len(output.summary_rows)
        cpu += output.cpu_seconds
        worker_rss = max(worker_rss, output.maxrss_kib)

    gc.disable()  # nothing here makes reference cycles; collections only cost time
    with bulk_write_cache():
        try:
            if workers > 1:
                job = pickle.dumps((context, None, now, month))
                pool_context = multiprocessing.get_context("forkserver")
                pool_context.set_forkserver_preload([])
                with pool_context.Pool(
                    min(workers, len(chunks)), initializer=compute_worker.init, initargs=(job,)
                ) as pool:
                    # The workers start (Django set-up, the job) and compute the first chunks
                    # while this process removes the old rows; chunks are stored in the order
                    # they finish, so one slow chunk never holds up the others.
                    outputs = pool.imap_unordered(compute_worker.chunk, chunks)
                    stale_remove()
                    for output in outputs:
                        store(output)
            else:
                stale_remove()
                for chunk in chunks:
                    store(_chunk_output(context, chunk, None, now, month))
        finally:
            gc.enable()
    return ComputeStats(
        employees=len(employee_ids),
        days=days,
        exceptions=exceptions,
        summaries=summaries,
        seconds=round(time.perf_counter() - started, 3),
        chunk_cpu_seconds=round(cpu, 2),
        peak_worker_rss_mib=round(worker_rss / 1024, 1) if workers > 1 else 0.0,
    )


def _outside_transaction() -> bool:
    return not connections[router.db_for_write(DailyAttendance)].in_atomic_block


def daily_attendance_compute(
    *,
    company: Company,
    start: dt.date,
    end: dt.date,
    employee_ids: Sequence[int] | None = None,
    actor: User | None = None,
) -> ComputeStats:
    """Compute and store every employee-day of [start, end] (or of ``employee_ids``)."""
    return _daily_attendance_compute(
        company=company,
        start=start,
        end=end,
        employee_ids=employee_ids,
        actor=actor,
        parallel_allowed=_outside_transaction(),
    )


@transaction.atomic
def _daily_attendance_compute(
    *,
    company: Company,
    start: dt.date,
    end: dt.date,
    employee_ids: Sequence[int] | None,
    actor: User | None,
    parallel_allowed: bool,
) -> ComputeStats:
    if end < start:
        raise ServiceError(
            _("结束日期早于开始日期"),
            code="invalid_range",
            status=400,
            fields={"end": [_("结束日期早于开始日期")]},
        )
    dates = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    month_locked_check(company=company, dates=dates)
    ids = (
        list(employee_ids)
        if employee_ids is not None
        else _company_employee_ids(company, start, end)
    )
    stats = _run(
        company=company,
        start=start,
        end=end,
        employee_ids=ids,
        actor=actor,
        parallel_allowed=parallel_allowed,
        whole_company=employee_ids is None,
    )
    audit_record(
        company=company,
        actor=actor,
        action="attendance.daily.compute",
        object_type="attendance.dailyattendance",
        object_repr=f"{start.isoformat()}–{end.isoformat()}",
        changes={
            "start": [None, start.isoformat()],
            "end": [None, end.isoformat()],
            "employees": [None, stats.employees],
            "days": [None, stats.days],
            "exceptions": [None, stats.exceptions],
        },
    )
    return stats


_AUDITED_DAY_FIELDS = (
    "status", "worked_minutes", "late_minutes", "early_minutes", "absent_minutes",
    "missing_punch", "overtime_workday_minutes", "overtime_rest_day_minutes",
    "overtime_holiday_minutes", "night_minutes",
)  # fmt: skip


#: Dates attendance can be computed for: calendars are seeded from 2004, the engine's
#: neighbouring-day window needs room on both sides, and one recompute stays small.
RECOMPUTE_FIRST_DATE = dt.date(2000, 1, 1)
RECOMPUTE_LAST_DATE = dt.date(2100, 12, 31)
RECOMPUTE_MAX_SPAN_DAYS = 366


def _recompute_dates_check(wanted: Sequence[dt.date]) -> None:
    if wanted[0] < RECOMPUTE_FIRST_DATE or wanted[-1] > RECOMPUTE_LAST_DATE:
        message = _("日期须在 %(first)s 至 %(last)s 之间。") % {
            "first": RECOMPUTE_FIRST_DATE.isoformat(),
            "last": RECOMPUTE_LAST_DATE.isoformat(),
        }
        raise ServiceError(message, code="invalid", status=422, fields={"dates": [message]})
    if (wanted[-1] - wanted[0]).days >= RECOMPUTE_MAX_SPAN_DAYS:
        message = _("一次重算的日期跨度不能超过 %(days)s 天。") % {"days": RECOMPUTE_MAX_SPAN_DAYS}
        raise ServiceError(message, code="invalid", status=422, fields={"dates": [message]})


@transaction.atomic
def daily_attendance_recompute(
    *,
    company: Company,
    employee: Employee,
    dates: Iterable[dt.date],
    actor: User | None = None,
) -> list[DailyAttendance]:
    """Recompute one employee's days after a punch, approval or correction; returns the rows."""
    wanted = sorted(set(dates))
    if not wanted:
        return []
    _recompute_dates_check(wanted)
    month_locked_check(company=company, dates=wanted)
    before = {
        row["date"]: row
        for row in DailyAttendance.objects.filter(
            company=company, employee=employee, date__in=wanted
        )
        .order_by()
        .values("date", *_AUDITED_DAY_FIELDS)
    }
    context = company_context_load(company=company, start=wanted[0], end=wanted[-1])
    now = _writer().instant(timezone.now())
    output = _chunk_output(context, [employee.id], wanted, now, None)
    _chunk_store(context=context, output=output, dates=wanted, actor=actor)
    rows = list(
        DailyAttendance.objects.filter(
            company=company, employee=employee, date__in=wanted
        ).order_by("date")
    )
    changes: dict[str, list[Any]] = {}
    for row in rows:
        old = before.get(row.date, {})
        old_values = {f: old.get(f) for f in _AUDITED_DAY_FIELDS}
        new_values = {f: getattr(row, f) for f in _AUDITED_DAY_FIELDS}
        for key, pair in diff(old_values, new_values).items():
            changes[f"{row.date.isoformat()}.{key}"] = pair
    if changes:
        audit_record(
            company=company,
            actor=actor,
            action="attendance.daily.recompute",
            obj=employee,
            changes=changes,
        )
    return rows


# --- The month ----------------------------------------------------------------------------


def month_dates(year: int, month: int) -> tuple[dt.date, dt.date]:
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ServiceError(
            _("月份无效"), code="invalid_month", status=400, fields={"month": [_("月份无效")]}
        )
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, 1), dt.date(year, month, last)


def month_policy_base(company: Company) -> MonthPolicy:
    policy = AttendancePolicy.objects.filter(company=company).first()
    if policy is None:
        return MonthPolicy()
    return MonthPolicy(
        lates_per_half_day_absence=policy.lates_per_half_day_absence,
        late_free_count=policy.late_free_count,
        monthly_overtime_cap_minutes=policy.monthly_overtime_cap_minutes,
    )


def _policy_for(base: MonthPolicy, schedule: WorkSchedule | None) -> MonthPolicy:
    """The company's month rules plus the employee's schedule: comprehensive period, allowance."""
    if schedule is None:
        return base
    period_minutes = None
    period = str(schedule.period or WorkSchedule.Period.MONTH)
    if schedule.system == System.COMPREHENSIVE and schedule.period in engine.COMPREHENSIVE_PERIODS:
        period_minutes = (
            schedule.period_standard_minutes or engine.COMPREHENSIVE_STANDARD_MINUTES[period]
        )
    return dataclasses.replace(
        base,
        comprehensive_period_minutes=period_minutes,
        comprehensive_period=period,
        night_allowance_per_hour=Decimal(schedule.night_allowance_per_hour),
    )


def _summary_row(company_id: int, month_id: int, result: MonthResult, now: Any) -> tuple[Any, ...]:
    return (
        company_id,
        month_id,
        result.employee_id,
        result.scheduled_days,
        result.punched_days,
        result.punch_rate,
        result.worked_minutes,
        result.late_count,
        result.late_minutes,
        result.early_count,
        result.early_minutes,
        result.absent_days,
        result.penalty_absent_days,
        result.missing_punch_count,
        result.leave_minutes,
        result.overtime_workday_minutes,
        result.overtime_rest_day_minutes,
        result.overtime_holiday_minutes,
        result.comp_leave_minutes,
        result.night_minutes,
        result.night_allowance,
        json.dumps(list(result.flags)),
        _reasons_text(result.reasons),
        False,
        now,
    )


def attendance_month_get(*, company: Company, year: int, month: int) -> AttendanceMonth:
    month_dates(year, month)
    found, _created = AttendanceMonth.objects.get_or_create(company=company, year=year, month=month)
    return found


def attendance_month_compute(
    *, company: Company, year: int, month: int, actor: User | None
) -> ComputeStats:
    """Compute every day of the month for everyone employed in it, then each person's summary."""
    return _attendance_month_compute(
        company=company,
        year=year,
        month=month,
        actor=actor,
        parallel_allowed=_outside_transaction(),
    )


@transaction.atomic
def _attendance_month_compute(
    *, company: Company, year: int, month: int, actor: User | None, parallel_allowed: bool
) -> ComputeStats:
    start, end = month_dates(year, month)
    attendance_month = attendance_month_get(company=company, year=year, month=month)
    attendance_month = AttendanceMonth.objects.select_for_update().get(pk=attendance_month.pk)
    if attendance_month.status == AttendanceMonth.Status.LOCKED:
        raise ServiceError(_("该月考勤已锁定，请先重新打开"), code="month_locked", status=409)
    ids = _company_employee_ids(company, start, end)
    MonthlySummary.objects.filter(company=company, attendance_month=attendance_month).delete()
    spec = _MonthSpec(year, month, attendance_month.id, month_policy_base(company))
    stats = _run(
        company=company,
        start=start,
        end=end,
        employee_ids=ids,
        actor=actor,
        month=spec,
        parallel_allowed=parallel_allowed,
        whole_company=True,
    )
    statistics_refresh(DailyAttendance)
    now = timezone.now()
    before = {"computed_at": attendance_month.computed_at}
    attendance_month.computed_at = now
    attendance_month.save(update_fields=["computed_at"])
    audit_record(
        company=company,
        actor=actor,
        action="attendance.month.compute",
        obj=attendance_month,
        changes={
            **diff(before, {"computed_at": now}),
            "employees": [None, stats.employees],
            "days": [None, stats.days],
            "exceptions": [None, stats.exceptions],
        },
    )
    return stats


def attendance_month_counts(*, company: Company, year: int, month: int) -> dict[str, int]:
    """What HR reviews before the lock: employees, days, exceptions and their kinds."""
    start, end = month_dates(year, month)
    days = DailyAttendance.objects.filter(company=company, date__gte=start, date__lte=end)
    exceptions = days.filter(status=DayStatus.EXCEPTION)
    counts = {
        "days": days.count(),
        "exceptions": exceptions.count(),
        "employees_with_exceptions": exceptions.values("employee_id").distinct().count(),
        "summaries": MonthlySummary.objects.filter(
            company=company, attendance_month__year=year, attendance_month__month=month
        ).count(),
    }
    return counts


def _month_for_update(company: Company, year: int, month: int) -> AttendanceMonth:
    found = attendance_month_get(company=company, year=year, month=month)
    return AttendanceMonth.objects.select_for_update().get(pk=found.pk)


@transaction.atomic
def attendance_month_review(
    *, company: Company, year: int, month: int, actor: User | None
) -> AttendanceMonth:
    """Move a computed month into HR review and mark its summaries reviewed."""
    attendance_month = _month_for_update(company, year, month)
    if attendance_month.status == AttendanceMonth.Status.LOCKED:
        raise ServiceError(_("该月考勤已锁定，请先重新打开"), code="month_locked", status=409)
    if attendance_month.computed_at is None:
        raise ServiceError(_("请先计算该月考勤"), code="month_not_computed", status=409)
    before = {"status": attendance_month.status}
    attendance_month.status = AttendanceMonth.Status.REVIEW
    attendance_month.save(update_fields=["status"])
    MonthlySummary.objects.filter(company=company, attendance_month=attendance_month).update(
        reviewed=True
    )
    audit_record(
        company=company,
        actor=actor,
        action="attendance.month.review",
        obj=attendance_month,
        changes=diff(before, {"status": attendance_month.status}),
    )
    return attendance_month


@transaction.atomic
def attendance_month_lock(
    *, company: Company, year: int, month: int, actor: User | None, confirm: bool = False
) -> AttendanceMonth:
    """Lock the month; with unresolved exceptions HR must confirm (the counts are in the error)."""
    attendance_month = _month_for_update(company, year, month)
    if attendance_month.status == AttendanceMonth.Status.LOCKED:
        raise ServiceError(_("该月考勤已锁定"), code="month_locked", status=409)
    if attendance_month.computed_at is None:
        raise ServiceError(_("请先计算该月考勤"), code="month_not_computed", status=409)
    counts = attendance_month_counts(company=company, year=year, month=month)
    if counts["exceptions"] and not confirm:
        message = _("还有 %(days)s 个异常考勤日（涉及 %(people)s 人），确认后仍可锁定") % {
            "days": counts["exceptions"],
            "people": counts["employees_with_exceptions"],
        }
        raise ServiceError(
            message, code="month_has_exceptions", status=409, fields={"confirm": [message]}
        )
    before = {"status": attendance_month.status, "locked_at": attendance_month.locked_at}
    attendance_month.status = AttendanceMonth.Status.LOCKED
    attendance_month.locked_by = actor
    attendance_month.locked_at = timezone.now()
    attendance_month.save(update_fields=["status", "locked_by", "locked_at"])
    audit_record(
        company=company,
        actor=actor,
        action="attendance.month.lock",
        obj=attendance_month,
        changes={
            **diff(
                before,
                {"status": attendance_month.status, "locked_at": attendance_month.locked_at},
            ),
            "open_exceptions": [None, counts["exceptions"]],
        },
    )
    attendance_month_locked.send(
        sender=AttendanceMonth, company=company, year=year, month=month, actor=actor
    )
    return attendance_month


@transaction.atomic
def attendance_month_reopen(
    *, company: Company, year: int, month: int, reason: str, actor: User | None
) -> AttendanceMonth:
    """Reopen a locked month for corrections: a reason is required and audited."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("请填写重新打开的原因"),
            code="reason_required",
            status=400,
            fields={"reason": [_("请填写重新打开的原因")]},
        )
    attendance_month = _month_for_update(company, year, month)
    if attendance_month.status != AttendanceMonth.Status.LOCKED:
        raise ServiceError(_("该月考勤未锁定"), code="month_not_locked", status=409)
    before = {"status": attendance_month.status, "reopen_count": attendance_month.reopen_count}
    attendance_month.status = AttendanceMonth.Status.OPEN
    attendance_month.reopen_count += 1
    attendance_month.save(update_fields=["status", "reopen_count"])
    audit_record(
        company=company,
        actor=actor,
        action="attendance.month.reopen",
        obj=attendance_month,
        changes=diff(
            before,
            {"status": attendance_month.status, "reopen_count": attendance_month.reopen_count},
        ),
        reason=reason,
    )
    return attendance_month


# --- Hand-off to KPIs and pay -----------------------------------------------------------------


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / HOURS).quantize(Decimal("0.01"))


def monthly_summary_metrics(summary: MonthlySummary) -> dict[str, Decimal]:
    """The month as metric values: what indicators (issue 5, e.g. 打卡率 ≥ 90 %) and pay read.

    Keys are stable metric codes; hours have two decimals, punch_rate is a percentage.
    """
    return {
        "punch_rate": Decimal(summary.punch_rate),
        "scheduled_days": Decimal(summary.scheduled_days),
        "punched_days": Decimal(summary.punched_days),
        "worked_hours": _hours(summary.worked_minutes),
        "late_count": Decimal(summary.late_count),
        "late_minutes": Decimal(summary.late_minutes),
        "early_count": Decimal(summary.early_count),
        "absent_days": Decimal(summary.absent_days),
        "penalty_absent_days": Decimal(summary.penalty_absent_days),
        "missing_punch_count": Decimal(summary.missing_punch_count),
        "leave_hours": _hours(summary.leave_minutes),
        "overtime_workday_hours": _hours(summary.overtime_workday_minutes),
        "overtime_rest_day_hours": _hours(summary.overtime_rest_day_minutes),
        "overtime_holiday_hours": _hours(summary.overtime_holiday_minutes),
        "comp_leave_hours": _hours(summary.comp_leave_minutes),
        "night_hours": _hours(summary.night_minutes),
        "night_allowance": Decimal(summary.night_allowance),
    }
