"""Daily job: every calendar in use has this year and next (provisional until published)."""

from __future__ import annotations

import logging

from django_scopes import scope, scopes_disabled
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jixiao.core.models import Company

logger = logging.getLogger(__name__)


def calendar_years_ensure_all() -> dict[int, list[str]]:
    """Seed what is missing in every active company, each in its own scope.

    Safe to run twice: existing years are left alone, except provisional China
    years the library now carries the official notice for. Returns
    {company id: ["CN 2027", ...] seeded}.
    """
    from jixiao.attendance.services.calendars import calendar_ensure_years, company_today

    with scopes_disabled():
        companies = list(Company.objects.filter(status=Company.Status.ACTIVE))
    seeded: dict[int, list[str]] = {}
    for company in companies:
        with scope(company=company):
            years = calendar_ensure_years(company=company, today=company_today(company))
            seeded[company.pk] = [f"{y.calendar.region} {y.year}" for y in years]
    return seeded


@db_periodic_task(crontab(hour="1", minute="15"))
def calendar_years_ensure_daily() -> dict[int, list[str]]:
    result = calendar_years_ensure_all()
    logger.info("calendar years seeded: %s", result)
    return result
