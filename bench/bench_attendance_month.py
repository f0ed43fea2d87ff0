"""Benchmark: compute one attendance month for N employees (issue 4: 10,000 in ≤ 20 s, ≤ 1 GiB).

``run(employees=10000, seed=…)`` generates a company (``bench.generator``), gives
its people a mix of working-hour systems — standard office hours, flexible hours
with core time, a four-on-two-off rotation of 12-hour day and overnight shifts,
comprehensive hours, unfixed hours, and the generator's staff abroad in their own
zones — writes about 88 device punches per person for March 2026 (≈ 880,000 rows)
with ``executemany``, then times ``attendance_month_compute``: every employee-day
through the engine, stored, and every month summarised.

Peak memory is the maximum resident set size (``resource.getrusage``) of the
process and, separately, of the largest worker process the compute forks (one
per CPU for big months, reported by the workers); the data set is written in
chunks. ``cpu_seconds_chunks`` is the CPU time of loading and computing, summed
over the processes that did it; on PostgreSQL ``cpu_seconds_database_writes`` is
the server's CPU for the writing connection. The 1-minute load
average is recorded because other work on the machine slows the figures.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
import os
import random
import resource
import sys
import time
from typing import Any
from zoneinfo import ZoneInfo

YEAR, MONTH = 2026, 3
SHIFT_CODES = ["D", "D", "N", "N", "", ""]
#: (system share of the staff in percent, name)
MIX = (("standard", 55), ("flexible", 15), ("shift", 18), ("comprehensive", 7), ("unfixed", 5))


def _maxrss_mib(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    return round(usage / divisor, 1)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _database_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend (a server on this machine), else None.

    The month compute's writes run there (COPY, index upkeep, JSON parsing): CPU the
    2 cores spend that ``cpu_seconds_*`` do not show. Workers' read connections are
    not included.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if b"postgres" not in cmdline.read():
                return None  # the server runs elsewhere: that pid is not its backend
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _calendars(company: Any) -> None:
    from jixiao.attendance.models import CalendarDay, CalendarYear, WorkCalendar

    for region, default in (("CN", True), ("DE", False)):
        work_calendar = WorkCalendar.objects.create(
            company=company, region=region, name=region, is_default=default
        )
        CalendarYear.objects.create(company=company, calendar=work_calendar, year=YEAR)
        days = []
        for number in range(1, pycalendar.monthrange(YEAR, MONTH)[1] + 1):
            day = dt.date(YEAR, MONTH, number)
            kind = "rest_day" if day.weekday() >= 5 else "workday"
            days.append(CalendarDay(company=company, calendar=work_calendar, date=day, kind=kind))
        CalendarDay.objects.bulk_create(days)


def _schedules(company: Any) -> dict[str, Any]:
    from jixiao.attendance.models import RotationPattern, ShiftType, WorkSchedule

    office = WorkSchedule.objects.create(
        company=company,
        name="办公室 9–18",
        system="standard",
        blocks=[["09:00", "18:00"]],
        breaks=[["12:00", "13:00"]],
        grace_late_minutes=5,
        night_allowance_per_hour=20,
    )
    flexible = WorkSchedule.objects.create(
        company=company,
        name="弹性 核心9–12",
        system="flexible",
        core_start=dt.time(9),
        core_end=dt.time(12),
        flex_earliest=dt.time(7),
        flex_latest=dt.time(21),
        night_allowance_per_hour=20,
    )
    shifts = WorkSchedule.objects.create(company=company, name="两班倒 12 小时", system="shift")
    comprehensive = WorkSchedule.objects.create(
        company=company,
        name="综合工时 月",
        system="comprehensive",
        period="month",
        period_standard_minutes=9922,
    )
    unfixed = WorkSchedule.objects.create(
        company=company, name="不定时", system="unfixed", punch_required=False
    )
    ShiftType.objects.create(
        company=company,
        code="D",
        name="白班",
        blocks=[["08:00", "20:00"]],
        breaks=[["12:00", "13:00"]],
    )
    ShiftType.objects.create(
        company=company,
        code="N",
        name="夜班",
        blocks=[["20:00", "08:00"]],
        breaks=[["00:00", "01:00"]],
    )
    rotation = RotationPattern.objects.create(
        company=company, name="四班二休", sequence=SHIFT_CODES
    )
    return {
        "standard": office,
        "flexible": flexible,
        "shift": shifts,
        "comprehensive": comprehensive,
        "unfixed": unfixed,
        "rotation": rotation,
    }


def _day_punches(
    rng: random.Random, system: str, day: dt.date, offset: int, zone: ZoneInfo
) -> list[dt.datetime]:
    """A person's device punches of one day in local time (4 on a working day), as UTC."""
    weekday_work = day.weekday() < 5
    if system == "shift":
        code = SHIFT_CODES[(day.day - 1 + offset) % len(SHIFT_CODES)]
        if not code:
            return []
        start = dt.datetime.combine(day, dt.time(8 if code == "D" else 20))
        span = dt.timedelta(hours=12)
        breaks = (dt.timedelta(hours=4), dt.timedelta(hours=5))
    elif not weekday_work:
        if rng.random() >= 0.04:  # a few come in at the weekend
            return []
        start = dt.datetime.combine(day, dt.time(10))
        span = dt.timedelta(hours=5)
        breaks = (dt.timedelta(hours=2), dt.timedelta(hours=2, minutes=30))
    else:
        first = dt.time(8, 30) if system == "flexible" else dt.time(9)
        start = dt.datetime.combine(day, first)
        span = dt.timedelta(hours=9)
        breaks = (dt.timedelta(hours=3), dt.timedelta(hours=4))
    roll = rng.random()
    if roll < 0.015:
        return []  # absent
    arrival = start + dt.timedelta(minutes=rng.randint(-15, 3))
    if roll < 0.05:
        arrival = start + dt.timedelta(minutes=rng.randint(6, 40))  # late
    departure = start + span + dt.timedelta(minutes=rng.randint(0, 20))
    if roll > 0.93:
        departure += dt.timedelta(minutes=rng.randint(60, 240))  # overtime, into the night
    local_times = [arrival, start + breaks[0], start + breaks[1], departure]
    if 0.05 <= roll < 0.07:
        local_times = local_times[:1]  # forgot to punch out
    return [t.replace(tzinfo=zone).astimezone(dt.UTC) for t in local_times]


def _assign_and_punch(company: Any, schedules: dict[str, Any], seed: int) -> dict[str, int]:
    from django.db import connection

    from jixiao.attendance.models import Punch, ScheduleAssignment
    from jixiao.attendance.setup_cache import setup_changed
    from jixiao.org.models import Employee

    rng = random.Random(seed)
    people = list(
        Employee.objects.filter(company=company)
        .order_by("id")
        .values_list("id", "work_location__time_zone", "hire_date", "termination_date")
    )
    systems = [name for name, share in MIX for _ in range(share)]
    first = dt.date(YEAR, MONTH, 1)
    days = [first + dt.timedelta(days=i) for i in range(pycalendar.monthrange(YEAR, MONTH)[1])]
    assignments = []
    plan: list[tuple[int, str, int, ZoneInfo, dt.date, dt.date | None]] = []
    zones: dict[str, ZoneInfo] = {}
    counts: dict[str, int] = {name: 0 for name, _ in MIX}
    for index, (employee_id, zone_name, hired, left) in enumerate(people):
        system = systems[index % len(systems)]
        counts[system] += 1
        offset = index % len(SHIFT_CODES)
        assignments.append(
            ScheduleAssignment(
                company=company,
                schedule=schedules[system],
                employee_id=employee_id,
                start_date=dt.date(2020, 1, 1),
                rotation=schedules["rotation"] if system == "shift" else None,
                rotation_offset=offset,
            )
        )
        zone_name = zone_name or str(company.time_zone)
        zone = zones.setdefault(zone_name, ZoneInfo(zone_name))
        plan.append((employee_id, system, offset, zone, hired, left))
    ScheduleAssignment.objects.bulk_create(assignments, batch_size=2000)
    setup_changed(company.pk)  # a bulk insert sends no signals

    ops = connection.ops
    table = ops.quote_name(Punch._meta.db_table)
    columns = (
        "company_id", "employee_id", "at", "source", "source_id", "device_id", "photo", "flags",
        "note", "voided", "created_at",
    )  # fmt: skip
    names = ", ".join(ops.quote_name(c) for c in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    created = ops.adapt_datetimefield_value(dt.datetime(YEAR, MONTH, 1, tzinfo=dt.UTC))
    flags = ops.adapt_json_value([], None)
    total = 0
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for employee_id, system, offset, zone, hired, left in plan:
            for day in days:
                if day < hired or (left is not None and day > left):
                    continue
                for at in _day_punches(rng, system, day, offset, zone):
                    rows.append(
                        (
                            company.pk, employee_id, ops.adapt_datetimefield_value(at), "device",
                            "", "BENCH-1", "", flags, "", False, created,
                        )
                    )  # fmt: skip
            if len(rows) >= 50_000:
                cursor.executemany(sql, rows)
                total += len(rows)
                rows = []
        if rows:
            cursor.executemany(sql, rows)
            total += len(rows)
    return {"punches": total, **{f"employees_{k}": v for k, v in counts.items()}}


def run(*, employees: int = 10_000, seed: int = 20260101) -> dict[str, Any]:
    """Generate the month's data, then time ``attendance_month_compute``."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.conf import settings
    from django.db import transaction
    from django_scopes import scope

    from bench.generator import bench_companies_remove, generate
    from jixiao.attendance.models import DailyAttendance, MonthlySummary
    from jixiao.attendance.services.results import attendance_month_compute

    bench_companies_remove()
    generated_started = time.perf_counter()
    target = generate(companies=1, employees=employees, seed=seed)[0]
    company = target.company
    with scope(company=company), transaction.atomic():
        _calendars(company)
        schedules = _schedules(company)
        data = _assign_and_punch(company, schedules, seed)
    generated_seconds = time.perf_counter() - generated_started
    rss_before = _maxrss_mib()

    with scope(company=company):
        started = time.perf_counter()
        cpu_started = time.process_time()
        children_started = _children_cpu()
        database_started = _database_cpu()
        stats = attendance_month_compute(company=company, year=YEAR, month=MONTH, actor=target.hr)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        children_cpu = _children_cpu() - children_started
        database_ended = _database_cpu()
        database_cpu = (
            round(database_ended - database_started, 2)
            if database_started is not None and database_ended is not None
            else None
        )
        stored_days = DailyAttendance.objects.filter(company=company).count()
        stored_summaries = MonthlySummary.objects.filter(company=company).count()
        exceptions = DailyAttendance.objects.filter(company=company, status="exception").count()
    return {
        "employees": employees,
        "month": f"{YEAR}-{MONTH:02d}",
        **data,
        "seconds_generate": round(generated_seconds, 2),
        "seconds_compute": round(seconds, 2),
        "cpu_seconds_compute": round(cpu, 2),
        "cpu_seconds_chunks": stats.chunk_cpu_seconds,
        "cpu_seconds_children": round(children_cpu, 2),
        "cpu_seconds_database_writes": database_cpu,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "employee_days": stats.days,
        "employee_days_per_second": round(stats.days / seconds) if seconds else None,
        "stored_days": stored_days,
        "stored_summaries": stored_summaries,
        "exception_days": exceptions,
        "maxrss_mib_before_compute": rss_before,
        "maxrss_mib_peak": _maxrss_mib(),
        "maxrss_mib_worker_peak": stats.peak_worker_rss_mib,
        "target_seconds": 20,
        "target_mib": 1024,
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }


if __name__ == "__main__":
    import json
    import os

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jixiao.settings")
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print(json.dumps(run(employees=count), ensure_ascii=False, indent=2))
