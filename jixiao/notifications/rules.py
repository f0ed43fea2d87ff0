"""Who may use the inbox, set their own preferences, and manage the company's group robots."""

from __future__ import annotations

import rules

from jixiao.core.rules import is_company_member, is_hr_admin

rules.add_perm("notifications.change_own_preferences", is_company_member)
rules.add_perm("notifications.manage_webhooks", is_hr_admin)
