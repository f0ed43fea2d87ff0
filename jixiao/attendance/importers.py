"""The device-export importer (考勤机打卡) of the import framework.

Upload → map columns (saved mappings, ZKTeco and Chinese headers recognised) → dry
run with row-and-column errors → commit all rows or only the valid ones → XLSX
error report: all of it is the framework's. This importer converts and writes
with ``jixiao.attendance.services.punch_import``, the same fast core as
``punch_bulk_import``, which takes files beyond the framework's row limit
(``jixiao.imports.readers.MAX_ROWS``) through ``POST /api/v1/attendance/punches/import``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jixiao.attendance.models import Punch
from jixiao.attendance.services.punch_import import (
    Converted,
    RowConverter,
    default_source_id,
    punch_fields,
    punches_insert,
    recompute_after_import,
)
from jixiao.audit.services import audit_record
from jixiao.imports.engine import (
    CleanRow,
    CommitResult,
    FieldSpec,
    Importer,
    ImportPlan,
    Progress,
    RowOutcome,
    chunks,
    register,
)


@register
class DevicePunchImporter(Importer):
    """Punches from an attendance device export (CSV/XLSX), matched by 工号."""

    name = "attendance_punches"
    label = gettext_lazy("考勤机打卡")
    permission = "attendance.administer"

    def fields(self) -> list[FieldSpec]:
        return punch_fields()

    def validate_row(self, row: CleanRow, columns: Mapping[str, str]) -> None:
        if not row.values.get("employee_number"):
            row.error(columns.get("employee_number", ""), _("请填写工号。"), "employee_number")

    def plan(self, rows: list[CleanRow], columns: Mapping[str, str]) -> ImportPlan:
        converter = RowConverter(company=self.company, keep_all_issues=True)
        names = dict(columns)
        names.setdefault("time", _("打卡时间"))
        names.setdefault("employee_number", _("工号"))
        by_number = {row.number: row for row in rows}
        for row in rows:
            if row.has_errors:
                continue
            values = row.values
            converter.add(
                row.number,
                values.get("employee_number", ""),
                values.get("date"),
                values.get("time"),
                device=str(values.get("device_id") or "").strip(),
                zone_name=str(values.get("time_zone") or ""),
                source_id=str(values.get("source_id") or "").strip()[:100],
                columns=names,
            )
        converted = converter.result
        for issue in converted.issues:
            by_number[issue.row].error(issue.column, issue.message, issue.field)
        stored = self._stored_source_ids(converted)
        numbers = {e[0]: number for number, e in converter.employees.items()}
        outcomes: list[RowOutcome] = []
        for employee_id, epoch, number, device, source_id in converted.rows:
            sid = source_id or default_source_id(employee_id, epoch, device)
            at = dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="seconds")
            outcomes.append(
                RowOutcome(
                    number,
                    "unchanged" if sid in stored else "create",
                    numbers.get(employee_id, ""),
                    at,
                )
            )
        for row in rows:
            if row.has_errors:
                outcomes.append(RowOutcome(row.number, "error", "", ""))
        outcomes.sort(key=lambda o: o.row)
        return ImportPlan(rows, outcomes, converted)

    def _stored_source_ids(self, converted: Converted) -> set[str]:
        wanted = [
            source_id or default_source_id(employee_id, epoch, device)
            for employee_id, epoch, _n, device, source_id in converted.rows
        ]
        found: set[str] = set()
        for part in chunks(wanted, 2000):
            found.update(
                Punch.objects.filter(
                    company=self.company, source=Punch.Source.DEVICE, source_id__in=list(part)
                ).values_list("source_id", flat=True)
            )
        return found

    def commit(
        self, plan: ImportPlan, *, reason: str, progress: Progress | None = None
    ) -> CommitResult:
        converted: Converted = plan.payload
        valid = [row for row in converted.rows if row[2] not in converted.error_rows]
        stats = punches_insert(
            company=self.company,
            rows=valid,
            skewed_devices=converted.skewed_devices,
            actor=self.actor,
        )
        audit_record(
            company=self.company,
            actor=self.actor,
            action="attendance.punch.import",
            object_type="attendance.punch",
            object_repr=reason[:300],
            changes={
                "rows": [None, converted.total],
                "created": [None, stats.inserted],
                "already_stored": [None, stats.already_stored],
                "error_rows": [None, len(converted.error_rows)],
            },
            reason=reason,
        )
        recompute_after_import(company=self.company, employees=stats.employees, actor=self.actor)
        if progress is not None:
            progress(len(valid), len(valid))
        return CommitResult(created=stats.inserted, unchanged=stats.already_stored)
