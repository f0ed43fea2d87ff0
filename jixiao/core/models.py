"""Companies (the tenants), user accounts with their role, and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class Company(models.Model):
    """The tenant: every company-owned row points here and is scoped to it."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        SUSPENDED = "suspended", _("已停用")

    name = models.CharField(_("公司名称"), max_length=200)
    slug = models.SlugField(_("标识"), max_length=60, unique=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    country = models.CharField(_("国家/地区"), max_length=2, default="CN")
    time_zone = models.CharField(_("时区"), max_length=64, default="Asia/Shanghai")
    language = models.CharField(_("默认语言"), max_length=10, default="zh-hans")
    industry = models.CharField(_("行业"), max_length=100, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("公司")
        verbose_name_plural = _("公司")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Role(models.TextChoices):
    """The five roles; what each may do is decided in ``jixiao.core.rules``."""

    PLATFORM_ADMIN = "platform_admin", _("平台管理员")
    HR_ADMIN = "hr_admin", _("HR管理员")
    EXECUTIVE = "executive", _("高管")
    MANAGER = "manager", _("经理")
    EMPLOYEE = "employee", _("员工")


class User(AbstractUser):
    """A login. Belongs to one company, except platform admins who belong to none.

    Users are looked up without a tenant scope at login, so this model keeps
    Django's unscoped manager; every selector filters users by company.
    """

    email = models.EmailField(_("邮箱"), unique=True)
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="users"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.EMPLOYEE)
    display_name = models.CharField(_("显示名"), max_length=100, blank=True)
    time_zone = models.CharField(_("时区"), max_length=64, blank=True)
    language = models.CharField(_("语言"), max_length=10, blank=True)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="platform_admin", company__isnull=True)
                | (~models.Q(role="platform_admin") & models.Q(company__isnull=False)),
                name="user_company_matches_role",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def effective_time_zone(self) -> str:
        if self.time_zone:
            return self.time_zone
        employee = getattr(self, "employee", None)
        if employee is not None and employee.work_location_id:
            return str(employee.work_location.time_zone)
        if self.company_id:
            return self.company.time_zone  # type: ignore[union-attr]
        return "Asia/Shanghai"

    @property
    def is_platform_admin(self) -> bool:
        return self.role == Role.PLATFORM_ADMIN


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; it acts with its owner's rights."""

    PREFIX = "jx_"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100)
    token_prefix = models.CharField(max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("过期时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(company="company")

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_prefix}…)"

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """Return (raw token, display prefix, hash); the raw token is shown once."""
        raw = ApiToken.PREFIX + secrets.token_urlsafe(32)
        return raw, raw[:10], _token_hash(raw)

    @staticmethod
    def hash_of(raw: str) -> str:
        return _token_hash(raw)

    @property
    def is_usable(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
