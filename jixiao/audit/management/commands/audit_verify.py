"""``manage.py audit_verify [--company SLUG]``: check audit hash chains (``./dev audit-verify``).

Prints one line per company, OK or BROKEN with the broken sequences and what
is wrong at each, and exits with status 1 if any chain is broken. This is the
platform operator's tool: it reads every company, with no tenant scope.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_scopes import scopes_disabled

from jixiao.audit.selectors import audit_chain_verify
from jixiao.core.models import Company


class Command(BaseCommand):
    help = "Verify the audit hash chain of every company (or one with --company SLUG)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--company", metavar="SLUG", help="only this company")

    def handle(self, *args: Any, **options: Any) -> None:
        with scopes_disabled():
            companies = Company.objects.order_by("slug")
            if options["company"]:
                companies = companies.filter(slug=options["company"])
                if not companies.exists():
                    raise CommandError(f"no company with slug {options['company']!r}")
            broken = 0
            for company in companies.iterator():
                result = audit_chain_verify(company)
                if result.ok:
                    self.stdout.write(
                        f"{company.slug}: OK ({result.checked} events, "
                        f"head #{result.head_sequence} {result.head_hash[:16]})"
                    )
                    continue
                broken += 1
                sequences = ", ".join(str(s) for s in result.broken_sequences)
                self.stdout.write(
                    f"{company.slug}: BROKEN ({result.break_count} problems "
                    f"in {result.checked} events) at sequences {sequences}"
                )
                for chain_break in result.breaks:
                    self.stdout.write(f"  #{chain_break.sequence}: {chain_break.problem}")
                if result.truncated:
                    self.stdout.write(
                        f"  … {result.break_count - len(result.breaks)} more not listed"
                    )
        if broken:
            self.stderr.write(f"{broken} audit chain(s) broken")
            raise SystemExit(1)
