"""Check-in photos: shown where punches are reviewed, streamed only through a permission
check (page and API), never cached publicly, and every viewing audited.

李哥 checks in at a customer's site with a photo; 张经理 (his manager) and 刘HR open it
from the punch list and the day detail, 陈总 (executive) may not, 王姐 sees only her own.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from jixiao.attendance.models import DailyAttendance, Punch
from jixiao.audit.models import AuditEvent
from jixiao.org.models import Employee
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00photo-bytes"
TARGETS = ("own", "team", "other_team", "other_company")

# Own photo: everyone with an employee record; a teammate's: the manager and HR;
# executives read attendance figures but not faces; other company: 404.
PAGE = {
    "hr": (200, 200, 200, 404),
    "executive": (200, 403, 403, 404),
    "manager": (200, 200, 403, 404),
    "employee": (200, 403, 403, 404),
    "platform_admin": (None, 403, 403, 403),
    "anonymous": (None, 302, 302, 302),
}
API = {**PAGE, "anonymous": (None, 401, 401, 401)}


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _matrix(table: dict[str, tuple[int | None, ...]]) -> list[tuple[str, str, int]]:
    return [
        (role, target, status)
        for role, statuses in table.items()
        for target, status in zip(TARGETS, statuses, strict=True)
        if status is not None
    ]


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


def _photo_punch(employee: Employee, *, at: dt.datetime | None = None) -> Punch:
    with scopes_disabled():
        punch = Punch.objects.create(
            company_id=employee.company_id,
            employee=employee,
            at=at or timezone.now() - dt.timedelta(hours=1),
            source="mobile",
        )
        punch.photo.save("site.jpg", ContentFile(JPEG), save=True)
        return punch


def _views() -> int:
    with scopes_disabled():
        return AuditEvent.objects.filter(action="attendance.punch.photo_view").count()


@pytest.mark.parametrize(("role", "target", "expected"), _matrix(PAGE))
def test_photo_page_matrix(world: World, role: str, target: str, expected: int) -> None:
    punch = _photo_punch(_target(world, role, target))
    response = _client(world, role).get(f"/attendance/punches/{punch.pk}/photo/")
    assert response.status_code == expected
    if expected == 200:
        assert response.content == JPEG
        assert response["Content-Type"] == "image/jpeg"
        assert "private" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert _views() == 1
    else:
        assert _views() == 0


@pytest.mark.parametrize(("role", "target", "expected"), _matrix(API))
def test_photo_api_matrix(world: World, role: str, target: str, expected: int) -> None:
    punch = _photo_punch(_target(world, role, target))
    response = _client(world, role).get(f"/api/v1/attendance/punches/{punch.pk}/photo")
    assert response.status_code == expected
    if expected == 200:
        assert response.content == JPEG
        assert "private" in response["Cache-Control"]
        assert _views() == 1


def test_viewing_is_audited_with_the_viewer(world: World) -> None:
    li = _target(world, "hr", "team")
    punch = _photo_punch(li)
    login(world.manager).get(f"/attendance/punches/{punch.pk}/photo/")
    login(world.hr).get(f"/api/v1/attendance/punches/{punch.pk}/photo")
    with scopes_disabled():
        events = list(
            AuditEvent.objects.filter(action="attendance.punch.photo_view").order_by("sequence")
        )
    assert [e.actor_id for e in events] == [world.manager.pk, world.hr.pk]
    assert {e.object_id for e in events} == {str(punch.pk)}
    assert all(e.company_id == world.company.pk for e in events)


def test_punch_without_photo_is_404(world: World) -> None:
    with scopes_disabled():
        li = Employee.objects.get(user=world.teammate)
        punch = Punch.objects.create(
            company_id=li.company_id, employee=li, at=timezone.now(), source="web"
        )
    assert login(world.hr).get(f"/attendance/punches/{punch.pk}/photo/").status_code == 404
    assert login(world.hr).get(f"/api/v1/attendance/punches/{punch.pk}/photo").status_code == 404


def test_photo_is_not_under_a_public_media_url(world: World) -> None:
    punch = _photo_punch(_target(world, "hr", "team"))
    page = login(world.hr).get("/attendance/punches/").content.decode()
    assert f"/attendance/punches/{punch.pk}/photo/" in page
    assert punch.photo.url not in page
    assert "punch-photos/" not in page


def test_punch_list_links_only_photos_the_viewer_may_open(world: World) -> None:
    team = _photo_punch(_target(world, "hr", "team"))
    other = _photo_punch(_target(world, "hr", "other_team"))
    manager_page = login(world.manager).get("/attendance/punches/").content.decode()
    assert f"/attendance/punches/{team.pk}/photo/" in manager_page
    assert f"/attendance/punches/{other.pk}/photo/" not in manager_page
    executive_page = login(world.executive).get("/attendance/punches/").content.decode()
    assert "/photo/" not in executive_page
    assert 'data-testid="punch-photo-link"' not in executive_page
    # Rendering the list is not viewing a photo.
    assert _views() == 0


def test_my_punches_link_my_own_photo(world: World) -> None:
    punch = _photo_punch(_target(world, "employee", "own"))
    page = login(world.employee).get("/attendance/punches/mine/").content.decode()
    assert f"/attendance/punches/{punch.pk}/photo/" in page


def test_day_detail_links_the_photo_for_the_manager(world: World) -> None:
    li = _target(world, "hr", "team")
    at = dt.datetime(2026, 3, 2, 1, 5, tzinfo=dt.UTC)  # 09:05 in Shanghai
    punch = _photo_punch(li, at=at)
    with scopes_disabled():
        DailyAttendance.objects.create(
            company_id=li.company_id,
            employee=li,
            date=dt.date(2026, 3, 2),
            day_kind="workday",
            status="normal",
            time_zone="Asia/Shanghai",
            first_punch=at,
            last_punch=at,
        )
    url = f"/attendance/results/employees/{li.pk}/day/?date=2026-03-02"
    page = login(world.manager).get(url).content.decode()
    assert f"/attendance/punches/{punch.pk}/photo/" in page
    executive_page = login(world.executive).get(url).content.decode()
    assert "/photo/" not in executive_page


def test_api_punch_list_points_to_the_photo_endpoint(world: World) -> None:
    li = _target(world, "hr", "team")
    punch = _photo_punch(li)
    body = login(world.manager).get(f"/api/v1/attendance/punches?employee_id={li.pk}").json()
    (item,) = body["items"]
    assert item["has_photo"] is True
    assert item["photo_url"] == f"/api/v1/attendance/punches/{punch.pk}/photo"
    assert "punch-photos/" not in str(body)
