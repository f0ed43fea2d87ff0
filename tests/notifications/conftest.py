"""Real parts for the notification tests: an SMTP server (aiosmtpd) and a local HTTP
server that answers like the DingTalk, WeCom and Feishu robot endpoints, checking
signatures the way those platforms do."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from huey.contrib.djhuey import HUEY


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def huey_clean() -> Iterator[None]:
    """Huey runs in immediate mode in tests; its in-memory schedule must not leak."""
    HUEY.flush()
    yield
    HUEY.flush()


def run_due_tasks() -> int:
    """What the Huey consumer does each tick: run the scheduled tasks whose time has come."""
    tasks = HUEY.read_schedule()
    for task in tasks:
        HUEY.execute(task)
    return len(tasks)


# --- SMTP ----------------------------------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox

    @property
    def messages(self) -> list[EmailMessage]:
        return self.mailbox.messages


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


# --- robot endpoints -------------------------------------------------------------------

DINGTALK_TOKEN = "ding-access-token-0123456789"
DINGTALK_SECRET = "SECa1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2"
FEISHU_TOKEN = "2b1f0c4e-feishu-hook-token"
FEISHU_SECRET = "feishu-sign-secret-9f8e7d"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


@dataclass
class RobotServer:
    """Answers like the platforms; ``fail_next`` makes the next N requests fail with HTTP 503."""

    base_url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, platform: str) -> str:
        if platform == "dingtalk":
            return f"{self.base_url}/robot/send?access_token={DINGTALK_TOKEN}"
        if platform == "feishu":
            return f"{self.base_url}/open-apis/bot/v2/hook/{FEISHU_TOKEN}"
        return f"{self.base_url}/cgi-bin/webhook/send?key={WECOM_KEY}"

    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.received if r["accepted"]]


def _dingtalk_answer(query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
    if query.get("access_token") != [DINGTALK_TOKEN]:
        return {"errcode": 300001, "errmsg": "token is not exist"}
    timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
    if not timestamp or not sign:
        return {"errcode": 310000, "errmsg": "sign not match"}
    if abs(int(timestamp) - time.time() * 1000) > 3600 * 1000:
        return {"errcode": 310000, "errmsg": "timestamp is too far from the server"}
    expected = base64.b64encode(
        hmac.new(
            DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
        ).digest()
    ).decode()
    if not hmac.compare_digest(expected, sign):
        return {"errcode": 310000, "errmsg": "sign not match"}
    if body.get("msgtype") != "markdown" or not body.get("markdown", {}).get("text"):
        return {"errcode": 40035, "errmsg": "缺少参数 markdown"}
    return {"errcode": 0, "errmsg": "ok"}


def _feishu_answer(path: str, body: dict[str, Any]) -> dict[str, Any]:
    if not path.endswith(f"/hook/{FEISHU_TOKEN}"):
        return {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}
    timestamp, sign = str(body.get("timestamp", "")), str(body.get("sign", ""))
    key = f"{timestamp}\n{FEISHU_SECRET}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    if (
        not timestamp
        or abs(int(timestamp) - time.time()) > 3600
        or not hmac.compare_digest(expected, sign)
    ):
        return {
            "code": 19021,
            "msg": "sign match fail or timestamp is not within one hour from current time",
        }
    if body.get("msg_type") != "post":
        return {"code": 19002, "msg": "params error, msg_type need"}
    return {"code": 0, "data": {}, "msg": "success"}


def _wecom_answer(query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
    if query.get("key") != [WECOM_KEY]:
        return {"errcode": 93000, "errmsg": "invalid webhook url, hint: [1700000000_1_abc]"}
    content = body.get("markdown", {}).get("content", "")
    if body.get("msgtype") != "markdown" or not content:
        return {"errcode": 40008, "errmsg": "invalid message type"}
    if len(content.encode()) > 4096:
        return {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"}
    return {"errcode": 0, "errmsg": "ok"}


@pytest.fixture
def robot_server() -> Iterator[RobotServer]:
    state: dict[str, RobotServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            server_state = state["server"]
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            record: dict[str, Any] = {
                "path": parts.path,
                "query": query,
                "content_type": self.headers.get("Content-Type", ""),
                "accepted": False,
            }
            with server_state.lock:
                failing = server_state.fail_next > 0
                if failing:
                    server_state.fail_next -= 1
            if failing:
                record["body"] = raw.decode("utf-8", errors="replace")
                server_state.received.append(record)
                self._reply(503, {"errcode": -1, "errmsg": "系统繁忙"})
                return
            body = json.loads(raw.decode("utf-8"))
            record["body"] = body
            if parts.path.startswith("/robot/send"):
                answer = _dingtalk_answer(query, body)
                ok = answer["errcode"] == 0
            elif parts.path.startswith("/open-apis/bot/v2/hook/"):
                answer = _feishu_answer(parts.path, body)
                ok = answer["code"] == 0
            elif parts.path.startswith("/cgi-bin/webhook/send"):
                answer = _wecom_answer(query, body)
                ok = answer["errcode"] == 0
            else:
                self._reply(404, {"error": "not found"})
                return
            record["accepted"] = ok
            record["answer"] = answer
            server_state.received.append(record)
            self._reply(200, answer)

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    host, port = httpd.server_address[:2]
    state["server"] = RobotServer(base_url=f"http://{host}:{port}")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["server"]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
