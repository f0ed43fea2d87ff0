"""The CRM connector against a real local HTTP server."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jixiao.core.api_errors import ServiceError
from jixiao.metrics.connectors.base import ConnectorError, config_from_dict, connector_for
from jixiao.metrics.connectors.crm import CrmConfig
from tests.metrics.connectors.crm_fake import FakeCrm, sample_records
from tests.metrics.connectors.servers import JsonServer, Reply

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
WANG, LI = "wang@xinghai.example", "li@xinghai.example"


def _config(server: JsonServer, **extra: object) -> CrmConfig:
    return config_from_dict(
        CrmConfig,
        {
            "base_url": server.url,
            "api_token": "crm-token",
            "page_size": 1,
            "timeout_seconds": 1,
            "record_url_template": "https://crm.example/{resource}/{id}",
            **extra,
        },
    )


def _summary(items: list) -> dict[tuple[str, str], Decimal]:  # type: ignore[type-arg]
    totals: dict[tuple[str, str], Decimal] = {}
    for item in items:
        key = (item.identity, item.indicator_code)
        totals[key] = totals.get(key, Decimal(0)) + item.value
    return totals


def test_customers_orders_and_visits_become_events(http_server: JsonServer) -> None:
    FakeCrm(sample_records()).install(http_server)
    batch = connector_for("crm").fetch(_config(http_server), {}, now=NOW)

    assert batch.complete
    assert _summary(batch.items) == {
        (WANG, "new_customers"): 1,
        (LI, "new_customers"): 1,
        (WANG, "orders"): 2,
        (WANG, "order_amount"): Decimal("15800.50"),
        (WANG, "customers_served"): 2,
        (WANG, "repeat_customers"): 1,  # the cancelled order of 李哥 counts nothing
        (WANG, "customer_visits"): 1,
        (LI, "customer_visits"): 1,
    }
    order = next(i for i in batch.items if i.source_event_id == "orders:9001:order_amount")
    assert order.evidence == {
        "customer": "501",
        "customer_name": "汉堡贸易",
        "order_number": "SO-2026-0001",
    }
    assert order.evidence_url == "https://crm.example/orders/9001"
    assert order.occurred_at == dt.datetime(2026, 11, 5, 3, 0, tzinfo=dt.UTC)
    visit = next(i for i in batch.items if i.source_event_id == "visits:v-1:customer_visits")
    assert visit.evidence == {
        "customer": "501",
        "customer_name": "汉堡贸易",
        "location": "Hamburg Messe",
        "lat": 53.56,
        "lng": 9.98,
    }
    assert visit.occurred_at == dt.datetime(2026, 11, 8, 1, 30, tzinfo=dt.UTC)
    assert batch.cursor["visits"] == {"since": "2026-11-09T09:00:00+00:00", "seen": ["v-2"]}

    again = connector_for("crm").fetch(_config(http_server), batch.cursor, now=NOW)
    assert again.items == []
    assert again.complete


def test_owner_ids_as_identity(http_server: JsonServer) -> None:
    FakeCrm(sample_records()).install(http_server)
    batch = connector_for("crm").fetch(_config(http_server, identity_field="id"), {}, now=NOW)
    assert {item.identity for item in batch.items} == {"u-17", "u-23"}


def test_a_failure_half_way_resumes_without_repeating(http_server: JsonServer) -> None:
    crm = FakeCrm(sample_records(), failures={("orders", 2): Reply(502, {"error": "gateway"})})
    crm.install(http_server)
    connector = connector_for("crm")
    with pytest.raises(ConnectorError) as caught:
        connector.fetch(_config(http_server), {}, now=NOW)
    error = caught.value
    assert "502" in error.message
    first_ids = [item.source_event_id for item in error.items]
    assert "orders:9001:orders" in first_ids
    assert "orders:9002:orders" not in first_ids
    resumed = connector.fetch(_config(http_server), error.cursor, now=NOW)
    later_ids = [item.source_event_id for item in resumed.items]
    assert not set(first_ids) & set(later_ids)
    assert _summary(error.items + resumed.items)[(WANG, "order_amount")] == Decimal("15800.50")
    assert resumed.complete


def test_small_limits_page_through_everything_once(http_server: JsonServer) -> None:
    FakeCrm(sample_records()).install(http_server)
    connector = connector_for("crm")
    cursor: dict[str, object] = {}
    ids: list[str] = []
    for _round in range(20):
        batch = connector.fetch(_config(http_server, page_size=5), cursor, now=NOW, limit=2)
        ids += [item.source_event_id for item in batch.items]
        cursor = batch.cursor
        if batch.complete:
            break
    assert len(ids) == len(set(ids)) == 2 + 3 + 4 + 2  # customers, 9001, 9002, visits


def test_timeout_and_bad_records_are_clear_errors(http_server: JsonServer) -> None:
    records = sample_records()
    crm = FakeCrm(records, failures={("visits", 1): Reply(200, {}, delay=2.5)})
    crm.install(http_server)
    with pytest.raises(ConnectorError) as caught:
        connector_for("crm").fetch(_config(http_server, page_size=10), {}, now=NOW)
    assert "超时" in caught.value.message
    assert len(caught.value.items) == 2 + 3 + 4

    records["orders"][0]["amount"] = "lots"
    with pytest.raises(ConnectorError) as caught:
        connector_for("crm").fetch(_config(http_server, page_size=10), {}, now=NOW)
    assert "9001" in caught.value.message


def test_connection_test_and_config(http_server: JsonServer) -> None:
    FakeCrm(sample_records()).install(http_server)
    assert connector_for("crm").connection_test(_config(http_server)).ok
    report = connector_for("crm").connection_test(_config(http_server, api_token="nope"))
    assert not report.ok
    assert "401" in report.message
    with pytest.raises(ServiceError) as caught:
        config_from_dict(CrmConfig, {"base_url": http_server.url, "identity_field": "phone"})
    assert set(caught.value.fields) == {"identity_field"}
