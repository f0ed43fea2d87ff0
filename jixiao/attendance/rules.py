"""Object rules of attendance: who sees whose days and who decides whose requests."""

from __future__ import annotations

import rules

from jixiao.core.rules import (
    is_company_member,
    is_executive,
    is_hr_admin,
    is_manager,
    reads_whole_company,
)
from jixiao.org.rules import is_in_company, is_self, manages_employee

# Objects are Employee rows: "may this user ... this employee's attendance".
can_view_attendance = is_in_company & (
    reads_whole_company | is_self | (is_manager & manages_employee)
)
# Deciding requests, editing the roster: the person's manager (never for oneself) or HR.
can_manage_attendance = is_in_company & (is_hr_admin | (is_manager & manages_employee & ~is_self))

rules.add_perm("attendance.view_attendance", can_view_attendance)
rules.add_perm("attendance.manage_attendance", can_manage_attendance)
rules.add_perm("attendance.punch", is_in_company & is_self)
# Company-wide set-up: calendars, working-hour rules, policies, month close.
rules.add_perm("attendance.administer", is_hr_admin)
# Work calendars are company-wide facts: every member reads them, HR edits (administer).
rules.add_perm("attendance.view_calendars", is_company_member)
# Rosters and shift types: every member opens the roster pages (rows filtered per viewer).
rules.add_perm("attendance.view_roster", is_company_member)
# Leave/overtime/correction requests: every member files their own; HR and managers
# open the approval inbox (which request each may decide: manage_attendance).
rules.add_perm("attendance.request", is_company_member)
rules.add_perm("attendance.decide_requests", is_hr_admin | is_manager)
# Punches: every member checks in (their own); HR, executives and managers open the
# punch list (rows filtered per viewer).
rules.add_perm("attendance.check_in", is_company_member)
rules.add_perm("attendance.view_punches", is_hr_admin | is_executive | is_manager)
# Results: the team month view (rows filtered per viewer) for HR, executives and managers.
rules.add_perm("attendance.view_team", is_hr_admin | is_executive | is_manager)
