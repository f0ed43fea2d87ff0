"""API authentication: the token middleware or the session already set request.user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from jixiao.core.api_errors import ServiceError

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class RequestUserAuth(AuthBase):
    """Accepts a request whose user is authenticated and belongs to an active account.

    Token requests were authenticated by ``ApiTokenMiddleware`` and carry no
    cookie, so CSRF does not apply to them. Session requests must pass Django's
    CSRF check for unsafe methods; failing it is a 403, not a 401, because the
    caller is known and only the request's origin is refused.
    """

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Any:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return None
        if (
            getattr(request, "api_token", None) is None
            and request.method not in SAFE_METHODS
            and check_csrf(request) is not None
        ):
            raise ServiceError(
                _("CSRF 校验失败：浏览器会话的写请求需要带 X-CSRFToken 头。"),
                code="csrf_failed",
                status=403,
            )
        return user
