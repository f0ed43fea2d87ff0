"""Background jobs: deliver to email and group robots with retries; purge old read messages."""

from __future__ import annotations

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task
from huey.exceptions import RetryTask

from jixiao.notifications.models import DeliveryStatus
from jixiao.notifications.services import (
    deliveries_enqueue,
    deliveries_stale,
    delivery_attempt,
    notifications_purge_read,
    retry_delay_seconds,
)

logger = logging.getLogger(__name__)


@db_task()
def delivery_send(delivery_id: int) -> str:
    """Try a delivery; on failure ask Huey to run it again later, backing off each time.

    The attempt count lives on the Delivery row, so running the task twice never
    sends a delivered message twice and never retries past the limit.
    """
    delivery = delivery_attempt(delivery_id=delivery_id)
    if delivery is None:
        return "skipped"
    if delivery.status == DeliveryStatus.RETRYING:
        delay = retry_delay_seconds(delivery.attempts)
        logger.warning(
            "delivery %s failed (attempt %s), retrying in %ss: %s",
            delivery.pk,
            delivery.attempts,
            delay,
            delivery.last_error,
        )
        raise RetryTask(delivery.last_error, delay=delay)
    return str(delivery.status)


@db_periodic_task(crontab(hour="3", minute="40"))
def notifications_purge_nightly() -> int:
    """Read notifications older than 180 days are deleted; unread ones stay."""
    deleted = notifications_purge_read(now=timezone.now())
    logger.info("purged %s read notifications", deleted)
    return deleted


@db_periodic_task(crontab(minute="*/15"))
def deliveries_requeue_stale() -> int:
    """Hand lost deliveries back to the queue; sending is claimed, so a duplicate is harmless."""
    stale = deliveries_stale(now=timezone.now())
    if stale:
        logger.warning("re-queueing %s stale deliveries", len(stale))
        deliveries_enqueue(stale)
    return len(stale)
