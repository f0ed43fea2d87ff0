"""Permission matrix for every notification page and endpoint.

Roles × own / same team / other team / other company. The inbox is private: nobody,
not even HR or the manager, reads or marks another person's notification (404, so
ids leak nothing). Group robots are for HR admins (403 for other roles), and another
company's robot is 404 even for its HR admin counterpart.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from jixiao.core.models import User
from jixiao.notifications import services
from jixiao.notifications.models import Category, Notification, WebhookChannel
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

ROLES = ["hr", "executive", "manager", "employee", "platform_admin", "anonymous"]
EVERYONE = {"hr", "executive", "manager", "employee", "platform_admin"}
COMPANY_MEMBERS = {"hr", "executive", "manager", "employee"}
TARGETS = ["own", "same_team", "other_team", "other_company"]


def client_as(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else login(getattr(world, role))


def page_status(role: str, granted: set[str], ok: int = 200) -> int:
    if role == "anonymous":
        return 302
    return ok if role in granted else 403


def api_status(role: str, granted: set[str], ok: int = 200) -> int:
    if role == "anonymous":
        return 401
    return ok if role in granted else 403


def target_user(world: World, role: str, target: str) -> User:
    """Whose notification: the viewer's own, a teammate of 王姐, 赵工 in R&D, or 外人."""
    if target == "own":
        if role in ("anonymous", "platform_admin"):
            return world.employee  # they have no inbox of their own; use 王姐's
        return getattr(world, role)  # type: ignore[no-any-return]
    return {
        "same_team": world.teammate,
        "other_team": world.other_team,
        "other_company": world.outsider,
    }[target]


def notification_for(world: World, role: str, target: str) -> Notification:
    if target == "same_team" and role == "employee":
        user = world.teammate
    elif target == "same_team" and role == "manager":
        user = world.employee  # 王姐 reports to 张经理
    else:
        user = target_user(world, role, target)
    (note,) = services.notify(recipients=[user], category=Category.SYSTEM, title="矩阵")
    return note


def owns(role: str, target: str) -> bool:
    return target == "own" and role in COMPANY_MEMBERS


def webhook_in(world: World, company: str) -> WebhookChannel:
    owner = world.hr if company == "own" else world.other_hr
    with scopes_disabled():
        return services.webhook_create(
            company=owner.company,  # type: ignore[arg-type]
            actor=owner,
            name="群",
            platform="wecom",
            url="http://127.0.0.1:9/cgi-bin/webhook/send?key=k",
            categories=["system"],
        )


# --- pages ---------------------------------------------------------------------------

PAGES = [
    ("/notifications/", EVERYONE),
    ("/notifications/unread-count/", EVERYONE),
    ("/notifications/preferences/", COMPANY_MEMBERS),
    ("/notifications/webhooks/", {"hr"}),
    ("/notifications/webhooks/new/", {"hr"}),
]


@pytest.mark.parametrize(("path", "granted"), PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_page_matrix(world: World, role: str, path: str, granted: set[str]) -> None:
    response = client_as(world, role).get(path)
    expected = page_status(role, granted)
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", ROLES)
def test_read_all_page_matrix(world: World, role: str) -> None:
    note = notification_for(world, role, "same_team")
    response = client_as(world, role).post("/notifications/read-all/")
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.read_at is None  # nobody's "read all" reaches someone else's inbox


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "suffix", "ok"), [("post", "read/", 302), ("get", "open/", 302)]
)
def test_notification_page_matrix(
    world: World, role: str, target: str, method: str, suffix: str, ok: int
) -> None:
    note = notification_for(world, role, target)
    response = getattr(client_as(world, role), method)(f"/notifications/{note.pk}/{suffix}")
    if role == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    else:
        assert response.status_code == (ok if owns(role, target) else 404)
    note.refresh_from_db()
    assert (note.read_at is not None) == owns(role, target)


WEBHOOK_PAGES = [
    ("get", "", 200),
    ("post", "toggle/", 302),
    ("post", "test/", 302),
    ("post", "delete/", 302),
]


@pytest.mark.parametrize("company", ["own", "other_company"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "suffix", "ok"), WEBHOOK_PAGES)
def test_webhook_page_matrix(
    world: World, role: str, company: str, method: str, suffix: str, ok: int
) -> None:
    channel = webhook_in(world, company)
    response = getattr(client_as(world, role), method)(
        f"/notifications/webhooks/{channel.pk}/{suffix}"
    )
    expected = page_status(role, {"hr"}, ok)
    if role == "hr" and company == "other_company":
        expected = 404
    assert response.status_code == expected
    with scopes_disabled():
        exists = WebhookChannel.objects.filter(pk=channel.pk).exists()
    changed = role == "hr" and company == "own" and suffix == "delete/"
    assert exists != changed


# --- API -------------------------------------------------------------------------------

API = "/api/v1/notifications"


@pytest.mark.parametrize(
    ("method", "path", "granted"),
    [
        ("get", "", EVERYONE),
        ("post", "/read-all", EVERYONE),
        ("get", "/categories", EVERYONE),
        ("get", "/preferences", COMPANY_MEMBERS),
        ("put", "/preferences", COMPANY_MEMBERS),
        ("get", "/webhooks", {"hr"}),
        ("post", "/webhooks", {"hr"}),
    ],
)
@pytest.mark.parametrize("role", ROLES)
def test_api_collection_matrix(
    world: World, role: str, method: str, path: str, granted: set[str]
) -> None:
    body = {
        "name": "群",
        "platform": "wecom",
        "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
    }
    client = client_as(world, role)
    if method == "get":
        response = client.get(f"{API}{path}")
    else:
        payload = json.dumps(body if path == "/webhooks" else {})
        response = getattr(client, method)(
            f"{API}{path}", data=payload, content_type="application/json"
        )
    ok = 201 if (method, path) == ("post", "/webhooks") else 200
    assert response.status_code == api_status(role, granted, ok), response.content


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_api_mark_read_matrix(world: World, role: str, target: str) -> None:
    note = notification_for(world, role, target)
    response = client_as(world, role).post(f"{API}/{note.pk}/read")
    if role == "anonymous":
        assert response.status_code == 401
    else:
        assert response.status_code == (200 if owns(role, target) else 404)
        if response.status_code == 404:
            assert response.json()["code"] == "not_found"
    note.refresh_from_db()
    assert (note.read_at is not None) == owns(role, target)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("role", ROLES)
def test_api_inbox_shows_only_own(world: World, role: str, target: str) -> None:
    note = notification_for(world, role, target)
    response = client_as(world, role).get(API)
    if role == "anonymous":
        assert response.status_code == 401
        return
    ids = [item["id"] for item in response.json()["items"]]
    assert (note.pk in ids) == owns(role, target)


WEBHOOK_API = [
    ("get", "", 200),
    ("put", "", 200),
    ("post", "/test", 200),
    ("delete", "", 204),
]


@pytest.mark.parametrize("company", ["own", "other_company"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "suffix", "ok"), WEBHOOK_API)
def test_api_webhook_matrix(
    world: World, role: str, company: str, method: str, suffix: str, ok: int
) -> None:
    channel = webhook_in(world, company)
    client = client_as(world, role)
    path = f"{API}/webhooks/{channel.pk}{suffix}"
    if method in ("put", "post"):
        response = getattr(client, method)(
            path, data=json.dumps({"name": "改名"}), content_type="application/json"
        )
    else:
        response = getattr(client, method)(path)
    expected = api_status(role, {"hr"}, ok)
    if role == "hr" and company == "other_company":
        expected = 404
    assert response.status_code == expected
    channel_after = WebhookChannel.objects.with_scopes_disabled().filter(pk=channel.pk).first()  # type: ignore[attr-defined]
    allowed = role == "hr" and company == "own"
    if method == "delete":
        assert (channel_after is None) == allowed
    elif method == "put":
        assert channel_after is not None and (channel_after.name == "改名") == allowed


def test_other_companys_hr_cannot_reach_our_robot(world: World) -> None:
    channel = webhook_in(world, "own")
    client = login(world.other_hr)
    assert client.get(f"{API}/webhooks/{channel.pk}").status_code == 404
    assert client.get(f"/notifications/webhooks/{channel.pk}/").status_code == 404
    assert client.get(f"{API}/webhooks").json() == []
