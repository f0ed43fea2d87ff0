"""The Git connector against a real repository made with pygit2 in the test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pygit2
import pytest

from jixiao.core.api_errors import ServiceError
from jixiao.metrics.connectors.base import config_from_dict, connector_for
from jixiao.metrics.connectors.git import GitConfig, cache_path
from tests.metrics.connectors.git_repo import LI, WANG, RepoBuilder, shop_history

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def var_dir(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    var = tmp_path / "var"
    var.mkdir()
    settings.VAR_DIR = var  # type: ignore[attr-defined]
    return var


@pytest.fixture
def shop_repo(tmp_path: Path) -> tuple[RepoBuilder, dict[str, pygit2.Oid]]:
    return shop_history(tmp_path / "shop")


def _config(url: str, **extra: object) -> GitConfig:
    return config_from_dict(GitConfig, {"url": url, "repo_name": "shop", **extra})


def test_commits_and_merged_changes_per_author(var_dir: Path, shop_repo, tmp_path: Path) -> None:
    _builder, ids = shop_repo
    connector = connector_for("git")
    config = _config(
        f"file://{tmp_path / 'shop'}",
        commit_url_template="https://git.example/shop/commit/{sha}",
    )

    batch = connector.fetch(config, {}, now=NOW)

    assert batch.complete
    assert batch.cursor == {"covered": [str(ids["merge"])]}
    by_id = {item.source_event_id: item for item in batch.items}
    assert set(by_id) == {
        f"commit:{ids['c1']}",
        f"commit:{ids['c2']}",
        f"commit:{ids['f1']}",
        f"merge:{ids['merge']}",
    }
    first = by_id[f"commit:{ids['c1']}"]
    assert first.indicator_code == "commits"
    assert first.value == Decimal(1)
    assert first.identity == "wang@xinghai.example"
    assert first.evidence == {"sha": str(ids["c1"]), "summary": "Add order list", "repo": "shop"}
    assert first.evidence_url == f"https://git.example/shop/commit/{ids['c1']}"
    assert first.occurred_at == dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
    merged = by_id[f"merge:{ids['merge']}"]
    assert merged.indicator_code == "merged_changes"
    assert merged.identity == "li@xinghai.example"  # the author of the merged change
    assert merged.evidence["merged_by"] == "wang@xinghai.example"
    per_author: dict[str, int] = {}
    for item in batch.items:
        if item.indicator_code == "commits":
            per_author[item.identity] = per_author.get(item.identity, 0) + 1
    assert per_author == {"wang@xinghai.example": 1, "li@xinghai.example": 2}
    assert (cache_path(config) / "HEAD").exists()


def test_next_run_sees_only_new_commits(var_dir: Path, shop_repo, tmp_path: Path) -> None:
    builder, ids = shop_repo
    connector = connector_for("git")
    config = _config(str(tmp_path / "shop"))  # a plain local path works too
    first = connector.fetch(config, {}, now=NOW)

    again = connector.fetch(config, first.cursor, now=NOW)
    assert again.items == []
    assert again.complete

    c4 = builder.commit(LI, "Add customer filter", [ids["merge"]])
    later = connector.fetch(config, again.cursor, now=NOW)
    assert [item.source_event_id for item in later.items] == [f"commit:{c4}"]
    assert later.cursor == {"covered": [str(c4)]}


def test_limited_pages_resume_after_the_last_returned_commit(
    var_dir: Path, shop_repo, tmp_path: Path
) -> None:
    _builder, ids = shop_repo
    connector = connector_for("git")
    config = _config(str(tmp_path / "shop"))
    seen: list[str] = []
    cursor: dict[str, object] = {}
    pages = 0
    while True:
        batch = connector.fetch(config, cursor, now=NOW, limit=1)
        pages += 1
        seen.extend(item.source_event_id for item in batch.items)
        cursor = batch.cursor
        if batch.complete:
            break
        assert pages < 10
    assert pages == 4
    assert sorted(seen) == sorted(
        [
            f"commit:{ids['c1']}",
            f"commit:{ids['c2']}",
            f"commit:{ids['f1']}",
            f"merge:{ids['merge']}",
        ]
    )
    assert len(seen) == len(set(seen))


def test_merging_main_into_a_feature_branch_is_not_a_merged_change(
    var_dir: Path, shop_repo, tmp_path: Path
) -> None:
    builder, ids = shop_repo
    f2 = builder.commit(LI, "Start invoices", [ids["f1"]], ref="refs/heads/feature")
    back = builder.commit(LI, "Merge main into feature", [f2, ids["c2"]], ref="refs/heads/feature")
    final = builder.commit(WANG, "Merge branch 'feature' again", [ids["merge"], back])
    connector = connector_for("git")
    config = _config(str(tmp_path / "shop"))
    batch = connector.fetch(config, {}, now=NOW)
    merges = [
        item.source_event_id for item in batch.items if item.indicator_code == "merged_changes"
    ]
    assert sorted(merges) == sorted([f"merge:{ids['merge']}", f"merge:{final}"])


def test_missing_branch_and_unreachable_repository_are_clear_errors(
    var_dir: Path, shop_repo, tmp_path: Path
) -> None:
    connector = connector_for("git")
    report = connector.connection_test(_config(str(tmp_path / "shop"), branch="develop"))
    assert not report.ok
    assert "develop" in report.message
    report = connector.connection_test(_config(str(tmp_path / "nowhere")))
    assert not report.ok
    assert "nowhere" in report.message
    good = connector.connection_test(_config(str(tmp_path / "shop")))
    assert good.ok
    assert good.details["summary"] == "Merge branch 'feature'"


def test_config_errors_name_their_fields() -> None:
    with pytest.raises(ServiceError) as caught:
        config_from_dict(
            GitConfig,
            {"branch": "main", "since": "23/11/2026", "timeout_seconds": "x", "colour": "red"},
        )
    assert set(caught.value.fields) == {"url", "timeout_seconds", "colour"}
    with pytest.raises(ServiceError) as caught:
        config_from_dict(GitConfig, {"url": "/srv/git/shop", "since": "23/11/2026"})
    assert set(caught.value.fields) == {"since"}
