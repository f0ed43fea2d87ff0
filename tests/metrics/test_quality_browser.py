"""The 数据质量 page in a real Chromium on a 360 px phone: the chart draws under the CSP,
nothing scrolls sideways, and 刘HR's "立即检查" opens the stored check."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import BROWSER, BROWSER_ARGS, SCREENSHOTS
from tests.conftest import PASSWORD, World
from tests.metrics.cast import Data

if not BROWSER.exists():
    pytest.skip(f"no browser at {BROWSER} (set JIXIAO_BROWSER)", allow_module_level=True)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(BROWSER), args=BROWSER_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def test_quality_dashboard_on_a_phone(
    browser: Any, live_server: Any, data: Data, metrics_world: World
) -> None:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None
    )
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", metrics_world.hr.username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.locator("form button[type=submit]").first.click()
        response = page.goto(f"{live_server.url}/metrics/quality/")
        assert response is not None and response.status == 200
        page.wait_for_selector("[data-quality-rate-chart] svg")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert page.locator("[data-source]").count() == 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "phone-quality.png"), full_page=True)
        with page.expect_navigation():
            page.locator("[data-testid=run-weekly]").click()
        assert "/metrics/quality/checks/" in page.url
        assert page.locator("[data-testid=check-detail]").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
    assert problems == []
