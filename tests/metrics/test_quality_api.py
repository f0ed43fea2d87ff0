"""/api/v1/metrics/quality/…: permission matrix (role × own / other company) and answers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled

from jixiao.metrics.models import MetricEvent, MetricSource, QualityCheck, SourceKind
from jixiao.metrics.services.ingest import metric_events_ingest
from jixiao.metrics.services.quality import quality_check_run
from tests.conftest import World
from tests.metrics.cast import ROLES, Data, client_as
from tests.metrics.conftest import event

pytestmark = pytest.mark.django_db

API = "/api/v1/metrics/quality"
READ = {"hr": 200, "executive": 200, "manager": 403, "employee": 403,
        "platform_admin": 403, "anonymous": 401}  # fmt: skip
RUN = {**READ, "hr": 201, "executive": 403}
OBJECT = {
    "hr": {"own": 200, "foreign": 404},
    "executive": {"own": 200, "foreign": 404},
    "manager": {"own": 403, "foreign": 404},
    "employee": {"own": 403, "foreign": 404},
    "platform_admin": {"own": 403, "foreign": 403},
    "anonymous": {"own": 401, "foreign": 401},
}

Call = Callable[[Client], Any]

READS: dict[str, Call] = {
    "health": lambda c: c.get(f"{API}/health"),
    "error_rate": lambda c: c.get(f"{API}/error-rate?day=2026-10-20"),
    "anomalies": lambda c: c.get(f"{API}/anomalies"),
    "reconciliation": lambda c: c.get(f"{API}/reconciliation?month=2026-10-01"),
    "checks": lambda c: c.get(f"{API}/checks"),
}


@pytest.fixture
def checks(data: Data, metrics_world: World) -> dict[str, QualityCheck]:
    w = metrics_world
    out: dict[str, QualityCheck] = {}
    for key, company, hr in (("own", w.company, w.hr), ("foreign", w.other_company, w.other_hr)):
        with scope(company=company):
            out[key] = quality_check_run(company=company, kind="quarterly", actor=hr,
                                         period_start=dt.date(2026, 10, 1))  # fmt: skip
    return out


@pytest.mark.parametrize("role", ROLES)
def test_company_wide_reads_and_running_a_check(
    data: Data, metrics_world: World, role: str, subtests: Any
) -> None:
    client = client_as(metrics_world, role)
    for name in sorted(READS):
        with subtests.test(endpoint=name):
            assert READS[name](client).status_code == READ[role]
    response = client.post(f"{API}/checks", json.dumps({"kind": "weekly"}),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == RUN[role], response.content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["own", "foreign"])
def test_one_check_and_one_sources_health(
    checks: dict[str, QualityCheck], data: Data, metrics_world: World, role: str, target: str
) -> None:
    client = client_as(metrics_world, role)
    expected = OBJECT[role][target]
    assert client.get(f"{API}/checks/{checks[target].pk}").status_code == expected
    source = data.source["home" if target == "own" else "foreign"]
    assert client.get(f"{API}/health/{source.pk}").status_code == expected


def test_health_answers_in_words_and_numbers(data: Data, metrics_world: World) -> None:
    w = metrics_world
    with scope(company=w.company):
        MetricSource.objects.create(
            company=w.company, name="Jira", kind=SourceKind.ISSUE_TRACKER, schedule_minutes=60,
            failure_count=4, last_error="HTTP 401",
        )  # fmt: skip
    rows = {r["source"]: r for r in client_as(w, "executive").get(f"{API}/health").json()}
    jira = rows["Jira"]
    assert jira["status"] == "failing" and jira["failures"] == 4
    assert jira["expected_interval_seconds"] == 3600
    assert jira["reasons"][0] == {"code": "failures", "level": "failing",
                                  "params": {"n": 4, "error": "HTTP 401"},
                                  "text": "连续失败 4 次。 最近错误：HTTP 401"}  # fmt: skip
    push = rows["推送"]
    assert push["status"] == "warning" and push["unmatched_identities"] == 1


def test_error_rate_and_reconciliation(data: Data, metrics_world: World) -> None:
    client = client_as(metrics_world, "hr")
    rate = client.get(f"{API}/error-rate?day=2026-11-23").json()
    # Six open disputes over seven October events of the push source (the cast).
    assert (rate["start"], rate["end"]) == ("2026-10-01", "2027-01-01")
    assert rate["company"]["total"] == 7 and rate["company"]["disputed"] == 6
    assert Decimal(rate["company"]["percent"]) == Decimal("85.71")
    assert rate["company"]["above_threshold"] and Decimal(rate["threshold_percent"]) == 1
    assert [p["start"] for p in rate["trend"]][-1] == "2026-10-01" and len(rate["trend"]) == 4
    reconciliation = client.get(f"{API}/reconciliation?month=2026-10-15").json()
    assert reconciliation["month"] == "2026-10-01"
    # Found by schema fuzzing: a month or day in year 1 has no month or quarter before it.
    for url in (f"{API}/reconciliation?month=0001-01-11", f"{API}/error-rate?day=0001-02-01",
                f"{API}/reconciliation?month=9999-12-31"):  # fmt: skip
        refused = client.get(url)
        assert refused.status_code == 422, url
        assert set(refused.json()["fields"]) <= {"month", "day"} and refused.json()["fields"]
    [source] = reconciliation["sources"]
    row = {r["indicator"]: r for r in source["rows"]}["order_amount"]
    assert row["status"] == "match" and row["reported"]["count"] == 7  # 6 people + 1 unmatched
    assert row["received"]["count"] == 7


def test_anomalies_and_running_a_check(data: Data, metrics_world: World) -> None:
    w = metrics_world
    with scope(company=w.company):
        metric_events_ingest(
            company=w.company, source=data.source["home"],
            items=[event("sp-huge", "500", code="story_points", employee_number="A005")],
            actor=None,
        )  # fmt: skip
        huge = MetricEvent.objects.get(source_event_id="sp-huge")
    client = client_as(w, "hr")
    page = client.get(f"{API}/anomalies?flag=out_of_range").json()
    assert [i["id"] for i in page["items"]] == [huge.pk] and page["count"] == 1
    assert page["items"][0]["anomalies"] == ["out_of_range"]
    assert client.get(f"{API}/anomalies?flag=jump").json()["count"] == 0
    created = client.post(f"{API}/checks", json.dumps({"kind": "quarterly",
                          "period_start": "2026-11-01"}), content_type="application/json")  # fmt: skip
    body = created.json()
    assert created.status_code == 201
    assert (body["period_start"], body["status"]) == ("2026-10-01", "failing")
    assert body["summary"]["erroneous"] == 6
    bad = client.post(f"{API}/checks", json.dumps({"kind": "hourly"}),
                      content_type="application/json")  # fmt: skip
    assert bad.status_code == 422 and "kind" in bad.json()["fields"]
    listed = client.get(f"{API}/checks?kind=quarterly").json()
    assert [c["id"] for c in listed["items"]] == [body["id"]]
    with scopes_disabled():
        assert QualityCheck.objects.count() == 1
