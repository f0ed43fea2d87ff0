"""The employee list in a real Chromium at phone width: htmx swaps the table as you type."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.test import Client

from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROWSER = os.environ.get("JIXIAO_BROWSER", "/usr/bin/chromium")


@pytest.fixture
def phone_page(live_server: object, world: World) -> Iterator[object]:
    if not os.path.exists(BROWSER):
        pytest.skip("chromium is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    client = Client()
    client.force_login(world.hr)
    session = client.cookies["sessionid"].value
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 360, "height": 740})
        context.add_cookies(
            [{"name": "sessionid", "value": session, "url": live_server.url}]  # type: ignore[attr-defined]
        )
        page = context.new_page()
        page.base_url = live_server.url  # type: ignore[attr-defined]
        yield page
        browser.close()


def test_search_swaps_the_table_without_reloading(phone_page: object) -> None:
    from playwright.sync_api import expect

    page = phone_page
    page.goto(page.base_url + "/org/employees/")  # type: ignore[attr-defined]
    rows = page.locator("[data-testid=employee-row]")  # type: ignore[attr-defined]
    assert rows.count() == 6
    page.evaluate("window.__marker = 1")  # type: ignore[attr-defined]
    # Typing is enough: the search box triggers a request after a short pause.
    page.locator("input[name=q]").press_sequentially("王")  # type: ignore[attr-defined]
    expect(rows).to_have_count(1)
    assert "王姐" in rows.first.inner_text()
    # Same document (no full reload), and the address bar carries the filter.
    assert page.evaluate("window.__marker") == 1  # type: ignore[attr-defined]
    assert "q=" in page.url  # type: ignore[attr-defined]
    # At 360 px the table scrolls inside its own box instead of widening the page.
    box = page.locator("#employee-table").bounding_box()  # type: ignore[attr-defined]
    assert box is not None and box["width"] <= 360
