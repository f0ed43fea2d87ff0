"""Git repositories: commits and merged changes per author, from a local or remote clone.

The repository is fetched into a bare cache under ``VAR_DIR/connectors/git/`` and
walked oldest first from the main branch's tip, hiding what earlier runs covered.
The cursor keeps the "frontier" of covered commits (``covered``: commit ids whose
ancestors are all done), so a run cut short by ``limit`` resumes exactly after the
last commit it returned, merges included.

Events per author email: ``commits`` (one per non-merge commit) and
``merged_changes`` (one per merge commit on the main branch's first-parent line,
credited to the author of the merged branch's head).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import pygit2
from django.conf import settings
from django.utils.translation import gettext as _

from jixiao.metrics.connectors.base import (
    DEFAULT_LIMIT,
    ConnectionReport,
    ConnectorConfig,
    ConnectorError,
    Cursor,
    FetchBatch,
    check_date,
    check_positive,
    first_line,
    merge_errors,
    register,
)
from jixiao.metrics.event_input import EventInput

FETCH_REFSPEC = "+refs/heads/*:refs/remotes/origin/*"


@dataclass(frozen=True)
class GitConfig(ConnectorConfig):
    """``url``: a local path, file://, https:// or ssh URL; ``branch``: the main branch."""

    url: str
    branch: str = "main"
    repo_name: str = ""
    username: str = ""
    password: str = ""
    commit_url_template: str = ""
    since: str = ""
    timeout_seconds: int = 30

    secret_fields: ClassVar[tuple[str, ...]] = ("password",)

    def check(self) -> dict[str, list[str]]:
        errors = check_positive(self.timeout_seconds, "timeout_seconds")
        errors = merge_errors(errors, check_date(self.since, "since"))
        if self.commit_url_template and "{sha}" not in self.commit_url_template:
            errors = merge_errors(errors, {"commit_url_template": [_("链接模板中应包含 {sha}。")]})
        return errors

    @property
    def label(self) -> str:
        return self.repo_name or self.url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")


def cache_path(config: GitConfig) -> Path:
    digest = hashlib.sha256(config.url.encode()).hexdigest()[:20]
    return Path(settings.VAR_DIR) / "connectors" / "git" / digest


def _callbacks(config: GitConfig) -> pygit2.RemoteCallbacks:
    if config.username or config.password:
        return pygit2.RemoteCallbacks(
            credentials=pygit2.UserPass(config.username or "git", config.password)
        )
    return pygit2.RemoteCallbacks()


def repository_sync(config: GitConfig) -> pygit2.Repository:
    """Open (or create) the bare cache and fetch every branch from the remote."""
    path = cache_path(config)
    timeout_ms = int(config.timeout_seconds * 1000)
    pygit2.option(pygit2.enums.Option.SET_SERVER_CONNECT_TIMEOUT, timeout_ms)
    pygit2.option(pygit2.enums.Option.SET_SERVER_TIMEOUT, timeout_ms)
    try:
        if (path / "HEAD").exists():
            repo = pygit2.Repository(str(path))
            remote = repo.remotes["origin"]
            if remote.url != config.url:
                repo.remotes.set_url("origin", config.url)
                remote = repo.remotes["origin"]
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            repo = pygit2.init_repository(str(path), bare=True)
            remote = repo.remotes.create("origin", config.url, FETCH_REFSPEC)
        remote.fetch(
            [FETCH_REFSPEC], callbacks=_callbacks(config), prune=pygit2.enums.FetchPrune.PRUNE
        )
    except (pygit2.GitError, KeyError, OSError) as exc:
        raise ConnectorError(
            _("无法获取 Git 仓库 %(url)s：%(reason)s") % {"url": config.url, "reason": exc}
        ) from exc
    return repo


def _branch_tip(repo: pygit2.Repository, config: GitConfig) -> pygit2.Commit:
    ref = repo.references.get(f"refs/remotes/origin/{config.branch}")
    if ref is None:
        raise ConnectorError(
            _("Git 仓库中没有分支“%(branch)s”。") % {"branch": config.branch}, retryable=False
        )
    commit = repo.get(ref.target)
    if not isinstance(commit, pygit2.Commit):
        raise ConnectorError(_("分支“%(branch)s”不指向提交。") % {"branch": config.branch})
    return commit


def _signature_time(signature: pygit2.Signature) -> dt.datetime:
    return dt.datetime.fromtimestamp(signature.time, tz=dt.UTC)


def _frontier(covered: list[str], done: list[pygit2.Commit]) -> list[str]:
    """Commit ids that together cover the old frontier plus ``done`` (their ancestors too)."""
    parents = {str(p) for commit in done for p in commit.parent_ids}
    heads = [str(commit.id) for commit in done if str(commit.id) not in parents]
    keep = [sha for sha in covered if sha not in parents]
    return sorted(set(keep + heads))


class GitConnector:
    kind = "git"
    config_class = GitConfig

    def connection_test(self, config: GitConfig) -> ConnectionReport:
        try:
            repo = repository_sync(config)
            tip = _branch_tip(repo, config)
        except ConnectorError as exc:
            return ConnectionReport(False, exc.message, {"url": config.url})
        return ConnectionReport(
            True,
            _("已连接，分支“%(branch)s”最新提交 %(sha)s。")
            % {"branch": config.branch, "sha": str(tip.id)[:10]},
            {"branch": config.branch, "tip": str(tip.id), "summary": first_line(tip.message)},
        )

    def fetch(
        self, config: GitConfig, cursor: Cursor, *, now: dt.datetime, limit: int = DEFAULT_LIMIT
    ) -> FetchBatch:
        repo = repository_sync(config)
        tip = _branch_tip(repo, config)
        covered = [sha for sha in cursor.get("covered", []) if isinstance(sha, str)]
        walker = repo.walk(
            tip.id, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE
        )
        for sha in covered:
            try:
                walker.hide(pygit2.Oid(hex=sha))
            except (ValueError, KeyError, pygit2.GitError):
                continue  # history rewritten: that commit is gone, its events stay
        new = list(walker)
        if not new:
            return FetchBatch([], {"covered": [str(tip.id)]}, True)
        new_ids = {commit.id for commit in new}
        mainline: set[pygit2.Oid] = set()
        step: pygit2.Commit | None = tip
        while step is not None and step.id in new_ids:
            mainline.add(step.id)
            step = step.parents[0] if step.parents else None
        since = (
            dt.datetime.combine(dt.date.fromisoformat(config.since), dt.time(), tzinfo=dt.UTC)
            if config.since
            else None
        )
        done = new[:limit]
        items: list[EventInput] = []
        for commit in done:
            items.extend(self._events(repo, config, commit, commit.id in mainline, since))
        complete = len(done) == len(new)
        next_cursor = {"covered": [str(tip.id)] if complete else _frontier(covered, done)}
        return FetchBatch(items, next_cursor, complete)

    def _events(
        self,
        repo: pygit2.Repository,
        config: GitConfig,
        commit: pygit2.Commit,
        on_mainline: bool,
        since: dt.datetime | None,
    ) -> list[EventInput]:
        sha = str(commit.id)
        url = config.commit_url_template.replace("{sha}", sha) if config.commit_url_template else ""
        evidence: dict[str, str | int | float | bool | None] = {
            "sha": sha,
            "summary": first_line(commit.message),
            "repo": config.label,
        }
        events: list[EventInput] = []
        if len(commit.parents) > 1:
            if not on_mainline:
                return events
            merged_head = commit.parents[1]
            author = merged_head.author
            occurred = _signature_time(commit.committer)
            if since is not None and occurred < since:
                return events
            events.append(
                EventInput(
                    indicator_code="merged_changes",
                    value=Decimal(1),
                    occurred_at=occurred,
                    source_event_id=f"merge:{sha}",
                    identity=(author.email or "").strip().lower(),
                    evidence_url=url,
                    evidence={
                        **evidence,
                        "merged_head": str(merged_head.id),
                        "merged_by": (commit.committer.email or "").strip().lower(),
                    },
                )
            )
            return events
        occurred = _signature_time(commit.author)
        if since is not None and occurred < since:
            return events
        events.append(
            EventInput(
                indicator_code="commits",
                value=Decimal(1),
                occurred_at=occurred,
                source_event_id=f"commit:{sha}",
                identity=(commit.author.email or "").strip().lower(),
                evidence_url=url,
                evidence=evidence,
            )
        )
        return events


connector = register(GitConnector())
