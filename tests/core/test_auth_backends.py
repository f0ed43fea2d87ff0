"""Username-or-email sign-in, with django-axes in front of it."""

from __future__ import annotations

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
