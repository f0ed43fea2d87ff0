"""Every demo role of every company logs in through a real browser, in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from jixiao.core.models import Role
from jixiao.demo.builder import DemoLogin, demo_logins
from jixiao.demo.companies import COMPANIES, DEMO_PASSWORD
from tests.browser.conftest import BROWSER

if not BROWSER.exists():
    pytest.skip(f"no browser at {BROWSER} (set JIXIAO_BROWSER)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@dataclass
class Problems:
    """Server errors and browser console errors (e.g. CSP violations) seen by a page."""

    items: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on(
            "response",
            lambda r: self.items.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )
        page.on(
            "console",
            lambda m: self.items.append(f"console: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.items.append(f"script: {e}"))


def expected(language: str, message: str, **values: str) -> str:
    with translation.override(language):
        return translation.gettext(message) % values if values else translation.gettext(message)


def log_in(page: Any, base: str, username: str) -> None:
    response = page.goto(f"{base}/login/")
    assert response is not None and response.status == 200
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit], form input[type=submit]").first.click()
    assert "/login/" not in page.url, f"{username} could not log in"


def check_home(page: Any, login: DemoLogin, language: str) -> None:
    assert page.locator("html").get_attribute("lang") == language
    heading = page.locator("main h1").first.inner_text().strip()
    assert heading == expected(language, "你好，%(name)s", name=login.name)
    first_nav = page.locator("#sidenav a").first.inner_text().strip()
    assert first_nav == expected(language, "首页")


def switch_language(page: Any, language: str) -> None:
    with page.expect_navigation():
        page.select_option("select[name=language]", language)


def visit_as(context: Any, base: str, login: DemoLogin, shots: Path, slug: str) -> list[str]:
    """Log in as ``login`` in a context shared by the company's roles (static files stay cached)."""
    context.clear_cookies()
    page = context.new_page()
    problems = Problems()
    problems.watch(page)
    try:
        log_in(page, base, login.username)
        page.goto(f"{base}/")
        check_home(page, login, "zh-hans")
        handle = login.username.split("@")[0]
        page.screenshot(path=str(shots / f"{slug}-{handle}-zh.png"), full_page=True)
        switch_language(page, "en")
        check_home(page, login, "en")
        if login.role == str(Role.HR_ADMIN.label):
            # The choice sticks across pages and switches back.
            page.goto(f"{base}/account/")
            assert page.locator("html").get_attribute("lang") == "en"
            page.goto(f"{base}/")
            switch_language(page, "zh-hans")
            check_home(page, login, "zh-hans")
    finally:
        page.close()
    return problems.items


def desktop(browser: Any) -> Any:
    return browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")


@pytest.mark.parametrize("spec", COMPANIES, ids=[c.slug for c in COMPANIES])
def test_each_role_opens_its_home_page_in_both_languages(
    browser: Any, demo_site: str, screenshots: Path, spec: Any
) -> None:
    # One login per role: the demo table lists HR, executive, managers, then employees.
    logins = list(
        {row.role: row for row in reversed(demo_logins()) if row.company == spec.name}.values()
    )
    assert {row.role for row in logins} == {
        str(r.label) for r in (Role.HR_ADMIN, Role.EXECUTIVE, Role.MANAGER, Role.EMPLOYEE)
    }
    problems: dict[str, list[str]] = {}
    context = desktop(browser)
    try:
        for login in logins:
            seen = visit_as(context, demo_site, login, screenshots, spec.slug)
            if seen:
                problems[login.username] = seen
    finally:
        context.close()
    assert problems == {}


def test_platform_admin_sees_the_companies(browser: Any, demo_site: str, screenshots: Path) -> None:
    admin = demo_logins()[0]
    assert admin.role == str(Role.PLATFORM_ADMIN.label)
    context = desktop(browser)
    try:
        assert visit_as(context, demo_site, admin, screenshots, "platform") == []
    finally:
        context.close()


def test_phone_width_opens_the_navigation_with_the_toggle(
    browser: Any, demo_site: str, screenshots: Path
) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    problems = Problems()
    problems.watch(page)
    try:
        log_in(page, demo_site, "wangjie@haixing.demo")
        nav = page.locator("#sidenav")
        toggle = page.locator("[data-nav-toggle]")
        assert toggle.is_visible()
        assert not nav.is_visible()
        toggle.click()
        assert nav.is_visible()
        assert toggle.get_attribute("aria-expanded") == "true"
        page.screenshot(path=str(screenshots / "phone-wangjie-nav-open.png"), full_page=True)
        # Nothing may be wider than the phone: no sideways scrolling.
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 360
        page.keyboard.press("Escape")
        assert not nav.is_visible()
        page.screenshot(path=str(screenshots / "phone-wangjie.png"), full_page=True)
    finally:
        context.close()
    assert problems.items == []
