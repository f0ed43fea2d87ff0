"""A small JSON-over-HTTP client on urllib, with a timeout and the answer kept for the log."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from jixiao.notifications.channels.base import HttpAnswer, WebhookError

USER_AGENT = "Jixiao-Notifications/1"
MAX_ANSWER_BYTES = 64 * 1024


def post_json(url: str, payload: dict[str, Any], *, timeout: float) -> HttpAnswer:
    """POST ``payload`` as UTF-8 JSON; a non-2xx status is returned, a network failure raised."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise WebhookError("only http and https addresses are allowed")
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(MAX_ANSWER_BYTES).decode("utf-8", errors="replace")
            return HttpAnswer(status=response.status, text=body)
    except urllib.error.HTTPError as error:
        body = error.read(MAX_ANSWER_BYTES).decode("utf-8", errors="replace")
        return HttpAnswer(status=error.code, text=body)
    except urllib.error.URLError as error:
        raise WebhookError(f"connection failed: {error.reason}") from error
    except TimeoutError as error:
        raise WebhookError(f"timed out after {timeout:g}s") from error
    except OSError as error:
        raise WebhookError(f"connection failed: {error}") from error
