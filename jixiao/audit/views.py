"""Audit pages for HR admins: the event list, one event, chain verification, the
report export, and one object's history (a partial other pages embed with htmx).

Only HR admins of the company read the trail: anonymous visitors go to the login
page, every other role gets 403, and another company's event ids 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from jixiao.audit import selectors
from jixiao.audit.chain import BreakKind
from jixiao.audit.forms import AuditFilterForm
from jixiao.audit.report import XLSX_CONTENT_TYPE
from jixiao.audit.services import audit_report_export
from jixiao.core.api_errors import ServiceError
from jixiao.web.decorators import permission_required

READ = "audit.view_audit"

BREAK_LABELS: dict[str, Promise] = {
    BreakKind.GAP: _("缺少事件（可能被删除）"),
    BreakKind.ORDER: _("序号顺序错乱"),
    BreakKind.PREVIOUS_HASH: _("前一哈希不匹配（前面的事件被删除或改写）"),
    BreakKind.CONTENT: _("写入后内容被修改"),
    BreakKind.HEAD: _("链头与最新事件不一致"),
}


def _page_number(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("page", "1"))
    except ValueError:
        return 1


@require_GET
@permission_required(READ)
def event_list(request: HttpRequest) -> HttpResponse:
    """The filtered, paged list; for htmx requests only the table partial."""
    viewer = request.user
    form = AuditFilterForm(request.GET or None, viewer=viewer)
    filters = form.filters()
    page = selectors.audit_event_page(viewer=viewer, filters=filters, page=_page_number(request))
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "export_url": reverse("audit:export") + ("?" + query.urlencode() if query else ""),
        "object_types": selectors.audit_object_types(),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "audit/_event_table.html", context)
    return render(request, "audit/event_list.html", context)


@require_GET
@permission_required(READ)
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.audit_event_for_viewer(viewer=request.user, pk=pk)
    return render(
        request,
        "audit/event_detail.html",
        {
            "event": event,
            "rows": event.change_rows,
            "history_url": (
                reverse("audit:object_history")
                + "?"
                + urlencode({"type": event.object_type, "id": event.object_id})
                if event.object_type and event.object_id
                else ""
            ),
        },
    )


@require_GET
@permission_required(READ)
def verify(request: HttpRequest) -> HttpResponse:
    """The head is shown at once; ``?run=1`` walks the whole chain (seconds for millions)."""
    viewer: Any = request.user
    context: dict[str, Any] = {"head": selectors.audit_chain_summary(company=viewer.company)}
    if request.GET.get("run"):
        result = selectors.audit_chain_verify_for_viewer(viewer=viewer)
        context["result"] = result
        context["break_rows"] = [
            {
                "sequence": b.sequence,
                "label": BREAK_LABELS.get(b.kind, b.kind),
                "problem": b.problem,
            }
            for b in result.breaks
        ]
        if request.htmx:  # type: ignore[attr-defined]
            return render(request, "audit/_verify_result.html", context)
    return render(request, "audit/verify.html", context)


@require_GET
@permission_required(READ)
def export(request: HttpRequest) -> HttpResponse:
    """The audit report of the list's current filters as XLSX."""
    viewer: Any = request.user
    form = AuditFilterForm(request.GET or None, viewer=viewer)
    try:
        report = audit_report_export(viewer=viewer, filters=form.filters())
    except ServiceError as exc:
        messages.error(request, exc.message)
        query = request.GET.urlencode()
        return redirect(reverse("audit:event_list") + (f"?{query}" if query else ""))
    response = HttpResponse(report.content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    return response


@require_GET
@permission_required(READ)
def object_history(request: HttpRequest) -> HttpResponse:
    """``?type=org.employee&id=123``: that object's events; a partial for htmx embeds."""
    object_type = request.GET.get("type", "").strip()
    object_id = request.GET.get("id", "").strip()
    events = selectors.audit_object_history(
        viewer=request.user, object_type=object_type, object_id=object_id
    )
    context = {"events": events, "object_type": object_type, "object_id": object_id}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "audit/_object_history.html", context)
    return render(request, "audit/object_history.html", context)
