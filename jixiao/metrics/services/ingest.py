"""The one ingest path for metric events from every source.

``metric_events_ingest`` decides, per item: identity (工号 → identity link →
employee email), idempotency (the source's own id), corrections (reverse or
replace an earlier event), evidence limits and anomaly flags. Bad items get an
error with the field it concerns; the others are stored. Then the aggregates of
the touched (person, indicator, period) keys are recomputed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.audit.services import AuditEntry, audit_record, audit_record_many
from jixiao.core.models import Company, User
from jixiao.metrics import engine, quality
from jixiao.metrics.event_input import EventInput
from jixiao.metrics.models import (
    CorrectionKind,
    EventStatus,
    IdentityLink,
    Indicator,
    MetricEvent,
    MetricSource,
    MetricValue,
    PeriodKind,
    SourceRun,
    UnmatchedIdentity,
)
from jixiao.metrics.services.aggregation import TouchedKey, metric_values_refresh
from jixiao.metrics.services.event_rows import NewEvent, events_insert
from jixiao.org.models import Department, Employee

MAX_EVIDENCE_BYTES = 2048
MAX_VALUE = Decimal(10) ** 14
FUTURE_TOLERANCE = dt.timedelta(days=1)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
MAX_ID_LENGTH = 200
MAX_URL_LENGTH = 500
CHUNK = 500

ItemStatus = Literal["created", "duplicate", "corrected", "unmatched", "error"]


@dataclass
class ItemResult:
    """What became of one item: its index in the batch, status, and event or error."""

    index: int
    source_event_id: str
    status: ItemStatus
    event_id: int | None = None
    code: str = ""
    message: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    anomalies: list[str] = field(default_factory=list)


@dataclass
class IngestResult:
    items: list[ItemResult]
    run_id: int | None = None
    # False when the values the batch touched are refreshed by a task after the commit.
    values_current: bool = True

    def _count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def received(self) -> int:
        return len(self.items)

    @property
    def created(self) -> int:
        return self._count("created")

    @property
    def duplicates(self) -> int:
        return self._count("duplicate")

    @property
    def corrected(self) -> int:
        return self._count("corrected")

    @property
    def unmatched(self) -> int:
        return self._count("unmatched")

    @property
    def errors(self) -> int:
        return self._count("error")


def identity_normalise(identity: str) -> str:
    """Identities compare without surrounding space and case (emails, Git authors, ids)."""
    return identity.strip().lower()


def content_hash(item: EventInput) -> str:
    """Fingerprint of what an item says, to tell a harmless re-send from a conflicting one."""
    return content_hash_of(
        item.indicator_code, item.value, item.occurred_at, item.identity, item.employee_number,
        item.department_code, item.evidence_url, item.evidence, item.correction, item.corrects,
    )  # fmt: skip


def content_hash_of(
    indicator_code: str,
    value: Decimal,
    occurred_at: dt.datetime,
    identity: str,
    employee_number: str,
    department_code: str,
    evidence_url: str,
    evidence: Any,
    correction: str,
    corrects: str,
) -> str:
    """``content_hash`` from the item's parts (the bulk file import has no ``EventInput``)."""
    payload = [
        indicator_code,
        str(value.normalize()) if value.is_finite() else str(value),
        occurred_at.astimezone(dt.UTC).isoformat()
        if occurred_at.tzinfo
        else occurred_at.isoformat(),
        identity_normalise(identity),
        employee_number.strip(),
        department_code.strip(),
        evidence_url,
        evidence,
        correction,
        corrects,
    ]
    return hashlib.sha256(_hash_text(payload).encode()).hexdigest()


#: ``json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)``, the encoder
#: made once (the bulk import fingerprints millions of rows).
_hash_text = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str).encode


def _item_error(index: int, item: EventInput, code: str, message: str, fld: str) -> ItemResult:
    return ItemResult(index, item.source_event_id, "error", code=code, message=message,
                      fields={fld: [message]})  # fmt: skip


def _check_item(
    item: EventInput, indicators: dict[str, Indicator], now: dt.datetime
) -> tuple[str, str, str] | None:
    """(code, message, field) of the first thing wrong with an item, or None."""
    if not item.source_event_id.strip() or len(item.source_event_id) > MAX_ID_LENGTH:
        return ("invalid_id", _("来源记录编号不能为空，且不超过 200 个字符。"), "source_event_id")
    indicator = indicators.get(item.indicator_code)
    if indicator is None:
        return (
            "unknown_indicator",
            _("指标 %(code)s 不存在。") % {"code": item.indicator_code},
            "indicator",
        )
    version = indicator.current_version
    if not indicator.is_active or version is None:
        return ("inactive_indicator", _("指标已停用。"), "indicator")
    if version.aggregation not in engine.DIRECT_AGGREGATIONS:
        return (
            "derived_indicator",
            _("指标 %(code)s 由其他指标计算得出，请发送它的组成指标。")
            % {"code": item.indicator_code},
            "indicator",
        )
    if not isinstance(item.value, Decimal) or not item.value.is_finite():
        return ("invalid_value", _("数值必须是有限的数字。"), "value")
    if abs(item.value) >= MAX_VALUE:
        return ("invalid_value", _("数值超出范围。"), "value")
    if not isinstance(item.occurred_at, dt.datetime) or item.occurred_at.tzinfo is None:
        return ("naive_time", _("发生时间必须带时区（例如 +08:00 或 Z）。"), "occurred_at")
    if item.occurred_at > now + FUTURE_TOLERANCE:
        return ("future_time", _("发生时间不能晚于现在。"), "occurred_at")
    if item.occurred_at < EARLIEST:
        return ("invalid_time", _("发生时间过早。"), "occurred_at")
    if len(item.evidence_url) > MAX_URL_LENGTH or (
        item.evidence_url and not item.evidence_url.startswith(("http://", "https://"))
    ):
        return (
            "invalid_url",
            _("证据链接必须是 http(s) 地址，且不超过 500 个字符。"),
            "evidence_url",
        )
    if not isinstance(item.evidence, dict) or any(
        not isinstance(v, str | int | float | bool | type(None)) for v in item.evidence.values()
    ):
        return ("invalid_evidence", _("证据只能是键值对，值为文字或数字。"), "evidence")
    # JSON needs at most 6 bytes per character (an escape) plus quotes and separators:
    # the evidence is measured only when it might be too large.
    bound = sum(6 * (len(k) + len(str(v))) + 8 for k, v in item.evidence.items()) + 2
    size = (
        len(json.dumps(item.evidence, ensure_ascii=False, default=str).encode())
        if bound > MAX_EVIDENCE_BYTES
        else 0
    )
    if size > MAX_EVIDENCE_BYTES:
        return (
            "evidence_too_large",
            _("证据过大（%(size)d 字节，最多 %(max)d 字节）。")
            % {"size": size, "max": MAX_EVIDENCE_BYTES},
            "evidence",
        )
    if item.correction not in ("", "reverse", "replace"):
        return ("invalid_correction", _("更正方式只能是 reverse 或 replace。"), "correction")
    if item.correction and not item.corrects:
        return ("invalid_correction", _("更正需要指明被更正记录的编号。"), "corrects")
    if item.corrects and not item.correction:
        return ("invalid_correction", _("指明了被更正的记录，但没有更正方式。"), "correction")
    if item.corrects == item.source_event_id and item.correction:
        return ("invalid_correction", _("记录不能更正自身。"), "corrects")
    if not (item.identity.strip() or item.employee_number.strip() or item.department_code.strip()):
        return (
            "no_subject",
            _("需要提供 identity、employee_number 或 department_code 之一。"),
            "identity",
        )
    if len(item.identity) > MAX_ID_LENGTH:
        return ("invalid_identity", _("外部身份不超过 200 个字符。"), "identity")
    return None


class _Resolver:
    """Finds the employee (or department) an item is about, with few queries per batch."""

    def __init__(self, company: Company, source: MetricSource, items: Sequence[EventInput]):
        numbers = {i.employee_number.strip() for i in items if i.employee_number.strip()}
        identities = {identity_normalise(i.identity) for i in items if i.identity.strip()}
        codes = {i.department_code.strip() for i in items if i.department_code.strip()}
        self.by_number: dict[str, int] = {}
        self.by_identity: dict[str, int] = {}
        self.by_email: dict[str, int] = {}
        self.departments: dict[str, int] = {}
        employees = Employee.objects.filter(company=company)
        number_list = list(numbers)
        for start in range(0, len(number_list), CHUNK):
            self.by_number.update(
                employees.filter(
                    employee_number__in=number_list[start : start + CHUNK]
                ).values_list("employee_number", "pk")
            )
        identity_list = list(identities)
        for start in range(0, len(identity_list), CHUNK):
            chunk = identity_list[start : start + CHUNK]
            links = IdentityLink.objects.filter(company=company, identity__in=chunk).filter(
                Q(source=source) | Q(source__isnull=True)
            )
            # Source-specific links win over company-wide ones.
            for identity, employee_id in links.order_by(
                F("source_id").asc(nulls_first=True)
            ).values_list("identity", "employee_id"):
                self.by_identity[identity] = employee_id
            emails = [c for c in chunk if "@" in c and c not in self.by_identity]
            if emails:
                for email, pk in employees.filter(email__in=emails).values_list("email", "pk"):
                    self.by_email.setdefault(email.lower(), pk)
                lowered = set(emails) - self.by_email.keys()
                if lowered:
                    query = Q()
                    for email in lowered:
                        query |= Q(email__iexact=email)
                    for email, pk in employees.filter(query).values_list("email", "pk"):
                        self.by_email.setdefault(email.lower(), pk)
        if codes:
            self.departments.update(
                Department.objects.filter(company=company, code__in=codes).values_list("code", "pk")
            )

    def resolve(self, item: EventInput) -> tuple[int | None, int | None, str | None]:
        """(employee id, department id, error field) — both ids None means unmatched."""
        number = item.employee_number.strip()
        if number:
            found = self.by_number.get(number)
            return (found, None, None) if found else (None, None, "employee_number")
        identity = identity_normalise(item.identity)
        if identity:
            found = self.by_identity.get(identity) or self.by_email.get(identity)
            return found, None, None
        code = item.department_code.strip()
        found = self.departments.get(code)
        return (None, found, None) if found else (None, None, "department_code")


@transaction.atomic
def metric_events_ingest(
    *,
    company: Company,
    source: MetricSource,
    items: Sequence[EventInput],
    actor: User | None,
    run: SourceRun | None = None,
    refresh_inline_subjects: int | None = None,
) -> IngestResult:
    """Store a batch of events from one source; per-item results, nothing counted twice.

    With ``run`` (a sync or import in progress) the counts are added to that run and
    the caller finishes it; without, a run is recorded for this batch.

    The values the batch touched are refreshed before this returns, unless the batch
    touches more than ``refresh_inline_subjects`` people and teams: then a task does
    it once the batch is committed (``values_current`` is False), so that a big push
    is answered at once while one event still shows in its employee's progress.
    """
    now = timezone.now()
    own_run = run is None
    if run is None:
        run = SourceRun.objects.create(company=company, source=source, started_at=now)
    codes = {item.indicator_code for item in items}
    indicators = {
        i.code: i
        for i in Indicator.objects.filter(company=company, code__in=codes).select_related(
            "current_version"
        )
    }
    ids = {item.source_event_id for item in items} | {
        item.corrects for item in items if item.corrects
    }
    existing: dict[str, MetricEvent] = {}
    id_list = list(ids)
    for start in range(0, len(id_list), CHUNK):
        for stored in MetricEvent.objects.filter(
            source=source, source_event_id__in=id_list[start : start + CHUNK]
        ).select_related("indicator"):
            existing[stored.source_event_id] = stored
    resolver = _Resolver(company, source, items)
    results: list[ItemResult] = []
    new_events: list[NewEvent] = []
    in_batch: dict[str, tuple[str, NewEvent | None]] = {}
    corrected_targets: dict[str, MetricEvent | NewEvent] = {}
    corrections: list[tuple[MetricEvent | NewEvent, NewEvent]] = []
    parked: dict[str, list[EventInput]] = defaultdict(list)
    for index, item in enumerate(items):
        problem = _check_item(item, indicators, now)
        if problem:
            results.append(_item_error(index, item, *problem))
            continue
        fingerprint = content_hash(item)
        earlier = existing.get(item.source_event_id)
        seen = in_batch.get(item.source_event_id)
        if earlier is not None or seen is not None:
            known = earlier.content_hash if earlier is not None else seen[0] if seen else ""
            if known == fingerprint:
                event_id = earlier.pk if earlier else None
                results.append(ItemResult(index, item.source_event_id, "duplicate", event_id))
            else:
                message = _("该编号已收到过不同的数值；如需修改，请发送一条更正。")
                results.append(
                    _item_error(index, item, "conflicting_resend", message, "source_event_id")
                )
            continue
        indicator = indicators[item.indicator_code]
        version = indicator.current_version
        assert version is not None
        employee_id, department_id, missing = resolver.resolve(item)
        if missing:
            message = (
                _("工号 %(n)s 不存在。") % {"n": item.employee_number}
                if missing == "employee_number"
                else _("部门编码 %(c)s 不存在。") % {"c": item.department_code}
            )
            results.append(_item_error(index, item, "unknown_subject", message, missing))
            continue
        target: MetricEvent | NewEvent | None = None
        if item.correction:
            target = corrected_targets.get(item.corrects) or existing.get(item.corrects)
            if target is None and item.corrects in in_batch:
                target = in_batch[item.corrects][1]
            if target is None:
                message = _("找不到被更正的记录 %(id)s。") % {"id": item.corrects}
                results.append(_item_error(index, item, "unknown_target", message, "corrects"))
                continue
            if target.status not in (EventStatus.COUNTED, EventStatus.PARKED) or (
                target.correction_kind == CorrectionKind.REVERSE
            ):
                message = _("记录 %(id)s 已被更正过。") % {"id": item.corrects}
                results.append(_item_error(index, item, "already_corrected", message, "corrects"))
                continue
            if target.indicator_id != indicator.pk:
                message = _("更正必须针对同一指标。")
                results.append(_item_error(index, item, "indicator_mismatch", message, "indicator"))
                continue
        identity = identity_normalise(item.identity)
        matched = employee_id is not None or department_id is not None
        status = EventStatus.COUNTED if matched else EventStatus.PARKED
        value = item.value
        if item.correction == "reverse":
            assert target is not None
            status = EventStatus.REVERSED
            value = target.value
            employee_id, department_id = target.employee_id, target.department_id
        event = NewEvent(
            company_id=company.pk,
            indicator=indicator,
            indicator_version=version,
            employee_id=employee_id,
            department_id=department_id,
            value=value,
            occurred_at=item.occurred_at,
            source_id=source.pk,
            source_event_id=item.source_event_id,
            identity=identity,
            evidence_url=item.evidence_url,
            evidence=dict(item.evidence),
            content_hash=fingerprint,
            status=status,
            correction_kind=item.correction,
            ingested_at=now,
            created_by_id=actor.pk if actor is not None else None,
            run_id=run.pk,
        )
        if target is not None:
            if target.pk is not None:
                event.correction_of_id = target.pk
            target.status = (
                EventStatus.REVERSED if item.correction == "reverse" else EventStatus.SUPERSEDED
            )
            corrected_targets[target.source_event_id] = target
            corrections.append((target, event))
        new_events.append(event)
        in_batch[item.source_event_id] = (fingerprint, event)
        if item.correction:
            results.append(ItemResult(index, item.source_event_id, "corrected"))
        elif matched:
            results.append(ItemResult(index, item.source_event_id, "created"))
        else:
            results.append(ItemResult(index, item.source_event_id, "unmatched"))
            parked[identity].append(item)
    _flag_anomalies(company, source, new_events)
    events_insert(new_events)
    # A target may be a row of this same batch: link it now that it has its id.
    for target, correction in corrections:
        assert target.pk is not None and correction.pk is not None
        MetricEvent.objects.filter(pk=target.pk).update(status=target.status)
        if correction.correction_of_id is None:
            MetricEvent.objects.filter(pk=correction.pk).update(correction_of=target.pk)
            correction.correction_of_id = target.pk
    event_by_id = {event.source_event_id: event for event in new_events}
    for result in results:
        if result.status in ("created", "corrected", "unmatched"):
            event = event_by_id[result.source_event_id]
            result.event_id = event.pk
            result.anomalies = list(event.anomalies)
    _park(company, source, parked, now)
    touched = [
        TouchedKey(e.employee_id, e.department_id, e.indicator_id, e.occurred_at)
        for e in [*new_events, *(t for t, _e in corrections)]
        if e.employee_id or e.department_id
    ]
    subjects = {(key.employee_id, key.department_id) for key in touched}
    values_current = refresh_inline_subjects is None or len(subjects) <= refresh_inline_subjects
    if values_current:
        metric_values_refresh(company=company, touched=touched)
    else:
        _refresh_after_commit(company, touched)
    outcome = IngestResult(results, run.pk, values_current)
    _run_totals(run, company, items, new_events)
    _run_update(run, outcome, own_run=own_run)
    _audit(company, source, actor, outcome, corrections)
    return outcome


def _refresh_after_commit(company: Company, touched: list[TouchedKey]) -> None:
    """Owe the touched keys' refresh (in this transaction) and have a drain run once the
    batch is committed; drains take the refreshes of every batch that came meanwhile."""
    from jixiao.metrics.services.refresh_queue import refresh_owe
    from jixiao.metrics.tasks import metric_values_drain_task

    refresh_owe(company, touched)
    company_id = company.pk
    transaction.on_commit(lambda: metric_values_drain_task(company_id))


def _flag_anomalies(company: Company, source: MetricSource, events: list[NewEvent]) -> None:
    """Out-of-range, jump against the last three months' average, near-duplicate values."""
    candidates = [e for e in events if e.status == EventStatus.COUNTED and e.employee_id]
    if not candidates:
        for event in events:
            version = event.indicator_version
            if event.status == EventStatus.COUNTED:
                event.anomalies = engine.anomalies_detect(
                    value=event.value,
                    plausible_min=version.plausible_min,
                    plausible_max=version.plausible_max,
                )
        return
    earliest = min(e.occurred_at for e in candidates)
    since = (earliest - dt.timedelta(days=100)).date().replace(day=1)
    employee_ids = {e.employee_id for e in candidates}
    indicator_ids = {e.indicator_id for e in candidates}
    trailing: dict[tuple[int, int], list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for emp, ind, start, total, count in MetricValue.objects.filter(
        company=company,
        period_kind=PeriodKind.MONTH,
        employee_id__in=employee_ids,
        indicator_id__in=indicator_ids,
        period_start__gte=since,
        count__gt=0,
    ).values_list("employee_id", "indicator_id", "period_start", "sum", "count"):
        trailing[(emp, ind)].append((start, total / count))
    seen = _stored_twins(company, candidates)
    for event in events:
        if event.status != EventStatus.COUNTED:
            continue
        version = event.indicator_version
        month = event.occurred_at.date().replace(day=1)
        history = [
            avg
            for start, avg in trailing.get((event.employee_id or 0, event.indicator_id), [])
            if start < month
        ][-3:]
        key = (event.employee_id, event.indicator_id, event.value, event.occurred_at)
        event.anomalies = engine.anomalies_detect(
            value=event.value,
            plausible_min=version.plausible_min,
            plausible_max=version.plausible_max,
            trailing=history,
            near_duplicate=key in seen and bool(event.employee_id),
        )
        seen.add(key)


TWIN_CHUNK = 300


def _stored_twins(
    company: Company, events: list[NewEvent]
) -> set[tuple[int | None, int, Decimal, dt.datetime]]:
    """(person, indicator, value, time) of the stored counted events at the very person,
    indicator and time of one of ``events``: one probe of the person-indicator-time
    index per event, joined to a VALUES list (an ``IN`` list of a thousand instants
    made the database read whole months of a thousand people)."""
    ops = connection.ops
    table = ops.quote_name(MetricEvent._meta.db_table)
    column = {
        name: ops.quote_name(str(MetricEvent._meta.get_field(name).column))  # type: ignore[union-attr]
        for name in ("company", "employee", "indicator", "occurred_at", "value", "status")
    }
    keys = sorted({(e.employee_id, e.indicator_id, e.occurred_at) for e in events})
    found: set[tuple[int | None, int, Decimal, dt.datetime]] = set()
    for start in range(0, len(keys), TWIN_CHUNK):
        chunk = keys[start : start + TWIN_CHUNK]
        marks = ", ".join(["(%s, %s, %s)"] * len(chunk))
        params: list[Any] = []
        for employee_id, indicator_id, at in chunk:
            params += [employee_id, indicator_id, ops.adapt_datetimefield_value(at)]
        # Only model column names go into the text; every value is a parameter.
        sql = (
            f"SELECT e.{column['employee']}, e.{column['indicator']}, e.{column['value']}, "  # noqa: S608
            f"e.{column['occurred_at']} FROM (VALUES {marks}) AS wanted "
            f"JOIN {table} AS e ON e.{column['company']} = %s "
            f"AND e.{column['employee']} = wanted.column1 "
            f"AND e.{column['indicator']} = wanted.column2 "
            f"AND e.{column['occurred_at']} = wanted.column3 AND e.{column['status']} = %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, company.pk, EventStatus.COUNTED])
            rows = cursor.fetchall()
        value_field = MetricEvent._meta.get_field("value")
        time_field = MetricEvent._meta.get_field("occurred_at")
        value_of = _converter(value_field)
        time_of = _converter(time_field)
        for employee_id, indicator_id, value, at in rows:
            found.add((employee_id, indicator_id, value_of(value), time_of(at)))
    return found


def _converter(model_field: Any) -> Any:
    """The database value of ``model_field`` as Django reads it (decimals, aware times)."""
    converters = connection.ops.get_db_converters(model_field.cached_col)
    converters += model_field.get_db_converters(connection)

    def convert(value: Any) -> Any:
        for converter in converters:
            value = converter(value, model_field.cached_col, connection)
        return value

    return convert


def _park(
    company: Company, source: MetricSource, parked: dict[str, list[EventInput]], now: dt.datetime
) -> None:
    """Add unmatched identities to HR's queue (or count more events on an open entry)."""
    parked_count(
        company,
        source,
        {
            identity: (len(items), {"indicator": items[0].indicator_code,
                                    "value": str(items[0].value),
                                    "source_event_id": items[0].source_event_id})
            for identity, items in parked.items()
        },
        now,
    )  # fmt: skip


def parked_count(
    company: Company,
    source: MetricSource,
    parked: dict[str, tuple[int, dict[str, str]]],
    now: dt.datetime,
) -> None:
    """{identity: (events parked, a sample)} into HR's queue of unmatched identities."""
    for identity, (count, sample) in parked.items():
        entry, created = UnmatchedIdentity.objects.select_for_update().get_or_create(
            source=source,
            identity=identity,
            defaults={
                "company": company,
                "first_seen": now,
                "last_seen": now,
                "event_count": count,
                "sample": sample,
            },
        )
        if not created:
            entry.last_seen = now
            entry.event_count += count
            entry.resolved_at = None
            entry.save(update_fields=["last_seen", "event_count", "resolved_at"])


def _run_totals(
    run: SourceRun, company: Company, items: Sequence[EventInput], events: list[NewEvent]
) -> None:
    """What this batch received and stored per indicator and month: the source's side of
    the monthly reconciliation (``jixiao.metrics.quality``)."""
    zone = zoneinfo.ZoneInfo(company.time_zone)
    received: dict[tuple[str, dt.date], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    accepted: dict[tuple[str, dt.date], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for item in items:
        at = item.occurred_at
        if isinstance(at, dt.datetime) and at.tzinfo is not None:
            entry = received[(item.indicator_code, at.astimezone(zone).date().replace(day=1))]
            entry[0] += 1
            if isinstance(item.value, Decimal) and item.value.is_finite():
                entry[1] += item.value
    for event in events:
        key = (event.indicator.code, event.occurred_at.astimezone(zone).date().replace(day=1))
        accepted[key][0] += 1
        accepted[key][1] += event.value
    run.totals = quality.run_totals_merge(
        run.totals,
        received={k: quality.Totals(n, v) for k, (n, v) in received.items()},
        accepted={k: quality.Totals(n, v) for k, (n, v) in accepted.items()},
    )


def _run_update(run: SourceRun, outcome: IngestResult, *, own_run: bool) -> None:
    run.received += outcome.received
    run.created += outcome.created
    run.duplicates += outcome.duplicates
    run.corrected += outcome.corrected
    run.unmatched += outcome.unmatched
    run.errors += outcome.errors
    errors = [
        {"index": r.index, "source_event_id": r.source_event_id, "code": r.code,
         "message": r.message, "fields": r.fields}
        for r in outcome.items if r.status == "error"
    ][:100]  # fmt: skip
    run.error_detail = [*run.error_detail, *errors][:100]
    fields = ["received", "created", "duplicates", "corrected", "unmatched", "errors",
              "error_detail", "totals"]  # fmt: skip
    if own_run:
        run.finish_mark(errors=outcome.errors, received=outcome.received)
        fields += ["finished_at", "status"]
    run.save(update_fields=fields)


def _audit(
    company: Company,
    source: MetricSource,
    actor: User | None,
    outcome: IngestResult,
    corrections: list[tuple[MetricEvent | NewEvent, NewEvent]],
) -> None:
    counts: dict[str, Any] = {
        name: [None, getattr(outcome, name)]
        for name in ("received", "created", "duplicates", "corrected", "unmatched", "errors")
    }
    audit_record(
        company=company,
        actor=actor,
        action="metrics.events.ingest",
        obj=source,
        changes={**counts, "run": [None, outcome.run_id]},
    )
    if corrections:
        audit_record_many(
            company=company,
            actor=actor,
            entries=[
                AuditEntry(
                    action=f"metrics.event.{event.correction_kind}",
                    object_type="metrics.metricevent",
                    object_id=str(target.pk),
                    object_repr=f"{source.name}:{target.source_event_id}",
                    changes={
                        "status": [EventStatus.COUNTED.value, target.status],
                        "value": [
                            str(target.value),
                            None if event.correction_kind == "reverse" else str(event.value),
                        ],
                        "correction": [None, event.source_event_id],
                    },
                )
                for target, event in corrections
            ],
        )
