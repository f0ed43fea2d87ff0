"""Benchmark: import N device punches (a ZKTeco-style CSV) through the bulk path.

``run(punches=1000000, employees=5000, seed=1)`` creates a fresh company with
``employees`` people in two time zones (Shanghai, Berlin: the Berlin file crosses
no DST change, the cache still has to tell), writes a deterministic CSV of
``punches`` rows — out of order within each day, with a few near-duplicates — and
times ``punch_bulk_import`` (parse, map, convert to UTC, sort, flag, insert) in one
transaction. Besides wall-clock rows/s it reports the CPU seconds spent (this process,
plus the PostgreSQL backend's when the server is local): on a shared machine the wall
clock mostly measures the other processes. The daily results are not recomputed here
(``recompute=False``): that is ``bench_attendance_month``'s measurement.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import time
import uuid
from typing import Any

from bench.timing import server_cpu_s


def build_csv(*, punches: int, numbers: list[str], seed: int, start: dt.date) -> bytes:
    """工号, 姓名, 日期时间, 设备 rows: two to four punches per person-day."""
    rng = random.Random(seed)
    out = io.StringIO()
    out.write("AC-No.,Name,Time,Machine\n")
    written = 0
    day = 0
    while written < punches:
        date = start + dt.timedelta(days=day % 28)
        prefix = date.strftime("%Y/%m/%d")
        for number in numbers:
            times = [8 * 3600 + rng.randrange(0, 5400), 18 * 3600 + rng.randrange(0, 7200)]
            if rng.random() < 0.3:
                times.append(12 * 3600 + rng.randrange(0, 3600))
            if rng.random() < 0.02:
                times.append(times[0] + rng.randrange(1, 50))  # pressed twice
            rng.shuffle(times)
            for seconds in times:
                if written >= punches:
                    break
                h, rest = divmod(seconds + day // 28 * 61, 3600)
                out.write(
                    f"{number},员工,{prefix} {h % 24}:{rest // 60:02d}:{rest % 60:02d},"
                    f"ZK-{int(number[2:]) % 20}\n"
                )
                written += 1
            if written >= punches:
                break
        day += 1
    return out.getvalue().encode()


def run(*, punches: int = 1_000_000, employees: int = 5000, seed: int = 1) -> dict[str, Any]:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.db import connection
    from django_scopes import scope, scopes_disabled

    from jixiao.attendance.models import Punch
    from jixiao.attendance.services.punch_import import punch_bulk_import
    from jixiao.core.models import Company, Role, User
    from jixiao.org.models import Department, Employee, WorkLocation

    tag = uuid.uuid4().hex[:8]
    with scopes_disabled():
        company = Company.objects.create(name=f"打卡导入 bench {tag}", slug=f"bench-punch-{tag}")
        actor = User.objects.create_user(
            username=f"bench-punch-hr-{tag}",
            email=f"hr-{tag}@bench.example.com",
            company=company,
            role=Role.HR_ADMIN,
        )
    with scope(company=company):
        root = Department.objects.create(company=company, name="总部")
        shanghai = WorkLocation.objects.create(
            company=company, name="上海", time_zone="Asia/Shanghai"
        )
        berlin = WorkLocation.objects.create(
            company=company, name="杜塞尔多夫", time_zone="Europe/Berlin"
        )
        numbers = [f"ZK{i + 1:06d}" for i in range(employees)]
        Employee.objects.bulk_create(
            [
                Employee(
                    company=company,
                    department=root,
                    employee_number=number,
                    name=f"员工{index}",
                    hire_date=dt.date(2020, 1, 1),
                    work_location=berlin if index % 10 == 0 else shanghai,
                )
                for index, number in enumerate(numbers)
            ],
            batch_size=2000,
        )
        started = time.perf_counter()
        data = build_csv(punches=punches, numbers=numbers, seed=seed, start=dt.date(2026, 9, 1))
        generate_s = time.perf_counter() - started
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        cpu_started = time.process_time()
        server_started = server_cpu_s()
        result = punch_bulk_import(
            company=company,
            file=data,
            actor=actor,
            mode="all_or_nothing",
            file_name="zkteco.csv",
            recompute=False,
        )
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        server_cpu = server_cpu_s() - server_started
        stored = Punch.objects.filter(company=company).count()
        duplicates = Punch.objects.filter(company=company, flags__icontains="duplicate").count()
        again_started = time.perf_counter()
        again_cpu_started = time.process_time()
        again_server_started = server_cpu_s()
        again = punch_bulk_import(
            company=company,
            file=data,
            actor=actor,
            mode="all_or_nothing",
            file_name="zkteco.csv",
            recompute=False,
        )
        again_s = time.perf_counter() - again_started
        again_cpu = time.process_time() - again_cpu_started
        again_server_cpu = server_cpu_s() - again_server_started
        load_after = os.getloadavg()[0]
    return {
        "punches": punches,
        "employees": employees,
        "file_mb": round(len(data) / 1048576, 1),
        "generate_s": round(generate_s, 2),
        "import_s": round(seconds, 2),
        "import_cpu_s": round(cpu, 2),
        "rows_per_s": round(punches / seconds),
        "server_cpu_s": round(server_cpu, 2),
        "rows_per_cpu_s": round(punches / (cpu + server_cpu)),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(load_after, 2),
        "created": result.created,
        "error_rows": result.error_rows,
        "stored": stored,
        "flagged_duplicate": duplicates,
        "reimport_s": round(again_s, 2),
        "reimport_rows_per_s": round(punches / again_s),
        "reimport_cpu_s": round(again_cpu, 2),
        "reimport_server_cpu_s": round(again_server_cpu, 2),
        "reimport_created": again.created,
        "vendor": connection.vendor,
    }
