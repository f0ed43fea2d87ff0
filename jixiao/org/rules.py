"""Object rules about people: who may see and change which employee and department."""

from __future__ import annotations

from typing import Any

import rules

from jixiao.core.rules import is_company_member, is_hr_admin, is_manager, reads_whole_company
from jixiao.org.team import managed_employee_ids


@rules.predicate
def is_self(user: Any, employee: Any) -> bool:
    return employee is not None and employee.user_id is not None and employee.user_id == user.pk


@rules.predicate
def is_in_company(user: Any, obj: Any) -> bool:
    return obj is not None and user.company_id is not None and obj.company_id == user.company_id


@rules.predicate
def manages_employee(user: Any, employee: Any) -> bool:
    if employee is None:
        return False
    # A direct report needs no look-up of the whole team (the common case of a page
    # about one person); anyone else is looked for in the team, cached per request.
    own = getattr(user, "employee", None) if user.is_authenticated else None
    manager_id = getattr(employee, "manager_id", None)
    if own is not None and manager_id is not None and manager_id == own.pk != employee.pk:
        return True
    return employee.pk in managed_employee_ids(user)


can_view_employee = is_in_company & (
    reads_whole_company | is_self | (is_manager & manages_employee)
)
can_change_employee = is_in_company & is_hr_admin

rules.add_perm("org.view_employee", can_view_employee)
rules.add_perm("org.change_employee", can_change_employee)
rules.add_perm("org.add_employee", is_hr_admin)
rules.add_perm("org.view_salary", is_in_company & (is_hr_admin | is_self))
rules.add_perm("org.import_employees", is_hr_admin)
rules.add_perm("org.export_employees", is_hr_admin | (is_company_member & reads_whole_company))
rules.add_perm("org.view_department", is_company_member)
rules.add_perm("org.manage_org", is_hr_admin)
rules.add_perm("org.manage_custom_fields", is_hr_admin)
