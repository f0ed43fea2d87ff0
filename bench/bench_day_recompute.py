"""Benchmark: recompute one employee-day after a correction and show it (target ≤ 50 ms p95).

``run(employees=…, requests=…)`` generates a company with a month of punches
(``bench.bench_attendance_month`` data), computes the month once, then for
random employee-days times what a manager's click costs: the POST that
recomputes the day (``daily_attendance_recompute``: inputs, engine, store,
audit) and renders the day panel, through Django's test client (middleware,
view, queries, template; no network).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from bench.timing import summary_ms

#: Sessions are made as a password login makes them (that backend loads the user).
SESSION_BACKEND = "jixiao.core.auth_backends.UsernameOrEmailBackend"


def run(*, employees: int = 10_000, requests: int = 200, seed: int = 20260101) -> dict[str, Any]:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.conf import settings
    from django.db import transaction
    from django.test import Client
    from django_scopes import scope

    from bench import bench_attendance_month as month_bench
    from bench.generator import bench_companies_remove, generate
    from jixiao.attendance.models import DailyAttendance
    from jixiao.attendance.services.results import attendance_month_compute
    from jixiao.core.models import Role, User
    from jixiao.org.models import Employee

    bench_companies_remove()
    target = generate(companies=1, employees=employees, seed=seed)[0]
    company = target.company
    with scope(company=company), transaction.atomic():
        month_bench._calendars(company)
        schedules = month_bench._schedules(company)
        data = month_bench._assign_and_punch(company, schedules, seed)
    with scope(company=company):
        attendance_month_compute(
            company=company, year=month_bench.YEAR, month=month_bench.MONTH, actor=target.hr
        )
        people = list(
            Employee.objects.filter(company=company, manager__user__role=Role.MANAGER).values_list(
                "id", "manager__user_id"
            )
        )
    rng = random.Random(seed)
    days = [dt.date(month_bench.YEAR, month_bench.MONTH, d) for d in range(1, 29)]
    clients: dict[int, Client] = {}
    recompute: list[float] = []
    statuses: dict[int, int] = {}
    for _ in range(requests):
        employee_id, manager_user_id = rng.choice(people)
        client = clients.get(manager_user_id)
        if client is None:
            client = clients[manager_user_id] = Client()
            client.force_login(User.objects.get(pk=manager_user_id), backend=SESSION_BACKEND)
        day = rng.choice(days)
        started = time.perf_counter()
        response = client.post(
            f"/attendance/results/employees/{employee_id}/recompute/",
            {"date": day.isoformat()},
            HTTP_HX_REQUEST="true",
        )
        recompute.append(time.perf_counter() - started)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    with scope(company=company):
        stored = DailyAttendance.objects.filter(company=company).count()
    return {
        "employees": employees,
        "punches": data["punches"],
        "stored_days": stored,
        "statuses": statuses,
        "recompute_and_render": summary_ms(recompute),
        "target_p95_ms": 50,
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }
