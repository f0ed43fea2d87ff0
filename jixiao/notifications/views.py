"""Pages: the inbox (with the htmx-polled unread badge), preferences, and group robots."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jixiao.core.api_errors import ServiceError
from jixiao.core.models import User
from jixiao.notifications import selectors, services
from jixiao.notifications.forms import PreferencesForm, WebhookForm
from jixiao.web.account_views import add_service_errors
from jixiao.web.decorators import permission_required

PAGE_SIZE = 20
CHANGED_EVENT = "notifications-changed"


def _viewer(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _inbox_context(request: HttpRequest) -> dict[str, object]:
    viewer = _viewer(request)
    unread_only = request.GET.get("unread") == "1"
    paginator = Paginator(selectors.inbox(viewer=viewer, unread_only=unread_only), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return {
        "page": page,
        "unread_only": unread_only,
        "unread_count": selectors.unread_count(viewer=viewer),
    }


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    context = _inbox_context(request)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "notifications/_inbox_list.html", context)
    viewer = _viewer(request)
    context["can_change_preferences"] = viewer.has_perm("notifications.change_own_preferences")
    context["can_manage_webhooks"] = viewer.has_perm("notifications.manage_webhooks")
    return render(request, "notifications/inbox.html", context)


@login_required
@require_GET
def unread_count(request: HttpRequest) -> HttpResponse:
    """The top bar badge; base.html polls it with htmx."""
    count = selectors.unread_count(viewer=_viewer(request))
    return render(request, "notifications/_unread_badge.html", {"unread_count": count})


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = selectors.inbox_get(viewer=_viewer(request), notification_id=notification_id)
    services.notification_mark_read(notification=notification)
    if request.htmx:  # type: ignore[attr-defined]
        context = {
            "note": notification,
            "oob": True,
            "oob_unread_count": selectors.unread_count(viewer=_viewer(request)),
        }
        response = render(request, "notifications/_notification_item.html", context)
        response["HX-Trigger"] = CHANGED_EVENT
        return response
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(user=_viewer(request))
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "notifications/_inbox_list.html", _inbox_context(request))
        response["HX-Trigger"] = CHANGED_EVENT
        return response
    if count:
        messages.success(request, _("已将 %(count)d 条通知标为已读。") % {"count": count})
    return redirect("notifications:inbox")


@login_required
@require_GET
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Follow a notification's link; opening it marks it read. Only links to this site."""
    notification = selectors.inbox_get(viewer=_viewer(request), notification_id=notification_id)
    services.notification_mark_read(notification=notification)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(
        link, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(link)
    return redirect("notifications:inbox")


@permission_required("notifications.change_own_preferences")
def preferences(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    current = selectors.preferences_of(viewer=viewer)
    form = PreferencesForm(request.POST or None, preferences=current)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.preferences_update(
                user=viewer,
                channels={
                    category: services.ChannelChoice(email=email, webhook=webhook)
                    for category, (email, webhook) in form.channel_choices().items()
                },
                quiet_enabled=data["quiet_enabled"],
                quiet_start=data["quiet_start"],
                quiet_end=data["quiet_end"],
            )
        except ServiceError as error:
            for field, field_errors in error.fields.items():
                name = {"quiet_hours.start": "quiet_start", "quiet_hours.end": "quiet_end"}.get(
                    field, field
                )
                for message in field_errors:
                    form.add_error(name if name in form.fields else None, message)
        else:
            messages.success(request, _("通知偏好已保存。"))
            return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "time_zone": current.time_zone},
    )


# --- group robots (HR admins) ------------------------------------------------------


@permission_required("notifications.manage_webhooks")
def webhook_list(request: HttpRequest) -> HttpResponse:
    channels = list(selectors.webhooks(viewer=_viewer(request)))
    return render(request, "notifications/webhook_list.html", {"channels": channels})


@permission_required("notifications.manage_webhooks")
def webhook_create(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel = services.webhook_create(
                company=viewer.company,  # type: ignore[arg-type]
                actor=viewer,
                name=data["name"],
                platform=data["platform"],
                url=data["url"],
                secret=data["secret"],
                enabled=data["enabled"],
                categories=data["categories"],
            )
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("群机器人“%(name)s”已添加。") % {"name": channel.name})
            return redirect("notifications:webhook_edit", webhook_id=channel.pk)
    return render(request, "notifications/webhook_form.html", {"form": form, "channel": None})


@permission_required("notifications.manage_webhooks")
def webhook_edit(request: HttpRequest, webhook_id: int) -> HttpResponse:
    viewer = _viewer(request)
    channel = selectors.webhook_get(viewer=viewer, webhook_id=webhook_id)
    form = WebhookForm(request.POST or None, channel=channel)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        secret: str | None = data["secret"] or None
        if data.get("clear_secret"):
            secret = ""
        try:
            services.webhook_update(
                channel=channel,
                actor=viewer,
                name=data["name"],
                platform=data["platform"],
                url=data["url"] or None,
                secret=secret,
                enabled=data["enabled"],
                categories=data["categories"],
            )
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("群机器人“%(name)s”已保存。") % {"name": channel.name})
            return redirect("notifications:webhook_edit", webhook_id=channel.pk)
    return render(
        request,
        "notifications/webhook_form.html",
        {
            "form": form,
            "channel": channel,
            "deliveries": selectors.webhook_deliveries(viewer=viewer, channel=channel),
        },
    )


@permission_required("notifications.manage_webhooks")
@require_POST
def webhook_toggle(request: HttpRequest, webhook_id: int) -> HttpResponse:
    viewer = _viewer(request)
    channel = selectors.webhook_get(viewer=viewer, webhook_id=webhook_id)
    services.webhook_update(channel=channel, actor=viewer, enabled=not channel.enabled)
    if channel.enabled:
        messages.success(request, _("群机器人“%(name)s”已启用。") % {"name": channel.name})
    else:
        messages.success(request, _("群机器人“%(name)s”已停用。") % {"name": channel.name})
    return redirect("notifications:webhook_list")


@permission_required("notifications.manage_webhooks")
@require_POST
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    viewer = _viewer(request)
    channel = selectors.webhook_get(viewer=viewer, webhook_id=webhook_id)
    name = channel.name
    services.webhook_delete(channel=channel, actor=viewer)
    messages.success(request, _("群机器人“%(name)s”已删除。") % {"name": name})
    if request.htmx:  # type: ignore[attr-defined]
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("notifications:webhook_list")
        return response
    return redirect("notifications:webhook_list")


@permission_required("notifications.manage_webhooks")
@require_POST
def webhook_test(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """Send a test message synchronously and show the platform's answer or the error."""
    viewer = _viewer(request)
    channel = selectors.webhook_get(viewer=viewer, webhook_id=webhook_id)
    result = services.webhook_test_send(channel=channel, actor=viewer)
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "notifications/_webhook_test_result.html",
            {"result": result, "channel": channel},
        )
    if result.ok:
        messages.success(
            request, _("测试消息已送达，平台应答：%(answer)s") % {"answer": result.answer}
        )
    else:
        messages.error(
            request,
            _("测试消息发送失败：%(error)s %(answer)s")
            % {"error": result.error, "answer": result.answer},
        )
    return redirect("notifications:webhook_edit", webhook_id=channel.pk)
