"""The audit report: the filtered events as an XLSX workbook, times in the viewer's zone."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font

from jixiao.audit.selectors import (
    AuditFilters,
    audit_chain_summary,
    audit_event_queryset,
    viewer_zone,
)
from jixiao.core.api_errors import ServiceError
from jixiao.core.xlsx import safe_sheet, xlsx_text

EXPORT_MAX_ROWS = 100_000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class AuditReport:
    content: bytes
    filename: str
    rows: int


def text(sheet: Any, value: str) -> Cell:
    """A text cell that stays text: openpyxl would store "=…" as a formula."""
    value = xlsx_text(value)
    cell = WriteOnlyCell(sheet, value=value)
    if value.startswith("="):
        cell.data_type = "s"
    return cell


def _columns() -> list[tuple[str, int]]:
    return [
        (_("序号"), 8),
        (_("时间"), 20),
        (_("操作人"), 16),
        (_("动作"), 28),
        (_("对象类型"), 18),
        (_("对象ID"), 10),
        (_("对象"), 24),
        (_("变更"), 60),
        (_("原因"), 30),
        (_("IP 地址"), 16),
        (_("哈希"), 20),
        (_("前一哈希"), 20),
    ]


def audit_report_build(*, viewer: Any, filters: AuditFilters) -> AuditReport:
    """Build the report of the viewer's filtered events (newest first).

    Written with openpyxl's write-only mode, rows streamed from the database, so
    memory stays flat; more than ``EXPORT_MAX_ROWS`` events are refused with a
    request to narrow the filter.
    """
    qs = audit_event_queryset(viewer=viewer, filters=filters)
    count = qs.count()
    if count > EXPORT_MAX_ROWS:
        raise ServiceError(
            _("筛选结果有 %(count)s 条，超过导出上限 %(max)s 条，请缩小日期范围后再导出。")
            % {"count": count, "max": EXPORT_MAX_ROWS},
            code="too_many_rows",
            status=422,
        )
    zone = viewer_zone(viewer)
    now = timezone.now().astimezone(zone)
    company = viewer.company
    head = audit_chain_summary(company=company)

    workbook = Workbook(write_only=True)
    sheet = safe_sheet(workbook.create_sheet(_("审计报告")))
    columns = _columns()
    for index, (_label, width) in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    bold = Font(bold=True)

    def label(text: str) -> Cell:
        cell = WriteOnlyCell(sheet, value=xlsx_text(str(text)))
        cell.font = bold
        return cell

    sheet.append([label(_("审计报告")), company.name])
    sheet.append([label(_("导出时间")), now.strftime("%Y-%m-%d %H:%M:%S")])
    sheet.append([label(_("导出人")), f"{viewer} ({viewer.username})"])
    sheet.append([label(_("时区")), str(zone)])
    described = filters.describe()
    sheet.append(
        [
            label(_("筛选条件")),
            "; ".join(f"{k}={v}" for k, v in described.items()) or _("无（全部事件）"),
        ]
    )
    sheet.append([label(_("事件数")), count])
    sheet.append([label(_("链头")), f"#{head['sequence']} {head['hash']}"])
    sheet.append([])
    sheet.append([label(text) for text, _width in columns])

    for event in qs.iterator(chunk_size=2000):
        when = WriteOnlyCell(
            sheet, value=timezone.localtime(event.occurred_at, zone).replace(tzinfo=None)
        )
        when.number_format = "yyyy-mm-dd hh:mm:ss"
        sheet.append(
            [
                event.sequence,
                when,
                *(
                    text(sheet, value)
                    for value in (
                        event.actor_label,
                        event.action,
                        event.object_type,
                        event.object_id,
                        event.object_repr,
                        "\n".join(row.summary() for row in event.change_rows),
                        event.reason,
                        event.ip_address or "",
                    )
                ),
                event.hash,
                event.previous_hash,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    filename = f"audit-report-{company.slug}-{now:%Y%m%d-%H%M}.xlsx"
    return AuditReport(buffer.getvalue(), filename, count)
