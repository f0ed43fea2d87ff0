"""The 数据质量 pages: permission matrix (role × own / other company) and what HR and
executives see: health cards, the error rate with its 1% line, flagged events with
their drill-down, stored checks and the "立即检查" buttons."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django_scopes import scope, scopes_disabled

from jixiao.metrics.models import MetricEvent, QualityCheck
from jixiao.metrics.services.ingest import metric_events_ingest
from jixiao.metrics.services.quality import quality_check_run
from tests.conftest import World
from tests.metrics.cast import ROLES, Data, client_as
from tests.metrics.conftest import event

pytestmark = pytest.mark.django_db

COMPANY_TARGETS = ["own", "foreign"]
READ_PAGE = {"hr": 200, "executive": 200, "manager": 403, "employee": 403,
             "platform_admin": 403, "anonymous": 302}  # fmt: skip
RUN = {"hr": 302, "executive": 403, "manager": 403, "employee": 403,
       "platform_admin": 403, "anonymous": 302}  # fmt: skip
CHECK_PAGE = {
    "hr": {"own": 200, "foreign": 404},
    "executive": {"own": 200, "foreign": 404},
    "manager": {"own": 403, "foreign": 404},
    "employee": {"own": 403, "foreign": 404},
    "platform_admin": {"own": 403, "foreign": 403},
    "anonymous": {"own": 302, "foreign": 302},
}


@pytest.fixture
def checks(data: Data, metrics_world: World) -> dict[str, QualityCheck]:
    w = metrics_world
    out: dict[str, QualityCheck] = {}
    for key, company, hr in (("own", w.company, w.hr), ("foreign", w.other_company, w.other_hr)):
        with scope(company=company):
            out[key] = quality_check_run(
                company=company, kind="monthly", actor=hr, period_start=dt.date(2026, 10, 1)
            )
    return out


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_list_and_run(data: Data, metrics_world: World, role: str) -> None:
    client = client_as(metrics_world, role)
    assert client.get("/metrics/quality/").status_code == READ_PAGE[role]
    assert client.get("/metrics/quality/checks/").status_code == READ_PAGE[role]
    response = client.post("/metrics/quality/checks/run/", {"kind": "weekly"})
    assert response.status_code == RUN[role]
    with scopes_disabled():
        ran = QualityCheck.objects.filter(kind="weekly").count()
    assert ran == (1 if role == "hr" else 0)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", COMPANY_TARGETS)
def test_check_page(
    checks: dict[str, QualityCheck], metrics_world: World, role: str, target: str
) -> None:
    response = client_as(metrics_world, role).get(f"/metrics/quality/checks/{checks[target].pk}/")
    assert response.status_code == CHECK_PAGE[role][target]


def _flag_an_outlier(w: World, data: Data) -> MetricEvent:
    with scope(company=w.company):
        result = metric_events_ingest(
            company=w.company,
            source=data.source["home"],
            items=[event("sp-huge", "500", code="story_points", employee_number="A004")],
            actor=None,
        )
        return MetricEvent.objects.get(pk=result.items[0].event_id)


def test_hr_sees_health_rates_anomalies_and_can_check_now(data: Data, metrics_world: World) -> None:
    w = metrics_world
    outlier = _flag_an_outlier(w, data)
    body = client_as(w, "hr").get("/metrics/quality/").content.decode()
    source_id = data.source["home"].pk
    card = re.search(rf'data-source="{source_id}" data-status="(\w+)"', body)
    assert card and card.group(1) == "warning"
    assert f'href="/metrics/sources/{source_id}/"' in body  # to its set-up: test, sync now
    assert "1 个外部身份未匹配，1 条数据尚未计入。" in body
    assert 'href="/metrics/unmatched/"' in body
    # The error rate: six open disputes over seven October orders (the quarter so far).
    assert 'id="quality-rate-data"' in body and "data-quality-rate-chart" in body
    assert "/static/metrics/quality.js" in body
    assert "<script>" not in body  # CSP: no inline script
    assert f'data-event="{outlier.pk}"' in body and "超出合理范围" in body
    with scope(company=w.company):
        value = outlier.employee.metric_values.get(  # type: ignore[union-attr]
            indicator__code="story_points", period_kind="month"
        )
    assert f'href="/metrics/values/{value.pk}/"' in body
    for kind in ("weekly", "monthly", "quarterly"):
        assert f'data-testid="run-{kind}"' in body


def test_executives_read_without_buttons(data: Data, metrics_world: World) -> None:
    body = client_as(metrics_world, "executive").get("/metrics/quality/").content.decode()
    assert "数据源健康" in body
    assert 'data-testid="run-weekly"' not in body
    assert 'href="/metrics/unmatched/"' not in body


def test_the_anomaly_list_filters_as_an_htmx_partial(data: Data, metrics_world: World) -> None:
    w = metrics_world
    outlier = _flag_an_outlier(w, data)
    client = client_as(w, "hr")
    partial = client.get(
        "/metrics/quality/?part=anomalies&flag=out_of_range", headers={"HX-Request": "true"}
    )
    text = partial.content.decode()
    assert text.lstrip().startswith('<div id="quality-anomalies">') and "<html" not in text
    assert f'data-event="{outlier.pk}"' in text
    jumps = client.get("/metrics/quality/?part=anomalies&flag=jump", headers={"HX-Request": "1"})
    assert "没有被标记为异常的数据。" in jumps.content.decode()


def test_running_a_monthly_check_opens_its_differences(data: Data, metrics_world: World) -> None:
    w = metrics_world
    with scope(company=w.company):
        MetricEvent.objects.filter(source_event_id="o-A006").update(value=90)
    client = client_as(w, "hr")
    response = client.post("/metrics/quality/checks/run/", {"kind": "monthly", "period": "2026-10"})
    with scope(company=w.company):
        check = QualityCheck.objects.get(kind="monthly")
    assert response.status_code == 302
    assert response["Location"] == f"/metrics/quality/checks/{check.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "2026 年 10 月" in page and "数据源差异 1 处" in page
    rows = re.findall(r'<tr data-testid="difference">(.*?)</tr>', page, re.S)
    assert len(rows) == 1 and "order_amount" in rows[0] and "-10" in rows[0]
    dashboard = client.get("/metrics/quality/").content.decode()
    assert f'href="/metrics/quality/checks/{check.pk}/"' in dashboard


@pytest.mark.parametrize("form", [{"kind": "daily"}, {"kind": "monthly", "period": "2026-13"}])
def test_a_bad_run_request_explains_itself(
    data: Data, metrics_world: World, form: dict[str, Any]
) -> None:
    client = client_as(metrics_world, "hr")
    response = client.post("/metrics/quality/checks/run/", form, follow=True)
    assert response.redirect_chain[-1][0] == "/metrics/quality/"
    text = response.content.decode()
    assert "未知的检查类型。" in text or "期间格式不正确。" in text
    with scopes_disabled():
        assert not QualityCheck.objects.exists()


def test_menu_entry_for_readers_only(data: Data, metrics_world: World) -> None:
    for role, shown in (("hr", True), ("executive", True), ("manager", False), ("employee", False)):
        body = client_as(metrics_world, role).get("/metrics/indicators/").content.decode()
        assert ('href="/metrics/quality/"' in body) == shown, role


def test_weekly_and_quarterly_check_pages(data: Data, metrics_world: World) -> None:
    w = metrics_world
    with scope(company=w.company):
        weekly = quality_check_run(company=w.company, kind="weekly", actor=w.hr)
        quarterly = quality_check_run(
            company=w.company, kind="quarterly", actor=w.hr, period_start=dt.date(2026, 10, 1)
        )
    client = client_as(w, "executive")
    page = client.get(f"/metrics/quality/checks/{weekly.pk}/").content.decode()
    assert 'data-testid="weekly-results"' in page
    assert "1 个外部身份未匹配，1 条数据尚未计入。" in page  # the reason, read now
    page = client.get(f"/metrics/quality/checks/{quarterly.pk}/").content.decode()
    assert "2026 年第 4 季度" in page
    assert "错误率 85.71%：7 条数据中 6 条被提出异议或被更正。" in page
    listed = client.get("/metrics/quality/checks/?kind=quarterly").content.decode()
    assert f"/metrics/quality/checks/{quarterly.pk}/" in listed
    assert f"/metrics/quality/checks/{weekly.pk}/" not in listed
