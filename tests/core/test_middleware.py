"""The tenant middleware applies the viewer's time zone and language to each request."""

from __future__ import annotations

import datetime as dt

import pytest

from jixiao.core.models import User
from tests.conftest import World, login

pytestmark = pytest.mark.django_db


def test_times_are_shown_in_the_viewers_time_zone(world: World) -> None:
    User.objects.filter(pk=world.employee.pk).update(
        last_login=dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)
    )
    shanghai = login(world.hr).get("/users/").content.decode()
    assert "2026-11-23 16:00" in shanghai
    User.objects.filter(pk=world.hr.pk).update(time_zone="Europe/Berlin")
    berlin = login(User.objects.get(pk=world.hr.pk)).get("/users/").content.decode()
    assert "2026-11-23 09:00" in berlin and "2026-11-23 16:00" not in berlin


def test_an_api_answer_uses_the_users_language(world: World) -> None:
    User.objects.filter(pk=world.employee.pk).update(language="en")
    response = login(User.objects.get(pk=world.employee.pk)).get("/api/v1/users")
    assert response.status_code == 403
    assert response.json()["message"] == "You do not have permission to do this."
