"""Writes: notify people, deliver to outside channels, mark read, preferences, robots.

Other apps call :func:`notify`; everything else here serves this app's views, API
and tasks.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_scopes import scopes_disabled

from jixiao.audit.services import audit_record, diff
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.notifications.channels import RobotMessage, WebhookError, webhook_send
from jixiao.notifications.channels.mail import MailContent, email_send
from jixiao.notifications.engine import QuietSpan, quiet_hours_release
from jixiao.notifications.models import (
    DEFAULT_EMAIL,
    DEFAULT_WEBHOOK,
    Category,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationPreference,
    QuietHours,
    WebhookChannel,
    WebhookPlatform,
)

MAX_ATTEMPTS = 5
CLAIM_TIMEOUT = dt.timedelta(minutes=5)
STALE_AFTER = dt.timedelta(minutes=15)
RETENTION_DAYS = 180
WEBHOOK_TIMEOUT_SECONDS = 10.0
RECIPIENT_NAMES_SHOWN = 10

Text = str | Promise


def user_language(user: User) -> str:
    if user.language:
        return user.language
    if user.company is not None and user.company.language:
        return user.company.language
    return settings.LANGUAGE_CODE


def user_zone_name(user: User) -> str:
    """The person's zone, or the site's when the stored name is not a zone."""
    name = user.effective_time_zone
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return settings.TIME_ZONE
    return name


def person_name(user: User) -> str:
    """How colleagues know someone: the chosen display name, else the employee's name."""
    if user.display_name:
        return user.display_name
    employee = getattr(user, "employee", None)
    name = str(employee.name) if employee is not None else ""
    return name or str(user)


def absolute_link(link: str) -> str:
    if not link or urlsplit(link).scheme in ("http", "https"):
        return link
    return settings.SITE_URL.rstrip("/") + "/" + link.lstrip("/")


# --- notify --------------------------------------------------------------------------


def notify(
    *,
    recipients: Iterable[User],
    category: str,
    title: Text,
    body: Text = "",
    link: str = "",
    urgent: bool = False,
    context: Mapping[str, Any] | None = None,
) -> list[Notification]:
    """Put a message in each recipient's inbox and queue its outside deliveries.

    ``title`` and ``body`` may be lazy translations (``gettext_lazy``/``format_lazy``):
    each recipient gets them in their own language. Deliveries are queued when the
    surrounding transaction commits, so a rolled-back change notifies no one.
    Inactive users and users without a company are skipped.
    """
    if category not in Category.values:
        raise ValueError(f"unknown notification category {category!r}")
    if len(link) > 500:
        raise ValueError("notification links are at most 500 characters")
    with transaction.atomic(), scopes_disabled():
        notifications, deliveries = _notify(
            recipients=recipients,
            category=category,
            title=title,
            body=body,
            link=link,
            urgent=urgent,
            context=dict(context or {}),
        )
    delivery_ids = [delivery.pk for delivery in deliveries]
    if delivery_ids:
        transaction.on_commit(lambda: deliveries_enqueue(delivery_ids))
    return notifications


def _notify(
    *,
    recipients: Iterable[User],
    category: str,
    title: Text,
    body: Text,
    link: str,
    urgent: bool,
    context: dict[str, Any],
) -> tuple[list[Notification], list[Delivery]]:
    people = list(
        {user.pk: user for user in recipients if user.is_active and user.company_id}.values()
    )
    if not people:
        return [], []
    now = timezone.now()
    notifications: list[Notification] = []
    for user in people:
        company_id: int = user.company_id  # type: ignore[assignment]  # filtered above
        with translation.override(user_language(user)):
            notifications.append(
                Notification(
                    company_id=company_id,
                    recipient=user,
                    category=category,
                    title=str(title)[:200],
                    body=str(body),
                    link=link,
                    urgent=urgent,
                    context=context,
                    created_at=now,
                )
            )
    Notification.objects.bulk_create(notifications)
    if any(n.pk is None for n in notifications):  # pragma: no cover - backends without RETURNING
        raise RuntimeError("bulk_create did not return primary keys")

    user_ids = [user.pk for user in people]
    preferences = {
        pref.user_id: pref
        for pref in NotificationPreference.objects.filter(user_id__in=user_ids, category=category)
    }
    quiet = {
        row.user_id: row for row in QuietHours.objects.filter(user_id__in=user_ids, enabled=True)
    }

    deliveries: list[Delivery] = []
    webhook_audience: dict[int, list[Notification]] = defaultdict(list)
    for notification, user in zip(notifications, people, strict=True):
        preference = preferences.get(user.pk)
        wants_email = preference.email if preference else DEFAULT_EMAIL[category]
        wants_webhook = preference.webhook if preference else DEFAULT_WEBHOOK[category]
        if wants_email and user.email:
            release = None
            quiet_row = quiet.get(user.pk)
            if quiet_row is not None:
                decision = quiet_hours_release(
                    at=now,
                    time_zone=user_zone_name(user),
                    span=QuietSpan(quiet_row.start, quiet_row.end),
                    urgent=urgent,
                )
                release = decision.release_at
            deliveries.append(
                Delivery(
                    company_id=notification.company_id,
                    notification=notification,
                    channel=Delivery.Channel.EMAIL,
                    scheduled_for=release,
                    created_at=now,
                )
            )
        if wants_webhook:
            webhook_audience[notification.company_id].append(notification)

    # A group robot gets one message per notify call, naming who it is for, rather
    # than one per recipient; quiet hours are personal and do not hold group messages.
    for company_id, audience in webhook_audience.items():
        channels = [
            channel
            for channel in WebhookChannel.objects.filter(company_id=company_id, enabled=True)
            if channel.receives(category)
        ]
        if not channels:
            continue
        names = [person_name(n.recipient) for n in audience]
        for channel in channels:
            deliveries.append(
                Delivery(
                    company_id=company_id,
                    notification=audience[0],
                    channel=Delivery.Channel.WEBHOOK,
                    webhook=channel,
                    recipient_names=names,
                    created_at=now,
                )
            )
    Delivery.objects.bulk_create(deliveries)
    return notifications, deliveries


def deliveries_enqueue(delivery_ids: Iterable[int]) -> None:
    """Hand deliveries to Huey: now, or at the end of the recipient's quiet hours."""
    from jixiao.notifications.tasks import delivery_send

    now = timezone.now()
    with scopes_disabled():
        rows = list(Delivery.objects.filter(pk__in=list(delivery_ids)).order_by("pk"))
    for delivery in rows:
        if delivery.scheduled_for is not None and delivery.scheduled_for > now:
            delivery_send.schedule(args=(delivery.pk,), eta=delivery.scheduled_for)
        else:
            delivery_send(delivery.pk)


# --- delivering ----------------------------------------------------------------------


def retry_delay_seconds(attempts: int) -> int:
    """Exponential backoff after the n-th failed attempt: 1, 2, 4, 8 … minutes, at most 1 h."""
    return int(min(60 * 2 ** max(attempts - 1, 0), 3600))


class DeliveryFailed(Exception):
    def __init__(self, message: str, answer: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.answer = answer


def robot_message(
    *, title: str, body: str, link: str, recipient_names: list[str], language: str
) -> RobotMessage:
    with translation.override(language):
        shown = "、".join(recipient_names[:RECIPIENT_NAMES_SHOWN])
        if len(recipient_names) > RECIPIENT_NAMES_SHOWN:
            line = ngettext(
                "致：%(names)s 等 %(count)d 人",
                "致：%(names)s 等 %(count)d 人",
                len(recipient_names),
            ) % {
                "names": shown,
                "count": len(recipient_names),
            }
        elif recipient_names:
            line = _("致：%(names)s") % {"names": shown}
        else:
            line = ""
        return RobotMessage(
            title=title,
            body=body,
            link=absolute_link(link),
            link_label=_("在绩效中查看") if link else "",
            recipients_line=line,
        )


def _send(delivery: Delivery) -> str:
    notification = delivery.notification
    if delivery.channel == Delivery.Channel.EMAIL:
        recipient = notification.recipient
        if not recipient.email:
            raise DeliveryFailed(_("收件人没有邮箱地址。"))
        try:
            return email_send(
                MailContent(
                    to=recipient.email,
                    language=user_language(recipient),
                    company_name=notification.company.name,
                    title=notification.title,
                    body=notification.body,
                    link=absolute_link(notification.link),
                )
            )
        except OSError as error:  # smtplib errors are OSErrors, as are refused connections
            raise DeliveryFailed(f"{error.__class__.__name__}: {error}") from error
    channel = delivery.webhook
    if channel is None or not channel.enabled:
        raise DeliveryFailed(_("群机器人已删除或已停用。"))
    message = robot_message(
        title=notification.title,
        body=notification.body,
        link=notification.link,
        recipient_names=list(delivery.recipient_names or []),
        language=notification.company.language or settings.LANGUAGE_CODE,
    )
    try:
        result = webhook_send(
            platform=channel.platform,
            url=channel.url,
            secret=channel.secret,
            message=message,
            timeout=WEBHOOK_TIMEOUT_SECONDS,
        )
    except WebhookError as error:
        raise DeliveryFailed(error.message, answer=error.answer) from error
    return result.answer


def delivery_attempt(*, delivery_id: int) -> Delivery | None:
    """Try one delivery once; ``None`` when there was nothing to try.

    Safe to run twice, even at the same moment: a sent or given-up delivery is left
    alone, and a delivery another worker is sending (claimed) is skipped. A failure
    is recorded; the status says whether to retry (``retrying``) or the attempts
    are used up (``failed``).
    """
    now = timezone.now()
    with scopes_disabled():
        claimed = (
            Delivery.objects.filter(
                pk=delivery_id, status__in=[DeliveryStatus.QUEUED, DeliveryStatus.RETRYING]
            )
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
            .update(claimed_at=now)
        )
        if not claimed:
            return None
        delivery = Delivery.objects.select_related(
            "notification", "notification__recipient", "notification__company", "webhook"
        ).get(pk=delivery_id)
        delivery.attempts += 1
        try:
            answer = _send(delivery)
        except DeliveryFailed as failure:
            delivery.last_error = failure.message[:2000]
            delivery.response = failure.answer[:2000]
            delivery.status = (
                DeliveryStatus.RETRYING
                if delivery.attempts < MAX_ATTEMPTS
                else DeliveryStatus.FAILED
            )
        else:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = now
            delivery.last_error = ""
            delivery.response = answer[:2000]
        delivery.claimed_at = None
        delivery.last_attempt_at = now
        delivery.save(
            update_fields=[
                "attempts",
                "status",
                "last_error",
                "response",
                "sent_at",
                "claimed_at",
                "last_attempt_at",
            ]
        )
        if delivery.webhook_id is not None:
            WebhookChannel.objects.filter(pk=delivery.webhook_id).update(
                last_status=delivery.status,
                last_delivery_at=now,
                last_error=delivery.last_error,
            )
    return delivery


def deliveries_stale(*, now: dt.datetime) -> list[int]:
    """Deliveries whose queue task was lost (a crash between commit and enqueue, a wiped
    queue): queued and overdue, or retrying and well past their next retry."""
    overdue = now - STALE_AFTER
    with scopes_disabled():
        queued = Delivery.objects.filter(
            status=DeliveryStatus.QUEUED, claimed_at__isnull=True
        ).filter(
            Q(scheduled_for__isnull=True, created_at__lt=overdue) | Q(scheduled_for__lt=overdue)
        )
        stale = list(queued.values_list("pk", flat=True))
        for pk, attempts, last_attempt_at in Delivery.objects.filter(
            status=DeliveryStatus.RETRYING, claimed_at__isnull=True
        ).values_list("pk", "attempts", "last_attempt_at"):
            due = (last_attempt_at or now) + dt.timedelta(seconds=retry_delay_seconds(attempts))
            if due < overdue:
                stale.append(pk)
    return sorted(stale)


# --- inbox -----------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    with scopes_disabled():
        return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
            read_at=timezone.now()
        )


def notifications_purge_read(*, now: dt.datetime, days: int = RETENTION_DAYS) -> int:
    """Delete read notifications older than ``days`` (unread ones stay until read)."""
    cutoff = now - dt.timedelta(days=days)
    with scopes_disabled():
        _total, by_model = Notification.objects.filter(
            read_at__isnull=False, created_at__lt=cutoff
        ).delete()
    return int(by_model.get(Notification._meta.label, 0))


# --- preferences ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelChoice:
    email: bool
    webhook: bool


@transaction.atomic
def preferences_update(
    *,
    user: User,
    channels: Mapping[str, ChannelChoice],
    quiet_enabled: bool,
    quiet_start: dt.time | None,
    quiet_end: dt.time | None,
) -> None:
    """Save a person's channels per category and quiet hours (their own wall clock)."""
    if user.company is None:
        raise ServiceError(_("该操作需要属于某个公司的账号。"), code="no_company", status=403)
    unknown = sorted(set(channels) - set(Category.values))
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["categories"] = [_("未知的通知类别：%(names)s") % {"names": ", ".join(unknown)}]
    if quiet_enabled:
        if quiet_start is None:
            errors["quiet_hours.start"] = [_("请填写免打扰开始时间。")]
        if quiet_end is None:
            errors["quiet_hours.end"] = [_("请填写免打扰结束时间。")]
        if quiet_start is not None and quiet_end is not None and quiet_start == quiet_end:
            errors["quiet_hours.end"] = [_("结束时间不能与开始时间相同。")]
    if errors:
        raise ServiceError(_("请求数据有误，请检查标出的字段。"), fields=errors)
    with scopes_disabled():
        for category, choice in channels.items():
            NotificationPreference.objects.update_or_create(
                user=user,
                category=category,
                defaults={
                    "company": user.company,
                    "email": choice.email,
                    "webhook": choice.webhook,
                },
            )
        existing = QuietHours.objects.filter(user=user).first()
        if quiet_start is not None and quiet_end is not None:
            QuietHours.objects.update_or_create(
                user=user,
                defaults={
                    "company": user.company,
                    "enabled": quiet_enabled,
                    "start": quiet_start,
                    "end": quiet_end,
                },
            )
        elif existing is not None:
            existing.enabled = False
            existing.save(update_fields=["enabled"])


# --- group robots --------------------------------------------------------------------

_KEEP = object()


def _validate_webhook(
    *, name: str, platform: str, url: str, secret: str, categories: Iterable[str]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("请填写名称。")]
    elif len(name.strip()) > 100:
        errors["name"] = [_("名称最多 100 个字符。")]
    if platform not in WebhookPlatform.values:
        errors["platform"] = [_("请选择钉钉、企业微信或飞书。")]
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors["url"] = [_("Webhook 地址必须以 http:// 或 https:// 开头。")]
    elif len(url.strip()) > 1000:
        errors["url"] = [_("Webhook 地址最多 1000 个字符。")]
    if len(secret.strip()) > 200:
        errors["secret"] = [_("密钥最多 200 个字符。")]
    unknown = sorted(set(categories) - set(Category.values))
    if unknown:
        errors["categories"] = [_("未知的通知类别：%(names)s") % {"names": ", ".join(unknown)}]
    return errors


def _webhook_snapshot(channel: WebhookChannel) -> dict[str, Any]:
    """What the audit trail keeps: secrets masked, never in full."""
    return {
        "name": channel.name,
        "platform": channel.platform,
        "url": channel.url_masked,
        "secret": channel.secret_masked,
        "enabled": channel.enabled,
        "categories": sorted(channel.categories or []),
    }


@transaction.atomic
def webhook_create(
    *,
    company: Company,
    actor: User,
    name: str,
    platform: str,
    url: str,
    secret: str = "",
    enabled: bool = True,
    categories: Iterable[str] = (),
) -> WebhookChannel:
    chosen = list(dict.fromkeys(categories))
    errors = _validate_webhook(
        name=name, platform=platform, url=url, secret=secret, categories=chosen
    )
    if errors:
        raise ServiceError(_("请求数据有误，请检查标出的字段。"), fields=errors)
    channel = WebhookChannel.objects.create(
        company=company,
        name=name.strip(),
        platform=platform,
        url=url.strip(),
        secret=secret.strip(),
        enabled=enabled,
        categories=chosen,
    )
    audit_record(
        company=company,
        actor=actor,
        action="notifications.webhook.create",
        obj=channel,
        changes=diff({}, _webhook_snapshot(channel)),
    )
    return channel


@transaction.atomic
def webhook_update(
    *,
    channel: WebhookChannel,
    actor: User,
    name: str | None = None,
    platform: str | None = None,
    url: str | None = None,
    secret: str | None = None,
    enabled: bool | None = None,
    categories: Iterable[str] | None = None,
) -> WebhookChannel:
    """Change what is given; ``None`` keeps a value (the secret and address are never echoed
    back, so leaving them out keeps them), ``secret=""`` removes signing."""
    before = _webhook_snapshot(channel)
    old_secret, old_url = channel.secret, channel.url
    new_name = channel.name if name is None else name
    new_platform = channel.platform if platform is None else platform
    new_url = channel.url if url is None or not url.strip() else url
    new_categories = (
        list(channel.categories or []) if categories is None else list(dict.fromkeys(categories))
    )
    errors = _validate_webhook(
        name=new_name,
        platform=new_platform,
        url=new_url,
        secret=channel.secret if secret is None else secret,
        categories=new_categories,
    )
    if errors:
        raise ServiceError(_("请求数据有误，请检查标出的字段。"), fields=errors)
    channel.name = new_name.strip()
    channel.platform = new_platform
    channel.url = new_url.strip()
    if secret is not None:
        channel.secret = secret.strip()
    if enabled is not None:
        channel.enabled = enabled
    channel.categories = new_categories
    channel.save()
    after = _webhook_snapshot(channel)
    changes = diff(before, after)
    # Masked values can look alike while the real ones differ: compare the real ones.
    if channel.secret != old_secret:
        changes["secret"] = [before["secret"], after["secret"] or "—"]
    if channel.url != old_url:
        changes["url"] = [before["url"], after["url"]]
    if changes:
        audit_record(
            company=channel.company,
            actor=actor,
            action="notifications.webhook.update",
            obj=channel,
            changes=changes,
        )
    return channel


@transaction.atomic
def webhook_delete(*, channel: WebhookChannel, actor: User) -> None:
    audit_record(
        company=channel.company,
        actor=actor,
        action="notifications.webhook.delete",
        obj=channel,
        changes=diff(_webhook_snapshot(channel), {}),
    )
    channel.delete()


@dataclass(frozen=True)
class WebhookTestResult:
    ok: bool
    answer: str
    error: str


def webhook_test_send(*, channel: WebhookChannel, actor: User) -> WebhookTestResult:
    """Send a test message now, synchronously, and return the platform's answer or error."""
    language = channel.company.language or settings.LANGUAGE_CODE
    with translation.override(language):
        message = RobotMessage(
            title=_("绩效通知测试"),
            body=_("这是一条来自绩效的测试消息，由 %(name)s 发送。收到即表示群机器人配置正确。")
            % {"name": str(actor)},
            link=absolute_link("/notifications/"),
            link_label=_("在绩效中查看"),
        )
    now = timezone.now()
    try:
        result = webhook_send(
            platform=channel.platform,
            url=channel.url,
            secret=channel.secret,
            message=message,
            timeout=WEBHOOK_TIMEOUT_SECONDS,
        )
    except WebhookError as error:
        outcome = WebhookTestResult(ok=False, answer=error.answer, error=error.message)
    else:
        outcome = WebhookTestResult(ok=True, answer=result.answer, error="")
    with scopes_disabled():
        WebhookChannel.objects.filter(pk=channel.pk).update(
            last_status=DeliveryStatus.SENT if outcome.ok else DeliveryStatus.FAILED,
            last_delivery_at=now,
            last_error=outcome.error,
        )
    channel.refresh_from_db()
    return outcome
