"""The in-app inbox, each person's channel preferences and quiet hours, company robot
webhooks, and the log of every outside delivery (email, webhook)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from jixiao.core.models import Company


class Category(models.TextChoices):
    """What a notification is about; preferences and webhook subscriptions are per category."""

    SYSTEM = "system", _("系统")
    ACCOUNT = "account", _("账号与安全")
    IMPORT = "import", _("导入导出")
    ORG = "org", _("组织与人事")
    ATTENDANCE = "attendance", _("考勤")
    GOAL = "goal", _("目标")
    REVIEW_REMINDER = "review_reminder", _("考核提醒")
    REWARD = "reward", _("奖金")


# Channel defaults per category when a person has not chosen: email on; the company
# group robot off for account messages, which are personal (password, sign-in).
DEFAULT_EMAIL: dict[str, bool] = {category.value: True for category in Category}
DEFAULT_WEBHOOK: dict[str, bool] = {
    category.value: category != Category.ACCOUNT for category in Category
}


class Notification(models.Model):
    """One message in one person's inbox."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    category = models.CharField(_("类别"), max_length=30, choices=Category.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    urgent = models.BooleanField(_("紧急"), default=False)
    context = models.JSONField(_("上下文"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = ScopedManager(company="company")

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notif_recipient_read")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """A person's outside channels for one category (the in-app inbox is always on)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    category = models.CharField(_("类别"), max_length=30, choices=Category.choices)
    email = models.BooleanField(_("邮件"), default=True)
    webhook = models.BooleanField(_("群机器人"), default=True)

    objects = ScopedManager(company="company")

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="notif_pref_user_category")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.category}"


class QuietHours(models.Model):
    """A daily span, in the person's own time zone, when non-urgent outside messages wait."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiet_hours"
    )
    enabled = models.BooleanField(_("启用免打扰"), default=False)
    start = models.TimeField(_("开始"))
    end = models.TimeField(_("结束"))

    objects = ScopedManager(company="company")

    class Meta:
        verbose_name = _("免打扰时段")
        verbose_name_plural = _("免打扰时段")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


class WebhookPlatform(models.TextChoices):
    DINGTALK = "dingtalk", _("钉钉")
    WECOM = "wecom", _("企业微信")
    FEISHU = "feishu", _("飞书")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    SENT = "sent", _("已送达")
    FAILED = "failed", _("失败")
    RETRYING = "retrying", _("重试中")


def mask_secret(value: str) -> str:
    """Enough of a secret to recognise it, never enough to use it."""
    if not value:
        return ""
    if len(value) <= 8:
        return "••••"
    return "••••" + value[-4:]


class WebhookChannel(models.Model):
    """A company group robot (DingTalk, WeCom, Feishu) that receives chosen categories."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    platform = models.CharField(_("平台"), max_length=20, choices=WebhookPlatform.choices)
    url = models.URLField(_("Webhook 地址"), max_length=1000)
    secret = models.CharField(_("加签密钥"), max_length=200, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    categories = models.JSONField(_("接收的类别"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_status = models.CharField(
        _("最近投递状态"), max_length=20, choices=DeliveryStatus.choices, blank=True
    )
    last_delivery_at = models.DateTimeField(_("最近投递时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)

    objects = ScopedManager(company="company")

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret_masked(self) -> str:
        return mask_secret(self.secret)

    @property
    def url_masked(self) -> str:
        """The address with every query value masked: DingTalk and WeCom put the token there."""
        parts = urlsplit(self.url)
        path = parts.path
        if "/hook/" in path:  # Feishu keeps its token in the path
            head, _sep, token = path.rpartition("/hook/")
            path = f"{head}/hook/{mask_secret(token)}"
        query = "&".join(
            f"{key}={mask_secret(value)}"
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
        )
        return f"{parts.scheme}://{parts.netloc}{path}" + (f"?{query}" if query else "")

    @property
    def url_host(self) -> str:
        return urlsplit(self.url).netloc

    @property
    def category_labels(self) -> list[str]:
        labels = dict(Category.choices)
        return [str(labels.get(value, value)) for value in self.categories or []]

    def receives(self, category: str) -> bool:
        return self.enabled and category in (self.categories or [])


class Delivery(models.Model):
    """One attempt-tracked message to an outside channel; a sent one is never sent again."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("邮件")
        WEBHOOK = "webhook", _("群机器人")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    webhook = models.ForeignKey(
        WebhookChannel,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    recipient_names = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    response = models.TextField(_("平台应答"), blank=True)
    scheduled_for = models.DateTimeField(_("计划发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Set while a worker is sending, so a task delivered twice by the queue cannot
    # send in parallel; a claim older than the timeout is taken as abandoned.
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("最近尝试时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    objects = ScopedManager(company="company")

    class Meta:
        verbose_name = _("投递记录")
        verbose_name_plural = _("投递记录")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel", "webhook"],
                name="delivery_once_per_channel",
            ),
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=models.Q(webhook__isnull=True),
                name="delivery_once_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} #{self.notification_id} {self.status}"
