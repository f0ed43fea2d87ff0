"""Company A's HR admin cannot reach company B's objects through any web page.

Walks every URL pattern in ``jixiao.urls`` with an integer parameter, makes the
object it names in company B (别家公司), and requests it as 刘HR of company A with
GET and POST: each answer is 404 (405 when the view takes only the other method,
which is decided before any lookup), and B's object is untouched. A route whose
parameter is not in ``tests/isolation/resources.py`` fails until it is registered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.db.models import Model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django_scopes import scopes_disabled

from tests.conftest import World, login
from tests.isolation import resources

pytestmark = pytest.mark.django_db

#: Routes whose ids are not company objects, with what company users get instead.
NOT_TENANT_ROUTES: dict[str, int] = {
    # Platform administration: every company user is refused, whatever the id.
    "web:platform_company": 403,
}


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    params: tuple[str, ...]

    def url(self, values: dict[str, Any]) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), self.route)


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> list[Route]:
    found: list[Route] = []
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _walk(entry.url_patterns, route, ns)
            continue
        params = tuple(
            name
            for name, converter in entry.pattern.converters.items()
            if type(converter).__name__ == "IntConverter"
        )
        if params and not route.startswith("api/"):
            found.append(Route(f"{namespace}{entry.name}", route, params))
    return found


ROUTES = _walk(get_resolver().url_patterns)
TENANT_ROUTES = [r for r in ROUTES if r.name not in NOT_TENANT_ROUTES]


def _key(route: Route, param: str) -> str:
    if param == "pk":
        segment = route.route.split("<", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        key = resources.SEGMENTS.get(segment)
    else:
        key = resources.resource_key(param, route.name)
    if key is None:
        pytest.fail(
            f"{route.name} ({route.route}): no factory for `{param}`. Register it in "
            "tests/isolation/resources.py (RESOURCES, or SEGMENTS for a bare <int:pk>), "
            "or list the route in NOT_TENANT_ROUTES with the status company users get."
        )
    return key


def _snapshot(obj: Model) -> dict[str, Any]:
    with scopes_disabled():
        fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
        assert fresh is not None, f"{type(obj).__name__} {obj.pk} of company B was deleted"
        return {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}


def test_the_walk_sees_the_apps_pages() -> None:
    names = {r.name for r in ROUTES}
    assert {"org:employee_detail", "web:user_detail"} <= names


def test_allow_listed_routes_exist() -> None:
    assert set(NOT_TENANT_ROUTES) <= {r.name for r in ROUTES}


@pytest.mark.parametrize("route", TENANT_ROUTES, ids=lambda r: r.name)
def test_other_company_ids_in_web_urls_are_404(world: World, route: Route) -> None:
    theirs = {
        param: resources.make(_key(route, param), world.other_company, world.outsider)
        for param in route.params
    }
    before = {param: _snapshot(obj) for param, obj in theirs.items()}
    client = login(world.hr)
    url = route.url({param: obj.pk for param, obj in theirs.items()})

    statuses = {method: getattr(client, method)(url).status_code for method in ("get", "post")}

    assert set(statuses.values()) <= {404, 405} and 404 in statuses.values(), (
        f"{route.name} {url} with company B's ids answered {statuses}"
    )
    for param, obj in theirs.items():
        assert _snapshot(obj) == before[param], f"{route.name} changed company B's {param}"


@pytest.mark.parametrize(("name", "status"), sorted(NOT_TENANT_ROUTES.items()))
def test_non_tenant_routes_refuse_company_users(world: World, name: str, status: int) -> None:
    route = next(r for r in ROUTES if r.name == name)
    url = route.url(dict.fromkeys(route.params, world.other_company.pk))
    assert Client().get(url).status_code in (302, 403)
    assert login(world.hr).get(url).status_code == status
