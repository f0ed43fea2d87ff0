"""Background attendance work: yesterday's results every morning, a month on request.

Both are safe to run twice: a compute replaces the rows it computed before, and
a locked month is skipped (nightly) or refused (month compute).
"""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

from django.utils import timezone
from django_scopes import scope, scopes_disabled
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from jixiao.attendance.services.results import (
    attendance_month_compute,
    daily_attendance_compute,
    locked_months,
)
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User

logger = logging.getLogger(__name__)


def yesterday_compute_all(*, now: dt.datetime | None = None) -> dict[int, int]:
    """Compute yesterday (in each company's zone) for every active company.

    Returns {company id: days computed}; a company whose month is locked is skipped.
    """
    now = now or timezone.now()
    with scopes_disabled():
        companies = list(Company.objects.filter(status=Company.Status.ACTIVE))
    computed: dict[int, int] = {}
    for company in companies:
        day = now.astimezone(ZoneInfo(str(company.time_zone))).date() - dt.timedelta(days=1)
        with scope(company=company):
            if locked_months(company=company, months={(day.year, day.month)}):
                continue
            stats = daily_attendance_compute(company=company, start=day, end=day)
            computed[company.pk] = stats.days
    return computed


@db_periodic_task(crontab(hour="1", minute="30"))
def attendance_yesterday_nightly() -> dict[int, int]:
    result = yesterday_compute_all()
    logger.info("attendance days computed: %s", result)
    return result


def month_compute_run(*, company_id: int, year: int, month: int, actor_id: int | None) -> int:
    """Compute one month in the background; returns the number of days stored (0 if refused)."""
    with scopes_disabled():
        company = Company.objects.get(pk=company_id)
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    with scope(company=company):
        try:
            stats = attendance_month_compute(company=company, year=year, month=month, actor=actor)
        except ServiceError as exc:
            logger.warning("attendance month %s-%s not computed: %s", year, month, exc.message)
            return 0
    return stats.days


@db_task()
def attendance_month_compute_task(
    company_id: int, year: int, month: int, actor_id: int | None
) -> int:
    return month_compute_run(company_id=company_id, year=year, month=month, actor_id=actor_id)
