"""Browser fixtures: Debian's chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls
# (loading the demo) would otherwise trip Django's async-unsafe guard.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

BROWSER = Path(os.environ.get("JIXIAO_BROWSER", "/usr/bin/chromium"))
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per module: Playwright allows one sync instance per thread at a
    time, and other modules' browser tests start their own after this one stops."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(BROWSER), args=BROWSER_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def demo_site(live_server: Any) -> str:
    """The live server's URL with the four demo companies loaded in its database."""
    from jixiao.demo.builder import demo_load

    demo_load()
    return str(live_server.url)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
