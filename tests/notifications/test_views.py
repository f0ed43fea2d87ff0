"""The pages: inbox with htmx read marks and the polled badge, preferences, robot settings."""

from __future__ import annotations

import datetime as dt

import pytest
from django_scopes import scopes_disabled

from jixiao.notifications import selectors, services
from jixiao.notifications.models import Category, Notification, QuietHours, WebhookChannel
from tests.conftest import World, login
from tests.notifications.conftest import DINGTALK_SECRET, DINGTALK_TOKEN, RobotServer

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def test_base_page_polls_the_unread_badge(world: World) -> None:
    html = login(world.employee).get("/").content.decode()
    assert 'hx-get="/notifications/unread-count/"' in html
    assert "notifications-changed from:body" in html


def test_badge_counts_unread(world: World) -> None:
    client = login(world.employee)
    assert 'data-count="0"' in client.get("/notifications/unread-count/").content.decode()
    services.notify(recipients=[world.employee], category=Category.SYSTEM, title="一")
    services.notify(recipients=[world.employee], category=Category.SYSTEM, title="二")
    services.notify(recipients=[world.teammate], category=Category.SYSTEM, title="别人的")
    badge = client.get("/notifications/unread-count/").content.decode()
    assert 'data-count="2"' in badge and '<span class="badge warn">2</span>' in badge


def test_inbox_lists_mine_and_marks_read_with_htmx(world: World) -> None:
    (note,) = services.notify(
        recipients=[world.employee],
        category=Category.REVIEW_REMINDER,
        title="自评提醒",
        body="周五截止",
        link="/reviews/",
    )
    services.notify(recipients=[world.teammate], category=Category.SYSTEM, title="李哥的通知")
    client = login(world.employee)
    page = client.get("/notifications/").content.decode()
    assert "自评提醒" in page and "李哥的通知" not in page
    assert "考核提醒" in page  # category label
    assert f'hx-post="/notifications/{note.pk}/read/"' in page

    response = client.post(f"/notifications/{note.pk}/read/", **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    fragment = response.content.decode()
    assert f'<li id="notification-{note.pk}" class="notification" ' in fragment
    assert "<html" not in fragment
    assert '<span id="inbox-unread-count" hx-swap-oob="true">0</span>' in fragment
    note.refresh_from_db()
    assert note.read_at is not None


def test_inbox_unread_filter_and_htmx_list(world: World) -> None:
    (first,) = services.notify(
        recipients=[world.employee], category=Category.SYSTEM, title="已读的"
    )
    services.notify(recipients=[world.employee], category=Category.SYSTEM, title="未读的")
    services.notification_mark_read(notification=first)
    fragment = login(world.employee).get("/notifications/?unread=1", **HTMX).content.decode()
    assert "未读的" in fragment and "已读的" not in fragment
    assert fragment.startswith('<div id="inbox-list"')


def test_mark_all_read(world: World) -> None:
    for title in ("一", "二", "三"):
        services.notify(recipients=[world.employee], category=Category.SYSTEM, title=title)
    client = login(world.employee)
    response = client.post("/notifications/read-all/", **HTMX)
    assert response["HX-Trigger"] == "notifications-changed"
    assert selectors.unread_count(viewer=world.employee) == 0
    assert "mark-all-read" not in response.content.decode()
    assert client.post("/notifications/read-all/").status_code == 302


def test_opening_marks_read_and_follows_only_local_links(world: World) -> None:
    local, outside = (
        services.notify(
            recipients=[world.employee], category=Category.SYSTEM, title="t", link=link
        )[0]
        for link in ("/org/employees/", "https://evil.example/phish")
    )
    client = login(world.employee)
    assert client.get(f"/notifications/{local.pk}/open/")["Location"] == "/org/employees/"
    assert client.get(f"/notifications/{outside.pk}/open/")["Location"] == "/notifications/"
    with scopes_disabled():
        assert not Notification.objects.filter(
            recipient=world.employee, read_at__isnull=True
        ).exists()


def test_inbox_paginates(world: World) -> None:
    for i in range(25):
        services.notify(recipients=[world.employee], category=Category.SYSTEM, title=f"第{i}条")
    client = login(world.employee)
    first = client.get("/notifications/").content.decode()
    assert "第24条" in first and "第4条" not in first
    second = client.get("/notifications/?page=2").content.decode()
    assert "第4条" in second and "第 2 / 2 页" in second


def test_preferences_page_saves_channels_and_quiet_hours(world: World) -> None:
    client = login(world.employee)
    page = client.get("/notifications/preferences/").content.decode()
    assert "Asia/Shanghai" in page and 'name="email_import"' in page
    data = {f"email_{c}": "on" for c in Category.values if c != "import"}
    data.update(
        {
            "webhook_system": "on",
            "quiet_enabled": "on",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
        }
    )
    response = client.post("/notifications/preferences/", data)
    assert response.status_code == 302
    prefs = selectors.preferences_of(viewer=world.employee)
    chosen = {c.category: (c.email, c.webhook) for c in prefs.categories}
    assert chosen["import"] == (False, False)
    assert chosen["system"] == (True, True)
    assert chosen["review_reminder"] == (True, False)
    assert (prefs.quiet_enabled, prefs.quiet_start, prefs.quiet_end) == (
        True,
        dt.time(22),
        dt.time(7),
    )


def test_preferences_page_shows_field_errors(world: World) -> None:
    client = login(world.employee)
    response = client.post(
        "/notifications/preferences/",
        {"quiet_enabled": "on", "quiet_start": "08:00", "quiet_end": "08:00"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "结束时间不能与开始时间相同。" in html and 'id="id_quiet_end_error"' in html
    bad = client.post(
        "/notifications/preferences/",
        {"quiet_enabled": "on", "quiet_start": "25:61", "quiet_end": "07:00"},
    )
    assert 'id="id_quiet_start_error"' in bad.content.decode()
    with scopes_disabled():
        assert not QuietHours.objects.exists()


def test_hr_adds_edits_tests_and_deletes_a_robot(world: World, robot_server: RobotServer) -> None:
    client = login(world.hr)
    assert "还没有配置群机器人" in client.get("/notifications/webhooks/").content.decode()
    response = client.post(
        "/notifications/webhooks/new/",
        {
            "name": "销售群",
            "platform": "dingtalk",
            "url": robot_server.url("dingtalk"),
            "secret": DINGTALK_SECRET,
            "enabled": "on",
            "categories": ["review_reminder"],
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        channel = WebhookChannel.objects.get()
    edit_page = client.get(f"/notifications/webhooks/{channel.pk}/").content.decode()
    assert DINGTALK_SECRET not in edit_page and DINGTALK_TOKEN not in edit_page
    assert "••••a1b2" in edit_page
    listing = client.get("/notifications/webhooks/").content.decode()
    assert DINGTALK_SECRET not in listing and DINGTALK_TOKEN not in listing and "销售群" in listing

    result = client.post(f"/notifications/webhooks/{channel.pk}/test/", **HTMX).content.decode()
    assert 'data-ok="true"' in result and "errcode" in result

    # Saving with the address and secret left blank keeps both.
    client.post(
        f"/notifications/webhooks/{channel.pk}/",
        {
            "name": "销售一群",
            "platform": "dingtalk",
            "url": "",
            "secret": "",
            "enabled": "on",
            "categories": ["system"],
        },
    )
    channel.refresh_from_db()
    assert (channel.name, channel.secret, channel.categories) == (
        "销售一群",
        DINGTALK_SECRET,
        ["system"],
    )
    assert channel.url == robot_server.url("dingtalk")

    client.post(
        f"/notifications/webhooks/{channel.pk}/",
        {
            "name": "销售一群",
            "platform": "dingtalk",
            "url": "",
            "secret": "",
            "clear_secret": "on",
            "enabled": "on",
        },
    )
    channel.refresh_from_db()
    assert channel.secret == ""
    failed = client.post(f"/notifications/webhooks/{channel.pk}/test/", **HTMX).content.decode()
    assert 'data-ok="false"' in failed and "310000" in failed

    not_htmx = client.post(f"/notifications/webhooks/{channel.pk}/test/")
    assert not_htmx.status_code == 302

    client.post(f"/notifications/webhooks/{channel.pk}/toggle/")
    channel.refresh_from_db()
    assert channel.enabled is False

    response = client.post(f"/notifications/webhooks/{channel.pk}/delete/", **HTMX)
    assert response["HX-Redirect"] == "/notifications/webhooks/"
    with scopes_disabled():
        assert not WebhookChannel.objects.exists()


def test_robot_form_shows_scheme_error(world: World) -> None:
    response = login(world.hr).post(
        "/notifications/webhooks/new/",
        {"name": "群", "platform": "wecom", "url": "ftp://example.com/x", "categories": ["system"]},
    )
    assert response.status_code == 200
    assert "必须以 http:// 或 https:// 开头" in response.content.decode()
