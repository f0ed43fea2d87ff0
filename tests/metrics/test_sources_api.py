"""Setting up a pull source from the API: config checked, secrets masked, test and sync now."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django_scopes import scopes_disabled

from jixiao.audit.models import AuditEvent
from jixiao.metrics.models import MetricEvent, MetricSource
from tests.conftest import World
from tests.metrics.cast import client_as
from tests.metrics.connectors.git_repo import shop_history
from tests.metrics.connectors.jira_fake import FakeJira
from tests.metrics.connectors.servers import json_server

pytestmark = pytest.mark.django_db


def _post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_a_tracker_token_is_never_shown_or_audited_and_survives_an_edit(
    metrics_world: World,
) -> None:
    hr = client_as(metrics_world, "hr")
    created = _post(
        hr,
        "/api/v1/metrics/sources",
        {
            "name": "Jira",
            "kind": "issue_tracker",
            "config": {"base_url": "http://127.0.0.1:9/jira", "api_token": "s3cr3t-token"},
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["config"]["api_token"] == "***"
    source_id = created.json()["id"]
    # The screen sends the config back as it was shown: the stored token stays.
    patched = hr.patch(
        f"/api/v1/metrics/sources/{source_id}",
        {"config": {**created.json()["config"], "jql": "project = SHOP"}},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["config"] == {
        "base_url": "http://127.0.0.1:9/jira",
        "api_token": "***",
        "jql": "project = SHOP",
    }
    with scopes_disabled():
        stored = MetricSource.objects.get(pk=source_id)
        trail = list(
            AuditEvent.objects.filter(action__startswith="metrics.source").values_list(
                "changes", flat=True
            )
        )
    assert stored.config["api_token"] == "s3cr3t-token"
    assert "s3cr3t-token" not in json.dumps(trail)


def test_a_bad_connector_config_is_refused_field_by_field(metrics_world: World) -> None:
    response = _post(
        client_as(metrics_world, "hr"),
        "/api/v1/metrics/sources",
        {"name": "Git", "kind": "git", "config": {"branch": "main"}},
    )
    assert response.status_code == 422
    assert response.json()["fields"] == {"config.url": ["必填。"]}


def test_connection_test_and_sync_now_with_a_real_repository(
    metrics_world: World, tmp_path: Path, settings: Any
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    shop_history(tmp_path / "shop")
    hr = client_as(metrics_world, "hr")
    created = _post(
        hr,
        "/api/v1/metrics/sources",
        {"name": "商城代码", "kind": "git",
         "config": {"url": f"file://{tmp_path / 'shop'}", "repo_name": "shop"}},
    )  # fmt: skip
    assert created.status_code == 201, created.content
    source_id = created.json()["id"]
    tested = _post(hr, f"/api/v1/metrics/sources/{source_id}/test", {})
    assert tested.status_code == 200 and tested.json()["ok"] is True, tested.content
    synced = _post(hr, f"/api/v1/metrics/sources/{source_id}/sync", {})
    assert synced.status_code == 202 and synced.json()["queued"] is True
    runs = hr.get(f"/api/v1/metrics/sources/{source_id}/runs").json()["items"]
    assert runs and runs[0]["received"] >= 3
    with scopes_disabled():
        codes = set(MetricEvent.objects.filter(source_id=source_id).values_list(
            "indicator__code", flat=True
        ))  # fmt: skip
    assert codes == {"commits", "merged_changes"}


def test_a_push_source_needs_no_connection_test_and_cannot_be_pulled(
    metrics_world: World,
) -> None:
    hr = client_as(metrics_world, "hr")
    created = _post(hr, "/api/v1/metrics/sources", {"name": "CRM 推送"})
    source_id = created.json()["id"]
    tested = _post(hr, f"/api/v1/metrics/sources/{source_id}/test", {})
    assert tested.status_code == 200 and tested.json()["ok"] is False
    refused = _post(hr, f"/api/v1/metrics/sources/{source_id}/sync", {})
    assert refused.status_code == 409 and refused.json()["code"] == "no_connector"


def test_settings_are_tried_before_they_are_saved(
    metrics_world: World, tmp_path: Path, settings: Any
) -> None:
    """POST /sources/test tries settings not saved yet; with ``source_id`` a "***" stands
    for that source's stored secret. Nothing is stored or audited."""
    settings.VAR_DIR = tmp_path / "var"
    shop_history(tmp_path / "shop")
    hr = client_as(metrics_world, "hr")
    url = f"file://{tmp_path / 'shop'}"
    tried = _post(hr, "/api/v1/metrics/sources/test",
                  {"kind": "git", "config": {"url": url, "repo_name": "shop"}})  # fmt: skip
    assert tried.status_code == 200 and tried.json()["ok"] is True, tried.content
    missing = _post(hr, "/api/v1/metrics/sources/test",
                    {"kind": "git", "config": {"url": f"file://{tmp_path / 'nowhere'}"}})  # fmt: skip
    assert missing.status_code == 200 and missing.json()["ok"] is False
    bad = _post(hr, "/api/v1/metrics/sources/test", {"kind": "git", "config": {}})
    assert bad.status_code == 422 and bad.json()["fields"] == {"config.url": ["必填。"]}
    push = _post(hr, "/api/v1/metrics/sources/test", {"kind": "push"})
    assert push.status_code == 422 and "kind" in push.json()["fields"]
    with scopes_disabled():
        assert not MetricSource.objects.filter(company=metrics_world.company).exists()
        assert not AuditEvent.objects.filter(action__startswith="metrics.source").exists()


def test_a_saved_secret_stands_in_for_the_mask_when_trying_changes(
    metrics_world: World,
) -> None:
    hr = client_as(metrics_world, "hr")
    with json_server() as server:
        FakeJira([]).install(server)  # answers only the right token (tok-123)
        created = _post(
            hr,
            "/api/v1/metrics/sources",
            {"name": "Jira", "kind": "issue_tracker",
             "config": {"base_url": server.url, "username": "jira-bot", "api_token": "tok-123"}},
        )  # fmt: skip
        source_id = created.json()["id"]
        body = {"kind": "issue_tracker", "source_id": source_id,
                "config": {"base_url": server.url, "username": "jira-bot", "api_token": "***",
                           "timeout_seconds": 2}}  # fmt: skip
        tried = _post(hr, "/api/v1/metrics/sources/test", body)
        assert tried.status_code == 200 and tried.json()["ok"] is True, tried.content
        unsaved = _post(hr, "/api/v1/metrics/sources/test", {**body, "source_id": None})
        assert unsaved.json()["ok"] is False  # "***" itself is no token
    assert "tok-123" not in tried.content.decode()
    wrong_kind = _post(hr, "/api/v1/metrics/sources/test", {**body, "kind": "git"})
    assert wrong_kind.status_code == 422 and "kind" in wrong_kind.json()["fields"]
