"""What the current request tells services that do not receive it: the client IP."""

from __future__ import annotations

from contextvars import ContextVar

_request_ip: ContextVar[str | None] = ContextVar("jixiao_request_ip", default=None)


def current_request_ip() -> str | None:
    return _request_ip.get()


def set_request_ip(ip: str | None) -> object:
    return _request_ip.set(ip)


def reset_request_ip(token: object) -> None:
    _request_ip.reset(token)  # type: ignore[arg-type]
