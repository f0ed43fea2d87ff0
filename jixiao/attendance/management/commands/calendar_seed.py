"""``manage.py calendar_seed --company SLUG --region CN --year 2027``: seed (or re-seed) a year.

Without ``--region``/``--year`` it makes sure every calendar in use has this year and
next, like the daily job. Re-seeding keeps days HR edited and company days.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_scopes import scope, scopes_disabled

from jixiao.attendance.services.calendars import (
    calendar_ensure_years,
    calendar_seed,
    company_today,
)
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company


class Command(BaseCommand):
    help = "Seed a work calendar year from chinese_calendar / holidays (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", required=True, help="company slug")
        parser.add_argument("--region", help="ISO code, e.g. CN, DE, US-CA")
        parser.add_argument("--year", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        with scopes_disabled():
            company = Company.objects.filter(slug=options["company"]).first()
        if company is None:
            raise CommandError(f"no company with slug {options['company']!r}")
        region, year = options["region"], options["year"]
        if (region is None) != (year is None):
            raise CommandError("give --region and --year together, or neither")
        with scope(company=company):
            try:
                if region is None:
                    years = calendar_ensure_years(company=company, today=company_today(company))
                else:
                    years = [calendar_seed(company=company, region=region, year=year, actor=None)]
            except ServiceError as exc:
                raise CommandError(f"{exc.message} {exc.fields}") from exc
            for seeded in years:
                self.stdout.write(
                    f"{seeded.calendar.region} {seeded.year}: {seeded.get_status_display()} "
                    f"({seeded.source})"
                )
