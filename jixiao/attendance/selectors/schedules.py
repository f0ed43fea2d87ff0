"""Reads of working-hour rules, assignments and rosters.

Which rule applies to a person on a date (resolution order):
1. the employee's own assignment covering the date;
2. otherwise the assignment of the nearest department covering the date, walking
   up from the employee's department to the root (a department's assignment
   covers its whole subtree, and a sub-department's own assignment wins);
3. otherwise none: the engine flags the day "no schedule" (never a silent zero).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from jixiao.attendance.models import (
    RosterEntry,
    RotationPattern,
    ScheduleAssignment,
    ShiftSwapRequest,
    ShiftType,
    SystemChoice,
    WorkSchedule,
)
from jixiao.core.models import Role
from jixiao.org.models import Department, Employee
from jixiao.org.selectors import employees_visible_to
from jixiao.org.team import managed_employee_ids

ROSTER_MAX_DAYS = 62


@dataclass(frozen=True)
class ResolvedSchedule:
    schedule: WorkSchedule
    assignment: ScheduleAssignment


def _covers(assignment: ScheduleAssignment, day: dt.date) -> bool:
    return assignment.start_date <= day and (
        assignment.end_date is None or assignment.end_date >= day
    )


def _overlapping(start: dt.date, end: dt.date) -> Q:
    return Q(start_date__lte=end) & (Q(end_date__isnull=True) | Q(end_date__gte=start))


class AssignmentResolver:
    """Resolves the assignment in force for many employees over a date range with three queries."""

    def __init__(self, employees: Sequence[Employee], start: dt.date, end: dt.date) -> None:
        self.by_employee: dict[int, list[ScheduleAssignment]] = {}
        self.by_department: dict[int, list[ScheduleAssignment]] = {}
        self.chains: dict[int, list[int]] = {}
        if not employees:
            return
        company_id = employees[0].company_id
        parents = dict(
            Department.objects.filter(company_id=company_id).values_list("id", "parent_id")
        )
        for employee in employees:
            chain: list[int] = []
            current: int | None = employee.department_id
            while current is not None and current not in chain:
                chain.append(current)
                current = parents.get(current)
            self.chains[employee.pk] = chain
        departments = {d for chain in self.chains.values() for d in chain}
        rows = (
            ScheduleAssignment.objects.filter(company_id=company_id)
            .filter(_overlapping(start, end))
            .filter(
                Q(employee_id__in=[e.pk for e in employees])
                | Q(department_id__in=sorted(departments))
            )
            .select_related("schedule", "rotation")
            .order_by("start_date")
        )
        for row in rows:
            if row.employee_id is not None:
                self.by_employee.setdefault(row.employee_id, []).append(row)
            elif row.department_id is not None:
                self.by_department.setdefault(row.department_id, []).append(row)

    def for_day(self, employee: Employee, day: dt.date) -> ScheduleAssignment | None:
        for row in self.by_employee.get(employee.pk, ()):
            if _covers(row, day):
                return row
        for department_id in self.chains.get(employee.pk, ()):
            for row in self.by_department.get(department_id, ()):
                if _covers(row, day):
                    return row
        return None


def schedule_for(employee: Employee, date: dt.date) -> ResolvedSchedule | None:
    """The working-hour rule in force for ``employee`` on ``date`` and the assignment giving it."""
    assignment = AssignmentResolver([employee], date, date).for_day(employee, date)
    if assignment is None:
        return None
    return ResolvedSchedule(schedule=assignment.schedule, assignment=assignment)


def rotation_code_on(assignment: ScheduleAssignment, day: dt.date) -> str | None:
    """The rotation's shift code for ``day`` ("" = day off), or None without a rotation."""
    rotation = assignment.rotation
    if rotation is None or not rotation.sequence:
        return None
    index = ((day - assignment.start_date).days + assignment.rotation_offset) % len(
        rotation.sequence
    )
    return str(rotation.sequence[index])


@dataclass(frozen=True)
class PlannedDay:
    """What a person's working-hour rule says of one date.

    ``system`` is the schedule's 工时制度 (None: no schedule assigned, the calendar
    decides). For the shift system, ``rostered`` tells whether the roster (or the
    rotation) covers the date, and ``shift`` is the shift worked (None: a day off).
    """

    system: str | None
    rostered: bool = False
    shift: ShiftType | None = None

    @property
    def by_roster(self) -> bool:
        return self.system == SystemChoice.SHIFT

    @property
    def rostered_to_work(self) -> bool:
        return self.by_roster and self.rostered and self.shift is not None


def planned_days(employee: Employee, dates: Iterable[dt.date]) -> dict[dt.date, PlannedDay]:
    """The rule of each date as the daily results resolve it (``inputs._rule_for``): the
    assignment in force, and for shift workers the roster entry, else the rotation."""
    wanted = sorted(set(dates))
    if not wanted:
        return {}
    resolver = AssignmentResolver([employee], wanted[0], wanted[-1])
    roster = {
        entry.date: entry
        for entry in RosterEntry.objects.filter(
            company_id=employee.company_id, employee=employee, date__range=(wanted[0], wanted[-1])
        ).select_related("shift")
    }
    shifts: dict[str, ShiftType] | None = None
    plan: dict[dt.date, PlannedDay] = {}
    for day in wanted:
        assignment = resolver.for_day(employee, day)
        if assignment is None:
            plan[day] = PlannedDay(system=None)
            continue
        system = assignment.schedule.system
        if system != SystemChoice.SHIFT:
            plan[day] = PlannedDay(system=system)
        elif day in roster:
            plan[day] = PlannedDay(system=system, rostered=True, shift=roster[day].shift)
        else:
            code = rotation_code_on(assignment, day)
            if code is None:
                plan[day] = PlannedDay(system=system)
                continue
            if shifts is None:
                shifts = {
                    s.code: s for s in ShiftType.objects.filter(company_id=employee.company_id)
                }
            plan[day] = PlannedDay(
                system=system, rostered=True, shift=shifts.get(code) if code else None
            )
    return plan


# --- Lists for HR ---------------------------------------------------------------------


def schedules_for_viewer(viewer: Any) -> QuerySet[WorkSchedule]:
    return WorkSchedule.objects.filter(company_id=viewer.company_id).order_by("name")


def shift_types_for_viewer(viewer: Any) -> QuerySet[ShiftType]:
    return ShiftType.objects.filter(company_id=viewer.company_id).order_by("code")


def rotations_for_viewer(viewer: Any) -> QuerySet[RotationPattern]:
    return RotationPattern.objects.filter(company_id=viewer.company_id).order_by("name")


def assignments_for_viewer(viewer: Any) -> QuerySet[ScheduleAssignment]:
    return (
        ScheduleAssignment.objects.filter(company_id=viewer.company_id)
        .select_related("schedule", "employee", "department", "rotation")
        .order_by("-start_date", "id")
    )


# --- Rosters ---------------------------------------------------------------------------


def roster_editable_ids(viewer: Any) -> frozenset[int] | None:
    """Employees whose roster the viewer may edit: None means the whole company (HR)."""
    if not viewer.is_authenticated or viewer.company_id is None:
        return frozenset()
    if viewer.role == Role.HR_ADMIN:
        return None
    if viewer.role == Role.MANAGER:
        return managed_employee_ids(viewer)
    return frozenset()


@dataclass
class RosterCell:
    date: dt.date
    shift: ShiftType | None
    rostered: bool  # a RosterEntry row exists (a row with no shift is a planned day off)


@dataclass
class RosterRow:
    employee: Employee
    editable: bool
    cells: list[RosterCell] = field(default_factory=list)


@dataclass
class RosterGrid:
    start: dt.date
    end: dt.date
    dates: list[dt.date]
    rows: list[RosterRow]
    shift_types: list[ShiftType]


def date_range(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def roster_grid(viewer: Any, start: dt.date, end: dt.date) -> RosterGrid:
    """The roster of everyone the viewer may see (HR/executives: all; managers: their team
    and themselves; employees: themselves), with ``editable`` per row."""
    if (end - start).days >= ROSTER_MAX_DAYS:
        end = start + dt.timedelta(days=ROSTER_MAX_DAYS - 1)
    employees = list(
        employees_visible_to(viewer)
        .exclude(status="left")
        .select_related("department")
        .order_by("department__sort_order", "department__name", "employee_number")
    )
    editable = roster_editable_ids(viewer)
    entries = {
        (e.employee_id, e.date): e
        for e in RosterEntry.objects.filter(
            company_id=viewer.company_id,
            employee_id__in=[e.pk for e in employees],
            date__range=(start, end),
        ).select_related("shift")
    }
    dates = date_range(start, end)
    rows: list[RosterRow] = []
    for employee in employees:
        row = RosterRow(
            employee=employee,
            editable=editable is None or employee.pk in editable,
        )
        for day in dates:
            entry = entries.get((employee.pk, day))
            row.cells.append(
                RosterCell(
                    date=day, shift=entry.shift if entry else None, rostered=entry is not None
                )
            )
        rows.append(row)
    return RosterGrid(
        start=start,
        end=end,
        dates=dates,
        rows=rows,
        shift_types=list(shift_types_for_viewer(viewer)),
    )


def roster_entries_for(employee: Employee, start: dt.date, end: dt.date) -> list[RosterEntry]:
    return list(
        RosterEntry.objects.filter(
            company_id=employee.company_id, employee=employee, date__range=(start, end)
        )
        .select_related("shift")
        .order_by("date")
    )


# --- Shift swaps -----------------------------------------------------------------------


def swaps_for_viewer(viewer: Any) -> QuerySet[ShiftSwapRequest]:
    """HR/executives: all; managers: those of people they manage and their own; others: their own."""
    base = ShiftSwapRequest.objects.filter(company_id=viewer.company_id).select_related(
        "requester", "counterpart"
    )
    if viewer.role in (Role.HR_ADMIN, Role.EXECUTIVE):
        return base
    me = getattr(viewer, "employee", None)
    if me is None:
        return base.none()
    condition = Q(requester=me) | Q(counterpart=me)
    if viewer.role == Role.MANAGER:
        managed = sorted(managed_employee_ids(viewer))
        condition |= Q(requester_id__in=managed) | Q(counterpart_id__in=managed)
    return base.filter(condition)


def swap_partners(employee: Employee) -> QuerySet[Employee]:
    """Who ``employee`` may swap with: colleagues of the same department or the same manager."""
    condition = Q(department_id=employee.department_id)
    if employee.manager_id is not None:
        condition |= Q(manager_id=employee.manager_id)
    return (
        Employee.objects.filter(company_id=employee.company_id)
        .filter(condition)
        .exclude(pk=employee.pk)
        .exclude(status="left")
        .order_by("employee_number")
    )


def employees_by_ids(viewer: Any, ids: Iterable[int]) -> list[Employee]:
    return list(employees_visible_to(viewer).filter(pk__in=list(ids)))
