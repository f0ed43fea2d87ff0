"""The roster editor and the rule form in a real Chromium at phone width (360 px)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from jixiao.attendance import presets
from jixiao.attendance.models import RosterEntry
from jixiao.core.models import User
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROWSER = os.environ.get("JIXIAO_BROWSER", "/usr/bin/chromium")


@pytest.fixture
def phone(live_server: Any) -> Iterator[Callable[[User], Any]]:
    """Opens a 360 px wide page logged in as the given user."""
    if not os.path.exists(BROWSER):
        pytest.skip("chromium is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])

        def open_as(user: User) -> Any:
            client = Client()
            client.force_login(user)
            context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
            context.add_cookies(
                [
                    {
                        "name": "sessionid",
                        "value": client.cookies["sessionid"].value,
                        "url": live_server.url,
                    }
                ]
            )
            page = context.new_page()
            page.base_url = live_server.url
            return page

        yield open_as
        browser.close()


def test_manager_changes_a_cell_and_the_grid_scrolls_sideways(
    world: World, phone: Callable[[User], Any]
) -> None:
    from playwright.sync_api import expect

    with scopes_disabled():
        copied = presets.preset_copy(
            company=world.company, preset_key="manufacturing_two_shift", name="", actor=world.hr
        )
        wang = world.person(world.employee)
    day = dt.date(2026, 3, 4)
    page = phone(world.manager)
    page.goto(page.base_url + "/attendance/roster/?start=2026-03-02&view=month")
    cell = page.locator(f"[data-testid=roster-cell-{wang.pk}-2026-03-04]")
    cell.locator("select").select_option(label="N")
    expect(cell.locator("select")).to_have_value(str(copied.shifts[1].pk))
    expect(cell).to_have_attribute("style", "background: #6366f133")
    with scopes_disabled():
        assert RosterEntry.objects.get(employee=wang, date=day).shift == copied.shifts[1]
    wrap = page.locator(".roster-wrap")
    box = wrap.bounding_box()
    assert box is not None and box["width"] <= 360
    assert page.evaluate(
        "(() => { const w = document.querySelector('.roster-wrap');"
        " return w.scrollWidth > w.clientWidth; })()"
    )


def test_rule_form_shows_the_fields_of_the_chosen_system(
    world: World, phone: Callable[[User], Any]
) -> None:
    from playwright.sync_api import expect

    page = phone(world.hr)
    page.goto(page.base_url + "/attendance/schedules/new/?system=standard")
    core = page.locator("[data-field=core_start]")
    blocks = page.locator("[data-field=blocks]")
    expect(blocks).to_be_visible()
    expect(core).to_be_hidden()
    page.locator("select[name=system]").select_option("flexible")
    expect(core).to_be_visible()
    expect(blocks).to_be_hidden()
