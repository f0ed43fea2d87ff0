"""The signed push endpoint end to end: a real HTTP request to a live server, HMAC-signed.

Wrong signature, replay, stale timestamp, too many items, per-item results, and a
re-sent batch that counts nothing twice.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from decimal import Decimal
from typing import Any

import pytest
from django_scopes import scope, scopes_disabled

from jixiao.metrics.library import library_install
from jixiao.metrics.models import MetricEvent, MetricSource, MetricValue, SourceKind, SourceRun
from jixiao.metrics.push import signature_for
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def source(world: World) -> MetricSource:
    with scope(company=world.company):
        library_install(company=world.company, actor=world.hr)
        return MetricSource.objects.create(company=world.company, name="CRM", kind=SourceKind.PUSH)


def _send(
    server: Any,
    source: MetricSource,
    body: bytes,
    *,
    secret: str | None = None,
    timestamp: str | None = None,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    url = urllib.parse.urlsplit(server.url)
    stamp = timestamp if timestamp is not None else str(int(time.time()))
    sent = {
        "Content-Type": "application/json",
        "X-Jixiao-Timestamp": stamp,
        "X-Jixiao-Signature": signature or signature_for(secret or source.secret, stamp, body),
        **(headers or {}),
    }
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request("POST", f"/api/v1/metrics/sources/{source.pk}/events", body, sent)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def _body(*items: dict[str, Any]) -> bytes:
    return json.dumps({"items": list(items)}).encode()


def _item(source_id: str, value: Any = "1200", **extra: Any) -> dict[str, Any]:
    return {
        "indicator": "order_amount",
        "value": value,
        "occurred_at": "2026-10-15T10:00:00+08:00",
        "source_event_id": source_id,
        "employee_number": "A004",
        "evidence": {"order": source_id, "customer": "Müller GmbH"},
        "evidence_url": f"https://crm.example.com/orders/{source_id}",
        **extra,
    }


def test_a_signed_batch_is_ingested_with_per_item_results(
    live_server: Any, source: MetricSource, world: World
) -> None:
    body = _body(
        _item("SO-1"),
        _item("SO-2", 800),
        _item("SO-3", "abc"),
        _item("SO-4", occurred_at="2026-10-15T10:00:00"),
        _item("SO-5", indicator="nope"),
        _item("SO-6", employee_number="", identity="unknown@partner.example"),
    )
    status, result = _send(live_server, source, body)
    assert status == 200, result
    assert [(i["index"], i["status"], i["code"]) for i in result["items"]] == [
        (0, "created", ""),
        (1, "created", ""),
        (2, "error", "invalid_value"),
        (3, "error", "naive_time"),
        (4, "error", "unknown_indicator"),
        (5, "unmatched", ""),
    ]
    assert result["items"][2]["fields"] == {"value": ["数值必须是数字。"]}
    assert (result["created"], result["errors"], result["unmatched"]) == (2, 3, 1)
    with scopes_disabled():
        run = SourceRun.objects.get(pk=result["run_id"])
        assert (run.status, run.received, run.created, run.errors) == ("partial", 6, 2, 3)
        value = MetricValue.objects.get(
            indicator__code="order_amount", period_kind="month", employee__employee_number="A004"
        )
        assert value.value == Decimal(2000)
    # The same batch again, signed anew (another timestamp, so not a replay):
    # nothing counts twice.
    status, again = _send(live_server, source, body, timestamp=str(int(time.time()) + 1))
    assert status == 200
    assert [i["status"] for i in again["items"]][:2] == ["duplicate", "duplicate"]
    with scopes_disabled():
        assert MetricEvent.objects.filter(source=source).count() == 3


def test_wrong_signature_replay_and_stale_timestamp_are_refused(
    live_server: Any, source: MetricSource
) -> None:
    body = _body(_item("SO-1"))
    status, result = _send(live_server, source, body, secret="not-the-secret")
    assert (status, result["code"]) == (401, "bad_signature")
    status, result = _send(live_server, source, body, signature="sha256=" + "0" * 64)
    assert (status, result["code"]) == (401, "bad_signature")
    tampered_stamp = str(int(time.time()))
    signature = signature_for(source.secret, tampered_stamp, body)
    status, result = _send(
        live_server, source, _body(_item("SO-1", 999999)), timestamp=tampered_stamp,
        signature=signature,
    )  # fmt: skip
    assert (status, result["code"]) == (401, "bad_signature")
    old = str(int(time.time()) - 6 * 60)
    status, result = _send(live_server, source, body, timestamp=old)
    assert (status, result["code"]) == (401, "stale_timestamp")
    status, result = _send(live_server, source, body, timestamp="yesterday")
    assert (status, result["code"]) == (401, "bad_timestamp")
    status, result = _send(live_server, source, body, headers={"X-Jixiao-Signature": ""})
    assert (status, result["code"]) == (401, "signature_missing")
    stamp = str(int(time.time()))
    first, _ok = _send(live_server, source, body, timestamp=stamp)
    assert first == 200
    status, result = _send(live_server, source, body, timestamp=stamp)
    assert (status, result["code"]) == (401, "replayed")
    with scopes_disabled():
        assert MetricEvent.objects.filter(source=source).count() == 1


def test_rotating_the_secret_stops_the_old_one(
    live_server: Any, source: MetricSource, world: World
) -> None:
    from tests.conftest import login

    old_secret = source.secret
    client = login(world.hr)
    response = client.post(f"/api/v1/metrics/sources/{source.pk}/rotate-secret")
    assert response.status_code == 200
    new_secret = response.json()["secret"]
    assert new_secret != old_secret
    status, result = _send(live_server, source, _body(_item("SO-1")), secret=old_secret)
    assert (status, result["code"]) == (401, "bad_signature")
    status, _result = _send(live_server, source, _body(_item("SO-1")), secret=new_secret)
    assert status == 200


def test_limits_and_unknown_sources(live_server: Any, source: MetricSource, world: World) -> None:
    too_many = _body(*[_item(f"SO-{i}") for i in range(1001)])
    status, result = _send(live_server, source, too_many)
    assert (status, result["code"]) == (413, "too_many_items")
    status, result = _send(live_server, source, b"not json")
    assert (status, result["code"]) == (400, "malformed_body")
    with scopes_disabled():
        MetricSource.objects.filter(pk=source.pk).update(enabled=False)
    status, result = _send(live_server, source, _body(_item("SO-1")))
    assert (status, result["code"]) == (403, "source_disabled")
    # An id that is no source answers exactly as a wrong signature: ids reveal nothing.
    ghost = MetricSource(pk=source.pk + 1000, secret="x")
    status, result = _send(live_server, ghost, _body(_item("SO-1")))
    assert (status, result["code"]) == (401, "bad_signature")


def test_a_logged_in_session_is_not_needed_and_not_enough(
    live_server: Any, source: MetricSource, world: World
) -> None:
    """A browser session of HR without a signature is refused like anyone else."""
    from tests.conftest import login

    response = login(world.hr).post(
        f"/api/v1/metrics/sources/{source.pk}/events",
        _body(_item("SO-1")),
        content_type="application/json",
    )
    assert response.status_code == 401
    assert response.json()["code"] == "signature_missing"


def test_a_batch_for_many_people_is_answered_first_and_its_values_follow(
    live_server: Any, source: MetricSource, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch touching more people than ``PUSH_INLINE_SUBJECTS`` is answered with
    ``values_current: false`` and its values are refreshed by a task after the commit
    (Huey runs it at once in tests); a batch for few people refreshes before answering."""
    from jixiao.metrics.api import sources as sources_api

    monkeypatch.setattr(sources_api, "PUSH_INLINE_SUBJECTS", 1)
    status, result = _send(
        live_server,
        source,
        _body(_item("SO-1", "1000"), _item("SO-2", "500", employee_number="A005")),
    )
    assert status == 200, result
    assert result["values_current"] is False and result["created"] == 2
    status, single = _send(live_server, source, _body(_item("SO-3", "250")))
    assert status == 200 and single["values_current"] is True
    with scopes_disabled():
        months = dict(
            MetricValue.objects.filter(
                indicator__code="order_amount", period_kind="month"
            ).values_list("employee__employee_number", "value")
        )
    assert months == {"A004": Decimal(1250), "A005": Decimal(500)}
