"""Company A's HR admin cannot reach company B's objects through any API operation.

Walks the live OpenAPI document. For every operation that names objects — by a path
parameter (``/employees/{employee_id}``) or by an id field in its JSON body
(``{"department_id": …}``) — it makes such an object in company B (别家公司) and
calls the operation as 刘HR of company A with her API token. The answer must be
exactly what an id that never existed gets (404 for paths), never 200, 403 or 5xx,
and company B's object must be untouched. Ids come from ``resources.RESOURCES``;
an operation naming something not registered there fails until it is.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django_scopes import scopes_disabled

from jixiao.core.models import Company, User
from tests.api.conftest import bearer, token_for
from tests.conftest import World
from tests.isolation import resources
from tests.isolation.openapi_walk import (
    Operation,
    body_fields,
    is_array,
    live_schema,
    minimal_value,
    operations,
)

pytestmark = pytest.mark.django_db

SCHEMA = live_schema()
NEVER_EXISTED = 2_000_000_000

#: Path parameters that do not name an object (none yet); say why for each.
NOT_OBJECTS: set[str] = set()
#: Authenticated by a signature, not a session: any id without its signature gets the same 401.
SIGNED_PATHS = {"/api/v1/metrics/sources/{source_id}/events"}


def _id_fields(op: Operation) -> list[str]:
    body = op.json_body_schema(SCHEMA)
    if body is None:
        return []
    return [name for name in body_fields(SCHEMA, body) if resources.looks_like_id(name)]


PATH_OPERATIONS = [op for op in operations(SCHEMA) if set(op.path_params) - NOT_OBJECTS]
BODY_REFERENCES = [(op, field) for op in operations(SCHEMA) for field in _id_fields(op)]


def _key(name: str, op: Operation) -> str:
    key = resources.resource_key(name, op.path)
    if key is None:
        pytest.fail(
            f"{op.id}: `{name}` names an object but tests/isolation/resources.py has no "
            f"factory for it. Add RESOURCES[{name!r}] (or ALIASES / a "
            f"'{op.path}:{name}' entry) so cross-company access to it is tested."
        )
    return key


def _snapshot(obj: Model) -> dict[str, Any]:
    with scopes_disabled():
        fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
        assert fresh is not None, f"{type(obj).__name__} {obj.pk} of company B was deleted"
        return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


def _call(client: Client, op: Operation, url: str, body: dict[str, Any] | None) -> HttpResponse:
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, op.method)(url, **kwargs)  # type: ignore[no-any-return]


def _outcome(response: HttpResponse) -> tuple[int, Any, Any]:
    """What a caller learns: status, error code and which fields were refused."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return response.status_code, None, None
    if not isinstance(body, dict):
        return response.status_code, None, None
    return response.status_code, body.get("code"), sorted(body.get("fields") or {})


def _body(op: Operation, company: Company, member: User) -> dict[str, Any] | None:
    """A minimal valid body; its required ids point at objects of ``company``."""
    schema = op.json_body_schema(SCHEMA)
    if schema is None:
        return None
    body = minimal_value(SCHEMA, schema)
    fields = body_fields(SCHEMA, schema)
    for name in list(body):
        if resources.looks_like_id(name):
            obj = resources.make(_key(name, op), company, member)
            body[name] = [obj.pk] if is_array(SCHEMA, fields[name]) else obj.pk
    return body  # type: ignore[no-any-return]


@pytest.fixture
def hr(world: World) -> Client:
    return Client(**bearer(token_for(world.hr)))


def test_the_walk_sees_the_apps_operations() -> None:
    ids = {op.id for op in PATH_OPERATIONS}
    assert "GET /api/v1/org/employees/{employee_id}" in ids
    assert "DELETE /api/v1/tokens/{token_id}" in ids


@pytest.mark.parametrize("op", PATH_OPERATIONS, ids=lambda op: op.id)
def test_other_company_ids_in_the_path_are_404(world: World, hr: Client, op: Operation) -> None:
    theirs: dict[str, Model] = {}
    for name in op.path_params:
        theirs[name] = resources.make(_key(name, op), world.other_company, world.outsider)
    before = {name: _snapshot(obj) for name, obj in theirs.items()}
    body = _body(op, world.company, world.teammate)

    response = _call(hr, op, op.url({k: v.pk for k, v in theirs.items()}), body)
    missing = _call(hr, op, op.url(dict.fromkeys(theirs, NEVER_EXISTED)), body)

    assert response.status_code == (401 if op.path in SIGNED_PATHS else 404), (
        f"{op.id} with company B's ids answered {response.status_code}: {response.content[:300]!r}"
    )
    assert _outcome(response) == _outcome(missing), "B's ids must look like ids that never existed"
    for name, obj in theirs.items():
        assert _snapshot(obj) == before[name], f"{op.id} changed company B's {name}"


@pytest.mark.parametrize(("op", "field"), BODY_REFERENCES, ids=lambda v: getattr(v, "id", v))
def test_other_company_ids_in_the_body_are_refused(
    world: World, hr: Client, op: Operation, field: str
) -> None:
    ours = {
        name: resources.make(_key(name, op), world.company, world.teammate)
        for name in op.path_params
    }
    key = _key(field, op)
    theirs = resources.make(key, world.other_company, world.outsider)
    before = _snapshot(theirs)
    schema = op.json_body_schema(SCHEMA)
    assert schema is not None
    as_list = is_array(SCHEMA, body_fields(SCHEMA, schema)[field])

    def body_with(value: int) -> dict[str, Any]:
        body = _body(op, world.company, world.teammate) or {}
        body[field] = [value] if as_list else value
        return body

    url = op.url({k: v.pk for k, v in ours.items()})
    response = _call(hr, op, url, body_with(theirs.pk))
    missing = _call(hr, op, url, body_with(NEVER_EXISTED))

    assert response.status_code in (404, 422), (
        f"{op.id} accepted company B's {field}: {response.status_code} {response.content[:300]!r}"
    )
    status, _, refused = _outcome(response)
    assert status == 404 or field in refused, (
        f"{op.id} refused the request for another reason than {field}: {response.content[:300]!r}"
    )
    assert _outcome(response) == _outcome(missing), "B's ids must look like ids that never existed"
    assert _snapshot(theirs) == before, f"{op.id} changed company B's {key}"
