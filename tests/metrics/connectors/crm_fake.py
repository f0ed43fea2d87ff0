"""A small CRM over real HTTP in the format ``jixiao.metrics.connectors.crm`` documents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tests.metrics.connectors.servers import JsonServer, Reply

WANG = {"id": "u-17", "email": "Wang@XingHai.example"}
LI = {"id": "u-23", "email": "li@xinghai.example"}


def at(day: int, hour: int, minute: int = 0) -> str:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC).isoformat()


def sample_records() -> dict[str, list[dict[str, Any]]]:
    return {
        "customers": [
            {
                "id": 501,
                "name": "汉堡贸易",
                "owner": WANG,
                "created_at": at(3, 2),
                "updated_at": at(3, 2),
            },
            {
                "id": 502,
                "name": "Lyon SARL",
                "owner": LI,
                "created_at": at(4, 6),
                "updated_at": at(4, 6),
            },
        ],
        "orders": [
            {
                "id": 9001,
                "number": "SO-2026-0001",
                "customer": {"id": 501, "name": "汉堡贸易"},
                "amount": "12800.50",
                "ordered_at": at(5, 3),
                "repeat_customer": False,
                "status": "paid",
                "owner": WANG,
                "updated_at": at(5, 3),
            },
            {
                "id": 9002,
                "number": "SO-2026-0002",
                "customer": {"id": 77, "name": "老客户甲"},
                "amount": 3000,
                "ordered_at": at(6, 3),
                "repeat_customer": True,
                "status": "paid",
                "owner": WANG,
                "updated_at": at(6, 3),
            },
            {
                "id": 9003,
                "number": "SO-2026-0003",
                "customer": {"id": 502, "name": "Lyon SARL"},
                "amount": "800",
                "ordered_at": at(7, 3),
                "repeat_customer": False,
                "status": "cancelled",
                "owner": LI,
                "updated_at": at(7, 3),
            },
        ],
        "visits": [
            {
                "id": "v-1",
                "customer": {"id": 501, "name": "汉堡贸易"},
                "visited_at": at(8, 1, 30),
                "location": {"name": "Hamburg Messe", "lat": 53.56, "lng": 9.98},
                "owner": WANG,
                "updated_at": at(8, 9),
            },
            {
                "id": "v-2",
                "customer": {"id": 502, "name": "Lyon SARL"},
                "visited_at": at(9, 8),
                "location": {"name": "广交会 A 区"},
                "owner": LI,
                "updated_at": at(9, 9),
            },
        ],
    }


@dataclass
class FakeCrm:
    records: dict[str, list[dict[str, Any]]]
    token: str = "crm-token"
    failures: dict[tuple[str, int], Reply] = field(default_factory=dict)  # (resource, page)

    def install(self, server: JsonServer) -> None:
        for resource in self.records:
            server.route(f"/{resource}", self._handler(resource))

    def _handler(self, resource: str):  # type: ignore[no-untyped-def]
        def handle(query: dict[str, str], headers: dict[str, str]) -> Reply:
            if headers.get("authorization") != f"Bearer {self.token}":
                return Reply(401, {"error": "unauthorised"})
            page = int(query.get("page", "1"))
            if (resource, page) in self.failures:
                return self.failures.pop((resource, page))
            size = int(query.get("per_page", "100"))
            rows = list(self.records[resource])
            since = query.get("updated_since")
            if since:
                limit = dt.datetime.fromisoformat(since)
                rows = [r for r in rows if dt.datetime.fromisoformat(r["updated_at"]) >= limit]
            rows.sort(key=lambda r: (r["updated_at"], str(r["id"])))
            chunk = rows[(page - 1) * size : page * size]
            more = page * size < len(rows)
            return Reply(
                200, {"data": chunk, "next_page": page + 1 if more else None, "total": len(rows)}
            )

        return handle
