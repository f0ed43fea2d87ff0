"""Role predicates and the permissions that depend only on a user's role.

Object-level rules about people live in ``jixiao.org.rules``; together they are
the one place where "who may do what" is decided, for views, API and selectors.
"""

from __future__ import annotations

from typing import Any

import rules

from jixiao.core.models import Role


@rules.predicate
def is_platform_admin(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.PLATFORM_ADMIN)


@rules.predicate
def is_hr_admin(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.HR_ADMIN)


@rules.predicate
def is_executive(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.EXECUTIVE)


@rules.predicate
def is_manager(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.role == Role.MANAGER)


@rules.predicate
def is_company_member(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and user.company_id is not None)


@rules.predicate
def same_company(user: Any, obj: Any) -> bool:
    return bool(
        obj is not None and user.company_id is not None and obj.company_id == user.company_id
    )


reads_whole_company = is_hr_admin | is_executive

rules.add_perm("core.manage_companies", is_platform_admin)
rules.add_perm("core.manage_users", is_hr_admin)
rules.add_perm("core.view_company_settings", is_hr_admin)
rules.add_perm("core.change_company_settings", is_hr_admin)
rules.add_perm("core.use_api_tokens", is_company_member)
rules.add_perm("audit.view_audit", is_hr_admin)
rules.add_perm("audit.verify_chain", is_hr_admin | is_platform_admin)
