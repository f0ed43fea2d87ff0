"""Email with customers, from IMAP or an mbox file: metadata only, never a body.

Only the headers From, To, Cc, Date, Message-ID, In-Reply-To and References are
read (IMAP ``BODY.PEEK[HEADER.FIELDS (...)]``; in an mbox, lines up to the first
blank line). A message counts when its sender is at an internal domain (that
sender is the employee) and at least one recipient is at a customer domain
(the configured list, or any non-internal domain when the list is empty).

Events per counted message: ``customer_emails`` (1) and
``customer_email_threads`` (1, with the thread's root Message-ID as ``thread`` in
the evidence, so the indicator counts distinct threads). Both use the
Message-ID in their source id: the same message seen in two mailboxes counts once.

Cursors: IMAP per mailbox ``{"uidvalidity", "last_uid", "last_date"}`` (a changed
UIDVALIDITY searches that mailbox again SINCE the day before ``last_date``; source
ids keep the overlap from counting twice); mbox ``{"position", "last_message_id"}``.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import imaplib
import mailbox
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from email.message import Message
from email.parser import BytesHeaderParser
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from jixiao.metrics.connectors.base import (
    DEFAULT_LIMIT,
    ConnectionReport,
    ConnectorConfig,
    ConnectorError,
    Cursor,
    FetchBatch,
    check_date,
    check_positive,
    merge_errors,
    register,
)
from jixiao.metrics.connectors.files import path_errors, resolve_export_path
from jixiao.metrics.event_input import EventInput, EvidenceValue

HEADER_FIELDS = ("FROM", "TO", "CC", "DATE", "MESSAGE-ID", "IN-REPLY-TO", "REFERENCES")
FETCH_ITEMS = f"(UID BODY.PEEK[HEADER.FIELDS ({' '.join(HEADER_FIELDS)})])"
FETCH_CHUNK = 200
_UID = re.compile(rb"UID (\d+)")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class EmailConfig(ConnectorConfig):
    """``mode`` "imap" (host, login, mailboxes) or "mbox" (``mbox_path`` in the export folder)."""

    internal_domains: tuple[str, ...]
    mode: str = "imap"
    customer_domains: tuple[str, ...] = ()
    host: str = ""
    port: int = 0
    use_ssl: bool = True
    starttls: bool = False
    username: str = ""
    password: str = ""
    mailboxes: tuple[str, ...] = ("Sent",)
    mbox_path: str = ""
    since: str = ""
    timeout_seconds: float = 15.0

    secret_fields: ClassVar[tuple[str, ...]] = ("password",)

    def check(self) -> dict[str, list[str]]:
        errors = check_positive(self.timeout_seconds, "timeout_seconds")
        if not self.internal_domains:
            errors = merge_errors(errors, {"internal_domains": [_("至少填写一个公司域名。")]})
        if self.mode == "imap":
            for name in ("host", "username", "password"):
                if not getattr(self, name):
                    errors = merge_errors(errors, {name: [_("IMAP 方式必填。")]})
            if not self.mailboxes:
                errors = merge_errors(errors, {"mailboxes": [_("至少填写一个邮箱文件夹。")]})
            if self.use_ssl and self.starttls:
                errors = merge_errors(errors, {"starttls": [_("SSL 与 STARTTLS 只能选一个。")]})
        elif self.mode == "mbox":
            errors = merge_errors(errors, path_errors(self.mbox_path, "mbox_path"))
        else:
            errors = merge_errors(errors, {"mode": [_("应为 imap 或 mbox。")]})
        errors = merge_errors(errors, check_date(self.since, "since"))
        return errors

    @property
    def internal(self) -> set[str]:
        return {d.lower().lstrip("@") for d in self.internal_domains}

    @property
    def customers(self) -> set[str]:
        return {d.lower().lstrip("@") for d in self.customer_domains}


def _domain_in(domain: str, domains: set[str]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in domains)


def _addresses(message: Message, *names: str) -> list[str]:
    values = [str(v) for name in names for v in message.get_all(name, [])]
    return [addr.strip().lower() for _n, addr in email.utils.getaddresses(values) if "@" in addr]


def message_events(config: EmailConfig, message: Message) -> list[EventInput]:
    """Events for one message's headers ([] when it is not employee → customer)."""
    senders = _addresses(message, "From")
    if not senders:
        return []
    sender = senders[0]
    if not _domain_in(sender.rsplit("@", 1)[1], config.internal):
        return []
    customer_domains = []
    for address in _addresses(message, "To", "Cc"):
        domain = address.rsplit("@", 1)[1]
        if _domain_in(domain, config.internal):
            continue
        if config.customers and not _domain_in(domain, config.customers):
            continue
        customer_domains.append(domain)
    if not customer_domains:
        return []
    date_header = message.get("Date")
    if not date_header:
        return []
    try:
        sent = email.utils.parsedate_to_datetime(str(date_header))
    except (TypeError, ValueError):
        return []
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=dt.UTC)
    sent = sent.astimezone(dt.UTC)
    if config.since and sent.date() < dt.date.fromisoformat(config.since):
        return []
    ids = _MESSAGE_ID.findall(str(message.get("Message-ID") or ""))
    if ids:
        message_id = ids[0]
    else:
        raw = "|".join([sender, str(date_header), ",".join(customer_domains)])
        message_id = "<sha256-" + hashlib.sha256(raw.encode()).hexdigest()[:32] + ">"
    references = _MESSAGE_ID.findall(str(message.get("References") or ""))
    in_reply_to = _MESSAGE_ID.findall(str(message.get("In-Reply-To") or ""))
    thread = (references or in_reply_to or [message_id])[0]
    evidence: dict[str, EvidenceValue] = {
        "message_id": message_id,
        "customer_domain": customer_domains[0],
        "customer_recipients": len(customer_domains),
        "thread": thread,
    }
    return [
        EventInput(
            indicator_code=code,
            value=Decimal(1),
            occurred_at=sent,
            source_event_id=f"email:{message_id}:{code}",
            identity=sender,
            evidence=evidence,
        )
        for code in ("customer_emails", "customer_email_threads")
    ]


def _headers_only(lines: Iterator[bytes]) -> Message:
    head: list[bytes] = []
    for line in lines:
        if line in (b"\n", b"\r\n"):
            break
        head.append(line)
    return BytesHeaderParser().parsebytes(b"".join(head))


# --- IMAP ---------------------------------------------------------------------------------


def _imap_quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_connect(config: EmailConfig) -> imaplib.IMAP4:
    port = config.port or (993 if config.use_ssl else 143)
    try:
        client: imaplib.IMAP4
        if config.use_ssl:
            client = imaplib.IMAP4_SSL(
                config.host,
                port,
                ssl_context=ssl.create_default_context(),
                timeout=config.timeout_seconds,
            )
        else:
            client = imaplib.IMAP4(config.host, port, timeout=config.timeout_seconds)
            if config.starttls:
                client.starttls(ssl.create_default_context())
    except TimeoutError as exc:
        raise ConnectorError(
            _("连接邮件服务器超时（%(s)s 秒）：%(host)s")
            % {"s": config.timeout_seconds, "host": config.host}
        ) from exc
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ConnectorError(
            _("无法连接邮件服务器 %(host)s:%(port)s：%(reason)s")
            % {"host": config.host, "port": port, "reason": exc}
        ) from exc
    try:
        client.login(config.username, config.password)
    except imaplib.IMAP4.error as exc:
        _logout(client)
        raise ConnectorError(_("邮件服务器拒绝登录，请检查账号和密码。"), retryable=False) from exc
    except OSError as exc:
        raise ConnectorError(_("登录邮件服务器时连接中断：%(r)s") % {"r": exc}) from exc
    return client


def _logout(client: imaplib.IMAP4) -> None:
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        return


def _select(client: imaplib.IMAP4, name: str) -> str:
    status, _data = client.select(_imap_quote(name), readonly=True)
    if status != "OK":
        raise ConnectorError(_("邮件服务器上没有文件夹“%(m)s”。") % {"m": name}, retryable=False)
    _typ, validity = client.response("UIDVALIDITY")
    value = validity[0] if validity and validity[0] else b""
    return value.decode() if isinstance(value, bytes) else str(value or "")


def _uids(data: list[Any]) -> list[int]:
    found: list[int] = []
    for chunk in data:
        if isinstance(chunk, bytes):
            found.extend(int(part) for part in chunk.split() if part.isdigit())
    return sorted(found)


def _fetch_headers(client: imaplib.IMAP4, uids: list[int]) -> list[tuple[int, Message]]:
    status, data = client.uid("FETCH", ",".join(str(u) for u in uids), FETCH_ITEMS)
    if status != "OK":
        raise ConnectorError(_("邮件服务器拒绝读取邮件头。"))
    found: list[tuple[int, Message]] = []
    for part in data:
        if isinstance(part, tuple) and len(part) == 2:
            match = _UID.search(part[0])
            if match is None:
                raise ConnectorError(_("邮件服务器的回复中缺少 UID。"))
            found.append((int(match.group(1)), BytesHeaderParser().parsebytes(part[1])))
    return sorted(found, key=lambda pair: pair[0])


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def imap_date(day: dt.date) -> str:
    """IMAP's date (RFC 3501 ``date``), independent of the process locale."""
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"


def _sent_day(message: Message) -> str:
    try:
        sent = email.utils.parsedate_to_datetime(str(message.get("Date") or ""))
    except (TypeError, ValueError):
        return ""
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=dt.UTC)
    return sent.astimezone(dt.UTC).date().isoformat()


def _search_from(config: EmailConfig, mark: dict[str, Any]) -> dt.date | None:
    """Where a mailbox is searched from when its UIDs cannot be trusted (first run, or
    a new UIDVALIDITY): a day before the last message taken, else ``since``."""
    floor = dt.date.fromisoformat(config.since) if config.since else None
    last = mark.get("last_date")
    if isinstance(last, str) and last:
        day = dt.date.fromisoformat(last) - dt.timedelta(days=1)
        return max(day, floor) if floor else day
    return floor


class EmailConnector:
    kind = "email"
    config_class = EmailConfig

    def connection_test(self, config: EmailConfig) -> ConnectionReport:
        if config.mode == "mbox":
            path = resolve_export_path(config.mbox_path)
            if path is None or not path.is_file():
                return ConnectionReport(False, _("找不到 mbox 文件。"), {"path": config.mbox_path})
            box = mailbox.mbox(str(path), create=False)
            try:
                count = len(box)
            finally:
                box.close()
            return ConnectionReport(
                True, _("mbox 文件可读，共 %(n)d 封邮件。") % {"n": count}, {"messages": count}
            )
        try:
            client = _imap_connect(config)
        except ConnectorError as exc:
            return ConnectionReport(False, exc.message, {"host": config.host})
        details: dict[str, Any] = {}
        try:
            for name in config.mailboxes:
                _select(client, name)
                _status, data = client.status(_imap_quote(name), "(MESSAGES)")
                match = re.search(rb"MESSAGES (\d+)", data[0] or b"") if data else None
                details[name] = int(match.group(1)) if match else None
        except ConnectorError as exc:
            return ConnectionReport(False, exc.message, details)
        except (OSError, imaplib.IMAP4.error) as exc:
            return ConnectionReport(False, str(exc), details)
        finally:
            _logout(client)
        return ConnectionReport(True, _("已登录邮件服务器，文件夹都可读取。"), details)

    def fetch(
        self, config: EmailConfig, cursor: Cursor, *, now: dt.datetime, limit: int = DEFAULT_LIMIT
    ) -> FetchBatch:
        if config.mode == "mbox":
            return self._fetch_mbox(config, cursor, limit)
        return self._fetch_imap(config, cursor, limit)

    def _fetch_imap(self, config: EmailConfig, cursor: Cursor, limit: int) -> FetchBatch:
        marks: dict[str, dict[str, Any]] = {
            name: dict(value)
            for name, value in (cursor.get("mailboxes") or {}).items()
            if isinstance(value, dict)
        }
        items: list[EventInput] = []
        taken = 0
        client = _imap_connect(config)
        try:
            for name in config.mailboxes:
                try:
                    validity = _select(client, name)
                    mark = marks.get(name, {})
                    if mark.get("uidvalidity") == validity and mark.get("last_uid"):
                        last = int(mark["last_uid"])
                        status, data = client.uid("SEARCH", f"UID {last + 1}:*")
                        uids = [u for u in _uids(data) if u > last] if status == "OK" else []
                    else:
                        day = _search_from(config, mark)
                        marks[name] = {"uidvalidity": validity, "last_uid": 0}
                        if mark.get("last_date"):
                            marks[name]["last_date"] = mark["last_date"]
                        if day is not None:
                            status, data = client.uid("SEARCH", "SINCE", imap_date(day))
                        else:
                            status, data = client.uid("SEARCH", "ALL")
                        uids = _uids(data) if status == "OK" else []
                    if status != "OK":
                        raise ConnectorError(_("邮件服务器拒绝搜索“%(m)s”。") % {"m": name})
                    start = 0
                    while start < len(uids):
                        if taken >= limit:
                            return FetchBatch(items, {"mailboxes": marks}, False)
                        chunk = uids[start : start + min(FETCH_CHUNK, limit - taken)]
                        start += len(chunk)
                        for uid, message in _fetch_headers(client, chunk):
                            events = message_events(config, message)
                            items.extend(events)
                            mark = {**marks[name], "uidvalidity": validity, "last_uid": uid}
                            sent = _sent_day(message)
                            if sent and sent > str(mark.get("last_date", "")):
                                mark["last_date"] = sent
                            marks[name] = mark
                            taken += 1
                except TimeoutError as exc:
                    raise ConnectorError(
                        _("读取邮件超时（%(s)s 秒）。") % {"s": config.timeout_seconds},
                        items=items,
                        cursor={"mailboxes": marks},
                    ) from exc
                except (OSError, imaplib.IMAP4.error) as exc:
                    raise ConnectorError(
                        _("读取邮件时出错：%(r)s") % {"r": exc},
                        items=items,
                        cursor={"mailboxes": marks},
                    ) from exc
                except ConnectorError as exc:
                    raise exc.with_progress(items=items, cursor={"mailboxes": marks}) from exc
        finally:
            _logout(client)
        return FetchBatch(items, {"mailboxes": marks}, True)

    def _fetch_mbox(self, config: EmailConfig, cursor: Cursor, limit: int) -> FetchBatch:
        path = resolve_export_path(config.mbox_path)
        if path is None or not path.is_file():
            raise ConnectorError(
                _("找不到 mbox 文件：%(p)s") % {"p": config.mbox_path}, retryable=False
            )
        position = int(cursor.get("position", 0) or 0)
        last_id = str(cursor.get("last_message_id", ""))
        box = mailbox.mbox(str(path), create=False)
        try:
            keys = list(box.iterkeys())
            if position > len(keys) or (
                position and self._message_id(box, keys[position - 1]) != last_id
            ):
                position = 0  # the file was replaced: read it again, source ids prevent doubles
            items: list[EventInput] = []
            end = min(len(keys), position + limit)
            for index in range(position, end):
                handle = box.get_file(keys[index])
                try:
                    message = _headers_only(iter(handle.readline, b""))
                finally:
                    handle.close()
                items.extend(message_events(config, message))
                last_id = str(message.get("Message-ID") or "")
            next_cursor = {"position": end, "last_message_id": last_id}
            return FetchBatch(items, next_cursor, end >= len(keys))
        except (OSError, mailbox.Error) as exc:
            raise ConnectorError(_("读取 mbox 文件出错：%(r)s") % {"r": exc}) from exc
        finally:
            box.close()

    def _message_id(self, box: mailbox.mbox, key: Any) -> str:
        handle = box.get_file(key)
        try:
            return str(_headers_only(iter(handle.readline, b"")).get("Message-ID") or "")
        finally:
            handle.close()


connector = register(EmailConnector())
