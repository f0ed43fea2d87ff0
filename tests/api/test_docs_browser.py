"""/api/v1/docs in a real Chromium: Swagger UI renders offline under the CSP and can call the API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import World

BROWSER = os.environ.get("JIXIAO_BROWSER", "/usr/bin/chromium")

# Playwright's sync API runs an event loop in this thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_hr_reads_the_docs_and_tries_an_endpoint(world: World, live_server: Any) -> None:
    if not Path(BROWSER).exists():
        pytest.skip("no Chromium at JIXIAO_BROWSER")
    from playwright.sync_api import expect, sync_playwright

    client = Client()
    client.force_login(world.hr)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    base = str(live_server.url)
    own_host = urlsplit(base).netloc
    foreign: list[str] = []
    problems: list[str] = []

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        context = browser.new_context(locale="zh-CN")
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
        page = context.new_page()

        def on_request(route: Any) -> None:
            url = route.request.url
            if urlsplit(url).netloc == own_host or url.startswith("data:"):
                route.continue_()
            else:
                foreign.append(url)
                route.abort()

        page.route("**/*", on_request)
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(f"{base}/api/v1/docs")
        # Tags start collapsed; every area's tag is listed.
        expect(page.locator("#operations-tag-attendance-results")).to_be_visible(timeout=15000)
        assert page.locator(".opblock-tag").count() > 10
        page.locator("#operations-tag-org").click()
        expect(page.locator("[id^=operations-org-]").nth(20)).to_be_visible(timeout=15000)
        page.locator("#operations-tag-attendance-results").click()
        expect(page.locator("[id^=operations-attendance-results-]").nth(5)).to_be_visible()
        page.locator("#operations-tag-me").click()
        operation = page.locator("#operations-me-jixiao_core_api_me")
        expect(operation).to_be_visible(timeout=15000)
        operation.locator(".opblock-summary").click()
        operation.get_by_role("button", name="Try it out").click()
        operation.get_by_role("button", name="Execute").click()
        status = operation.locator(".live-responses-table tbody .response-col_status").first
        expect(status).to_contain_text("200", timeout=10000)
        expect(operation.locator(".live-responses-table")).to_contain_text(world.hr.username)
        browser.close()

    assert not foreign, f"the docs page reached outside: {foreign}"
    assert not problems, problems
