"""Request pages: my leave, overtime and corrections; the manager's approval inbox; HR's
leave types and balances.

Thin: parse with a form, read with a selector, write with a service; a
``ServiceError`` becomes field errors on the form it came from.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jixiao.attendance.models import (
    ApprovalStatus,
    LeaveRequest,
    LeaveType,
    OvertimeRequest,
    PunchCorrection,
)
from jixiao.attendance.selectors import requests as selectors
from jixiao.attendance.services import corrections as correction_services
from jixiao.attendance.services import leave as leave_services
from jixiao.attendance.services import overtime as overtime_services
from jixiao.attendance.services import request_flow
from jixiao.core.api_errors import ServiceError
from jixiao.org.models import Employee
from jixiao.web.decorators import permission_required

TABS = (
    ("leave", gettext_lazy("请假")),
    ("overtime", gettext_lazy("加班")),
    ("corrections", gettext_lazy("补卡/异常")),
)


# --- Forms ---------------------------------------------------------------------------


def _choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


HALVES = (("am", gettext_lazy("上午")), ("pm", gettext_lazy("下午")))
DATE_INPUT = forms.DateInput(attrs={"type": "date"})
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class LeaveRequestForm(forms.Form):
    employee: forms.ModelChoiceField[Employee] = forms.ModelChoiceField(
        label=gettext_lazy("员工"), queryset=Employee.objects.none(), required=False
    )
    leave_type: forms.ModelChoiceField[LeaveType] = forms.ModelChoiceField(
        label=gettext_lazy("假期类型"), queryset=LeaveType.objects.none()
    )
    start_date = forms.DateField(label=gettext_lazy("开始日期"), widget=DATE_INPUT)
    start_half = forms.ChoiceField(label=gettext_lazy("开始于"), choices=HALVES, initial="am")
    end_date = forms.DateField(label=gettext_lazy("结束日期"), widget=DATE_INPUT)
    end_half = forms.ChoiceField(label=gettext_lazy("结束于"), choices=HALVES, initial="pm")
    reason = forms.CharField(
        label=gettext_lazy("原因"),
        max_length=500,
        required=False,
        widget=forms.Textarea({"rows": 2}),
    )
    attachment = forms.FileField(
        label=gettext_lazy("证明材料"),
        required=False,
        help_text=gettext_lazy("病假、婚假、产假需上传；PDF 或图片，不超过 5 MB。"),
    )

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "leave_type").queryset = LeaveType.objects.filter(
            company_id=viewer.company_id, active=True
        )
        if viewer.has_perm("attendance.administer"):
            _choices(self, "employee").queryset = Employee.objects.filter(
                company_id=viewer.company_id
            ).exclude(status="left")
            self.fields["employee"].help_text = _("HR 可为他人申请；留空为本人。")
        else:
            del self.fields["employee"]


class OvertimeRequestForm(forms.Form):
    start = forms.DateTimeField(label=gettext_lazy("开始"), widget=DATETIME_INPUT)
    end = forms.DateTimeField(label=gettext_lazy("结束"), widget=DATETIME_INPUT)
    compensation = forms.ChoiceField(
        label=gettext_lazy("补偿方式"), choices=OvertimeRequest.Compensation.choices
    )
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=500)


class CorrectionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=PunchCorrection.Kind.choices)
    date = forms.DateField(label=gettext_lazy("考勤日期"), widget=DATE_INPUT)
    punch_at = forms.DateTimeField(
        label=gettext_lazy("补卡时间"),
        widget=DATETIME_INPUT,
        required=False,
        help_text=gettext_lazy("补卡时填写漏打的那次打卡时间。"),
    )
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=500)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=(("approve", "approve"), ("reject", "reject")))
    note = forms.CharField(max_length=500, required=False)


class LeaveTypeForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = LeaveType
        fields = (
            "code",
            "name",
            "paid",
            "accrual",
            "yearly_days",
            "max_days_per_request",
            "carry_over_days",
            "carry_over_expiry_months",
            "requires_attachment",
            "half_day_allowed",
            "counts_calendar_days",
            "counts_as_attendance",
            "active",
            "sort_order",
        )


class AdjustForm(forms.Form):
    employee: forms.ModelChoiceField[Employee] = forms.ModelChoiceField(
        label=gettext_lazy("员工"), queryset=Employee.objects.none()
    )
    leave_type: forms.ModelChoiceField[LeaveType] = forms.ModelChoiceField(
        label=gettext_lazy("假期类型"), queryset=LeaveType.objects.none()
    )
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    days = forms.DecimalField(
        label=gettext_lazy("调整天数"),
        max_digits=6,
        decimal_places=1,
        help_text=gettext_lazy("负数为扣减"),
    )
    reason = forms.CharField(label=gettext_lazy("原因"), max_length=300)

    def __init__(self, *args: Any, viewer: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "employee").queryset = Employee.objects.filter(company_id=viewer.company_id)
        _choices(self, "leave_type").queryset = LeaveType.objects.filter(
            company_id=viewer.company_id
        ).exclude(accrual=LeaveType.Accrual.COMP_LEAVE)


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)


def _errors_to_form(form: forms.BaseForm, exc: ServiceError, aliases: dict[str, str]) -> None:
    placed = False
    for name, errors in exc.fields.items():
        field = aliases.get(name, name)
        if field in form.fields:
            for error in errors:
                form.add_error(field, error)
            placed = True
    if not placed or all(exc.message not in errors for errors in exc.fields.values()):
        form.add_error(None, exc.message)


# --- Guards --------------------------------------------------------------------------


def _user(request: HttpRequest) -> Any:
    """The signed-in user (the decorators have refused anonymous visitors)."""
    return request.user


def _viewer_employee(request: HttpRequest) -> Employee | None:
    user = _user(request)
    return Employee.objects.filter(company_id=user.company_id, user_id=user.pk).first()


def _own(request: HttpRequest, model: Any, pk: int) -> Any:
    """A row of the viewer's company, else 404 (another company's ids leak nothing)."""
    obj = (
        model.objects.filter(company_id=_user(request).company_id, pk=pk)
        .select_related("employee")
        .first()
    )
    if obj is None:
        raise Http404
    return obj


def _may_cancel(request: HttpRequest, employee: Employee) -> bool:
    user = request.user
    return bool(
        user.has_perm("attendance.punch", employee) or user.has_perm("attendance.administer")
    )


def _may_decide(request: HttpRequest, employee: Employee) -> bool:
    user = request.user
    return bool(user.has_perm("attendance.manage_attendance", employee)) and (
        employee.user_id != user.pk
    )


# --- My requests ---------------------------------------------------------------------


def _mine_context(
    request: HttpRequest,
    *,
    leave_form: LeaveRequestForm | None = None,
    overtime_form: OvertimeRequestForm | None = None,
    correction_form: CorrectionForm | None = None,
    open_form: str = "",
) -> dict[str, Any]:
    me = _viewer_employee(request)
    year = timezone.localdate().year
    context: dict[str, Any] = {
        "me": me,
        "year": year,
        "leave_form": leave_form or LeaveRequestForm(viewer=request.user),
        "overtime_form": overtime_form or OvertimeRequestForm(),
        "correction_form": correction_form or CorrectionForm(),
        "open_form": open_form,
        "now": timezone.now(),
    }
    if me is not None:
        context.update(
            balances=selectors.leave_balances(request.user, me, year),
            leave_requests=selectors.leave_requests_for(request.user, employee=me)[:50],
            overtime_requests=selectors.overtime_requests_for(request.user, employee=me)[:50],
            corrections=selectors.corrections_for(request.user, employee=me)[:50],
            comp_hours=Decimal(
                selectors.comp_leave_balance_minutes(request.user, me, timezone.localdate())
            )
            / 60,
        )
    return context


@require_GET
@permission_required("attendance.request")
def requests_mine(request: HttpRequest) -> HttpResponse:
    return render(request, "attendance/requests/mine.html", _mine_context(request))


def _mine_error(request: HttpRequest, **forms_: Any) -> HttpResponse:
    return render(
        request, "attendance/requests/mine.html", _mine_context(request, **forms_), status=422
    )


def _wall_time(value: dt.datetime) -> dt.datetime:
    """The time as typed: forms are filled in in the employee's zone, which the services apply."""
    return timezone.make_naive(value) if timezone.is_aware(value) else value


def _me_or_403(request: HttpRequest) -> Employee:
    me = _viewer_employee(request)
    if me is None:
        raise PermissionDenied(_("你的账号没有关联员工档案。"))
    return me


@require_POST
@permission_required("attendance.request")
def leave_request_new(request: HttpRequest) -> HttpResponse:
    form = LeaveRequestForm(request.POST, request.FILES, viewer=request.user)
    if not form.is_valid():
        return _mine_error(request, leave_form=form, open_form="leave")
    employee = form.cleaned_data.get("employee") or _me_or_403(request)
    if not (
        request.user.has_perm("attendance.punch", employee)
        or request.user.has_perm("attendance.administer")
    ):
        raise PermissionDenied
    start, end = leave_services.leave_span(
        employee=employee,
        start_date=form.cleaned_data["start_date"],
        start_half=form.cleaned_data["start_half"],
        end_date=form.cleaned_data["end_date"],
        end_half=form.cleaned_data["end_half"],
    )
    try:
        leave_services.leave_request_create(
            employee=employee,
            leave_type=form.cleaned_data["leave_type"],
            start=start,
            end=end,
            reason=form.cleaned_data["reason"],
            attachment=form.cleaned_data.get("attachment"),
            actor=_user(request),
        )
    except ServiceError as exc:
        _errors_to_form(
            form, exc, {"leave_type_id": "leave_type", "start": "start_date", "end": "end_date"}
        )
        return _mine_error(request, leave_form=form, open_form="leave")
    messages.success(request, _("请假申请已提交，等待审批。"))
    return redirect("attendance:requests_mine")


@require_POST
@permission_required("attendance.request")
def overtime_request_new(request: HttpRequest) -> HttpResponse:
    form = OvertimeRequestForm(request.POST)
    if not form.is_valid():
        return _mine_error(request, overtime_form=form, open_form="overtime")
    me = _me_or_403(request)
    try:
        overtime_services.overtime_request_create(
            employee=me,
            start=_wall_time(form.cleaned_data["start"]),
            end=_wall_time(form.cleaned_data["end"]),
            compensation=form.cleaned_data["compensation"],
            reason=form.cleaned_data["reason"],
            actor=_user(request),
        )
    except ServiceError as exc:
        _errors_to_form(form, exc, {})
        return _mine_error(request, overtime_form=form, open_form="overtime")
    messages.success(request, _("加班申请已提交，等待审批。"))
    return redirect("attendance:requests_mine")


@require_POST
@permission_required("attendance.request")
def correction_new(request: HttpRequest) -> HttpResponse:
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return _mine_error(request, correction_form=form, open_form="correction")
    me = _me_or_403(request)
    punch_at = form.cleaned_data.get("punch_at")
    if punch_at is not None:
        punch_at = _wall_time(punch_at)
    try:
        correction_services.correction_create(
            employee=me,
            kind=form.cleaned_data["kind"],
            date=form.cleaned_data["date"],
            punch_at=punch_at,
            reason=form.cleaned_data["reason"],
            actor=_user(request),
        )
    except ServiceError as exc:
        _errors_to_form(form, exc, {})
        return _mine_error(request, correction_form=form, open_form="correction")
    messages.success(request, _("申请已提交，等待审批。"))
    return redirect("attendance:requests_mine")


_CANCEL: dict[str, tuple[Any, Any, str]] = {
    "leave": (LeaveRequest, leave_services.leave_request_cancel, "leave_request"),
    "overtime": (OvertimeRequest, overtime_services.overtime_request_cancel, "overtime"),
    "corrections": (PunchCorrection, correction_services.correction_cancel, "correction"),
}


def _cancel(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model, service, argument = _CANCEL[kind]
    cancel: Any = service
    obj = _own(request, model, pk)
    if not _may_cancel(request, obj.employee):
        raise PermissionDenied
    try:
        cancel(**{argument: obj}, actor=request.user, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("申请已撤回。"))
    return redirect(request.POST.get("next") or reverse("attendance:requests_mine"))


@require_POST
@permission_required("attendance.request")
def leave_request_cancel(request: HttpRequest, leave_request_id: int) -> HttpResponse:
    return _cancel(request, "leave", leave_request_id)


@require_POST
@permission_required("attendance.request")
def overtime_request_cancel(request: HttpRequest, overtime_request_id: int) -> HttpResponse:
    return _cancel(request, "overtime", overtime_request_id)


@require_POST
@permission_required("attendance.request")
def correction_cancel(request: HttpRequest, correction_id: int) -> HttpResponse:
    return _cancel(request, "corrections", correction_id)


@require_GET
@permission_required("attendance.request")
def leave_request_attachment(request: HttpRequest, leave_request_id: int) -> HttpResponse:
    """The proof attached to a leave request, for whoever may see the person's attendance."""
    leave_request = _own(request, LeaveRequest, leave_request_id)
    if not _user(request).has_perm("attendance.view_attendance", leave_request.employee):
        raise PermissionDenied
    if not leave_request.attachment:
        raise Http404
    name = leave_request.attachment.name.rsplit("/", 1)[-1]
    with leave_request.attachment.open("rb") as stored:
        content = stored.read()  # at most 5 MB (checked on upload)
    response = HttpResponse(
        content, content_type=mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
    response["Content-Disposition"] = content_disposition_header(False, name) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Approval inbox ------------------------------------------------------------------


def _leave_row(leave_request: LeaveRequest, viewer: Any) -> dict[str, Any]:
    balance = None
    if leave_request.leave_type.accrual != LeaveType.Accrual.NONE:
        year = leave_request.start.astimezone(
            request_flow.employee_zone(leave_request.employee)
        ).year
        for row in selectors.leave_balances(viewer, leave_request.employee, year):
            if row.leave_type.pk == leave_request.leave_type_id:
                balance = row
    return {"obj": leave_request, "balance": balance, "kind": "leave"}


def _overtime_row(overtime: OvertimeRequest) -> dict[str, Any]:
    warnings = (
        overtime_services.overtime_warnings(overtime)
        if overtime.status in (ApprovalStatus.PENDING, ApprovalStatus.APPROVED)
        else []
    )
    return {"obj": overtime, "warnings": warnings, "kind": "overtime"}


def _correction_row(correction: PunchCorrection) -> dict[str, Any]:
    employee = correction.employee
    used = correction_services.monthly_corrections_used(
        employee, correction.date.year, correction.date.month
    )
    limit = overtime_services.policy_of(correction.company).monthly_correction_limit
    return {"obj": correction, "used": used, "limit": limit, "kind": "corrections"}


@require_GET
@permission_required("attendance.decide_requests")
def requests_inbox(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "leave")
    if tab not in dict(TABS):
        tab = "leave"
    inbox = selectors.approval_inbox(request.user)
    rows: list[dict[str, Any]]
    if tab == "leave":
        rows = [_leave_row(r, request.user) for r in inbox.leave]
    elif tab == "overtime":
        rows = [_overtime_row(r) for r in inbox.overtime]
    else:
        rows = [_correction_row(r) for r in inbox.corrections]
    counts = {
        "leave": len(inbox.leave),
        "overtime": len(inbox.overtime),
        "corrections": len(inbox.corrections),
    }
    return render(
        request,
        "attendance/requests/inbox.html",
        {
            "tab": tab,
            "tabs": [(key, label, counts[key]) for key, label in TABS],
            "rows": rows,
        },
    )


_DECIDE: dict[str, tuple[Any, Any, Any, str]] = {
    "leave": (
        LeaveRequest,
        leave_services.leave_request_approve,
        leave_services.leave_request_reject,
        "leave_request",
    ),
    "overtime": (
        OvertimeRequest,
        overtime_services.overtime_request_approve,
        overtime_services.overtime_request_reject,
        "overtime",
    ),
    "corrections": (
        PunchCorrection,
        correction_services.correction_approve,
        correction_services.correction_reject,
        "correction",
    ),
}


def _decide(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    model, approve, reject, argument = _DECIDE[kind]
    obj = _own(request, model, pk)
    if not _may_decide(request, obj.employee):
        raise PermissionDenied
    form = DecisionForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("请选择通过或驳回。")
    else:
        service = approve if form.cleaned_data["decision"] == "approve" else reject
        try:
            obj = service(**{argument: obj}, actor=request.user, note=form.cleaned_data["note"])
        except ServiceError as exc:
            error = exc.message
    if request.headers.get("HX-Request"):
        obj.refresh_from_db()
        row = (
            _leave_row(obj, request.user)
            if kind == "leave"
            else _overtime_row(obj)
            if kind == "overtime"
            else _correction_row(obj)
        )
        return render(
            request,
            "attendance/requests/_inbox_row.html",
            {"row": row, "error": error, "tab": kind},
            status=422 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已处理。"))
    return redirect(f"{reverse('attendance:requests_inbox')}?tab={kind}")


@require_POST
@permission_required("attendance.request")
def leave_request_decide(request: HttpRequest, leave_request_id: int) -> HttpResponse:
    return _decide(request, "leave", leave_request_id)


@require_POST
@permission_required("attendance.request")
def overtime_request_decide(request: HttpRequest, overtime_request_id: int) -> HttpResponse:
    return _decide(request, "overtime", overtime_request_id)


@require_POST
@permission_required("attendance.request")
def correction_decide(request: HttpRequest, correction_id: int) -> HttpResponse:
    return _decide(request, "corrections", correction_id)


# --- HR: leave types and balances -----------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required("attendance.administer")
def leave_types(request: HttpRequest) -> HttpResponse:
    company = _user(request).company
    if request.method == "POST" and "ensure" in request.POST:
        leave_services.leave_types_ensure(company=company, actor=_user(request))
        messages.success(request, _("标准假期类型已补齐。"))
        return redirect("attendance:leave_types")
    types = list(LeaveType.objects.filter(company=company))
    editing: LeaveType | None = None
    edit_id = request.POST.get("id") or request.GET.get("edit")
    if edit_id:
        if not str(edit_id).isdigit():
            raise Http404
        editing = _own_type(request, int(edit_id))
    form = LeaveTypeForm(request.POST or None, instance=editing)
    if request.method == "POST":
        if form.is_valid():
            values = {k: form.cleaned_data[k] for k in LeaveTypeForm.Meta.fields}
            try:
                if editing is None:
                    leave_services.leave_type_create(
                        company=company,
                        actor=_user(request),
                        **values,
                    )
                else:
                    fresh = LeaveType.objects.get(pk=editing.pk)
                    leave_services.leave_type_update(
                        leave_type=fresh,
                        actor=_user(request),
                        **values,
                    )
            except ServiceError as exc:
                _errors_to_form(form, exc, {})
            else:
                messages.success(request, _("已保存。"))
                return redirect("attendance:leave_types")
        return render(
            request,
            "attendance/requests/leave_types.html",
            {"types": types, "form": form, "editing": editing},
            status=422,
        )
    return render(
        request,
        "attendance/requests/leave_types.html",
        {"types": types, "form": form, "editing": editing},
    )


def _own_type(request: HttpRequest, pk: int) -> LeaveType:
    found = LeaveType.objects.filter(company_id=_user(request).company_id, pk=pk).first()
    if found is None:
        raise Http404
    return found


BALANCE_PAGE_SIZE = 50


def _balances_context(request: HttpRequest, year: int) -> dict[str, Any]:
    """One page of people (50) with each balance-based type's available days."""
    company = _user(request).company
    types = list(
        LeaveType.objects.filter(company=company, active=True).exclude(
            accrual=LeaveType.Accrual.NONE
        )
    )
    people = Employee.objects.filter(company=company).exclude(status="left")
    page = Paginator(people.order_by("employee_number"), BALANCE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    table: list[dict[str, Any]] = []
    for person in page.object_list:
        rows = {r.leave_type.pk: r for r in selectors.leave_balances(request.user, person, year)}
        table.append({"employee": person, "cells": [rows.get(t.pk) for t in types]})
    return {"year": year, "types": types, "table": table, "page": page}


@require_GET
@permission_required("attendance.administer")
def leave_balances(request: HttpRequest) -> HttpResponse:
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else None
    context = _balances_context(request, year or timezone.localdate().year)
    context["adjust_form"] = AdjustForm(viewer=request.user, initial={"year": context["year"]})
    return render(request, "attendance/requests/balances.html", context)


@require_POST
@permission_required("attendance.administer")
def leave_balance_adjust(request: HttpRequest) -> HttpResponse:
    form = AdjustForm(request.POST, viewer=request.user)
    if form.is_valid():
        try:
            leave_services.leave_balance_adjust(
                employee=form.cleaned_data["employee"],
                leave_type=form.cleaned_data["leave_type"],
                year=form.cleaned_data["year"],
                days=Decimal(form.cleaned_data["days"]),
                reason=form.cleaned_data["reason"],
                actor=_user(request),
            )
        except ServiceError as exc:
            _errors_to_form(form, exc, {"leave_type_id": "leave_type"})
        else:
            messages.success(request, _("余额已调整。"))
            return redirect(
                f"{reverse('attendance:leave_balances')}?year={form.cleaned_data['year']}"
            )
    year = (
        form.cleaned_data.get("year") if form.is_bound and hasattr(form, "cleaned_data") else None
    )
    context = _balances_context(request, year or timezone.localdate().year)
    context["adjust_form"] = form
    return render(request, "attendance/requests/balances.html", context, status=422)


@require_POST
@permission_required("attendance.administer")
def leave_year_run(request: HttpRequest, action: str) -> HttpResponse:
    """Run the yearly accrual or carry-over (both idempotent) for the chosen year."""
    form = YearForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("年度无效。"))
        return redirect("attendance:leave_balances")
    year = form.cleaned_data["year"]
    company = _user(request).company
    if action == "accrue":
        result = leave_services.leave_accrue_year(company=company, year=year, actor=_user(request))
        messages.success(
            request,
            _("%(year)d年度额度已发放：新增 %(granted)d 条，未变 %(unchanged)d 条。")
            % {"year": year, "granted": result.granted, "unchanged": result.unchanged},
        )
        for problem in result.problems:
            messages.error(request, problem)
    else:
        carried = leave_services.leave_carry_over(
            company=company,
            from_year=year,
            actor=_user(request),
        )
        messages.success(
            request,
            _("%(year)d年度结转完成：结转 %(carried)d 条，作废 %(expired)d 条。")
            % {"year": year, "carried": carried.carried, "expired": carried.expired},
        )
    return redirect(f"{reverse('attendance:leave_balances')}?year={year}")
