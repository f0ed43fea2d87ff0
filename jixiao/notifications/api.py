"""/api/v1/notifications: the caller's inbox and preferences; HR admins' group robots."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from jixiao.core.models import User
from jixiao.core.pagination import paginate
from jixiao.notifications import selectors, services
from jixiao.notifications.models import (
    DEFAULT_EMAIL,
    DEFAULT_WEBHOOK,
    Category,
    Notification,
    WebhookChannel,
)

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    category: str
    category_label: str
    title: str
    body: str
    link: str
    urgent: bool
    context: dict[str, Any]
    created_at: dt.datetime
    read_at: dt.datetime | None
    is_read: bool


class NotificationPage(Schema):
    items: list[NotificationOut]
    count: int
    page: int
    page_size: int


class InboxQuery(Schema):
    unread: bool = False
    page: int = Field(1, ge=1)
    page_size: int = Field(20, ge=1, le=settings.API_PAGE_SIZE_MAX)


class ReadAllOut(Schema):
    updated: int


class CategoryPreferenceOut(Schema):
    category: str
    label: str
    in_app: bool = True
    email: bool
    webhook: bool


class CategoryPreferenceIn(Schema):
    category: str
    email: bool
    webhook: bool


class QuietHoursSchema(Schema):
    enabled: bool = False
    start: dt.time | None = None
    end: dt.time | None = None


class PreferencesOut(Schema):
    categories: list[CategoryPreferenceOut]
    quiet_hours: QuietHoursSchema
    time_zone: str


class PreferencesIn(Schema):
    categories: list[CategoryPreferenceIn] = []
    quiet_hours: QuietHoursSchema | None = None


class WebhookOut(Schema):
    id: int
    name: str
    platform: str
    url: str = Field(description="The address with its token masked")
    secret: str = Field(description="Masked; never returned in full")
    has_secret: bool
    enabled: bool
    categories: list[str]
    last_status: str
    last_delivery_at: dt.datetime | None
    last_error: str
    created_at: dt.datetime


class WebhookIn(Schema):
    name: str
    platform: str = Field(description="dingtalk | wecom | feishu")
    url: str
    secret: str = ""
    enabled: bool = True
    categories: list[str] = []


class WebhookUpdateIn(Schema):
    """Fields left out keep their value; ``secret: ""`` turns signing off."""

    name: str | None = None
    platform: str | None = None
    url: str | None = None
    secret: str | None = None
    enabled: bool | None = None
    categories: list[str] | None = None


class WebhookTestOut(Schema):
    ok: bool
    answer: str
    error: str


def _viewer(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require(request: HttpRequest, permission: str) -> User:
    user = _viewer(request)
    if not user.has_perm(permission):
        raise PermissionDenied(_("你没有执行此操作的权限。"))
    return user


def _notification_out(notification: Notification) -> NotificationOut:
    return NotificationOut(
        id=notification.pk,
        category=notification.category,
        category_label=str(notification.get_category_display()),
        title=notification.title,
        body=notification.body,
        link=notification.link,
        urgent=notification.urgent,
        context=notification.context or {},
        created_at=notification.created_at,
        read_at=notification.read_at,
        is_read=notification.is_read,
    )


def _webhook_out(channel: WebhookChannel) -> WebhookOut:
    return WebhookOut(
        id=channel.pk,
        name=channel.name,
        platform=channel.platform,
        url=channel.url_masked,
        secret=channel.secret_masked,
        has_secret=bool(channel.secret),
        enabled=channel.enabled,
        categories=list(channel.categories or []),
        last_status=channel.last_status,
        last_delivery_at=channel.last_delivery_at,
        last_error=channel.last_error,
        created_at=channel.created_at,
    )


def _preferences_out(viewer: User) -> PreferencesOut:
    prefs = selectors.preferences_of(viewer=viewer)
    return PreferencesOut(
        categories=[
            CategoryPreferenceOut(
                category=c.category, label=c.label, email=c.email, webhook=c.webhook
            )
            for c in prefs.categories
        ],
        quiet_hours=QuietHoursSchema(
            enabled=prefs.quiet_enabled, start=prefs.quiet_start, end=prefs.quiet_end
        ),
        time_zone=prefs.time_zone,
    )


# --- inbox ---------------------------------------------------------------------------


@router.get("", response=NotificationPage, summary="My notifications, newest first")
def notification_list(request: HttpRequest, query: Query[InboxQuery]) -> NotificationPage:
    viewer = _viewer(request)
    notifications = selectors.inbox(viewer=viewer, unread_only=query.unread)
    page = paginate(notifications, query.page, query.page_size)
    page["items"] = [_notification_out(n) for n in page["items"]]
    return NotificationPage(**page)


@router.post("/read-all", response=ReadAllOut, summary="Mark all my notifications read")
def notification_read_all(request: HttpRequest) -> ReadAllOut:
    return ReadAllOut(updated=services.notifications_mark_all_read(user=_viewer(request)))


@router.get("/preferences", response=PreferencesOut, summary="My channels and quiet hours")
def preferences_get(request: HttpRequest) -> PreferencesOut:
    viewer = _require(request, "notifications.change_own_preferences")
    return _preferences_out(viewer)


@router.put("/preferences", response=PreferencesOut, summary="Change my channels and quiet hours")
def preferences_put(request: HttpRequest, payload: PreferencesIn) -> PreferencesOut:
    viewer = _require(request, "notifications.change_own_preferences")
    current = selectors.preferences_of(viewer=viewer)
    quiet = payload.quiet_hours or QuietHoursSchema(
        enabled=current.quiet_enabled, start=current.quiet_start, end=current.quiet_end
    )
    services.preferences_update(
        user=viewer,
        channels={
            c.category: services.ChannelChoice(email=c.email, webhook=c.webhook)
            for c in payload.categories
        },
        quiet_enabled=quiet.enabled,
        quiet_start=quiet.start,
        quiet_end=quiet.end,
    )
    return _preferences_out(viewer)


@router.get("/categories", response=list[CategoryPreferenceOut], summary="Categories and defaults")
def category_list(request: HttpRequest) -> list[CategoryPreferenceOut]:
    return [
        CategoryPreferenceOut(
            category=c.value,
            label=str(c.label),
            email=DEFAULT_EMAIL[c.value],
            webhook=DEFAULT_WEBHOOK[c.value],
        )
        for c in Category
    ]


@router.post("/{int:notification_id}/read", response=NotificationOut, summary="Mark one read")
def notification_read(request: HttpRequest, notification_id: int) -> NotificationOut:
    notification = selectors.inbox_get(viewer=_viewer(request), notification_id=notification_id)
    return _notification_out(services.notification_mark_read(notification=notification))


# --- group robots (HR admins) ------------------------------------------------------


@router.get("/webhooks", response=list[WebhookOut], summary="The company's group robots")
def webhook_list(request: HttpRequest) -> list[WebhookOut]:
    viewer = _require(request, "notifications.manage_webhooks")
    return [_webhook_out(c) for c in selectors.webhooks(viewer=viewer)]


@router.post("/webhooks", response={201: WebhookOut}, summary="Add a group robot")
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Status[WebhookOut]:
    viewer = _require(request, "notifications.manage_webhooks")
    channel = services.webhook_create(
        company=viewer.company,  # type: ignore[arg-type]
        actor=viewer,
        name=payload.name,
        platform=payload.platform,
        url=payload.url,
        secret=payload.secret,
        enabled=payload.enabled,
        categories=payload.categories,
    )
    return Status(201, _webhook_out(channel))


@router.get("/webhooks/{int:webhook_id}", response=WebhookOut, summary="One group robot")
def webhook_detail(request: HttpRequest, webhook_id: int) -> WebhookOut:
    viewer = _require(request, "notifications.manage_webhooks")
    return _webhook_out(selectors.webhook_get(viewer=viewer, webhook_id=webhook_id))


@router.put("/webhooks/{int:webhook_id}", response=WebhookOut, summary="Change a group robot")
def webhook_update(request: HttpRequest, webhook_id: int, payload: WebhookUpdateIn) -> WebhookOut:
    viewer = _require(request, "notifications.manage_webhooks")
    channel = selectors.webhook_get(viewer=viewer, webhook_id=webhook_id)
    channel = services.webhook_update(
        channel=channel,
        actor=viewer,
        name=payload.name,
        platform=payload.platform,
        url=payload.url,
        secret=payload.secret,
        enabled=payload.enabled,
        categories=payload.categories,
    )
    return _webhook_out(channel)


@router.delete("/webhooks/{int:webhook_id}", response={204: None}, summary="Remove a group robot")
def webhook_delete(request: HttpRequest, webhook_id: int) -> Status[None]:
    viewer = _require(request, "notifications.manage_webhooks")
    channel = selectors.webhook_get(viewer=viewer, webhook_id=webhook_id)
    services.webhook_delete(channel=channel, actor=viewer)
    return Status(204, None)


@router.post(
    "/webhooks/{int:webhook_id}/test",
    response=WebhookTestOut,
    summary="Send a test message now and return the platform's answer",
)
def webhook_test(request: HttpRequest, webhook_id: int) -> WebhookTestOut:
    viewer = _require(request, "notifications.manage_webhooks")
    channel = selectors.webhook_get(viewer=viewer, webhook_id=webhook_id)
    result = services.webhook_test_send(channel=channel, actor=viewer)
    return WebhookTestOut(ok=result.ok, answer=result.answer, error=result.error)
