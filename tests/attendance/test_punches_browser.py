"""The check-in page in a real Chromium at phone width with the position granted.

王姐 opens the page on her phone, reads the notice, gives location consent, presses
打卡 inside the office geofence; a second press from across town is refused with the
distance shown on the page.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from jixiao.attendance.models import Punch
from jixiao.org.models import Employee
from tests.conftest import World
from tests.factories import WorkLocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROWSER = os.environ.get("JIXIAO_BROWSER", "/usr/bin/chromium")
OFFICE = {"latitude": 31.2304, "longitude": 121.4737}


@pytest.fixture
def phone(live_server: Any, world: World) -> Iterator[Any]:
    if not os.path.exists(BROWSER):
        pytest.skip("chromium is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with scopes_disabled():
        location = WorkLocationFactory(
            company=world.company,
            name="上海总部",
            latitude=Decimal("31.230400"),
            longitude=Decimal("121.473700"),
            geofence_radius_m=300,
        )
        Employee.objects.filter(user=world.employee).update(work_location=location)
    client = Client()
    client.force_login(world.employee)
    session = client.cookies["sessionid"].value
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
        context.grant_permissions(["geolocation"], origin=live_server.url)
        context.set_geolocation(OFFICE)
        context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        page = context.new_page()
        page.base_url = live_server.url
        page.context_ref = context
        yield page
        browser.close()


def test_check_in_with_consent_inside_and_outside_the_geofence(phone: Any) -> None:
    from playwright.sync_api import expect

    page = phone
    page.goto(page.base_url + "/attendance/checkin/")
    expect(page.get_by_test_id("checkin-notice")).to_contain_text("打卡信息告知")
    # The page fits a 360 px phone: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    button = page.get_by_test_id("checkin-button")
    box = button.bounding_box()
    assert box is not None and box["width"] >= 120

    page.get_by_test_id("location-consent").click()
    expect(page.get_by_test_id("location-consent-state")).to_be_visible()
    page.get_by_test_id("checkin-button").click()
    expect(page.get_by_test_id("today-punch")).to_have_count(1)
    with scopes_disabled():
        punch = Punch.objects.get()
    assert punch.latitude == Decimal("31.230400")
    assert punch.distance_m == 0
    assert punch.source in ("web", "mobile")

    page.context_ref.set_geolocation({"latitude": 31.2504, "longitude": 121.4737})
    page.get_by_test_id("checkin-button").click()
    error = page.get_by_test_id("checkin-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("不在打卡范围内")
    expect(error).to_contain_text("2224 米")
    expect(page.get_by_test_id("today-punch")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
