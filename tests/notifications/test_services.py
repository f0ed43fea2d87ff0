"""notify() end to end: inbox rows, real mail through aiosmtpd, real robot posts, retries,
quiet hours with the clock moved by time-machine, idempotent re-runs, purging."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_scopes import scopes_disabled
from huey.contrib.djhuey import HUEY

from jixiao.core.models import User
from jixiao.notifications import services
from jixiao.notifications.models import (
    Category,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationPreference,
    QuietHours,
    WebhookChannel,
)
from jixiao.notifications.services import ChannelChoice, notify
from jixiao.notifications.tasks import (
    deliveries_requeue_stale,
    delivery_send,
    notifications_purge_nightly,
)
from tests.conftest import World
from tests.notifications.conftest import (
    DINGTALK_SECRET,
    FEISHU_SECRET,
    RobotServer,
    SmtpServer,
    free_port,
    run_due_tasks,
)

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]
UTC = dt.UTC
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def deliveries(**filters: Any) -> list[Delivery]:
    with scopes_disabled():
        return list(Delivery.objects.filter(**filters).order_by("pk"))


def robot(
    world: World, robot_server: RobotServer, platform: str = "dingtalk", **kwargs: Any
) -> WebhookChannel:
    secret = {"dingtalk": DINGTALK_SECRET, "feishu": FEISHU_SECRET}.get(platform, "")
    with scopes_disabled():
        return services.webhook_create(
            company=world.company,
            actor=world.hr,
            name=kwargs.pop("name", f"{platform} 销售群"),
            platform=platform,
            url=robot_server.url(platform),
            secret=secret,
            categories=kwargs.pop("categories", [Category.REVIEW_REMINDER]),
            **kwargs,
        )


def quiet_hours(user: User, start: dt.time, end: dt.time, time_zone: str = "") -> None:
    if time_zone:
        user.time_zone = time_zone
        user.save(update_fields=["time_zone"])
    services.preferences_update(
        user=user, channels={}, quiet_enabled=True, quiet_start=start, quiet_end=end
    )


# --- inbox and mail ----------------------------------------------------------------------


def test_notify_fills_each_inbox_and_mails_after_commit(
    world: World, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(
            recipients=[world.employee, world.teammate, world.employee],
            category=Category.REVIEW_REMINDER,
            title="Q3 考核自评开始",
            body="请在 10 月 15 日前完成自评。",
            link="/reviews/3/",
            context={"cycle_id": 3},
        )
        assert smtp_server.messages == []  # nothing leaves before the commit
    assert len(created) == 2  # the duplicate recipient gets one message
    with scopes_disabled():
        mine = Notification.objects.get(recipient=world.employee)
    assert mine.title == "Q3 考核自评开始"
    assert mine.context == {"cycle_id": 3}
    assert mine.company == world.company
    assert mine.read_at is None

    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        [world.employee.email, world.teammate.email]
    )
    mail = smtp_server.messages[0]
    assert mail["Subject"] == "【星海外贸】Q3 考核自评开始"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "请在 10 月 15 日前完成自评。" in text
    assert "http://127.0.0.1:8000/reviews/3/" in text
    assert mail.get_body(preferencelist=("html",)) is not None
    sent = deliveries(channel="email")
    assert [d.status for d in sent] == [DeliveryStatus.SENT] * 2
    assert all(d.attempts == 1 and d.sent_at is not None for d in sent)


def test_rolled_back_transaction_notifies_no_one(
    world: World, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Capture
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        notify(recipients=[world.employee], category=Category.SYSTEM, title="不会发出")
        raise RuntimeError("the surrounding change failed")
    assert callbacks == []
    assert smtp_server.messages == []
    with scopes_disabled():
        assert not Notification.objects.exists()


def test_mail_uses_the_readers_language(
    world: World, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Capture
) -> None:
    world.teammate.language = "en"
    world.teammate.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[world.employee, world.teammate],
            category=Category.SYSTEM,
            title=gettext_lazy("系统维护通知"),
        )
    languages = {m["To"]: m["Content-Language"] for m in smtp_server.messages}
    assert languages == {world.employee.email: "zh-hans", world.teammate.email: "en"}


def test_email_preference_off_means_inbox_only(
    world: World, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Capture
) -> None:
    services.preferences_update(
        user=world.employee,
        channels={Category.IMPORT: ChannelChoice(email=False, webhook=False)},
        quiet_enabled=False,
        quiet_start=None,
        quiet_end=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[world.employee], category=Category.IMPORT, title="导入完成")
        notify(recipients=[world.employee], category=Category.SYSTEM, title="系统通知")
    assert [m["Subject"] for m in smtp_server.messages] == ["【星海外贸】系统通知"]
    with scopes_disabled():
        assert Notification.objects.filter(recipient=world.employee).count() == 2


def test_inactive_users_are_skipped_and_unknown_categories_refused(world: World) -> None:
    world.teammate.is_active = False
    world.teammate.save(update_fields=["is_active"])
    assert (
        notify(recipients=[world.teammate, world.platform_admin], category="system", title="x")
        == []
    )
    with pytest.raises(ValueError, match="category"):
        notify(recipients=[world.employee], category="gossip", title="x")


def test_smtp_failure_is_recorded_and_retried(
    world: World, settings: Any, django_capture_on_commit_callbacks: Capture
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens here
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[world.employee], category=Category.ACCOUNT, title="密码已修改")
    (delivery,) = deliveries(channel="email")
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.attempts == 1
    assert "ConnectionRefusedError" in delivery.last_error
    assert HUEY.scheduled_count() == 1


# --- group robots ------------------------------------------------------------------------


@pytest.mark.parametrize("platform", ["dingtalk", "feishu", "wecom"])
def test_robot_gets_one_message_naming_everyone(
    world: World,
    robot_server: RobotServer,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
    platform: str,
) -> None:
    channel = robot(world, robot_server, platform)
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[world.employee, world.teammate],
            category=Category.REVIEW_REMINDER,
            title="自评截止提醒",
            body="自评将于周五 18:00 截止。",
            link="/reviews/",
        )
    (received,) = robot_server.accepted()
    text = json.dumps(received["body"], ensure_ascii=False)
    assert "自评截止提醒" in text and "王姐" in text and "李哥" in text
    assert "http://127.0.0.1:8000/reviews/" in text
    (delivery,) = deliveries(channel="webhook")
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.webhook_id == channel.pk
    assert json.loads(delivery.response) in (
        {"errcode": 0, "errmsg": "ok"},
        {"code": 0, "data": {}, "msg": "success"},
    )
    channel.refresh_from_db()
    assert channel.last_status == DeliveryStatus.SENT


def test_robot_only_gets_its_categories_and_only_when_enabled(
    world: World, robot_server: RobotServer, django_capture_on_commit_callbacks: Capture
) -> None:
    robot(world, robot_server, "wecom", name="考核群", categories=[Category.REVIEW_REMINDER])
    robot(
        world, robot_server, "wecom", name="停用的群", categories=[Category.SYSTEM], enabled=False
    )
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[world.employee], category=Category.SYSTEM, title="系统通知")
        notify(recipients=[world.employee], category=Category.ACCOUNT, title="账号通知")
        notify(
            recipients=[world.outsider], category=Category.REVIEW_REMINDER, title="别家公司的提醒"
        )
    assert robot_server.received == []
    assert deliveries(channel="webhook") == []


def test_people_who_turned_the_robot_off_are_left_out(
    world: World, robot_server: RobotServer, django_capture_on_commit_callbacks: Capture
) -> None:
    robot(world, robot_server, "wecom")
    services.preferences_update(
        user=world.teammate,
        channels={Category.REVIEW_REMINDER: ChannelChoice(email=True, webhook=False)},
        quiet_enabled=False,
        quiet_start=None,
        quiet_end=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[world.employee, world.teammate],
            category=Category.REVIEW_REMINDER,
            title="提醒",
        )
        notify(recipients=[world.teammate], category=Category.REVIEW_REMINDER, title="只给李哥")
    (received,) = robot_server.accepted()
    content = received["body"]["markdown"]["content"]
    assert "王姐" in content and "李哥" not in content


def test_failed_post_is_recorded_and_retried_with_backoff(
    world: World, robot_server: RobotServer, django_capture_on_commit_callbacks: Capture
) -> None:
    channel = robot(world, robot_server, "dingtalk")
    robot_server.fail_next = 2
    start = dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            notify(recipients=[world.employee], category=Category.REVIEW_REMINDER, title="提醒")
        (delivery,) = deliveries(channel="webhook")
        assert delivery.status == DeliveryStatus.RETRYING
        assert delivery.attempts == 1
        assert delivery.last_error == "HTTP 503"
        assert "系统繁忙" in delivery.response
        channel.refresh_from_db()
        assert channel.last_status == DeliveryStatus.RETRYING

        (task,) = HUEY.scheduled()
        assert task.eta == dt.datetime(2026, 3, 10, 2, 1)  # 1 minute later (Huey keeps naive UTC)
        clock.shift(dt.timedelta(seconds=59))
        assert run_due_tasks() == 0
        clock.shift(dt.timedelta(seconds=1))
        assert run_due_tasks() == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, 2)
        (task,) = HUEY.scheduled()
        assert task.eta == dt.datetime(2026, 3, 10, 2, 3)  # then 2 minutes

        clock.shift(dt.timedelta(minutes=2))
        assert run_due_tasks() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 3, "")
    assert len(robot_server.received) == 3
    assert len(robot_server.accepted()) == 1
    assert HUEY.scheduled() == []


def test_bad_signature_gives_up_after_the_last_attempt(
    world: World, robot_server: RobotServer, django_capture_on_commit_callbacks: Capture
) -> None:
    channel = robot(world, robot_server, "dingtalk")
    with scopes_disabled():
        WebhookChannel.objects.filter(pk=channel.pk).update(secret="SECwrong-secret-value")
    with time_machine.travel(dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC), tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            notify(recipients=[world.employee], category=Category.REVIEW_REMINDER, title="提醒")
        for _attempt in range(services.MAX_ATTEMPTS - 1):
            clock.shift(dt.timedelta(hours=1))
            assert run_due_tasks() == 1
    (delivery,) = deliveries(channel="webhook")
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == services.MAX_ATTEMPTS
    assert "310000" in delivery.last_error
    assert HUEY.scheduled() == []
    channel.refresh_from_db()
    assert channel.last_status == DeliveryStatus.FAILED
    assert "310000" in channel.last_error


def test_backoff_doubles_and_is_capped() -> None:
    assert [services.retry_delay_seconds(n) for n in range(1, 8)] == [
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
    ]


def test_running_a_delivery_twice_sends_once(
    world: World,
    robot_server: RobotServer,
    smtp_server: SmtpServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    robot(world, robot_server, "feishu")
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[world.employee], category=Category.REVIEW_REMINDER, title="提醒")
    assert len(smtp_server.messages) == 1 and len(robot_server.received) == 1
    for delivery in deliveries():
        delivery_send(delivery.pk)  # Huey delivers a task twice, e.g. after a worker restart
        delivery_send.call_local(delivery.pk)
    assert len(smtp_server.messages) == 1 and len(robot_server.received) == 1
    assert [d.attempts for d in deliveries()] == [1, 1]
    assert delivery_send.call_local(999_999) == "skipped"


def test_a_delivery_being_sent_elsewhere_is_not_sent_again(
    world: World, smtp_server: SmtpServer
) -> None:
    notify(recipients=[world.employee], category=Category.SYSTEM, title="通知")  # not committed
    (delivery,) = deliveries(channel="email")
    with scopes_disabled():
        Delivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now())
    assert services.delivery_attempt(delivery_id=delivery.pk) is None
    assert smtp_server.messages == []
    # A claim left behind by a crashed worker expires.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=6)):
        assert services.delivery_attempt(delivery_id=delivery.pk) is not None
    assert len(smtp_server.messages) == 1


def test_lost_queue_tasks_are_picked_up_by_the_sweeper(
    world: World, smtp_server: SmtpServer, robot_server: RobotServer
) -> None:
    robot(world, robot_server, "wecom")
    start = dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        # Committed, but the process died before the on-commit enqueue ran.
        notify(recipients=[world.employee], category=Category.REVIEW_REMINDER, title="提醒")
        clock.shift(dt.timedelta(minutes=10))
        assert deliveries_requeue_stale.call_local() == 0  # not overdue yet
        clock.shift(dt.timedelta(minutes=6))
        assert deliveries_requeue_stale.call_local() == 2
    assert len(smtp_server.messages) == 1
    assert len(robot_server.accepted()) == 1
    assert {d.status for d in deliveries()} == {DeliveryStatus.SENT}
    assert deliveries_requeue_stale.call_local() == 0


def test_sweeper_leaves_scheduled_and_recently_failed_deliveries_alone(
    world: World, robot_server: RobotServer, django_capture_on_commit_callbacks: Capture
) -> None:
    quiet_hours(world.employee, dt.time(22), dt.time(7))
    robot(world, robot_server, "wecom")
    robot_server.fail_next = 1
    with time_machine.travel(
        dt.datetime(2026, 3, 10, 23, 30, tzinfo=SHANGHAI), tick=False
    ) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            notify(recipients=[world.employee], category=Category.REVIEW_REMINDER, title="提醒")
        clock.shift(dt.timedelta(minutes=10))
        # The email waits for 07:00; the robot retry was due 9 minutes ago, still in Huey's hands.
        assert services.deliveries_stale(now=timezone.now()) == []
        clock.shift(dt.timedelta(hours=1))
        # The retry task should have run long ago: the sweeper takes it over.
        (stale,) = services.deliveries_stale(now=timezone.now())
        assert stale == deliveries(channel="webhook")[0].pk


def test_queued_delivery_to_a_robot_since_disabled_is_not_posted(
    world: World, robot_server: RobotServer
) -> None:
    channel = robot(world, robot_server, "wecom")
    notify(
        recipients=[world.employee], category=Category.REVIEW_REMINDER, title="提醒"
    )  # not committed
    services.webhook_update(channel=channel, actor=world.hr, enabled=False)
    (delivery,) = deliveries(channel="webhook")
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING
    assert "停用" in delivery.last_error
    assert robot_server.received == []


# --- quiet hours ----------------------------------------------------------------------------


def test_wang_jie_gets_the_late_reminder_at_seven(
    world: World,
    smtp_server: SmtpServer,
    robot_server: RobotServer,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    # 王姐 (Shanghai, the company's zone) keeps 22:00–07:00 quiet.
    quiet_hours(world.employee, dt.time(22), dt.time(7))
    robot(world, robot_server, "wecom")
    evening = dt.datetime(2026, 3, 10, 23, 30, tzinfo=SHANGHAI)
    with time_machine.travel(evening, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            notify(recipients=[world.employee], category=Category.REVIEW_REMINDER, title="自评提醒")
        (email_delivery,) = deliveries(channel="email")
        assert email_delivery.status == DeliveryStatus.QUEUED
        assert email_delivery.scheduled_for == dt.datetime(2026, 3, 11, 7, 0, tzinfo=SHANGHAI)
        assert smtp_server.messages == []
        # The group robot is not personal: it is not held by her quiet hours.
        assert len(robot_server.accepted()) == 1
        assert HUEY.scheduled_count() == 1

        clock.move_to(dt.datetime(2026, 3, 11, 6, 59, 59, tzinfo=SHANGHAI))
        assert run_due_tasks() == 0
        clock.move_to(dt.datetime(2026, 3, 11, 7, 0, 0, tzinfo=SHANGHAI))
        assert run_due_tasks() == 1
    assert [m["To"] for m in smtp_server.messages] == [world.employee.email]
    email_delivery.refresh_from_db()
    assert email_delivery.status == DeliveryStatus.SENT
    assert email_delivery.sent_at == dt.datetime(2026, 3, 11, 7, 0, tzinfo=SHANGHAI)


def test_urgent_message_ignores_quiet_hours(
    world: World, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Capture
) -> None:
    quiet_hours(world.employee, dt.time(22), dt.time(7))
    with (
        time_machine.travel(dt.datetime(2026, 3, 10, 23, 30, tzinfo=SHANGHAI), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify(
            recipients=[world.employee],
            category=Category.ACCOUNT,
            title="账号被锁定",
            urgent=True,
        )
    assert len(smtp_server.messages) == 1
    assert HUEY.scheduled_count() == 0


def test_li_ge_in_berlin_is_held_by_his_own_clock_across_dst(
    world: World, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Capture
) -> None:
    # 李哥 calls German customers until late and set his zone to Berlin; he sleeps
    # 01:00–09:00 there. The night clocks jump forward, 09:00 CEST is 07:00 UTC.
    quiet_hours(world.teammate, dt.time(1), dt.time(9), time_zone="Europe/Berlin")
    quiet_hours(world.employee, dt.time(22), dt.time(7))
    at = dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET in Berlin, 08:30 in Shanghai
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        notify(
            recipients=[world.employee, world.teammate],
            category=Category.SYSTEM,
            title="系统通知",
        )
    assert [m["To"] for m in smtp_server.messages] == [world.employee.email]
    (held,) = deliveries(status=DeliveryStatus.QUEUED)
    assert held.notification.recipient_id == world.teammate.pk
    assert held.scheduled_for == dt.datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_quiet_hours_need_two_different_times(world: World) -> None:
    from jixiao.core.api_errors import ServiceError

    with pytest.raises(ServiceError) as caught:
        services.preferences_update(
            user=world.employee,
            channels={},
            quiet_enabled=True,
            quiet_start=dt.time(9),
            quiet_end=dt.time(9),
        )
    assert "quiet_hours.end" in caught.value.fields
    with pytest.raises(ServiceError) as caught:
        services.preferences_update(
            user=world.employee, channels={}, quiet_enabled=True, quiet_start=None, quiet_end=None
        )
    assert set(caught.value.fields) == {"quiet_hours.start", "quiet_hours.end"}
    with scopes_disabled():
        assert not QuietHours.objects.exists()
        assert not NotificationPreference.objects.exists()


# --- inbox housekeeping ---------------------------------------------------------------------


def test_mark_read_and_read_all_touch_only_my_inbox(world: World) -> None:
    mine = notify(recipients=[world.employee], category=Category.SYSTEM, title="一")
    notify(recipients=[world.employee], category=Category.SYSTEM, title="二")
    notify(recipients=[world.teammate], category=Category.SYSTEM, title="李哥的")
    services.notification_mark_read(notification=mine[0])
    first_read = mine[0].read_at
    services.notification_mark_read(notification=mine[0])
    assert mine[0].read_at == first_read  # reading twice keeps the first time
    assert services.notifications_mark_all_read(user=world.employee) == 1
    with scopes_disabled():
        assert (
            Notification.objects.filter(recipient=world.teammate, read_at__isnull=True).count() == 1
        )


def test_purge_deletes_only_old_read_notifications(world: World) -> None:
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        old_read, _old_unread = (
            notify(recipients=[world.employee], category=Category.SYSTEM, title=t)[0]
            for t in ("旧已读", "旧未读")
        )
        services.notification_mark_read(notification=old_read)
    with time_machine.travel(dt.datetime(2026, 6, 29, tzinfo=UTC), tick=False):
        recent = notify(recipients=[world.employee], category=Category.SYSTEM, title="新已读")[0]
        services.notification_mark_read(notification=recent)
    with time_machine.travel(dt.datetime(2026, 6, 30, 1, 0, tzinfo=UTC), tick=False):
        assert notifications_purge_nightly.call_local() == 1  # 180 days after 2026-01-01 is 06-30
        assert notifications_purge_nightly.call_local() == 0
    with scopes_disabled():
        assert set(Notification.objects.values_list("title", flat=True)) == {"旧未读", "新已读"}


def test_webhook_secrets_are_masked_in_the_audit_trail(
    world: World, robot_server: RobotServer
) -> None:
    from jixiao.audit.models import AuditEvent

    channel = robot(world, robot_server, "dingtalk")
    services.webhook_update(channel=channel, actor=world.hr, secret="SECanother-secret-1234")
    with scopes_disabled():
        events = list(
            AuditEvent.objects.filter(action__startswith="notifications.webhook").order_by("pk")
        )
    assert [e.action for e in events] == [
        "notifications.webhook.create",
        "notifications.webhook.update",
    ]
    dumped = json.dumps([e.changes for e in events], ensure_ascii=False)
    assert DINGTALK_SECRET not in dumped and "SECanother-secret-1234" not in dumped
    assert "ding-access-token-0123456789" not in dumped
    assert events[1].changes["secret"] == ["••••a1b2", "••••1234"]
