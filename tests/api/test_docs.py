"""The OpenAPI document and the Swagger UI page: public, offline, declaring the error contract."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.api.conftest import bearer, token_for
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

ROLES = ["hr", "executive", "manager", "employee", "platform_admin", "anonymous"]


def _client(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else login(getattr(world, role))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs"])
def test_schema_and_docs_matrix(world: World, role: str, path: str) -> None:
    """The API's description is public: it holds no company's data."""
    assert _client(world, role).get(path).status_code == 200


def test_schema_over_a_token(world: World) -> None:
    response = Client(**bearer(token_for(world.hr))).get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Jixiao API"


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_every_operation_declares_the_error_responses(world: World) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert "ErrorOut" in schema["components"]["schemas"]
    error_out = schema["components"]["schemas"]["ErrorOut"]
    assert set(error_out["properties"]) == {"code", "message", "fields"}
    operations = _operations(schema)
    assert len(operations) > 5
    for path, method, operation in operations:
        expected = {"403", "404"}
        if operation.get("security"):
            expected.add("401")
        if operation.get("parameters") or operation.get("requestBody"):
            expected.add("422")
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            expected |= {"400", "415"}
        responses = {str(code): body for code, body in operation["responses"].items()}
        for status in expected:
            assert status in responses, f"{method.upper()} {path} lacks {status}"
            ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorOut", (method, path, status)


def test_every_operation_has_a_unique_id_and_a_summary(world: World) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    ids = [op["operationId"] for _, _, op in _operations(schema)]
    assert len(ids) == len(set(ids))


def test_docs_page_loads_swagger_ui_from_our_static_files(world: World) -> None:
    response = Client().get("/api/v1/docs")
    html = response.content.decode()
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in sources
    assert "/static/vendor/swagger-ui/swagger-ui.css" in sources
    assert "/static/web/api-docs.js" in sources
    assert all(src.startswith("/static/") for src in sources), sources
    assert "cdn" not in html.lower()


def test_docs_page_has_no_inline_executable_script(world: World) -> None:
    html = Client().get("/api/v1/docs").content.decode()
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S):
        if body.strip():
            assert 'type="application/json"' in attributes, attributes


def test_docs_page_is_served_under_the_strict_csp(world: World) -> None:
    response = Client().get("/api/v1/docs")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "cdn" not in policy


def test_docs_page_points_swagger_at_our_schema(world: World) -> None:
    html = Client().get("/api/v1/docs").content.decode()
    assert '"url": "/api/v1/openapi.json"' in html
    assert '"validatorUrl": null' in html


@pytest.mark.parametrize(
    "path",
    [
        "vendor/swagger-ui/swagger-ui-bundle.js",
        "vendor/swagger-ui/swagger-ui.css",
        "vendor/swagger-ui/LICENSE",
        "vendor/swagger-ui/VERSIONS",
        "web/api-docs.js",
    ],
)
def test_docs_assets_are_vendored(path: str) -> None:
    assert finders.find(path), path


def test_vendored_css_references_no_missing_source_map() -> None:
    css_path = finders.find("vendor/swagger-ui/swagger-ui.css")
    assert css_path
    with open(css_path, encoding="utf-8") as css:
        assert "sourceMappingURL" not in css.read()


def test_static_assets_are_served(world: World) -> None:
    response = Client().get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert response.status_code == 200


def test_no_operation_lists_a_response_code_twice() -> None:
    """A code as both 200 and "200" is one JSON key twice: Swagger UI then shows nothing."""
    from jixiao.api import api

    schema = api.get_openapi_schema()
    doubled = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if len({str(code) for code in operation.get("responses", {})})
        != len(operation.get("responses", {}))
    ]
    assert doubled == []
