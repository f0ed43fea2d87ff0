"""Metrics pages: permission matrix (role × own / same team / other team / other company)
and what each page shows: library, my data with drill-down and disputes, the unmatched queue."""

from __future__ import annotations

from typing import Any

import pytest
from django_scopes import scopes_disabled

from jixiao.metrics.models import IdentityLink, MetricDispute, UnmatchedIdentity
from tests.conftest import World
from tests.metrics.cast import ROLES, TARGETS, Data, client_as, target_number

pytestmark = pytest.mark.django_db

PAGE = {
    "hr": {"own": 200, "team": 200, "other": 200, "foreign": 404},
    "executive": {"own": 200, "team": 200, "other": 200, "foreign": 404},
    "manager": {"own": 200, "team": 200, "other": 403, "foreign": 404},
    "employee": {"own": 200, "team": 403, "other": 403, "foreign": 404},
    "platform_admin": dict.fromkeys(TARGETS, 403),
    "anonymous": dict.fromkeys(TARGETS, 302),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", TARGETS)
def test_value_drill_down_page(data: Data, metrics_world: World, role: str, target: str) -> None:
    number = target_number(role, target)
    response = client_as(metrics_world, role).get(f"/metrics/values/{data.values[number].pk}/")
    assert response.status_code == PAGE[role][target]
    if response.status_code == 200:
        body = response.content.decode()
        assert "o-" + number in body  # the source record's own id
        # Only one's own events carry the dispute control (here: already disputed).
        assert ("异议处理中" in body) == (target == "own")


DISPUTE = {
    role: {"own": 302, "team": 403, "other": 403, "foreign": 404}
    for role in ("hr", "executive", "manager", "employee")
}
DISPUTE["platform_admin"] = dict.fromkeys(TARGETS, 403)
DISPUTE["anonymous"] = dict.fromkeys(TARGETS, 302)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", TARGETS)
def test_dispute_from_the_page(data: Data, metrics_world: World, role: str, target: str) -> None:
    number = target_number(role, target)
    with scopes_disabled():
        MetricDispute.objects.filter(pk=data.disputes[number].pk).update(status="rejected")
    response = client_as(metrics_world, role).post(
        f"/metrics/events/{data.events[number].pk}/dispute/", {"reason": "客户退了一半货"}
    )
    assert response.status_code == DISPUTE[role][target]
    with scopes_disabled():
        opened = MetricDispute.objects.filter(event=data.events[number], status="open").count()
    assert opened == (1 if DISPUTE[role][target] == 302 and role != "anonymous" else 0)


MEMBER_PAGE = {"hr": 200, "executive": 200, "manager": 200, "employee": 200,
               "platform_admin": 403, "anonymous": 302}  # fmt: skip
HR_PAGE = {"hr": 200, "executive": 403, "manager": 403, "employee": 403,
           "platform_admin": 403, "anonymous": 302}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_member_and_hr_pages(data: Data, metrics_world: World, role: str) -> None:
    client = client_as(metrics_world, role)
    library = client.get("/metrics/indicators/")
    assert library.status_code == MEMBER_PAGE[role]
    mine = client.get("/metrics/me/?month=2026-10")
    assert mine.status_code == MEMBER_PAGE[role]
    if mine.status_code == 200:
        assert "订单金额" in mine.content.decode()
    install = client.post("/metrics/indicators/")
    assert install.status_code == {"hr": 302, "anonymous": 302}.get(role, 403)
    queue = client.get("/metrics/unmatched/")
    assert queue.status_code == HR_PAGE[role]


def test_library_page_lists_the_indicators(data: Data, metrics_world: World) -> None:
    body = client_as(metrics_world, "employee").get("/metrics/indicators/").content.decode()
    assert "老客户复购率" in body and "repeat_customers ÷ customers_served" in body
    assert "安装内置指标库" not in body


def test_hr_links_an_unmatched_identity_from_the_queue(data: Data, metrics_world: World) -> None:
    client = client_as(metrics_world, "hr")
    entry = data.unmatched["home"]
    page = client.get("/metrics/unmatched/").content.decode()
    assert "someone@else.example" in page
    wrong = client.post("/metrics/unmatched/", {"entry": entry.pk, "employee_number": "ZZZ"})
    assert wrong.status_code == 422
    assert "工号 ZZZ 不存在" in wrong.content.decode()
    foreign = client.post(
        "/metrics/unmatched/", {"entry": data.unmatched["foreign"].pk, "employee_number": "A004"}
    )
    assert foreign.status_code == 404
    done = client.post(
        "/metrics/unmatched/", {"entry": entry.pk, "employee_number": "A004", "scope": "source"}
    )
    assert done.status_code == 302
    with scopes_disabled():
        entry.refresh_from_db()
        assert entry.resolved_at is not None
        link = IdentityLink.objects.get(identity="someone@else.example")
        assert link.source_id == entry.source_id
        assert not UnmatchedIdentity.objects.filter(
            company=metrics_world.company, resolved_at__isnull=True
        ).exists()


def test_navigation_shows_the_pages(data: Data, metrics_world: World) -> None:
    def nav(role: str) -> Any:
        return client_as(metrics_world, role).get("/metrics/me/").content.decode()

    assert "/metrics/unmatched/" in nav("hr")
    assert "/metrics/unmatched/" not in nav("employee")
    assert "/metrics/me/" in nav("employee")
