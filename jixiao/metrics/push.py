"""The signed push endpoint's checks: HMAC-SHA256 signatures, freshness, replay, item parsing.

A client signs ``timestamp + "." + raw body`` with the source's secret and sends
``X-Jixiao-Timestamp`` (Unix seconds) and ``X-Jixiao-Signature: sha256=<hex>``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from jixiao.core.api_errors import ServiceError
from jixiao.metrics.event_input import CorrectionKind, EventInput
from jixiao.metrics.models import MetricSource, PushNonce, SourceRun
from jixiao.metrics.services.ingest import ItemResult

MAX_AGE = dt.timedelta(minutes=5)
MAX_ITEMS = 1000
TIMESTAMP_HEADER = "HTTP_X_JIXIAO_TIMESTAMP"
SIGNATURE_HEADER = "HTTP_X_JIXIAO_SIGNATURE"


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``timestamp.body`` — what clients send and what we compare."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _unauthorised(code: str, message: str) -> ServiceError:
    return ServiceError(message, code=code, status=401)


def unknown_source_refuse(*, timestamp: str, signature: str) -> None:
    """An id that is no source answers as a wrong signature would, so ids reveal nothing."""
    if not timestamp or not signature:
        raise _unauthorised(
            "signature_missing", _("缺少 X-Jixiao-Timestamp 或 X-Jixiao-Signature 请求头。")
        )
    try:
        dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise _unauthorised("bad_timestamp", _("X-Jixiao-Timestamp 必须是 Unix 秒数。")) from exc
    raise _unauthorised("bad_signature", _("签名不正确。"))


def signature_verify(
    *, source: MetricSource, timestamp: str, signature: str, body: bytes, now: dt.datetime
) -> None:
    """Refuse a missing, wrong, stale or replayed signature with a specific 401 code.

    A fresh valid signature is remembered (``PushNonce``) so the same request sent
    again inside the freshness window is refused as a replay.
    """
    if not timestamp or not signature:
        raise _unauthorised(
            "signature_missing", _("缺少 X-Jixiao-Timestamp 或 X-Jixiao-Signature 请求头。")
        )
    try:
        sent = dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise _unauthorised("bad_timestamp", _("X-Jixiao-Timestamp 必须是 Unix 秒数。")) from exc
    expected = signature_for(source.secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip()):
        raise _unauthorised("bad_signature", _("签名不正确。"))
    if abs(now - sent) > MAX_AGE:
        raise _unauthorised("stale_timestamp", _("请求时间戳与服务器时间相差超过 5 分钟。"))
    PushNonce.objects.filter(source=source, received_at__lt=now - 2 * MAX_AGE).delete()
    try:
        with transaction.atomic():
            PushNonce.objects.create(
                company=source.company, source=source, signature=expected[7:], received_at=now
            )
    except IntegrityError as exc:
        raise _unauthorised("replayed", _("该请求已处理过（重放）。")) from exc


@dataclass
class ParsedBatch:
    items: list[EventInput]
    positions: list[int]
    errors: list[ItemResult]


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(key)
    return value


def items_parse(body: bytes) -> ParsedBatch:
    """Turn the JSON body ``{"items": [...]}`` into ``EventInput``; bad items become results."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ServiceError(_("请求体不是合法的 JSON。"), code="malformed_body", status=400) from exc
    raw_items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(raw_items, list):
        raise ServiceError(
            _('请求体须为 {"items": [...]}。'), fields={"items": [_("必须是数组。")]}
        )
    if len(raw_items) > MAX_ITEMS:
        raise ServiceError(
            _("每批最多 %(n)d 条。") % {"n": MAX_ITEMS},
            code="too_many_items",
            status=413,
            fields={"items": [_("每批最多 %(n)d 条。") % {"n": MAX_ITEMS}]},
        )
    parsed = ParsedBatch([], [], [])
    for index, raw in enumerate(raw_items):
        result = _item_parse(index, raw)
        if isinstance(result, ItemResult):
            parsed.errors.append(result)
        else:
            parsed.items.append(result)
            parsed.positions.append(index)
    return parsed


def _item_parse(index: int, raw: Any) -> EventInput | ItemResult:
    def error(field: str, message: str, code: str = "invalid") -> ItemResult:
        source_id = raw.get("source_event_id") if isinstance(raw, dict) else ""
        return ItemResult(index, str(source_id or ""), "error", code=code, message=message,
                          fields={field: [message]})  # fmt: skip

    if not isinstance(raw, dict):
        return error("__all__", _("每一条必须是对象。"))
    value = raw.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return error("value", _("数值必须是数字。"), "invalid_value")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return error("value", _("数值必须是数字。"), "invalid_value")
    if not number.is_finite():
        return error("value", _("数值必须是有限的数字。"), "invalid_value")
    occurred = raw.get("occurred_at")
    at = parse_datetime(occurred) if isinstance(occurred, str) else None
    if at is None:
        return error("occurred_at", _("发生时间须为 ISO 8601 格式，例如 2026-10-15T10:00:00+08:00。"),
                     "invalid_time")  # fmt: skip
    if timezone.is_naive(at):
        return error("occurred_at", _("发生时间必须带时区（例如 +08:00 或 Z）。"), "naive_time")
    evidence = raw.get("evidence") or {}
    if not isinstance(evidence, dict):
        return error("evidence", _("证据必须是对象。"), "invalid_evidence")
    correction = raw.get("correction") or ""
    if correction not in ("", "reverse", "replace"):
        return error("correction", _("更正方式只能是 reverse 或 replace。"), "invalid_correction")
    try:
        return EventInput(
            indicator_code=_text(raw, "indicator"),
            value=number,
            occurred_at=at,
            source_event_id=_text(raw, "source_event_id"),
            identity=_text(raw, "identity"),
            employee_number=_text(raw, "employee_number"),
            department_code=_text(raw, "department_code"),
            evidence_url=_text(raw, "evidence_url"),
            evidence=evidence,
            correction=cast(CorrectionKind, correction),
            corrects=_text(raw, "corrects"),
        )
    except TypeError as exc:
        return error(str(exc.args[0]), _("必须是文字。"))


def run_finish(run: SourceRun, *, parse_errors: list[ItemResult], received: int) -> None:
    """Close a push batch's run, counting the items refused before ingest as well."""
    run.refresh_from_db()
    run.received = received
    run.errors += len(parse_errors)
    run.error_detail = [
        *[{"index": r.index, "source_event_id": r.source_event_id, "code": r.code,
           "message": r.message, "fields": r.fields} for r in parse_errors],
        *run.error_detail,
    ][:100]  # fmt: skip
    run.finish_mark(errors=run.errors, received=run.received)
    run.save()
