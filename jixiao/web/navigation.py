"""The navigation menu, by role: each entry names its URL and the permission it needs."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    permission: str | None
    icon: str = ""


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem(_("首页"), "web:home", None, "home"),
    NavItem(pgettext_lazy("nav", "员工"), "org:employee_list", "org.view_department", "people"),
    NavItem(_("组织架构"), "org:department_tree", "org.view_department", "tree"),
    NavItem(_("组织设置"), "org:position_list", "org.manage_org", "settings"),
    NavItem(_("我的考勤"), "attendance:results_mine", "attendance.check_in", "calendar"),
    NavItem(_("打卡"), "attendance:checkin", "attendance.check_in", "clock"),
    NavItem(_("我的申请"), "attendance:requests_mine", "attendance.request", "inbox"),
    NavItem(_("导入导出"), "imports:start", "org.import_employees", "upload"),
    NavItem(_("排班"), "attendance:roster", "attendance.view_roster", "calendar"),
    NavItem(_("审批"), "attendance:requests_inbox", "attendance.decide_requests", "check"),
    NavItem(_("团队考勤"), "attendance:results_team", "attendance.view_team", "people"),
    NavItem(_("考勤异常"), "attendance:results_exceptions", "attendance.administer", "alert"),
    NavItem(_("考勤月结"), "attendance:results_close", "attendance.administer", "lock"),
    NavItem(_("打卡记录"), "attendance:punch_list", "attendance.view_punches", "list"),
    NavItem(_("工作日历"), "attendance:calendar_list", "attendance.view_calendars", "calendar"),
    NavItem(_("工时规则"), "attendance:schedule_list", "attendance.administer", "clock"),
    NavItem(_("假期管理"), "attendance:leave_balances", "attendance.administer", "calendar"),
    NavItem(_("活动计时"), "attendance:activity_policy_list", "attendance.administer", "phone"),
    NavItem(_("我的数据"), "metrics:my_data", "metrics.view_indicators", "chart"),
    NavItem(_("指标库"), "metrics:indicator_list", "metrics.view_indicators", "list"),
    NavItem(_("手工填报"), "metrics:manual_mine", "metrics.view_indicators", "edit"),
    NavItem(_("团队数据"), "metrics:rollup_team", "metrics.view_team", "people"),
    NavItem(_("部门数据"), "metrics:rollup_department", "metrics.view_team", "tree"),
    NavItem(_("数据源"), "metrics:source_list", "metrics.view_sources", "upload"),
    NavItem(_("未匹配身份"), "metrics:unmatched", "metrics.administer", "alert"),
    NavItem(_("数据质量"), "metrics:quality", "metrics.view_quality", "shield"),
    NavItem(_("审计留痕"), "audit:event_list", "audit.view_audit", "shield"),
    NavItem(_("通知"), "notifications:inbox", None, "bell"),
    NavItem(_("用户与权限"), "web:users", "core.manage_users", "lock"),
    NavItem(_("公司管理"), "web:platform_companies", "core.manage_companies", "building"),
    NavItem(_("API 令牌"), "web:api_tokens", "core.use_api_tokens", "key"),
)


def navigation_for(request: HttpRequest) -> list[dict[str, object]]:
    """The entries the user may open; platform admins (no company) see only the shell's own."""
    items: list[dict[str, object]] = []
    platform_only = getattr(request.user, "company_id", None) is None
    for item in NAV_ITEMS:
        if platform_only and not item.url_name.startswith("web:"):
            continue
        if item.permission and not request.user.has_perm(item.permission):
            continue
        url = reverse(item.url_name)
        active = request.path == url or (url != "/" and request.path.startswith(url))
        items.append({"label": item.label, "url": url, "icon": item.icon, "active": active})
    return items
