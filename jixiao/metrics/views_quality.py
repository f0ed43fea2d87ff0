"""数据质量: source health, the error rate against 1%, flagged events, stored checks.

HR admins read and run the checks; executives read. Thin: the selectors read, the
service runs a check.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jixiao.core.api_errors import ServiceError
from jixiao.metrics import engine, quality
from jixiao.metrics import selectors_quality as sq
from jixiao.metrics.models import EventStatus, MetricSource, QualityCheck
from jixiao.metrics.services.quality import period_label, quality_check_run
from jixiao.web.decorators import permission_required

VIEW = sq.VIEW_QUALITY
RUN = "metrics.administer"
ANOMALY_PAGE = 25


def _flag_labels() -> dict[str, str]:
    return {
        engine.JUMP: _("突增"),
        engine.DUPLICATE_LIKE: _("疑似重复"),
        engine.OUT_OF_RANGE: _("超出合理范围"),
    }


def _status_labels() -> dict[str, str]:
    return {quality.OK: _("正常"), quality.WARNING: _("需关注"), quality.FAILING: _("异常")}


def _int(raw: str) -> int | None:
    try:
        return int(raw)
    except ValueError:
        return None


def _anomalies(request: HttpRequest) -> dict[str, Any]:
    viewer: Any = request.user
    flag = request.GET.get("flag", "")
    if flag not in sq.FLAGS:
        flag = ""
    source_id = _int(request.GET.get("source", ""))
    qs = sq.anomalies_visible(viewer, sq.AnomalyFilters(flag=flag, source_id=source_id))
    page = Paginator(qs, ANOMALY_PAGE).get_page(request.GET.get("page"))
    events = list(page.object_list)
    value_ids = sq.anomaly_value_ids(viewer.company, events)
    labels = _flag_labels()
    rows = [
        {
            "event": event,
            "flags": [labels.get(f, f) for f in event.anomalies],
            "value_id": value_ids.get(event.pk),
            "parked": event.status == EventStatus.PARKED,
        }
        for event in events
    ]
    return {
        "anomaly_rows": rows,
        "anomaly_page": page,
        "flag": flag,
        "source_id": source_id,
        "flags": list(labels.items()),
        "sources": MetricSource.objects.filter(company_id=viewer.company_id).order_by("name"),
        "can_admin": viewer.has_perm(RUN),
    }


def _rate_chart(trend: list[sq.ErrorRates]) -> dict[str, Any]:
    return {
        "labels": [f"{r.start.year} Q{(r.start.month - 1) // 3 + 1}" for r in trend],
        "values": [
            float(r.company.percent) if r.company.percent is not None else None for r in trend
        ],
        "threshold": 1,
        "name": _("错误率（%）"),
        "threshold_name": _("1% 警戒线"),
    }


@require_GET
@permission_required(VIEW)
def quality_dashboard(request: HttpRequest) -> HttpResponse:
    """The page HR opens before trusting a month's figures."""
    viewer: Any = request.user
    if request.headers.get("HX-Request") and request.GET.get("part") == "anomalies":
        return render(request, "metrics/quality_anomalies.html", _anomalies(request))
    now = timezone.now()
    today = now.astimezone(sq.company_zone(viewer.company)).date()
    health = sq.source_health_visible(viewer, now=now)
    trend = sq.company_error_rate_trend(viewer.company, today=today)
    current = trend[-1]
    latest = sq.latest_checks(viewer)
    status_labels = _status_labels()
    context: dict[str, Any] = {
        "health": [
            {
                "row": row,
                "status_label": status_labels[row.status],
                "reasons": row.health.texts,
                "lag": quality.duration_text(row.health.lag.total_seconds())
                if row.health.lag
                else "",
                "interval": quality.duration_text(row.interval.total_seconds())
                if row.interval
                else "",
            }
            for row in health
        ],
        "counts": {s: sum(1 for row in health if row.status == s) for s in quality.STATUSES},
        "current": current,
        "current_label": f"{current.start.year} Q{(current.start.month - 1) // 3 + 1}",
        "trend": trend,
        "chart": _rate_chart(trend),
        "threshold": quality.ERROR_RATE_THRESHOLD * 100,
        "weekly": _check_view(latest[quality.WEEKLY]),
        "monthly": _check_view(latest[quality.MONTHLY]),
        "quarterly": _check_view(latest[quality.QUARTERLY]),
        "kinds": QualityCheck.Kind.choices,
        "default_month": quality.check_period(quality.MONTHLY, today)[0].strftime("%Y-%m"),
        **_anomalies(request),
    }
    return render(request, "metrics/quality_dashboard.html", context)


def _check_view(check: QualityCheck | None) -> dict[str, Any] | None:
    """A stored check ready for the page: reasons rendered now, in the reader's language."""
    if check is None:
        return None
    results: list[dict[str, Any]] = []
    for result in check.results:
        reasons = [quality.Reason.from_dict(r).text for r in result.get("reasons", [])]
        rows = [
            {**row, "month": row.get("month", "")[:7]}
            for row in result.get("rows", [])
            if check.kind != quality.MONTHLY or row.get("status") != quality.MATCH
        ]
        results.append(
            {
                **result,
                "reason_texts": reasons,
                "difference_rows": rows,
                "status_label": _status_labels().get(result.get("status", ""), ""),
            }
        )
    aggregates = [
        row for row in check.summary.get("aggregates", []) if row.get("status") != quality.MATCH
    ]
    return {
        "check": check,
        "label": period_label(check),
        "status_label": _status_labels().get(check.status, check.status),
        "results": results,
        "aggregate_differences": aggregates,
        "summary": check.summary,
    }


def _viewer_with_company(request: HttpRequest) -> Any:
    viewer: Any = request.user
    if viewer.company_id is None:
        raise PermissionDenied
    return viewer


@require_GET
def quality_check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One stored check with every source's result; another company's check is 404."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = _viewer_with_company(request)
    check = QualityCheck.objects.filter(company_id=viewer.company_id, pk=pk).first()
    if check is None:
        raise Http404
    if not sq.may_view(viewer):
        raise PermissionDenied
    return render(
        request,
        "metrics/quality_check.html",
        {"view": _check_view(check), "can_admin": viewer.has_perm(RUN)},
    )


@require_GET
@permission_required(VIEW)
def quality_check_list(request: HttpRequest) -> HttpResponse:
    viewer: Any = request.user
    kind = request.GET.get("kind", "")
    if kind not in QualityCheck.Kind.values:
        kind = ""
    page = Paginator(sq.checks_visible(viewer, kind=kind), 30).get_page(request.GET.get("page"))
    rows = [{"check": c, "label": period_label(c)} for c in page.object_list]
    return render(
        request,
        "metrics/quality_checks.html",
        {"page": page, "rows": rows, "kind": kind, "kinds": QualityCheck.Kind.choices},
    )


def _period(kind: str, raw: str) -> dt.date | None:
    """The form's period: "YYYY-MM" for a month, any date of the week or quarter."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        if len(raw) == 7:
            year, month = (int(p) for p in raw.split("-"))
            return dt.date(year, month, 1)
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ServiceError(
            _("期间格式不正确。"), code="invalid", fields={"period": [_("期间格式不正确。")]}
        ) from None


@require_POST
@permission_required(RUN)
def quality_check_run_now(request: HttpRequest) -> HttpResponse:
    """立即检查: HR runs a check now; the result page opens."""
    viewer: Any = request.user
    kind = request.POST.get("kind", "")
    try:
        check = quality_check_run(
            company=viewer.company,
            kind=kind,
            actor=viewer,
            period_start=_period(kind, request.POST.get("period", "")),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("metrics:quality")
    label = dict(QualityCheck.Kind.choices).get(kind, kind)
    messages.success(request, _("%(kind)s已完成：%(status)s") % {
        "kind": label, "status": _status_labels().get(check.status, check.status)})  # fmt: skip
    return redirect("metrics:quality_check", pk=check.pk)
