"""The metric-event importer of the import framework: any CSV/XLSX of data points.

Upload → column mapping (saved mappings by name, Chinese and English headers
recognised) → dry run with row-and-column errors → all-or-nothing or valid rows
only → XLSX error report: the framework's. This importer checks what the ingest
would refuse (unknown or derived indicator, unknown 工号 or department, bad time,
bad link, an id already received with other values) so that every refusal shows
at its row and column before anything is written, then writes with
``metric_events_ingest`` into the source chosen at upload (option ``source``: a file,
ERP or CRM source of the company, whose last column mapping is remembered for its
next file) or, without one, into the company's "文件导入" source.

A row without a source id gets one derived from its content, so importing the same
file twice counts nothing twice. Times without a zone are in the company's zone;
a date alone means noon of that day, so it never slips into the day before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jixiao.core.api_errors import ServiceError
from jixiao.imports.cleaners import (
    CleanError,
    clean_code,
    clean_date,
    clean_number,
    clean_text,
    excel_serial_to_date,
    is_blank,
)
from jixiao.imports.engine import (
    CleanRow,
    CommitResult,
    FieldSpec,
    Importer,
    ImportOption,
    ImportPlan,
    Progress,
    RowOutcome,
    chunks,
    register,
)
from jixiao.metrics import engine
from jixiao.metrics.event_input import CorrectionKind, EventInput, EvidenceValue
from jixiao.metrics.models import IdentityLink, Indicator, MetricEvent, MetricSource, SourceKind
from jixiao.metrics.services.ingest import (
    EARLIEST,
    FUTURE_TOLERANCE,
    MAX_EVIDENCE_BYTES,
    MAX_ID_LENGTH,
    MAX_URL_LENGTH,
    MAX_VALUE,
    content_hash,
    identity_normalise,
    metric_events_ingest,
)
from jixiao.org.models import Department, Employee

FILE_SOURCE_NAME = "文件导入"
IMPORTABLE_KINDS = (SourceKind.FILE, SourceKind.ERP, SourceKind.CRM)
"""Sources a file can be imported into: file sources, and ERP/CRM sources for their exports."""
EVIDENCE_FIELDS = ("customer", "order_number", "location", "note")
_MOMENT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?\s*[T ]\s*"
    r"(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_CORRECTIONS = {
    "reverse": "reverse",
    "撤销": "reverse",
    "冲销": "reverse",
    "replace": "replace",
    "替换": "replace",
    "更正": "replace",
}


def clean_moment(value: Any) -> dt.datetime | None:
    """A time or a date as typed or stored by Excel; naive unless the cell names a zone.

    A date alone becomes noon of that day (its zone is added by the importer).
    """
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(12))
    if isinstance(value, int | float) and not isinstance(value, bool):
        serial_day = excel_serial_to_date(float(value))
        fraction = float(value) % 1
        if not fraction:
            return dt.datetime.combine(serial_day, dt.time(12))
        seconds = round(fraction * 86400)
        return dt.datetime.combine(serial_day, dt.time()) + dt.timedelta(seconds=seconds)
    text = str(value).strip().replace("：", ":")
    match = _MOMENT.match(text)
    if match:
        year, month, day, hour, minute = (int(part) for part in match.groups()[:5])
        second = int(match.group(6) or 0)
        zone = match.group(7)
        try:
            moment = dt.datetime(year, month, day, hour, minute, second)
        except ValueError as exc:
            raise CleanError(_("时间“%(v)s”不存在。") % {"v": text}) from exc
        if zone:
            if zone == "Z":
                return moment.replace(tzinfo=dt.UTC)
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            return moment.replace(tzinfo=dt.timezone(sign * offset))
        return moment
    day_only = clean_date(value)  # raises CleanError with the framework's hint
    assert day_only is not None
    return dt.datetime.combine(day_only, dt.time(12))


def clean_correction(value: Any) -> str:
    text = clean_text(value).lower()
    if not text:
        return ""
    if text not in _CORRECTIONS:
        raise CleanError(_("更正方式只能是“撤销”（reverse）或“替换”（replace）。"))
    return _CORRECTIONS[text]


def metric_event_fields() -> list[FieldSpec]:
    return [
        FieldSpec("employee_number", _("工号"), ("员工编号", "员工号", "employee number"),
                  clean=lambda v: clean_code(v, max_length=50)),
        FieldSpec("identity", _("外部身份"), ("邮箱", "账号", "身份", "email", "identity", "用户"),
                  clean=lambda v: clean_text(v, max_length=MAX_ID_LENGTH)),
        FieldSpec("department_code", _("部门编码"), ("department code", "department"),
                  clean=lambda v: clean_code(v, max_length=50)),
        FieldSpec("indicator", _("指标编码"), ("指标", "指标代码", "indicator", "indicator code"),
                  required=True, clean=lambda v: clean_code(v, max_length=60).lower()),
        FieldSpec("value", _("数值"), ("值", "数量", "金额", "value", "amount"), required=True,
                  clean=clean_number),
        FieldSpec("occurred_at", _("发生时间"),
                  ("时间", "日期", "发生日期", "occurred at", "date", "time"),
                  required=True, clean=clean_moment),
        FieldSpec("source_event_id", _("来源编号"),
                  ("记录编号", "编号", "单号", "source id", "source event id", "id"),
                  unique=True, clean=lambda v: clean_text(v, max_length=MAX_ID_LENGTH)),
        FieldSpec("evidence_url", _("证据链接"), ("链接", "url", "evidence url", "link"),
                  clean=lambda v: clean_text(v, max_length=MAX_URL_LENGTH)),
        FieldSpec("customer", _("客户"), ("客户名称", "customer"),
                  clean=lambda v: clean_text(v, max_length=200)),
        FieldSpec("order_number", _("订单号"), ("订单编号", "order number", "order"),
                  clean=lambda v: clean_text(v, max_length=100)),
        FieldSpec("location", _("地点"), ("位置", "location", "place"),
                  clean=lambda v: clean_text(v, max_length=200)),
        FieldSpec("note", _("说明"), ("备注", "note", "description"),
                  clean=lambda v: clean_text(v, max_length=500)),
        FieldSpec("correction", _("更正方式"), ("correction",), clean=clean_correction),
        FieldSpec("corrects", _("被更正编号"), ("corrects", "更正编号"),
                  clean=lambda v: clean_text(v, max_length=MAX_ID_LENGTH)),
    ]  # fmt: skip


def file_source(company: Any, *, create: bool) -> MetricSource | None:
    """The company's source for imported files (created on the first commit)."""
    found = MetricSource.objects.filter(
        company=company, kind=SourceKind.FILE, name=FILE_SOURCE_NAME
    ).first()
    if found is None and create:
        found = MetricSource.objects.create(
            company=company, kind=SourceKind.FILE, name=FILE_SOURCE_NAME
        )
    return found


def source_id_clean(value: Any) -> int | None:
    """The ``source`` option: a source id, or None for the "文件导入" source."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return int(value)
    message = _("数据源无效。")
    raise ServiceError(message, code="bad_source", fields={"source": [message]})


def importable_source(company: Any, source_id: int) -> MetricSource:
    """The company's source a file may go into: 404 when it is not the company's."""
    source = MetricSource.objects.filter(company=company, pk=source_id).first()
    if source is None:
        raise ServiceError(_("数据源不存在。"), code="not_found", status=404)
    if source.kind not in IMPORTABLE_KINDS:
        message = _("“%(name)s”是%(kind)s数据源，不能导入文件；可导入文件的类型：%(kinds)s。") % {
            "name": source.name,
            "kind": source.get_kind_display(),
            "kinds": "、".join(str(SourceKind(kind).label) for kind in IMPORTABLE_KINDS),
        }
        raise ServiceError(message, code="source_not_importable", fields={"source": [message]})
    return source


def derived_source_id(item: EventInput) -> str:
    return derived_source_id_of(
        item.employee_number, item.identity, item.department_code, item.indicator_code,
        item.value, item.occurred_at, item.evidence,
    )  # fmt: skip


def derived_source_id_of(
    employee_number: str,
    identity: str,
    department_code: str,
    indicator_code: str,
    value: Decimal,
    occurred_at: dt.datetime,
    evidence: Mapping[str, Any],
) -> str:
    """The source id of a row without one: the same row gives the same id, every time."""
    payload = [
        employee_number,
        identity_normalise(identity),
        department_code,
        indicator_code,
        str(value.normalize()),
        occurred_at.astimezone(dt.UTC).isoformat(),
        evidence,
    ]
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return "file-" + hashlib.sha256(text.encode()).hexdigest()[:32]


@register
class MetricEventImporter(Importer):
    """Metric events (one data point per row) for any indicator, matched by 工号 or identity."""

    name = "metric_events"
    label = gettext_lazy("指标数据")
    permission = "metrics.administer"
    chunk_size = 5000
    chosen_source: MetricSource | None = None

    def fields(self) -> list[FieldSpec]:
        return metric_event_fields()

    def option_specs(self) -> list[ImportOption]:
        return [
            ImportOption("source", _("数据源"), default=None, clean=source_id_clean, tick_box=False)
        ]

    def options_clean(self, given: Mapping[str, Any]) -> dict[str, Any]:
        options = super().options_clean(given)
        chosen = options["source"]
        self.chosen_source = importable_source(self.company, chosen) if chosen else None
        return options

    def _target(self, *, create: bool) -> MetricSource | None:
        if self.chosen_source is not None:
            return self.chosen_source
        return file_source(self.company, create=create)

    def mapping_remembered(self) -> dict[str, str]:
        if self.chosen_source is None:
            return {}
        return {str(h): str(t) for h, t in (self.chosen_source.column_mapping or {}).items()}

    def mapping_remember(self, mapping: Mapping[str, str]) -> None:
        """The chosen source keeps the mapping of its last previewed file."""
        if self.chosen_source is None:
            return
        used = {header: target for header, target in mapping.items() if target}
        MetricSource.objects.filter(pk=self.chosen_source.pk).update(column_mapping=used)
        self.chosen_source.column_mapping = used

    def validate_row(self, row: CleanRow, columns: Mapping[str, str]) -> None:
        values = row.values
        if not (
            values.get("employee_number") or values.get("identity") or values.get("department_code")
        ):
            column = columns.get("employee_number") or columns.get("identity") or ""
            row.error(column, _("请填写工号、外部身份或部门编码之一。"), "employee_number")
        if values.get("correction") and not values.get("corrects"):
            row.error(
                columns.get("corrects", columns.get("correction", "")),
                _("更正需要填写被更正的来源编号。"),
                "corrects",
            )
        url = values.get("evidence_url") or ""
        if url and not url.startswith(("http://", "https://")):
            row.error(columns["evidence_url"], _("证据链接必须以 http:// 或 https:// 开头。"),
                      "evidence_url")  # fmt: skip
        value = values.get("value")
        if isinstance(value, Decimal) and abs(value) >= MAX_VALUE:
            row.error(columns["value"], _("数值超出范围。"), "value")

    def plan(self, rows: list[CleanRow], columns: Mapping[str, str]) -> ImportPlan:
        zone = ZoneInfo(str(self.company.time_zone or "Asia/Shanghai"))
        now = timezone.now()
        good = [row for row in rows if not row.has_errors]
        indicator_refusals = self._indicator_refusals({row.values["indicator"] for row in good})
        numbers = self._known(
            Employee, "employee_number", {row.values.get("employee_number") or "" for row in good}
        )
        departments = self._known(
            Department, "code", {row.values.get("department_code") or "" for row in good}
        )
        items: list[tuple[int, EventInput]] = []
        for row in good:
            item = self._item(row, columns, zone, now, indicator_refusals, numbers, departments)
            if item is not None:
                items.append((row.number, item))
        source = self._target(create=False)
        stored = self._stored(source, [item.source_event_id for _n, item in items])
        known = self._known_identities(source, {i.identity for _n, i in items if i.identity})
        by_number = {row.number: row for row in rows}
        outcomes: list[RowOutcome] = []
        payload: list[tuple[int, EventInput]] = []
        for number, item in items:
            row = by_number[number]
            label = f"{item.indicator_code} = {item.value}"
            key = item.employee_number or item.identity or item.department_code
            earlier = stored.get(item.source_event_id)
            if earlier is not None and earlier != content_hash(item):
                row.error(
                    columns.get("source_event_id", ""),
                    _("该编号已收到过不同的数值；如需修改，请填写更正方式。"),
                    "source_event_id",
                )
                continue
            if earlier is not None:
                outcomes.append(RowOutcome(number, "unchanged", key, label))
                continue
            if (
                item.identity
                and not item.employee_number
                and identity_normalise(item.identity) not in known
            ):
                row.warn(
                    columns.get("identity", ""),
                    _("“%(i)s”还没有对应的员工，数据将进入待匹配队列。") % {"i": item.identity},
                    "identity",
                )
            outcomes.append(RowOutcome(number, "create", key, label))
            payload.append((number, item))
        for row in rows:
            if row.has_errors:
                outcomes.append(RowOutcome(row.number, "error", "", ""))
        outcomes.sort(key=lambda o: o.row)
        return ImportPlan(rows, outcomes, payload)

    def _item(
        self,
        row: CleanRow,
        columns: Mapping[str, str],
        zone: ZoneInfo,
        now: dt.datetime,
        indicator_refusals: dict[str, str],
        numbers: set[str],
        departments: set[str],
    ) -> EventInput | None:
        values = row.values
        code = values["indicator"]
        refusal = indicator_refusals.get(code, "")
        if refusal:
            row.error(columns["indicator"], refusal, "indicator")
        number = values.get("employee_number") or ""
        if number and number not in numbers:
            row.error(columns["employee_number"], _("工号 %(n)s 不存在。") % {"n": number},
                      "employee_number")  # fmt: skip
        department = values.get("department_code") or ""
        if (
            department
            and not number
            and not values.get("identity")
            and (department not in departments)
        ):
            row.error(columns["department_code"], _("部门编码 %(c)s 不存在。") % {"c": department},
                      "department_code")  # fmt: skip
        moment: dt.datetime = values["occurred_at"]
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        if moment > now + FUTURE_TOLERANCE:
            row.error(columns["occurred_at"], _("发生时间不能晚于现在。"), "occurred_at")
        elif moment < EARLIEST:
            row.error(columns["occurred_at"], _("发生时间过早。"), "occurred_at")
        evidence: dict[str, EvidenceValue] = {
            name: values[name] for name in EVIDENCE_FIELDS if values.get(name)
        }
        # JSON needs at most 6 bytes per character (an escape) plus quotes and separators.
        bound = sum(6 * (len(k) + len(str(v))) + 6 for k, v in evidence.items()) + 2
        size = (
            len(json.dumps(evidence, ensure_ascii=False).encode())
            if bound > MAX_EVIDENCE_BYTES
            else 0
        )
        if size > MAX_EVIDENCE_BYTES:
            row.error(
                columns.get("note") or columns.get("customer") or "",
                _("证据过大（%(size)d 字节，最多 %(max)d 字节）。")
                % {"size": size, "max": MAX_EVIDENCE_BYTES},
                "evidence",
            )
        if row.has_errors:
            return None
        correction: CorrectionKind = values.get("correction") or ""  # type: ignore[assignment]
        item = EventInput(
            indicator_code=code,
            value=values["value"],
            occurred_at=moment,
            source_event_id=values.get("source_event_id") or "",
            identity=values.get("identity") or "",
            employee_number=number,
            department_code=department if not number and not values.get("identity") else "",
            evidence_url=values.get("evidence_url") or "",
            evidence=evidence,
            correction=correction,
            corrects=(values.get("corrects") or "") if correction else "",
        )
        if not item.source_event_id:
            item = dataclasses.replace(item, source_event_id=derived_source_id(item))
        return item

    def _indicator_refusals(self, codes: set[str]) -> dict[str, str]:
        """{code: why rows of that indicator cannot be imported ("" when they can)}."""
        found = {
            indicator.code: indicator
            for indicator in Indicator.objects.filter(
                company=self.company, code__in=codes
            ).select_related("current_version")
        }
        refusals: dict[str, str] = {}
        for code in codes:
            indicator = found.get(code)
            if indicator is None or indicator.current_version is None:
                refusals[code] = _("指标 %(c)s 不存在。") % {"c": code}
            elif not indicator.is_active:
                refusals[code] = _("指标 %(c)s 已停用。") % {"c": code}
            elif indicator.current_version.aggregation not in engine.DIRECT_AGGREGATIONS:
                refusals[code] = _("指标 %(c)s 由其他指标计算得出，请导入它的组成指标。") % {
                    "c": code
                }
            else:
                refusals[code] = ""
        return refusals

    def _known(self, model: Any, field: str, wanted: set[str]) -> set[str]:
        wanted.discard("")
        found: set[str] = set()
        for part in chunks(sorted(wanted), 2000):
            found.update(
                model.objects.filter(company=self.company, **{f"{field}__in": list(part)})
                .values_list(field, flat=True)
            )  # fmt: skip
        return found

    def _stored(self, source: MetricSource | None, ids: list[str]) -> dict[str, str]:
        if source is None:
            return {}
        found: dict[str, str] = {}
        for part in chunks(ids, 2000):
            found.update(
                MetricEvent.objects.filter(source=source, source_event_id__in=list(part))
                .values_list("source_event_id", "content_hash")
            )  # fmt: skip
        return found

    def _known_identities(self, source: MetricSource | None, raw: set[str]) -> set[str]:
        identities = {identity_normalise(i) for i in raw}
        if not identities:
            return set()
        scope = Q(source__isnull=True) | (Q(source=source) if source is not None else Q())
        known = set(
            IdentityLink.objects.filter(company=self.company, identity__in=identities)
            .filter(scope)
            .values_list("identity", flat=True)
        )
        emails = sorted(i for i in identities - known if "@" in i)
        # Compared lower-cased in chunks: one OR of a condition per address grows past
        # the database's expression limit for a file of many people.
        employees = Employee.objects.filter(company=self.company).annotate(address=Lower("email"))
        for part in chunks(emails, 2000):
            known.update(employees.filter(address__in=list(part)).values_list("address", flat=True))
        return known

    def commit(
        self, plan: ImportPlan, *, reason: str, progress: Progress | None = None
    ) -> CommitResult:
        payload: list[tuple[int, EventInput]] = plan.payload
        error_rows = {row.number for row in plan.error_rows}
        valid = [(number, item) for number, item in payload if number not in error_rows]
        if not valid:
            return CommitResult(skipped=len(error_rows))
        source = self._target(create=True)
        assert source is not None
        if not MetricSource.objects.filter(pk=source.pk, enabled=True).exists():
            raise ValueError(_("数据源“%(name)s”已停用。") % {"name": source.name})
        result = metric_events_ingest(
            company=self.company,
            source=source,
            items=[item for _n, item in valid],
            actor=self.actor,
        )
        refused = [item for item in result.items if item.status == "error"]
        if refused:
            first = refused[0]
            number = valid[first.index][0]
            raise ValueError(_("第 %(n)d 行未能写入：%(m)s") % {"n": number, "m": first.message})
        if progress is not None:
            progress(len(valid), len(valid))
        return CommitResult(
            created=result.created + result.unmatched + result.corrected,
            unchanged=result.duplicates,
            skipped=len(error_rows),
        )
