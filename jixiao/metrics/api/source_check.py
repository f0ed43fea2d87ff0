"""Trying a source's connection settings before they are saved."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from jixiao.metrics.api.common import WRITE_ERRORS, admin, source_in_company
from jixiao.metrics.api.sources import MetricConnectionOut
from jixiao.metrics.connectors.base import config_masked
from jixiao.metrics.services.sync import source_config_test

router = Router(tags=["metrics"])


class MetricConnectionTryIn(Schema):
    kind: str = Field(max_length=20, description="git, issue_tracker, crm, email or erp")
    config: dict[str, Any] = Field(default_factory=dict)
    source_id: int | None = Field(
        None, description='A saved source whose stored secrets stand in for "***".'
    )


@router.post("/sources/test", response={200: MetricConnectionOut, **WRITE_ERRORS})
def source_config_try(request: HttpRequest, payload: MetricConnectionTryIn) -> dict[str, Any]:
    """测试连接 with settings not saved yet (a new source, or changes to one): ok or the
    reason; nothing is stored. Bad settings are a 422 with the fields ("config.url")."""
    user = admin(request)
    source = source_in_company(user, payload.source_id)
    report = source_config_test(kind=payload.kind, config=payload.config, source=source)
    return {
        "ok": report.ok,
        "message": report.message,
        "details": config_masked(payload.kind, report.details),
    }
