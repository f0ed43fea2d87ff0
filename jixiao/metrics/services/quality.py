"""Running the data-quality checks (seed 000) and storing what they found.

Weekly integration check: every source's health now and its runs of the week.
Monthly reconciliation: per source and indicator, what the source reported against what
is stored, and the stored events against the monthly figures. Quarterly error rate:
disputed or corrected events over all events, alert above 1%. A scheduled check runs
once per period (safe to run twice); HR may run any check again at any time. A failing
scheduled check notifies the company's HR admins, each in their own language.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from jixiao.audit.services import audit_record
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, Role, User
from jixiao.metrics import quality
from jixiao.metrics import selectors_quality as sq
from jixiao.metrics.models import QualityCheck

logger = logging.getLogger(__name__)

KINDS = (quality.WEEKLY, quality.MONTHLY, quality.QUARTERLY)


def default_period(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """What "check now" covers: the week and the quarter so far (the integration and the
    running rate, while there is time to act), the last closed month (a month is
    reconciled once it is over)."""
    if kind == quality.MONTHLY:
        return quality.check_period(kind, today)
    return quality.period_of(kind, today)


def _weekly(company: Company, start: dt.date, end: dt.date, now: dt.datetime) -> dict[str, Any]:
    health = sq.company_source_health(company, now=now)
    since, until = sq.local_window(company, start, end)
    runs = sq.company_runs_in(company, since=since, until=min(until, now))
    results = []
    for row in health:
        period = runs.get(row.source.pk, sq.RunsInPeriod())
        results.append({**row.as_dict(), "runs": vars(period)})
    statuses = [row.status for row in health]
    summary = {
        "sources": len(health),
        "ok": statuses.count(quality.OK),
        "warning": statuses.count(quality.WARNING),
        "failing": statuses.count(quality.FAILING),
        "unmatched_identities": sum(row.unmatched_identities for row in health),
        "anomalies": sum(row.anomalies for row in health),
    }
    return {"status": quality.worst(statuses), "summary": summary, "results": results}


def _monthly(company: Company, start: dt.date) -> dict[str, Any]:
    sources = sq.company_reconciliation(company, month=start)
    aggregates = sq.company_aggregate_check(company, month=start)
    differences = sum(len(s.differences) for s in sources)
    aggregate_differences = sum(1 for row in aggregates if not row.matches)
    unverified = sum(s.unverified for s in sources)
    if differences or aggregate_differences:
        status = quality.FAILING
    elif unverified:
        status = quality.WARNING
    else:
        status = quality.OK
    summary = {
        "sources": len(sources),
        "differences": differences,
        "aggregate_differences": aggregate_differences,
        "unverified": unverified,
        "aggregates": [row.as_dict() for row in aggregates],
    }
    return {"status": status, "summary": summary, "results": [s.as_dict() for s in sources]}


def _quarterly(company: Company, start: dt.date, end: dt.date) -> dict[str, Any]:
    rates = sq.company_error_rates(company, start=start, end=end)
    results = [
        {"source_id": source.pk, "source": source.name, "kind": source.kind,
         "status": rate.status, **rate.as_dict()}
        for source, rate in rates.sources
    ]  # fmt: skip
    if rates.company.above_threshold:
        status = quality.FAILING
    elif any(rate.above_threshold for _s, rate in rates.sources):
        status = quality.WARNING
    else:
        status = quality.OK
    summary = {**rates.company.as_dict(), "threshold_percent": "1"}
    return {"status": status, "summary": summary, "results": results}


@transaction.atomic
def quality_check_run(
    *,
    company: Company,
    kind: str,
    actor: User | None,
    period_start: dt.date | None = None,
    scheduled: bool = False,
    now: dt.datetime | None = None,
) -> QualityCheck:
    """Run one check for the period containing ``period_start`` (default: see
    ``default_period``), store it, audit it; a failing scheduled check notifies HR."""
    if kind not in KINDS:
        raise ServiceError(
            _("未知的检查类型。"), code="invalid", fields={"kind": [_("未知的检查类型。")]}
        )
    now = now or timezone.now()
    today = now.astimezone(sq.company_zone(company)).date()
    if period_start is None:
        start, end = default_period(kind, today)
    else:
        unsupported = quality.day_unsupported_message(period_start)
        if unsupported:
            raise ServiceError(unsupported, code="invalid", fields={"period": [unsupported]})
        start, end = quality.period_of(kind, period_start)
        if start > today:
            message = _("不能检查尚未开始的期间。")
            raise ServiceError(message, code="invalid", fields={"period": [message]})
    if kind == quality.WEEKLY:
        found = _weekly(company, start, end, now)
    elif kind == quality.MONTHLY:
        found = _monthly(company, start)
    else:
        found = _quarterly(company, start, end)
    check = QualityCheck.objects.create(
        company=company,
        kind=kind,
        period_start=start,
        period_end=end,
        status=found["status"],
        summary=found["summary"],
        results=found["results"],
        scheduled=scheduled,
        triggered_by=actor,
        created_at=now,
    )
    audit_record(
        company=company,
        actor=actor,
        action="metrics.quality_check.run",
        obj=check,
        changes={
            "kind": [None, kind],
            "period": [None, f"{start.isoformat()}/{end.isoformat()}"],
            "status": [None, check.status],
        },
        reason=_("定时检查") if scheduled else "",
    )
    if scheduled and check.status == quality.FAILING:
        _notify_hr(check)
    return check


# --- Telling HR -------------------------------------------------------------------------


def period_label(check: QualityCheck) -> str:
    start = check.period_start
    if check.kind == quality.QUARTERLY:
        return _("%(year)d 年第 %(q)d 季度") % {"year": start.year, "q": (start.month - 1) // 3 + 1}
    if check.kind == quality.MONTHLY:
        return _("%(year)d 年 %(month)d 月") % {"year": start.year, "month": start.month}
    last = check.period_end - dt.timedelta(days=1)
    return _("%(start)s 至 %(end)s") % {"start": start.isoformat(), "end": last.isoformat()}


def _reader_text(render: Callable[[], str]) -> Promise:
    """Rendered once per recipient, in the recipient's language (``notify`` does that)."""
    return cast(Promise, lazy(render, str)())


def _title(check: QualityCheck) -> str:
    summary = check.summary
    label = period_label(check)
    if check.kind == quality.QUARTERLY:
        return _("数据错误率 %(rate)s%%，超过 1%%（%(period)s）") % {
            "rate": summary.get("percent"),
            "period": label,
        }
    if check.kind == quality.MONTHLY:
        return _("月度对账发现差异（%(period)s）") % {"period": label}
    return _("%(n)d 个数据源异常（%(period)s）") % {"n": summary.get("failing", 0), "period": label}


def _body(check: QualityCheck) -> str:
    summary = check.summary
    if check.kind == quality.QUARTERLY:
        lines = [
            _("%(total)d 条数据中有 %(bad)d 条被提出异议或被更正。")
            % {"total": summary.get("total", 0), "bad": summary.get("erroneous", 0)}
        ]
        lines += [
            _("%(source)s：%(rate)s%%") % {"source": r["source"], "rate": r.get("percent")}
            for r in check.results
            if r.get("above_threshold")
        ]
    elif check.kind == quality.MONTHLY:
        lines = [
            _("数据源差异 %(n)d 处，汇总差异 %(m)d 处。")
            % {"n": summary.get("differences", 0), "m": summary.get("aggregate_differences", 0)}
        ]
        for result in check.results:
            for row in result.get("rows", []):
                if row.get("status") != quality.MATCH:
                    lines.append(
                        _("%(source)s · %(indicator)s：来源 %(a)s 条，已存 %(b)s 条")
                        % {"source": result["source"], "indicator": row["indicator"],
                           "a": row["reported"]["count"], "b": row["stored"]["count"]}
                    )  # fmt: skip
    else:
        lines = []
        for result in check.results:
            if result.get("status") == quality.FAILING:
                reasons = [
                    quality.Reason.from_dict(r).text
                    for r in result.get("reasons", [])
                    if r.get("level") == quality.FAILING
                ]
                lines.append(f"{result['source']}：{' '.join(reasons)}")
    lines.append(_("请打开数据质量页面查看。"))
    return "\n".join(lines[:20])


def _notify_hr(check: QualityCheck) -> None:
    from jixiao.notifications.models import Category
    from jixiao.notifications.services import notify

    with scopes_disabled():
        admins = list(
            User.objects.filter(company_id=check.company_id, role=Role.HR_ADMIN, is_active=True)
        )
    if not admins:
        return
    notify(
        recipients=admins,
        category=Category.SYSTEM,
        title=_reader_text(lambda: _title(check)),
        body=_reader_text(lambda: _body(check)),
        link=reverse("metrics:quality_check", args=[check.pk]),
        urgent=check.kind == quality.QUARTERLY,
    )


# --- The schedule -----------------------------------------------------------------------


def quality_checks_due(*, kind: str, now: dt.datetime | None = None) -> list[int]:
    """Run the scheduled check of ``kind`` for every active company whose last complete
    period has none yet; returns the new checks' ids. Safe to run twice."""
    now = now or timezone.now()
    with scopes_disabled():
        companies = list(Company.objects.filter(status=Company.Status.ACTIVE))
    created: list[int] = []
    for company in companies:
        with scope(company=company):
            today = now.astimezone(sq.company_zone(company)).date()
            start, _end = quality.check_period(kind, today)
            done = QualityCheck.objects.filter(
                company=company, kind=kind, period_start=start, scheduled=True
            ).exists()
            if done:
                continue
            try:
                check = quality_check_run(
                    company=company, kind=kind, actor=None, period_start=start,
                    scheduled=True, now=now,
                )  # fmt: skip
            except IntegrityError:
                logger.info("quality check %s %s already ran for %s", kind, start, company.pk)
                continue
            created.append(check.pk)
    return created
