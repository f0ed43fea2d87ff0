"""What the metrics API answers: indicator editing with field errors, sources with the secret
shown once, event filters with evidence, values with their drill-down, identities, entries."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django_scopes import scopes_disabled

from jixiao.audit.models import AuditEvent
from jixiao.metrics.models import MetricSource
from jixiao.metrics.services.ingest import metric_events_ingest
from tests.conftest import World, login
from tests.metrics.conftest import event

pytestmark = pytest.mark.django_db


def _post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_indicator_editor(metrics_world: World) -> None:
    hr = login(metrics_world.hr)
    bad = _post(hr, "/api/v1/metrics/indicators", {
        "code": "net_savings", "name_zh": "净节省", "aggregation": "formula",
        "formula": "process_savings - __import__('os')",
    })  # fmt: skip
    assert bad.status_code == 422
    assert "formula" in bad.json()["fields"]
    created = _post(hr, "/api/v1/metrics/indicators", {
        "code": "net_savings", "name_zh": "净节省", "name_en": "Net savings", "unit": "元",
        "category": "process", "aggregation": "formula",
        "formula": "process_savings - process_suggestions * 100",
    })  # fmt: skip
    assert created.status_code == 201, created.content
    indicator_id = created.json()["id"]
    assert created.json()["current_version"]["number"] == 1
    loop = _post(hr, f"/api/v1/metrics/indicators/{indicator_id}/versions", {
        "name_zh": "净节省", "aggregation": "formula", "formula": "net_savings * 2",
        "reason": "试试",
    })  # fmt: skip
    assert loop.status_code == 422
    assert "自身" in loop.json()["fields"]["formula"][0]
    version = _post(hr, f"/api/v1/metrics/indicators/{indicator_id}/versions", {
        "name_zh": "净节省（元）", "aggregation": "formula", "unit": "元",
        "formula": "process_savings", "reason": "不再扣除评审成本",
    })  # fmt: skip
    assert version.status_code == 201 and version.json()["number"] == 2
    detail = hr.get(f"/api/v1/metrics/indicators/{indicator_id}").json()
    assert [v["number"] for v in detail["versions"]] == [1, 2]
    duplicate = _post(hr, "/api/v1/metrics/indicators", {"code": "orders", "name_zh": "订单"})
    assert duplicate.status_code == 422 and "code" in duplicate.json()["fields"]


def test_source_secret_is_shown_once(metrics_world: World) -> None:
    hr = login(metrics_world.hr)
    created = _post(hr, "/api/v1/metrics/sources", {"name": "官网商城", "kind": "push"})
    assert created.status_code == 201
    assert len(created.json()["secret"]) >= 32
    source_id = created.json()["id"]
    shown = hr.get(f"/api/v1/metrics/sources/{source_id}").json()
    assert "secret" not in shown
    assert all("secret" not in s for s in hr.get("/api/v1/metrics/sources").json()["items"])
    again = _post(hr, "/api/v1/metrics/sources", {"name": "官网商城"})
    assert again.status_code == 409
    patched = hr.patch(
        f"/api/v1/metrics/sources/{source_id}",
        {"schedule_minutes": 1},
        content_type="application/json",
    )
    assert patched.status_code == 422
    audit = AuditEvent.objects.filter(action__startswith="metrics.source").values_list(
        "changes", flat=True
    )
    assert all("secret" not in json.dumps(c) or "***" in json.dumps(c) for c in audit)
    assert hr.delete(f"/api/v1/metrics/sources/{source_id}").status_code == 204


def test_events_values_and_drill_down(metrics_world: World, push_source: MetricSource) -> None:
    w = metrics_world
    metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[
            event("SO-1", "1200", employee_number="A004", evidence={"customer": "Müller GmbH"},
                  evidence_url="https://crm.example.com/SO-1"),
            event("SO-2", "800", employee_number="A004"),
            event("V-1", "1", code="customer_visits", employee_number="A004"),
            event("SO-9", "50", employee_number="A005"),
        ],
        actor=None,
    )  # fmt: skip
    me = login(w.employee)
    events = me.get("/api/v1/metrics/events?indicator=order_amount").json()
    assert [e["source_event_id"] for e in events["items"]] == ["SO-2", "SO-1"]
    first = events["items"][1]
    assert first["evidence"] == {"customer": "Müller GmbH"}
    assert first["evidence_url"] == "https://crm.example.com/SO-1"
    values = me.get("/api/v1/metrics/values?indicator=order_amount&period_kind=month").json()
    assert [v["value"] for v in values["items"]] == ["2000.0000"]
    explained = me.get(f"/api/v1/metrics/values/{values['items'][0]['id']}/explain").json()
    assert [e["source_event_id"] for e in explained["events"]] == ["SO-1", "SO-2"]
    assert explained["steps"] == ["求和：2 条记录，合计 2000.0000"]
    per_visit = me.get("/api/v1/metrics/values?indicator=amount_per_visit&period_kind=month")
    item = per_visit.json()["items"][0]
    assert item["value"] == "2000.0000"
    drill = me.get(f"/api/v1/metrics/values/{item['id']}/explain").json()
    assert {p["indicator"] for p in drill["parts"]} == {"order_amount", "customer_visits"}


def test_identity_and_manual_entry_flow(metrics_world: World, push_source: MetricSource) -> None:
    w = metrics_world
    metric_events_ingest(
        company=w.company,
        source=push_source,
        items=[event("G-1", "1", code="commits", identity="wang@old-mail.example")],
        actor=None,
    )
    hr = login(w.hr)
    queue = hr.get("/api/v1/metrics/unmatched").json()["items"]
    assert [q["identity"] for q in queue] == ["wang@old-mail.example"]
    with scopes_disabled():
        employee_id = w.employee.employee.pk  # type: ignore[attr-defined]
    linked = _post(hr, "/api/v1/metrics/identities",
                   {"identity": "Wang@Old-Mail.example", "employee_id": employee_id})  # fmt: skip
    assert linked.status_code == 201
    assert linked.json()["events_matched"] == 1
    assert hr.get("/api/v1/metrics/unmatched").json()["items"] == []
    me = login(w.employee)
    entry = _post(me, "/api/v1/metrics/manual-entries", {
        "indicator": "process_suggestions", "value": "1", "description": "简化下单流程",
        "occurred_at": "2026-10-05T10:00:00+08:00",
    })  # fmt: skip
    assert entry.status_code == 201
    mine = _post(me, f"/api/v1/metrics/manual-entries/{entry.json()['id']}/decide",
                 {"approve": True})  # fmt: skip
    assert mine.status_code == 403
    boss = login(w.manager)
    decided = _post(boss, f"/api/v1/metrics/manual-entries/{entry.json()['id']}/decide",
                    {"approve": True, "note": "好建议"})  # fmt: skip
    assert decided.status_code == 200 and decided.json()["event_id"]
    naive = _post(me, "/api/v1/metrics/manual-entries", {
        "indicator": "process_suggestions", "value": "1", "description": "x",
        "occurred_at": "2026-10-05T10:00:00",
    })  # fmt: skip
    assert naive.status_code == 422 and "occurred_at" in naive.json()["fields"]


def test_source_patch_with_nulls_changes_nothing_but_the_schedule(
    metrics_world: World, push_source: MetricSource
) -> None:
    hr = login(metrics_world.hr)
    response = hr.patch(
        f"/api/v1/metrics/sources/{push_source.pk}",
        {"name": None, "enabled": None, "schedule_minutes": None},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "CRM 推送"
    assert response.json()["enabled"] is True


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("0201-09-28T11:42:57-16:45", 200),  # beyond PostgreSQL's ±15:59, fine once in UTC
        ("2026-10-01T08:00:00+08:00", 200),
        ("2026-10-01T00:00:00", 200),  # no zone: UTC
        ("0001-01-01T00:00:00+05:00", 422),  # before year 1 in UTC
    ],
)
def test_event_times_are_compared_in_utc(metrics_world: World, since: str, status: int) -> None:
    response = login(metrics_world.hr).get("/api/v1/metrics/events", {"since": since})
    assert response.status_code == status, response.content
