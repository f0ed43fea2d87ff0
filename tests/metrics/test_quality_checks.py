"""Data quality against the database: source health, anomalies, the error rate, the monthly
reconciliation, the stored checks, the schedule and HR's alert (seed 000).

星海外贸's CRM pushes 王姐's and 李哥's orders; the Jira pull has been failing since the
weekend; one CRM user nobody has linked yet keeps sending visits.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django_scopes import scope, scopes_disabled

from jixiao.audit.models import AuditEvent
from jixiao.metrics import quality
from jixiao.metrics import selectors_quality as sq
from jixiao.metrics.models import (
    MetricEvent,
    MetricSource,
    MetricValue,
    QualityCheck,
    SourceKind,
    SourceRun,
)
from jixiao.metrics.services.disputes import dispute_raise, dispute_resolve
from jixiao.metrics.services.ingest import metric_events_ingest
from jixiao.metrics.services.quality import quality_check_run, quality_checks_due
from jixiao.notifications.models import Notification
from tests.conftest import World
from tests.metrics.conftest import SHANGHAI, event

pytestmark = pytest.mark.django_db

OCT = dt.date(2026, 10, 1)
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def _orders(w: World, source: MetricSource, n: int, *, prefix: str = "o") -> None:
    people = ["A004", "A005"]
    metric_events_ingest(
        company=w.company,
        source=source,
        items=[
            event(f"{prefix}-{i}", "100", employee_number=people[i % 2],
                  at=dt.datetime(2026, 10, 1 + i % 28, 10, 0, tzinfo=SHANGHAI))
            for i in range(n)
        ],
        actor=None,
    )  # fmt: skip


def _jira(w: World, **fields: object) -> MetricSource:
    base: dict[str, object] = {
        "company": w.company,
        "name": "Jira",
        "kind": SourceKind.ISSUE_TRACKER,
        "schedule_minutes": 60,
        "created_at": NOW - dt.timedelta(days=30),
    }
    base.update(fields)
    return MetricSource.objects.create(**base)


# --- Health -------------------------------------------------------------------------------


def test_health_of_each_source(metrics_world: World, push_source: MetricSource) -> None:
    w = metrics_world
    jira = _jira(w, last_success_at=NOW - dt.timedelta(hours=8), failure_count=3,
                 last_error="HTTP 503 from jira.example")  # fmt: skip
    git = _jira(w, name="Git", kind=SourceKind.GIT, last_success_at=NOW - dt.timedelta(minutes=30))
    with time_machine.travel(NOW - dt.timedelta(hours=1), tick=False):
        metric_events_ingest(
            company=w.company,
            source=push_source,
            items=[
                event("v-1", "1", code="customer_visits", identity="Xiao.Li@crm.example"),
                event("v-2", "1", code="customer_visits", identity="xiao.li@crm.example"),
                event("o-1", "100", employee_number="A004"),
            ],
            actor=None,
        )
    rows = {row.source.pk: row for row in sq.company_source_health(w.company, now=NOW)}
    assert rows[git.pk].status == quality.OK
    failing = rows[jira.pk]
    assert failing.status == quality.FAILING
    assert [r.code for r in failing.health.reasons] == ["failures", "lag"]
    assert "HTTP 503 from jira.example" in failing.health.texts[0]
    assert failing.health.lag == dt.timedelta(hours=8)
    crm = rows[push_source.pk]
    assert crm.status == quality.WARNING
    assert (crm.unmatched_identities, crm.unmatched_events) == (1, 2)
    assert crm.last_success_at == NOW - dt.timedelta(hours=1)  # a push batch counts as success
    assert crm.health.texts == ["1 个外部身份未匹配，2 条数据尚未计入。"]


def test_pushed_batches_that_all_fail_count_as_failures(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    for n in range(3):
        metric_events_ingest(
            company=w.company, source=push_source,
            items=[event(f"bad-{n}", "1", code="no_such_indicator", employee_number="A004")],
            actor=None,
        )  # fmt: skip
    row = sq.company_source_health(w.company, now=NOW + dt.timedelta(days=1))[0]
    assert row.failures == 3 and row.status == quality.FAILING
    assert "指标 no_such_indicator 不存在。" in row.health.texts[0]


# --- Anomalies ----------------------------------------------------------------------------


def test_flagged_events_are_listed_with_their_figure(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    months = [dt.datetime(2026, m, 10, 9, 0, tzinfo=SHANGHAI) for m in (6, 7, 8)]
    metric_events_ingest(
        company=w.company, source=push_source,
        items=[event(f"h-{i}", "10", code="story_points", at=at, employee_number="A004")
               for i, at in enumerate(months)],
        actor=None,
    )  # fmt: skip
    metric_events_ingest(
        company=w.company, source=push_source,
        items=[event("big", "90", code="story_points", employee_number="A004"),
               event("huge", "500", code="story_points", employee_number="A004"),
               event("twin", "10", code="story_points", at=months[0], employee_number="A004")],
        actor=None,
    )  # fmt: skip
    listed = list(sq.anomalies_visible(w.hr))
    assert [e.source_event_id for e in listed] == ["twin", "huge", "big"]
    jumps = sq.anomalies_visible(w.hr, sq.AnomalyFilters(flag="jump"))
    assert sorted(e.source_event_id for e in jumps) == ["big", "huge"]
    ranged = sq.anomalies_visible(w.executive, sq.AnomalyFilters(flag="out_of_range"))
    assert [e.source_event_id for e in ranged] == ["huge"]
    assert not sq.anomalies_visible(w.manager).exists()
    assert not sq.anomalies_visible(w.employee).exists()
    links = sq.anomaly_value_ids(w.company, listed)
    october = MetricValue.objects.get(
        indicator__code="story_points", employee__employee_number="A004",
        period_kind="month", period_start=OCT,
    )  # fmt: skip
    june = MetricValue.objects.get(
        indicator__code="story_points", employee__employee_number="A004",
        period_kind="month", period_start=dt.date(2026, 6, 1),
    )  # fmt: skip
    by_id = {e.source_event_id: links.get(e.pk) for e in listed}
    assert by_id == {"big": october.pk, "huge": october.pk, "twin": june.pk}
    assert sum(r.anomalies for r in sq.company_source_health(w.company, now=NOW)) == 3


# --- Error rate ---------------------------------------------------------------------------


def _errors_in_q4(w: World, source: MetricSource) -> None:
    """100 orders in October; one disputed and still open, one upheld with a corrected
    value, one disputed and rejected (the figure was right), one reversed by the CRM."""
    _orders(w, source, 100)
    wang, li = w.person(w.employee), w.person(w.teammate)
    events = {e.source_event_id: e for e in MetricEvent.objects.filter(source=source)}
    dispute_raise(event=events["o-0"], employee=wang, actor=w.employee, reason="客户退货了")
    upheld = dispute_raise(event=events["o-2"], employee=wang, actor=w.employee, reason="金额错")
    dispute_resolve(dispute=upheld, actor=w.hr, upheld=True, note="按合同改为 80",
                    corrected_value=Decimal(80))  # fmt: skip
    rejected = dispute_raise(event=events["o-1"], employee=li, actor=w.teammate, reason="少算了")
    dispute_resolve(dispute=rejected, actor=w.hr, upheld=False, note="合同确认无误")
    metric_events_ingest(
        company=w.company, source=source,
        items=[event("o-4-reverse", "100", employee_number="A004", correction="reverse",
                     corrects="o-4")],
        actor=None,
    )  # fmt: skip


def test_error_rate_counts_disputed_or_corrected_events_once(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    _errors_in_q4(w, push_source)
    other = MetricSource.objects.create(company=w.company, name="ERP", kind=SourceKind.ERP)
    _orders(w, other, 50, prefix="erp")
    rates = sq.company_error_rates(w.company, start=OCT, end=dt.date(2027, 1, 1))
    by_source = {source.name: rate for source, rate in rates.sources}
    crm = by_source["CRM 推送"]
    assert (crm.total, crm.disputed, crm.corrected, crm.erroneous) == (100, 2, 2, 3)
    assert crm.percent == Decimal("3.00") and crm.above_threshold
    assert by_source["ERP"].erroneous == 0
    assert (rates.company.total, rates.company.erroneous) == (150, 3)
    assert rates.company.percent == Decimal("2.00")
    # The third quarter had nothing: no rate rather than 0%.
    q3 = sq.company_error_rates(w.company, start=dt.date(2026, 7, 1), end=OCT)
    assert q3.company.rate is None
    trend = sq.company_error_rate_trend(w.company, today=dt.date(2026, 11, 23))
    assert [r.start for r in trend] == [
        dt.date(2026, 1, 1), dt.date(2026, 4, 1), dt.date(2026, 7, 1), OCT
    ]  # fmt: skip


# --- Reconciliation -----------------------------------------------------------------------


def test_run_totals_record_what_arrived_and_what_was_stored(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    result = metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[
            event("o-1", "100", employee_number="A004"),
            event("o-1", "100", employee_number="A004"),  # a harmless re-send
            event("o-2", "250.5", employee_number="NOBODY"),  # an unknown 工号
            event("o-3", "40", at=dt.datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI),
                  employee_number="A005"),
        ],
        actor=None,
    )  # fmt: skip
    run = SourceRun.objects.get(pk=result.run_id)
    assert run.totals == {
        "order_amount|2026-10": {"received": 3, "received_sum": "450.5",
                                 "accepted": 1, "accepted_sum": "100"},
        "order_amount|2026-09": {"received": 1, "received_sum": "40",
                                 "accepted": 1, "accepted_sum": "40"},
    }  # fmt: skip


def test_monthly_reconciliation_finds_what_changed_behind_the_stores_back(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    _orders(w, push_source, 20)
    [clean] = sq.company_reconciliation(w.company, month=OCT)
    assert clean.status == quality.OK and clean.unverified == 0
    [row] = clean.rows
    assert (row.indicator, row.reported, row.stored) == (
        "order_amount", quality.Totals(20, Decimal(2000)), quality.Totals(20, Decimal(2000))
    )  # fmt: skip
    assert all(r.matches for r in sq.company_aggregate_check(w.company, month=OCT))
    # Someone edits the database: one order vanishes, another is changed, a figure drifts.
    MetricEvent.objects.filter(source_event_id="o-3").delete()
    MetricEvent.objects.filter(source_event_id="o-5").update(value=Decimal(150))
    MetricValue.objects.filter(
        indicator__code="order_amount", employee__employee_number="A004",
        period_kind="month", period_start=OCT,
    ).update(sum=Decimal(1))  # fmt: skip
    [found] = sq.company_reconciliation(w.company, month=OCT)
    [difference] = found.differences
    assert difference.count_difference == 1 and difference.sum_difference == Decimal(50)
    assert found.status == quality.FAILING
    aggregates = {r.indicator: r for r in sq.company_aggregate_check(w.company, month=OCT)}
    assert not aggregates["order_amount"].matches
    # Counted events: 王姐 10 × 100, 李哥 8 × 100 + 150; figures: 王姐 drifted to 1, 李哥 1000.
    assert aggregates["order_amount"].reported == quality.Totals(19, Decimal(1950))
    assert aggregates["order_amount"].stored == quality.Totals(20, Decimal(1001))
    # A batch from before totals were kept cannot be checked, and says so.
    SourceRun.objects.filter(source=push_source).update(totals=None)
    [legacy] = sq.company_reconciliation(w.company, month=OCT)
    assert legacy.rows == [] and legacy.unverified == 19


# --- Stored checks, the schedule, HR's alert ---------------------------------------------


def test_hr_runs_a_check_now_and_it_is_audited(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    _orders(w, push_source, 10)
    check = quality_check_run(company=w.company, kind="monthly", actor=w.hr,
                              period_start=dt.date(2026, 10, 20))  # fmt: skip
    assert (check.period_start, check.period_end) == (OCT, dt.date(2026, 11, 1))
    assert check.status == quality.OK and not check.scheduled
    assert check.results[0]["rows"][0]["reported"] == {"count": 10, "sum": "1000"}
    audit = AuditEvent.objects.get(action="metrics.quality_check.run")
    assert audit.object_id == str(check.pk)
    assert audit.changes["status"] == [None, "ok"]
    assert not Notification.objects.exists()  # the one who pressed the button sees it


def test_a_check_of_an_unknown_kind_or_a_future_period_is_refused(metrics_world: World) -> None:
    from jixiao.core.api_errors import ServiceError

    w = metrics_world
    with pytest.raises(ServiceError) as unknown:
        quality_check_run(company=w.company, kind="daily", actor=w.hr)
    assert "kind" in unknown.value.fields
    with time_machine.travel(NOW, tick=False), pytest.raises(ServiceError) as future:
        quality_check_run(company=w.company, kind="monthly", actor=w.hr,
                          period_start=dt.date(2027, 3, 1))  # fmt: skip
    assert "period" in future.value.fields
    for kind in ("weekly", "monthly", "quarterly"):  # the period before would not be a date
        with pytest.raises(ServiceError) as ancient:
            quality_check_run(company=w.company, kind=kind, actor=w.hr,
                              period_start=dt.date(1, 1, 3))  # fmt: skip
        assert "2000-01-01" in ancient.value.fields["period"][0]


def test_weekly_check_on_monday_once_per_company_and_hr_hears_of_failing_sources(
    metrics_world: World,
) -> None:
    w = metrics_world
    monday = dt.datetime(2026, 11, 30, 1, 10, tzinfo=SHANGHAI)
    _jira(w, last_success_at=monday - dt.timedelta(days=2), failure_count=5,
          last_error="连接超时")  # fmt: skip
    with time_machine.travel(monday, tick=False):
        created = quality_checks_due(kind="weekly")
        again = quality_checks_due(kind="weekly")
    assert again == []
    with scopes_disabled():
        checks = {c.company_id: c for c in QualityCheck.objects.filter(pk__in=created)}
        notes = list(Notification.objects.all())
    assert set(checks) == {w.company.pk, w.other_company.pk}
    ours = checks[w.company.pk]
    assert (ours.kind, ours.period_start, ours.period_end) == (
        "weekly", dt.date(2026, 11, 23), dt.date(2026, 11, 30)
    )  # fmt: skip
    assert ours.status == quality.FAILING and ours.scheduled and ours.triggered_by is None
    assert checks[w.other_company.pk].status == quality.OK
    assert [(n.recipient_id, n.category) for n in notes] == [(w.hr.pk, "system")]
    assert notes[0].title == "1 个数据源异常（2026-11-23 至 2026-11-29）"
    assert "Jira：连续失败 5 次。 最近错误：连接超时" in notes[0].body
    assert notes[0].link == f"/metrics/quality/checks/{ours.pk}/"


def test_monthly_reconciliation_on_the_second_for_the_month_before(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    _orders(w, push_source, 12)
    MetricEvent.objects.filter(source_event_id="o-7").delete()
    with time_machine.travel(dt.datetime(2026, 11, 2, 0, 20, tzinfo=SHANGHAI), tick=False):
        created = quality_checks_due(kind="monthly")
    check = QualityCheck.objects.get(pk__in=created)
    assert (check.period_start, check.status) == (OCT, quality.FAILING)
    assert check.summary["differences"] == 1
    note = Notification.objects.get(recipient=w.hr)
    assert note.title == "月度对账发现差异（2026 年 10 月）"
    assert "CRM 推送 · order_amount：来源 12 条，已存 11 条" in note.body


def test_quarterly_error_rate_above_one_percent_alerts_hr(
    metrics_world: World, push_source: MetricSource
) -> None:
    w = metrics_world
    _errors_in_q4(w, push_source)
    with time_machine.travel(dt.datetime(2027, 1, 3, 0, 30, tzinfo=SHANGHAI), tick=False):
        created = quality_checks_due(kind="quarterly")
    with scope(company=w.company):
        check = QualityCheck.objects.get(pk__in=created)
    assert (check.period_start, check.period_end) == (OCT, dt.date(2027, 1, 1))
    assert check.status == quality.FAILING
    assert check.summary["percent"] == "3.00" and check.summary["erroneous"] == 3
    assert check.results[0]["source"] == "CRM 推送" and check.results[0]["above_threshold"]
    note = Notification.objects.get(recipient=w.hr)
    assert note.urgent
    assert note.title == "数据错误率 3.00%，超过 1%（2026 年第 4 季度）"
    assert note.body.startswith("100 条数据中有 3 条被提出异议或被更正。")
    with scopes_disabled():
        assert not Notification.objects.filter(recipient=w.other_hr).exists()


def test_a_clean_quarter_tells_no_one(metrics_world: World, push_source: MetricSource) -> None:
    w = metrics_world
    _orders(w, push_source, 200)
    wang = w.person(w.employee)
    first = MetricEvent.objects.get(source_event_id="o-0")
    dispute_raise(event=first, employee=wang, actor=w.employee, reason="核对一下")  # 0.5%
    with time_machine.travel(dt.datetime(2027, 1, 3, 0, 30, tzinfo=SHANGHAI), tick=False):
        created = quality_checks_due(kind="quarterly")
    check = QualityCheck.objects.get(pk__in=created)
    assert check.status == quality.OK and check.summary["percent"] == "0.50"
    assert not Notification.objects.exists()
