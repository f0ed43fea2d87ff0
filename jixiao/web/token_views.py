"""Personal API tokens: create (the raw token is shown once), list, revoke."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jixiao.core import selectors, services
from jixiao.core.api_errors import ServiceError
from jixiao.core.forms import ApiTokenForm
from jixiao.core.models import User
from jixiao.web.account_views import add_service_errors
from jixiao.web.decorators import permission_required


def _end_of_day(day: dt.date, time_zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zoneinfo.ZoneInfo(time_zone))


@permission_required("core.use_api_tokens")
def token_list(request: HttpRequest) -> HttpResponse:
    viewer: User = request.user  # type: ignore[assignment]
    form = ApiTokenForm(request.POST or None)
    new_token: str | None = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            expires_on = form.cleaned_data["expires_on"]
            try:
                _token, new_token = services.api_token_create(
                    user=viewer,
                    name=form.cleaned_data["name"],
                    expires_at=_end_of_day(expires_on, viewer.effective_time_zone)
                    if expires_on
                    else None,
                    actor=viewer,
                )
            except ServiceError as error:
                if "expires_at" in error.fields:  # the form asks for a date, the service a time
                    error.fields["expires_on"] = error.fields.pop("expires_at")
                add_service_errors(form, error)
            else:
                status = 201
                form = ApiTokenForm()
    return render(
        request,
        "web/api_tokens.html",
        {
            "form": form,
            "tokens": list(selectors.api_tokens_of(viewer=viewer)),
            "new_token": new_token,
        },
        status=status,
    )


@require_POST
@permission_required("core.use_api_tokens")
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    viewer: User = request.user  # type: ignore[assignment]
    token = selectors.api_token_get(viewer=viewer, token_id=token_id)
    services.api_token_revoke(token=token, actor=viewer)
    messages.success(request, _("令牌 %(name)s 已撤销。") % {"name": token.name})
    return redirect("web:api_tokens")
