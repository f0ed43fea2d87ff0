"""Punch pages: the phone check-in page, my punches, HR's punch list and activity policies.

The check-in page shows the privacy notice and the consent buttons first; the
browser asks for the position only after location consent and only when 打卡 is
pressed (static/attendance/checkin.js). Without JavaScript the form still posts,
without a position (then the office network has to confirm the place).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jixiao.attendance.importers import DevicePunchImporter
from jixiao.attendance.models import ActivityPolicy, Punch
from jixiao.attendance.selectors import punches as selectors
from jixiao.attendance.services import activities as activity_services
from jixiao.attendance.services import punch_import
from jixiao.attendance.services import punches as services
from jixiao.attendance.services.activities import ACTIVITY_KINDS
from jixiao.attendance.services.punch_photos import punch_photo_allowed, punch_photo_read
from jixiao.core.api_errors import ServiceError
from jixiao.core.middleware import client_ip
from jixiao.imports import services as import_services
from jixiao.org.models import Employee, Position


def _member(request: HttpRequest) -> Any:
    user: Any = request.user
    if user.company_id is None:
        raise PermissionDenied
    return user


def _me(request: HttpRequest) -> Employee:
    user = _member(request)
    employee = (
        Employee.objects.filter(company_id=user.company_id, user=user)
        .select_related("work_location", "company", "position")
        .first()
    )
    if employee is None or not user.has_perm("attendance.punch", employee):
        raise PermissionDenied
    return employee


def _admin(request: HttpRequest) -> Any:
    user = _member(request)
    if not user.has_perm("attendance.administer"):
        raise PermissionDenied
    return user


# --- Check-in ------------------------------------------------------------------------------


class CheckInForm(forms.Form):
    latitude = forms.DecimalField(required=False, min_value=-90, max_value=90)
    longitude = forms.DecimalField(required=False, min_value=-180, max_value=180)
    accuracy_m = forms.IntegerField(required=False, min_value=0, max_value=100_000)
    photo = forms.ImageField(required=False, label=gettext_lazy("现场照片"))
    note = forms.CharField(required=False, max_length=500, label=gettext_lazy("备注"))


def _checkin_context(request: HttpRequest, employee: Employee) -> dict[str, Any]:
    zone = services.employee_zone(employee)
    today = timezone.now().astimezone(zone).date()
    consents = selectors.consents_of(employee=employee)
    return {
        "employee": employee,
        "today": today,
        "zone": str(zone),
        "punches": [
            {"time": p.at.astimezone(zone), "punch": p}
            for p in selectors.punches_of_day(employee=employee, day=today)
        ],
        "location_consent": consents["location"],
        "photo_consent": consents["photo"],
        "field_staff": services.is_field_staff(employee),
        "location": employee.work_location,
        "notice_version": services.NOTICE_VERSION,
    }


@login_required
@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest) -> HttpResponse:
    """The phone check-in page: a big 打卡 button, today's punches, notice and consent."""
    employee = _me(request)
    error = ""
    form = CheckInForm()
    status = 200
    if request.method == "POST":
        form = CheckInForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                punch = services.punch_record(
                    employee=employee,
                    at=timezone.now(),
                    source=Punch.Source.MOBILE
                    if request.POST.get("client") == "mobile"
                    else Punch.Source.WEB,
                    actor=request.user,  # type: ignore[arg-type]
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    accuracy_m=data["accuracy_m"],
                    ip_address=client_ip(request),
                    photo=data["photo"],
                    note=data["note"] or "",
                )
            except ServiceError as exc:
                error, status = exc.message, exc.status
            else:
                local = punch.at.astimezone(services.employee_zone(employee))
                messages.success(request, _("打卡成功：%(t)s") % {"t": local.strftime("%H:%M:%S")})
                return redirect("attendance:checkin")
        else:
            error = _("提交的内容有误，请重试。")
            status = 422
    context = _checkin_context(request, employee)
    context.update({"form": form, "error": error})
    return render(request, "attendance/punches/checkin.html", context, status=status)


@login_required
@require_POST
def consent_change(request: HttpRequest, kind: str) -> HttpResponse:
    """Give or withdraw consent to location/photo at check-in."""
    employee = _me(request)
    if kind not in ("location", "photo"):
        raise Http404
    if request.POST.get("action") == "withdraw":
        services.consent_withdraw(employee=employee, kind=kind, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("已撤回授权，今后打卡不再采集该信息。"))
    else:
        services.consent_grant(employee=employee, kind=kind, actor=request.user)  # type: ignore[arg-type]
        messages.success(request, _("已记录你的授权。"))
    return redirect("attendance:checkin")


# --- My punches -----------------------------------------------------------------------------


def _month(request: HttpRequest, today: dt.date) -> tuple[int, int]:
    text = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in text.split("-", 1))
        dt.date(year, month, 1)
    except ValueError:
        return today.year, today.month
    return year, month


@login_required
def my_punches(request: HttpRequest) -> HttpResponse:
    employee = _me(request)
    zone = services.employee_zone(employee)
    today = timezone.now().astimezone(zone).date()
    year, month = _month(request, today)
    first = dt.date(year, month, 1)
    previous = first - dt.timedelta(days=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    rows = [
        {"local": p.at.astimezone(zone), "punch": p, "photo_url": photo_url(request.user, p)}
        for p in selectors.punches_of_month(employee=employee, year=year, month=month)
    ]
    return render(
        request,
        "attendance/punches/mine.html",
        {
            "rows": rows,
            "month": first,
            "previous": f"{previous.year}-{previous.month:02d}",
            "following": f"{following.year}-{following.month:02d}",
            "zone": str(zone),
        },
    )


# --- HR: punch list -------------------------------------------------------------------------


class PunchFilterForm(forms.Form):
    employee = forms.CharField(required=False, label=gettext_lazy("工号"))
    date_from = forms.DateField(required=False, label=gettext_lazy("开始日期"))
    date_to = forms.DateField(required=False, label=gettext_lazy("结束日期"))
    source = forms.ChoiceField(
        required=False,
        label=gettext_lazy("来源"),
        choices=[("", gettext_lazy("全部")), *Punch.Source.choices],
    )
    flag = forms.ChoiceField(
        required=False,
        label=gettext_lazy("标记"),
        choices=[
            ("", gettext_lazy("全部")),
            (services.FLAG_OUTSIDE_GEOFENCE, gettext_lazy("范围外")),
            (services.FLAG_DUPLICATE, gettext_lazy("重复")),
            (services.FLAG_CLOCK_SKEW, gettext_lazy("设备时钟偏差")),
            (services.FLAG_NETWORK, gettext_lazy("办公网络")),
        ],
    )


FLAG_LABELS = {
    services.FLAG_OUTSIDE_GEOFENCE: gettext_lazy("范围外"),
    services.FLAG_DUPLICATE: gettext_lazy("重复"),
    services.FLAG_CLOCK_SKEW: gettext_lazy("设备时钟偏差"),
    services.FLAG_NETWORK: gettext_lazy("办公网络"),
}
PAGE_SIZE = 100


@login_required
def punch_list(request: HttpRequest) -> HttpResponse:
    """Punches of the viewer's people (HR, executives: everyone; managers: their team)."""
    user = _member(request)
    if not user.has_perm("attendance.view_punches"):
        raise PermissionDenied
    form = PunchFilterForm(request.GET or None)
    filters = selectors.PunchFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters.date_from, filters.date_to = data["date_from"], data["date_to"]
        filters.source, filters.flag = data["source"], data["flag"]
        if data["employee"]:
            employee = Employee.objects.filter(
                company_id=user.company_id, employee_number=data["employee"].strip()
            ).first()
            filters.employee_id = employee.pk if employee is not None else -1
    punches = selectors.punches_visible(viewer=user, filters=filters)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    total = punches.count()
    zone = selectors._zone(user)
    rows = [
        {
            "punch": p,
            "local": p.at.astimezone(zone),
            "flags": [FLAG_LABELS.get(f, f) for f in p.flags],
            "photo_url": photo_url(user, p),
        }
        for p in punches[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "attendance/punches/list.html",
        {
            "form": form,
            "rows": rows,
            "total": total,
            "page": page,
            "has_next": page * PAGE_SIZE < total,
            "query": query.urlencode(),
            "can_void": user.has_perm("attendance.administer"),
            "zone": str(zone),
        },
    )


def photo_url(viewer: Any, punch: Punch) -> str:
    """The permission-checked address of a punch's photo, "" when none or not for the viewer."""
    if not punch.photo or not punch_photo_allowed(viewer, punch.employee):
        return ""
    return reverse("attendance:punch_photo", args=[punch.pk])


@login_required
@require_GET
def punch_photo(request: HttpRequest, punch_id: int) -> HttpResponse:
    """A check-in photo, streamed for the person, their manager or HR; each view is audited."""
    user = _member(request)
    punch = selectors.punch_with_photo(viewer=user, punch_id=punch_id)
    photo = punch_photo_read(punch=punch, actor=user)
    response = HttpResponse(photo.content, content_type=photo.content_type)
    response["Content-Disposition"] = content_disposition_header(False, photo.name) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, max_age=0)
    return response


@login_required
@require_POST
def punch_void(request: HttpRequest, punch_id: int) -> HttpResponse:
    user = _member(request)
    punch = Punch.objects.filter(company_id=user.company_id, pk=punch_id).first()
    if punch is None:
        raise Http404
    if not user.has_perm("attendance.administer"):
        raise PermissionDenied
    try:
        services.punch_void(punch=punch, actor=user, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已作废该打卡。"))
    next_url = request.POST.get("next", "")
    if not next_url.startswith(reverse("attendance:punch_list")):
        next_url = reverse("attendance:punch_list")
    return redirect(next_url)


# --- HR: activity policies -------------------------------------------------------------------


class ActivityPolicyForm(forms.Form):
    name = forms.CharField(max_length=100, label=gettext_lazy("名称"))
    enabled = forms.BooleanField(required=False, initial=True, label=gettext_lazy("启用"))
    kinds = forms.MultipleChoiceField(
        choices=[
            ("call", gettext_lazy("通话")),
            ("email", gettext_lazy("邮件")),
            ("meeting", gettext_lazy("会议")),
            ("chat", gettext_lazy("即时消息")),
            ("visit", gettext_lazy("拜访")),
        ],
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("计入工时的活动"),
    )
    gap_join_minutes = forms.IntegerField(
        min_value=0, max_value=240, initial=30, label=gettext_lazy("合并间隔（分钟）")
    )
    email_credit_minutes = forms.IntegerField(
        min_value=0, max_value=60, initial=5, label=gettext_lazy("每封邮件计时（分钟）")
    )
    positions = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("适用岗位")
    )
    employees = forms.CharField(
        required=False,
        label=gettext_lazy("适用员工（工号，逗号分隔）"),
    )

    def __init__(self, *args: Any, company_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.company_id = company_id
        positions = self.fields["positions"]
        assert isinstance(positions, forms.MultipleChoiceField)
        positions.choices = [
            (str(p.pk), p.name) for p in Position.objects.filter(company_id=company_id)
        ]

    def clean_employees(self) -> list[int]:
        numbers = [n.strip() for n in self.cleaned_data["employees"].replace("，", ",").split(",")]
        numbers = [n for n in numbers if n]
        found = dict(
            Employee.objects.filter(
                company_id=self.company_id, employee_number__in=numbers
            ).values_list("employee_number", "pk")
        )
        missing = [n for n in numbers if n not in found]
        if missing:
            raise forms.ValidationError(_("工号不存在：%(n)s") % {"n": "、".join(missing)})
        return [found[n] for n in numbers]


def _policy_kwargs(form: ActivityPolicyForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "enabled": data["enabled"],
        "kinds": [k for k in data["kinds"] if k in ACTIVITY_KINDS],
        "gap_join_minutes": data["gap_join_minutes"],
        "email_credit_minutes": data["email_credit_minutes"],
        "position_ids": [int(p) for p in data["positions"]],
        "employee_ids": data["employees"],
    }


def _form_errors(form: forms.Form, exc: ServiceError) -> None:
    mapping = {"position_ids": "positions", "employee_ids": "employees"}
    for name, errors in exc.fields.items():
        target = mapping.get(name, name)
        for error in errors:
            form.add_error(target if target in form.fields else None, error)
    if not exc.fields:
        form.add_error(None, exc.message)


@login_required
@require_http_methods(["GET", "POST"])
def activity_policy_list(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = ActivityPolicyForm(request.POST or None, company_id=user.company_id)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                activity_services.activity_policy_create(
                    company=user.company, actor=user, **_policy_kwargs(form)
                )
            except ServiceError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("已添加活动计时规则。"))
                return redirect("attendance:activity_policy_list")
        status = 422
    return render(
        request,
        "attendance/punches/activity_policies.html",
        {"policies": selectors.activity_policies(company_id=user.company_id), "form": form},
        status=status,
    )


def _policy(request: HttpRequest, activity_policy_id: int) -> tuple[Any, ActivityPolicy]:
    user = _member(request)
    policy = ActivityPolicy.objects.filter(
        company_id=user.company_id, pk=activity_policy_id
    ).first()
    if policy is None:
        raise Http404
    if not user.has_perm("attendance.administer"):
        raise PermissionDenied
    return user, policy


@login_required
@require_http_methods(["GET", "POST"])
def activity_policy_edit(request: HttpRequest, activity_policy_id: int) -> HttpResponse:
    user, policy = _policy(request, activity_policy_id)
    initial = {
        "name": policy.name,
        "enabled": policy.enabled,
        "kinds": policy.kinds,
        "gap_join_minutes": policy.gap_join_minutes,
        "email_credit_minutes": policy.email_credit_minutes,
        "positions": [str(p) for p in policy.positions.values_list("pk", flat=True)],
        "employees": ", ".join(policy.employees.values_list("employee_number", flat=True)),
    }
    form = ActivityPolicyForm(request.POST or None, initial=initial, company_id=user.company_id)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                activity_services.activity_policy_update(
                    policy=policy, actor=user, **_policy_kwargs(form)
                )
            except ServiceError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("已保存。"))
                return redirect("attendance:activity_policy_list")
        status = 422
    return render(
        request,
        "attendance/punches/activity_policy_form.html",
        {"policy": policy, "form": form},
        status=status,
    )


@login_required
@require_POST
def activity_policy_delete(request: HttpRequest, activity_policy_id: int) -> HttpResponse:
    user, policy = _policy(request, activity_policy_id)
    activity_services.activity_policy_delete(policy=policy, actor=user)
    messages.success(request, _("已删除。"))
    return redirect("attendance:activity_policy_list")


# --- HR: device exports ------------------------------------------------------------------------


class PunchImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("考勤机导出文件（.xlsx / .xls / .csv）"))
    mode = forms.ChoiceField(
        label=gettext_lazy("大文件的导入方式"),
        choices=[
            (punch_import.MODE_ALL_OR_NOTHING, gettext_lazy("全部成功才导入")),
            (punch_import.MODE_VALID_ROWS_ONLY, gettext_lazy("只导入无错误的行")),
        ],
        initial=punch_import.MODE_ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )


@login_required
@require_http_methods(["GET", "POST"])
def punch_import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a device export: the import wizard (map, preview, commit) for files within its
    row limit; bigger files go straight through the bulk path with the chosen mode."""
    user = _admin(request)
    form = PunchImportForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            try:
                batch = import_services.batch_upload(
                    company=user.company,
                    actor=user,
                    importer_name=DevicePunchImporter.name,
                    file_name=upload.name,
                    data=data,
                )
            except ServiceError as exc:
                if exc.code != "too_many_rows":
                    form.add_error("file", exc.message)
                else:
                    try:
                        result = punch_import.punch_bulk_import(
                            company=user.company,
                            file=data,
                            actor=user,
                            mode=form.cleaned_data["mode"],
                            file_name=upload.name,
                        )
                    except ServiceError as bulk_error:
                        form.add_error("file", bulk_error.message)
                    else:
                        status = 200
            else:
                return redirect("imports:batch_map", pk=batch.pk)
    return render(
        request,
        "attendance/punches/import.html",
        {"form": form, "result": result, "issues": result.issues[:200] if result else []},
        status=status,
    )
