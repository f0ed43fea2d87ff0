"""Schema fuzzing: every operation in the live OpenAPI document, fed generated input.

Schemathesis reads /api/v1/openapi.json from the running Django app (over WSGI, so
every middleware runs) and calls each operation with inputs generated from its
schema, as 刘HR (HR admin) and as 王姐 (employee), each with an API token. No answer
may be a 5xx, use an undeclared status or content type, or break its declared
response schema. New endpoints are covered the day they appear in the schema.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.experimental import OPEN_API_3_1
from schemathesis.specs.openapi.schemas import BaseOpenAPISchema

from jixiao.core.models import ApiToken, User
from jixiao.wsgi import application
from tests.api import hypothesis_compat
from tests.api.conftest import token_for
from tests.conftest import World
from tests.isolation import resources

OPEN_API_3_1.enable()
hypothesis_compat.install()

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
)

# Examples per operation for the HR admin (the employee gets half: most of their calls are
# refused early). 10 keeps the two walks over ~250 operations at about two minutes on two
# cores; JIXIAO_FUZZ_EXAMPLES=100 ./dev test tests/api/test_schema_fuzz.py digs deeper.
FUZZ_EXAMPLES = max(2, int(os.environ.get("JIXIAO_FUZZ_EXAMPLES", "10")))

FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    # No shrinking: it would multiply the run time of a failing operation; the
    # report shows the failing example as generated.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@contextmanager
def connection_kept_across_requests() -> Iterator[None]:
    """Keep the test's database connection open across WSGI requests, as Django's Client does.

    ``close_old_connections`` runs on ``request_started`` and ``request_finished``; inside
    a test transaction autocommit is off, which it reads as "unusable", so on PostgreSQL
    it would close the connection holding the test's data (SQLite's in-memory test
    database ignores the close). Django's own test Client reconnects the handler after
    each request, so this must wrap the fuzz calls, not precede a Client request.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(world: World) -> BaseOpenAPISchema:
    raw = Client().get("/api/v1/openapi.json").json()
    return schemathesis.from_dict(raw, app=application)  # type: ignore[return-value]


@pytest.fixture
def known_ids(world: World) -> list[int]:
    """Ids of real objects in both companies, so generated ids hit rows, not only 404s."""
    ids: set[int] = set()
    for key in resources.RESOURCES:
        for company, member in (
            (world.company, world.teammate),
            (world.other_company, world.outsider),
        ):
            ids.add(resources.make(key, company, member).pk)
    return sorted(ids)


class Caller:
    """One user calling with a token; restored before every example.

    A fuzzed call may revoke the token, change the user's role or deactivate them;
    each example starts again from the same caller. It counts the answers so the
    test can tell it was not refused at the door all along.
    """

    def __init__(self, user: User) -> None:
        self.user = user
        self.role = user.role
        self.raw = token_for(user, name="schemathesis")
        self.statuses: Counter[int] = Counter()

    def headers(self) -> dict[str, str]:
        with scopes_disabled():
            ApiToken.objects.filter(token_hash=ApiToken.hash_of(self.raw)).update(revoked_at=None)
        User.objects.filter(pk=self.user.pk).update(is_active=True, role=self.role)
        return {"Authorization": f"Bearer {self.raw}"}

    def assert_got_past_authentication(self) -> None:
        total = sum(self.statuses.values())
        assert total > 0, "no request was made"
        assert self.statuses[401] < total / 10, f"mostly refused: {dict(self.statuses)}"
        assert any(200 <= status < 300 for status in self.statuses), dict(self.statuses)


@pytest.fixture
def hr_caller(world: World) -> Iterator[Caller]:
    caller = Caller(world.hr)
    yield caller
    caller.assert_got_past_authentication()


@pytest.fixture
def employee_caller(world: World) -> Iterator[Caller]:
    caller = Caller(world.employee)
    yield caller
    caller.assert_got_past_authentication()


def _aim_at_known_ids(case: Any, data: st.DataObject, known_ids: list[int]) -> None:
    """Half the time, swap generated integer path ids for ids of rows that exist."""
    parameters = case.path_parameters or {}
    for name, value in list(parameters.items()):
        if isinstance(value, int) and data.draw(st.booleans(), label=f"known {name}"):
            parameters[name] = data.draw(st.sampled_from(known_ids), label=name)


def _exercise(case: Any, data: st.DataObject, caller: Caller, known_ids: list[int]) -> None:
    _aim_at_known_ids(case, data, known_ids)
    with connection_kept_across_requests():
        response = case.call(headers=caller.headers())
    caller.statuses[response.status_code] += 1
    case.validate_response(response, checks=CHECKS)


schema = schemathesis.from_pytest_fixture("api_schema")


@pytest.mark.django_db
@schema.parametrize()
@schema.given(data=st.data())
@FUZZ_SETTINGS
def test_fuzz_as_hr_admin(
    case: Any, data: st.DataObject, hr_caller: Caller, known_ids: list[int]
) -> None:
    _exercise(case, data, hr_caller, known_ids)


@pytest.mark.django_db
@schema.parametrize()
@schema.given(data=st.data())
@settings(FUZZ_SETTINGS, max_examples=FUZZ_EXAMPLES // 2)
def test_fuzz_as_employee(
    case: Any, data: st.DataObject, employee_caller: Caller, known_ids: list[int]
) -> None:
    _exercise(case, data, employee_caller, known_ids)
