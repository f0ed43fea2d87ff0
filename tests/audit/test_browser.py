"""刘HR in a real Chromium: filters the trail with htmx, opens an event, verifies the chain."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.audit.conftest import Recorder
from tests.conftest import World

BROWSER = os.environ.get("JIXIAO_BROWSER", "/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_hr_filters_opens_and_verifies(
    world: World, record: Recorder, live_server: object, tmp_path: Path
) -> None:
    if not Path(BROWSER).exists():
        pytest.skip("no Chromium at JIXIAO_BROWSER")
    from playwright.sync_api import expect, sync_playwright

    record(world.company, 3, actor=world.hr)
    record(world.company, 1, actor=world.manager, action="goals.target.update")
    client = Client()
    client.force_login(world.hr)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    base = str(live_server)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER)
        context = browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN")
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
        page = context.new_page()
        page.goto(f"{base}/audit/")
        rows = page.get_by_test_id("audit-row")
        expect(rows).to_have_count(4)
        page.get_by_label("动作").fill("goals.*")
        page.get_by_label("动作").press("Enter")
        expect(rows).to_have_count(1)
        assert "action=goals" in page.url
        expect(page.get_by_test_id("export-link")).to_have_attribute(
            "href", re.compile(r"^/audit/export\.xlsx\?.*action=goals\.%2A")
        )
        page.screenshot(path=str(tmp_path / "audit-list.png"), full_page=True)
        rows.first.get_by_role("link").click()
        expect(page.get_by_test_id("event-changes")).to_contain_text("base_salary")
        page.goto(f"{base}/audit/verify/")
        page.get_by_test_id("verify-run").click()
        expect(page.get_by_test_id("verify-ok")).to_be_visible()
        browser.close()
