"""The punch and activity API: the permission matrix for every endpoint, and its behaviour."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from jixiao.attendance.models import ActivityPolicy, CheckInConsent, Punch, WorkActivity
from jixiao.org.models import Employee
from tests.conftest import World, login
from tests.imports.helpers import csv_bytes

pytestmark = pytest.mark.django_db

BASE = "/api/v1/attendance"
ROLES = ("hr", "executive", "manager", "employee", "platform_admin", "anonymous")
TARGETS = ("own", "team", "other_team", "other_company")


def _client(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else login(getattr(world, role))


def _post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def _target(world: World, role: str, target: str) -> Employee:
    with scopes_disabled():
        if target == "own":
            return getattr(world, role).employee  # type: ignore[no-any-return]
        user = {
            "team": world.teammate,
            "other_team": world.other_team,
            "other_company": world.outsider,
        }[target]
        return Employee.objects.get(user=user)


def _punch(employee: Employee) -> Punch:
    with scopes_disabled():
        return Punch.objects.create(
            company_id=employee.company_id,
            employee=employee,
            at=timezone.now() - dt.timedelta(hours=2),
            source="device",
        )


def _matrix(table: dict[str, tuple[int | None, ...]]) -> list[tuple[str, str, int]]:
    return [
        (role, target, status)
        for role, statuses in table.items()
        for target, status in zip(TARGETS, statuses, strict=True)
        if status is not None
    ]


READ = {
    "hr": (200, 200, 200, 404),
    "executive": (200, 200, 200, 404),
    "manager": (200, 200, 403, 404),
    "employee": (200, 403, 403, 404),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 401, 401, 401),
}
HR_ONLY_ON_OBJECT = {
    "hr": (200, 200, 200, 404),
    "executive": (403, 403, 403, 404),
    "manager": (403, 403, 403, 404),
    "employee": (403, 403, 403, 404),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 401, 401, 401),
}
HR_ONLY = {"hr": 200, "executive": 403, "manager": 403, "employee": 403}
HR_ONLY.update({"platform_admin": 403, "anonymous": 401})
SELF = {"hr": 200, "executive": 200, "manager": 200, "employee": 200}
SELF.update({"platform_admin": 403, "anonymous": 401})


@pytest.mark.parametrize(("role", "target", "expected"), _matrix(READ))
def test_punch_list_by_employee(world: World, role: str, target: str, expected: int) -> None:
    employee = _target(world, role, target)
    _punch(employee)
    response = _client(world, role).get(f"{BASE}/punches?employee_id={employee.pk}")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["count"] == 1


@pytest.mark.parametrize(("role", "target", "expected"), _matrix(READ))
def test_activity_list_by_employee(world: World, role: str, target: str, expected: int) -> None:
    employee = _target(world, role, target)
    with scopes_disabled():
        WorkActivity.objects.create(
            company_id=employee.company_id,
            employee=employee,
            kind="call",
            started_at=timezone.now() - dt.timedelta(hours=3),
            duration_minutes=20,
            source="crm",
            source_id=f"c-{employee.pk}",
        )
    response = _client(world, role).get(f"{BASE}/activities?employee_id={employee.pk}")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["count"] == 1


@pytest.mark.parametrize(("role", "target", "expected"), _matrix(HR_ONLY_ON_OBJECT))
def test_punch_void(world: World, role: str, target: str, expected: int) -> None:
    punch = _punch(_target(world, role, target))
    response = _post(_client(world, role), f"{BASE}/punches/{punch.pk}/void", {"reason": "重复"})
    assert response.status_code == expected
    with scopes_disabled():
        punch.refresh_from_db()
    assert punch.voided == (expected == 200)


@pytest.mark.parametrize(("role", "expected"), SELF.items())
def test_check_in_is_for_oneself(world: World, role: str, expected: int) -> None:
    response = _post(_client(world, role), f"{BASE}/punches", {"source": "web"})
    assert response.status_code == (201 if expected == 200 else expected)
    if expected == 200:
        body = response.json()
        assert body["employee_id"] == getattr(world, role).employee.pk
        assert body["source"] == "web"


@pytest.mark.parametrize(("role", "expected"), SELF.items())
def test_consent_endpoints_are_for_oneself(world: World, role: str, expected: int) -> None:
    client = _client(world, role)
    assert client.get(f"{BASE}/punches/consents").status_code == expected
    granted = _post(client, f"{BASE}/punches/consents", {"kind": "location"})
    assert granted.status_code == expected
    withdrawn = _post(client, f"{BASE}/punches/consents/withdraw", {"kind": "location"})
    assert withdrawn.status_code == expected
    if expected == 200:
        assert {c["kind"]: c["granted"] for c in granted.json()}["location"] is True
        assert {c["kind"]: c["granted"] for c in withdrawn.json()}["location"] is False


@pytest.mark.parametrize(("role", "expected"), HR_ONLY.items())
def test_punch_batch_is_for_hr(world: World, role: str, expected: int) -> None:
    body = {
        "source": "device",
        "items": [{"employee_number": "A004", "at": "2026-01-05T08:57:00+08:00", "source_id": "1"}],
    }
    response = _post(_client(world, role), f"{BASE}/punches/batch", body)
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["created"] == 1


@pytest.mark.parametrize(("role", "expected"), HR_ONLY.items())
def test_punch_import_is_for_hr(world: World, role: str, expected: int) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = csv_bytes([["A004", "2026-01-05 08:57:13"]], headers=["工号", "打卡时间"])
    response = _client(world, role).post(
        f"{BASE}/punches/import",
        {"file": SimpleUploadedFile("zk.csv", data), "mode": "valid_rows_only"},
    )
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["created"] == 1


@pytest.mark.parametrize(("role", "expected"), HR_ONLY.items())
def test_activity_batch_is_for_hr(world: World, role: str, expected: int) -> None:
    body = {
        "items": [
            {
                "employee_number": "A005",
                "kind": "call",
                "started_at": "2026-01-05T22:00:00+08:00",
                "duration_minutes": 45,
                "source": "crm",
                "source_id": "call-1",
            }
        ]
    }
    response = _post(_client(world, role), f"{BASE}/activities/batch", body)
    assert response.status_code == expected


POLICY = {"name": "外贸通话", "kinds": ["call", "email"], "gap_join_minutes": 20}


@pytest.mark.parametrize(("role", "expected"), HR_ONLY.items())
def test_activity_policy_create_and_list_are_for_hr(world: World, role: str, expected: int) -> None:
    client = _client(world, role)
    created = _post(client, f"{BASE}/activities/policies", POLICY)
    assert created.status_code == (201 if expected == 200 else expected)
    assert client.get(f"{BASE}/activities/policies").status_code == expected


def _policy(company: Any) -> ActivityPolicy:
    with scopes_disabled():
        return ActivityPolicy.objects.create(company=company, name="规则", kinds=["call"])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ["company", "other_company"])
def test_activity_policy_object_endpoints(world: World, role: str, where: str) -> None:
    policy = _policy(getattr(world, where))
    client = _client(world, role)
    url = f"{BASE}/activities/policies/{policy.pk}"
    expected = {"hr": 200, "anonymous": 401, "platform_admin": 403}.get(role, 403)
    if where == "other_company" and role not in ("anonymous", "platform_admin"):
        expected = 404
    assert client.get(url).status_code == expected
    updated = client.put(url, data=json.dumps(POLICY), content_type="application/json")
    assert updated.status_code == expected
    deleted = client.delete(url)
    assert deleted.status_code == (204 if expected == 200 else expected)


# --- Behaviour -------------------------------------------------------------------------------


def test_batch_repeats_return_the_stored_punch_as_duplicate(world: World) -> None:
    client = login(world.hr)
    body = {
        "source": "api",
        "items": [
            {"employee_number": "A004", "at": "2026-01-05T08:57:00+08:00", "source_id": "erp-9"},
            {"employee_number": "X404", "at": "2026-01-05T08:57:00+08:00", "source_id": "erp-10"},
        ],
    }
    first = _post(client, f"{BASE}/punches/batch", body).json()
    again = _post(client, f"{BASE}/punches/batch", body).json()
    assert first["created"] == 1 and first["errors"] == 1
    assert "X404" in first["items"][1]["errors"]["employee_number"][0]
    assert again["items"][0]["duplicate"] is True
    assert again["items"][0]["punch_id"] == first["items"][0]["punch_id"]


def test_check_in_with_location_needs_consent_first(world: World) -> None:
    client = login(world.employee)
    body = {"source": "mobile", "latitude": 31.2304, "longitude": 121.4737}
    refused = _post(client, f"{BASE}/punches", body)
    assert refused.status_code == 422
    assert refused.json()["code"] == "consent_required"
    _post(client, f"{BASE}/punches/consents", {"kind": "location"})
    accepted = _post(client, f"{BASE}/punches", body)
    assert accepted.status_code == 201
    assert accepted.json()["has_location"] is True
    assert "latitude" not in accepted.json()  # only the distance leaves the server
    with scopes_disabled():
        assert CheckInConsent.objects.filter(withdrawn_at=None).count() == 1


def test_punch_list_filters_and_pages(world: World) -> None:
    employee = _target(world, "employee", "own")
    for _ in range(3):
        _punch(employee)
    with scopes_disabled():
        Punch.objects.filter(employee=employee).update(flags=["duplicate"])
        _punch(employee)
    client = login(world.hr)
    flagged = client.get(f"{BASE}/punches?flag=duplicate&page_size=2").json()
    assert flagged["count"] == 3 and len(flagged["items"]) == 2
    assert client.get(f"{BASE}/punches?source=web").json()["count"] == 0
    assert client.get(f"{BASE}/punches?page_size=0").status_code == 422
