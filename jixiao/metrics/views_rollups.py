"""团队数据 / 部门数据: one indicator rolled up over a team, a department or the company,
for any period, with a bar per member, the explanation, period-to-date progress, and a
drill-down from each contributor to their value and its events.

Thin: ``selectors_rollup`` decides who may see what and computes; the views parse the
filters and render.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from jixiao.core.api_errors import ServiceError
from jixiao.core.rules import reads_whole_company
from jixiao.metrics import selectors
from jixiao.metrics import selectors_rollup as rollups
from jixiao.metrics.models import Category, Indicator, PeriodKind
from jixiao.org.models import Department, Employee
from jixiao.org.team import managed_department_ids
from jixiao.web.decorators import permission_required

TEAM_VIEW = "metrics.view_team"
MEMBER = "metrics.view_indicators"
PAGE_SIZE = 50
CHART_BARS = 40
DEFAULT_INDICATOR = "order_amount"

PERIOD_CHOICES = [*PeriodKind.choices, (rollups.CUSTOM, gettext_lazy("自定义"))]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
#: Choices grouped under a label: one ``<optgroup>`` each.
Grouped = list[tuple[str, list[tuple[str, str]]]]


class RollupFilterForm(forms.Form):
    """What to roll up: indicator, period (with its day, or a custom range), whose."""

    indicator = forms.ChoiceField(label=gettext_lazy("指标"))
    period = forms.ChoiceField(label=gettext_lazy("周期"), choices=PERIOD_CHOICES, initial="month")
    date = forms.DateField(label=gettext_lazy("日期"), required=False, widget=DATE)
    start = forms.DateField(label=gettext_lazy("开始日期"), required=False, widget=DATE)
    end = forms.DateField(label=gettext_lazy("结束日期"), required=False, widget=DATE)
    # Any id parses; whether the viewer may see it is the selector's decision (403/404).
    id = forms.IntegerField(label=gettext_lazy("范围"), required=False, widget=forms.Select)

    def __init__(self, data: Any, *, indicators: Grouped, scopes: list[Any]) -> None:
        super().__init__(data)
        self.fields["indicator"].choices = indicators  # type: ignore[attr-defined]
        self.fields["id"].widget.choices = scopes  # type: ignore[attr-defined]


def _indicator_choices(viewer: Any) -> Grouped:
    """The active indicators for the picker, an optgroup per category in the categories' order."""
    groups: dict[str, list[tuple[str, str]]] = {value: [] for value in Category.values}
    for i in selectors.indicators_visible(viewer, active_only=True):
        version = i.current_version
        if version is not None:
            groups.setdefault(version.category, []).append(
                (i.code, f"{version.name_zh} ({i.code})")
            )
    names = dict(Category.choices)
    return [(str(names.get(key, key)), items) for key, items in groups.items() if items]


def _scope_choices(viewer: Any, kind: str) -> list[tuple[str | int, str]]:
    if kind == rollups.TEAM:
        return [
            (e.pk, _("%(name)s 的团队") % {"name": e.name}) for e in rollups.teams_visible(viewer)
        ]
    choices: list[tuple[str | int, str]] = []
    if reads_whole_company(viewer):
        choices.append(("", _("全公司")))
    choices += [(d.pk, d.name) for d in rollups.departments_visible(viewer)]
    return choices


def _key(c: rollups.Contribution) -> tuple[int | None, int | None]:
    return (c.employee_id, None) if c.employee_id else (None, c.department_id)


def _chart(
    rollup: rollups.Rollup, links: dict[tuple[int | None, int | None], str]
) -> dict[str, Any]:
    bars = [c for c in rollup.contributions if c.value is not None][:CHART_BARS]
    return {
        "labels": [c.name for c in bars],
        "values": [float(c.value) if c.value is not None else None for c in bars],
        "links": [links.get(_key(c), "") for c in bars],
        "unit": rollup.version.unit,
    }


def _query(form: RollupFilterForm) -> dict[str, str]:
    data = form.cleaned_data
    query = {"indicator": data["indicator"], "period": data["period"]}
    if data["period"] == rollups.CUSTOM:
        query["start"] = data["start"].isoformat() if data.get("start") else ""
        query["end"] = data["end"].isoformat() if data.get("end") else ""
    elif data.get("date"):
        query["date"] = data["date"].isoformat()
    return query


def _drill_links(
    rollup: rollups.Rollup, query: dict[str, str]
) -> dict[tuple[int | None, int | None], str]:
    """Where each contributor opens: the stored value (standard periods) or, for a custom
    range, their events over the range."""
    detail = reverse("metrics:value_detail", args=[0]).removesuffix("0/")
    member = reverse("metrics:rollup_member")
    links: dict[tuple[int | None, int | None], str] = {}
    for c in rollup.contributions:
        key = _key(c)
        if c.value_id is not None:
            links[key] = f"{detail}{c.value_id}/"
        else:
            who = (
                {"employee": str(c.employee_id)}
                if c.employee_id
                else {"department": str(c.department_id)}
            )
            links[key] = f"{member}?{urlencode({**query, **who})}"
    return links


def _page(request: HttpRequest, kind: str) -> HttpResponse:
    viewer: Any = request.user
    today = timezone.localdate()
    indicators = _indicator_choices(viewer)
    codes = [code for _group, items in indicators for code, _label in items]
    scopes = _scope_choices(viewer, kind)
    data = request.GET.copy()
    data.setdefault(
        "indicator",
        DEFAULT_INDICATOR if DEFAULT_INDICATOR in codes else (codes[0] if codes else ""),
    )
    data.setdefault("period", "month")
    if not data.get("date"):
        data["date"] = today.isoformat()
    if "id" not in data and scopes:
        data["id"] = str(scopes[0][0])
    form = RollupFilterForm(data, indicators=indicators, scopes=scopes)
    context: dict[str, Any] = {"form": form, "kind": kind, "scopes": scopes, "today": today}
    title = _("团队数据") if kind == rollups.TEAM else _("部门数据")
    context["title"] = title
    status = 200
    if not indicators or not scopes:
        context["empty"] = (
            _("还没有指标。")
            if not indicators
            else (_("你没有可查看的团队。") if kind == rollups.TEAM else _("你没有可查看的部门。"))
        )
        return render(request, "metrics/rollup_page.html", context)
    if form.is_valid():
        cleaned = form.cleaned_data
        scope_kind = kind
        if kind == rollups.DEPARTMENT and cleaned["id"] is None:
            scope_kind = rollups.COMPANY
        try:
            scope = rollups.scope_resolve(viewer, scope_kind, cleaned["id"])
            period = rollups.period_spec(
                cleaned["period"], day=cleaned["date"] or today,
                start=cleaned["start"], end=cleaned["end"],
            )  # fmt: skip
            indicator = rollups.indicator_for_rollup(viewer, cleaned["indicator"])
            rollup = rollups.rollup_compute(
                viewer, indicator=indicator, scope=scope, period=period, today=today
            )
        except ServiceError as exc:
            for name, messages in (exc.fields or {"__all__": [exc.message]}).items():
                for message in messages:
                    form.add_error(name if name in form.fields else None, message)
            status = 422
        else:
            query = _query(form)
            links = _drill_links(rollup, query)
            paginator = Paginator(rollup.contributions, PAGE_SIZE)
            page = paginator.get_page(request.GET.get("page"))
            context.update(
                rollup=rollup,
                chart=_chart(rollup, links),
                rows=[(c, links.get(_key(c), "")) for c in page.object_list],
                page=page,
                page_query=urlencode({**query, "id": cleaned["id"] or ""}),
                department_url=reverse("metrics:rollup_department"),
                group_query=urlencode(query),
                scale=rollup.version.scale,
            )
    else:
        status = 422
    return render(request, "metrics/rollup_page.html", context, status=status)


@require_GET
@permission_required(TEAM_VIEW)
def rollup_team(request: HttpRequest) -> HttpResponse:
    """团队数据: a manager's team (HR and executives: any manager's)."""
    return _page(request, rollups.TEAM)


@require_GET
@permission_required(TEAM_VIEW)
def rollup_department(request: HttpRequest) -> HttpResponse:
    """部门数据: a department with its sub-departments, or the whole company."""
    return _page(request, rollups.DEPARTMENT)


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@require_GET
@permission_required(MEMBER)
def rollup_member(request: HttpRequest) -> HttpResponse:
    """One contributor over a (custom) period: their figure and its events or parts."""
    viewer: Any = request.user
    employee_id = _int(request.GET.get("employee"))
    department_id = _int(request.GET.get("department"))
    employee: Employee | None = None
    department: Department | None = None
    if employee_id is not None:
        employee = Employee.objects.filter(company_id=viewer.company_id, pk=employee_id).first()
        if employee is None:
            raise Http404
        if not viewer.has_perm("metrics.view_metrics", employee):
            raise PermissionDenied
    elif department_id is not None:
        department = Department.objects.filter(
            company_id=viewer.company_id, pk=department_id
        ).first()
        if department is None:
            raise Http404
        if not (
            reads_whole_company(viewer)
            or (viewer.role == "manager" and department.pk in managed_department_ids(viewer))
        ):
            raise PermissionDenied
    else:
        raise Http404
    indicator = (
        Indicator.objects.filter(
            company_id=viewer.company_id, code=request.GET.get("indicator", "")
        )
        .select_related("current_version")
        .first()
    )
    if indicator is None or indicator.current_version is None:
        raise Http404
    try:
        period = rollups.period_spec(
            request.GET.get("period", "month"),
            day=_date(request.GET.get("date")) or timezone.localdate(),
            start=_date(request.GET.get("start")),
            end=_date(request.GET.get("end")),
        )
    except ServiceError as exc:
        return render(
            request, "metrics/rollup_member.html", {"error": exc.message, "fields": exc.fields},
            status=422,
        )  # fmt: skip
    detail = rollups.member_detail(
        viewer, indicator=indicator, employee=employee, department=department, period=period
    )
    base = {k: v for k, v in request.GET.items() if k != "indicator"}
    part_links = {
        part.code: f"{reverse('metrics:rollup_member')}?{urlencode({**base, 'indicator': part.code})}"
        for part in detail.parts
    }
    return render(
        request,
        "metrics/rollup_member.html",
        {
            "detail": detail,
            "who": employee.name
            if employee
            else _("%(d)s（部门整体）") % {"d": department.name if department else ""},
            "parts": [(part, part_links[part.code]) for part in detail.parts],
            "scale": detail.version.scale,
        },
    )


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
