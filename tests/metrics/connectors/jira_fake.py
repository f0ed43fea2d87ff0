"""A small Jira: real HTTP, Jira's search format, the JQL the connector sends.

It understands ``updated >= "yyyy/MM/dd HH:mm"`` (in the account's zone) and
``resolution is not EMPTY``, orders by updated then key, and pages with
``startAt``/``maxResults`` like Jira does.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tests.metrics.connectors.servers import JsonServer, Reply

SHANGHAI = ZoneInfo("Asia/Shanghai")


def jira_time(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S.000%z")


def issue(
    key: str,
    *,
    assignee: dict[str, str] | None,
    created: dt.datetime,
    resolved: dt.datetime | None,
    updated: dt.datetime | None = None,
    kind: str = "Story",
    points: float | None = None,
    summary: str = "",
) -> dict[str, Any]:
    return {
        "key": key,
        "fields": {
            "summary": summary or f"Work on {key}",
            "issuetype": {"name": kind},
            "assignee": assignee,
            "created": jira_time(created),
            "updated": jira_time(updated or resolved or created),
            "resolutiondate": jira_time(resolved) if resolved else None,
            "customfield_10016": points,
        },
    }


@dataclass
class FakeJira:
    issues: list[dict[str, Any]]
    user: str = "jira-bot"
    token: str = "tok-123"
    failures: dict[int, Reply] = field(default_factory=dict)  # startAt → reply, used once

    def install(self, server: JsonServer) -> None:
        server.route("/rest/api/2/search", self.search)
        server.route("/rest/api/2/myself", self.myself)

    def _authorised(self, headers: dict[str, str]) -> bool:
        expected = base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
        return headers.get("authorization") == f"Basic {expected}"

    def myself(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        if not self._authorised(headers):
            return Reply(401, {"errorMessages": ["Unauthorized"]})
        return Reply(200, {"displayName": "Jira Bot", "accountId": "bot"})

    def search(self, query: dict[str, str], headers: dict[str, str]) -> Reply:
        if not self._authorised(headers):
            return Reply(401, {"errorMessages": ["Unauthorized"]})
        start = int(query.get("startAt", "0"))
        if start in self.failures:
            return self.failures.pop(start)
        jql = query["jql"]
        found = (
            [i for i in self.issues if i["fields"]["resolutiondate"]]
            if ("resolution is not EMPTY" in jql)
            else list(self.issues)
        )
        match = re.search(r'updated >= "(\d{4}/\d{2}/\d{2}(?: \d{2}:\d{2})?)"', jql)
        if match:
            text = match.group(1)
            fmt = "%Y/%m/%d %H:%M" if " " in text else "%Y/%m/%d"
            since = dt.datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI)
            found = [i for i in found if _updated(i) >= since]
        found.sort(key=lambda i: (_updated(i), i["key"]))
        size = int(query.get("maxResults", "50"))
        return Reply(
            200,
            {
                "startAt": start,
                "maxResults": size,
                "total": len(found),
                "issues": found[start : start + size],
            },
        )


def _updated(item: dict[str, Any]) -> dt.datetime:
    return dt.datetime.strptime(item["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.%f%z")
