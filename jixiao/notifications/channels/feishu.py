"""Feishu (飞书) custom bot: rich-text "post" message; with 签名校验, ``timestamp`` and ``sign``
in the JSON body.

sign = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")), timestamp in seconds;
the answer is ``{"code": 0, "msg": "success"}`` (older bots: ``{"StatusCode": 0}``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from jixiao.notifications.channels.base import (
    HttpAnswer,
    RobotMessage,
    WebhookError,
    WebhookResult,
    truncate,
)


def sign(timestamp: int, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def post_content(message: RobotMessage) -> list[list[dict[str, str]]]:
    rows: list[list[dict[str, str]]] = []
    if message.body:
        rows.append([{"tag": "text", "text": truncate(message.body, 3000)}])
    if message.recipients_line:
        rows.append([{"tag": "text", "text": message.recipients_line}])
    if message.link:
        rows.append(
            [{"tag": "a", "text": message.link_label or message.link, "href": message.link}]
        )
    return rows


def build(
    *, url: str, secret: str, message: RobotMessage, now: float
) -> tuple[str, dict[str, Any]]:
    payload: dict[str, Any] = {
        "msg_type": "post",
        "content": {
            "post": {
                "zh_cn": {"title": truncate(message.title, 100), "content": post_content(message)}
            }
        },
    }
    if secret:
        timestamp = int(now)
        payload = {"timestamp": str(timestamp), "sign": sign(timestamp, secret), **payload}
    return url, payload


def check(answer: HttpAnswer) -> WebhookResult:
    if not 200 <= answer.status < 300:
        raise WebhookError(f"HTTP {answer.status}", answer=answer.text, status=answer.status)
    data = answer.json()
    code = data.get("code", data.get("StatusCode"))
    if code != 0:
        message = data.get("msg", data.get("StatusMessage", ""))
        raise WebhookError(f"code {code}: {message}", answer=answer.text, status=answer.status)
    return WebhookResult(status=answer.status, answer=answer.text, data=data)
