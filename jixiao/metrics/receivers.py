"""Signals from other apps that become metric events."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from jixiao.attendance.signals import attendance_month_locked
from jixiao.core.models import Company, User


@receiver(attendance_month_locked, dispatch_uid="metrics.attendance_month_locked")
def attendance_month_locked_publish(
    sender: Any, *, company: Company, year: int, month: int, actor: User | None, **_: Any
) -> None:
    """Publish the month in the background once the lock has committed."""
    from jixiao.metrics.tasks import attendance_month_publish_task

    actor_id = actor.pk if actor is not None else None
    transaction.on_commit(lambda: attendance_month_publish_task(company.pk, year, month, actor_id))
