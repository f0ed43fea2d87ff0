"""The calendar editor: every member reads the company's calendars, HR admins edit them.

Clicking a day loads its edit form with htmx; saving swaps the form and the day's
cell in place. Another company's calendar ids are 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jixiao.attendance.models import CalendarDay, CalendarYear, DayKindChoice
from jixiao.attendance.selectors import calendars as selectors
from jixiao.attendance.services import calendars as services
from jixiao.core.api_errors import ServiceError
from jixiao.org.forms import apply_service_error


def _viewer(request: HttpRequest) -> Any:
    if not request.user.has_perm("attendance.view_calendars"):
        raise PermissionDenied
    return request.user


def _admin(request: HttpRequest) -> Any:
    user = _viewer(request)
    if not user.has_perm("attendance.administer"):
        raise PermissionDenied
    return user


class CalendarForm(forms.Form):
    region = forms.CharField(
        label=gettext_lazy("国家/地区代码"),
        max_length=10,
        help_text=gettext_lazy("ISO 3166 代码，如 DE、JP；可带地区，如 US-CA、DE-BY。"),
    )
    name = forms.CharField(label=gettext_lazy("名称（可选）"), max_length=100, required=False)


class SeedForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("年份"))


class DayForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=DayKindChoice.choices)
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100, required=False)
    reason = forms.CharField(label=gettext_lazy("修改原因"), max_length=500)


class CompanyDayForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    name = forms.CharField(
        label=gettext_lazy("名称"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("如：公司团建、停产检修")}),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("类型"),
        choices=DayKindChoice.choices,
        initial=DayKindChoice.COMPANY_REST_DAY,
    )
    reason = forms.CharField(label=gettext_lazy("说明"), max_length=500, required=False)


def _year_url(calendar_year: CalendarYear) -> str:
    return reverse("attendance:calendar_year", args=[calendar_year.pk])


@login_required
@require_http_methods(["GET", "POST"])
def calendar_list(request: HttpRequest) -> HttpResponse:
    """The company's calendars and their years; HR adds a calendar for a country."""
    user = _admin(request) if request.method == "POST" else _viewer(request)
    can_edit = user.has_perm("attendance.administer")
    form = CalendarForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                calendar = services.calendar_create(
                    company=user.company,
                    region=form.cleaned_data["region"],
                    name=form.cleaned_data["name"],
                    actor=user,
                )
                today = services.company_today(user.company)
                year = services.calendar_seed(
                    company=user.company, region=calendar.region, year=today.year, actor=user
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已添加日历 %(name)s。") % {"name": calendar.name})
                return redirect(_year_url(year))
        status = 422
    return render(
        request,
        "attendance/calendars/list.html",
        {
            "rows": selectors.calendars_for_viewer(user),
            "form": form,
            "can_edit": can_edit,
            "seed_form": SeedForm(),
        },
        status=status,
    )


@login_required
@require_POST
def calendar_year_seed(request: HttpRequest, calendar_id: int) -> HttpResponse:
    user = _admin(request)
    calendar = selectors.calendar_for_viewer(user, calendar_id)
    form = SeedForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请输入年份。"))
        return redirect("attendance:calendar_list")
    try:
        year = services.calendar_seed(
            company=user.company, region=calendar.region, year=form.cleaned_data["year"], actor=user
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("attendance:calendar_list")
    messages.success(request, _("已生成 %(year)s 年日历。") % {"year": year.year})
    return redirect(_year_url(year))


def _year_context(user: Any, calendar_year: CalendarYear) -> dict[str, Any]:
    calendar = calendar_year.calendar
    special = calendar.days.filter(date__year=calendar_year.year).exclude(
        origin=CalendarDay.Origin.SEEDED
    )
    return {
        "calendar": calendar,
        "calendar_year": calendar_year,
        "grids": selectors.calendar_month_grids(calendar, calendar_year.year),
        "legend": DayKindChoice.choices,
        "special_days": list(special.order_by("date")),
        "can_edit": user.has_perm("attendance.administer"),
        "years": list(calendar.years.order_by("year").values_list("year", "pk")),
        "weekdays": [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
    }


@login_required
@require_http_methods(["GET", "POST"])
def calendar_year(request: HttpRequest, calendar_year_id: int) -> HttpResponse:
    """A year as twelve month grids coloured by kind; HR adds company days here."""
    user = _admin(request) if request.method == "POST" else _viewer(request)
    calendar_year = selectors.calendar_year_for_viewer(user, calendar_year_id)
    form = CompanyDayForm(request.POST or None, initial={"date": dt.date(calendar_year.year, 1, 1)})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.company_day_set(
                    calendar=calendar_year.calendar,
                    date=data["date"],
                    name=data["name"],
                    kind=data["kind"],
                    reason=data["reason"],
                    actor=user,
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
            else:
                messages.success(request, _("已添加公司特别日。"))
                target = selectors.calendar_year_by_number(
                    user, calendar_year.calendar, data["date"].year
                )
                return redirect(_year_url(target))
        status = 422
    context = _year_context(user, calendar_year)
    context["company_day_form"] = form
    return render(request, "attendance/calendars/year.html", context, status=status)


@login_required
@require_POST
def calendar_year_confirm(request: HttpRequest, calendar_year_id: int) -> HttpResponse:
    user = _admin(request)
    calendar_year = selectors.calendar_year_for_viewer(user, calendar_year_id)
    try:
        services.calendar_year_confirm(
            calendar_year=calendar_year, actor=user, reason=request.POST.get("reason", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认 %(year)s 年日历。") % {"year": calendar_year.year})
    return redirect(_year_url(calendar_year))


@login_required
@require_http_methods(["GET", "POST"])
def calendar_day(request: HttpRequest, day_id: int) -> HttpResponse:
    """One day: read-only details for members, the edit form for HR (an htmx partial)."""
    user = _admin(request) if request.method == "POST" else _viewer(request)
    day = selectors.calendar_day_for_viewer(user, day_id)
    can_edit = user.has_perm("attendance.administer")
    form = DayForm(request.POST or None, initial={"kind": day.kind, "name": day.name})
    saved = False
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                day = services.calendar_day_update(
                    day=day, kind=data["kind"], name=data["name"], reason=data["reason"], actor=user
                )
            except ServiceError as exc:
                apply_service_error(form, exc)
                status = 422
            else:
                if not request.htmx:  # type: ignore[attr-defined]
                    messages.success(request, _("已保存。"))
                    return redirect(_day_year_url(user, day))
                saved = True
                form = DayForm(initial={"kind": day.kind, "name": day.name})
        else:
            status = 422
    context = {
        "day": day,
        "form": form,
        "can_edit": can_edit,
        "saved": saved,
        "cell": _cell(day),
        "year_url": _day_year_url(user, day),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "attendance/calendars/_day_panel.html", context, status=status)
    return render(request, "attendance/calendars/day.html", context, status=status)


@login_required
@require_POST
def calendar_day_reset(request: HttpRequest, day_id: int) -> HttpResponse:
    """恢复为官方日历: an edited day goes back to the source's kind (POST ``reason``)."""
    user = _admin(request)
    day = selectors.calendar_day_for_viewer(user, day_id)
    error = ""
    try:
        day = services.calendar_day_reset(
            day=day, actor=user, reason=request.POST.get("reason", "")
        )
    except ServiceError as exc:
        error = exc.message
    if request.htmx:  # type: ignore[attr-defined]
        context = {
            "day": day,
            "form": DayForm(initial={"kind": day.kind, "name": day.name}),
            "can_edit": True,
            "saved": not error,
            "error": error,
            "cell": _cell(day),
            "year_url": _day_year_url(user, day),
        }
        return render(
            request,
            "attendance/calendars/_day_panel.html",
            context,
            status=409 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已恢复为官方日历。"))
    return redirect(_day_year_url(user, day))


@login_required
@require_POST
def company_day_delete(request: HttpRequest, day_id: int) -> HttpResponse:
    user = _admin(request)
    day = selectors.calendar_day_for_viewer(user, day_id)
    try:
        services.company_day_delete(day=day, actor=user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已删除公司特别日，恢复为官方日历。"))
    return redirect(_day_year_url(user, day))


def _day_year_url(user: Any, day: CalendarDay) -> str:
    return _year_url(selectors.calendar_year_by_number(user, day.calendar, day.date.year))


def _cell(day: CalendarDay) -> selectors.DayCell:
    return selectors.DayCell(
        id=day.pk,
        date=day.date,
        kind=day.kind,
        kind_label=str(day.get_kind_display()),
        name=day.name,
        origin=day.origin,
        weekend=day.date.weekday() >= 5,
    )
