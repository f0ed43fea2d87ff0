"""The /api/v1/notifications endpoints: inbox paging, read marks, preferences, robots."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from jixiao.core.models import User
from jixiao.notifications import services
from jixiao.notifications.models import Category, WebhookChannel
from tests.conftest import World, login
from tests.notifications.conftest import DINGTALK_SECRET, DINGTALK_TOKEN, RobotServer

pytestmark = pytest.mark.django_db
API = "/api/v1/notifications"


def put(client: Client, path: str, data: dict[str, Any]) -> Any:
    return client.put(path, data=json.dumps(data), content_type="application/json")


def post(client: Client, path: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(path, data=json.dumps(data or {}), content_type="application/json")


def fill_inbox(user: User, count: int) -> None:
    for i in range(count):
        services.notify(recipients=[user], category=Category.SYSTEM, title=f"通知 {i}")


def test_inbox_pages_newest_first_and_filters_unread(world: World) -> None:
    fill_inbox(world.employee, 25)
    fill_inbox(world.teammate, 3)
    client = login(world.employee)
    first = client.get(f"{API}?page=1&page_size=10").json()
    assert (first["count"], first["page"], first["page_size"]) == (25, 1, 10)
    assert [item["title"] for item in first["items"][:2]] == ["通知 24", "通知 23"]
    last = client.get(f"{API}?page=3&page_size=10").json()
    assert len(last["items"]) == 5
    item = first["items"][0]
    assert item["category"] == "system" and item["category_label"] == "系统"
    assert item["is_read"] is False and item["read_at"] is None

    assert client.post(f"{API}/{item['id']}/read").json()["is_read"] is True
    assert client.get(f"{API}?unread=true").json()["count"] == 24
    assert client.post(f"{API}/read-all").json() == {"updated": 24}
    assert client.get(f"{API}?unread=true").json()["count"] == 0
    # 李哥's inbox is untouched.
    assert login(world.teammate).get(f"{API}?unread=true").json()["count"] == 3


def test_inbox_page_size_is_bounded(world: World) -> None:
    response = login(world.employee).get(f"{API}?page_size=100000")
    assert response.status_code == 422
    assert "page_size" in response.json()["fields"]


def test_platform_admin_has_an_empty_inbox(world: World) -> None:
    body = login(world.platform_admin).get(API).json()
    assert body == {"items": [], "count": 0, "page": 1, "page_size": 20}


def test_preferences_round_trip(world: World) -> None:
    client = login(world.employee)
    before = client.get(f"{API}/preferences").json()
    assert {c["category"] for c in before["categories"]} == set(Category.values)
    account = next(c for c in before["categories"] if c["category"] == "account")
    assert account == {
        "category": "account",
        "label": "账号与安全",
        "in_app": True,
        "email": True,
        "webhook": False,
    }
    assert before["quiet_hours"] == {"enabled": False, "start": None, "end": None}
    assert before["time_zone"] == "Asia/Shanghai"

    response = put(
        client,
        f"{API}/preferences",
        {
            "categories": [{"category": "import", "email": False, "webhook": False}],
            "quiet_hours": {"enabled": True, "start": "22:00", "end": "07:00"},
        },
    )
    assert response.status_code == 200, response.content
    after = response.json()
    assert after["quiet_hours"] == {"enabled": True, "start": "22:00:00", "end": "07:00:00"}
    imported = next(c for c in after["categories"] if c["category"] == "import")
    assert (imported["email"], imported["webhook"]) == (False, False)
    # Leaving quiet_hours out keeps them.
    kept = put(client, f"{API}/preferences", {"categories": []}).json()
    assert kept["quiet_hours"]["enabled"] is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"quiet_hours": {"enabled": True, "start": "25:00", "end": "07:00"}}, "quiet_hours.start"),
        ({"quiet_hours": {"enabled": True, "start": "22:00", "end": "22:00"}}, "quiet_hours.end"),
        ({"quiet_hours": {"enabled": True, "start": "22:00"}}, "quiet_hours.end"),
        ({"categories": [{"category": "gossip", "email": True, "webhook": True}]}, "categories"),
    ],
)
def test_preferences_validation(world: World, payload: dict[str, Any], field: str) -> None:
    response = put(login(world.employee), f"{API}/preferences", payload)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"], body


def test_categories_list(world: World) -> None:
    body = login(world.employee).get(f"{API}/categories").json()
    assert [c["category"] for c in body] == Category.values


def test_hr_manages_webhooks_and_never_sees_secrets(
    world: World, robot_server: RobotServer
) -> None:
    client = login(world.hr)
    created = post(
        client,
        f"{API}/webhooks",
        {
            "name": "销售群",
            "platform": "dingtalk",
            "url": robot_server.url("dingtalk"),
            "secret": DINGTALK_SECRET,
            "categories": ["review_reminder", "system"],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"] == "••••a1b2" and body["has_secret"] is True
    assert DINGTALK_TOKEN not in body["url"] and "access_token=" in body["url"]
    assert DINGTALK_SECRET not in created.content.decode()
    webhook_id = body["id"]

    listed = client.get(f"{API}/webhooks").json()
    assert [w["id"] for w in listed] == [webhook_id]
    assert DINGTALK_TOKEN not in json.dumps(listed)

    test = client.post(f"{API}/webhooks/{webhook_id}/test").json()
    assert test["ok"] is True and json.loads(test["answer"]) == {"errcode": 0, "errmsg": "ok"}
    assert robot_server.accepted()[0]["body"]["markdown"]["title"] == "绩效通知测试"

    # Leaving the secret and address out keeps them; a wrong secret is then reported.
    updated = put(
        client, f"{API}/webhooks/{webhook_id}", {"name": "销售一群", "secret": "SECwrong-secret"}
    )
    assert updated.status_code == 200
    assert updated.json()["name"] == "销售一群"
    failed = client.post(f"{API}/webhooks/{webhook_id}/test").json()
    assert failed["ok"] is False
    assert "310000" in failed["error"]
    assert json.loads(failed["answer"])["errcode"] == 310000
    detail = client.get(f"{API}/webhooks/{webhook_id}").json()
    assert detail["last_status"] == "failed" and "310000" in detail["last_error"]

    assert client.delete(f"{API}/webhooks/{webhook_id}").status_code == 204
    with scopes_disabled():
        assert not WebhookChannel.objects.exists()


def test_webhook_test_reports_an_unreachable_address(world: World) -> None:
    client = login(world.hr)
    created = post(
        client,
        f"{API}/webhooks",
        {
            "name": "坏地址",
            "platform": "wecom",
            "url": "http://127.0.0.1:9/cgi-bin/webhook/send?key=k",
        },
    ).json()
    result = client.post(f"{API}/webhooks/{created['id']}/test").json()
    assert result["ok"] is False and "connection failed" in result["error"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "群", "platform": "wecom", "url": "ftp://example.com/hook"}, "url"),
        ({"name": "群", "platform": "wecom", "url": "javascript:alert(1)"}, "url"),
        ({"name": "群", "platform": "wecom", "url": "example.com/hook"}, "url"),
        ({"name": "群", "platform": "slack", "url": "https://example.com/hook"}, "platform"),
        ({"name": " ", "platform": "wecom", "url": "https://example.com/hook"}, "name"),
        (
            {
                "name": "群",
                "platform": "wecom",
                "url": "https://x.example/hook",
                "categories": ["nope"],
            },
            "categories",
        ),
        ({"platform": "wecom", "url": "https://example.com/hook"}, "name"),
        ({"name": "群" * 101, "platform": "wecom", "url": "https://example.com/h"}, "name"),
        ({"name": "群", "platform": "wecom", "url": "https://example.com/" + "h" * 1000}, "url"),
        (
            {
                "name": "群",
                "platform": "dingtalk",
                "url": "https://example.com/h",
                "secret": "S" * 201,
            },
            "secret",
        ),
    ],
)
def test_webhook_validation(world: World, payload: dict[str, Any], field: str) -> None:
    response = post(login(world.hr), f"{API}/webhooks", payload)
    assert response.status_code == 422
    assert field in response.json()["fields"], response.json()


def test_self_hosted_proxy_addresses_are_accepted(world: World) -> None:
    response = post(
        login(world.hr),
        f"{API}/webhooks",
        {
            "name": "内网代理",
            "platform": "feishu",
            "url": "http://robot-proxy.intranet:8080/hook/abc",
        },
    )
    assert response.status_code == 201


def test_webhook_update_validates_too(world: World) -> None:
    client = login(world.hr)
    created = post(
        client, f"{API}/webhooks", {"name": "群", "platform": "wecom", "url": "https://x.example/h"}
    ).json()
    response = put(client, f"{API}/webhooks/{created['id']}", {"url": "gopher://x"})
    assert response.status_code == 422 and "url" in response.json()["fields"]


def test_api_token_can_read_the_inbox(world: World) -> None:
    _token, raw = _token_for(world.employee)
    fill_inbox(world.employee, 2)
    response = Client().get(API, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and response.json()["count"] == 2


def _token_for(user: User) -> tuple[Any, str]:
    from jixiao.core import services as core_services

    with scopes_disabled():
        return core_services.api_token_create(user=user, name="脚本", expires_at=None, actor=user)  # type: ignore[no-any-return]
