"""API authentication: the token middleware or the session already set request.user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security.base import AuthBase
from ninja.utils import check_csrf


class RequestUserAuth(AuthBase):
    """Accepts a request whose user is authenticated and belongs to an active account.

    Token requests were authenticated by ``ApiTokenMiddleware``; session requests
    must pass Django's CSRF check for unsafe methods.
    """

    openapi_type = "http"
    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Any:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return None
        if (
            getattr(request, "api_token", None) is None
            and request.method
            not in (
                "GET",
                "HEAD",
                "OPTIONS",
            )
            and check_csrf(request) is not None
        ):
            return None
        return user
