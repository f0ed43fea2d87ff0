"""The attendance rules editor: defaults, legal caps, audit (service, page and API)."""

from __future__ import annotations

import json

import pytest
from django_scopes import scopes_disabled

from jixiao.attendance.models import AttendancePolicy
from jixiao.attendance.services.policy import policy_get, policy_update
from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from tests.conftest import World, login

pytestmark = pytest.mark.django_db


def test_policy_is_created_with_the_defaults(world: World) -> None:
    with scopes_disabled():
        policy = policy_get(world.company)
        assert policy_get(world.company).pk == policy.pk
        assert AttendancePolicy.objects.filter(company=world.company).count() == 1
    assert policy.lates_per_half_day_absence == 3
    assert policy.daily_overtime_cap_minutes == 180
    assert policy.monthly_overtime_cap_minutes == 36 * 60
    assert policy.comp_leave_expiry_days == 180
    assert policy.monthly_correction_limit == 3


def test_update_is_audited_with_before_and_after(world: World) -> None:
    with scopes_disabled():
        policy = policy_update(
            company=world.company,
            actor=world.hr,
            reason="董事会决定",
            lates_per_half_day_absence=4,
            monthly_correction_limit=5,
        )
        event = AuditEvent.objects.get(action="attendance.policy.update")
    assert (policy.lates_per_half_day_absence, policy.monthly_correction_limit) == (4, 5)
    assert event.changes == {
        "lates_per_half_day_absence": [3, 4],
        "monthly_correction_limit": [3, 5],
    }
    assert event.reason == "董事会决定" and event.actor == world.hr


def test_caps_above_the_labour_law_are_refused(world: World) -> None:
    with scopes_disabled(), pytest.raises(ServiceError) as exc:
        policy_update(
            company=world.company,
            actor=world.hr,
            daily_overtime_cap_minutes=240,
            monthly_overtime_cap_minutes=3000,
            late_free_count=-1,
        )
    assert "第四十一条" in exc.value.fields["daily_overtime_cap_minutes"][0]
    assert "36 小时" in exc.value.fields["monthly_overtime_cap_minutes"][0]
    assert "late_free_count" in exc.value.fields
    with scopes_disabled():
        assert not AuditEvent.objects.filter(action="attendance.policy.update").exists()


def test_policy_page_shows_defaults_and_field_errors(world: World) -> None:
    client = login(world.hr)
    page = client.get("/attendance/policy/").content.decode()
    assert 'name="lates_per_half_day_absence"' in page and 'value="3"' in page
    response = client.post(
        "/attendance/policy/",
        {
            "lates_per_half_day_absence": 3,
            "late_free_count": 0,
            "daily_overtime_cap_minutes": 200,
            "monthly_overtime_cap_minutes": 2160,
            "comp_leave_expiry_days": 180,
            "monthly_correction_limit": 3,
            "future_punch_tolerance_minutes": 10,
        },
    )
    assert response.status_code == 422
    assert "第四十一条" in response.content.decode()


def test_policy_api_get_and_put(world: World) -> None:
    client = login(world.hr)
    body = json.loads(client.get("/api/v1/attendance/policy").content)
    assert body["comp_leave_expiry_days"] == 180
    response = client.put(
        "/api/v1/attendance/policy",
        data=json.dumps({"comp_leave_expiry_days": 90, "reason": "缩短"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert json.loads(response.content)["comp_leave_expiry_days"] == 90
    bad = client.put(
        "/api/v1/attendance/policy",
        data=json.dumps({"daily_overtime_cap_minutes": 181}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert "daily_overtime_cap_minutes" in json.loads(bad.content)["fields"]
