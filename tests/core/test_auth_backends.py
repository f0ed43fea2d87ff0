"""Username-or-email sign-in, with django-axes in front of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from jixiao.core.auth_backends import UsernameOrEmailBackend
from jixiao.core.models import User
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def test_backend_accepts_username_or_email(world: World) -> None:
    backend = UsernameOrEmailBackend()
    request = RequestFactory().post("/login/")
    assert backend.authenticate(request, username=world.employee.username, password=PASSWORD) == (
        world.employee
    )
    assert (
        backend.authenticate(
            request, username=f"  {world.employee.email.upper()} ", password=PASSWORD
        )
        == world.employee
    )
    assert backend.authenticate(request, username=world.employee.email, password="wrong") is None
    assert backend.authenticate(request, username="nobody@example.com", password=PASSWORD) is None
    assert backend.authenticate(request, username="", password=PASSWORD) is None


def test_backend_refuses_inactive_users(world: World) -> None:
    User.objects.filter(pk=world.teammate.pk).update(is_active=False)
    request = RequestFactory().post("/login/")
    assert (
        UsernameOrEmailBackend().authenticate(
            request, username=world.teammate.username, password=PASSWORD
        )
        is None
    )


def test_authenticate_goes_through_axes_which_needs_the_request(world: World) -> None:
    request = RequestFactory().post("/login/")
    user = authenticate(request, username=world.manager.email, password=PASSWORD)
    assert user == world.manager
    assert getattr(user, "backend", "") == "jixiao.core.auth_backends.UsernameOrEmailBackend"


def test_the_session_user_comes_with_company_employee_and_work_location(
    world: World, django_assert_num_queries: Any
) -> None:
    backend = UsernameOrEmailBackend()
    with django_assert_num_queries(1):
        user = backend.get_user(world.employee.pk)
        assert user is not None and user.company == world.company
        assert user.effective_time_zone  # employee → work location (or the company's zone)
        assert user.employee.pk  # type: ignore[union-attr]
    with django_assert_num_queries(1):
        platform = backend.get_user(world.platform_admin.pk)
        assert platform is not None and platform.company is None
    User.objects.filter(pk=world.teammate.pk).update(is_active=False)
    assert backend.get_user(world.teammate.pk) is None
    assert backend.get_user(10**9) is None


def test_a_password_login_keeps_its_backend_and_pages_still_load(client: Any, world: World) -> None:
    response = client.post("/login/", {"username": world.employee.username, "password": PASSWORD})
    assert response.status_code == 302
    assert (
        client.session["_auth_user_backend"] == "jixiao.core.auth_backends.UsernameOrEmailBackend"
    )
    assert client.get("/").status_code == 200
