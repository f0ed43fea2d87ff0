"""Leave pages and API: the permission matrix for every view and endpoint, forms, errors."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from jixiao.attendance.models import ApprovalStatus, LeaveLedgerEntry, LeaveRequest, LeaveType
from jixiao.attendance.services import leave as leave_services
from tests.attendance.requests_support import (
    FROZEN_NOW,
    ROLES,
    calendar_make,
    call,
    client_for,
    leave_request_make,
    matrix,
    target_employee,
)
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

API = "/api/v1/attendance"


@pytest.fixture(autouse=True)
def frozen(settings: object, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    with time_machine.travel(FROZEN_NOW, tick=False):
        yield


@pytest.fixture
def cal(world: World) -> World:
    calendar_make(world.company)
    with scopes_disabled():
        leave_services.leave_types_ensure(company=world.company)
    return world


# role → (own, same team, other team, other company)
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
    "anonymous": (None, 302, 302, 302),
}
CREATE = {
    "hr": (201, 201, 201, 422),
    "executive": (201, 403, 403, 422),
    "manager": (201, 403, 403, 422),
    "employee": (201, 403, 403, 422),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 401, 401, 401),
}
HR_WRITE = {
    "hr": (201, 201, 201, 404),
    "executive": (403, 403, 403, 404),
    "manager": (403, 403, 403, 404),
    "employee": (403, 403, 403, 404),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 401, 401, 401),
}


def api(table: Mapping[str, tuple[int | None, ...]]) -> dict[str, tuple[int | None, ...]]:
    """The same table for the API: anonymous callers get 401 instead of a login redirect."""
    return {**table, "anonymous": (None, 401, 401, 401)}


# --- Web: objects -----------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "target", "expected"), matrix(DECIDE))
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_leave_decide_page_matrix(
    cal: World, role: str, target: str, expected: int, decision: str
) -> None:
    leave_request = leave_request_make(target_employee(cal, role, target))
    response = client_for(cal, role).post(
        reverse("attendance:leave_request_decide", args=[leave_request.pk]),
        {"decision": decision, "note": "同意" if decision == "approve" else "项目紧"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == expected
    leave_request.refresh_from_db()
    decided = ApprovalStatus.APPROVED if decision == "approve" else ApprovalStatus.REJECTED
    assert (leave_request.status == decided) is (expected == 200)


@pytest.mark.parametrize(("role", "target", "expected"), matrix(CANCEL))
def test_leave_cancel_page_matrix(cal: World, role: str, target: str, expected: int) -> None:
    leave_request = leave_request_make(target_employee(cal, role, target))
    response = client_for(cal, role).post(
        reverse("attendance:leave_request_cancel", args=[leave_request.pk])
    )
    assert response.status_code == (302 if expected == 200 else expected)
    leave_request.refresh_from_db()
    assert (leave_request.status == ApprovalStatus.CANCELLED) is (expected == 200)


@pytest.mark.parametrize(("role", "target", "expected"), matrix(READ))
def test_leave_attachment_matrix(cal: World, role: str, target: str, expected: int) -> None:
    leave_request = leave_request_make(target_employee(cal, role, target))
    with scopes_disabled():
        leave_request.attachment.save("证明.pdf", SimpleUploadedFile("证明.pdf", b"%PDF"))
    response = client_for(cal, role).get(
        reverse("attendance:leave_request_attachment", args=[leave_request.pk])
    )
    assert response.status_code == expected
    if expected == 200:
        assert response.content == b"%PDF"
        assert response["Content-Type"] == "application/pdf"


PAGES = {
    "attendance:requests_mine": {"hr": 200, "executive": 200, "manager": 200, "employee": 200},
    "attendance:requests_inbox": {"hr": 200, "executive": 403, "manager": 200, "employee": 403},
    "attendance:leave_types": {"hr": 200, "executive": 403, "manager": 403, "employee": 403},
    "attendance:leave_balances": {"hr": 200, "executive": 403, "manager": 403, "employee": 403},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url_name", list(PAGES))
def test_page_matrix(cal: World, role: str, url_name: str) -> None:
    expected = {**PAGES[url_name], "platform_admin": 403, "anonymous": 302}[role]
    assert client_for(cal, role).get(reverse(url_name)).status_code == expected


HR_POSTS = {
    "attendance:leave_accrue": {"year": "2026"},
    "attendance:leave_carry_over": {"year": "2025"},
    "attendance:leave_balance_adjust": {},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url_name", list(HR_POSTS))
def test_hr_post_matrix(cal: World, role: str, url_name: str) -> None:
    response = client_for(cal, role).post(reverse(url_name), HR_POSTS[url_name])
    # HR: the runs redirect back; an empty adjustment form comes back with its errors.
    hr_status = 422 if url_name == "attendance:leave_balance_adjust" else 302
    expected = {"hr": hr_status, "anonymous": 302}.get(role, 403)
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_new_leave_post_matrix(cal: World, role: str) -> None:
    with scopes_disabled():
        personal = LeaveType.objects.get(company=cal.company, code="personal")
    response = client_for(cal, role).post(
        reverse("attendance:leave_request_new"),
        {
            "leave_type": personal.pk,
            "start_date": "2026-03-02",
            "start_half": "am",
            "end_date": "2026-03-02",
            "end_half": "pm",
            "reason": "家里有事",
        },
    )
    expected = {"platform_admin": 403, "anonymous": 302}.get(role, 302)
    assert response.status_code == expected
    with scopes_disabled():
        created = LeaveRequest.objects.filter(employee__user=getattr(cal, role, None)).count()
    assert created == (1 if role not in ("platform_admin", "anonymous") else 0)


# --- Web: forms and the inbox ------------------------------------------------------------


def test_leave_form_with_attachment_and_errors(cal: World) -> None:
    client = login(cal.employee)
    with scopes_disabled():
        sick = LeaveType.objects.get(company=cal.company, code="sick")
        annual = LeaveType.objects.get(company=cal.company, code="annual")
    form = {
        "leave_type": sick.pk,
        "start_date": "2026-03-02",
        "start_half": "am",
        "end_date": "2026-03-03",
        "end_half": "am",
        "reason": "发烧",
    }
    refused = client.post(reverse("attendance:leave_request_new"), form)
    assert refused.status_code == 422
    assert "请上传证明材料" in refused.content.decode()
    upload = SimpleUploadedFile("病历.pdf", b"%PDF-1.4", content_type="application/pdf")
    accepted = client.post(reverse("attendance:leave_request_new"), {**form, "attachment": upload})
    assert accepted.status_code == 302
    with scopes_disabled():
        created = LeaveRequest.objects.get(employee__user=cal.employee)
    assert created.days == 1.5
    assert created.attachment
    no_balance = client.post(
        reverse("attendance:leave_request_new"),
        {**form, "leave_type": annual.pk, "start_date": "2026-03-09", "end_date": "2026-03-09"},
    )
    assert no_balance.status_code == 422
    assert "年假余额不足：剩余 0 天，申请 0.5 天" in no_balance.content.decode()
    page = client.get(reverse("attendance:requests_mine")).content.decode()
    assert "病假" in page and "待审批" in page


def test_inbox_shows_team_requests_with_balance_and_decides_by_htmx(cal: World) -> None:
    with scopes_disabled():
        leave_services.leave_accrue_year(company=cal.company, year=2026, actor=cal.hr)
        annual = LeaveType.objects.get(company=cal.company, code="annual")
        mine = leave_services.leave_request_create(
            employee=cal.teammate.employee,
            leave_type=annual,
            start=dt.datetime(2026, 3, 2),
            end=dt.datetime(2026, 3, 3),
            reason="回老家",
            actor=cal.teammate,
        )
        own = leave_request_make(cal.manager.employee)
    client = login(cal.manager)
    page = client.get(reverse("attendance:requests_inbox") + "?tab=leave").content.decode()
    assert "李哥" in page and "可用余额 4 天" in page
    assert f"leave-{own.pk}" not in page  # his own request is not his to decide
    rejected = client.post(
        reverse("attendance:leave_request_decide", args=[mine.pk]),
        {"decision": "reject", "note": ""},
        HTTP_HX_REQUEST="true",
    )
    assert rejected.status_code == 422
    assert "驳回时请填写原因" in rejected.content.decode()
    approved = client.post(
        reverse("attendance:leave_request_decide", args=[mine.pk]),
        {"decision": "approve", "note": "玩得开心"},
        HTTP_HX_REQUEST="true",
    )
    assert approved.status_code == 200
    assert "已通过" in approved.content.decode()


def test_hr_edits_types_adjusts_and_runs_the_year(cal: World) -> None:
    client = login(cal.hr)
    with scopes_disabled():
        paternity = LeaveType.objects.get(company=cal.company, code="paternity")
    edit = client.get(reverse("attendance:leave_types") + f"?edit={paternity.pk}")
    assert edit.status_code == 200 and "陪产假" in edit.content.decode()
    data = {
        "id": paternity.pk, "code": "paternity", "name": "陪产假（护理假）", "paid": "on",
        "accrual": "none", "yearly_days": "0", "max_days_per_request": "20",
        "carry_over_days": "0", "carry_over_expiry_months": "3", "half_day_allowed": "on",
        "counts_as_attendance": "on", "active": "on", "sort_order": "50",
    }  # fmt: skip
    assert client.post(reverse("attendance:leave_types"), data).status_code == 302
    with scopes_disabled():
        paternity.refresh_from_db()
        extra = LeaveType.objects.get(company=cal.company, code="company_extra")
    assert paternity.max_days_per_request == 20 and paternity.name == "陪产假（护理假）"
    assert client.post(reverse("attendance:leave_accrue"), {"year": "2026"}).status_code == 302
    adjust = client.post(
        reverse("attendance:leave_balance_adjust"),
        {
            "employee": cal.employee.employee.pk,
            "leave_type": extra.pk,
            "year": "2026",
            "days": "3",
            "reason": "年度优秀员工 3天额外假期",
        },
    )
    assert adjust.status_code == 302
    page = client.get(reverse("attendance:leave_balances") + "?year=2026").content.decode()
    assert "王姐" in page and "公司奖励假" in page
    with scopes_disabled():
        assert LeaveLedgerEntry.objects.filter(kind="adjustment", days=3).count() == 1


# --- API --------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "target", "expected"), matrix(api(DECIDE)))
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_leave_decide_api_matrix(
    cal: World, role: str, target: str, expected: int, decision: str
) -> None:
    leave_request = leave_request_make(target_employee(cal, role, target))
    response = call(
        client_for(cal, role),
        "post",
        f"{API}/leave-requests/{leave_request.pk}/{decision}",
        {"note": "理由"},
    )
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("role", "target", "expected"), matrix(api(CANCEL)))
def test_leave_cancel_api_matrix(cal: World, role: str, target: str, expected: int) -> None:
    leave_request = leave_request_make(target_employee(cal, role, target))
    response = call(
        client_for(cal, role), "post", f"{API}/leave-requests/{leave_request.pk}/cancel", {}
    )
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(("role", "target", "expected"), matrix(api(READ)))
def test_leave_read_api_matrix(cal: World, role: str, target: str, expected: int) -> None:
    employee = target_employee(cal, role, target)
    leave_request = leave_request_make(employee)
    client = client_for(cal, role)
    assert client.get(f"{API}/leave-requests/{leave_request.pk}").status_code == expected
    for suffix in ("leave-balances", "comp-leave", "leave-ledger?year=2026"):
        assert client.get(f"{API}/employees/{employee.pk}/{suffix}").status_code == expected


@pytest.mark.parametrize(("role", "target", "expected"), matrix(CREATE))
def test_leave_create_api_matrix(cal: World, role: str, target: str, expected: int) -> None:
    employee = target_employee(cal, role, target)
    with scopes_disabled():
        personal = LeaveType.objects.get(company=cal.company, code="personal")
    body = {
        "employee_id": employee.pk,
        "leave_type_id": personal.pk,
        "start": "2026-03-02T09:00:00",
        "end": "2026-03-02T18:00:00",
        "reason": "家里有事",
    }
    response = call(client_for(cal, role), "post", f"{API}/leave-requests", body)
    assert response.status_code == expected, response.content
    if expected == 201:
        assert json.loads(response.content)["days"] == 1
    if expected == 422:
        assert "employee_id" in json.loads(response.content)["fields"]


@pytest.mark.parametrize(("role", "target", "expected"), matrix(HR_WRITE))
def test_balance_adjust_api_matrix(cal: World, role: str, target: str, expected: int) -> None:
    employee = target_employee(cal, role, target)
    with scopes_disabled():
        extra = LeaveType.objects.get(company=cal.company, code="company_extra")
    response = call(
        client_for(cal, role),
        "post",
        f"{API}/employees/{employee.pk}/leave-balances/adjust",
        {"leave_type_id": extra.pk, "year": 2026, "days": "3", "reason": "奖励"},
    )
    assert response.status_code == expected, response.content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/leave-types", "/leave-requests"])
def test_list_api_matrix(cal: World, role: str, path: str) -> None:
    expected = {"platform_admin": 403, "anonymous": 401}.get(role, 200)
    assert client_for(cal, role).get(API + path).status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_leave_type_write_api_matrix(cal: World, role: str) -> None:
    client = client_for(cal, role)
    created = call(client, "post", f"{API}/leave-types", {"code": "study", "name": "学习假"})
    expected = {"hr": 201, "anonymous": 401}.get(role, 403)
    assert created.status_code == expected, created.content
    with scopes_disabled():
        sick = LeaveType.objects.get(company=cal.company, code="sick")
    patched = call(client, "patch", f"{API}/leave-types/{sick.pk}", {"requires_attachment": False})
    assert patched.status_code == (200 if role == "hr" else expected)


def test_api_lists_only_what_the_viewer_may_see(cal: World) -> None:
    for user in (cal.employee, cal.teammate, cal.other_team):
        leave_request_make(user.employee)
    names = {
        role: {
            item["employee_name"]
            for item in json.loads(client_for(cal, role).get(f"{API}/leave-requests").content)[
                "items"
            ]
        }
        for role in ("hr", "manager", "employee")
    }
    assert names == {
        "hr": {"王姐", "李哥", "赵工"},
        "manager": {"王姐", "李哥"},
        "employee": {"王姐"},
    }


def test_api_create_with_base64_attachment_and_errors(cal: World) -> None:
    client = client_for(cal, "employee")
    with scopes_disabled():
        sick = LeaveType.objects.get(company=cal.company, code="sick")
        annual = LeaveType.objects.get(company=cal.company, code="annual")
    body = {
        "leave_type_id": sick.pk,
        "start": "2026-03-02T00:00:00+08:00",
        "end": "2026-03-03T00:00:00+08:00",
        "reason": "发烧",
    }
    missing = call(client, "post", f"{API}/leave-requests", body)
    assert missing.status_code == 422
    assert json.loads(missing.content)["code"] == "attachment_required"
    broken = call(
        client,
        "post",
        f"{API}/leave-requests",
        {**body, "attachment": {"name": "病历.pdf", "content_base64": "不是base64"}},
    )
    assert "attachment" in json.loads(broken.content)["fields"]
    ok = call(
        client,
        "post",
        f"{API}/leave-requests",
        {
            **body,
            "attachment": {
                "name": "病历.pdf",
                "content_base64": base64.b64encode(b"%PDF-1.4").decode(),
            },
        },
    )
    assert ok.status_code == 201
    assert json.loads(ok.content)["has_attachment"] is True
    overlap = call(client, "post", f"{API}/leave-requests", {**body, "leave_type_id": annual.pk})
    assert overlap.status_code == 409
    assert json.loads(overlap.content)["code"] == "overlap"
