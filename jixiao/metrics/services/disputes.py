"""Disputes: an employee doubts a data point; HR corrects it (through ingest) or rejects."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.audit.services import audit_record
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import User
from jixiao.metrics.event_input import EventInput
from jixiao.metrics.models import EventStatus, MetricDispute, MetricEvent
from jixiao.metrics.services.ingest import metric_events_ingest
from jixiao.org.models import Employee


@transaction.atomic
def dispute_raise(
    *, event: MetricEvent, employee: Employee, actor: User | None, reason: str
) -> MetricDispute:
    """The employee the event counts for disputes it; one open dispute per event."""
    if not reason.strip():
        raise ServiceError(_("请说明异议理由。"), fields={"reason": [_("不能为空。")]})
    locked = MetricEvent.objects.select_for_update().get(pk=event.pk)
    if locked.employee_id != employee.pk:
        raise ServiceError(_("只能对自己的数据提出异议。"), code="forbidden", status=403)
    if locked.status != EventStatus.COUNTED:
        raise ServiceError(_("该记录已不再计入，无需异议。"), code="not_counted", status=409)
    if MetricDispute.objects.filter(event=locked, status=MetricDispute.Status.OPEN).exists():
        raise ServiceError(_("该记录已有待处理的异议。"), code="conflict", status=409)
    dispute = MetricDispute.objects.create(
        company=locked.company, event=locked, raised_by=employee, reason=reason.strip()
    )
    locked.disputed = True
    locked.save(update_fields=["disputed"])
    audit_record(
        company=locked.company,
        actor=actor,
        action="metrics.dispute.raise",
        obj=dispute,
        changes={"event": [None, locked.pk], "value": [None, str(locked.value)]},
        reason=reason.strip(),
    )
    return dispute


@transaction.atomic
def dispute_resolve(
    *,
    dispute: MetricDispute,
    actor: User,
    upheld: bool,
    note: str,
    corrected_value: Decimal | None = None,
) -> MetricDispute:
    """HR's decision. Upheld: the event is replaced by ``corrected_value`` or, without one,
    reversed — as a correction event from the same source, so every aggregate follows."""
    locked = (
        MetricDispute.objects.select_for_update(of=("self",))
        .select_related(
            "event", "event__indicator", "event__source", "event__employee", "event__department"
        )
        .get(pk=dispute.pk)
    )
    if locked.status != MetricDispute.Status.OPEN:
        raise ServiceError(_("该异议已处理。"), code="conflict", status=409)
    if not note.strip():
        raise ServiceError(_("请填写处理说明。"), fields={"note": [_("不能为空。")]})
    event = locked.event
    correction_event: MetricEvent | None = None
    if upheld:
        kind = "replace" if corrected_value is not None else "reverse"
        item = EventInput(
            indicator_code=event.indicator.code,
            value=corrected_value if corrected_value is not None else event.value,
            occurred_at=event.occurred_at,
            source_event_id=f"dispute-{locked.pk}",
            employee_number=event.employee.employee_number if event.employee else "",
            department_code=event.department.code if event.department else "",
            evidence_url=event.evidence_url,
            evidence=dict(event.evidence),
            correction=kind,  # type: ignore[arg-type]
            corrects=event.source_event_id,
        )
        outcome = metric_events_ingest(
            company=locked.company, source=event.source, items=[item], actor=actor
        )
        result = outcome.items[0]
        if result.status == "error":
            raise ServiceError(
                result.message, code=result.code, fields={"corrected_value": [result.message]}
            )
        assert result.event_id is not None
        correction_event = MetricEvent.objects.get(pk=result.event_id)
    locked.status = MetricDispute.Status.UPHELD if upheld else MetricDispute.Status.REJECTED
    locked.resolution_note = note.strip()
    locked.resolved_by = actor
    locked.resolved_at = timezone.now()
    locked.correction_event = correction_event
    locked.save()
    MetricEvent.objects.filter(pk=event.pk).update(disputed=False)
    audit_record(
        company=locked.company,
        actor=actor,
        action="metrics.dispute.resolve",
        obj=locked,
        changes={
            "status": [MetricDispute.Status.OPEN.value, locked.status],
            "value": [
                str(event.value),
                str(corrected_value)
                if corrected_value is not None
                else (None if upheld else str(event.value)),
            ],
        },
        reason=note.strip(),
    )
    return locked
