"""The contract every pull connector keeps: typed config, connection test, resumable fetch.

A connector is a small module that turns another system's records into
``EventInput`` values. ``fetch`` returns at most ``limit`` items and a cursor that
points just after the last item returned; calling it again with that cursor goes on
from there. When the other system fails half-way (timeout, HTTP error, a reply that
is not what the protocol promises), ``ConnectorError`` carries the items fetched
before the failure and the cursor after the last good one, so the sync runner can
store them and the next run resumes from the last good point.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import socket
import types
import typing
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from django.utils.translation import gettext as _

from jixiao.core.api_errors import ServiceError
from jixiao.metrics.event_input import EventInput

Cursor = dict[str, Any]

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_LIMIT = 500
MAX_RESPONSE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class ConnectionReport:
    """What a connection test found: ok or not, a readable message, details for support."""

    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class FetchBatch:
    """One page of events; ``complete`` is True when the source has nothing newer.

    ``problems`` are records the connector skipped (e.g. a row of an export with a
    non-numeric quantity), as readable messages for the run's error detail.
    """

    items: list[EventInput]
    cursor: Cursor
    complete: bool
    problems: list[str] = field(default_factory=list)


class ConnectorError(Exception):
    """The other system failed; what came before the failure is kept.

    ``items`` were fetched before the failure and are good to ingest; ``cursor``
    points just after the last of them (or is the cursor the fetch started from).
    """

    def __init__(
        self,
        message: str,
        *,
        items: Sequence[EventInput] = (),
        cursor: Cursor | None = None,
        retryable: bool = True,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.items = list(items)
        self.cursor = dict(cursor or {})
        self.retryable = retryable

    def with_progress(self, *, items: Sequence[EventInput], cursor: Cursor) -> ConnectorError:
        """The same failure, carrying what was fetched before it."""
        return ConnectorError(self.message, items=items, cursor=cursor, retryable=self.retryable)


# --- Config -------------------------------------------------------------------------------


class ConnectorConfig:
    """Base of the connector configs (dataclasses); ``check`` adds cross-field rules."""

    #: Fields never echoed back in API output or error details.
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def check(self) -> dict[str, list[str]]:
        return {}


ConfigT = TypeVar("ConfigT", bound=ConnectorConfig)


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(value: Any, kind: Any) -> Any:
    """Convert a JSON value to ``kind``; raises ValueError with a readable message."""
    origin = typing.get_origin(kind)
    if kind is str:
        if not isinstance(value, str):
            raise ValueError(_("应为文本。"))
        return value.strip()
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {
            "true",
            "1",
            "yes",
            "false",
            "0",
            "no",
        }:
            return value.strip().lower() in {"true", "1", "yes"}
        raise ValueError(_("应为是或否。"))
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(_("应为整数。"))
        try:
            return int(value)
        except ValueError:
            raise ValueError(_("应为整数。")) from None
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(_("应为数字。"))
        try:
            return float(value)
        except ValueError:
            raise ValueError(_("应为数字。")) from None
    if origin in (tuple, list):
        if isinstance(value, str):
            value = [part for part in value.replace("，", ",").split(",") if part.strip()]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError(_("应为文本列表。"))
        return tuple(v.strip() for v in value)
    if origin is dict:
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ValueError(_("应为文本键值对。"))
        return {k.strip(): v.strip() for k, v in value.items()}
    if origin in (typing.Union, types.UnionType):
        return _coerce(value, next(arg for arg in typing.get_args(kind) if arg is not type(None)))
    raise TypeError(f"unsupported config field type {kind!r}")


def config_from_dict(cls: type[ConfigT], raw: Mapping[str, Any] | None) -> ConfigT:
    """Build a config dataclass from JSON; every problem is a field error in one ServiceError."""
    raw = dict(raw or {})
    hints = _field_types(cls)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for name in sorted(set(raw) - known):
        errors.setdefault(name, []).append(_("未知的配置项。"))
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        required = (
            spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
        )
        value = raw.get(spec.name)
        blank = value is None or (isinstance(value, str) and not value.strip())
        if blank and not required and hints[spec.name] is str and value is not None:
            values[spec.name] = ""  # an optional text cleared on purpose
            continue
        if blank:
            if required:
                errors.setdefault(spec.name, []).append(_("必填。"))
            continue
        try:
            values[spec.name] = _coerce(value, hints[spec.name])
        except ValueError as exc:
            errors.setdefault(spec.name, []).append(str(exc))
    if errors:
        raise ServiceError(_("连接器配置有误。"), code="invalid_config", fields=errors)
    config = cls(**values)
    extra = config.check()
    if extra:
        raise ServiceError(_("连接器配置有误。"), code="invalid_config", fields=extra)
    return config


def check_http_url(url: str, name: str) -> dict[str, list[str]]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return {name: [_("应为 http:// 或 https:// 开头的地址。")]}
    return {}


def check_date(value: str, name: str) -> dict[str, list[str]]:
    """An optional YYYY-MM-DD setting (empty is fine)."""
    if not value:
        return {}
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return {name: [_("日期格式应为 YYYY-MM-DD。")]}
    return {}


def check_positive(value: float, name: str) -> dict[str, list[str]]:
    return {} if value > 0 else {name: [_("应大于 0。")]}


def merge_errors(*parts: dict[str, list[str]]) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for part in parts:
        for key, messages in part.items():
            merged.setdefault(key, []).extend(messages)
    return merged


# --- The connector protocol and registry --------------------------------------------------


class Connector(Protocol, Generic[ConfigT]):
    kind: str
    config_class: type[ConfigT]

    def connection_test(self, config: ConfigT) -> ConnectionReport: ...

    def fetch(
        self, config: ConfigT, cursor: Cursor, *, now: dt.datetime, limit: int = DEFAULT_LIMIT
    ) -> FetchBatch: ...


_REGISTRY: dict[str, Connector[Any]] = {}


def register(connector: Connector[Any]) -> Connector[Any]:
    _REGISTRY[connector.kind] = connector
    return connector


def connector_for(kind: str) -> Connector[Any]:
    """The connector for a source kind; importing the modules registers them."""
    from jixiao.metrics.connectors import load_all

    load_all()
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise ServiceError(
            _("“%(kind)s”类型的数据源没有拉取连接器。") % {"kind": kind},
            code="no_connector",
            fields={"kind": [_("不支持拉取。")]},
        ) from None


def connector_kinds() -> list[str]:
    from jixiao.metrics.connectors import load_all

    load_all()
    return sorted(_REGISTRY)


# --- Small shared helpers -----------------------------------------------------------------


def first_line(text: str, limit: int = 200) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line[:limit]


@dataclass(frozen=True)
class HttpAuth:
    """Basic (user + password/API token) or bearer token authentication for REST sources."""

    username: str = ""
    password: str = ""
    token: str = ""

    def header(self) -> str:
        if self.token:
            return f"Bearer {self.token}"
        if self.username:
            pair = f"{self.username}:{self.password}".encode()
            return "Basic " + base64.b64encode(pair).decode("ascii")
        return ""


def http_get_json(url: str, *, params: Mapping[str, Any], auth: HttpAuth, timeout: float) -> Any:
    """GET a JSON document with an explicit timeout; every failure is a ConnectorError."""
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
    full = f"{url}?{query}" if query else url
    request = urllib.request.Request(full, headers={"Accept": "application/json"})  # noqa: S310
    header = auth.header()
    if header:
        request.add_header("Authorization", header)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(MAX_RESPONSE_BYTES + 1)
        if len(body) > MAX_RESPONSE_BYTES:
            raise ConnectorError(
                _("对方系统的回复超过 %(mb)d MB，请减小每页条数。")
                % {"mb": MAX_RESPONSE_BYTES // 1048576},
                retryable=False,
            )
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise ConnectorError(
                _("对方系统拒绝了认证（HTTP %(code)d），请检查账号和令牌。") % {"code": exc.code},
                retryable=False,
            ) from exc
        # A server error or throttling may pass; a refused request (bad query, wrong
        # address) will be refused again until someone fixes the configuration.
        raise ConnectorError(
            _("对方系统返回错误 HTTP %(code)d：%(url)s") % {"code": exc.code, "url": url},
            retryable=exc.code >= 500 or exc.code in (408, 429),
        ) from exc
    except TimeoutError as exc:
        raise ConnectorError(
            _("请求超时（%(s)s 秒）：%(url)s") % {"s": timeout, "url": url}
        ) from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError | socket.timeout):
            raise ConnectorError(
                _("请求超时（%(s)s 秒）：%(url)s") % {"s": timeout, "url": url}
            ) from exc
        raise ConnectorError(_("无法连接对方系统：%(reason)s") % {"reason": exc.reason}) from exc
    except OSError as exc:
        raise ConnectorError(_("无法连接对方系统：%(reason)s") % {"reason": exc}) from exc
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ConnectorError(_("对方系统返回的不是 JSON：%(url)s") % {"url": url}) from exc


def protocol_error(what: str) -> ConnectorError:
    return ConnectorError(_("对方系统的回复不符合约定：%(what)s") % {"what": what})


# --- For the source set-up (API and screens) -----------------------------------------------


def connector_config(kind: str, raw: Mapping[str, Any] | None) -> Any:
    """A source's config checked against its connector (ServiceError with field errors)."""
    return config_from_dict(connector_for(kind).config_class, raw)


MASK = "***"


def config_masked(kind: str, raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """A source's config as shown back to people and in audit diffs: secrets as "***"."""
    shown = dict(raw or {})
    if kind not in connector_kinds():
        return shown
    secret = connector_for(kind).config_class.secret_fields
    return {key: (MASK if key in secret and value else value) for key, value in shown.items()}
