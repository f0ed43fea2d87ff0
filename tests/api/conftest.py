"""Helpers for the API convention tests: tokens, bearer headers and an error-contract check."""

from __future__ import annotations

import json
from typing import Any

from jixiao.core import services
from jixiao.core.models import User

ERROR_KEYS = {"code", "message", "fields"}


def token_for(user: User, name: str = "测试令牌") -> str:
    """A fresh personal API token of ``user``; returns the raw value."""
    _, raw = services.api_token_create(user=user, name=name, expires_at=None, actor=user)
    return raw


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is a contract error: status, JSON, exactly code/message/fields."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["code"], str) and body["code"]
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    for key, messages in body["fields"].items():
        assert isinstance(key, str) and messages and all(isinstance(m, str) for m in messages)
    if code is not None:
        assert body["code"] == code, body
    return body  # type: ignore[no-any-return]
