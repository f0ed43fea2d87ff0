"""Reads for one viewer: their own inbox and preferences; HR admins' group robots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404
from django_scopes import scopes_disabled

from jixiao.core.models import Role, User
from jixiao.notifications.models import (
    DEFAULT_EMAIL,
    DEFAULT_WEBHOOK,
    Category,
    Delivery,
    Notification,
    NotificationPreference,
    QuietHours,
    WebhookChannel,
)


def inbox(*, viewer: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The viewer's own notifications, newest first; nobody reads another person's inbox."""
    with scopes_disabled():
        if not viewer.is_authenticated or viewer.company_id is None:
            return Notification.objects.none()
        notifications = Notification.objects.filter(
            company_id=viewer.company_id, recipient_id=viewer.pk
        )
        if unread_only:
            notifications = notifications.filter(read_at__isnull=True)
        return notifications.order_by("-created_at", "-pk")


def inbox_get(*, viewer: User, notification_id: int) -> Notification:
    with scopes_disabled():
        notification = inbox(viewer=viewer).filter(pk=notification_id).first()
    if notification is None:
        raise Http404
    return notification


def unread_count(*, viewer: User) -> int:
    with scopes_disabled():
        return inbox(viewer=viewer, unread_only=True).count()


def recent_unread(*, viewer: User, limit: int = 5) -> list[Notification]:
    """For the home page's notification card."""
    with scopes_disabled():
        return list(inbox(viewer=viewer, unread_only=True)[:limit])


@dataclass(frozen=True)
class CategoryChoice:
    category: str
    label: str
    email: bool
    webhook: bool


@dataclass(frozen=True)
class Preferences:
    categories: list[CategoryChoice]
    quiet_enabled: bool
    quiet_start: dt.time | None
    quiet_end: dt.time | None
    time_zone: str


def preferences_of(*, viewer: User) -> Preferences:
    """Every category with the viewer's choice, or the default where they made none."""
    with scopes_disabled():
        chosen = {
            pref.category: pref for pref in NotificationPreference.objects.filter(user=viewer)
        }
        quiet = QuietHours.objects.filter(user=viewer).first()
    categories = []
    for category in Category:
        pref = chosen.get(category.value)
        categories.append(
            CategoryChoice(
                category=category.value,
                label=str(category.label),
                email=pref.email if pref else DEFAULT_EMAIL[category.value],
                webhook=pref.webhook if pref else DEFAULT_WEBHOOK[category.value],
            )
        )
    return Preferences(
        categories=categories,
        quiet_enabled=bool(quiet and quiet.enabled),
        quiet_start=quiet.start if quiet else None,
        quiet_end=quiet.end if quiet else None,
        time_zone=viewer.effective_time_zone,
    )


def webhooks(*, viewer: User) -> QuerySet[WebhookChannel]:
    """The company's group robots: HR admins only, others see none."""
    with scopes_disabled():
        if viewer.role != Role.HR_ADMIN or viewer.company_id is None:
            return WebhookChannel.objects.none()
        return WebhookChannel.objects.filter(company_id=viewer.company_id).order_by("name", "pk")


def webhook_get(*, viewer: User, webhook_id: int) -> WebhookChannel:
    """One robot of the viewer's company; any other id is 'not found' (ids leak nothing)."""
    with scopes_disabled():
        channel = webhooks(viewer=viewer).filter(pk=webhook_id).first()
    if channel is None:
        raise Http404
    return channel


def webhook_deliveries(*, viewer: User, channel: WebhookChannel, limit: int = 20) -> list[Delivery]:
    with scopes_disabled():
        if channel.company_id != viewer.company_id:
            return []
        return list(
            Delivery.objects.filter(webhook=channel)
            .select_related("notification")
            .order_by("-created_at", "-pk")[:limit]
        )
