"""The request pages in a real Chromium at phone width (360 px).

王姐 files a leave request, an overtime request and an exception explanation from her
phone; 张经理 approves the leave from the approval inbox on his. Nothing scrolls
sideways, every form submits.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled

from jixiao.attendance.models import LeaveRequest, LeaveType, OvertimeRequest, PunchCorrection
from jixiao.attendance.services import leave as leave_services
from jixiao.core.models import User
from tests.attendance.requests_support import calendar_make
from tests.conftest import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROWSER = os.environ.get("JIXIAO_BROWSER", "/usr/bin/chromium")
WIDTH = 360


@pytest.fixture
def phone(live_server: Any, world: World) -> Iterator[Callable[[User], Any]]:
    """Opens a 360 px wide page logged in as the given user (calendar and leave types set)."""
    if not os.path.exists(BROWSER):
        pytest.skip("chromium is not installed")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    calendar_make(world.company, years=(2026, 2027))
    with scope(company=world.company):
        leave_services.leave_types_ensure(company=world.company)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])

        def open_as(user: User) -> Any:
            client = Client()
            client.force_login(user)
            context = browser.new_context(viewport={"width": WIDTH, "height": 740}, locale="zh-CN")
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


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def _next_weekday(days_ahead: int) -> dt.date:
    """A workday in the test calendar some days from today (the server's real clock)."""
    day = dt.date.today() + dt.timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def test_leave_form_submits_at_phone_width(world: World, phone: Callable[[User], Any]) -> None:
    from playwright.sync_api import expect

    page = phone(world.employee)
    page.goto(page.base_url + "/attendance/requests/")
    _no_sideways_scroll(page)
    form = page.get_by_test_id("leave-form")
    form.locator("summary").click()
    _no_sideways_scroll(page)
    day = _next_weekday(14)
    with scopes_disabled():
        personal = LeaveType.objects.get(company=world.company, code="personal")
    form.locator("[name=leave_type]").select_option(str(personal.pk))
    form.locator("[name=start_date]").fill(day.isoformat())
    form.locator("[name=start_half]").select_option("am")
    form.locator("[name=end_date]").fill(day.isoformat())
    form.locator("[name=end_half]").select_option("pm")
    form.locator("[name=reason]").fill("孩子开家长会")
    box = form.locator("button[type=submit]").bounding_box()
    assert box is not None and box["x"] + box["width"] <= WIDTH
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("my-leave")).to_contain_text("事假")
    expect(page.locator("body")).to_contain_text("请假申请已提交")
    _no_sideways_scroll(page)
    with scopes_disabled():
        request = LeaveRequest.objects.get(employee__user=world.employee)
    assert request.days == 1 and request.reason == "孩子开家长会"


def test_overtime_form_submits_at_phone_width(world: World, phone: Callable[[User], Any]) -> None:
    from playwright.sync_api import expect

    page = phone(world.employee)
    page.goto(page.base_url + "/attendance/requests/")
    form = page.get_by_test_id("overtime-form")
    form.locator("summary").click()
    _no_sideways_scroll(page)
    day = _next_weekday(7)
    form.locator("[name=start]").fill(f"{day.isoformat()}T18:30")
    form.locator("[name=end]").fill(f"{day.isoformat()}T20:30")
    form.locator("[name=compensation]").select_option("pay")
    form.locator("[name=reason]").fill("德国客户电话会议")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("my-overtime")).to_contain_text("德国客户电话会议")
    _no_sideways_scroll(page)
    with scopes_disabled():
        overtime = OvertimeRequest.objects.get(employee__user=world.employee)
    assert (overtime.end - overtime.start) == dt.timedelta(hours=2)


def test_overtime_form_error_stays_readable_at_phone_width(
    world: World, phone: Callable[[User], Any]
) -> None:
    """Comp leave on a workday is refused: the form comes back open with the reason."""
    from playwright.sync_api import expect

    page = phone(world.employee)
    page.goto(page.base_url + "/attendance/requests/")
    form = page.get_by_test_id("overtime-form")
    form.locator("summary").click()
    day = _next_weekday(7)
    form.locator("[name=start]").fill(f"{day.isoformat()}T18:30")
    form.locator("[name=end]").fill(f"{day.isoformat()}T20:30")
    form.locator("[name=compensation]").select_option("comp_leave")
    form.locator("[name=reason]").fill("赶方案")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("overtime-form")).to_contain_text("工作日加班不能以调休代替")
    _no_sideways_scroll(page)
    with scopes_disabled():
        assert not OvertimeRequest.objects.exists()


def test_correction_form_submits_at_phone_width(world: World, phone: Callable[[User], Any]) -> None:
    from playwright.sync_api import expect

    page = phone(world.employee)
    page.goto(page.base_url + "/attendance/requests/")
    form = page.get_by_test_id("correction-form")
    form.locator("summary").click()
    _no_sideways_scroll(page)
    day = dt.date.today() - dt.timedelta(days=1)
    form.locator("[name=kind]").select_option("explanation")
    form.locator("[name=date]").fill(day.isoformat())
    form.locator("[name=reason]").fill("门禁坏了")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("my-corrections")).to_contain_text("门禁坏了")
    _no_sideways_scroll(page)
    with scopes_disabled():
        correction = PunchCorrection.objects.get(employee__user=world.employee)
    assert correction.date == day


def test_manager_approves_from_the_inbox_at_phone_width(
    world: World, phone: Callable[[User], Any]
) -> None:
    from playwright.sync_api import expect

    day = _next_weekday(21)
    with scope(company=world.company):
        request = leave_services.leave_request_create(
            employee=world.person(world.employee),
            leave_type=LeaveType.objects.get(code="personal"),
            start=dt.datetime.combine(day, dt.time(0)),
            end=dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0)),
            reason="搬家，需要请一整天的事假处理各种手续",
            actor=world.employee,
        )
    page = phone(world.manager)
    page.goto(page.base_url + "/attendance/requests/inbox/?tab=leave")
    _no_sideways_scroll(page)
    row = page.get_by_test_id("inbox-row")
    expect(row).to_have_count(1)
    row.locator("[name=note]").fill("同意")
    row.get_by_role("button", name="通过").click()
    expect(page.get_by_test_id("inbox-row")).to_contain_text("已通过")
    _no_sideways_scroll(page)
    with scopes_disabled():
        request.refresh_from_db()
    assert request.status == "approved" and request.decided_by == world.manager
