"""The team month over the API: people × days with each day's status, one page at a time.

Mounted at /api/v1/attendance/team. For HR, executives (everyone) and managers (their
team), as the web page; filtered by department subtree, ordered by department, number
or name, and paged like every list (``page``, ``page_size``). Another company's
department id is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from jixiao.attendance.selectors import results as selectors
from jixiao.core.api_errors import ERRORS
from jixiao.core.pagination import DEFAULT_PAGE_SIZE, paginate

router = Router(tags=["attendance-results"])


class TeamDayOut(Schema):
    date: dt.date
    status: str | None = Field(description="The day's status; null when not computed yet.")


class TeamRowOut(Schema):
    employee_id: int
    employee_number: str
    name: str
    department: str
    days: list[TeamDayOut]
    worked_hours: int
    lates: int
    exceptions: int
    overtime_hours: int


class TeamMonthOut(Schema):
    year: int
    month: int
    items: list[TeamRowOut]
    count: int = Field(ge=0, description="People across all pages.")
    page: int = Field(ge=1)
    page_size: int = Field(ge=1)


def _row(row: selectors.TeamRow, dates: list[dt.date]) -> dict[str, Any]:
    employee = row.employee
    return {
        "employee_id": employee.pk,
        "employee_number": employee.employee_number,
        "name": employee.name,
        "department": employee.department.name if employee.department_id else "",
        "days": [
            {"date": day, "status": cell.status if cell is not None else None}
            for day, cell in zip(dates, row.cells, strict=True)
        ],
        **row.totals,
    }


class TeamMonthQuery(Schema):
    year: int = Field(ge=2000, le=2100)
    month: int = Field(ge=1, le=12)
    department_id: int | None = Field(None, description="Only this department's subtree.")
    sort: Literal["department", "number", "name"] = "department"
    page: int = Field(1, description="Page number, starting at 1.")
    page_size: int = Field(DEFAULT_PAGE_SIZE, description="People per page.")


@router.get("/month", response={200: TeamMonthOut, **ERRORS})
def team_month(request: HttpRequest, filters: Query[TeamMonthQuery]) -> dict[str, Any]:
    """One page of the viewer's people with every day of the month and their totals."""
    user = request.user
    if not user.is_authenticated or getattr(user, "company_id", None) is None:
        raise PermissionDenied
    if not user.has_perm("attendance.view_team"):
        raise PermissionDenied
    people = selectors.team_employees(
        viewer=user, department_id=filters.department_id, sort=filters.sort
    )
    paged = paginate(people, filters.page, filters.page_size)
    dates, rows = selectors.team_month(
        viewer=user, year=filters.year, month=filters.month, people=paged["items"]
    )
    return {
        "year": filters.year,
        "month": filters.month,
        "items": [_row(row, dates) for row in rows],
        "count": paged["count"],
        "page": paged["page"],
        "page_size": paged["page_size"],
    }
