"""The Jira-format connector against a real local HTTP server speaking Jira's search API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jixiao.core.api_errors import ServiceError
from jixiao.metrics.connectors.base import ConnectorError, config_from_dict, connector_for
from jixiao.metrics.connectors.issue_tracker import IssueTrackerConfig
from tests.metrics.connectors.jira_fake import FakeJira, issue
from tests.metrics.connectors.servers import JsonServer, Reply

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
ZHAO = {"accountId": "5b10ac8d82e05b22cc7d4ef5", "emailAddress": "Zhao@XingHai.example"}
QIAN = {"accountId": "5b10a2844c20165700ede21g"}  # Jira Cloud hides this person's email


def t(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC)


def _issues() -> list[dict[str, object]]:
    return [
        issue("SHOP-1", assignee=ZHAO, created=t(2, 1), resolved=t(4, 13), points=3),
        issue("SHOP-2", assignee=QIAN, created=t(3, 1), resolved=t(5, 1), kind="Bug"),
        issue("SHOP-3", assignee=ZHAO, created=t(3, 2), resolved=None),
        issue("SHOP-4", assignee=None, created=t(3, 2), resolved=t(6, 2)),
        issue("SHOP-5", assignee=ZHAO, created=t(6, 0), resolved=t(7, 12), kind="Bug", points=5),
        issue("SHOP-6", assignee=QIAN, created=t(6, 0), resolved=t(8, 9), points=2.5),
    ]


def _config(server: JsonServer, **extra: object) -> IssueTrackerConfig:
    return config_from_dict(
        IssueTrackerConfig,
        {
            "base_url": server.url,
            "jql": "project = SHOP",
            "username": "jira-bot",
            "api_token": "tok-123",
            "time_zone": "Asia/Shanghai",
            "page_size": 2,
            "timeout_seconds": 1,
            **extra,
        },
    )


def test_resolved_issues_bugs_points_and_cycle_time_over_pages(http_server: JsonServer) -> None:
    FakeJira(_issues()).install(http_server)
    batch = connector_for("issue_tracker").fetch(_config(http_server), {}, now=NOW)

    assert batch.complete
    assert len(http_server.requests_to("/rest/api/2/search")) == 3  # 5 resolved, pages of 2
    jql = http_server.requests_to("/rest/api/2/search")[0]["jql"]
    assert jql == "(project = SHOP) AND resolution is not EMPTY ORDER BY updated ASC, key ASC"
    codes: dict[str, list[tuple[str, Decimal]]] = {}
    for item in batch.items:
        codes.setdefault(item.indicator_code, []).append((item.identity, item.value))
    zhao, qian = "zhao@xinghai.example", QIAN["accountId"]
    assert codes["resolved_issues"] == [
        (zhao, 1),
        (qian, 1),
        (zhao, 1),
        (qian, 1),
    ]  # SHOP-4 unassigned
    assert codes["bugs"] == [(qian, 1), (zhao, 1)]
    assert codes["story_points"] == [(zhao, 3), (zhao, 5), (qian, Decimal("2.5"))]
    assert codes["cycle_time_days"] == [
        (zhao, Decimal("2.50")),
        (qian, Decimal("2.00")),
        (zhao, Decimal("1.50")),
        (qian, Decimal("2.38")),
    ]
    first = batch.items[0]
    assert first.source_event_id == "SHOP-1@20261104T130000Z:resolved_issues"
    assert first.occurred_at == t(4, 13)
    assert first.evidence_url == f"{http_server.url}/browse/SHOP-1"
    assert first.evidence == {"issue": "SHOP-1", "summary": "Work on SHOP-1", "type": "Story"}
    # The cursor is the last issue's updated minute in the Jira user's zone (UTC+8).
    assert batch.cursor == {"since": "2026/11/08 17:00", "skip": 1}

    again = connector_for("issue_tracker").fetch(_config(http_server), batch.cursor, now=NOW)
    assert again.items == []
    assert again.complete
    assert (
        'updated >= "2026/11/08 17:00"' in http_server.requests_to("/rest/api/2/search")[-1]["jql"]
    )


def test_a_500_half_way_keeps_the_good_pages_and_resumes_from_the_cursor(
    http_server: JsonServer,
) -> None:
    jira = FakeJira(_issues(), failures={2: Reply(500, {"errorMessages": ["boom"]})})
    jira.install(http_server)
    connector = connector_for("issue_tracker")

    with pytest.raises(ConnectorError) as caught:
        connector.fetch(_config(http_server), {}, now=NOW)
    error = caught.value
    assert "500" in error.message
    assert error.retryable
    assert {item.evidence["issue"] for item in error.items} == {"SHOP-1", "SHOP-2"}
    assert error.cursor == {"since": "2026/11/05 09:00", "skip": 1}

    resumed = connector.fetch(_config(http_server), error.cursor, now=NOW)
    assert resumed.complete
    assert {item.evidence["issue"] for item in resumed.items} == {"SHOP-5", "SHOP-6"}
    all_ids = [item.source_event_id for item in error.items + resumed.items]
    assert len(all_ids) == len(set(all_ids)) == 4 + 2 + 3 + 4


def test_a_timeout_is_a_clear_error_and_keeps_what_came_before(http_server: JsonServer) -> None:
    jira = FakeJira(_issues(), failures={4: Reply(200, {}, delay=2.5)})
    jira.install(http_server)
    with pytest.raises(ConnectorError) as caught:
        connector_for("issue_tracker").fetch(_config(http_server), {}, now=NOW)
    assert "超时" in caught.value.message
    kept = {item.evidence["issue"] for item in caught.value.items}
    assert kept == {"SHOP-1", "SHOP-2", "SHOP-5"}  # SHOP-4 was taken too, but is unassigned
    assert caught.value.cursor == {"since": "2026/11/07 20:00", "skip": 1}


def test_many_issues_in_one_minute_page_through_with_a_small_limit(
    http_server: JsonServer,
) -> None:
    same = t(10, 3, 30)
    issues = [
        issue(f"OPS-{n}", assignee=ZHAO, created=t(9, 3), resolved=same, updated=same)
        for n in range(1, 6)
    ]
    FakeJira(issues).install(http_server)
    connector = connector_for("issue_tracker")
    cursor: dict[str, object] = {}
    keys: list[str] = []
    for _round in range(10):
        batch = connector.fetch(_config(http_server), cursor, now=NOW, limit=2)
        keys += [i.evidence["issue"] for i in batch.items if i.indicator_code == "resolved_issues"]
        cursor = batch.cursor
        if batch.complete:
            break
    assert keys == ["OPS-1", "OPS-2", "OPS-3", "OPS-4", "OPS-5"]


def test_wrong_credentials_are_not_retried_and_the_test_says_so(http_server: JsonServer) -> None:
    FakeJira(_issues()).install(http_server)
    connector = connector_for("issue_tracker")
    report = connector.connection_test(_config(http_server, api_token="wrong"))
    assert not report.ok
    assert "401" in report.message
    with pytest.raises(ConnectorError) as caught:
        connector.fetch(_config(http_server, api_token="wrong"), {}, now=NOW)
    assert not caught.value.retryable
    good = connector.connection_test(_config(http_server))
    assert good.ok
    assert good.details == {"user": "Jira Bot", "total": 5}


def test_a_refused_query_is_not_retried(http_server: JsonServer) -> None:
    http_server.route(
        "/rest/api/2/search",
        lambda q, h: Reply(400, {"errorMessages": ["Field 'sprint' does not exist."]}),
    )
    with pytest.raises(ConnectorError) as caught:
        connector_for("issue_tracker").fetch(_config(http_server), {}, now=NOW)
    assert "400" in caught.value.message
    assert not caught.value.retryable


def test_a_reply_in_another_format_is_a_protocol_error(http_server: JsonServer) -> None:
    http_server.route("/rest/api/2/search", lambda q, h: Reply(200, {"values": []}))
    with pytest.raises(ConnectorError) as caught:
        connector_for("issue_tracker").fetch(_config(http_server), {}, now=NOW)
    assert "issues" in caught.value.message


def test_config_is_validated_field_by_field() -> None:
    with pytest.raises(ServiceError) as caught:
        config_from_dict(
            IssueTrackerConfig,
            {"base_url": "ftp://jira", "time_zone": "Mars/Olympus", "page_size": 0},
        )
    assert set(caught.value.fields) == {"base_url", "time_zone", "page_size"}
