"""Overtime pages and API: the permission matrix, the form, warnings shown to the approver."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from jixiao.attendance.models import ApprovalStatus, OvertimeRequest
from jixiao.attendance.services import overtime as services
from tests.attendance.requests_support import (
    FROZEN_NOW,
    ROLES,
    calendar_make,
    call,
    client_for,
    matrix,
    overtime_request_make,
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
def test_overtime_decide_page_matrix(cal: World, role: str, target: str, expected: int) -> None:
    overtime = overtime_request_make(target_employee(cal, role, target))
    response = client_for(cal, role).post(
        reverse("attendance:overtime_request_decide", args=[overtime.pk]),
        {"decision": "approve", "note": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == expected
    overtime.refresh_from_db()
    assert (overtime.status == ApprovalStatus.APPROVED) is (expected == 200)


@pytest.mark.parametrize(("role", "target", "expected"), matrix(CANCEL))
def test_overtime_cancel_page_matrix(cal: World, role: str, target: str, expected: int) -> None:
    overtime = overtime_request_make(target_employee(cal, role, target))
    response = client_for(cal, role).post(
        reverse("attendance:overtime_request_cancel", args=[overtime.pk])
    )
    assert response.status_code == (302 if expected == 200 else expected)
    overtime.refresh_from_db()
    assert (overtime.status == ApprovalStatus.CANCELLED) is (expected == 200)


@pytest.mark.parametrize("role", ROLES)
def test_new_overtime_post_matrix(cal: World, role: str) -> None:
    response = client_for(cal, role).post(
        reverse("attendance:overtime_request_new"),
        {
            "start": "2026-03-02T19:00",
            "end": "2026-03-02T21:00",
            "compensation": "pay",
            "reason": "赶单",
        },
    )
    assert response.status_code == {"platform_admin": 403}.get(role, 302)
    with scopes_disabled():
        count = OvertimeRequest.objects.filter(employee__user=getattr(cal, role, None)).count()
    assert count == (0 if role in ("platform_admin", "anonymous") else 1)


def test_overtime_form_refuses_comp_leave_on_a_statutory_holiday(cal: World) -> None:
    response = login(cal.teammate).post(
        reverse("attendance:overtime_request_new"),
        {
            "start": "2026-05-01T09:00",
            "end": "2026-05-01T12:00",
            "compensation": "comp_leave",
            "reason": "展会",
        },
    )
    assert response.status_code == 422
    assert "法定节假日加班不能以调休代替" in response.content.decode()


def test_inbox_shows_cap_warnings_to_the_approver(cal: World) -> None:
    with scopes_disabled():
        services.overtime_request_create(
            employee=cal.teammate.employee,
            start=dt.datetime(2026, 3, 2, 18),
            end=dt.datetime(2026, 3, 2, 22),
            reason="德国客户",
            compensation="pay",
            actor=cal.teammate,
        )
    page = login(cal.manager).get(reverse("attendance:requests_inbox") + "?tab=overtime")
    text = page.content.decode()
    assert "超过每日上限 3 小时" in text
    assert 'data-testid="cap-warning"' in text


@pytest.mark.parametrize(("role", "target", "expected"), matrix(api(DECIDE)))
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_overtime_decide_api_matrix(
    cal: World, role: str, target: str, expected: int, decision: str
) -> None:
    overtime = overtime_request_make(target_employee(cal, role, target))
    response = call(
        client_for(cal, role),
        "post",
        f"{API}/overtime-requests/{overtime.pk}/{decision}",
        {"note": "理由"},
    )
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("role", "target", "expected"), matrix(api(CANCEL)))
def test_overtime_cancel_api_matrix(cal: World, role: str, target: str, expected: int) -> None:
    overtime = overtime_request_make(target_employee(cal, role, target))
    response = call(
        client_for(cal, role), "post", f"{API}/overtime-requests/{overtime.pk}/cancel", {}
    )
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("role", "target", "expected"), matrix(READ))
def test_overtime_read_api_matrix(cal: World, role: str, target: str, expected: int) -> None:
    overtime = overtime_request_make(target_employee(cal, role, target))
    response = client_for(cal, role).get(f"{API}/overtime-requests/{overtime.pk}")
    assert response.status_code == expected


@pytest.mark.parametrize(("role", "target", "expected"), matrix(CREATE))
def test_overtime_create_api_matrix(cal: World, role: str, target: str, expected: int) -> None:
    employee = target_employee(cal, role, target)
    body = {
        "employee_id": employee.pk,
        "start": "2026-03-02T19:00:00",
        "end": "2026-03-02T23:00:00",
        "compensation": "pay",
        "reason": "德国客户电话会议",
    }
    response = call(client_for(cal, role), "post", f"{API}/overtime-requests", body)
    assert response.status_code == expected, response.content
    if expected == 201:
        assert json.loads(response.content)["warnings"] == [
            "2026-03-02 加班共 4 小时，超过每日上限 3 小时（劳动法第四十一条）"
        ]


@pytest.mark.parametrize("role", ROLES)
def test_overtime_list_api_matrix(cal: World, role: str) -> None:
    expected = {"platform_admin": 403, "anonymous": 401}.get(role, 200)
    assert client_for(cal, role).get(f"{API}/overtime-requests").status_code == expected


def test_my_page_shows_comp_leave_hours(cal: World) -> None:
    with scopes_disabled():
        services.comp_leave_earn(
            employee=cal.teammate.employee, work_date=dt.date(2026, 2, 7), minutes=270, actor=None
        )
    page = login(cal.teammate).get(reverse("attendance:requests_mine")).content.decode()
    assert "可用调休：4.5 小时" in page
