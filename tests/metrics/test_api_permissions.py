"""Permission matrix of every metrics endpoint: role × own / same team / other team / other company.

HR reads and runs everything in its company; executives read all data; managers their
team's data and decide their team's manual entries; employees their own data, disputes
and entries. Another company's ids answer 404; platform admins (no company) 403;
anonymous callers 401. The push endpoint is authenticated by signature only (test_push).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_scopes import scopes_disabled

from jixiao.metrics.models import MetricDispute, MetricSource, SourceKind
from tests.conftest import World
from tests.metrics.cast import ROLES, TARGETS, Data, client_as, target_number

pytestmark = pytest.mark.django_db

READ = {
    "hr": {"own": 200, "team": 200, "other": 200, "foreign": 404},
    "executive": {"own": 200, "team": 200, "other": 200, "foreign": 404},
    "manager": {"own": 200, "team": 200, "other": 403, "foreign": 404},
    "employee": {"own": 200, "team": 403, "other": 403, "foreign": 404},
    "platform_admin": dict.fromkeys(TARGETS, 403),
    "anonymous": dict.fromkeys(TARGETS, 401),
}

Call = Callable[[Client, Data, str], Any]


PERSON_READS: dict[str, Call] = {
    "event_get": lambda c, d, n: c.get(f"/api/v1/metrics/events/{d.events[n].pk}"),
    "events_of_person": lambda c, d, n: c.get(
        f"/api/v1/metrics/events?employee_id={d.employees[n]}"
    ),
    "values_of_person": lambda c, d, n: c.get(
        f"/api/v1/metrics/values?employee_id={d.employees[n]}"
    ),
    "value_explain": lambda c, d, n: c.get(f"/api/v1/metrics/values/{d.values[n].pk}/explain"),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", TARGETS)
def test_reading_a_persons_data(
    data: Data, metrics_world: World, role: str, target: str, subtests: Any
) -> None:
    number = target_number(role, target)
    client = client_as(metrics_world, role)
    for endpoint in sorted(PERSON_READS):
        with subtests.test(endpoint=endpoint):
            response = PERSON_READS[endpoint](client, data, number)
            assert response.status_code == READ[role][target], response.content


LISTS = ["events", "values", "disputes", "manual-entries"]
LIST_STATUS = {"hr": 200, "executive": 200, "manager": 200, "employee": 200,
               "platform_admin": 403, "anonymous": 401}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", LISTS)
def test_lists_show_only_what_the_viewer_may_see(
    data: Data, metrics_world: World, role: str, name: str
) -> None:
    response = client_as(metrics_world, role).get(f"/api/v1/metrics/{name}?page_size=200")
    assert response.status_code == LIST_STATUS[role]
    if response.status_code != 200:
        return
    items = response.json()["items"]
    ids = {item.get("employee_id") or item.get("raised_by_id") for item in items}
    ids.discard(None)
    numbers = {n for n, pk in data.employees.items() if pk in ids}
    expected = {
        "hr": {"A001", "A002", "A003", "A004", "A005", "A006"},
        "executive": {"A001", "A002", "A003", "A004", "A005", "A006"},
        "manager": {"A003", "A004", "A005"},
        "employee": {"A004"},
    }[role]
    assert numbers == expected


DECIDE = {
    "hr": {"own": 403, "team": 200, "other": 200, "foreign": 404},
    "executive": {"own": 403, "team": 403, "other": 403, "foreign": 404},
    "manager": {"own": 403, "team": 200, "other": 403, "foreign": 404},
    "employee": {"own": 403, "team": 403, "other": 403, "foreign": 404},
    "platform_admin": dict.fromkeys(TARGETS, 403),
    "anonymous": dict.fromkeys(TARGETS, 401),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", TARGETS)
def test_deciding_manual_entries(data: Data, metrics_world: World, role: str, target: str) -> None:
    entry = data.entries[target_number(role, target)]
    response = client_as(metrics_world, role).post(
        f"/api/v1/metrics/manual-entries/{entry.pk}/decide",
        {"approve": True, "note": "ok"},
        content_type="application/json",
    )
    assert response.status_code == DECIDE[role][target], response.content


OWN_ONLY = {
    role: {"own": 201, "team": 403, "other": 403, "foreign": 404}
    for role in ("hr", "executive", "manager", "employee")
}
OWN_ONLY["platform_admin"] = dict.fromkeys(TARGETS, 403)
OWN_ONLY["anonymous"] = dict.fromkeys(TARGETS, 401)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", TARGETS)
def test_raising_disputes(data: Data, metrics_world: World, role: str, target: str) -> None:
    number = target_number(role, target)
    with scopes_disabled():
        MetricDispute.objects.filter(pk=data.disputes[number].pk).update(status="rejected")
    response = client_as(metrics_world, role).post(
        f"/api/v1/metrics/events/{data.events[number].pk}/disputes",
        {"reason": "金额不对"},
        content_type="application/json",
    )
    assert response.status_code == OWN_ONLY[role][target], response.content


HR_ONLY = {
    "hr": {"own": 200, "team": 200, "other": 200, "foreign": 404},
    **{r: {"own": 403, "team": 403, "other": 403, "foreign": 404}
       for r in ("executive", "manager", "employee")},
    "platform_admin": dict.fromkeys(TARGETS, 403),
    "anonymous": dict.fromkeys(TARGETS, 401),
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", TARGETS)
def test_resolving_disputes(data: Data, metrics_world: World, role: str, target: str) -> None:
    dispute = data.disputes[target_number(role, target)]
    response = client_as(metrics_world, role).post(
        f"/api/v1/metrics/disputes/{dispute.pk}/resolve",
        {"upheld": False, "note": "核实无误"},
        content_type="application/json",
    )
    assert response.status_code == HR_ONLY[role][target], response.content


def _company_calls() -> dict[str, Call]:
    def post(path: Callable[[Data, str], str], body: dict[str, Any]) -> Call:
        return lambda c, d, k: c.post(path(d, k), json.dumps(body), content_type="application/json")

    return {
        "source_list": lambda c, d, k: c.get("/api/v1/metrics/sources"),
        "source_get": lambda c, d, k: c.get(f"/api/v1/metrics/sources/{d.source[k].pk}"),
        "source_runs": lambda c, d, k: c.get(f"/api/v1/metrics/sources/{d.source[k].pk}/runs"),
        "source_create": post(lambda d, k: "/api/v1/metrics/sources", {"name": "新源"}),
        "source_patch": lambda c, d, k: c.patch(
            f"/api/v1/metrics/sources/{d.source[k].pk}", {"enabled": False},
            content_type="application/json",
        ),
        "source_rotate": post(lambda d, k: f"/api/v1/metrics/sources/{d.source[k].pk}/rotate-secret", {}),
        "source_delete": lambda c, d, k: c.delete(f"/api/v1/metrics/sources/{d.source[k].pk}"),
        "source_test": post(lambda d, k: f"/api/v1/metrics/sources/{d.source[k].pk}/test", {}),
        "source_sync": post(lambda d, k: f"/api/v1/metrics/sources/{d.source[k].pk}/sync", {}),
        "source_try": post(lambda d, k: "/api/v1/metrics/sources/test",
                           {"kind": "email", "config": {"mode": "mbox", "mbox_path": "none.mbox",
                                                       "internal_domains": ["xinghai.example"]}}),
        "source_try_saved": lambda c, d, k: c.post(
            "/api/v1/metrics/sources/test",
            json.dumps({"kind": "push", "source_id": d.source[k].pk}),
            content_type="application/json",
        ),
        "indicator_create": post(lambda d, k: "/api/v1/metrics/indicators",
                                 {"code": "calls_made", "name_zh": "外呼次数", "aggregation": "count"}),
        "indicator_version": post(
            lambda d, k: f"/api/v1/metrics/indicators/{d.indicator[k].pk}/versions",
            {"name_zh": "订单数（含样品单）", "aggregation": "count", "reason": "含样品单"},
        ),
        "indicator_active": post(
            lambda d, k: f"/api/v1/metrics/indicators/{d.indicator[k].pk}/active",
            {"active": False, "reason": "停用"},
        ),
        "library_install": post(lambda d, k: "/api/v1/metrics/library/install", {}),
        "identity_list": lambda c, d, k: c.get("/api/v1/metrics/identities"),
        "identity_create": lambda c, d, k: c.post(
            "/api/v1/metrics/identities",
            {"identity": "someone@else.example",
             "employee_id": d.employees["A006" if k == "home" else "B001"]},
            content_type="application/json",
        ),
        "identity_delete": lambda c, d, k: c.delete(f"/api/v1/metrics/identities/{d.link[k].pk}"),
        "unmatched_list": lambda c, d, k: c.get("/api/v1/metrics/unmatched"),
        "source_bulk_import": _bulk_import,
    }  # fmt: skip


def _bulk_import(client: Client, data: Data, where: str) -> Any:
    """A one-row file streamed into the company's file source."""
    with scopes_disabled():
        source, _new = MetricSource.objects.get_or_create(
            company=data.source[where].company, name="文件", defaults={"kind": SourceKind.FILE}
        )
    csv = "工号,指标编码,数值,发生时间,来源编号\nA006,orders,1,2026-11-02 10:00,BULK-1\n"
    return client.post(
        f"/api/v1/metrics/sources/{source.pk}/bulk-import",
        {"file": SimpleUploadedFile("events.csv", csv.encode()), "mode": "valid_rows_only"},
    )


COMPANY_CALLS = _company_calls()
#: Company-wide lists have no object id: "foreign" asks with the same URL (own company).
NO_ID = {"source_list", "source_create", "indicator_create", "library_install",
         "identity_list", "unmatched_list", "source_try"}  # fmt: skip
OK = {"source_create": 201, "indicator_create": 201, "indicator_version": 201,
      "identity_create": 201, "source_delete": 409, "identity_delete": 204,
      "source_sync": 409, "source_try_saved": 422}  # fmt: skip
#: Executives read the source set-up and runs (no writes).
EXECUTIVE_READS = {"source_list", "source_get", "source_runs"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ["home", "foreign"])
def test_set_up_is_hr_only(
    data: Data, metrics_world: World, role: str, where: str, subtests: Any
) -> None:
    client = client_as(metrics_world, role)
    for call in sorted(COMPANY_CALLS):
        if where == "foreign" and call in NO_ID:
            continue  # no object id to ask for
        expected_hr = 404 if where == "foreign" else OK.get(call, 200)
        expected = {"hr": expected_hr, "platform_admin": 403, "anonymous": 401}.get(
            role, 404 if where == "foreign" and call.startswith("indicator") else 403
        )
        if role == "executive" and call in EXECUTIVE_READS:
            expected = 404 if where == "foreign" else 200
        with subtests.test(call=call):
            response = COMPANY_CALLS[call](client, data, where)
            assert response.status_code == expected, response.content


MEMBER_READS = {"hr": 200, "executive": 200, "manager": 200, "employee": 200,
                "platform_admin": 403, "anonymous": 401}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ["home", "foreign"])
def test_every_member_reads_the_indicator_library(
    data: Data, metrics_world: World, role: str, where: str
) -> None:
    client = client_as(metrics_world, role)
    response = client.get(f"/api/v1/metrics/indicators/{data.indicator[where].pk}")
    expected = MEMBER_READS[role]
    if where == "foreign" and expected == 200:
        expected = 404
    assert response.status_code == expected
    listing = client.get("/api/v1/metrics/indicators")
    assert listing.status_code == MEMBER_READS[role]


@pytest.mark.parametrize("role", ROLES)
def test_submitting_a_manual_entry_is_for_oneself(metrics_world: World, role: str) -> None:
    response = client_as(metrics_world, role).post(
        "/api/v1/metrics/manual-entries",
        {"indicator": "process_suggestions", "value": "1", "description": "改进",
         "occurred_at": "2026-10-05T10:00:00+08:00"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == {"platform_admin": 403, "anonymous": 401}.get(role, 201)
