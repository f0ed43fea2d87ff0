"""手工填报: 王姐 reports a process suggestion's saving with evidence, 张经理 approves or
rejects his team's entries (a reason to reject), 刘HR sees every entry, nobody decides their
own, and an approved entry becomes a counted event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from jixiao.metrics.models import EventStatus, ManualEntry, MetricEvent, MetricValue
from tests.conftest import World, login
from tests.metrics.cast import ROLES, TARGETS, Data, client_as, target_number

pytestmark = pytest.mark.django_db

DECIDE = {
    "hr": {"own": 403, "team": 302, "other": 302, "foreign": 404},
    "executive": {"own": 403, "team": 403, "other": 403, "foreign": 404},
    "manager": {"own": 403, "team": 302, "other": 403, "foreign": 404},
    "employee": {"own": 403, "team": 403, "other": 403, "foreign": 404},
    "platform_admin": dict.fromkeys(TARGETS, 403),
    "anonymous": dict.fromkeys(TARGETS, 302),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", TARGETS)
def test_deciding_an_entry_permission_matrix(
    data: Data, metrics_world: World, role: str, target: str
) -> None:
    entry = data.entries[target_number(role, target)]
    response = client_as(metrics_world, role).post(
        f"/metrics/manual/{entry.pk}/decide/", {"decision": "approve"}
    )
    assert response.status_code == DECIDE[role][target]
    with scopes_disabled():
        entry.refresh_from_db()
    approved = DECIDE[role][target] == 302 and role != "anonymous"
    assert (entry.status == ManualEntry.Status.APPROVED) == approved


PAGES = {
    "mine": {"hr": 200, "executive": 200, "manager": 200, "employee": 200,
             "platform_admin": 403, "anonymous": 302},
    "queue": {"hr": 200, "executive": 403, "manager": 200, "employee": 403,
              "platform_admin": 403, "anonymous": 302},
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_pages_permission_matrix(data: Data, metrics_world: World, role: str) -> None:
    client = client_as(metrics_world, role)
    assert client.get("/metrics/manual/").status_code == PAGES["mine"][role]
    assert client.get("/metrics/manual/queue/").status_code == PAGES["queue"][role]


def test_queue_shows_the_managers_team_and_hr_everything(data: Data, metrics_world: World) -> None:
    w = metrics_world
    manager = client_as(w, "manager").get("/metrics/manual/queue/").content.decode()
    for number in ("A004", "A005"):
        assert f'data-testid="approve-{data.entries[number].pk}"' in manager
    assert f'id="manual-{data.entries["A006"].pk}"' not in manager  # another team
    assert f'id="manual-{data.entries["B001"].pk}"' not in manager  # another company
    # His own entry is listed but only HR may decide it.
    assert f'id="manual-{data.entries["A003"].pk}"' in manager
    assert f'data-testid="approve-{data.entries["A003"].pk}"' not in manager
    assert "不能审批自己的填报" in manager
    hr = client_as(w, "hr").get("/metrics/manual/queue/").content.decode()
    for number in ("A002", "A003", "A004", "A005", "A006"):
        assert f'data-testid="approve-{data.entries[number].pk}"' in hr
    assert f'id="manual-{data.entries["B001"].pk}"' not in hr


def test_employee_submits_a_saving_and_sees_its_status(metrics_world: World) -> None:
    w = metrics_world
    client = client_as(w, "employee")
    page = client.get("/metrics/manual/").content.decode()
    assert 'value="process_savings"' in page and 'value="patents_filed"' in page
    for refused in ("conversion_rate", "customers_served", "attendance_rate", "overtime_hours"):
        assert f'value="{refused}"' not in page, refused  # derived, distinct or attendance
    response = client.post(
        "/metrics/manual/",
        {"indicator": "process_savings", "value": "12000", "day": "2026-10-20",
         "description": "单证与报关资料合并一次录入", "evidence_url": "https://wiki.example/s/12"},
    )  # fmt: skip
    assert response.status_code == 302
    entry = ManualEntry.objects.get(description="单证与报关资料合并一次录入")
    assert entry.employee == w.employee.employee  # type: ignore[attr-defined]
    assert entry.value == Decimal(12000) and entry.status == ManualEntry.Status.SUBMITTED
    assert entry.occurred_at == dt.datetime(2026, 10, 20, 4, tzinfo=dt.UTC)  # noon in Shanghai
    mine = client.get("/metrics/manual/").content.decode()
    assert "单证与报关资料合并一次录入" in mine and "待审批" in mine


def test_submit_errors_show_at_their_fields(metrics_world: World) -> None:
    client = client_as(metrics_world, "employee")
    response = client.post(
        "/metrics/manual/",
        {"indicator": "attendance_rate", "value": "abc", "day": "", "description": "",
         "evidence_url": "not a link"},
    )  # fmt: skip
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert set(errors) == {"indicator", "value", "day", "description", "evidence_url"}
    future = client.post(
        "/metrics/manual/",
        {"indicator": "process_suggestions", "value": "1", "day": "2099-01-01",
         "description": "明年的建议"},
    )  # fmt: skip
    assert future.status_code == 422
    assert future.context["form"].errors["day"] == ["发生时间不能晚于现在。"]
    assert 'data-testid="error-day"' in future.content.decode()
    assert not ManualEntry.objects.exists()


def test_manager_approves_with_htmx_and_the_value_counts(data: Data, metrics_world: World) -> None:
    w = metrics_world
    entry = data.entries["A004"]
    client = client_as(w, "manager")
    response = client.post(
        f"/metrics/manual/{entry.pk}/decide/",
        {"decision": "approve", "note": "同意"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    row = response.content.decode()
    assert row.startswith(f'<tr id="manual-{entry.pk}"') and "已通过" in row
    entry.refresh_from_db()
    assert entry.event is not None and entry.decided_by == w.manager
    event = MetricEvent.objects.get(pk=entry.event_id)
    assert event.status == EventStatus.COUNTED and event.evidence["manual_entry"] == entry.pk
    value = MetricValue.objects.get(
        employee=entry.employee, indicator=entry.indicator, period_kind="month",
        period_start=dt.date(2026, 10, 1),
    )  # fmt: skip
    assert value.value == 1
    again = client.post(
        f"/metrics/manual/{entry.pk}/decide/", {"decision": "reject", "note": "x"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert again.status_code == 422 and "该填报已处理。" in again.content.decode()


def test_rejecting_needs_a_reason(data: Data, metrics_world: World) -> None:
    w = metrics_world
    entry = data.entries["A005"]
    client = client_as(w, "manager")
    bare = client.post(
        f"/metrics/manual/{entry.pk}/decide/", {"decision": "reject", "note": " "},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert bare.status_code == 422
    assert 'data-testid="manual-error"' in bare.content.decode()
    assert "驳回需要说明原因" in bare.content.decode()
    entry.refresh_from_db()
    assert entry.status == ManualEntry.Status.SUBMITTED
    done = client.post(
        f"/metrics/manual/{entry.pk}/decide/", {"decision": "reject", "note": "与上月重复"}
    )
    assert done.status_code == 302 and done["Location"] == "/metrics/manual/queue/"
    entry.refresh_from_db()
    assert entry.status == ManualEntry.Status.REJECTED and entry.event is None
    li = login(w.teammate).get("/metrics/manual/").content.decode()
    assert "与上月重复" in li and "已驳回" in li  # 李哥 sees why
    assert "与上月重复" not in client_as(w, "employee").get("/metrics/manual/").content.decode()
    decided = client.get("/metrics/manual/queue/?status=rejected").content.decode()
    assert "与上月重复" in decided


def test_navigation_offers_manual_entries(data: Data, metrics_world: World) -> None:
    body = client_as(metrics_world, "employee").get("/metrics/me/").content.decode()
    assert 'href="/metrics/manual/"' in body
    assert "/metrics/rollups/team/" not in body
    manager = client_as(metrics_world, "manager").get("/metrics/manual/").content.decode()
    assert 'href="/metrics/manual/queue/"' in manager
    assert "/metrics/rollups/team/" in manager and "/metrics/rollups/department/" in manager
