"""A CRM / sales system's REST API: customers, orders (new or repeat buyer) and visits.

The format (what Jixiao asks CRM vendors to expose, close to what most already do):
``GET {base_url}/{customers|orders|visits}?updated_since=<ISO 8601>&page=<n>&per_page=<m>``
returns ``{"data": [...], "next_page": n+1 | null}``, records ordered by
``updated_at`` then ``id``. Every record has ``id``, ``updated_at`` and ``owner``
(``{"id", "email"}``, the salesperson); customers have ``name`` and
``created_at``; orders ``number``, ``customer`` (``{"id", "name"}``), ``amount``,
``ordered_at``, ``repeat_customer`` (bool) and ``status``; visits ``customer``,
``visited_at`` and ``location`` (``{"name", "lat", "lng"}``).

Events: ``new_customers`` per customer; per order ``orders``, ``order_amount``,
``customers_served`` and, for a returning buyer, ``repeat_customers`` (the last two carry
the customer in the evidence, so the indicator counts distinct customers and
repeat-purchase rate = repeat customers / customers served); ``customer_visits`` per visit.

The cursor keeps, per resource, the last ``updated_at`` taken and the ids taken at
that instant; a resumed run asks from that instant and skips those ids.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from jixiao.metrics.connectors.base import (
    DEFAULT_LIMIT,
    ConnectionReport,
    ConnectorConfig,
    ConnectorError,
    Cursor,
    FetchBatch,
    HttpAuth,
    check_date,
    check_http_url,
    check_positive,
    http_get_json,
    merge_errors,
    protocol_error,
    register,
)
from jixiao.metrics.event_input import EventInput, EvidenceValue

RESOURCES = ("customers", "orders", "visits")
CANCELLED = {"cancelled", "canceled", "void", "refunded"}


@dataclass(frozen=True)
class CrmConfig(ConnectorConfig):
    base_url: str
    api_token: str = ""
    username: str = ""
    password: str = ""
    identity_field: str = "email"
    since: str = ""
    record_url_template: str = ""
    page_size: int = 100
    timeout_seconds: float = 10.0

    secret_fields: ClassVar[tuple[str, ...]] = ("api_token", "password")

    def check(self) -> dict[str, list[str]]:
        errors = merge_errors(
            check_http_url(self.base_url, "base_url"),
            check_positive(self.page_size, "page_size"),
            check_positive(self.timeout_seconds, "timeout_seconds"),
        )
        if self.identity_field not in {"email", "id"}:
            errors = merge_errors(errors, {"identity_field": [_("应为 email 或 id。")]})
        errors = merge_errors(errors, check_date(self.since, "since"))
        return errors

    @property
    def auth(self) -> HttpAuth:
        return HttpAuth(username=self.username, password=self.password, token=self.api_token)

    @property
    def root(self) -> str:
        return self.base_url.rstrip("/")


def _time(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("time missing")
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"time without zone: {value}")
    return parsed.astimezone(dt.UTC)


def _ref(value: Any) -> tuple[str, str]:
    if not isinstance(value, dict) or value.get("id") in (None, ""):
        raise ValueError("customer missing")
    return str(value["id"]), str(value.get("name") or "")


class CrmConnector:
    kind = "crm"
    config_class = CrmConfig

    def connection_test(self, config: CrmConfig) -> ConnectionReport:
        counts: dict[str, Any] = {}
        try:
            for resource in RESOURCES:
                page = http_get_json(
                    f"{config.root}/{resource}",
                    params={"page": 1, "per_page": 1},
                    auth=config.auth,
                    timeout=config.timeout_seconds,
                )
                if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                    raise protocol_error(_("%(r)s 没有 data 列表") % {"r": resource})
                counts[resource] = page.get("total")
        except ConnectorError as exc:
            return ConnectionReport(False, exc.message, {"base_url": config.base_url})
        return ConnectionReport(True, _("已连接，客户、订单和拜访接口都可读取。"), counts)

    def fetch(
        self, config: CrmConfig, cursor: Cursor, *, now: dt.datetime, limit: int = DEFAULT_LIMIT
    ) -> FetchBatch:
        state: dict[str, dict[str, Any]] = {
            resource: dict(cursor.get(resource) or {}) for resource in RESOURCES
        }
        items: list[EventInput] = []
        taken = 0
        for resource in RESOURCES:
            mark = state[resource]
            since = mark.get("since") or (
                f"{config.since}T00:00:00+00:00" if config.since else None
            )
            seen = set(mark.get("seen") or [])
            page_number = 1
            while True:
                if taken >= limit:
                    return FetchBatch(items, state, False)
                try:
                    page = http_get_json(
                        f"{config.root}/{resource}",
                        params={
                            "updated_since": since,
                            "page": page_number,
                            "per_page": config.page_size,
                        },
                        auth=config.auth,
                        timeout=config.timeout_seconds,
                    )
                    records, next_page = self._page(resource, page)
                except ConnectorError as exc:
                    raise exc.with_progress(items=items, cursor=state) from exc
                for record in records:
                    if taken >= limit:
                        return FetchBatch(items, state, False)
                    try:
                        record_id = str(record["id"])
                        updated = _time(record["updated_at"]).isoformat()
                        if updated == since and record_id in seen:
                            continue
                        events = self._events(config, resource, record)
                    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
                        raise protocol_error(
                            _("%(r)s 记录 %(id)s 缺少或有错误的字段（%(err)s）")
                            % {"r": resource, "id": record.get("id"), "err": exc}
                        ).with_progress(items=items, cursor=state) from exc
                    items.extend(events)
                    taken += 1
                    if updated != mark.get("since"):
                        mark["since"] = updated
                        mark["seen"] = []
                    mark["seen"] = [*mark.get("seen", []), record_id]
                if next_page is None or not records:
                    break
                page_number = next_page
        return FetchBatch(items, state, True)

    def _page(self, resource: str, page: Any) -> tuple[list[dict[str, Any]], int | None]:
        if not isinstance(page, dict) or not isinstance(page.get("data"), list):
            raise protocol_error(_("%(r)s 没有 data 列表") % {"r": resource})
        records = page["data"]
        if not all(isinstance(record, dict) for record in records):
            raise protocol_error(_("%(r)s 中有不是对象的条目") % {"r": resource})
        next_page = page.get("next_page")
        if next_page is not None and not isinstance(next_page, int):
            raise protocol_error(_("next_page 应为整数或 null"))
        return records, next_page

    def _identity(self, config: CrmConfig, record: dict[str, Any]) -> str:
        owner = record.get("owner")
        if not isinstance(owner, dict):
            return ""
        if config.identity_field == "email" and owner.get("email"):
            return str(owner["email"]).strip().lower()
        return str(owner.get("id") or "").strip()

    def _events(self, config: CrmConfig, resource: str, record: dict[str, Any]) -> list[EventInput]:
        identity = self._identity(config, record)
        if not identity:
            return []
        record_id = str(record["id"])
        url = (
            config.record_url_template.replace("{resource}", resource).replace("{id}", record_id)
            if config.record_url_template
            else ""
        )

        def event(
            code: str, value: Decimal, at: dt.datetime, evidence: dict[str, EvidenceValue]
        ) -> EventInput:
            return EventInput(
                indicator_code=code,
                value=value,
                occurred_at=at,
                source_event_id=f"{resource}:{record_id}:{code}",
                identity=identity,
                evidence_url=url,
                evidence=evidence,
            )

        if resource == "customers":
            evidence: dict[str, EvidenceValue] = {
                "customer": record_id,
                "customer_name": str(record.get("name") or ""),
            }
            return [event("new_customers", Decimal(1), _time(record["created_at"]), evidence)]
        if resource == "orders":
            if str(record.get("status") or "").lower() in CANCELLED:
                return []
            customer, customer_name = _ref(record.get("customer"))
            amount = Decimal(str(record["amount"]))
            if not amount.is_finite():
                raise ValueError("amount not finite")
            at = _time(record["ordered_at"])
            evidence = {
                "customer": customer,
                "customer_name": customer_name,
                "order_number": str(record.get("number") or record_id),
            }
            events = [
                event("orders", Decimal(1), at, evidence),
                event("order_amount", amount, at, evidence),
                event("customers_served", Decimal(1), at, evidence),
            ]
            if record.get("repeat_customer") is True:
                events.append(event("repeat_customers", Decimal(1), at, evidence))
            return events
        customer, customer_name = _ref(record.get("customer"))
        location = record.get("location") if isinstance(record.get("location"), dict) else {}
        assert isinstance(location, dict)
        evidence = {
            "customer": customer,
            "customer_name": customer_name,
            "location": str(location.get("name") or ""),
        }
        for axis in ("lat", "lng"):
            if isinstance(location.get(axis), int | float):
                evidence[axis] = float(location[axis])
        return [event("customer_visits", Decimal(1), _time(record["visited_at"]), evidence)]


connector = register(CrmConnector())
