"""Nightly job: future-dated employment changes take effect on their day."""

from __future__ import annotations

import logging

from django_scopes import scope, scopes_disabled
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jixiao.core.models import Company
from jixiao.org.services import employment_changes_apply_due

logger = logging.getLogger(__name__)


def employment_changes_apply_all() -> dict[int, int]:
    """Apply due changes in every active company, each inside its own scope.

    Safe to run twice: an applied change is never applied again. Returns
    {company id: changes applied}.
    """
    with scopes_disabled():
        companies = list(Company.objects.filter(status=Company.Status.ACTIVE))
    applied: dict[int, int] = {}
    for company in companies:
        with scope(company=company):
            applied[company.pk] = employment_changes_apply_due(company=company)
    return applied


@db_periodic_task(crontab(hour="0", minute="5"))
def employment_changes_apply_nightly() -> dict[int, int]:
    result = employment_changes_apply_all()
    logger.info("employment changes applied: %s", result)
    return result
