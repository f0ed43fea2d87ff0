"""What every robot channel shares: the message, the answer, the error."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RobotMessage:
    """A notification as a group robot shows it; ``link`` is absolute, labels translated."""

    title: str
    body: str
    link: str = ""
    link_label: str = ""
    recipients_line: str = ""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    text: str

    def json(self) -> dict[str, Any]:
        try:
            data = json.loads(self.text)
        except ValueError as error:
            raise WebhookError(f"HTTP {self.status}: not JSON", answer=self.text) from error
        if not isinstance(data, dict):
            raise WebhookError(f"HTTP {self.status}: unexpected answer", answer=self.text)
        return data


@dataclass(frozen=True)
class WebhookResult:
    """The platform accepted the message; ``answer`` is its reply as received."""

    status: int
    answer: str
    data: dict[str, Any] = field(default_factory=dict)


class WebhookError(Exception):
    """The message did not arrive: network failure, HTTP error or the platform's error code."""

    def __init__(self, message: str, *, answer: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.answer = answer
        self.status = status


def truncate(text: str, limit: int) -> str:
    """Platforms cap message size (WeCom 4096 bytes of markdown); cut on characters, mark it."""
    if len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def check_errcode(answer: HttpAnswer) -> WebhookResult:
    """DingTalk and WeCom answer ``{"errcode": 0, "errmsg": "ok"}``; anything else failed."""
    if not 200 <= answer.status < 300:
        raise WebhookError(f"HTTP {answer.status}", answer=answer.text, status=answer.status)
    data = answer.json()
    code = data.get("errcode")
    if code != 0:
        raise WebhookError(
            f"errcode {code}: {data.get('errmsg', '')}", answer=answer.text, status=answer.status
        )
    return WebhookResult(status=answer.status, answer=answer.text, data=data)
