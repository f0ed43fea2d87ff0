"""DingTalk custom robot: markdown message; with 加签, ``timestamp`` and ``sign`` in the query.

sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))), timestamp
in milliseconds; the answer is ``{"errcode": 0, "errmsg": "ok"}`` (310000 = bad signature).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

from jixiao.notifications.channels.base import (
    HttpAnswer,
    RobotMessage,
    WebhookResult,
    check_errcode,
    truncate,
)


def sign(timestamp_ms: int, secret: str) -> str:
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def markdown(message: RobotMessage) -> str:
    parts = [f"#### {message.title}", truncate(message.body, 3000)]
    if message.recipients_line:
        parts.append(f"> {message.recipients_line}")
    if message.link:
        parts.append(f"[{message.link_label or message.link}]({message.link})")
    return "\n\n".join(part for part in parts if part)


def build(
    *, url: str, secret: str, message: RobotMessage, now: float
) -> tuple[str, dict[str, Any]]:
    payload = {
        "msgtype": "markdown",
        "markdown": {"title": truncate(message.title, 100), "text": markdown(message)},
    }
    if secret:
        timestamp = int(now * 1000)
        query = urlencode({"timestamp": timestamp, "sign": sign(timestamp, secret)})
        url = f"{url}{'&' if '?' in url else '?'}{query}"
    return url, payload


def check(answer: HttpAnswer) -> WebhookResult:
    return check_errcode(answer)
