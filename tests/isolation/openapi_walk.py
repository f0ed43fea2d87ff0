"""Reading the live OpenAPI document: operations, their ids, and a minimal valid body."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from jixiao.api import api

WRITE_METHODS = ("post", "put", "patch", "delete")
METHODS = ("get", *WRITE_METHODS)


def live_schema() -> dict[str, Any]:
    return dict(api.get_openapi_schema())


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def path_params(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)

    def url(self, values: dict[str, Any]) -> str:
        return re.sub(r"{(\w+)}", lambda m: str(values[m.group(1)]), self.path)

    def json_body_schema(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        content = self.spec.get("requestBody", {}).get("content", {})
        body = content.get("application/json", {}).get("schema")
        return resolve(schema, body) if body is not None else None

    @property
    def has_other_body(self) -> bool:
        content = self.spec.get("requestBody", {}).get("content", {})
        return bool(content) and "application/json" not in content


def operations(schema: dict[str, Any]) -> list[Operation]:
    return [
        Operation(method, path, spec)
        for path, item in schema["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    ]


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        node = schema["components"]["schemas"][name]
    return node


def _options(schema: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    node = resolve(schema, node)
    for key in ("anyOf", "oneOf"):
        if key in node:
            return [resolve(schema, option) for option in node[key]]
    return [node]


def non_null(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The first alternative of ``X | None`` that is not null."""
    options = [o for o in _options(schema, node) if o.get("type") != "null"]
    return options[0] if options else resolve(schema, node)


def is_array(schema: dict[str, Any], node: dict[str, Any]) -> bool:
    return non_null(schema, node).get("type") == "array"


def minimal_value(schema: dict[str, Any], node: dict[str, Any]) -> Any:
    """The smallest value that satisfies ``node``: required object fields only."""
    node = non_null(schema, node)
    if "allOf" in node:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            merged.update(resolve(schema, part))
        node = merged
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    if "default" in node and node["default"] is not None:
        return node["default"]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        properties = node.get("properties", {})
        return {name: minimal_value(schema, properties[name]) for name in node.get("required", [])}
    if kind == "array":
        count = node.get("minItems", 0)
        return [minimal_value(schema, node.get("items", {})) for _ in range(count)]
    if kind == "integer":
        return max(1, int(node.get("minimum", 1)))
    if kind == "number":
        return max(1, node.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        formats = {
            "date": dt.date(2026, 3, 2).isoformat(),
            "date-time": "2026-03-02T09:00:00+08:00",
            "time": "09:00:00",
            "email": "isolation@example.com",
            "uri": "https://example.com/",
            "uuid": "00000000-0000-4000-8000-000000000000",
            "decimal": "1",
        }
        if node.get("format") in formats:
            return formats[node["format"]]
        return "测" * max(1, int(node.get("minLength", 1)))
    return None


def body_fields(schema: dict[str, Any], body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(non_null(schema, body).get("properties", {}))
