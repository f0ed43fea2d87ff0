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
    NavItem(_("导入导出"), "imports:start", "org.import_employees", "upload"),
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
