"""王姐 and 刘HR in a real Chromium: the polled badge, htmx read marks, the robot test button."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from jixiao.core.models import User
from jixiao.notifications import services
from jixiao.notifications.models import Category
from tests.conftest import World
from tests.notifications.conftest import DINGTALK_SECRET, RobotServer

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
BROWSER = os.environ.get("JIXIAO_BROWSER", "/usr/bin/chromium")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page_for(playwright: Any, user: User, base: str) -> Any:
    client = Client()
    client.force_login(user)
    browser = playwright.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    return browser, context.new_page()


def test_wang_jie_reads_her_notifications(world: World, live_server: Any, tmp_path: Path) -> None:
    if not Path(BROWSER).exists():
        pytest.skip("no Chromium at JIXIAO_BROWSER")
    from playwright.sync_api import expect, sync_playwright

    for title in ("Q3 考核自评开始", "目标已确认", "系统维护通知"):
        services.notify(recipients=[world.employee], category=Category.SYSTEM, title=title)
    services.notify(recipients=[world.teammate], category=Category.SYSTEM, title="李哥的通知")
    base = str(live_server)
    with sync_playwright() as p:
        browser, page = _page_for(p, world.employee, base)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/")
        badge = page.get_by_test_id("unread-count")
        expect(badge).to_have_attribute("data-count", "3")
        page.goto(f"{base}/notifications/")
        items = page.get_by_test_id("notification")
        expect(items).to_have_count(3)
        expect(page.get_by_text("李哥的通知")).to_have_count(0)
        page.get_by_test_id("mark-read").first.click()
        expect(page.get_by_test_id("mark-read")).to_have_count(2)
        expect(badge).to_have_attribute("data-count", "2")  # refreshed by the HX-Trigger event
        expect(page.locator("#inbox-unread-count")).to_have_text("2")  # out-of-band swap
        page.get_by_test_id("mark-all-read").click()
        expect(page.get_by_test_id("mark-read")).to_have_count(0)
        expect(badge).to_have_attribute("data-count", "0")
        page.screenshot(path=str(tmp_path / "inbox.png"), full_page=True)
        assert errors == []
        browser.close()


def test_hr_sends_a_test_message(
    world: World, live_server: Any, robot_server: RobotServer, tmp_path: Path
) -> None:
    if not Path(BROWSER).exists():
        pytest.skip("no Chromium at JIXIAO_BROWSER")
    from playwright.sync_api import expect, sync_playwright

    services.webhook_create(
        company=world.company,
        actor=world.hr,
        name="销售群",
        platform="dingtalk",
        url=robot_server.url("dingtalk"),
        secret=DINGTALK_SECRET,
        categories=[Category.REVIEW_REMINDER],
    )
    base = str(live_server)
    with sync_playwright() as p:
        browser, page = _page_for(p, world.hr, base)
        page.goto(f"{base}/notifications/webhooks/")
        page.get_by_role("button", name="发送测试消息").click()
        result = page.get_by_test_id("webhook-test-result")
        expect(result).to_have_attribute("data-ok", "true")
        expect(result).to_contain_text('"errcode": 0')
        page.screenshot(path=str(tmp_path / "webhooks.png"), full_page=True)
        browser.close()
    assert len(robot_server.accepted()) == 1
