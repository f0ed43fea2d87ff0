"""Django's PostgreSQL backend, with every aware datetime sent to the server in UTC.

Python accepts UTC offsets up to ±23:59; PostgreSQL refuses any beyond ±15:59
("time zone displacement out of range"). A time that arrives with such an offset
(an API client, a device export) is the same instant in UTC, so it is converted
before it reaches the server, for writes and lookups alike. Times are stored in UTC
anyway, so nothing else changes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def adapt_datetimefield_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            # Year 1 or 9999 moved past the calendar's edge: sent as it is (within
            # ±15:59 the server still takes it).
            with contextlib.suppress(OverflowError):
                value = value.astimezone(dt.UTC)
        return super().adapt_datetimefield_value(value)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
