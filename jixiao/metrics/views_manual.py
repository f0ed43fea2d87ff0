"""手工填报: an employee reports a data point (a process suggestion and the cost it saves, a
patent filed…) with evidence; their manager approves or rejects it (a reason is required
to reject), HR sees every entry, nobody decides their own. Approval turns the entry into
a metric event like any other.

Thin: ``services.manual`` checks and writes (audited); the rules decide who may decide.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jixiao.core.api_errors import ServiceError
from jixiao.core.rules import is_hr_admin, is_manager
from jixiao.metrics import selectors
from jixiao.metrics.models import ManualEntry
from jixiao.metrics.services import manual as services
from jixiao.org.models import Employee
from jixiao.web.decorators import permission_required

MEMBER = "metrics.view_indicators"
DECIDE = "metrics.decide_manual"


class ManualEntryForm(forms.Form):
    indicator = forms.ChoiceField(label=gettext_lazy("指标"))
    value = forms.DecimalField(label=gettext_lazy("数值"), max_digits=18, decimal_places=4)
    day = forms.DateField(
        label=gettext_lazy("发生日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    description = forms.CharField(
        label=gettext_lazy("说明"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("例如：建议内容、节省的成本怎样算出来的。"),
    )
    evidence_url = forms.URLField(
        label=gettext_lazy("证据链接"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("可选：文档、审批单或照片的链接。"),
    )

    def __init__(self, data: Any = None, *, indicators: list[tuple[str, str]]) -> None:
        super().__init__(data, initial={"day": timezone.localdate()})
        self.fields["indicator"].choices = [("", "—"), *indicators]  # type: ignore[attr-defined]

    def occurred_at(self) -> dt.datetime:
        """Noon of the chosen day in the reporter's time zone: safely inside that day."""
        day: dt.date = self.cleaned_data["day"]
        return dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone())


def _own_employee(request: HttpRequest) -> Employee:
    viewer: Any = request.user
    employee = Employee.objects.filter(company_id=viewer.company_id, user_id=viewer.pk).first()
    if employee is None:
        raise PermissionDenied
    return employee


@require_http_methods(["GET", "POST"])
@permission_required(MEMBER)
def manual_mine(request: HttpRequest) -> HttpResponse:
    """我的填报: the form and one's own entries with their status."""
    viewer: Any = request.user
    employee = _own_employee(request)
    allowed = list(services.manual_indicators(viewer.company))
    choices = [
        (i.code, f"{i.current_version.name_zh} ({i.current_version.unit or '—'})")
        for i in allowed
        if i.current_version is not None
    ]
    form = ManualEntryForm(request.POST or None, indicators=choices)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            indicator = next(i for i in allowed if i.code == form.cleaned_data["indicator"])
            try:
                services.manual_entry_submit(
                    employee=employee,
                    actor=viewer,
                    indicator=indicator,
                    value=form.cleaned_data["value"],
                    occurred_at=form.occurred_at(),
                    description=form.cleaned_data["description"],
                    evidence_url=form.cleaned_data["evidence_url"],
                )
            except ServiceError as exc:
                for name, items in (exc.fields or {"__all__": [exc.message]}).items():
                    field = {"occurred_at": "day"}.get(name, name)
                    for message in items:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("已提交，等待上级审批。"))
                return redirect("metrics:manual_mine")
        status = 422
    entries = (
        selectors.manual_entries_visible(viewer)
        .filter(employee=employee)
        .select_related("indicator__current_version", "decided_by")[:100]
    )
    return render(
        request,
        "metrics/manual_mine.html",
        {"form": form, "entries": entries, "can_decide": _can_queue(viewer)},
        status=status,
    )


def _can_queue(viewer: Any) -> bool:
    return bool(is_hr_admin(viewer) or is_manager(viewer))


STATUSES = ("submitted", "approved", "rejected", "all")


@require_GET
@permission_required(MEMBER)
def manual_queue(request: HttpRequest) -> HttpResponse:
    """填报审批: a manager's team's entries, HR's every entry; waiting ones first."""
    viewer: Any = request.user
    if not _can_queue(viewer):
        raise PermissionDenied
    status = request.GET.get("status", "submitted")
    if status not in STATUSES:
        status = "submitted"
    entries = selectors.manual_entries_visible(viewer).select_related(
        "indicator__current_version", "employee", "decided_by"
    )
    if status != "all":
        entries = entries.filter(status=status)
    rows = [_row(viewer, entry) for entry in entries.order_by("-created_at", "-id")[:200]]
    return render(
        request,
        "metrics/manual_queue.html",
        {"rows": rows, "status": status, "statuses": _status_choices()},
    )


def _status_choices() -> list[tuple[str, str]]:
    return [
        *((value, str(label)) for value, label in ManualEntry.Status.choices),
        ("all", _("全部")),
    ]


def _row(viewer: Any, entry: ManualEntry, error: str = "") -> dict[str, Any]:
    own = entry.employee.user_id == viewer.pk
    return {
        "entry": entry,
        "own": own,
        "can_decide": (
            entry.status == ManualEntry.Status.SUBMITTED
            and not own
            and viewer.has_perm(DECIDE, entry.employee)
        ),
        "error": error,
    }


@require_POST
@permission_required(MEMBER)
def manual_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject one entry; htmx gets the redrawn row, others a redirect."""
    viewer: Any = request.user
    entry = (
        ManualEntry.objects.filter(company_id=viewer.company_id, pk=pk)
        .select_related("employee", "indicator__current_version")
        .first()
    )
    if entry is None:
        raise Http404
    if not viewer.has_perm(DECIDE, entry.employee):
        raise PermissionDenied
    approve = request.POST.get("decision") == "approve"
    htmx = request.headers.get("HX-Request") == "true"
    error = ""
    try:
        entry = services.manual_entry_decide(
            entry=entry, actor=viewer, approve=approve, note=request.POST.get("note", "")
        )
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        error = "；".join(
            [exc.message, *(m for items in (exc.fields or {}).values() for m in items)]
        )
        entry.refresh_from_db()
    if htmx:
        return render(
            request,
            "metrics/manual_row.html",
            {"row": _row(viewer, entry, error)},
            status=422 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("已通过，数据已计入。") if approve else _("已驳回。"))
    return redirect("metrics:manual_queue")
