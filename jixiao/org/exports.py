"""Employee export (CSV / XLSX) in the layout the employee importer reads back.

The rows are the viewer's (``selectors.employee_queryset``), the headers the importer's
labels, custom fields one column each; the salary column only for HR admins. An
exported file imported again changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from jixiao.core.models import Role
from jixiao.core.xlsx import safe_sheet
from jixiao.org.importers import (
    CHOICE_FIELDS,
    CUSTOM_PREFIX,
    STANDARD_COLUMNS,
    custom_value_display,
    department_paths,
)
from jixiao.org.models import CustomField, Department, Employee
from jixiao.org.selectors import EmployeeFilters, employee_queryset

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ITERATOR_CHUNK = 2000


@dataclass
class EmployeeExport:
    content: bytes
    content_type: str
    file_name: str
    rows: int


def salary_exported(viewer: Any) -> bool:
    """The salary column is for HR admins only (never for executives' exports)."""
    return bool(viewer.is_authenticated and viewer.role == Role.HR_ADMIN)


def export_columns(viewer: Any, custom: list[CustomField]) -> list[tuple[str, str]]:
    """[(field name, header)] in export order."""
    columns = [
        (column.name, str(column.label))
        for column in STANDARD_COLUMNS
        if column.name != "base_salary" or salary_exported(viewer)
    ]
    columns += [(CUSTOM_PREFIX + field.code, field.label) for field in custom]
    return columns


def _rows(viewer: Any, filters: EmployeeFilters | None, sort: str) -> Iterator[dict[str, Any]]:
    company_id = viewer.company_id
    departments = {d.pk: d for d in Department.objects.filter(company_id=company_id)}
    paths = department_paths(departments)
    labels = {
        name: {code: str(label) for code, label in choices.choices}
        for name, (choices, _aliases) in CHOICE_FIELDS.items()
    }
    queryset = employee_queryset(viewer=viewer, filters=filters, sort=sort).only(
        "id",
        "company_id",
        "employee_number",
        "name",
        "english_name",
        "email",
        "phone",
        "hire_date",
        "status",
        "probation_end_date",
        "leave_start_date",
        "termination_date",
        "department_id",
        "position__name",
        "manager__employee_number",
        "work_location__name",
        "employment_type",
        "working_hour_system",
        "base_salary",
        "custom_fields",
    )
    for employee in queryset.iterator(chunk_size=ITERATOR_CHUNK):
        yield _row(employee, paths, labels)


def _row(
    employee: Employee, paths: dict[int, str], labels: dict[str, dict[str, str]]
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "employee_number": employee.employee_number,
        "name": employee.name,
        "english_name": employee.english_name,
        "email": employee.email,
        "phone": employee.phone,
        "hire_date": employee.hire_date,
        "status": labels["status"].get(employee.status, employee.status),
        "probation_end_date": employee.probation_end_date,
        "leave_start_date": employee.leave_start_date,
        "termination_date": employee.termination_date,
        "department": paths.get(employee.department_id, ""),
        "position": employee.position.name if employee.position_id else "",  # type: ignore[union-attr]
        "manager": employee.manager.employee_number if employee.manager_id else "",  # type: ignore[union-attr]
        "work_location": employee.work_location.name if employee.work_location_id else "",  # type: ignore[union-attr]
        "employment_type": labels["employment_type"].get(
            employee.employment_type, employee.employment_type
        ),
        "working_hour_system": labels["working_hour_system"].get(
            employee.working_hour_system, employee.working_hour_system
        ),
        "base_salary": employee.base_salary,
        "tags": "、".join(sorted(tag.name for tag in employee.tags.all())),
    }
    for code, value in (employee.custom_fields or {}).items():
        row[CUSTOM_PREFIX + code] = value
    return row


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float | int) and not isinstance(value, bool):
        return custom_value_display(value)
    return str(value)


def _excel(name: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if name == "base_salary":
        return float(value)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return value
    return str(value)


def employee_export(
    *, viewer: Any, file_format: str, filters: EmployeeFilters | None = None, sort: str = "number"
) -> EmployeeExport:
    """The viewer's employees as a CSV (UTF-8 with BOM, for Excel) or XLSX file.

    The caller has checked ``org.export_employees``.
    """
    if file_format not in FORMATS:
        raise ValueError(file_format)
    custom = list(CustomField.objects.filter(company_id=viewer.company_id))
    columns = export_columns(viewer, custom)
    stamp = dt.date.today().strftime("%Y%m%d")
    base_name = f"{_('员工')}-{stamp}"
    count = 0
    if file_format == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow([header for _name, header in columns])
        for row in _rows(viewer, filters, sort):
            writer.writerow([_text(row.get(name)) for name, _header in columns])
            count += 1
        content = ("\ufeff" + text.getvalue()).encode("utf-8")
    else:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell

        workbook = Workbook(write_only=True)
        sheet = safe_sheet(workbook.create_sheet(_("员工")))
        sheet.append([header for _name, header in columns])
        for row in _rows(viewer, filters, sort):
            cells: list[Any] = []
            for name, _header in columns:
                value = _excel(name, row.get(name))
                if isinstance(value, dt.date):
                    cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
                    cell.number_format = "yyyy-mm-dd"
                    cells.append(cell)
                elif name == "base_salary" and value is not None:
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = "#,##0.00"
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
            count += 1
        buffer = io.BytesIO()
        workbook.save(buffer)
        content = buffer.getvalue()
    return EmployeeExport(content, CONTENT_TYPES[file_format], f"{base_name}.{file_format}", count)
