"""The indicator editor, the team roll-up and the manual-entry queue in a real Chromium: the
ECharts bars draw from the page's data and open a member's value, the formula field shows
its mistake while HR types, an approval swaps its row in place; no console or CSP errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django_scopes import scope

from jixiao.metrics.models import Indicator, ManualEntry, MetricSource, MetricValue
from jixiao.metrics.services.ingest import metric_events_ingest
from jixiao.metrics.services.manual import manual_entry_submit
from tests.conftest import PASSWORD, World
from tests.metrics.conftest import event

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BROWSER = os.environ.get("JIXIAO_BROWSER", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=BROWSER, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page_as(browser: Any, live_server: Any) -> Iterator[Any]:
    """Log a user in, in a context of their own; no page may log a console or CSP error."""
    contexts: list[Any] = []
    problems: list[str] = []

    def open_as(user: Any) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.locator("form button[type=submit]").first.click()
        page.base = live_server.url
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert problems == []


def test_team_bars_open_a_members_value(
    metrics_world: World, push_source: MetricSource, page_as: Any
) -> None:
    w = metrics_world
    metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[
            event("o1", "300", employee_number="A004"),
            event("o2", "100", employee_number="A005"),
        ],
        actor=None,
    )
    with scope(company=w.company):
        wang = MetricValue.objects.get(
            employee=w.employee.employee,  # type: ignore[attr-defined]
            indicator__code="order_amount", period_kind="month",
        )  # fmt: skip
    page = page_as(w.manager)
    page.goto(f"{page.base}/metrics/rollups/team/?indicator=order_amount&date=2026-10-15")
    bars = page.locator('[data-rollup-chart] svg path[fill="#2563eb"]')
    bars.first.wait_for(state="attached")
    assert bars.count() == 2  # one bar per member with a value
    assert "400.00" in page.locator("[data-testid=rollup-value]").inner_text()
    # The first (largest) bar is 王姐's: clicking it opens her value and its events.
    with page.expect_navigation():
        bars.first.click(force=True)
    assert page.url.endswith(f"/metrics/values/{wang.pk}/")


def test_formula_mistake_shows_while_typing(metrics_world: World, page_as: Any) -> None:
    page = page_as(metrics_world.hr)
    page.goto(f"{page.base}/metrics/indicators/new/")
    assert page.locator("[data-show-for=formula]").is_hidden()
    page.select_option("select[name=aggregation]", "formula")
    assert page.locator("[data-show-for=formula]").is_visible()
    assert page.locator("[data-show-for=ratio]").is_hidden()
    page.fill("input[name=code]", "per_visit")
    page.locator("textarea[name=formula]").press_sequentially("orders / visitz")
    error = page.locator("[data-testid=formula-error]")
    error.wait_for()
    assert "不存在的指标：visitz" in error.inner_text()
    page.fill("textarea[name=formula]", "orders / customer_visits")
    page.locator("[data-testid=formula-ok]").wait_for()


def test_manager_approves_in_place(metrics_world: World, page_as: Any) -> None:
    w = metrics_world
    import datetime as dt

    from tests.metrics.conftest import SHANGHAI

    with scope(company=w.company):
        entry = manual_entry_submit(
            employee=w.employee.employee,  # type: ignore[attr-defined]
            actor=w.employee,
            indicator=Indicator.objects.get(code="process_savings"),
            value=Decimal(12000),
            occurred_at=dt.datetime(2026, 10, 20, 11, tzinfo=SHANGHAI),
            description="单证与报关资料合并一次录入",
        )
    page = page_as(w.manager)
    page.goto(f"{page.base}/metrics/manual/queue/")
    page.locator(f"[data-testid=approve-{entry.pk}]").click()
    page.locator(f"#manual-{entry.pk} .badge.ok").wait_for()
    assert page.url.endswith("/metrics/manual/queue/")  # swapped in place, no reload
    with scope(company=w.company):
        assert ManualEntry.objects.get(pk=entry.pk).status == ManualEntry.Status.APPROVED
