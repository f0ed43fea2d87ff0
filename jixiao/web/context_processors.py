"""Values every page's shell needs: navigation for the role, the viewer's time zone."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from jixiao.web.navigation import navigation_for


def shell(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": [], "viewer_time_zone": None}
    return {
        # Lazy: htmx partials never draw the navigation, so they never pay for its checks.
        "nav_items": SimpleLazyObject(lambda: navigation_for(request)),
        "viewer_time_zone": user.effective_time_zone,  # type: ignore[union-attr]
        "viewer_company": getattr(request, "company", None),
    }
