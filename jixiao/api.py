"""The REST API at /api/v1: one NinjaAPI, routers from each app, one error schema."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_scopes.exceptions import ScopeError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from jixiao.core.api_auth import RequestUserAuth
from jixiao.core.api_errors import ServiceError

api = NinjaAPI(
    title="Jixiao API",
    version="1",
    description=_(
        "Jixiao (绩效) REST API. Authenticate with a personal API token "
        "(`Authorization: Bearer jx_…`) or a browser session."
    ),
    auth=RequestUserAuth(),
    urls_namespace="api",
    docs_url="/docs",
)


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message, "fields": fields or {}}
    return api.create_response(request, body, status=status)


@api.exception_handler(NinjaValidationError)
def _on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", []) if part not in ("body", "query", "path")]
        key = ".".join(loc[1:] if loc and loc[0] in ("payload", "data", "filters") else loc)
        fields.setdefault(key or "__all__", []).append(str(error.get("msg", "")))
    return _error(request, 422, "invalid", _("请求数据有误，请检查标出的字段。"), fields)


@api.exception_handler(ServiceError)
def _on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(ValidationError)
def _on_django_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            fields[key] = [str(e) for e in errors]
    else:
        fields["__all__"] = [str(m) for m in exc.messages]
    return _error(request, 422, "invalid", _("请求数据有误，请检查标出的字段。"), fields)


@api.exception_handler(Http404)
def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", _("找不到该对象。"))


@api.exception_handler(PermissionDenied)
def _on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "forbidden", str(exc) or _("你没有执行此操作的权限。"))


@api.exception_handler(AuthenticationError)
def _on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthenticated", _("请先登录或提供有效的 API 令牌。"))


@api.exception_handler(ScopeError)
def _on_scope_error(request: HttpRequest, exc: ScopeError) -> HttpResponse:
    return _error(request, 403, "no_company", _("该操作需要属于某个公司的账号。"))


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


def _register_routers() -> None:
    from jixiao.audit.api import router as audit_router
    from jixiao.core.api import router as core_router
    from jixiao.notifications.api import router as notifications_router
    from jixiao.org.api import router as org_router

    api.add_router("/", core_router)
    api.add_router("/org", org_router)
    api.add_router("/audit", audit_router)
    api.add_router("/notifications", notifications_router)


_register_routers()
