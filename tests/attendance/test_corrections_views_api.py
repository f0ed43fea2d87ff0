"""Correction pages and API: the permission matrix, the form, the limit shown in the inbox."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from jixiao.attendance.models import ApprovalStatus, AttendancePolicy, PunchCorrection
from tests.attendance.requests_support import (
    FROZEN_NOW,
    ROLES,
    calendar_make,
    call,
    client_for,
    correction_make,
    matrix,
    target_employee,
)
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

API = "/api/v1/attendance"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield


@pytest.fixture
def cal(world: World) -> World:
    calendar_make(world.company)
    return world


DECIDE = {
    "hr": (403, 200, 200, 404),
    "executive": (403, 403, 403, 404),
    "manager": (403, 200, 403, 404),
    "employee": (403, 403, 403, 404),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 302, 302, 302),
}
CANCEL = {
    "hr": (200, 200, 200, 404),
    "executive": (200, 403, 403, 404),
    "manager": (200, 403, 403, 404),
    "employee": (200, 403, 403, 404),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 302, 302, 302),
}
READ = {
    "hr": (200, 200, 200, 404),
    "executive": (200, 200, 200, 404),
    "manager": (200, 200, 403, 404),
    "employee": (200, 403, 403, 404),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 401, 401, 401),
}
CREATE = {
    "hr": (201, 201, 201, 422),
    "executive": (201, 403, 403, 422),
    "manager": (201, 403, 403, 422),
    "employee": (201, 403, 403, 422),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 401, 401, 401),
}


def api(table: Mapping[str, tuple[int | None, ...]]) -> dict[str, tuple[int | None, ...]]:
    return {**table, "anonymous": (None, 401, 401, 401)}


@pytest.mark.parametrize(("role", "target", "expected"), matrix(DECIDE))
def test_correction_decide_page_matrix(cal: World, role: str, target: str, expected: int) -> None:
    correction = correction_make(target_employee(cal, role, target))
    response = client_for(cal, role).post(
        reverse("attendance:correction_decide", args=[correction.pk]),
        {"decision": "approve", "note": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == expected
    correction.refresh_from_db()
    assert (correction.status == ApprovalStatus.APPROVED) is (expected == 200)


@pytest.mark.parametrize(("role", "target", "expected"), matrix(CANCEL))
def test_correction_cancel_page_matrix(cal: World, role: str, target: str, expected: int) -> None:
    correction = correction_make(target_employee(cal, role, target))
    response = client_for(cal, role).post(
        reverse("attendance:correction_cancel", args=[correction.pk])
    )
    assert response.status_code == (302 if expected == 200 else expected)
    correction.refresh_from_db()
    assert (correction.status == ApprovalStatus.CANCELLED) is (expected == 200)


@pytest.mark.parametrize("role", ROLES)
def test_new_correction_post_matrix(cal: World, role: str) -> None:
    response = client_for(cal, role).post(
        reverse("attendance:correction_new"),
        {
            "kind": "missing_punch",
            "date": "2026-02-27",
            "punch_at": "2026-02-27T09:01",
            "reason": "忘记打卡",
        },
    )
    assert response.status_code == {"platform_admin": 403}.get(role, 302)
    with scopes_disabled():
        count = PunchCorrection.objects.filter(employee__user=getattr(cal, role, None)).count()
    assert count == (0 if role in ("platform_admin", "anonymous") else 1)


def test_correction_form_shows_the_limit(cal: World) -> None:
    with scopes_disabled():
        AttendancePolicy.objects.create(company=cal.company, monthly_correction_limit=1)
    client = login(cal.employee)
    data = {
        "kind": "missing_punch",
        "date": "2026-02-26",
        "punch_at": "2026-02-26T18:05",
        "reason": "忘记打卡",
    }
    assert client.post(reverse("attendance:correction_new"), data).status_code == 302
    again = client.post(reverse("attendance:correction_new"), {**data, "date": "2026-02-27"})
    assert again.status_code == 422
    assert "已达每月上限 1 次" in again.content.decode()
    inbox = login(cal.manager).get(reverse("attendance:requests_inbox") + "?tab=corrections")
    assert "本月补卡 1/1" in inbox.content.decode()


@pytest.mark.parametrize(("role", "target", "expected"), matrix(api(DECIDE)))
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_correction_decide_api_matrix(
    cal: World, role: str, target: str, expected: int, decision: str
) -> None:
    correction = correction_make(target_employee(cal, role, target))
    response = call(
        client_for(cal, role),
        "post",
        f"{API}/corrections/{correction.pk}/{decision}",
        {"note": "理由"},
    )
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("role", "target", "expected"), matrix(api(CANCEL)))
def test_correction_cancel_api_matrix(cal: World, role: str, target: str, expected: int) -> None:
    correction = correction_make(target_employee(cal, role, target))
    response = call(client_for(cal, role), "post", f"{API}/corrections/{correction.pk}/cancel", {})
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("role", "target", "expected"), matrix(READ))
def test_correction_read_api_matrix(cal: World, role: str, target: str, expected: int) -> None:
    correction = correction_make(target_employee(cal, role, target))
    response = client_for(cal, role).get(f"{API}/corrections/{correction.pk}")
    assert response.status_code == expected


@pytest.mark.parametrize(("role", "target", "expected"), matrix(CREATE))
def test_correction_create_api_matrix(cal: World, role: str, target: str, expected: int) -> None:
    employee = target_employee(cal, role, target)
    body = {
        "employee_id": employee.pk,
        "kind": "missing_punch",
        "date": "2026-02-27",
        "punch_at": "2026-02-27T09:01:00",
        "reason": "忘记打卡",
    }
    response = call(client_for(cal, role), "post", f"{API}/corrections", body)
    assert response.status_code == expected, response.content
    if expected == 201:
        punch_at = dt.datetime.fromisoformat(json.loads(response.content)["punch_at"])
        assert punch_at == dt.datetime(2026, 2, 27, 1, 1, tzinfo=dt.UTC)  # 09:01 in Shanghai


@pytest.mark.parametrize("role", ROLES)
def test_correction_list_api_matrix(cal: World, role: str) -> None:
    expected = {"platform_admin": 403, "anonymous": 401}.get(role, 200)
    assert client_for(cal, role).get(f"{API}/corrections").status_code == expected
