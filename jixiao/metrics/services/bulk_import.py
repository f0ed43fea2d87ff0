"""Files of metric events of any size, fast: ``metric_events_bulk_import``.

The import wizard (``MetricEventImporter``: mapping, preview, dry run) takes files up
to the import framework's row limit; bigger files — a CRM's or ERP's export of a
quarter, millions of rows — come here, from the wizard's upload form and from
``POST /api/v1/metrics/imports/bulk``. Same columns (the wizard's headers, or the
source's saved mapping), same checks and the same messages at (row, column), same
meaning as the ingest:

- a row is matched by 工号, else by identity (an identity link of the source or the
  company, else an employee's e-mail; not found → parked for HR's queue of unmatched
  identities), else by 部门编码 (a team's event);
- idempotent by source id: a row without one gets the id the wizard derives from its
  content, the same as ``content_hash``/``derived_source_id`` give there. A source id
  already stored with the same content is "unchanged"; with other content it is an
  error at its row (send a correction instead). Rows are written with ``ON CONFLICT
  DO NOTHING``; only when fewer rows were stored than sent is the file read a second
  time to find which rows those were;
- corrections (更正方式 + 被更正编号) go through ``metric_events_ingest`` after the rows,
  in the same transaction;
- ``all_or_nothing``: any row error and nothing is stored; ``valid_rows_only``: the
  valid rows are stored and the errors reported.

Rows are written while the file is still being read (``RowWriter``: a writer thread on
SQLite, ``COPY`` on PostgreSQL), so parsing and writing use both cores. What costs
time per row is kept out of the loop: the people, links, e-mails, departments and
indicators are loaded once; the out-of-range flag is set inline, while the jump and
near-duplicate flags and the values the rows touched are computed after the commit
by ``metric_run_after_import_task`` (a file of a few people: at once). One audit
event per import, one ``SourceRun`` with the counts and the reconciliation totals.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import zoneinfo
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.attendance.services.punch_import import file_rows
from jixiao.audit.services import audit_record
from jixiao.core.api_errors import ServiceError
from jixiao.core.bulk_insert import RowWriter, datetime_text
from jixiao.core.db import bulk_write_cache
from jixiao.core.models import Company, User
from jixiao.imports.cleaners import CleanError
from jixiao.imports.engine import FieldSpec, Issue, header_key, header_lookup, header_row_find
from jixiao.imports.readers import FileRejected
from jixiao.metrics import engine, quality
from jixiao.metrics.event_input import EventInput
from jixiao.metrics.importers import (
    EVIDENCE_FIELDS,
    derived_source_id_of,
    file_source,
    metric_event_fields,
)
from jixiao.metrics.models import (
    EventStatus,
    IdentityLink,
    Indicator,
    MetricEvent,
    MetricSource,
    SourceKind,
    SourceRun,
)
from jixiao.metrics.services.ingest import (
    EARLIEST,
    FUTURE_TOLERANCE,
    MAX_EVIDENCE_BYTES,
    MAX_VALUE,
    content_hash_of,
    identity_normalise,
    metric_events_ingest,
    parked_count,
)
from jixiao.org.models import Department, Employee

MODE_ALL_OR_NOTHING = "all_or_nothing"
MODE_VALID_ROWS_ONLY = "valid_rows_only"
MODES = (MODE_ALL_OR_NOTHING, MODE_VALID_ROWS_ONLY)
MAX_ISSUES = 5000
HEADER_SCAN_ROWS = 10
#: Up to this many people and teams, the values are refreshed before the answer.
REFRESH_INLINE_SUBJECTS = 20
LOOKUP_CHUNK = 1000
_PLACES = Decimal("0.0001")
_INSERT_COLUMNS = (
    "employee_id", "indicator_id", "occurred_at", "indicator_version_id", "department_id",
    "value", "source_event_id", "identity", "evidence_url", "evidence", "content_hash",
    "status", "anomalies",
)  # fmt: skip
_NO_FLAGS = "[]"
_evidence_json = json.JSONEncoder(ensure_ascii=False).encode
_OUT_OF_RANGE = json.dumps([engine.OUT_OF_RANGE])


@dataclass
class BulkEventImportResult:
    """What a bulk import did; ``issues`` are the rows' errors at (row, column)."""

    rows: int
    created: int
    unchanged: int
    unmatched: int
    corrected: int
    error_rows: int
    issues: list[Issue]
    headers: list[str]
    mapping: dict[str, str]
    committed: bool
    seconds: float
    run_id: int | None = None
    values_current: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "unchanged": self.unchanged,
            "unmatched": self.unmatched,
            "corrected": self.corrected,
            "error_rows": self.error_rows,
            "issues": [i.as_dict() for i in self.issues],
            "committed": self.committed,
            "seconds": round(self.seconds, 3),
            "mapping": self.mapping,
            "run_id": self.run_id,
            "values_current": self.values_current,
        }


@dataclass(frozen=True, slots=True)
class _IndicatorRow:
    pk: int
    version_id: int
    plausible_min: Decimal | None
    plausible_max: Decimal | None


@dataclass
class _Lookups:
    """Everything a row is checked against, loaded once before the first row."""

    indicators: dict[str, _IndicatorRow]
    refusals: dict[str, str]
    by_number: dict[str, int]
    by_identity: dict[str, int]
    departments: dict[str, int]
    zone: zoneinfo.ZoneInfo


def _lookups(company: Company, source: MetricSource) -> _Lookups:
    indicators: dict[str, _IndicatorRow] = {}
    refusals: dict[str, str] = {}
    for indicator in Indicator.objects.filter(company=company).select_related("current_version"):
        version = indicator.current_version
        code = indicator.code
        if version is None:
            refusals[code] = _("指标 %(c)s 不存在。") % {"c": code}
        elif not indicator.is_active:
            refusals[code] = _("指标 %(c)s 已停用。") % {"c": code}
        elif version.aggregation not in engine.DIRECT_AGGREGATIONS:
            refusals[code] = _("指标 %(c)s 由其他指标计算得出，请导入它的组成指标。") % {"c": code}
        else:
            indicators[code] = _IndicatorRow(
                indicator.pk, version.pk, version.plausible_min, version.plausible_max
            )
    people = Employee.objects.filter(company=company)
    by_number = dict(people.values_list("employee_number", "pk"))
    by_identity: dict[str, int] = {}
    for email, pk in people.exclude(email="").order_by("-pk").values_list("email", "pk"):
        by_identity[identity_normalise(email)] = pk  # the oldest employee wins, as in ingest
    # Links win over e-mails, and the source's own links over the company's.
    links = IdentityLink.objects.filter(company=company, source__isnull=True)
    by_identity.update(links.values_list("identity", "employee_id"))
    by_identity.update(
        IdentityLink.objects.filter(company=company, source=source).values_list(
            "identity", "employee_id"
        )
    )
    departments = dict(
        Department.objects.filter(company=company).exclude(code="").values_list("code", "pk")
    )
    return _Lookups(
        indicators, refusals, by_number, by_identity, departments,
        _zone(company.time_zone),
    )  # fmt: skip


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "Asia/Shanghai")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Asia/Shanghai")


def header_find(
    rows: Iterator[list[Any]], mapping: Mapping[str, str] | None = None
) -> tuple[int, list[str], list[tuple[int, list[Any]]]]:
    """The header row (the one of the first rows naming most event fields, or most
    headers of ``mapping``), its number, and the rows read past it that are data."""
    lookup = header_lookup(metric_event_fields())
    lookup.update({header_key(header): target for header, target in (mapping or {}).items()})
    found = header_row_find(rows, lookup, scan=HEADER_SCAN_ROWS)
    if found is None:
        message = _("找不到表头行：需要“指标编码”“数值”“发生时间”列。")
        raise ServiceError(message, code="empty", fields={"file": [message]})
    return found


def mapping_for(headers: Sequence[str], mapping: Mapping[str, str] | None) -> dict[str, int]:
    """{field name: column index} from a {header: field} mapping or the headers' names."""
    fields = metric_event_fields()
    names = {spec.name for spec in fields}
    chosen: dict[str, int] = {}
    if mapping:
        for header, target in mapping.items():
            if target and target in names and header in headers and target not in chosen:
                chosen[target] = headers.index(header)
    else:
        lookup = header_lookup(fields)
        for index, header in enumerate(headers):
            found = lookup.get(header_key(header))
            if found and found not in chosen:
                chosen[found] = index
    missing = [str(spec.label) for spec in fields if spec.required and spec.name not in chosen]
    if missing:
        message = _("缺少必需的列：%(c)s。") % {"c": "、".join(missing)}
        raise ServiceError(message, code="bad_mapping", fields={"mapping": [message]})
    if not {"employee_number", "identity", "department_code"} & chosen.keys():
        message = _("需要“工号”“外部身份”或“部门编码”中的一列。")
        raise ServiceError(message, code="bad_mapping", fields={"mapping": [message]})
    return chosen


class _Reader:
    """Turns one file row into the row to store, or issues at its (row, column)."""

    def __init__(
        self,
        lookups: _Lookups,
        columns_at: dict[str, int],
        headers: list[str],
        now: dt.datetime,
    ) -> None:
        self.lookups = lookups
        self.columns_at = columns_at
        self.names = {name: headers[index] for name, index in columns_at.items()}
        self.specs: dict[str, FieldSpec] = {s.name: s for s in metric_event_fields()}
        self.latest = now + FUTURE_TOLERANCE
        self.issues: list[Issue] = []
        self.error_rows = 0
        self.corrections: list[tuple[int, EventInput]] = []
        self.width = max(columns_at.values()) + 1
        self._evidence = [name for name in EVIDENCE_FIELDS if name in columns_at]
        self._times: dict[str, tuple[dt.datetime, str] | None] = {}
        self._suffix = "+00" if connection.vendor == "postgresql" else ""  # as datetime_text
        # The file's own source ids and their first row: a repeat is an error at the
        # later row, as the wizard has it (a row without an id may repeat: its derived
        # id says "the same content", which is stored once).
        self.ids_seen: dict[str, int] = {}
        self._memo: dict[str, dict[Any, str]] = {
            name: {} for name in _MEMO_FIELDS if name in columns_at
        }

    def issue(self, number: int, name: str, message: str) -> None:
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(Issue(number, self.names.get(name, ""), message, "error", name))

    def _cell(self, cells: list[Any], name: str) -> Any:
        index = self.columns_at.get(name)
        if index is None or index >= len(cells):
            return None
        return cells[index]

    def _text(self, cells: list[Any], name: str, number: int) -> str | None:
        """The cell as its field's cleaner gives it ("" when empty, None on an error):
        plain text that cleaner would leave as it is skips it. Columns that repeat a
        few values (people, indicators, customers) are cleaned once per value."""
        index = self.columns_at.get(name)
        if index is None or index >= len(cells):
            return ""
        cell = cells[index]
        if cell is None:
            return ""
        memo = self._memo.get(name)
        if memo is not None:
            try:
                found = memo[cell]
            except (KeyError, TypeError):
                pass
            else:
                return found
        text: str | None
        if type(cell) is str and self._plain(cell.strip(), name):
            text = cell.strip()
            if name == "indicator":
                text = text.lower()
        else:
            try:
                value = self.specs[name].clean(cell)
            except CleanError as exc:
                self.issue(number, name, exc.message)
                return None
            text = "" if value is None else str(value)
        if memo is not None and len(memo) < MEMO_LIMIT and type(cell) is str:
            memo[cell] = text
        return text

    @staticmethod
    def _plain(text: str, name: str) -> bool:
        """Text the field's cleaner would return unchanged."""
        return (
            len(text) <= _MAX_LENGTHS[name]
            and text.isprintable()
            and "  " not in text
            and not _WIDE.search(text)
            and (name not in _CODES or " " not in text)
        )

    def _moment(self, cells: list[Any], number: int) -> tuple[dt.datetime, str] | None:
        """(the aware time, its stored text), times without a zone in the company's."""
        cell = self._cell(cells, "occurred_at")
        if type(cell) is str:
            found = self._times.get(cell)
            if found is not None or cell in self._times:
                if found is None:
                    self.issue(number, "occurred_at", _("发生时间不能晚于现在。"))
                return found
        moment: dt.datetime | None
        try:
            moment = None
            if type(cell) is str and len(text := cell.strip()) > 10:  # not a date alone (noon)
                try:
                    moment = dt.datetime.fromisoformat(text)
                except ValueError:
                    moment = None
            if moment is None:
                moment = self.specs["occurred_at"].clean(cell)
        except CleanError as exc:
            self.issue(number, "occurred_at", exc.message)
            return None
        if moment is None:
            self.issue(number, "occurred_at", _("“%(f)s”不能为空。") % {"f": _("发生时间")})
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.lookups.zone)
        if moment < EARLIEST:
            self.issue(number, "occurred_at", _("发生时间过早。"))
            return None
        utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
        result: tuple[dt.datetime, str] | None = (moment, utc.isoformat(" ") + self._suffix)
        if moment > self.latest:
            result = None
        if type(cell) is str and len(self._times) < 200_000:
            self._times[cell] = result
        if result is None:
            self.issue(number, "occurred_at", _("发生时间不能晚于现在。"))
        return result

    def _value(self, cells: list[Any], number: int) -> Decimal | None:
        cell = self._cell(cells, "value")
        value: Decimal | None = None
        if type(cell) is str:
            try:
                value = Decimal(cell)
            except InvalidOperation:
                value = None
        if value is None or not value.is_finite():
            try:
                value = self.specs["value"].clean(cell)
            except CleanError as exc:
                self.issue(number, "value", exc.message)
                return None
        if value is None:
            self.issue(number, "value", _("“%(f)s”不能为空。") % {"f": _("数值")})
            return None
        if abs(value) >= MAX_VALUE:
            self.issue(number, "value", _("数值超出范围。"))
            return None
        return value

    def read(self, number: int, cells: list[Any]) -> tuple[Any, ...] | None:
        """The row to store (columns of ``_INSERT_COLUMNS``), or None (errors are issued,
        a correction is kept for the ingest)."""
        lookups = self.lookups
        errors = len(self.issues)
        employee_number = self._text(cells, "employee_number", number)
        identity = self._text(cells, "identity", number)
        department_code = self._text(cells, "department_code", number)
        code = self._text(cells, "indicator", number)
        value = self._value(cells, number)
        moment = self._moment(cells, number)
        source_event_id = self._text(cells, "source_event_id", number)
        evidence_url = self._text(cells, "evidence_url", number)
        evidence: dict[str, Any] = {}
        for name in self._evidence:
            text = self._text(cells, name, number)
            if text:
                evidence[name] = text
        correction = ""
        corrects = ""
        if "correction" in self.columns_at:
            correction = self._text(cells, "correction", number) or ""
            if correction:
                try:
                    correction = self.specs["correction"].clean(correction)
                except CleanError as exc:
                    self.issue(number, "correction", exc.message)
            corrects = self._text(cells, "corrects", number) or ""
        if not code and code is not None:
            self.issue(number, "indicator", _("“%(f)s”不能为空。") % {"f": _("指标编码")})
        elif code:
            refusal = lookups.refusals.get(code)
            if refusal is None and code not in lookups.indicators:
                refusal = _("指标 %(c)s 不存在。") % {"c": code}
            if refusal:
                self.issue(number, "indicator", refusal)
        employee_id: int | None = None
        department_id: int | None = None
        if employee_number:
            employee_id = lookups.by_number.get(employee_number)
            if employee_id is None:
                self.issue(
                    number, "employee_number", _("工号 %(n)s 不存在。") % {"n": employee_number}
                )
        elif identity:
            employee_id = lookups.by_identity.get(identity_normalise(identity))
        elif department_code:
            department_id = lookups.departments.get(department_code)
            if department_id is None:
                self.issue(
                    number,
                    "department_code",
                    _("部门编码 %(c)s 不存在。") % {"c": department_code},
                )
        elif employee_number is not None and identity is not None:
            column = "employee_number" if "employee_number" in self.columns_at else "identity"
            self.issue(number, column, _("请填写工号、外部身份或部门编码之一。"))
        if evidence_url and not evidence_url.startswith(("http://", "https://")):
            self.issue(number, "evidence_url", _("证据链接必须以 http:// 或 https:// 开头。"))
        # JSON needs at most 6 bytes per character (an escape) plus quotes and separators.
        if evidence and sum(6 * (len(k) + len(v)) + 6 for k, v in evidence.items()) + 2 > (
            MAX_EVIDENCE_BYTES
        ):
            size = len(json.dumps(evidence, ensure_ascii=False).encode())
            if size > MAX_EVIDENCE_BYTES:
                self.issue(
                    number,
                    "note" if "note" in evidence else next(iter(evidence)),
                    _("证据过大（%(size)d 字节，最多 %(max)d 字节）。")
                    % {"size": size, "max": MAX_EVIDENCE_BYTES},
                )
        if correction and not corrects:
            self.issue(number, "corrects", _("更正需要填写被更正的来源编号。"))
        if source_event_id:
            first = self.ids_seen.setdefault(source_event_id, number)
            if first != number:
                self.issue(
                    number,
                    "source_event_id",
                    _("“%(v)s”与第 %(n)d 行重复。") % {"v": source_event_id, "n": first},
                )
        if len(self.issues) > errors or value is None or moment is None or not code:
            self.error_rows += 1
            return None
        assert employee_number is not None and identity is not None
        assert department_code is not None and evidence_url is not None
        at, at_text = moment
        if department_id is not None:
            identity = ""
        if not source_event_id:
            source_event_id = derived_source_id_of(
                employee_number, identity or "", department_code if department_id else "",
                code, value, at, evidence,
            )  # fmt: skip
        if correction:
            self.corrections.append(
                (
                    number,
                    EventInput(
                        indicator_code=code,
                        value=value,
                        occurred_at=at,
                        source_event_id=source_event_id,
                        identity=identity or "",
                        employee_number=employee_number,
                        department_code=department_code if department_id else "",
                        evidence_url=evidence_url or "",
                        evidence=evidence,
                        correction=correction,  # type: ignore[arg-type]
                        corrects=corrects,
                    ),
                )
            )
            return None
        indicator = lookups.indicators[code]
        fingerprint = content_hash_of(
            code, value, at, identity or "", employee_number,
            department_code if department_id else "", evidence_url or "", evidence, "", "",
        )  # fmt: skip
        matched = employee_id is not None or department_id is not None
        flags = _NO_FLAGS
        if matched and (
            (indicator.plausible_min is not None and value < indicator.plausible_min)
            or (indicator.plausible_max is not None and value > indicator.plausible_max)
        ):
            flags = _OUT_OF_RANGE
        return (
            employee_id,
            indicator.pk,
            at_text,
            indicator.version_id,
            department_id,
            str(value.quantize(_PLACES)),
            source_event_id,
            identity_normalise(identity or ""),
            evidence_url or "",
            _evidence_json(evidence) if evidence else "{}",
            fingerprint,
            EventStatus.COUNTED.value if matched else EventStatus.PARKED.value,
            flags,
        )


_CODES = frozenset({"employee_number", "department_code", "indicator"})
#: Columns whose few distinct values are cleaned once each (up to ``MEMO_LIMIT``).
_MEMO_FIELDS = ("employee_number", "identity", "department_code", "indicator", "customer",
                "location", "correction")  # fmt: skip
MEMO_LIMIT = 100_000
#: Full-width ASCII and the ideographic space: the cleaners turn them half-width.
_WIDE = re.compile("[\uff01-\uff5e\u3000]")
_MAX_LENGTHS = {
    "employee_number": 50, "department_code": 50, "indicator": 60, "source_event_id": 200,
    "identity": 200, "evidence_url": 500, "customer": 200, "order_number": 100,
    "location": 200, "note": 500, "correction": 20, "corrects": 200,
}  # fmt: skip


def _index_order(row: tuple[Any, ...]) -> tuple[int, int, str]:
    """A row's place in the (person, indicator, time) index: chunks go out in that order."""
    return (row[0] or 0, row[1], row[2])


class _NothingStored(Exception):
    """All or nothing, and a row failed: the transaction rolls back what was written."""


def metric_events_bulk_import(
    *,
    company: Company,
    file: bytes,
    actor: User | None,
    mode: str = MODE_ALL_OR_NOTHING,
    file_name: str = "events.csv",
    source: MetricSource | None = None,
    mapping: Mapping[str, str] | None = None,
) -> BulkEventImportResult:
    """Import a file of metric events of any size in one transaction (see the module)."""
    if mode not in MODES:
        raise ServiceError(_("导入方式无效。"), fields={"mode": [_("请选择导入方式。")]})
    started = time.perf_counter()
    if not file.strip():
        raise ServiceError(_("文件是空的。"), code="empty", fields={"file": [_("文件是空的。")]})
    if source is not None and source.kind not in (SourceKind.FILE, SourceKind.ERP, SourceKind.CRM):
        message = _("该数据源不能导入文件。")
        raise ServiceError(message, code="source_not_importable", fields={"source": [message]})
    if source is not None and not source.enabled:
        message = _("数据源“%(name)s”已停用。") % {"name": source.name}
        raise ServiceError(message, code="source_disabled", fields={"source": [message]})
    try:
        rows = file_rows(file_name, file)
    except FileRejected as exc:
        raise ServiceError(exc.message, code=exc.code, fields={"file": [exc.message]}) from exc
    remembered = source.column_mapping if source is not None and not mapping else None
    header_number, headers, first_rows = header_find(rows, mapping or remembered)
    if remembered and not set(remembered) <= set(headers):
        remembered = None  # the source's last mapping is of another layout: recognise
    columns_at = mapping_for(headers, mapping or remembered or None)
    mapping_used = {headers[i]: name for name, i in columns_at.items()}
    all_or_nothing = mode == MODE_ALL_OR_NOTHING
    now = timezone.now()
    try:
        with transaction.atomic():
            target = source or file_source(company, create=True)
            assert target is not None
            lookups = _lookups(company, target)
            reader = _Reader(lookups, columns_at, headers, now)
            run = SourceRun.objects.create(company=company, source=target, started_at=now)
            writer = RowWriter(
                table=MetricEvent._meta.db_table,
                columns=_INSERT_COLUMNS,
                constants={
                    "company_id": company.pk,
                    "source_id": target.pk,
                    "correction_kind": "",
                    "disputed": False,
                    "ingested_at": datetime_text(now),
                    "created_by_id": actor.pk if actor is not None and actor.pk else None,
                    "run_id": run.pk,
                    "correction_of_id": None,
                },
                conflict_do_nothing=True,
                order_by=("employee_id", "indicator_id", "occurred_at"),
                sort_key=_index_order,
                chunk=100_000,
            )
            totals = _Totals(lookups.zone)
            with bulk_write_cache(), writer:
                total = _rows_write(
                    reader, writer, totals, first_rows, rows, header_number, all_or_nothing
                )
            if total == 0:
                raise ServiceError(
                    _("文件只有表头，没有数据行。"),
                    code="empty",
                    fields={"file": [_("文件只有表头，没有数据行。")]},
                )
            if reader.error_rows and all_or_nothing:
                raise _NothingStored
            unchanged = writer.sent - writer.inserted
            if unchanged:
                conflicts = _conflicts_find(
                    reader, file_name, file, header_number, target, run, totals
                )
                if conflicts and all_or_nothing:
                    raise _NothingStored
                unchanged -= conflicts
            corrected = _corrections_ingest(reader, company, target, actor, run)
            if reader.error_rows and all_or_nothing:
                raise _NothingStored
            unmatched = _parked(company, target, run, now)
            result = BulkEventImportResult(
                total, writer.inserted - unmatched, unchanged, unmatched, corrected,
                reader.error_rows, reader.issues, headers, mapping_used, True, 0.0, run.pk,
            )  # fmt: skip
            _run_finish(run, result, totals)
            if source is not None and not mapping and mapping_used != (source.column_mapping or {}):
                MetricSource.objects.filter(pk=source.pk).update(column_mapping=mapping_used)
            audit_record(
                company=company,
                actor=actor,
                action="metrics.events.bulk_import",
                obj=target,
                changes={
                    "rows": [None, total],
                    "created": [None, result.created],
                    "unchanged": [None, result.unchanged],
                    "unmatched": [None, unmatched],
                    "corrected": [None, corrected],
                    "error_rows": [None, reader.error_rows],
                    "mode": [None, mode],
                    "run": [None, run.pk],
                },
                reason=_("导入指标数据文件：%(f)s") % {"f": file_name},
            )
            result.values_current = _after_import(company, run)
    except _NothingStored:
        return BulkEventImportResult(
            total, 0, 0, 0, 0, reader.error_rows, reader.issues, headers, mapping_used, False,
            time.perf_counter() - started,
        )  # fmt: skip
    result.seconds = time.perf_counter() - started
    return result


def _rows_write(
    reader: _Reader,
    writer: RowWriter,
    totals: _Totals,
    first_rows: list[tuple[int, list[Any]]],
    rows: Iterator[list[Any]],
    header_number: int,
    all_or_nothing: bool,
) -> int:
    """Read every data row and hand the good ones to ``writer``; returns how many data
    rows the file has. All or nothing: after the first error rows are only checked."""
    total = 0
    read = reader.read
    add = writer.add
    count = totals.add
    for number, cells in _numbered(first_rows, rows, header_number):
        if not cells or all(c is None or c == "" for c in cells):
            continue
        total += 1
        row = read(number, cells)
        if row is None:
            continue
        count(row)
        if not (all_or_nothing and reader.error_rows):
            add(row)
    return total


def _numbered(
    first_rows: list[tuple[int, list[Any]]], rows: Iterator[list[Any]], last: int
) -> Iterator[tuple[int, list[Any]]]:
    yield from first_rows
    number = first_rows[-1][0] if first_rows else last
    for cells in rows:
        number += 1
        yield number, cells


class _Totals:
    """What the file brought per (indicator, month in the company's zone): the source's
    side of the monthly reconciliation. ``received`` is every good row as sent,
    ``accepted`` what was stored (rows already there, or repeated, are taken out)."""

    def __init__(self, zone: zoneinfo.ZoneInfo) -> None:
        self.zone = zone
        self.received: dict[tuple[int, str], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
        self.accepted: dict[tuple[int, str], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
        self._months: dict[str, str] = {}

    def _key(self, row: tuple[Any, ...]) -> tuple[int, str]:
        at_text: str = row[2]
        hour = at_text[:13]
        month = self._months.get(hour)
        if month is None:
            at = dt.datetime.fromisoformat(at_text[:19]).replace(tzinfo=dt.UTC)
            month = self._months[hour] = at.astimezone(self.zone).strftime("%Y-%m-01")
        return (row[1], month)

    def add(self, row: tuple[Any, ...]) -> None:
        key = self._key(row)
        value = Decimal(row[5])
        for side in (self.received, self.accepted):
            entry = side[key]
            entry[0] += 1
            entry[1] += value

    def remove(self, row: tuple[Any, ...]) -> None:
        """A row that was not stored after all (already there, or repeated in the file)."""
        entry = self.accepted[self._key(row)]
        entry[0] -= 1
        entry[1] -= Decimal(row[5])


def _conflicts_find(
    reader: _Reader,
    file_name: str,
    file: bytes,
    header_number: int,
    source: MetricSource,
    run: SourceRun,
    totals: _Totals,
) -> int:
    """Fewer rows were stored than sent: read the file again to find the rows whose
    source id was stored already (by an earlier import, or an earlier row of this file).
    Same content: unchanged (and out of the totals). Other content: an error at the
    row's 来源编号. Returns how many rows conflicted."""
    again = _Reader(reader.lookups, reader.columns_at, list(reader.names.values()), run.started_at)
    again.names = reader.names
    rows = file_rows(file_name, file)
    for _skip in range(header_number):
        next(rows, None)
    conflicts = 0
    seen: set[str] = set()
    pending: list[tuple[int, tuple[Any, ...]]] = []

    def settle() -> int:
        found: dict[str, tuple[str, int | None]] = {}
        ids = [row[6] for _n, row in pending]
        for start in range(0, len(ids), LOOKUP_CHUNK):
            found.update(
                (sid, (fingerprint, run_id))
                for sid, fingerprint, run_id in MetricEvent.objects.filter(
                    source=source, source_event_id__in=ids[start : start + LOOKUP_CHUNK]
                ).values_list("source_event_id", "content_hash", "run_id")
            )
        clashed = 0
        for number, row in pending:
            stored_hash, stored_run = found.get(row[6], ("", None))
            first = stored_run == run.pk and row[6] not in seen
            seen.add(row[6])
            if first and stored_hash == row[10]:
                continue  # the row this import stored
            totals.remove(row)
            if stored_hash != row[10]:
                clashed += 1
                reader.error_rows += 1
                reader.issue(
                    number,
                    "source_event_id",
                    _("该编号已收到过不同的数值；如需修改，请填写更正方式。"),
                )
        pending.clear()
        return clashed

    for number, cells in _numbered([], rows, header_number):
        if not cells or all(c is None or c == "" for c in cells):
            continue
        row = again.read(number, cells)
        if row is not None:
            pending.append((number, row))
            if len(pending) >= 20 * LOOKUP_CHUNK:
                conflicts += settle()
    conflicts += settle()
    return conflicts


def _corrections_ingest(
    reader: _Reader, company: Company, source: MetricSource, actor: User | None, run: SourceRun
) -> int:
    """The rows that correct earlier events, through the ingest (same run, same rules)."""
    if not reader.corrections:
        return 0
    outcome = metric_events_ingest(
        company=company,
        source=source,
        items=[item for _n, item in reader.corrections],
        actor=actor,
        run=run,
        refresh_inline_subjects=REFRESH_INLINE_SUBJECTS,
    )
    for result in outcome.items:
        if result.status == "error":
            number = reader.corrections[result.index][0]
            name = next(iter(result.fields), "corrects")
            name = {"indicator": "indicator", "source_event_id": "source_event_id"}.get(
                name, "corrects" if name in ("corrects", "correction") else name
            )
            reader.error_rows += 1
            reader.issue(number, name, result.message)
    return outcome.corrected


def _parked(company: Company, source: MetricSource, run: SourceRun, now: dt.datetime) -> int:
    """HR's queue of unmatched identities gets this import's parked rows; returns their number."""
    parked: dict[str, tuple[int, dict[str, str]]] = {}
    for identity, count, sample_id in (
        MetricEvent.objects.filter(run=run, status=EventStatus.PARKED, correction_kind="")
        .values("identity")
        .annotate(n=Count("pk"), first=Min("pk"))
        .values_list("identity", "n", "first")
    ):
        event = MetricEvent.objects.select_related("indicator").get(pk=sample_id)
        parked[identity] = (
            count,
            {
                "indicator": event.indicator.code,
                "value": str(event.value),
                "source_event_id": event.source_event_id,
            },
        )
    parked_count(company, source, parked, now)
    return sum(count for count, _s in parked.values())


def _run_finish(run: SourceRun, result: BulkEventImportResult, totals: _Totals) -> None:
    run.received += result.rows
    run.created += result.created
    run.duplicates += result.unchanged
    run.unmatched += result.unmatched
    run.errors += result.error_rows
    run.error_detail = [
        *run.error_detail,
        *(
            {"index": issue.row, "source_event_id": "", "code": "invalid_row",
             "message": issue.message, "fields": {issue.field: [issue.message]}}
            for issue in result.issues[:100]
        ),
    ][:100]  # fmt: skip
    codes = dict(Indicator.objects.filter(company_id=run.company_id).values_list("pk", "code"))

    def named(side: dict[tuple[int, str], list[Any]]) -> dict[tuple[str, dt.date], Any]:
        return {
            (codes[indicator_id], dt.date.fromisoformat(month)): quality.Totals(n, total)
            for (indicator_id, month), (n, total) in side.items()
            if n
        }

    run.totals = quality.run_totals_merge(
        run.totals, received=named(totals.received), accepted=named(totals.accepted)
    )
    run.finish_mark(errors=result.error_rows, received=result.rows)
    run.save()


def _after_import(company: Company, run: SourceRun) -> bool:
    """Flags and values of the rows this import stored: at once for a file of a few
    people and teams (True), else by a task once the import is committed (False)."""
    from jixiao.metrics.services.aggregation import run_subjects_count

    if run_subjects_count(run) <= REFRESH_INLINE_SUBJECTS:
        from jixiao.metrics.services.aggregation import metric_values_refresh_run
        from jixiao.metrics.services.anomalies import run_anomalies_flag

        run_anomalies_flag(company, run.pk)
        metric_values_refresh_run(company, run.pk)
        return True
    from jixiao.metrics.tasks import metric_run_after_import_task

    company_id, run_id = company.pk, run.pk
    transaction.on_commit(lambda: metric_run_after_import_task(company_id, run_id))
    return False
