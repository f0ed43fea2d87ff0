"""Who may call the API: a bearer token or a browser session with CSRF for writes."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from jixiao.core import services
from jixiao.core.models import ApiToken, Company
from tests.api.conftest import assert_error, bearer, token_for
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

NEW_TOKEN = {"name": "脚本"}


def _session(world: World) -> Client:
    """刘HR's browser: logged in, and CSRF enforced as in production."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.hr)
    return client


# --- Tokens ------------------------------------------------------------------


def test_a_token_authenticates_as_its_owner(world: World) -> None:
    response = Client(**bearer(token_for(world.employee))).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == world.employee.username


def test_a_token_write_needs_no_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True, **bearer(token_for(world.hr)))
    response = client.post("/api/v1/tokens", NEW_TOKEN, content_type="application/json")
    assert response.status_code == 201, response.content


def test_a_token_is_marked_as_used(world: World) -> None:
    raw = token_for(world.hr)
    Client(**bearer(raw)).get("/api/v1/me")
    with scopes_disabled():
        assert ApiToken.objects.get(token_hash=ApiToken.hash_of(raw)).last_used_at is not None


@pytest.mark.parametrize(
    "header",
    [
        "Bearer jx_this-token-was-never-issued",
        "Bearer ",
        "bearer jx_wrong-case-scheme-still-checked",
    ],
)
def test_an_unknown_token_is_a_401(world: World, header: str) -> None:
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/me")
    assert_error(response, 401, "invalid_token")


def test_an_unknown_token_is_refused_even_with_a_valid_session(world: World) -> None:
    client = login(world.hr)
    assert_error(client.get("/api/v1/me", **bearer("jx_nope")), 401, "invalid_token")


def test_a_revoked_token_is_a_401(world: World) -> None:
    raw = token_for(world.hr)
    with scopes_disabled():
        token = ApiToken.objects.get(token_hash=ApiToken.hash_of(raw))
    services.api_token_revoke(token=token, actor=world.hr)
    assert_error(Client(**bearer(raw)).get("/api/v1/me"), 401, "invalid_token")


def test_an_expired_token_is_a_401(world: World) -> None:
    expires = timezone.now() + dt.timedelta(days=1)
    _, raw = services.api_token_create(
        user=world.hr, name="一天", expires_at=expires, actor=world.hr
    )
    client = Client(**bearer(raw))
    assert client.get("/api/v1/me").status_code == 200
    with time_machine.travel(expires + dt.timedelta(seconds=1)):
        assert_error(client.get("/api/v1/me"), 401, "invalid_token")


def test_a_token_of_a_deactivated_user_is_a_401(world: World) -> None:
    raw = token_for(world.employee)
    world.employee.is_active = False
    world.employee.save()
    assert_error(Client(**bearer(raw)).get("/api/v1/me"), 401)


def test_a_token_of_a_suspended_company_is_a_403(world: World) -> None:
    raw = token_for(world.hr)
    Company.objects.filter(pk=world.company.pk).update(status=Company.Status.SUSPENDED)
    assert_error(Client(**bearer(raw)).get("/api/v1/me"), 403, "company_suspended")


def test_another_scheme_is_not_a_token(world: World) -> None:
    raw = token_for(world.hr)
    response = Client(HTTP_AUTHORIZATION=f"Token {raw}").get("/api/v1/me")
    assert_error(response, 401, "unauthenticated")


# --- Sessions ----------------------------------------------------------------


def test_a_session_reads_without_csrf(world: World) -> None:
    assert _session(world).get("/api/v1/me").status_code == 200


def test_a_session_write_without_csrf_is_a_403(world: World) -> None:
    response = _session(world).post("/api/v1/tokens", NEW_TOKEN, content_type="application/json")
    assert_error(response, 403, "csrf_failed")
    with scopes_disabled():
        assert not ApiToken.objects.filter(user=world.hr).exists()


def test_a_session_write_with_a_wrong_csrf_token_is_a_403(world: World) -> None:
    client = _session(world)
    client.cookies[settings.CSRF_COOKIE_NAME] = _get_new_csrf_string()
    response = client.post(
        "/api/v1/tokens",
        NEW_TOKEN,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=_get_new_csrf_string(),
    )
    assert_error(response, 403, "csrf_failed")


def test_a_session_write_with_the_csrf_token_is_allowed(world: World) -> None:
    client = _session(world)
    secret = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    response = client.post(
        "/api/v1/tokens", NEW_TOKEN, content_type="application/json", HTTP_X_CSRFTOKEN=secret
    )
    assert response.status_code == 201, response.content


def test_the_docs_page_hands_out_a_csrf_token_for_session_writes(world: World) -> None:
    client = _session(world)
    page = client.get("/api/v1/docs")
    token = page.context["csrf_token"]
    response = client.post(
        "/api/v1/tokens", NEW_TOKEN, content_type="application/json", HTTP_X_CSRFTOKEN=str(token)
    )
    assert response.status_code == 201, response.content


def test_a_session_of_a_deactivated_user_is_a_401(world: World) -> None:
    client = login(world.employee)
    world.employee.is_active = False
    world.employee.save()
    assert_error(client.get("/api/v1/me"), 401, "unauthenticated")


def test_a_session_of_a_suspended_company_is_a_403_and_logged_out(world: World) -> None:
    client = login(world.employee)
    Company.objects.filter(pk=world.company.pk).update(status=Company.Status.SUSPENDED)
    assert_error(client.get("/api/v1/me"), 403, "company_suspended")
    Company.objects.filter(pk=world.company.pk).update(status=Company.Status.ACTIVE)
    assert_error(client.get("/api/v1/me"), 401, "unauthenticated")


def test_anonymous_writes_are_a_401_not_a_csrf_error(world: World) -> None:
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/tokens", NEW_TOKEN, content_type="application/json"
    )
    assert_error(response, 401, "unauthenticated")
