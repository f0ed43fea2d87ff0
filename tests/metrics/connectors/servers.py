"""Real local servers the connector tests talk to: an HTTP server in a thread, pymap for IMAP."""

from __future__ import annotations

import datetime as dt
import imaplib
import ipaddress
import json
import socket
import ssl
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
    ca_file: Path | None = None  # the CA of the server's certificate, when it speaks TLS

    def append(self, mailbox: str, message: bytes, when: float) -> None:
        """Deliver a message into a mailbox over IMAP APPEND."""
        client = imaplib.IMAP4(self.host, self.port, timeout=5)
        if self.ca_file is not None:
            client.starttls(ssl.create_default_context(cafile=str(self.ca_file)))
        try:
            client.login(self.user, self.password)
            if mailbox.upper() != "INBOX":
                client.create(mailbox)
            status, _data = client.append(mailbox, None, imaplib.Time2Internaldate(when), message)
            assert status == "OK", _data
        finally:
            client.logout()


def certificate_authority(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 signed by it:
    (CA certificate, server certificate, server key) as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Jixiao test CA"))
        .issuer_name(name("Jixiao test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (folder / n for n in ("ca.pem", "server.pem", "server.key"))
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_file, cert_file, key_file


@contextmanager
def imap_server(tmp_path: Path, *, tls: bool = False) -> Iterator[ImapServer]:
    """A real pymap IMAP server (in-memory ``dict`` backend) in a subprocess on a free
    port; with ``tls`` it offers STARTTLS with a certificate from a throw-away CA."""
    port = free_port()
    pymap = Path(sys.executable).parent / "pymap"
    log = (tmp_path / "pymap.log").open("w")
    ca_file: Path | None = None
    tls_options: list[str] = []
    if tls:
        ca_file, cert_file, key_file = certificate_authority(tmp_path)
        tls_options = ["--cert", str(cert_file), "--key", str(key_file)]
    process = subprocess.Popen(
        [
            str(pymap),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *tls_options,
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
        yield ImapServer("127.0.0.1", port, "wang", "mail-Pass-1", ca_file)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()
