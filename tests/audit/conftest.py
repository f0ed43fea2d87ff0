"""Audit fixtures; ``@pytest.mark.postgres`` tests run only on a PostgreSQL database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection

from jixiao.audit.models import AuditEvent
from jixiao.audit.services import audit_record
from jixiao.core.models import Company, User


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://…")


Recorder = Callable[..., list[AuditEvent]]


@pytest.fixture
def record() -> Recorder:
    """Append ``count`` salary-change events about 王姐-like objects to a company's chain."""

    def _record(
        company: Company,
        count: int = 1,
        *,
        actor: User | None = None,
        action: str = "org.employee.update",
    ) -> list[AuditEvent]:
        return [
            audit_record(
                company=company,
                actor=actor,
                action=action,
                object_type="org.employee",
                object_id=str(100 + i),
                object_repr=f"王姐 {i}",
                changes={"base_salary": [str(8000 + i), str(9000 + i)]},
                reason="年度调薪",
                ip_address="10.0.0.8",
            )
            for i in range(count)
        ]

    return _record
