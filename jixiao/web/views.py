"""The shell: login, home page by role, health check."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", {})


def health(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database answers and the job queue is reachable."""
    checks: dict[str, str] = {}
    status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # a health check reports, never raises
        checks["database"] = f"error: {exc.__class__.__name__}"
        status = 503
    try:
        from huey.contrib.djhuey import HUEY

        HUEY.pending_count()
        checks["queue"] = "ok"
    except Exception as exc:
        checks["queue"] = f"error: {exc.__class__.__name__}"
        status = 503
    return JsonResponse(
        {"status": "ok" if status == 200 else "error", "checks": checks}, status=status
    )
