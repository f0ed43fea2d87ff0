"""The audit trail (留痕): an append-only, per-company hash chain of events."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from jixiao.core.models import Company


class AuditEvent(models.Model):
    """Who did what to which object, when, from where and why.

    ``sequence`` numbers a company's events 1, 2, 3 …; ``previous_hash`` is the
    hash of the event before it, so editing or deleting any row breaks the chain
    that ``audit_chain_verify`` walks.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # users are deactivated, never deleted: the chain keeps them
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("操作人"), max_length=200, blank=True)
    action = models.CharField(_("动作"), max_length=100, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=100, db_index=True)
    object_id = models.CharField(_("对象ID"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=300, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    reason = models.TextField(_("原因"), blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = ScopedManager(company="company")

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["company", "sequence"], name="audit_sequence_unique")
        ]
        indexes = [models.Index(fields=["company", "object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_repr}"


class AuditChainHead(models.Model):
    """The last sequence and hash of a company's chain; its row lock serialises writers."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, primary_key=True)
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    objects = ScopedManager(company="company")

    def __str__(self) -> str:
        return f"{self.company_id}: {self.last_sequence}"
