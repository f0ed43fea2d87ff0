"""Signing in (username or email), lockout, suspension, passwords, language and sign-up."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.test import Client, override_settings
from django_scopes import scopes_disabled

from jixiao.audit.models import AuditEvent
from jixiao.core import services
from jixiao.core.models import Company, Role, User
from tests.conftest import PASSWORD, World, login

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str = PASSWORD) -> object:
    return client.post("/login/", {"username": username, "password": password})


def test_login_by_username(world: World) -> None:
    client = Client()
    response = sign_in(client, world.employee.username)
    assert response.status_code == 302 and response["Location"] == "/"  # type: ignore[attr-defined]
    assert client.get("/").context["user"] == world.employee


def test_login_by_email_in_any_case(world: World) -> None:
    client = Client()
    response = sign_in(client, world.teammate.email.upper())
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert int(client.session["_auth_user_id"]) == world.teammate.pk


def test_wrong_password_shows_a_clear_error(world: World) -> None:
    response = Client().post("/login/", {"username": world.employee.username, "password": "no"})
    assert response.status_code == 200
    assert "用户名/邮箱或密码不正确" in response.content.decode()


def test_deactivated_user_cannot_sign_in(world: World) -> None:
    User.objects.filter(pk=world.teammate.pk).update(is_active=False)
    response = Client().post("/login/", {"username": world.teammate.username, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in response.client.session


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_after_repeated_failures_shows_locked_out_page(world: World) -> None:
    client = Client()
    for _attempt in range(2):
        response = client.post("/login/", {"username": world.employee.username, "password": "x"})
        assert response.status_code == 200
    locked = client.post("/login/", {"username": world.employee.username, "password": "x"})
    assert locked.status_code == 429
    assert "登录已被暂时锁定" in locked.content.decode()
    # Even the right password is refused while locked out.
    again = client.post("/login/", {"username": world.employee.username, "password": PASSWORD})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_user_of_a_suspended_company_is_refused_at_login_with_a_reason(world: World) -> None:
    services.company_suspend(company=world.company, actor=world.platform_admin, reason="欠费")
    client = Client()
    response = client.post("/login/", {"username": world.manager.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "你所在公司的账号已被平台停用" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_suspension_ends_an_existing_session(world: World) -> None:
    client = login(world.manager)
    assert client.get("/").status_code == 200
    services.company_suspend(company=world.company, actor=world.platform_admin, reason="欠费")
    response = client.get("/")
    assert response.status_code == 403 and "公司账号已停用" in response.content.decode()
    assert client.get("/").status_code == 302  # logged out


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"])
def test_passwords_are_hashed_with_argon2() -> None:
    assert make_password("王姐的密码-2026").startswith("argon2$argon2id$")
    # The project's own list, without the tests' fast hasher, puts argon2 first.
    from django.contrib.auth.hashers import get_hashers

    assert get_hashers()[0].algorithm == "argon2"


def test_production_hasher_list_starts_with_argon2() -> None:
    non_test = [h for h in settings.PASSWORD_HASHERS if "MD5" not in h]
    assert non_test[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_password_reset_sends_a_mail_whose_link_sets_a_new_password(
    world: World, mailoutbox: list
) -> None:
    client = Client()
    response = client.post("/account/password/reset/", {"email": world.employee.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [world.employee.email]
    assert world.employee.username in mail.body
    link = re.search(r"http://testserver(/account/password/reset/\S+/\S+/)", mail.body)
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Xinghai-New-2026", "new_password2": "Xinghai-New-2026"},
    )
    assert done.status_code == 302
    assert User.objects.get(pk=world.employee.pk).check_password("Xinghai-New-2026")


def test_password_reset_for_unknown_email_sends_nothing(db: None, mailoutbox: list) -> None:
    response = Client().post("/account/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and mailoutbox == []


def test_password_change(world: World) -> None:
    client = login(world.employee)
    response = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Wang-Jie-2026!",
            "new_password2": "Wang-Jie-2026!",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=world.employee.pk).check_password("Wang-Jie-2026!")


def test_login_applies_the_users_language(world: World) -> None:
    User.objects.filter(pk=world.teammate.pk).update(language="en")
    client = Client()
    response = client.post("/login/", {"username": world.teammate.username, "password": PASSWORD})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert client.get("/").headers["Content-Language"] == "en"


def test_users_language_applies_without_a_cookie(world: World) -> None:
    User.objects.filter(pk=world.teammate.pk).update(language="en")
    response = login(world.teammate).get("/")
    assert response.headers["Content-Language"] == "en"


def test_profile_saves_language_and_time_zone_and_shell_shows_it(world: World) -> None:
    client = login(world.teammate)
    assert client.get("/account/").status_code == 200
    response = client.post(
        "/account/", {"display_name": "李哥", "language": "en", "time_zone": "Europe/Berlin"}
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/").content.decode()
    assert 'data-testid="viewer-tz">Europe/Berlin<' in page
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="core.user.profile_update").exists()


def test_profile_rejects_an_unknown_time_zone(world: World) -> None:
    response = login(world.teammate).post(
        "/account/", {"display_name": "", "language": "zh-hans", "time_zone": "Mars/Base"}
    )
    assert response.status_code == 200 and response.context["form"].errors["time_zone"]


def test_signup_creates_company_admin_and_signs_in(db: None) -> None:
    client = Client()
    assert client.get("/signup/").status_code == 200
    response = client.post(
        "/signup/",
        {
            "company_name": "青禾科技",
            "admin_name": "周敏",
            "username": "zhoumin",
            "email": "zhou@qinghe.example",
            "time_zone": "Asia/Shanghai",
            "password1": "Qinghe-Secret-9",
            "password2": "Qinghe-Secret-9",
        },
    )
    assert response.status_code == 302
    admin = User.objects.get(username="zhoumin")
    assert admin.role == Role.HR_ADMIN and admin.company.name == "青禾科技"  # type: ignore[union-attr]
    home = client.get("/")
    assert home.context["user"] == admin
    with scopes_disabled():
        assert AuditEvent.objects.filter(
            company=admin.company, action="core.company.signup"
        ).exists()


def test_signup_shows_field_errors(world: World) -> None:
    response = Client().post(
        "/signup/",
        {
            "company_name": "重复",
            "admin_name": "X",
            "username": world.hr.username,
            "email": "new@example.com",
            "time_zone": "Asia/Shanghai",
            "password1": "Qinghe-Secret-9",
            "password2": "Qinghe-Secret-9",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert not Company.objects.filter(name="重复").exists()


def test_signup_rejects_weak_or_mismatched_passwords(db: None) -> None:
    data = {
        "company_name": "弱密码公司",
        "admin_name": "X",
        "username": "weak",
        "email": "weak@example.com",
        "time_zone": "Asia/Shanghai",
        "password1": "123",
        "password2": "123",
    }
    assert Client().post("/signup/", data).context["form"].errors["password1"]
    data |= {"password1": "Qinghe-Secret-9", "password2": "Qinghe-Secret-8"}
    assert Client().post("/signup/", data).context["form"].errors["password2"]


@override_settings(JIXIAO_ALLOW_SIGNUP=False)
def test_signup_is_closed_when_disabled(db: None) -> None:
    assert Client().get("/signup/").status_code == 404
