"""Manual entries: an employee reports a data point; their manager or HR approves it.

Approval ingests the entry through the company's "manual" source, so a manual
figure is an event like any other, with the entry as its evidence.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.audit.services import audit_record
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.metrics import engine
from jixiao.metrics.event_input import EventInput, EvidenceValue
from jixiao.metrics.models import (
    Aggregation,
    Category,
    Indicator,
    IndicatorVersion,
    ManualEntry,
    MetricSource,
    SourceKind,
)
from jixiao.metrics.services.ingest import metric_events_ingest
from jixiao.org.models import Employee

MANUAL_SOURCE_NAME = "手工填报"


def manual_source(company: Company) -> MetricSource:
    """The company's source for manual entries, created on first use."""
    source, _created = MetricSource.objects.get_or_create(
        company=company,
        kind=SourceKind.MANUAL,
        name=MANUAL_SOURCE_NAME,
    )
    return source


def manual_entry_allowed(version: IndicatorVersion) -> bool:
    """Whether people may report this indicator by hand: figures of its own events only,
    not attendance (published when HR closes the month) and not distinct counts (they
    need the evidence key a form does not ask for)."""
    return (
        version.aggregation in engine.DIRECT_AGGREGATIONS
        and version.aggregation != Aggregation.DISTINCT_COUNT
        and version.category != Category.ATTENDANCE
    )


def manual_indicators(company: Company) -> QuerySet[Indicator]:
    """The active indicators a manual entry may be for."""
    rows = Indicator.objects.filter(company=company, is_active=True).select_related(
        "current_version"
    )
    allowed = [i.pk for i in rows if i.current_version and manual_entry_allowed(i.current_version)]
    return rows.filter(pk__in=allowed).order_by("code")


@transaction.atomic
def manual_entry_submit(
    *,
    employee: Employee,
    actor: User | None,
    indicator: Indicator,
    value: Decimal,
    occurred_at: dt.datetime,
    description: str,
    evidence_url: str = "",
    evidence: dict[str, EvidenceValue] | None = None,
) -> ManualEntry:
    errors: dict[str, list[str]] = {}
    version = indicator.current_version
    if version is None or not indicator.is_active:
        errors["indicator"] = [_("指标已停用。")]
    elif version.aggregation not in engine.DIRECT_AGGREGATIONS:
        errors["indicator"] = [_("该指标由其他指标计算得出，不能手工填报。")]
    elif not manual_entry_allowed(version):
        errors["indicator"] = [_("该指标的数据来自考勤或需要去重依据，不能手工填报。")]
    if not value.is_finite() or abs(value) >= Decimal(10) ** 14:
        errors["value"] = [_("数值必须是有限的数字。")]
    if occurred_at.tzinfo is None:
        errors["occurred_at"] = [_("发生时间必须带时区。")]
    elif occurred_at > timezone.now() + dt.timedelta(days=1):
        errors["occurred_at"] = [_("发生时间不能晚于现在。")]
    if not description.strip():
        errors["description"] = [_("请填写说明。")]
    if evidence_url and not evidence_url.startswith(("http://", "https://")):
        errors["evidence_url"] = [_("证据链接必须是 http(s) 地址。")]
    if errors:
        raise ServiceError(_("填报内容有误，请检查标出的字段。"), fields=errors)
    entry = ManualEntry.objects.create(
        company=employee.company,
        employee=employee,
        indicator=indicator,
        value=value,
        occurred_at=occurred_at,
        description=description.strip(),
        evidence_url=evidence_url,
        evidence=evidence or {},
    )
    audit_record(
        company=employee.company,
        actor=actor,
        action="metrics.manual.submit",
        obj=entry,
        changes={"indicator": [None, indicator.code], "value": [None, str(value)]},
    )
    return entry


@transaction.atomic
def manual_entry_decide(
    *, entry: ManualEntry, actor: User, approve: bool, note: str = ""
) -> ManualEntry:
    """Approve (the value becomes an event) or reject. Permission is checked by the caller;
    deciding one's own entry is refused here as well."""
    locked = (
        ManualEntry.objects.select_for_update(of=("self",))
        .select_related("employee", "indicator", "company")
        .get(pk=entry.pk)
    )
    if locked.status != ManualEntry.Status.SUBMITTED:
        raise ServiceError(_("该填报已处理。"), code="conflict", status=409)
    if locked.employee.user_id == actor.pk:
        raise ServiceError(_("不能审批自己的填报。"), code="forbidden", status=403)
    if not approve and not note.strip():
        raise ServiceError(_("驳回需要说明原因。"), fields={"note": [_("不能为空。")]})
    if approve:
        evidence: dict[str, EvidenceValue] = {
            **{k: v for k, v in locked.evidence.items() if isinstance(v, str | int | float)},
            "description": locked.description[:500],
            "manual_entry": locked.pk,
        }
        outcome = metric_events_ingest(
            company=locked.company,
            source=manual_source(locked.company),
            items=[
                EventInput(
                    indicator_code=locked.indicator.code,
                    value=locked.value,
                    occurred_at=locked.occurred_at,
                    source_event_id=f"manual-{locked.pk}",
                    employee_number=locked.employee.employee_number,
                    evidence_url=locked.evidence_url,
                    evidence=evidence,
                )
            ],
            actor=actor,
        )
        result = outcome.items[0]
        if result.status == "error":
            raise ServiceError(result.message, code=result.code, fields=result.fields)
        locked.event_id = result.event_id
    locked.status = ManualEntry.Status.APPROVED if approve else ManualEntry.Status.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_note = note.strip()[:500]
    locked.save()
    audit_record(
        company=locked.company,
        actor=actor,
        action="metrics.manual.approve" if approve else "metrics.manual.reject",
        obj=locked,
        changes={"status": [ManualEntry.Status.SUBMITTED.value, locked.status]},
        reason=note.strip(),
    )
    return locked
