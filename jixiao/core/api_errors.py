"""The API error contract: ``ServiceError`` for refusals, ``ErrorOut`` as the one error body.

Every error under /api/ has the shape ``{"code", "message", "fields"}``; the
exception handlers in ``jixiao.api`` produce it for what endpoints raise, and
``ApiErrorMiddleware`` for everything that happens outside an endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import Field

API_PATH_PREFIX = "/api/"


class ServiceError(Exception):
    """A request the service refuses, with a user-facing message and field errors."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status: int = 422,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.fields = fields or {}


class UnsupportedMediaType(Exception):
    """A request body that is not JSON, sent to a JSON endpoint."""


class ErrorOut(Schema):
    """Every API error body: a stable machine code, a readable message, field errors."""

    code: str = Field(description="Stable machine-readable error code, e.g. `not_found`.")
    message: str = Field(description="Human-readable message in the viewer's language.")
    fields: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Messages per input field name; `__all__` for the request as a whole.",
    )


#: The errors every authenticated endpoint can return; merge into ``response=``:
#: ``@router.get("/things/{id}", response={200: ThingOut, **ERRORS})``.
ERRORS: dict[int, type[ErrorOut]] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
}

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "throttled",
}


def error_code_for_status(status: int) -> str:
    if status >= 500:
        return "server_error"
    return _STATUS_CODES.get(status, "error")


def _message_for_status(status: int) -> str:
    messages = {
        400: _("请求有误。"),
        401: _("请先登录或提供有效的 API 令牌。"),
        403: _("你没有执行此操作的权限。"),
        404: _("找不到该接口或对象。"),
        405: _("该接口不支持此请求方法。"),
        413: _("请求体过大。"),
        415: _("请求体必须是 JSON（application/json）。"),
        429: _("请求过于频繁，请稍后再试。"),
    }
    if status >= 500:
        return _("服务器内部错误，已记录，请稍后再试。")
    return messages.get(status, _("请求失败。"))


def error_body(
    code: str, message: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or {}}


def _json_of(response: HttpResponse) -> Any:
    if "json" not in response.get("Content-Type", ""):
        return None
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None


class ApiErrorMiddleware:
    """Gives every error response under /api/ the contract's JSON shape.

    Catches what the API's exception handlers never see: unknown paths (Django's
    404 page), ninja's plain-text 405, refusals by earlier middleware (their
    ``code`` and ``message`` are kept), and 500 pages, which must not leak a
    traceback even with DEBUG on.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or response.streaming
            or not request.path.startswith(API_PATH_PREFIX)
        ):
            return response
        status = response.status_code
        found = _json_of(response)
        if not isinstance(found, dict):
            found = {}
        code, message, fields = found.get("code"), found.get("message"), found.get("fields")
        if isinstance(code, str) and isinstance(message, str) and isinstance(fields, dict):
            return response
        body = error_body(
            code if isinstance(code, str) else error_code_for_status(status),
            message if isinstance(message, str) else _message_for_status(status),
            fields if isinstance(fields, dict) else None,
        )
        fixed = JsonResponse(body, status=status)
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "Vary"):
            if header in response:
                fixed[header] = response[header]
        return fixed
