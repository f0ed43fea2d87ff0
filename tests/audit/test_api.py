"""The audit API as an HR script uses it: list and filter, read one event, verify, export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django_scopes import scopes_disabled
from openpyxl import load_workbook

from jixiao.audit import report
from jixiao.audit.services import audit_record
from jixiao.core.services import api_token_create
from tests.audit.conftest import Recorder
from tests.conftest import World, login

pytestmark = pytest.mark.django_db


def test_events_are_paged_newest_first(world: World, record: Recorder) -> None:
    record(world.company, 7, actor=world.hr)
    record(world.other_company, 3)
    body = login(world.hr).get("/api/v1/audit/events", {"page": 2, "page_size": 3}).json()
    assert body["count"] == 7 and body["page"] == 2 and body["page_size"] == 3
    assert [item["sequence"] for item in body["items"]] == [4, 3, 2]
    assert body["items"][0]["actor_id"] == world.hr.pk
    assert body["items"][0]["object_type"] == "org.employee"
    assert "hash" not in body["items"][0]


def test_page_size_is_limited(world: World) -> None:
    response = login(world.hr).get("/api/v1/audit/events", {"page_size": 500})
    assert response.status_code == 422
    assert "page_size" in response.json()["fields"]


def test_events_filter_like_the_page(world: World, record: Recorder) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 22, 16, 30, tzinfo=dt.UTC), tick=False):
        record(world.company, 2, actor=world.hr)
    with time_machine.travel(dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC), tick=False):
        record(world.company, 1, actor=world.manager, action="goals.target.update")
    client = login(world.hr)

    def count(**params: object) -> int:
        return int(client.get("/api/v1/audit/events", params).json()["count"])

    assert count(date_from="2026-11-23", date_to="2026-11-23") == 2  # Shanghai: 00:30 on the 23rd
    assert count(date_from="2026-11-24") == 1
    assert count(date_to="2026-11-22") == 0
    assert count(actor=world.manager.pk) == 1
    assert count(action="goals.*") == 1
    assert count(object_type="org.employee", object_id="101") == 1
    assert count(q="年度调薪") == 3
    refused = client.get(
        "/api/v1/audit/events", {"date_from": "2026-11-23", "date_to": "2026-11-01"}
    )
    assert refused.status_code == 422 and "date_to" in refused.json()["fields"]


def test_event_detail_has_changes_and_hashes(world: World) -> None:
    with scopes_disabled():
        event = audit_record(
            company=world.company,
            actor=world.hr,
            action="org.employee.update",
            obj=world.employee.employee,  # type: ignore[attr-defined]
            changes={"base_salary": ["8000.00", "9500.00"]},
            reason="年度调薪",
            ip_address="203.0.113.7",
        )
    body = login(world.hr).get(f"/api/v1/audit/events/{event.pk}").json()
    assert body["changes"] == {"base_salary": ["8000.00", "9500.00"]}
    assert body["reason"] == "年度调薪"
    assert body["ip_address"] == "203.0.113.7"
    assert body["hash"] == event.hash
    assert body["previous_hash"] == "0" * 64
    assert body["occurred_at"].endswith(("Z", "+00:00"))


def test_unknown_event_is_404(world: World) -> None:
    response = login(world.hr).get("/api/v1/audit/events/987654")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_verify_reports_ok_and_breaks(world: World, record: Recorder) -> None:
    record(world.company, 3)
    client = login(world.hr)
    ok = client.get("/api/v1/audit/verify").json()
    assert ok["ok"] is True and ok["checked"] == 3 and ok["breaks"] == []
    assert ok["head_sequence"] == 3 and len(ok["head_hash"]) == 64
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM audit_auditevent WHERE company_id = %s AND sequence = 3",
            [world.company.pk],
        )
    broken = client.get("/api/v1/audit/verify").json()
    assert broken["ok"] is False
    assert broken["breaks"] == [
        {"sequence": 3, "kind": "gap", "problem": "missing newest events 3..3"}
    ]


def test_export_with_an_api_token(world: World, record: Recorder) -> None:
    record(world.company, 3)
    _token, raw = api_token_create(user=world.hr, name="审计脚本", expires_at=None, actor=world.hr)
    response = Client().get(
        "/api/v1/audit/export.xlsx", {"object_id": "101"}, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == report.XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.content))["审计报告"]
    values = [row for row in sheet.iter_rows(values_only=True) if row[0] == 2]
    assert len(values) == 1 and values[0][5] == "101"


def test_export_refuses_too_many_rows(
    world: World, record: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "EXPORT_MAX_ROWS", 2)
    record(world.company, 3)
    response = login(world.hr).get("/api/v1/audit/export.xlsx")
    assert response.status_code == 422
    assert response.json()["code"] == "too_many_rows"
