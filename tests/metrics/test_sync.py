"""Syncing pull sources end to end: real servers, the real ingest, failures half-way and resume."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum
from django.utils import timezone
from django_scopes import scopes_disabled

from jixiao.core.api_errors import ServiceError
from jixiao.metrics.connectors.base import config_masked, connector_config
from jixiao.metrics.models import IdentityLink, MetricEvent, MetricSource, SourceKind, SourceRun
from jixiao.metrics.services.sync import (
    next_sync_at,
    source_connection_test,
    source_sync,
    sources_due,
)
from jixiao.metrics.tasks import metric_source_sync, source_sync_run, sources_due_sync
from tests.conftest import World
from tests.metrics.connectors.crm_fake import FakeCrm, sample_records
from tests.metrics.connectors.git_repo import LI, shop_history
from tests.metrics.connectors.jira_fake import FakeJira, issue
from tests.metrics.connectors.servers import JsonServer, Reply, json_server

ZHAO = {"accountId": "acc-zhao", "emailAddress": "Zhao@XingHai.example"}
QIAN = {"accountId": "acc-li"}


def t(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def http_server() -> Iterator[JsonServer]:
    with json_server() as server:
        yield server


def _jira_issues() -> list[dict[str, object]]:
    return [
        issue("SHOP-1", assignee=ZHAO, created=t(2, 1), resolved=t(4, 13), points=3),
        issue("SHOP-2", assignee=QIAN, created=t(3, 1), resolved=t(5, 1), kind="Bug"),
        issue("SHOP-3", assignee=ZHAO, created=t(3, 2), resolved=t(6, 2)),
        issue("SHOP-4", assignee=ZHAO, created=t(6, 0), resolved=t(7, 12), kind="Bug", points=5),
        issue("SHOP-5", assignee={"accountId": "acc-stranger"}, created=t(6, 0), resolved=t(8, 9)),
    ]


def _jira_source(world: World, server: JsonServer, **config: object) -> MetricSource:
    IdentityLink.objects.create(
        company=world.company,
        identity="zhao@xinghai.example",
        employee=world.person(world.other_team),
    )
    IdentityLink.objects.create(
        company=world.company, identity="acc-li", employee=world.person(world.teammate)
    )
    return MetricSource.objects.create(
        company=world.company,
        name="Jira",
        kind=SourceKind.ISSUE_TRACKER,
        schedule_minutes=60,
        config={
            "base_url": server.url,
            "username": "jira-bot",
            "api_token": "tok-123",
            "time_zone": "Asia/Shanghai",
            "page_size": 2,
            "timeout_seconds": 1,
            **config,
        },
    )


def _counted(world: World, code: str, user: object) -> Decimal:
    total = MetricEvent.objects.filter(
        company=world.company,
        indicator__code=code,
        employee=world.person(user),  # type: ignore[arg-type]
        status="counted",
    ).aggregate(total=Sum("value"))["total"]
    return total or Decimal(0)


def test_a_500_half_way_keeps_the_pages_done_and_the_next_run_resumes(
    metrics_world: World, http_server: JsonServer
) -> None:
    world = metrics_world
    jira = FakeJira(_jira_issues(), failures={2: Reply(500, {"errorMessages": ["boom"]})})
    jira.install(http_server)
    source = _jira_source(world, http_server)

    first = source_sync(source=source, actor=None)  # Jira pages of 2; the second one fails

    assert not first.ok
    assert first.retryable
    assert "500" in first.error
    run = first.run
    assert run.status == SourceRun.Status.PARTIAL
    assert (
        run.created == 3 + 3
    )  # SHOP-1: resolved, points, cycle time; SHOP-2: resolved, bug, cycle
    source.refresh_from_db()
    assert source.failure_count == 1
    assert "500" in source.last_error
    assert source.last_success_at is None
    assert source.last_attempt_at is not None
    assert source.cursor == {"since": "2026/11/05 09:00", "skip": 1}
    assert run.cursor_after == source.cursor
    assert run.error_detail[-1]["code"] == "connector_error"
    assert _counted(world, "resolved_issues", world.other_team) == 1
    assert _counted(world, "bugs", world.teammate) == 1

    second = source_sync(source=source, actor=None, page_limit=2)  # and in pieces of 2 issues

    assert second.ok
    assert second.complete
    assert second.run.status == SourceRun.Status.SUCCEEDED
    assert second.run.cursor_before == first.run.cursor_after
    source.refresh_from_db()
    assert source.failure_count == 0
    assert source.last_error == ""
    assert source.last_success_at == second.run.started_at
    assert _counted(world, "resolved_issues", world.other_team) == 3
    assert _counted(world, "story_points", world.other_team) == 8
    assert _counted(world, "bugs", world.other_team) == 1
    assert second.run.unmatched == 2  # SHOP-5's assignee is in nobody's identity links
    stored = MetricEvent.objects.filter(source=source)
    assert stored.count() == 3 + 3 + 2 + 4 + 2
    assert stored.values("source_event_id").distinct().count() == stored.count()


def test_losing_the_cursor_counts_nothing_twice(
    metrics_world: World, http_server: JsonServer
) -> None:
    world = metrics_world
    FakeJira(_jira_issues()).install(http_server)
    source = _jira_source(world, http_server)
    first = source_sync(source=source, actor=None)
    assert first.ok
    total = MetricEvent.objects.filter(source=source).count()

    MetricSource.objects.filter(pk=source.pk).update(cursor={})
    source.refresh_from_db()
    again = source_sync(source=source, actor=None)
    assert again.ok
    assert again.run.created == 0
    assert again.run.duplicates == total
    assert MetricEvent.objects.filter(source=source).count() == total


def test_a_timeout_is_recorded_and_retried_later(
    metrics_world: World, http_server: JsonServer
) -> None:
    FakeJira(_jira_issues(), failures={0: Reply(200, {}, delay=2.5)}).install(http_server)
    source = _jira_source(metrics_world, http_server)
    result = source_sync(source=source, actor=None)
    assert "超时" in result.error
    assert result.retryable
    assert result.run.status == SourceRun.Status.FAILED
    source.refresh_from_db()
    assert source.cursor == {}
    assert source.failure_count == 1


def test_bad_config_and_wrong_credentials_are_not_retried(
    metrics_world: World, http_server: JsonServer
) -> None:
    FakeJira(_jira_issues()).install(http_server)
    source = _jira_source(metrics_world, http_server, api_token="wrong")
    result = source_sync(source=source, actor=None)
    assert "401" in result.error
    assert not result.retryable

    source.config = {"base_url": "not a url"}
    source.save()
    result = source_sync(source=source, actor=None)
    assert not result.retryable
    assert "base_url" in result.error
    assert result.run.status == SourceRun.Status.FAILED
    source.refresh_from_db()
    assert source.failure_count == 2


def test_refusals_before_fetching(metrics_world: World, http_server: JsonServer) -> None:
    source = _jira_source(metrics_world, http_server)
    SourceRun.objects.create(company=metrics_world.company, source=source)  # another run going on
    with pytest.raises(ServiceError) as caught:
        source_sync(source=source, actor=None)
    assert caught.value.code == "sync_running"
    source.enabled = False
    with pytest.raises(ServiceError) as caught:
        source_sync(source=source, actor=None)
    assert caught.value.code == "source_disabled"
    push = MetricSource.objects.create(
        company=metrics_world.company, name="推送", kind=SourceKind.PUSH
    )
    with pytest.raises(ServiceError) as caught:
        source_sync(source=push, actor=None)
    assert caught.value.code == "no_connector"


def test_git_source_sync_with_a_real_repository(
    metrics_world: World, tmp_path: Path, settings: pytest.FixtureRequest
) -> None:
    settings.VAR_DIR = tmp_path / "var"  # type: ignore[attr-defined]
    builder, ids = shop_history(tmp_path / "shop")
    world = metrics_world
    source = MetricSource.objects.create(
        company=world.company,
        name="商城代码库",
        kind=SourceKind.GIT,
        config={"url": f"file://{tmp_path / 'shop'}", "repo_name": "shop"},
    )
    IdentityLink.objects.create(
        company=world.company, source=source, identity="li@xinghai.example",
        employee=world.person(world.teammate),
    )  # fmt: skip
    result = source_sync(source=source, actor=world.hr, page_limit=1)
    assert result.ok and result.pages == 4
    assert _counted(world, "commits", world.teammate) == 2
    assert _counted(world, "merged_changes", world.teammate) == 1
    assert result.run.unmatched == 1  # 王姐's commit: her email is in no link
    builder.commit(LI, "Add customer filter", [ids["merge"]])
    later = source_sync(source=source, actor=world.hr)
    assert later.run.created == 1
    assert _counted(world, "commits", world.teammate) == 3


def test_crm_sync_feeds_the_ratio_parts(metrics_world: World, http_server: JsonServer) -> None:
    world = metrics_world
    FakeCrm(sample_records()).install(http_server)
    source = MetricSource.objects.create(
        company=world.company,
        name="CRM",
        kind=SourceKind.CRM,
        config={"base_url": http_server.url, "api_token": "crm-token"},
    )
    IdentityLink.objects.create(
        company=world.company,
        identity="wang@xinghai.example",
        employee=world.person(world.employee),
    )
    result = source_sync(source=source, actor=None)
    assert result.ok
    assert _counted(world, "order_amount", world.employee) == Decimal("15800.50")
    assert _counted(world, "repeat_customers", world.employee) == 1
    assert _counted(world, "customer_visits", world.employee) == 1


def test_schedule_backs_off_after_failures(metrics_world: World, http_server: JsonServer) -> None:
    source = _jira_source(metrics_world, http_server)
    now = timezone.now()
    assert next_sync_at(source) is not None  # never attempted: due now
    with scopes_disabled():
        assert source in sources_due(now=now)
    source.last_attempt_at = now - dt.timedelta(hours=2)
    source.save()
    assert next_sync_at(source) == source.last_attempt_at + dt.timedelta(hours=1)
    source.failure_count = 2
    source.save()
    assert next_sync_at(source) == source.last_attempt_at + dt.timedelta(hours=4)
    with scopes_disabled():
        assert source not in sources_due(now=now)
        source.schedule_minutes = None
        source.save()
        assert source not in sources_due(now=now)


def test_tasks_sync_due_sources(metrics_world: World, http_server: JsonServer) -> None:
    FakeJira(_jira_issues()).install(http_server)
    source = _jira_source(metrics_world, http_server)
    assert sources_due_sync() == [source.pk]
    source.refresh_from_db()
    assert source.last_success_at is not None
    assert sources_due_sync() == []  # just synced: not due for an hour

    outcome = source_sync_run(source_id=source.pk)
    assert outcome["status"] == SourceRun.Status.SUCCEEDED
    assert outcome["complete"] is True
    assert metric_source_sync.call_local(source.pk)["status"] == SourceRun.Status.SUCCEEDED
    assert source_sync_run(source_id=999999) == {"source": 999999, "status": "missing"}


def test_connection_test_of_a_saved_source(metrics_world: World, http_server: JsonServer) -> None:
    FakeJira(_jira_issues()).install(http_server)
    source = _jira_source(metrics_world, http_server)
    assert source_connection_test(source=source).ok
    source.config = {**source.config, "page_size": "many"}
    report = source_connection_test(source=source)
    assert not report.ok
    assert report.details == {"fields": {"page_size": ["应为整数。"]}}
    assert config_masked("issue_tracker", source.config)["api_token"] == "***"
    assert config_masked("issue_tracker", source.config)["username"] == "jira-bot"
    with pytest.raises(ServiceError) as caught:
        connector_config("git", {"branch": "main"})
    assert caught.value.fields == {"url": ["必填。"]}


def test_erp_rows_that_cannot_be_read_make_the_run_partial(
    metrics_world: World, tmp_path: Path, settings: pytest.FixtureRequest
) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    (tmp_path / "connector-files").mkdir()
    (tmp_path / "connector-files" / "daily.csv").write_text(
        "工号,日期,产量,不良数\nA004,2026-11-02,120,3\nA005,2026-11-02,很多,1\nA999,2026-11-02,5,0\n",
        encoding="utf-8",
    )
    source = MetricSource.objects.create(
        company=metrics_world.company, name="ERP", kind=SourceKind.ERP, config={"path": "daily.csv"}
    )
    result = source_sync(source=source, actor=None)
    assert result.ok
    run = result.run
    assert run.status == SourceRun.Status.PARTIAL
    assert run.created == 2
    assert run.errors == 2  # 工号 A999 is nobody: the ingest refuses both of its events
    codes = [entry["code"] for entry in run.error_detail]
    assert codes.count("skipped_record") == 1
    assert {"第 3 行：必须是数字。"} <= {entry["message"] for entry in run.error_detail}
    assert _counted(metrics_world, "output_units", metrics_world.employee) == 120
    assert _counted(metrics_world, "defective_units", metrics_world.employee) == 3
