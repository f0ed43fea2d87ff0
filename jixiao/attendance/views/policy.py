"""The rules editor for the company's AttendancePolicy (HR admins)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from jixiao.attendance.services import policy as services
from jixiao.attendance.views.schedules import _setup_context
from jixiao.core.api_errors import ServiceError
from jixiao.org.forms import apply_service_error


class PolicyForm(forms.Form):
    lates_per_half_day_absence = forms.IntegerField(
        label=gettext_lazy("迟到几次折算半天旷工"),
        min_value=0,
        help_text=gettext_lazy("0 表示不折算"),
    )
    late_free_count = forms.IntegerField(label=gettext_lazy("每月免罚迟到次数"), min_value=0)
    daily_overtime_cap_minutes = forms.IntegerField(
        label=gettext_lazy("每日加班上限（分钟）"),
        min_value=0,
        help_text=gettext_lazy("《劳动法》第四十一条：不超过 180 分钟；超出时提醒HR。"),
    )
    monthly_overtime_cap_minutes = forms.IntegerField(
        label=gettext_lazy("每月加班上限（分钟）"),
        min_value=0,
        help_text=gettext_lazy("《劳动法》第四十一条：不超过 2160 分钟（36 小时）。"),
    )
    comp_leave_expiry_days = forms.IntegerField(label=gettext_lazy("调休有效期（天）"), min_value=0)
    monthly_correction_limit = forms.IntegerField(
        label=gettext_lazy("每月补卡次数上限"), min_value=0
    )
    future_punch_tolerance_minutes = forms.IntegerField(
        label=gettext_lazy("允许的未来时间误差（分钟）"), min_value=0
    )
    reason = forms.CharField(label=gettext_lazy("修改原因"), max_length=500, required=False)


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest) -> HttpResponse:
    actor: Any = request.user
    if not actor.has_perm("attendance.administer"):
        raise PermissionDenied
    policy = services.policy_get(actor.company)
    initial = {key: getattr(policy, key) for key in services.POLICY_FIELDS}
    form = PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
        try:
            services.policy_update(
                company=actor.company,
                actor=actor,
                reason=form.cleaned_data["reason"],
                **values,
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("考勤规则已保存。"))
            return redirect("attendance:policy")
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "attendance/schedules/policy.html",
        _setup_context(request, form=form),
        status=status,
    )
