"""The audit trail (留痕): an append-only, per-company hash chain of events."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from jixiao.core.models import Company


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit event."""


def display_value(value: Any) -> str:
    """A stored JSON value as text: "—" for nothing, JSON for lists and objects."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: Any
    after: Any
    paired: bool = True

    @property
    def before_text(self) -> str:
        return display_value(self.before)

    @property
    def after_text(self) -> str:
        return display_value(self.after)

    def summary(self) -> str:
        if self.paired:
            return f"{self.field}: {self.before_text} → {self.after_text}"
        return f"{self.field}: {self.after_text}" if self.field else self.after_text


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Refuses bulk ``update()`` and ``delete()``: the trail is append-only.

    This guards against mistakes in Python only. Whoever can write to the
    database directly can still change rows; the hash chain is what detects that
    (``audit_chain_verify`` / ``manage.py audit_verify``).
    """

    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit events cannot be updated")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("audit events cannot be deleted")


AuditEventManager = models.Manager.from_queryset(AuditEventQuerySet)


class AuditEvent(models.Model):
    """Who did what to which object, when, from where and why.

    ``sequence`` numbers a company's events 1, 2, 3 …; ``previous_hash`` is the
    hash of the event before it, so editing or deleting any row breaks the chain
    that ``audit_chain_verify`` walks.

    Append-only: ``save()`` only inserts, ``delete()`` and the queryset's
    ``update()``/``delete()`` raise ``AppendOnlyError``. That stops mistakes in
    Python; against someone writing to the database directly the protection is
    the hash chain, which makes every such change visible.
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

    objects = ScopedManager(company="company", _manager_class=AuditEventManager)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["company", "sequence"], name="audit_sequence_unique")
        ]
        indexes = [
            models.Index(fields=["company", "object_type", "object_id"]),
            models.Index(fields=["company", "occurred_at"], name="audit_company_time"),
            models.Index(fields=["company", "action"], name="audit_company_action"),
            models.Index(fields=["company", "actor"], name="audit_company_actor"),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: an event that is already stored is never written again."""
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            raise AppendOnlyError("audit events cannot be updated")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("audit events cannot be deleted")

    @property
    def change_rows(self) -> list[ChangeRow]:
        """``changes`` as rows of field / before / after, for the detail page and the report.

        Services write ``{field: [before, after]}``; any other shape is shown as one value.
        """
        changes = self.changes
        if not isinstance(changes, dict):
            return [ChangeRow("", None, changes, paired=False)]
        rows = []
        for name, value in changes.items():
            if isinstance(value, list | tuple) and len(value) == 2:
                rows.append(ChangeRow(str(name), value[0], value[1]))
            else:
                rows.append(ChangeRow(str(name), None, value, paired=False))
        return rows


class AuditChainHead(models.Model):
    """The last sequence and hash of a company's chain; its row lock serialises writers."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, primary_key=True)
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    objects = ScopedManager(company="company")

    def __str__(self) -> str:
        return f"{self.company_id}: {self.last_sequence}"
