"""Permission matrix of every page of the shell: role × own / same team / other team / other company."""

from __future__ import annotations

import pytest
from django.test import Client

from jixiao.core import services
from jixiao.core.models import User
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

ROLES = ["hr", "executive", "manager", "employee", "platform_admin", "anonymous"]


def client_as(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else login(getattr(world, role))


def allowed(role: str, granted: set[str]) -> int:
    if role == "anonymous":
        return 302
    return 200 if role in granted else 403


EVERYONE = {"hr", "executive", "manager", "employee", "platform_admin"}
COMPANY_MEMBERS = {"hr", "executive", "manager", "employee"}

PAGES = [
    ("/", EVERYONE),
    ("/account/", EVERYONE),
    ("/account/password/", EVERYONE),
    ("/account/tokens/", COMPANY_MEMBERS),
    ("/users/", {"hr"}),
    ("/users/invite/", {"hr"}),
    ("/platform/companies/", {"platform_admin"}),
]


@pytest.mark.parametrize(("path", "granted"), PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_page_matrix(world: World, role: str, path: str, granted: set[str]) -> None:
    response = client_as(world, role).get(path)
    expected = allowed(role, granted)
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("path", ["/login/", "/signup/", "/account/password/reset/", "/health"])
@pytest.mark.parametrize("role", ROLES)
def test_public_pages(world: World, role: str, path: str) -> None:
    response = client_as(world, role).get(path)
    signed_in_away = path in ("/login/", "/signup/") and role != "anonymous"
    assert response.status_code == (302 if signed_in_away else 200)


TARGETS = [
    ("own", "hr"),
    ("same_team", "employee"),
    ("other_team", "other_team"),
    ("other_company", "outsider"),
]


@pytest.mark.parametrize(("target", "target_attr"), TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_user_detail_matrix(world: World, role: str, target: str, target_attr: str) -> None:
    user: User = getattr(world, target_attr)
    response = client_as(world, role).get(f"/users/{user.pk}/")
    expected = allowed(role, {"hr"})
    if expected == 200 and target == "other_company":
        expected = 404
    assert response.status_code == expected


@pytest.mark.parametrize(("target", "target_attr"), TARGETS[1:])
@pytest.mark.parametrize("role", ROLES)
def test_user_role_change_matrix(world: World, role: str, target: str, target_attr: str) -> None:
    user: User = getattr(world, target_attr)
    response = client_as(world, role).post(
        f"/users/{user.pk}/",
        {"action": "role", "role-role": "manager", "role-reason": "调岗"},
    )
    expected = allowed(role, {"hr"})
    if expected == 200:
        expected = 404 if target == "other_company" else 302
    assert response.status_code == expected
    user.refresh_from_db()
    assert (user.role == "manager") == (role == "hr" and target != "other_company")


@pytest.mark.parametrize(("target", "target_attr"), TARGETS[1:])
@pytest.mark.parametrize("role", ROLES)
def test_invitation_resend_matrix(world: World, role: str, target: str, target_attr: str) -> None:
    user: User = getattr(world, target_attr)
    response = client_as(world, role).post(f"/users/{user.pk}/resend-invitation/")
    expected = allowed(role, {"hr"})
    if expected == 200:
        expected = 404 if target == "other_company" else 302
    assert response.status_code == expected


@pytest.mark.parametrize("company", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
def test_platform_company_matrix(world: World, role: str, company: str) -> None:
    target = world.company if company == "own" else world.other_company
    response = client_as(world, role).get(f"/platform/companies/{target.pk}/")
    assert response.status_code == allowed(role, {"platform_admin"})


@pytest.mark.parametrize("role", ROLES)
def test_platform_suspend_matrix(world: World, role: str) -> None:
    response = client_as(world, role).post(
        f"/platform/companies/{world.other_company.pk}/", {"reason": "测试"}
    )
    expected = allowed(role, {"platform_admin"})
    assert response.status_code == (302 if expected == 200 else expected)
    world.other_company.refresh_from_db()
    assert world.other_company.is_active == (role != "platform_admin")


def test_platform_company_unknown_id_is_404(world: World) -> None:
    assert login(world.platform_admin).get("/platform/companies/999999/").status_code == 404


OWNERS = [
    ("own", None),
    ("same_team", "teammate"),
    ("other_team", "other_team"),
    ("other_company", "outsider"),
]


@pytest.mark.parametrize(("owner", "owner_attr"), OWNERS)
@pytest.mark.parametrize("role", ROLES)
def test_token_revoke_matrix(world: World, role: str, owner: str, owner_attr: str | None) -> None:
    caller: User | None = None if role == "anonymous" else getattr(world, role)
    owner_user: User = (
        getattr(world, owner_attr)
        if owner_attr
        else (caller if caller is not None and caller.company_id else world.employee)
    )
    token, _raw = services.api_token_create(
        user=owner_user, name="t", expires_at=None, actor=owner_user
    )
    response = client_as(world, role).post(f"/account/tokens/{token.pk}/revoke/")
    if role == "anonymous":
        expected = 302
    elif role == "platform_admin":
        expected = 403
    else:
        expected = 302 if owner == "own" else 404
    assert response.status_code == expected
    token.refresh_from_db()
    assert (token.revoked_at is not None) == (role != "anonymous" and expected == 302)


def test_token_revoke_needs_post(world: World) -> None:
    token, _raw = services.api_token_create(
        user=world.employee, name="t", expires_at=None, actor=world.employee
    )
    assert login(world.employee).get(f"/account/tokens/{token.pk}/revoke/").status_code == 405


@pytest.mark.parametrize("role", ROLES)
def test_language_switch_matrix(world: World, role: str) -> None:
    response = client_as(world, role).post("/language/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    if role != "anonymous":
        assert User.objects.get(pk=getattr(world, role).pk).language == "en"


@pytest.mark.parametrize("role", ROLES)
def test_language_switch_needs_post(world: World, role: str) -> None:
    assert client_as(world, role).get("/language/").status_code == 405
