"""The schedules API: error contract, overlap 409, batch roster writes all or nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from jixiao.attendance.models import AttendanceMonth, RosterEntry
from jixiao.audit.models import AuditEvent
from tests.api.conftest import assert_error
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

API = "/api/v1/attendance"


def _send(client: Client, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(
        f"{API}{path}", data=json.dumps(body), content_type="application/json"
    )


def test_presets_listed_and_copied_with_exact_values(world: World) -> None:
    client = login(world.hr)
    keys = [p["key"] for p in json.loads(client.get(f"{API}/schedule-presets").content)]
    assert keys == [
        "office_standard",
        "flexible_core",
        "manufacturing_two_shift",
        "manufacturing_three_shift",
        "retail_split",
        "comprehensive_month",
        "unfixed",
    ]
    copied = _send(client, "post", "/schedule-presets/copy", {"preset_key": "comprehensive_month"})
    assert copied.status_code == 201
    schedule = json.loads(copied.content)["schedule"]
    assert (schedule["period"], schedule["period_standard_minutes"]) == ("month", 9922)
    two = json.loads(
        _send(
            client, "post", "/schedule-presets/copy", {"preset_key": "manufacturing_two_shift"}
        ).content
    )
    assert len(two["shift_type_ids"]) == 2 and two["rotation_id"] is not None
    unknown = _send(client, "post", "/schedule-presets/copy", {"preset_key": "nope"})
    assert_error(unknown, 404)


def test_bad_schedule_is_422_with_field_messages(world: World) -> None:
    response = _send(
        login(world.hr),
        "post",
        "/schedules",
        {"name": "夜班办公室", "system": "standard", "blocks": [["09:00", "09:00"]]},
    )
    body = assert_error(response, 422)
    assert "长度为零" in body["fields"]["blocks"][0]


def test_overlapping_assignment_is_409_naming_the_conflict(world: World) -> None:
    client = login(world.hr)
    schedule = json.loads(
        _send(client, "post", "/schedule-presets/copy", {"preset_key": "office_standard"}).content
    )["schedule"]
    wang = world.person(world.employee).pk
    first = _send(
        client,
        "post",
        "/schedule-assignments",
        {"schedule_id": schedule["id"], "employee_id": wang, "start_date": "2026-01-01"},
    )
    assert first.status_code == 201
    second = _send(
        client,
        "post",
        "/schedule-assignments",
        {"schedule_id": schedule["id"], "employee_id": wang, "start_date": "2026-06-01"},
    )
    body = assert_error(second, 409, "assignment_overlap")
    assert f"#{json.loads(first.content)['id']}" in body["message"]
    department = _send(
        client,
        "post",
        "/schedule-assignments",
        {
            "schedule_id": schedule["id"],
            "department_id": world.sales.pk,
            "start_date": "2026-06-01",
        },
    )
    assert department.status_code == 201


def test_roster_batch_put_is_all_or_nothing_and_audited(world: World) -> None:
    hr = login(world.hr)
    shift = json.loads(
        _send(
            hr,
            "post",
            "/shift-types",
            {"code": "D", "name": "白班", "blocks": [["08:00", "20:00"]]},
        ).content
    )
    wang, li = world.person(world.employee).pk, world.person(world.teammate).pk
    with scopes_disabled():
        AttendanceMonth.objects.create(
            company=world.company, year=2026, month=3, status=AttendanceMonth.Status.LOCKED
        )
    manager = login(world.manager)
    cells = [
        {"employee_id": wang, "date": "2026-04-01", "shift_type_id": shift["id"]},
        {"employee_id": li, "date": "2026-03-31", "shift_type_id": shift["id"]},
    ]
    refused = _send(manager, "put", "/roster", {"cells": cells})
    assert_error(refused, 409, "month_locked")
    with scopes_disabled():
        assert not RosterEntry.objects.exists()
    cells[1]["date"] = "2026-04-02"
    accepted = _send(manager, "put", "/roster", {"cells": cells, "reason": "四月排班"})
    assert accepted.status_code == 200
    with scopes_disabled():
        assert RosterEntry.objects.count() == 2
        assert AuditEvent.objects.filter(action="attendance.roster.set").count() == 2
    grid = json.loads(manager.get(f"{API}/roster?start=2026-04-01&end=2026-04-02").content)
    rows = {row["employee_name"]: row for row in grid["rows"]}
    assert [c["shift_code"] for c in rows["王姐"]["cells"]] == ["D", ""]
    assert rows["张经理"]["editable"] is False
    too_long = manager.get(f"{API}/roster?start=2026-01-01&end=2026-12-31")
    assert_error(too_long, 422)


def test_swap_approved_through_the_api(world: World) -> None:
    hr = login(world.hr)
    shift = json.loads(
        _send(
            hr,
            "post",
            "/shift-types",
            {"code": "N", "name": "夜班", "blocks": [["22:00", "06:00"]]},
        ).content
    )
    wang, li = world.person(world.employee).pk, world.person(world.teammate).pk
    day = dt.date(2026, 5, 6).isoformat()
    _send(
        hr,
        "put",
        "/roster",
        {
            "cells": [
                {"employee_id": wang, "date": day, "shift_type_id": shift["id"]},
                {"employee_id": li, "date": day, "shift_type_id": None},
            ]
        },
    )
    created = _send(
        login(world.employee),
        "post",
        "/shift-swaps",
        {"counterpart_id": li, "requester_date": day, "counterpart_date": day},
    )
    assert created.status_code == 201
    swap = json.loads(created.content)
    approved = _send(login(world.manager), "post", f"/shift-swaps/{swap['id']}/approve", {})
    assert json.loads(approved.content)["status"] == "approved"
    with scopes_disabled():
        entries = {e.employee_id: e.shift_id for e in RosterEntry.objects.all()}
    assert entries == {wang: None, li: shift["id"]}
    again = _send(login(world.manager), "post", f"/shift-swaps/{swap['id']}/reject", {})
    assert_error(again, 409, "already_decided")
