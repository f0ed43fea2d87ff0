"""User management for HR admins: list, invite, change role, deactivate and reactivate."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jixiao.core import selectors, services
from jixiao.core.api_errors import ServiceError
from jixiao.core.forms import InviteForm, ReasonForm, RoleChangeForm
from jixiao.core.models import User
from jixiao.web.account_views import add_service_errors
from jixiao.web.decorators import permission_required


@permission_required("core.manage_users")
def user_list(request: HttpRequest) -> HttpResponse:
    viewer: User = request.user  # type: ignore[assignment]
    users = list(selectors.company_users(viewer=viewer))
    return render(
        request,
        "web/users/list.html",
        {
            "users": users,
            "uninvited_count": selectors.employees_without_account(viewer=viewer).count(),
        },
    )


@permission_required("core.manage_users")
def user_invite(request: HttpRequest) -> HttpResponse:
    viewer: User = request.user  # type: ignore[assignment]
    employees = selectors.employees_without_account(viewer=viewer)
    initial = {}
    employee_id = request.GET.get("employee", "")
    if employee_id.isdigit():
        chosen = employees.filter(pk=int(employee_id)).first()
        if chosen is not None:
            initial = {"employee": chosen.pk, "email": chosen.email}
    form = InviteForm(request.POST or None, employees=employees, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_invite(
                company=viewer.company,  # type: ignore[arg-type]
                employee=data["employee"],
                username=data["username"],
                email=data["email"],
                role=data["role"],
                actor=viewer,
            )
        except ServiceError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("已为 %(name)s 创建账号，并向 %(email)s 发送了设置密码的邮件。")
                % {"name": user, "email": user.email},
            )
            return redirect("web:user_detail", user_id=user.pk)
    return render(request, "web/users/invite.html", {"form": form})


@permission_required("core.manage_users")
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    viewer: User = request.user  # type: ignore[assignment]
    target = selectors.company_user_get(viewer=viewer, user_id=user_id)
    role_form = RoleChangeForm(initial={"role": target.role}, prefix="role")
    active_form = ReasonForm(prefix="active")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "role":
            role_form = RoleChangeForm(request.POST, prefix="role")
            if role_form.is_valid():
                try:
                    services.user_role_change(
                        user=target,
                        role=role_form.cleaned_data["role"],
                        actor=viewer,
                        reason=role_form.cleaned_data["reason"],
                    )
                except ServiceError as error:
                    add_service_errors(role_form, error)
                else:
                    messages.success(request, _("角色已修改。"))
                    return redirect("web:user_detail", user_id=target.pk)
        elif action in ("deactivate", "activate"):
            active_form = ReasonForm(request.POST, prefix="active")
            if active_form.is_valid():
                try:
                    services.user_set_active(
                        user=target,
                        is_active=action == "activate",
                        actor=viewer,
                        reason=active_form.cleaned_data["reason"],
                    )
                except ServiceError as error:
                    add_service_errors(active_form, error)
                else:
                    messages.success(
                        request,
                        _("账号已恢复。") if action == "activate" else _("账号已停用。"),
                    )
                    return redirect("web:user_detail", user_id=target.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "web/users/detail.html",
        {
            "target": target,
            "employee": getattr(target, "employee", None),
            "role_form": role_form,
            "active_form": active_form,
        },
        status=status,
    )


@require_POST
@permission_required("core.manage_users")
def user_invitation_resend(request: HttpRequest, user_id: int) -> HttpResponse:
    """Send the set-password mail again to a user who has not chosen a password yet."""
    viewer: User = request.user  # type: ignore[assignment]
    target = selectors.company_user_get(viewer=viewer, user_id=user_id)
    if target.has_usable_password() or not target.is_active:
        messages.error(request, _("该用户已设置密码或已停用，无需重新发送邀请。"))
    else:
        services.invitation_mail_send(user=target, invited_by=viewer)
        messages.success(request, _("邀请邮件已重新发送。"))
    return redirect("web:user_detail", user_id=target.pk)
