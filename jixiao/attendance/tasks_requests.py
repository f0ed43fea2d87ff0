"""Nightly jobs of leave and comp leave: expire carried-over days and unused comp leave.

Both are safe to run twice: an expiry already written is not written again.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_scopes import scope, scopes_disabled
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from jixiao.attendance.services.leave import leave_carry_over_expire
from jixiao.attendance.services.overtime import comp_leave_expire
from jixiao.core.models import Company

logger = logging.getLogger(__name__)


def leave_expiries_run(today: dt.date | None = None) -> dict[int, tuple[int, int]]:
    """Expire lapsed comp leave and carried-over leave in every active company.

    Returns {company id: (comp-leave lots expired, carry-overs expired)}.
    """
    day = today or timezone.localdate()
    with scopes_disabled():
        companies = list(Company.objects.filter(status=Company.Status.ACTIVE))
    done: dict[int, tuple[int, int]] = {}
    for company in companies:
        with scope(company=company):
            done[company.pk] = (
                comp_leave_expire(company=company, today=day),
                leave_carry_over_expire(company=company, today=day),
            )
    return done


@db_periodic_task(crontab(hour="0", minute="20"))
def comp_leave_expire_nightly() -> dict[int, tuple[int, int]]:
    result = leave_expiries_run()
    logger.info("leave and comp-leave expiries: %s", result)
    return result
