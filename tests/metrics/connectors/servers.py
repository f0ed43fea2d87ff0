"""Real local servers the connector tests talk to: an HTTP server in a thread, pymap for IMAP."""

from __future__ import annotations

import imaplib
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    delay: float = 0.0


Route = Callable[[dict[str, str], dict[str, str]], Reply]


@dataclass
class JsonServer:
    """Serves JSON from per-path handlers and records every request it gets."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    url: str = ""

    def route(self, path: str, handler: Route) -> None:
        self.routes[path] = handler

    def requests_to(self, path: str) -> list[dict[str, str]]:
        return [query for got, query, _headers in self.requests if got == path]


def _handler_for(server: JsonServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.requests.append((parts.path, query, headers))
            handler = server.routes.get(parts.path)
            reply = handler(query, headers) if handler else Reply(404, {"error": "not found"})
            if reply.delay:
                time.sleep(reply.delay)
            data = json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def json_server() -> Iterator[JsonServer]:
    state = JsonServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ImapServer:
    host: str
    port: int
    user: str
    password: str

    def append(self, mailbox: str, message: bytes, when: float) -> None:
        """Deliver a message into a mailbox over IMAP APPEND."""
        client = imaplib.IMAP4(self.host, self.port, timeout=5)
        try:
            client.login(self.user, self.password)
            if mailbox.upper() != "INBOX":
                client.create(mailbox)
            status, _data = client.append(mailbox, None, imaplib.Time2Internaldate(when), message)
            assert status == "OK", _data
        finally:
            client.logout()


@contextmanager
def imap_server(tmp_path: Path) -> Iterator[ImapServer]:
    """A real pymap IMAP server (in-memory ``dict`` backend) in a subprocess on a free port."""
    port = free_port()
    pymap = Path(sys.executable).parent / "pymap"
    log = (tmp_path / "pymap.log").open("w")
    process = subprocess.Popen(
        [
            str(pymap),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "dict",
            "--demo-user",
            "wang",
            "--demo-password",
            "mail-Pass-1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("pymap did not start") from None
                time.sleep(0.1)
        yield ImapServer("127.0.0.1", port, "wang", "mail-Pass-1")
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
