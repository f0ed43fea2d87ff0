"""Outside channels: company group robots (DingTalk, WeCom, Feishu) and email.

Each robot module builds the platform's request (signed where the platform signs)
and reads the platform's answer; ``webhook_send`` posts it with ``post_json``.
"""

from __future__ import annotations

import time

from jixiao.notifications.channels import dingtalk, feishu, wecom
from jixiao.notifications.channels.base import (
    RobotMessage,
    WebhookError,
    WebhookResult,
)
from jixiao.notifications.channels.http import post_json

__all__ = ["RobotMessage", "WebhookError", "WebhookResult", "webhook_send"]

_PLATFORMS = {"dingtalk": dingtalk, "wecom": wecom, "feishu": feishu}


def webhook_send(
    *,
    platform: str,
    url: str,
    secret: str,
    message: RobotMessage,
    timeout: float = 10.0,
    now: float | None = None,
) -> WebhookResult:
    """Post one message to a group robot; raises WebhookError with the platform's answer."""
    module = _PLATFORMS.get(platform)
    if module is None:
        raise WebhookError(f"unknown platform {platform!r}")
    moment = time.time() if now is None else now
    request_url, payload = module.build(url=url, secret=secret, message=message, now=moment)
    answer = post_json(request_url, payload, timeout=timeout)
    return module.check(answer)
