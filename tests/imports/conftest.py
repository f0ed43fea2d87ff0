"""Fixtures for the import framework tests: company A's scope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django_scopes import scope

from tests.conftest import World


@pytest.fixture
def in_a(world: World) -> Iterator[World]:
    """Run the test body inside company A's scope (星海外贸)."""
    with scope(company=world.company):
        yield world
