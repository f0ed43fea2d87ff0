"""The /me, /tokens and /users endpoints: answers, permission matrix, token life cycle."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from jixiao.core import services
from jixiao.core.models import ApiToken, Role, User
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

ROLES = ["hr", "executive", "manager", "employee", "platform_admin", "anonymous"]


def client_as(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else login(getattr(world, role))


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_me_describes_the_caller(world: World) -> None:
    response = login(world.employee).get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == world.employee.username
    assert body["role"] == "employee"
    assert body["company"]["slug"] == "xinghai"
    assert body["employee_id"] == world.person(world.employee).pk
    assert body["time_zone"] == "Asia/Shanghai"
    assert body["language"] == "zh-hans"


def test_me_of_a_platform_admin_has_no_company(world: World) -> None:
    body = login(world.platform_admin).get("/api/v1/me").json()
    assert body["company"] is None and body["employee_id"] is None


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("hr", 200),
        ("executive", 200),
        ("manager", 200),
        ("employee", 200),
        ("platform_admin", 200),
        ("anonymous", 401),
    ],
)
def test_me_matrix(world: World, role: str, expected: int) -> None:
    assert client_as(world, role).get("/api/v1/me").status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("hr", 200),
        ("executive", 200),
        ("manager", 200),
        ("employee", 200),
        ("platform_admin", 403),
        ("anonymous", 401),
    ],
)
def test_tokens_list_matrix(world: World, role: str, expected: int) -> None:
    assert client_as(world, role).get("/api/v1/tokens").status_code == expected


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("hr", 201),
        ("executive", 201),
        ("manager", 201),
        ("employee", 201),
        ("platform_admin", 403),
        ("anonymous", 401),
    ],
)
def test_tokens_create_matrix(world: World, role: str, expected: int) -> None:
    response = client_as(world, role).post(
        "/api/v1/tokens", {"name": "脚本"}, content_type="application/json"
    )
    assert response.status_code == expected


# Whose token is deleted: the caller's own, a teammate's, another team's, another company's.
@pytest.mark.parametrize(
    ("owner", "expected"),
    [("self", 204), ("teammate", 404), ("other_team", 404), ("outsider", 404)],
)
@pytest.mark.parametrize("role", ["hr", "executive", "manager", "employee"])
def test_tokens_delete_matrix(world: World, role: str, owner: str, expected: int) -> None:
    caller: User = getattr(world, role)
    owner_user: User = caller if owner == "self" else getattr(world, owner)
    token, _raw = services.api_token_create(
        user=owner_user, name="t", expires_at=None, actor=owner_user
    )
    response = login(caller).delete(f"/api/v1/tokens/{token.pk}")
    assert response.status_code == expected
    token.refresh_from_db()
    assert (token.revoked_at is not None) == (expected == 204)


@pytest.mark.parametrize(("role", "expected"), [("platform_admin", 403), ("anonymous", 401)])
def test_tokens_delete_refused_without_company(world: World, role: str, expected: int) -> None:
    token, _raw = services.api_token_create(
        user=world.employee, name="t", expires_at=None, actor=world.employee
    )
    assert client_as(world, role).delete(f"/api/v1/tokens/{token.pk}").status_code == expected


def test_token_life_cycle_create_use_revoke(world: World) -> None:
    created = login(world.manager).post(
        "/api/v1/tokens", {"name": "报表"}, content_type="application/json"
    )
    raw = created.json()["token"]
    token_id = created.json()["id"]
    api = Client()
    me = api.get("/api/v1/me", **bearer(raw))
    assert me.status_code == 200 and me.json()["username"] == world.manager.username
    listed = api.get("/api/v1/tokens", **bearer(raw)).json()
    assert listed[0]["prefix"] == raw[:10] and listed[0]["last_used_at"] is not None
    assert "token" not in listed[0]
    assert api.delete(f"/api/v1/tokens/{token_id}", **bearer(raw)).status_code == 204
    refused = api.get("/api/v1/me", **bearer(raw))
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_token"


def test_expired_token_gets_401(world: World) -> None:
    _token, raw = services.api_token_create(
        user=world.employee,
        name="短期",
        actor=world.employee,
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert Client().get("/api/v1/me", **bearer(raw)).status_code == 401


def test_unknown_token_gets_401(world: World) -> None:
    assert Client().get("/api/v1/me", **bearer("jx_not-a-token")).status_code == 401


def test_token_of_a_suspended_company_is_refused(world: World) -> None:
    _token, raw = services.api_token_create(
        user=world.hr, name="集成", expires_at=None, actor=world.hr
    )
    services.company_suspend(company=world.company, actor=world.platform_admin, reason="违约")
    response = Client().get("/api/v1/me", **bearer(raw))
    assert response.status_code == 403 and response.json()["code"] == "company_suspended"


def test_token_of_company_a_cannot_read_company_b(world: World) -> None:
    _token, raw = services.api_token_create(
        user=world.hr, name="集成", expires_at=None, actor=world.hr
    )
    api = Client()
    assert api.get(f"/api/v1/users/{world.employee.pk}", **bearer(raw)).status_code == 200
    response = api.get(f"/api/v1/users/{world.outsider.pk}", **bearer(raw))
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    ids = {u["id"] for u in api.get("/api/v1/users", **bearer(raw)).json()["items"]}
    assert world.outsider.pk not in ids and world.other_hr.pk not in ids


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("hr", 200),
        ("executive", 403),
        ("manager", 403),
        ("employee", 403),
        ("platform_admin", 403),
        ("anonymous", 401),
    ],
)
def test_users_list_matrix(world: World, role: str, expected: int) -> None:
    response = client_as(world, role).get("/api/v1/users")
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert body["count"] == 6
        assert {u["username"] for u in body["items"]} >= {world.employee.username}


TARGETS = [
    ("own", "hr"),
    ("same_team", "employee"),
    ("other_team", "other_team"),
    ("other_company", "outsider"),
]


def _expected_for(role: str, target: str) -> int:
    if role == "anonymous":
        return 401
    if role != "hr":
        return 403
    return 404 if target == "other_company" else 200


@pytest.mark.parametrize(("target", "target_attr"), TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_users_get_matrix(world: World, role: str, target: str, target_attr: str) -> None:
    user: User = getattr(world, target_attr)
    response = client_as(world, role).get(f"/api/v1/users/{user.pk}")
    assert response.status_code == _expected_for(role, target)


@pytest.mark.parametrize(("target", "target_attr"), TARGETS[1:])
@pytest.mark.parametrize("role", ROLES)
def test_users_patch_matrix(world: World, role: str, target: str, target_attr: str) -> None:
    user: User = getattr(world, target_attr)
    response = client_as(world, role).patch(
        f"/api/v1/users/{user.pk}",
        {"role": "manager", "reason": "调整"},
        content_type="application/json",
    )
    expected = _expected_for(role, target)
    assert response.status_code == expected
    user.refresh_from_db()
    assert (user.role == Role.MANAGER) == (expected == 200)


def test_users_patch_refuses_demoting_the_last_hr_admin(world: World) -> None:
    response = login(world.hr).patch(
        f"/api/v1/users/{world.hr.pk}",
        {"role": "employee", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 409
    body: dict[str, Any] = response.json()
    assert body["code"] == "last_hr_admin" and "HR" in body["message"]


def test_users_patch_deactivates_and_reactivates(world: World) -> None:
    hr = login(world.hr)
    url = f"/api/v1/users/{world.teammate.pk}"
    off = hr.patch(url, {"is_active": False, "reason": "离职"}, content_type="application/json")
    assert off.status_code == 200 and off.json()["is_active"] is False
    on = hr.patch(url, {"is_active": True, "reason": "返聘"}, content_type="application/json")
    assert on.json()["is_active"] is True


def test_users_patch_rejects_an_unknown_role(world: World) -> None:
    response = login(world.hr).patch(
        f"/api/v1/users/{world.employee.pk}",
        {"role": "platform_admin"},
        content_type="application/json",
    )
    assert response.status_code == 422 and "role" in response.json()["fields"]


@pytest.mark.usefixtures("unscoped")
def test_session_writes_need_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.employee)
    response = client.post("/api/v1/tokens", {"name": "x"}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert not ApiToken.objects.filter(user=world.employee).exists()


def test_a_token_expiry_with_any_utc_offset_is_stored_as_that_instant(world: World) -> None:
    """Found by schema fuzzing on PostgreSQL, which refuses offsets beyond ±15:59 that
    Python accepts: times go to the database in UTC (jixiao.core.db_backends.postgresql)."""
    created = login(world.manager).post(
        "/api/v1/tokens",
        {"name": "远方", "expires_at": "2031-08-18T01:05:20-18:08"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    with scopes_disabled():
        token = ApiToken.objects.get(pk=created.json()["id"])
    assert token.expires_at == dt.datetime(2031, 8, 18, 19, 13, 20, tzinfo=dt.UTC)
    far_west = dt.timezone(-dt.timedelta(hours=18, minutes=8))
    with scopes_disabled():
        found = ApiToken.objects.filter(
            expires_at=dt.datetime(2031, 8, 18, 1, 5, 20, tzinfo=far_west)
        )
        assert found.get() == token
