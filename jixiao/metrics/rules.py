"""Who may do what with metrics: HR runs the set-up, people see their own data and their team's.

Employee-level permissions take the Employee row the data belongs to.
"""

from __future__ import annotations

import rules

from jixiao.core.rules import is_company_member, is_hr_admin, is_manager, reads_whole_company
from jixiao.org.rules import is_in_company, is_self, manages_employee

# Reading one person's values and events: HR and executives all, managers their team, self.
can_view_metrics = is_in_company & (reads_whole_company | is_self | (is_manager & manages_employee))
# Deciding a manual entry: the person's manager (never their own) or HR.
can_decide_manual = is_in_company & (is_hr_admin | (is_manager & manages_employee & ~is_self))

rules.add_perm("metrics.view_metrics", can_view_metrics)
rules.add_perm("metrics.decide_manual", can_decide_manual)
rules.add_perm("metrics.dispute", is_in_company & is_self)
rules.add_perm("metrics.submit_manual", is_in_company & is_self)
# Every member reads the indicator library (a plan shows what it measures).
rules.add_perm("metrics.view_indicators", is_company_member)
# Indicators, sources, identities, disputes, the unmatched queue: HR.
rules.add_perm("metrics.administer", is_hr_admin)
# Company-wide and team lists of values/events (rows filtered per viewer).
rules.add_perm("metrics.view_team", reads_whole_company | is_manager)
# The data-quality dashboard: HR runs the checks, executives read them.
rules.add_perm("metrics.view_quality", reads_whole_company)
# The sources pages: HR sets them up; executives read them (no secrets are shown).
rules.add_perm("metrics.view_sources", reads_whole_company)
