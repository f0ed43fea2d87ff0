"""The REST API at /api/v1: one NinjaAPI, routers from each app, one error schema.

Every error leaves as ``{"code", "message", "fields"}`` (``ErrorOut``): the handlers
below cover what the endpoints raise, and ``ApiErrorMiddleware`` covers what
happens outside them (unknown paths, 405, token refusals, crashes).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django_scopes.exceptions import ScopeError
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser
from ninja.types import DictStrAny

from jixiao.core.api_auth import RequestUserAuth
from jixiao.core.api_errors import (
    ErrorOut,
    ServiceError,
    UnsupportedMediaType,
    error_body,
    error_code_for_status,
)

logger = logging.getLogger("django.request")

_PARAM_SOURCES = ("body", "query", "path", "form", "file", "header", "cookie")


class JsonParser(Parser):
    """Parses request bodies as JSON, refusing other media types with 415."""

    def parse_body(self, request: HttpRequest) -> DictStrAny:
        content_type = request.content_type or ""
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType(content_type)
        body = super().parse_body(request)
        _refuse_control_characters(body, ("body", "body"))  # as ninja: source, param
        return body

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> DictStrAny:
        query = super().parse_querydict(data, list_fields, request)
        _refuse_control_characters(query, ("query",))
        return query


# C0 control characters other than tab, line feed and carriage return: PostgreSQL
# cannot store NUL in text, and none of them belongs in a name, a label or a reason.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _refuse_control_characters(value: Any, loc: tuple[str | int, ...]) -> None:
    """Answer 422 naming the field when any string (or key) in the input has one."""
    errors: list[DictStrAny] = []

    def walk(item: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(item, str):
            if _CONTROL_CHARACTERS.search(item):
                errors.append({"loc": path, "msg": _("不能包含控制字符。"), "type": "value_error"})
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and _CONTROL_CHARACTERS.search(key):
                    errors.append(
                        {"loc": path, "msg": _("字段名不能包含控制字符。"), "type": "value_error"}
                    )
                walk(child, (*path, key))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                walk(child, (*path, index))

    walk(value, loc)
    if errors:
        raise NinjaValidationError(errors)


class OfflineSwagger(Swagger):
    """Swagger UI served from our vendored copy, so the docs page needs no CDN.

    ninja's own template falls back to a CDN unless "ninja" is an installed
    app, and its init script reads settings from a JSON block; ours does the same
    from ``web/api-docs.js`` under the strict CSP.
    """

    template = "api/swagger.html"

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(
            request,
            self.template,
            {"api": api, "swagger_settings": settings},
        )


class JixiaoAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document declares the shared error responses everywhere.

    Routers may (and should) list ``ERRORS`` in ``response=``; this fills in the
    ones they left out, so clients and the schema fuzzer see the real contract.
    Request bodies must be JSON, and every exception becomes an ``ErrorOut``.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("parser", JsonParser())
        super().__init__(**kwargs)

    def set_default_exception_handlers(self) -> None:
        _install_error_handlers(self)

    def get_openapi_schema(
        self,
        *,
        path_prefix: str | None = None,
        path_params: DictStrAny | None = None,
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault(
            "ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        ref = "#/components/schemas/ErrorOut"
        descriptions = {
            400: _("请求体不是合法的 JSON。"),
            401: _("未登录，或 API 令牌无效、已撤销、已过期。"),
            403: _("没有权限，或公司账号已停用。"),
            404: _("对象不存在，或属于其他公司。"),
            415: _("请求体必须是 application/json。"),
            409: _("与现有数据冲突，例如对象仍被引用。"),
            422: _("请求数据有误，按字段给出说明。"),
        }
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                statuses = [403, 404]
                if method.lower() in ("post", "put", "patch", "delete"):
                    statuses.append(409)
                if operation.get("security"):
                    statuses.append(401)
                if operation.get("parameters") or operation.get("requestBody"):
                    statuses.append(422)
                body = operation.get("requestBody", {}).get("content", {})
                if "application/json" in body:
                    statuses += [400, 415]
                responses = operation["responses"]
                for status in sorted(statuses):
                    if status not in responses and str(status) not in responses:
                        responses[status] = {
                            "description": str(descriptions[status]),
                            "content": {"application/json": {"schema": {"$ref": ref}}},
                        }
        return schema


def _field_key(loc: list[Any]) -> str:
    """The field an error belongs to: ``("body", "payload", "name")`` → ``"name"``."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in _PARAM_SOURCES:
        source, parts = parts[0], parts[1:]
        if source in ("body", "form") and parts:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


def _install_error_handlers(target: NinjaAPI) -> None:
    """Map every exception an endpoint can raise to an ``ErrorOut`` response."""

    def error(
        request: HttpRequest,
        status: int,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
    ) -> HttpResponse:
        return target.create_response(request, error_body(code, message, fields), status=status)

    @target.exception_handler(NinjaValidationError)
    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        for item in exc.errors:
            key = _field_key(list(item.get("loc", [])))
            fields.setdefault(key, []).append(str(item.get("msg", "")))
        return error(request, 422, "invalid", _("请求数据有误，请检查标出的字段。"), fields)

    @target.exception_handler(ServiceError)
    def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
        return error(request, exc.status, exc.code, exc.message, exc.fields)

    @target.exception_handler(ValidationError)
    def on_django_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        fields: dict[str, list[str]] = {}
        if hasattr(exc, "error_dict"):
            for key, messages in exc.message_dict.items():
                fields[key] = [str(m) for m in messages]
        else:
            fields["__all__"] = [str(m) for m in exc.messages]
        return error(request, 422, "invalid", _("请求数据有误，请检查标出的字段。"), fields)

    @target.exception_handler(Http404)
    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error(request, 404, "not_found", _("找不到该对象。"))

    @target.exception_handler(PermissionDenied)
    def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return error(request, 403, "forbidden", str(exc) or _("你没有执行此操作的权限。"))

    @target.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return error(request, 401, "unauthenticated", _("请先登录或提供有效的 API 令牌。"))

    @target.exception_handler(ScopeError)
    def on_scope_error(request: HttpRequest, exc: ScopeError) -> HttpResponse:
        return error(request, 403, "no_company", _("该操作需要属于某个公司的账号。"))

    @target.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, NinjaValidationError):
            # Raised by JsonParser (control characters); ninja wraps parser errors in a 400.
            return on_validation(request, exc.__cause__)
        if isinstance(exc.__cause__, UnsupportedMediaType):
            message = _("请求体必须是 JSON（application/json）。")
            return error(request, 415, "unsupported_media_type", message)
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
            return error(request, 400, "malformed_body", _("请求体不是合法的 JSON。"))
        if exc.status_code == 429:
            return error(request, 429, "throttled", _("请求过于频繁，请稍后再试。"))
        code = error_code_for_status(exc.status_code)
        return error(request, exc.status_code, code, str(exc))

    @target.exception_handler(RequestDataTooBig)
    def on_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return error(request, 413, "too_large", _("请求体过大。"))

    @target.exception_handler(SuspiciousOperation)
    def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        logging.getLogger("django.security").warning("%s: %s", type(exc).__name__, exc)
        return error(request, 400, "bad_request", _("请求有误。"))

    @target.exception_handler(BadRequest)
    def on_bad_request(request: HttpRequest, exc: BadRequest) -> HttpResponse:
        return error(request, 400, "bad_request", str(exc) or _("请求有误。"))

    @target.exception_handler(Exception)
    def on_crash(request: HttpRequest, exc: Exception) -> HttpResponse:
        """A bug: log it as Django would, answer JSON without the traceback."""
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        got_request_exception.send(sender=None, request=request)
        return error(request, 500, "server_error", _("服务器内部错误，已记录，请稍后再试。"))


api = JixiaoAPI(
    title="Jixiao API",
    version="1",
    description=_(
        "Jixiao (绩效) REST API. Authenticate with a personal API token "
        "(`Authorization: Bearer jx_…`) or a browser session."
    ),
    auth=RequestUserAuth(),
    urls_namespace="api",
    docs_url="/docs",
    # Tags start collapsed: with every area's operations the page otherwise renders hundreds at once.
    docs=OfflineSwagger(settings={"validatorUrl": None, "docExpansion": "none"}),
)


def _register_routers() -> None:
    from jixiao.attendance.api import router as attendance_router
    from jixiao.audit.api import router as audit_router
    from jixiao.core.api import router as core_router
    from jixiao.imports.api import router as imports_router
    from jixiao.metrics.api import router as metrics_router
    from jixiao.notifications.api import router as notifications_router
    from jixiao.org.api import router as org_router

    api.add_router("/", core_router)
    api.add_router("/org", org_router)
    api.add_router("/imports", imports_router)
    api.add_router("/audit", audit_router)
    api.add_router("/notifications", notifications_router)
    api.add_router("/attendance", attendance_router)
    api.add_router("/metrics", metrics_router)


_register_routers()
