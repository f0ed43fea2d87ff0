"""The demo, loaded once per test module instead of once per test.

Loading the four companies takes seconds; most demo tests only read it. The load runs
inside an outer transaction that is rolled back when the module's tests are done; each
test runs in its own savepoint inside it (as Django's ``TestCase.setUpTestData`` does),
so what one test changes is gone before the next.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import transaction

from jixiao.demo.builder import DemoLoadResult, demo_load

NOW = dt.datetime(2026, 11, 23, 1, 30, tzinfo=dt.UTC)  # 09:30 in Shanghai, the demo's "today"


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[DemoLoadResult]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with time_machine.travel(NOW, tick=False):
                result = demo_load()
            yield result
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
