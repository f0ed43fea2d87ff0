"""Punch pages: the permission matrix for every URL, and what the pages show and do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from jixiao.attendance.models import ActivityPolicy, CheckInConsent, Punch
from jixiao.audit.models import AuditEvent
from jixiao.org.models import Employee
from tests.conftest import World, login
from tests.factories import WorkLocationFactory

pytestmark = pytest.mark.django_db

ROLES = ("hr", "executive", "manager", "employee", "platform_admin", "anonymous")
TARGETS = ("own", "team", "other_team", "other_company")


def _client(world: World, role: str) -> Client:
    return Client() if role == "anonymous" else login(getattr(world, role))


def _target(world: World, role: str, target: str) -> Employee:
    with scopes_disabled():
        if target == "own":
            return getattr(world, role).employee  # type: ignore[no-any-return]
        user = {
            "team": world.teammate,
            "other_team": world.other_team,
            "other_company": world.outsider,
        }[target]
        return Employee.objects.get(user=user)


def _punch(employee: Employee) -> Punch:
    with scopes_disabled():
        return Punch.objects.create(
            company_id=employee.company_id,
            employee=employee,
            at=timezone.now() - dt.timedelta(hours=1),
            source="device",
        )


SELF_PAGE = {"hr": 200, "executive": 200, "manager": 200, "employee": 200}
SELF_PAGE.update({"platform_admin": 403, "anonymous": 302})
TEAM_PAGE = {"hr": 200, "executive": 200, "manager": 200, "employee": 403}
TEAM_PAGE.update({"platform_admin": 403, "anonymous": 302})
HR_PAGE = {"hr": 200, "executive": 403, "manager": 403, "employee": 403}
HR_PAGE.update({"platform_admin": 403, "anonymous": 302})


@pytest.mark.parametrize(("role", "expected"), SELF_PAGE.items())
@pytest.mark.parametrize("name", ["attendance:checkin", "attendance:my_punches"])
def test_own_pages(world: World, role: str, expected: int, name: str) -> None:
    assert _client(world, role).get(reverse(name)).status_code == expected


@pytest.mark.parametrize(("role", "expected"), SELF_PAGE.items())
def test_consent_change_is_for_oneself(world: World, role: str, expected: int) -> None:
    response = _client(world, role).post(
        reverse("attendance:consent_change", args=["location"]), {"action": "grant"}
    )
    assert response.status_code == (302 if expected == 200 else expected)
    if expected == 200:
        with scopes_disabled():
            consent = CheckInConsent.objects.get()
        assert consent.employee.user == getattr(world, role)


@pytest.mark.parametrize(("role", "expected"), TEAM_PAGE.items())
def test_punch_list_page(world: World, role: str, expected: int) -> None:
    response = _client(world, role).get(reverse("attendance:punch_list"))
    assert response.status_code == expected


@pytest.mark.parametrize(("role", "expected"), HR_PAGE.items())
def test_activity_policy_page(world: World, role: str, expected: int) -> None:
    response = _client(world, role).get(reverse("attendance:activity_policy_list"))
    assert response.status_code == expected


VOID = {
    "hr": (302, 302, 302, 404),
    "executive": (403, 403, 403, 404),
    "manager": (403, 403, 403, 404),
    "employee": (403, 403, 403, 404),
    "platform_admin": (None, 403, 403, 403),
}


@pytest.mark.parametrize(
    ("role", "target", "expected"),
    [
        (role, target, status)
        for role, statuses in VOID.items()
        for target, status in zip(TARGETS, statuses, strict=True)
        if status is not None
    ]
    + [("anonymous", t, 302) for t in TARGETS[1:]],
)
def test_punch_void_page_action(world: World, role: str, target: str, expected: int) -> None:
    punch = _punch(_target(world, role, target))
    response = _client(world, role).post(
        reverse("attendance:punch_void", args=[punch.pk]), {"reason": "重复刷卡"}
    )
    assert response.status_code == expected
    with scopes_disabled():
        punch.refresh_from_db()
    assert punch.voided == (role == "hr" and expected == 302)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("where", ["company", "other_company"])
def test_activity_policy_object_pages(world: World, role: str, where: str) -> None:
    with scopes_disabled():
        policy = ActivityPolicy.objects.create(
            company=getattr(world, where), name="规则", kinds=["call"]
        )
    client = _client(world, role)
    expected = {"hr": 200, "anonymous": 302}.get(role, 403)
    if where == "other_company" and role not in ("anonymous", "platform_admin"):
        expected = 404
    edit = reverse("attendance:activity_policy_edit", args=[policy.pk])
    assert client.get(edit).status_code == expected
    deleted = client.post(reverse("attendance:activity_policy_delete", args=[policy.pk]))
    assert deleted.status_code == (302 if expected == 200 else expected)


# --- Behaviour ---------------------------------------------------------------------------------


def test_check_in_page_shows_the_notice_and_asks_for_consent_first(world: World) -> None:
    page = login(world.employee).get(reverse("attendance:checkin")).content.decode()
    assert "打卡信息告知" in page
    assert 'data-testid="location-consent"' in page
    assert 'data-location-consent="0"' in page
    assert "<script>" not in page  # CSP: scripts come from static files only
    assert "attendance/checkin.js" in page


def test_check_in_outside_the_geofence_shows_the_error(world: World) -> None:
    with scopes_disabled():
        location = WorkLocationFactory(
            company=world.company,
            name="上海总部",
            latitude=Decimal("31.230400"),
            longitude=Decimal("121.473700"),
            geofence_radius_m=200,
        )
        Employee.objects.filter(user=world.employee).update(work_location=location)
    client = login(world.employee)
    client.post(reverse("attendance:consent_change", args=["location"]), {"action": "grant"})
    response = client.post(
        reverse("attendance:checkin"), {"latitude": "31.240400", "longitude": "121.473700"}
    )
    assert response.status_code == 422
    assert "不在打卡范围内" in response.content.decode()
    ok = client.post(
        reverse("attendance:checkin"), {"latitude": "31.230500", "longitude": "121.473700"}
    )
    assert ok.status_code == 302
    page = client.get(reverse("attendance:checkin")).content.decode()
    assert page.count('data-testid="today-punch"') == 1


def test_hr_filters_the_punch_list_and_voids_with_a_reason(world: World) -> None:
    wang = _target(world, "employee", "own")
    li = _target(world, "teammate", "own")
    punch = _punch(wang)
    _punch(li)
    client = login(world.hr)
    page = client.get(reverse("attendance:punch_list"), {"employee": "A004"}).content.decode()
    assert page.count('data-testid="punch-row"') == 1
    refused = client.post(reverse("attendance:punch_void", args=[punch.pk]), {"reason": ""})
    assert refused.status_code == 302
    with scopes_disabled():
        punch.refresh_from_db()
        assert not punch.voided
    client.post(reverse("attendance:punch_void", args=[punch.pk]), {"reason": "重复刷卡"})
    with scopes_disabled():
        punch.refresh_from_db()
        assert punch.voided
        assert AuditEvent.objects.get(action="attendance.punch.void").reason == "重复刷卡"


def test_manager_sees_only_the_team_in_the_punch_list(world: World) -> None:
    for role in ("employee", "teammate", "other_team"):
        _punch(_target(world, role, "own"))
    page = login(world.manager).get(reverse("attendance:punch_list")).content.decode()
    assert page.count('data-testid="punch-row"') == 2
    assert "赵工" not in page


def test_activity_policy_form_creates_and_reports_errors(world: World) -> None:
    client = login(world.hr)
    url = reverse("attendance:activity_policy_list")
    bad = client.post(
        url,
        {"name": "外贸", "kinds": ["call"], "gap_join_minutes": 30, "email_credit_minutes": 5,
         "employees": "A404"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert "A404" in bad.content.decode()
    good = client.post(
        url,
        {"name": "外贸", "kinds": ["call", "email"], "gap_join_minutes": 30,
         "email_credit_minutes": 5, "employees": "A005"},
    )  # fmt: skip
    assert good.status_code == 302
    with scopes_disabled():
        policy = ActivityPolicy.objects.get()
        assert list(policy.employees.values_list("name", flat=True)) == ["李哥"]
        assert AuditEvent.objects.filter(action="attendance.activity_policy.create").exists()


@pytest.mark.parametrize(("role", "expected"), HR_PAGE.items())
def test_punch_import_page(world: World, role: str, expected: int) -> None:
    response = _client(world, role).get(reverse("attendance:punch_import"))
    assert response.status_code == expected


def test_upload_goes_to_the_import_wizard(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.imports.helpers import csv_bytes

    data = csv_bytes([["A004", "2026-01-05 08:57:13"]], headers=["AC-No.", "Time"])
    response = login(world.hr).post(
        reverse("attendance:punch_import"),
        {"file": SimpleUploadedFile("zk.csv", data), "mode": "all_or_nothing"},
    )
    assert response.status_code == 302
    assert "/imports/batches/" in response["Location"]
    page = login(world.hr).get(response["Location"])
    assert page.status_code == 200


def test_a_file_beyond_the_wizards_limit_takes_the_bulk_path(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.imports.helpers import csv_bytes

    monkeypatch.setattr("jixiao.imports.readers.MAX_ROWS", 2)
    rows = [["A004", f"2026-01-05 08:5{i}:13"] for i in range(3)] + [["A404", "2026-01-05 09:00"]]
    data = csv_bytes(rows, headers=["工号", "打卡时间"])
    response = login(world.hr).post(
        reverse("attendance:punch_import"),
        {"file": SimpleUploadedFile("big.csv", data), "mode": "valid_rows_only"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="bulk-result"' in page and "A404" in page
    with scopes_disabled():
        assert Punch.objects.count() == 3
