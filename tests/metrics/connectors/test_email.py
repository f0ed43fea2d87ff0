"""The email connector against a real mbox file and a real IMAP server (pymap, in a subprocess)."""

from __future__ import annotations

import datetime as dt
import mailbox
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from jixiao.core.api_errors import ServiceError
from jixiao.metrics.connectors.base import ConnectorError, config_from_dict, connector_for
from jixiao.metrics.connectors.email import EmailConfig
from tests.metrics.connectors.servers import ImapServer, free_port, imap_server

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
WANG, LI = "wang@xinghai.example", "li@xinghai.example"


def mail(
    number: int,
    sender: str,
    to: str,
    *,
    cc: str = "",
    day: int = 2,
    reply_to: str = "",
    references: str = "",
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = f"Angebot {number}"
    message["Date"] = format_datetime(dt.datetime(2026, 11, day, 15, number, tzinfo=dt.UTC))
    message["Message-ID"] = f"<m{number}@mail.example>"
    if reply_to:
        message["In-Reply-To"] = reply_to
    if references:
        message["References"] = references
    message.set_content(f"SECRET-BODY price list {number}")
    return message


def conversation() -> list[EmailMessage]:
    return [
        mail(1, f"王姐 <{WANG}>", "Hans <hans@hamburg-trade.de>", cc=LI),
        mail(
            2,
            "hans@hamburg-trade.de",
            WANG,
            reply_to="<m1@mail.example>",
            references="<m1@mail.example>",
        ),
        mail(
            3,
            WANG,
            "hans@hamburg-trade.de",
            reply_to="<m2@mail.example>",
            references="<m1@mail.example> <m2@mail.example>",
        ),
        mail(4, WANG, LI),
        mail(5, f"李哥 <{LI}>", "achat@lyon-sarl.fr, friend@gmail.example", day=3),
        mail(6, LI, "news@newsletter.example", day=3),
    ]


@pytest.fixture
def export_dir(settings: pytest.FixtureRequest, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    folder = tmp_path / "connector-files"
    folder.mkdir()
    return folder


def _mbox_config(**extra: object) -> EmailConfig:
    return config_from_dict(
        EmailConfig,
        {
            "mode": "mbox",
            "mbox_path": "sales.mbox",
            "internal_domains": ["xinghai.example"],
            "customer_domains": ["hamburg-trade.de", "lyon-sarl.fr"],
            **extra,
        },
    )


def _write_mbox(path: Path, messages: list[EmailMessage]) -> None:
    box = mailbox.mbox(str(path))
    try:
        for message in messages:
            box.add(message)
        box.flush()
    finally:
        box.close()


def test_mbox_counts_messages_and_threads_with_customers(export_dir: Path) -> None:
    _write_mbox(export_dir / "sales.mbox", conversation())
    batch = connector_for("email").fetch(_mbox_config(), {}, now=NOW)

    assert batch.complete
    emails = [
        (i.identity, i.evidence["message_id"])
        for i in batch.items
        if i.indicator_code == "customer_emails"
    ]
    assert emails == [
        (WANG, "<m1@mail.example>"),
        (WANG, "<m3@mail.example>"),
        (LI, "<m5@mail.example>"),
    ]
    threads = [
        (i.identity, i.evidence["thread"])
        for i in batch.items
        if i.indicator_code == "customer_email_threads"
    ]
    assert threads == [
        (WANG, "<m1@mail.example>"),
        (WANG, "<m1@mail.example>"),  # the reply belongs to the same thread
        (LI, "<m5@mail.example>"),
    ]
    lyon = next(
        i for i in batch.items if i.source_event_id == "email:<m5@mail.example>:customer_emails"
    )
    assert lyon.evidence == {
        "message_id": "<m5@mail.example>",
        "customer_domain": "lyon-sarl.fr",
        "customer_recipients": 1,
        "thread": "<m5@mail.example>",
    }
    assert lyon.occurred_at == dt.datetime(2026, 11, 3, 15, 5, tzinfo=dt.UTC)
    assert all("SECRET" not in str(item.evidence) for item in batch.items)
    assert batch.cursor == {"position": 6, "last_message_id": "<m6@mail.example>"}


def test_mbox_without_customer_list_counts_every_external_domain(export_dir: Path) -> None:
    _write_mbox(export_dir / "sales.mbox", conversation())
    batch = connector_for("email").fetch(_mbox_config(customer_domains=[]), {}, now=NOW)
    ids = {i.evidence["message_id"] for i in batch.items}
    assert ids == {
        "<m1@mail.example>",
        "<m3@mail.example>",
        "<m5@mail.example>",
        "<m6@mail.example>",
    }
    m5 = next(i for i in batch.items if i.evidence["message_id"] == "<m5@mail.example>")
    assert m5.evidence["customer_recipients"] == 2


def test_mbox_resumes_after_new_mail_and_restarts_when_replaced(export_dir: Path) -> None:
    path = export_dir / "sales.mbox"
    _write_mbox(path, conversation()[:3])
    connector = connector_for("email")
    first = connector.fetch(_mbox_config(), {}, now=NOW, limit=2)
    assert not first.complete
    second = connector.fetch(_mbox_config(), first.cursor, now=NOW, limit=2)
    assert second.complete
    assert [i.evidence["message_id"] for i in first.items + second.items][::2] == [
        "<m1@mail.example>",
        "<m3@mail.example>",
    ]
    _write_mbox(path, conversation()[3:])  # appended
    third = connector.fetch(_mbox_config(), second.cursor, now=NOW)
    assert {i.evidence["message_id"] for i in third.items} == {"<m5@mail.example>"}

    path.unlink()
    _write_mbox(path, [mail(7, WANG, "hans@hamburg-trade.de", day=4), *conversation()])
    fourth = connector.fetch(_mbox_config(), third.cursor, now=NOW)
    assert len({i.evidence["message_id"] for i in fourth.items}) == 4  # read again from the top


def test_mbox_path_must_stay_in_the_export_folder(export_dir: Path) -> None:
    with pytest.raises(ServiceError) as caught:
        _mbox_config(mbox_path="../../etc/passwd")
    assert set(caught.value.fields) == {"mbox_path"}
    with pytest.raises(ServiceError):
        _mbox_config(mbox_path="/etc/passwd")
    report = connector_for("email").connection_test(_mbox_config(mbox_path="missing.mbox"))
    assert not report.ok


def _imap_config(server: ImapServer, **extra: object) -> EmailConfig:
    return config_from_dict(
        EmailConfig,
        {
            "mode": "imap",
            "host": server.host,
            "port": server.port,
            "use_ssl": False,
            "username": server.user,
            "password": server.password,
            "mailboxes": ["Sent"],
            "internal_domains": ["xinghai.example"],
            "customer_domains": ["hamburg-trade.de", "lyon-sarl.fr"],
            "timeout_seconds": 5,
            **extra,
        },
    )


def _deliver(server: ImapServer, messages: list[EmailMessage]) -> None:
    for message in messages:
        sent = dt.datetime(2026, 11, 2, 15, tzinfo=dt.UTC).timestamp()
        server.append("Sent", message.as_bytes(), sent)


def test_imap_reads_headers_by_uid_and_resumes(imap: ImapServer) -> None:
    _deliver(imap, conversation())
    connector = connector_for("email")
    assert connector.connection_test(_imap_config(imap)).details == {"Sent": 6}

    batch = connector.fetch(_imap_config(imap), {}, now=NOW)
    assert batch.complete
    assert [
        i.evidence["message_id"] for i in batch.items if i.indicator_code == "customer_emails"
    ] == [
        "<m1@mail.example>",
        "<m3@mail.example>",
        "<m5@mail.example>",
    ]
    mark = batch.cursor["mailboxes"]["Sent"]
    assert mark["uidvalidity"]
    assert mark["last_uid"] > 0
    assert mark["last_date"] == "2026-11-03"  # the newest Date header taken

    again = connector.fetch(_imap_config(imap), batch.cursor, now=NOW)
    assert again.items == []

    _deliver(imap, [mail(8, LI, "achat@lyon-sarl.fr", day=5)])
    later = connector.fetch(_imap_config(imap), again.cursor, now=NOW)
    assert [i.source_event_id for i in later.items] == [
        "email:<m8@mail.example>:customer_emails",
        "email:<m8@mail.example>:customer_email_threads",
    ]
    assert later.cursor["mailboxes"]["Sent"]["last_uid"] > mark["last_uid"]


def test_imap_new_uidvalidity_searches_from_the_day_before_the_last_message(
    imap: ImapServer,
) -> None:
    _deliver(imap, conversation())  # stored on 2 November
    late = dt.datetime(2026, 11, 12, 9, tzinfo=dt.UTC).timestamp()
    imap.append("Sent", mail(9, WANG, "hans@hamburg-trade.de", day=12).as_bytes(), late)
    stale = {
        "mailboxes": {"Sent": {"uidvalidity": "1", "last_uid": 999, "last_date": "2026-11-10"}}
    }
    batch = connector_for("email").fetch(_imap_config(imap), stale, now=NOW)
    assert {i.evidence["message_id"] for i in batch.items} == {"<m9@mail.example>"}
    mark = batch.cursor["mailboxes"]["Sent"]
    assert mark["uidvalidity"] != "1"
    assert mark["last_date"] == "2026-11-12"


def test_imap_pages_with_a_limit(imap: ImapServer) -> None:
    _deliver(imap, conversation())
    connector = connector_for("email")
    cursor: dict[str, object] = {}
    ids: list[str] = []
    for _round in range(10):
        batch = connector.fetch(_imap_config(imap), cursor, now=NOW, limit=2)
        ids += [i.source_event_id for i in batch.items]
        cursor = batch.cursor
        if batch.complete:
            break
    assert len(ids) == len(set(ids)) == 6


def test_imap_failures_are_clear(imap: ImapServer) -> None:
    connector = connector_for("email")
    report = connector.connection_test(_imap_config(imap, password="wrong"))
    assert not report.ok
    with pytest.raises(ConnectorError) as caught:
        connector.fetch(_imap_config(imap, password="wrong"), {}, now=NOW)
    assert not caught.value.retryable
    with pytest.raises(ConnectorError) as caught:
        connector.fetch(_imap_config(imap, mailboxes=["Archiv 2025"]), {}, now=NOW)
    assert "Archiv 2025" in caught.value.message
    closed = ImapServer("127.0.0.1", free_port(), "wang", "x")
    with pytest.raises(ConnectorError) as caught:
        connector.fetch(_imap_config(closed), {}, now=NOW)
    assert "127.0.0.1" in caught.value.message
    assert caught.value.retryable


def test_imap_config_needs_its_fields() -> None:
    with pytest.raises(ServiceError) as caught:
        config_from_dict(EmailConfig, {"internal_domains": [], "mode": "mbox"})
    assert set(caught.value.fields) == {"internal_domains", "mbox_path"}
    with pytest.raises(ServiceError) as caught:
        config_from_dict(
            EmailConfig, {"internal_domains": ["xinghai.example"], "mode": "imap", "starttls": True}
        )
    assert set(caught.value.fields) == {"host", "username", "password", "starttls"}


@pytest.fixture
def imap_tls(tmp_path: Path) -> Iterator[ImapServer]:
    with imap_server(tmp_path, tls=True) as server:
        yield server


def test_imap_over_starttls_checks_the_servers_certificate(
    imap_tls: ImapServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real TLS exchange: the connector verifies the certificate against the system's
    trusted CAs (here the test CA, through SSL_CERT_FILE) and reads the headers over it;
    a server whose CA is not trusted is a clear error, and nothing is read."""
    _deliver(imap_tls, conversation())
    config = _imap_config(imap_tls, starttls=True)
    connector = connector_for("email")

    untrusted = connector.connection_test(config)
    assert not untrusted.ok
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.message
    with pytest.raises(ConnectorError):
        connector.fetch(config, {}, now=NOW)

    assert imap_tls.ca_file is not None
    monkeypatch.setenv("SSL_CERT_FILE", str(imap_tls.ca_file))
    assert connector.connection_test(config).details == {"Sent": 6}
    batch = connector.fetch(config, {}, now=NOW)
    assert batch.complete
    assert len([i for i in batch.items if i.indicator_code == "customer_emails"]) == 3
