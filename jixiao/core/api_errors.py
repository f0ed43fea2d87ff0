"""The one error type services raise for a refused request; the API and views render it."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses, with a user-facing message and field errors."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        status: int = 422,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.fields = fields or {}
