"""Identity links: who a source's user is. Linking counts the events parked for them."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.audit.services import audit_record
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.metrics.models import (
    EventStatus,
    IdentityLink,
    MetricEvent,
    MetricSource,
    UnmatchedIdentity,
)
from jixiao.metrics.services.aggregation import TouchedKey, metric_values_refresh
from jixiao.metrics.services.ingest import identity_normalise
from jixiao.org.models import Employee


@transaction.atomic
def identity_link_create(
    *,
    company: Company,
    actor: User | None,
    identity: str,
    employee: Employee,
    source: MetricSource | None = None,
) -> tuple[IdentityLink, int]:
    """Link an identity to an employee; returns the link and how many parked events now count.

    Without ``source`` the link holds for every source of the company.
    """
    normalised = identity_normalise(identity)
    if not normalised or len(normalised) > 200:
        raise ServiceError(
            _("请填写外部身份。"), fields={"identity": [_("不能为空，且不超过 200 个字符。")]}
        )
    if employee.company_id != company.pk or (
        source is not None and source.company_id != company.pk
    ):
        raise ServiceError(_("找不到该对象。"), code="not_found", status=404)
    try:
        with transaction.atomic():
            link = IdentityLink.objects.create(
                company=company,
                source=source,
                identity=normalised,
                employee=employee,
                created_by=actor,
            )
    except IntegrityError as exc:
        raise ServiceError(
            _("该身份已关联到员工。"),
            code="conflict",
            status=409,
            fields={"identity": [_("已存在")]},
        ) from exc
    parked = MetricEvent.objects.select_for_update().filter(
        company=company, status=EventStatus.PARKED, identity=normalised
    )
    if source is not None:
        parked = parked.filter(source=source)
    events = list(parked)
    for event in events:
        event.employee = employee
        event.status = EventStatus.COUNTED
    MetricEvent.objects.bulk_update(events, ["employee", "status"], batch_size=500)
    queue = UnmatchedIdentity.objects.filter(
        company=company, identity=normalised, resolved_at__isnull=True
    )
    if source is not None:
        queue = queue.filter(source=source)
    queue.update(resolved_at=timezone.now(), resolved_link=link)
    metric_values_refresh(
        company=company,
        touched=[
            TouchedKey(employee.pk, None, event.indicator_id, event.occurred_at) for event in events
        ],
    )
    audit_record(
        company=company,
        actor=actor,
        action="metrics.identity.link",
        obj=link,
        changes={
            "identity": [None, normalised],
            "employee": [None, employee.pk],
            "source": [None, source.pk if source else None],
            "events_matched": [None, len(events)],
        },
    )
    return link, len(events)


@transaction.atomic
def identity_link_delete(*, link: IdentityLink, actor: User | None, reason: str = "") -> None:
    """Remove a link; events already matched through it stay with their employee."""
    audit_record(
        company=link.company,
        actor=actor,
        action="metrics.identity.unlink",
        obj=link,
        changes={"identity": [link.identity, None], "employee": [link.employee_id, None]},
        reason=reason,
    )
    link.delete()
