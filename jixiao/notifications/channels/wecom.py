"""WeCom (企业微信) group robot: markdown message, unsigned; the key is in the address."""

from __future__ import annotations

from typing import Any

from jixiao.notifications.channels.base import (
    HttpAnswer,
    RobotMessage,
    WebhookResult,
    check_errcode,
)

# WeCom refuses markdown content over 4096 bytes; CJK takes 3 bytes a character.
MAX_CONTENT_BYTES = 4096


def markdown(message: RobotMessage) -> str:
    lines = [f"**{message.title}**", message.body]
    if message.recipients_line:
        lines.append(f"> {message.recipients_line}")
    if message.link:
        lines.append(f"[{message.link_label or message.link}]({message.link})")
    content = "\n".join(line for line in lines if line)
    raw = content.encode()
    if len(raw) <= MAX_CONTENT_BYTES:
        return content
    return raw[: MAX_CONTENT_BYTES - 3].decode("utf-8", errors="ignore") + "…"


def build(
    *, url: str, secret: str, message: RobotMessage, now: float
) -> tuple[str, dict[str, Any]]:
    return url, {"msgtype": "markdown", "markdown": {"content": markdown(message)}}


def check(answer: HttpAnswer) -> WebhookResult:
    return check_errcode(answer)
