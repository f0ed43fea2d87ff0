"""Which employees a manager manages: their department subtrees and direct reports."""

from __future__ import annotations

from typing import Any

from jixiao.org.models import Department, Employee

_CACHE_ATTR = "_jixiao_managed_employee_ids"


def department_subtree_ids(company_id: int, root_ids: set[int]) -> set[int]:
    """The given departments and every department below them."""
    if not root_ids:
        return set()
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id in Department.objects.filter(company_id=company_id).values_list(
        "id", "parent_id"
    ):
        children.setdefault(parent_id, []).append(dept_id)
    result: set[int] = set()
    stack = list(root_ids)
    while stack:
        current = stack.pop()
        if current in result:
            continue
        result.add(current)
        stack.extend(children.get(current, []))
    return result


def managed_department_ids(user: Any) -> set[int]:
    employee = getattr(user, "employee", None) if user.is_authenticated else None
    if employee is None:
        return set()
    headed = set(Department.objects.filter(head=employee).values_list("id", flat=True))
    return department_subtree_ids(employee.company_id, headed)


def managed_employee_ids(user: Any) -> frozenset[int]:
    """Employees in the user's headed department subtrees plus direct reports, not self.

    Cached on the user object for the length of one request.
    """
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    employee = getattr(user, "employee", None) if user.is_authenticated else None
    if employee is None:
        result: frozenset[int] = frozenset()
    else:
        departments = managed_department_ids(user)
        in_departments = Employee.objects.filter(department_id__in=departments).values_list(
            "id", flat=True
        )
        reports = Employee.objects.filter(manager=employee).values_list("id", flat=True)
        result = frozenset(set(in_departments) | set(reports)) - {employee.pk}
    setattr(user, _CACHE_ATTR, result)
    return result
