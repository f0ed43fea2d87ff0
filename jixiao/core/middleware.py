"""Request middleware: API token authentication, the tenant scope, the user's preferences."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from jixiao.core.models import ApiToken
from jixiao.core.request_context import reset_request_ip, set_request_ip


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class ApiTokenMiddleware:
    """Authenticates ``Authorization: Bearer jx_…`` requests as the token's owner.

    A token request carries no session cookie, so CSRF does not apply to it.
    A wrong, revoked or expired token is refused here with 401 rather than
    falling back to an anonymous request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        request.api_token = None  # type: ignore[attr-defined]
        if header.lower().startswith("bearer "):
            raw = header[7:].strip()
            with scopes_disabled():
                token = (
                    ApiToken.objects.select_related("user", "user__company")
                    .filter(token_hash=ApiToken.hash_of(raw))
                    .first()
                )
            if token is None or not token.is_usable or not token.user.is_active:
                return JsonResponse(
                    {"code": "invalid_token", "message": _("API 令牌无效、已撤销或已过期。")},
                    status=401,
                )
            now = timezone.now()
            if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
                with scopes_disabled():
                    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            request.user = token.user
            request.api_token = token  # type: ignore[attr-defined]
            request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        return self.get_response(request)


class TenantMiddleware:
    """Runs each request inside its user's company scope (django-scopes).

    Anonymous and platform-admin requests run with no company in scope, so any
    query of a company-owned model without an explicit scope fails loudly.
    Users of a suspended company are logged out with a clear message.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ip_token = set_request_ip(client_ip(request))
        try:
            user = request.user
            company = getattr(user, "company", None) if user.is_authenticated else None
            if company is not None and not company.is_active:
                from django.contrib.auth import logout

                logout(request)
                message = _("公司账号已停用，请联系平台管理员。")
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"code": "company_suspended", "message": message}, status=403
                    )
                from django.shortcuts import render

                return render(request, "web/suspended.html", {"message": message}, status=403)
            request.company = company  # type: ignore[attr-defined]
            if user.is_authenticated:
                activate_user_preferences(request, user)
            if company is None:
                return self.get_response(request)
            with scope(company=company):
                return self.get_response(request)
        finally:
            timezone.deactivate()
            reset_request_ip(ip_token)


def activate_user_preferences(request: HttpRequest, user: Any) -> None:
    """Show times in the user's time zone; use their language unless the browser chose one.

    Login sets the language cookie from the profile, so a language picked later
    in the top bar (which sets the cookie) wins until the next login.
    """
    try:
        timezone.activate(zoneinfo.ZoneInfo(user.effective_time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()
    language = user.language
    if language and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
