"""Reads about the organisation, always for a viewer: only what that viewer may see.

Public entry points used beyond this app (the employee exporter among them):

- ``employees_visible_to(viewer)`` — the base queryset of employees a user may see;
- ``EmployeeFilters`` + ``employee_queryset(viewer=, filters=, sort=)`` — the filtered,
  sorted list (no paging) with the related rows a list needs already joined;
- ``employee_page(viewer=, filters=, sort=, page=, page_size=)`` — one page of it;
- ``can_view_salary(viewer, employee)`` — the one salary check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from jixiao.core.models import Role, User
from jixiao.org.models import (
    CustomField,
    Department,
    Employee,
    EmployeeStatus,
    EmploymentChange,
    Position,
    Tag,
    WorkLocation,
)
from jixiao.org.team import department_subtree_ids, managed_department_ids

PAGE_SIZE = 50
ID_MAX = 2**63 - 1
"""The largest primary key the databases store; larger ids cannot exist."""
PAGE_SIZE_MAX = 200

SORTS: dict[str, tuple[str, ...]] = {
    "number": ("employee_number",),
    "-number": ("-employee_number",),
    "name": ("name", "employee_number"),
    "-name": ("-name", "-employee_number"),
    "hire_date": ("hire_date", "employee_number"),
    "-hire_date": ("-hire_date", "-employee_number"),
    "department": ("department__name", "employee_number"),
    "-department": ("-department__name", "-employee_number"),
}
"""Sort keys the list accepts; a leading ``-`` sorts descending."""

LIST_FIELDS = (
    "id",
    "company_id",
    "user_id",
    "employee_number",
    "name",
    "english_name",
    "email",
    "phone",
    "hire_date",
    "status",
    "employment_type",
    "working_hour_system",
    "base_salary",
    "custom_fields",
    "department__id",
    "department__name",
    "position__id",
    "position__name",
    "position__job_family",
    "manager__id",
    "manager__name",
    "manager__employee_number",
    "work_location__id",
    "work_location__name",
    "work_location__time_zone",
)


def _company_id(viewer: Any) -> int | None:
    if not viewer.is_authenticated or not viewer.is_active:
        return None
    return viewer.company_id  # type: ignore[no-any-return]


def _viewer_employee(viewer: Any) -> Employee | None:
    try:
        return viewer.employee  # type: ignore[no-any-return]
    except Employee.DoesNotExist:
        return None


def employees_visible_to(viewer: Any) -> QuerySet[Employee]:
    """HR and executives: the whole company; managers: their department subtrees,
    direct reports and themselves; everyone else: themselves only.

    Mirrors ``org.view_employee`` in ``jixiao.org.rules`` but filters in the
    database (department ids, never a list of employee ids), so it stays fast.
    """
    company_id = _company_id(viewer)
    if company_id is None:
        return Employee.objects.none()
    base = Employee.objects.filter(company_id=company_id)
    if viewer.role in (Role.HR_ADMIN, Role.EXECUTIVE):
        return base
    me = _viewer_employee(viewer)
    if me is None:
        return base.none()
    condition = Q(pk=me.pk)
    if viewer.role == Role.MANAGER:
        departments = managed_department_ids(viewer)
        condition |= Q(manager_id=me.pk)
        if departments:
            condition |= Q(department_id__in=sorted(departments))
    return base.filter(condition)


def can_view_salary(viewer: Any, employee: Employee) -> bool:
    """Salary is for HR admins and the person themself (``org.view_salary``)."""
    return bool(viewer.has_perm("org.view_salary", employee))


@dataclass
class EmployeeFilters:
    """Everything the employee list can be filtered by; empty values filter nothing."""

    q: str = ""
    department: int | None = None
    include_subdepartments: bool = True
    status: list[str] = field(default_factory=list)
    job_family: str = ""
    employment_type: str = ""
    working_hour_system: str = ""
    tag: int | None = None
    custom_field: str = ""
    custom_value: str = ""
    hired_from: dt.date | None = None
    hired_to: dt.date | None = None


def _custom_value_lookup(company_id: int, code: str, value: str) -> Q | None:
    definition = CustomField.objects.filter(company_id=company_id, code=code).first()
    if definition is None:
        return None
    key = f"custom_fields__{definition.code}"
    if not value:
        return Q(**{f"{key}__isnull": False})
    if definition.field_type == CustomField.Type.NUMBER:
        try:
            number = Decimal(value)
        except ArithmeticError:
            return Q(pk__in=[])
        numeric: int | float = (
            int(number) if number == number.to_integral_value() else float(number)
        )
        return Q(**{key: numeric})
    if definition.field_type == CustomField.Type.TEXT:
        return Q(**{f"{key}__icontains": value})
    return Q(**{key: value})


def employee_queryset(
    *, viewer: Any, filters: EmployeeFilters | None = None, sort: str = "number"
) -> QuerySet[Employee]:
    """The viewer's employees, filtered and sorted, with department/position/manager/
    location joined and tags prefetched (works with ``.iterator(chunk_size=…)``)."""
    filters = filters or EmployeeFilters()
    qs = employees_visible_to(viewer)
    company_id = _company_id(viewer)
    if company_id is None:
        return qs
    if filters.q.strip():
        text = filters.q.strip()
        qs = qs.filter(
            Q(name__icontains=text)
            | Q(employee_number__icontains=text)
            | Q(email__icontains=text)
            | Q(english_name__icontains=text)
        )
    if any(v is not None and not 0 < v <= ID_MAX for v in (filters.department, filters.tag)):
        return qs.none()
    if filters.department is not None:
        if filters.include_subdepartments:
            ids = department_subtree_ids(company_id, {filters.department})
            qs = qs.filter(department_id__in=sorted(ids))
        else:
            qs = qs.filter(department_id=filters.department)
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    if filters.job_family:
        qs = qs.filter(position__job_family=filters.job_family)
    if filters.employment_type:
        qs = qs.filter(employment_type=filters.employment_type)
    if filters.working_hour_system:
        qs = qs.filter(working_hour_system=filters.working_hour_system)
    if filters.tag is not None:
        qs = qs.filter(tags__id=filters.tag)
    if filters.custom_field:
        lookup = _custom_value_lookup(
            company_id, filters.custom_field, filters.custom_value.strip()
        )
        if lookup is not None:
            qs = qs.filter(lookup)
    if filters.hired_from is not None:
        qs = qs.filter(hire_date__gte=filters.hired_from)
    if filters.hired_to is not None:
        qs = qs.filter(hire_date__lte=filters.hired_to)
    order = SORTS.get(sort, SORTS["number"])
    return (
        qs.select_related("department", "position", "manager", "work_location")
        .only(*LIST_FIELDS)
        .prefetch_related("tags")
        .order_by(*order)
    )


@dataclass(frozen=True)
class TagRef:
    id: int
    name: str


def employee_tags_map(employee_ids: Iterable[int]) -> dict[int, list[TagRef]]:
    """{employee id: its tags by name} in one query (cheaper than ``prefetch_related``)."""
    result: dict[int, list[TagRef]] = {}
    rows = (
        Employee.tags.through.objects.filter(employee_id__in=list(employee_ids))
        .values_list("employee_id", "tag_id", "tag__name")
        .order_by("tag__name")
    )
    for employee_id, tag_id, name in rows:
        result.setdefault(employee_id, []).append(TagRef(tag_id, name))
    return result


@dataclass
class EmployeePage:
    items: list[Employee]
    count: int
    page: int
    page_size: int
    salary_visible: set[int]

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def employee_page(
    *,
    viewer: Any,
    filters: EmployeeFilters | None = None,
    sort: str = "number",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> EmployeePage:
    """One page of ``employee_queryset``, each row with ``tag_list``; ``salary_visible``
    holds the ids whose salary this viewer may see (the caller hides all others)."""
    page_size = max(1, min(page_size, PAGE_SIZE_MAX))
    # A page attaches tags itself with one flat query: cheaper than the prefetch.
    qs = employee_queryset(viewer=viewer, filters=filters, sort=sort).prefetch_related(None)
    count = qs.count()
    last = max(1, -(-count // page_size))
    page = max(1, min(page, last))
    start = (page - 1) * page_size
    items = list(qs[start : start + page_size])
    tags = employee_tags_map(e.pk for e in items)
    for e in items:
        e.tag_list = tags.get(e.pk, [])  # type: ignore[attr-defined]
    salary_visible = {e.pk for e in items if can_view_salary(viewer, e)}
    return EmployeePage(items, count, page, page_size, salary_visible)


def employee_for_viewer(*, viewer: Any, pk: int) -> Employee:
    """One employee the viewer may see: 404 for another company, 403 inside it."""
    employee = (
        Employee.objects.filter(pk=pk)
        .select_related("department", "position", "manager", "work_location", "user")
        .first()
    )
    if employee is None or employee.company_id != _company_id(viewer):
        raise Http404
    if not viewer.has_perm("org.view_employee", employee):
        raise PermissionDenied
    return employee


def manager_chain(employee: Employee, *, limit: int = 20) -> list[Employee]:
    """The employee's manager, their manager, … up to the top (or ``limit`` levels)."""
    chain: list[Employee] = []
    seen = {employee.pk}
    current_id = employee.manager_id
    while current_id is not None and current_id not in seen and len(chain) < limit:
        boss = (
            Employee.objects.filter(pk=current_id)
            .only("id", "name", "employee_number", "manager_id", "company_id")
            .first()
        )
        if boss is None:
            break
        chain.append(boss)
        seen.add(boss.pk)
        current_id = boss.manager_id
    return chain


def employee_history(*, viewer: Any, employee: Employee) -> list[EmploymentChange]:
    """The employee's changes, newest first; salary rows only for who may see salary."""
    qs = EmploymentChange.objects.filter(employee=employee).select_related("created_by")
    if not can_view_salary(viewer, employee):
        qs = qs.exclude(field=EmploymentChange.Field.BASE_SALARY)
    return list(qs.order_by("-effective_date", "-id"))


@dataclass
class EmployeeAsOf:
    """An employee's effective-dated fields on one day, reconstructed from the history."""

    on: dt.date
    department_id: int | None
    manager_id: int | None
    position_id: int | None
    work_location_id: int | None
    base_salary: Decimal
    status: str
    working_hour_system: str
    employed: bool


def _parse(field: str, value: str) -> Any:
    if field in ("department", "manager", "position", "work_location"):
        return int(value) if value else None
    if field == "base_salary":
        return Decimal(value) if value else Decimal("0.00")
    return value


def employee_as_of(employee: Employee, on: dt.date) -> EmployeeAsOf:
    """What the employee's department, manager, salary … were (or will be) on ``on``.

    Starts from today's row and undoes applied changes dated after ``on`` (newest
    first); for a future date it plays pending changes due by then forwards. It
    carries the salary: show ``base_salary`` only where ``can_view_salary`` allows.
    """
    values: dict[str, Any] = {
        "department": employee.department_id,
        "manager": employee.manager_id,
        "position": employee.position_id,
        "work_location": employee.work_location_id,
        "base_salary": employee.base_salary,
        "status": employee.status,
        "working_hour_system": employee.working_hour_system,
    }
    later = EmploymentChange.objects.filter(
        employee=employee, applied=True, effective_date__gt=on
    ).order_by("-effective_date", "-id")
    hire_date: dt.date | None = employee.hire_date
    for change in later.only("field", "old_value", "new_value", "effective_date"):
        values[change.field] = _parse(change.field, change.old_value)
        if change.field == "status" and change.old_value == EmployeeStatus.LEFT:
            hire_date = None  # before a re-hire: the earlier employment's dates are unknown
    pending = EmploymentChange.objects.filter(
        employee=employee, applied=False, effective_date__lte=on
    ).order_by("effective_date", "id")
    for change in pending.only("field", "new_value", "effective_date"):
        values[change.field] = _parse(change.field, change.new_value)
    employed = values["status"] != EmployeeStatus.LEFT and (hire_date is None or on >= hire_date)
    return EmployeeAsOf(
        on=on,
        department_id=values["department"],
        manager_id=values["manager"],
        position_id=values["position"],
        work_location_id=values["work_location"],
        base_salary=values["base_salary"],
        status=values["status"],
        working_hour_system=values["working_hour_system"],
        employed=employed,
    )


# --- Departments and settings lists ---------------------------------------------


@dataclass
class DepartmentNode:
    department: Department
    depth: int
    headcount: int
    total_headcount: int
    children: list[DepartmentNode] = field(default_factory=list)


def _require_member(viewer: Any) -> int:
    company_id = _company_id(viewer)
    if company_id is None or not viewer.has_perm("org.view_department"):
        raise PermissionDenied
    return company_id


def departments_for_viewer(viewer: Any) -> QuerySet[Department]:
    """Every department of the viewer's company (the tree is visible to all members)."""
    company_id = _require_member(viewer)
    return Department.objects.filter(company_id=company_id).select_related("head", "parent")


def department_tree(viewer: Any) -> list[DepartmentNode]:
    """The department forest with heads and headcounts (people not yet left).

    Two queries whatever the size: the departments, and one grouped count.
    """
    departments = list(departments_for_viewer(viewer).order_by("sort_order", "name"))
    counts = dict(
        Employee.objects.filter(company_id=viewer.company_id)
        .exclude(status=EmployeeStatus.LEFT)
        .values_list("department_id")
        .annotate(n=Count("id"))
        .values_list("department_id", "n")
    )
    nodes = {d.pk: DepartmentNode(d, 0, counts.get(d.pk, 0), 0) for d in departments}
    roots: list[DepartmentNode] = []
    for d in departments:
        node = nodes[d.pk]
        parent = nodes.get(d.parent_id) if d.parent_id else None
        (parent.children if parent else roots).append(node)

    def walk(node: DepartmentNode, depth: int, seen: set[int]) -> int:
        seen.add(node.department.pk)
        node.depth = depth
        total = node.headcount
        for child in node.children:
            if child.department.pk not in seen:
                total += walk(child, depth + 1, seen)
        node.total_headcount = total
        return total

    seen: set[int] = set()
    for root in roots:
        walk(root, 0, seen)
    return roots


def department_flat(nodes: Iterable[DepartmentNode]) -> list[DepartmentNode]:
    """The tree in display order (pre-order), e.g. for an indented select."""
    result: list[DepartmentNode] = []
    for node in nodes:
        result.append(node)
        result.extend(department_flat(node.children))
    return result


def department_options(viewer: Any) -> list[tuple[int, str, int]]:
    """(id, name, depth) of every department in tree order: one small query, no counts."""
    rows = list(
        Department.objects.filter(company_id=_require_member(viewer))
        .order_by("sort_order", "name")
        .values_list("id", "name", "parent_id")
    )
    children: dict[int | None, list[tuple[int, str]]] = {}
    ids = {row[0] for row in rows}
    for pk, name, parent_id in rows:
        children.setdefault(parent_id if parent_id in ids else None, []).append((pk, name))
    result: list[tuple[int, str, int]] = []
    seen: set[int] = set()
    stack: list[tuple[int, str, int]] = [
        (pk, name, 0) for pk, name in reversed(children.get(None, []))
    ]
    while stack:
        pk, name, depth = stack.pop()
        if pk in seen:
            continue
        seen.add(pk)
        result.append((pk, name, depth))
        stack.extend((c, n, depth + 1) for c, n in reversed(children.get(pk, [])))
    return result


def department_for_viewer(*, viewer: Any, pk: int) -> Department:
    department = departments_for_viewer(viewer).filter(pk=pk).first()
    if department is None:
        raise Http404
    return department


def positions_for_viewer(viewer: Any) -> QuerySet[Position]:
    return Position.objects.filter(company_id=_require_member(viewer))


def work_locations_for_viewer(viewer: Any) -> QuerySet[WorkLocation]:
    return WorkLocation.objects.filter(company_id=_require_member(viewer))


def tags_for_viewer(viewer: Any) -> QuerySet[Tag]:
    return Tag.objects.filter(company_id=_require_member(viewer))


def custom_fields_for_viewer(viewer: Any) -> QuerySet[CustomField]:
    return CustomField.objects.filter(company_id=_require_member(viewer))


def employee_by_number(*, viewer: User, number: str) -> Employee | None:
    """An employee of the viewer's company by 工号 (for forms that take a number)."""
    company_id = _company_id(viewer)
    if company_id is None or not number.strip():
        return None
    return Employee.objects.filter(company_id=company_id, employee_number=number.strip()).first()
