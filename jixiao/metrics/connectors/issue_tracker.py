"""An issue tracker speaking Jira's REST API: resolved issues, bugs, story points, cycle time.

Issues are read with ``GET /rest/api/2/search`` (JQL, ``startAt``/``maxResults``
pages) ordered by ``updated``. JQL compares dates to the minute in the Jira
user's time zone, so the cursor keeps that minute (``since``) and how many issues
of that very minute were already taken (``skip``): resuming re-reads nothing
twice and misses nothing, even when many issues share a minute. Re-reading an
issue anyway would be harmless: every event's source id names the issue and its
resolution time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

from jixiao.metrics.connectors.base import (
    DEFAULT_LIMIT,
    ConnectionReport,
    ConnectorConfig,
    ConnectorError,
    Cursor,
    FetchBatch,
    HttpAuth,
    check_date,
    check_http_url,
    check_positive,
    first_line,
    http_get_json,
    merge_errors,
    protocol_error,
    register,
)
from jixiao.metrics.event_input import EventInput, EvidenceValue

JQL_MINUTE = "%Y/%m/%d %H:%M"


@dataclass(frozen=True)
class IssueTrackerConfig(ConnectorConfig):
    """``jql`` narrows the issues (e.g. ``project = SHOP``); resolved ones are added by us."""

    base_url: str
    jql: str = ""
    username: str = ""
    api_token: str = ""
    bearer_token: str = ""
    story_points_field: str = "customfield_10016"
    bug_issue_types: tuple[str, ...] = ("Bug", "缺陷")
    time_zone: str = "UTC"
    since: str = ""
    page_size: int = 50
    timeout_seconds: float = 10.0

    secret_fields: ClassVar[tuple[str, ...]] = ("api_token", "bearer_token")

    def check(self) -> dict[str, list[str]]:
        errors = merge_errors(
            check_http_url(self.base_url, "base_url"),
            check_positive(self.page_size, "page_size"),
            check_positive(self.timeout_seconds, "timeout_seconds"),
        )
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            errors = merge_errors(errors, {"time_zone": [_("未知的时区。")]})
        errors = merge_errors(errors, check_date(self.since, "since"))
        if self.page_size > 1000:
            errors = merge_errors(errors, {"page_size": [_("每页最多 1000 条。")]})
        return errors

    @property
    def auth(self) -> HttpAuth:
        return HttpAuth(username=self.username, password=self.api_token, token=self.bearer_token)

    @property
    def root(self) -> str:
        return self.base_url.rstrip("/")


def parse_jira_time(value: Any) -> dt.datetime:
    """Jira's "2026-11-02T10:15:30.000+0800" (or ISO with a colon) as an aware datetime."""
    if not isinstance(value, str) or not value:
        raise ValueError("missing time")
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("time without zone")
    return parsed


def _identity(assignee: Any) -> str:
    if not isinstance(assignee, dict):
        return ""
    for key in ("emailAddress", "accountId", "name", "key"):
        value = assignee.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower() if key == "emailAddress" else value.strip()
    return ""


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class IssueTrackerConnector:
    kind = "issue_tracker"
    config_class = IssueTrackerConfig

    def connection_test(self, config: IssueTrackerConfig) -> ConnectionReport:
        try:
            me = http_get_json(
                f"{config.root}/rest/api/2/myself",
                params={},
                auth=config.auth,
                timeout=config.timeout_seconds,
            )
            found = http_get_json(
                f"{config.root}/rest/api/2/search",
                params={"jql": self._jql(config, None), "maxResults": 0},
                auth=config.auth,
                timeout=config.timeout_seconds,
            )
        except ConnectorError as exc:
            return ConnectionReport(False, exc.message, {"base_url": config.base_url})
        name = me.get("displayName", "") if isinstance(me, dict) else ""
        total = found.get("total") if isinstance(found, dict) else None
        return ConnectionReport(
            True,
            _("已连接为“%(name)s”，符合条件的已解决问题 %(total)s 个。")
            % {"name": name, "total": total},
            {"user": name, "total": total},
        )

    def _jql(self, config: IssueTrackerConfig, since: str | None) -> str:
        parts = []
        if config.jql:
            parts.append(f"({config.jql})")
        parts.append("resolution is not EMPTY")
        if since:
            parts.append(f'updated >= "{since}"')
        elif config.since:
            parts.append(f'updated >= "{config.since.replace("-", "/")}"')
        return " AND ".join(parts) + " ORDER BY updated ASC, key ASC"

    def fetch(
        self,
        config: IssueTrackerConfig,
        cursor: Cursor,
        *,
        now: dt.datetime,
        limit: int = DEFAULT_LIMIT,
    ) -> FetchBatch:
        since = cursor.get("since") if isinstance(cursor.get("since"), str) else None
        skip = int(cursor.get("skip", 0) or 0)
        zone = ZoneInfo(config.time_zone)
        jql = self._jql(config, since)
        items: list[EventInput] = []
        minutes: list[str] = []  # the updated minute of every issue taken in this call
        start_at = skip
        taken = 0

        def cursor_now() -> Cursor:
            if not minutes:
                return {"since": since, "skip": skip} if since else {}
            last = minutes[-1]
            same = sum(1 for minute in minutes if minute == last)
            if last == since:
                same += skip
            return {"since": last, "skip": same}

        while taken < limit:
            page_size = min(config.page_size, limit - taken)
            try:
                page = http_get_json(
                    f"{config.root}/rest/api/2/search",
                    params={
                        "jql": jql,
                        "startAt": start_at,
                        "maxResults": page_size,
                        "fields": ",".join(
                            [
                                "summary",
                                "issuetype",
                                "assignee",
                                "created",
                                "updated",
                                "resolutiondate",
                                config.story_points_field,
                            ]
                        ),
                    },
                    auth=config.auth,
                    timeout=config.timeout_seconds,
                )
                issues, total = self._page(page)
            except ConnectorError as exc:
                raise exc.with_progress(items=items, cursor=cursor_now()) from exc
            for issue in issues:
                try:
                    updated = parse_jira_time(issue["fields"]["updated"])
                    events = self._events(config, issue)
                except (KeyError, TypeError, ValueError) as exc:
                    key = issue.get("key") if isinstance(issue, dict) else None
                    raise protocol_error(
                        _("问题 %(key)s 缺少或有错误的字段（%(err)s）") % {"key": key, "err": exc}
                    ).with_progress(items=items, cursor=cursor_now()) from exc
                items.extend(events)
                minutes.append(updated.astimezone(zone).strftime(JQL_MINUTE))
                taken += 1
            start_at += len(issues)
            if not issues or start_at >= total:
                return FetchBatch(items, cursor_now(), True)
        return FetchBatch(items, cursor_now(), False)

    def _page(self, page: Any) -> tuple[list[dict[str, Any]], int]:
        if not isinstance(page, dict) or not isinstance(page.get("issues"), list):
            raise protocol_error(_("搜索结果中没有 issues 列表"))
        total = page.get("total")
        if not isinstance(total, int):
            raise protocol_error(_("搜索结果中没有 total"))
        issues = page["issues"]
        if not all(isinstance(issue, dict) for issue in issues):
            raise protocol_error(_("issues 中有不是对象的条目"))
        return issues, total

    def _events(self, config: IssueTrackerConfig, issue: dict[str, Any]) -> list[EventInput]:
        key = str(issue["key"])
        fields = issue["fields"]
        resolved_raw = fields.get("resolutiondate")
        identity = _identity(fields.get("assignee"))
        if not resolved_raw or not identity:
            return []
        resolved = parse_jira_time(resolved_raw).astimezone(dt.UTC)
        created = parse_jira_time(fields["created"]).astimezone(dt.UTC)
        issue_type = (fields.get("issuetype") or {}).get("name", "")
        base_id = f"{key}@{resolved.strftime('%Y%m%dT%H%M%SZ')}"
        evidence: dict[str, EvidenceValue] = {
            "issue": key,
            "summary": first_line(str(fields.get("summary") or "")),
            "type": str(issue_type),
        }
        url = f"{config.root}/browse/{key}"

        def event(code: str, value: Decimal) -> EventInput:
            return EventInput(
                indicator_code=code,
                value=value,
                occurred_at=resolved,
                source_event_id=f"{base_id}:{code}",
                identity=identity,
                evidence_url=url,
                evidence=evidence,
            )

        events = [event("resolved_issues", Decimal(1))]
        if issue_type in config.bug_issue_types:
            events.append(event("bugs", Decimal(1)))
        points = _number(fields.get(config.story_points_field))
        if points is not None and points > 0:
            events.append(event("story_points", points))
        days = Decimal((resolved - created).total_seconds()) / Decimal(86400)
        events.append(
            event("cycle_time_days", max(days, Decimal(0)).quantize(Decimal("0.01"), ROUND_HALF_UP))
        )
        return events


connector = register(IssueTrackerConnector())
