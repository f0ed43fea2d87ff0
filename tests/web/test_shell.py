"""The shell around every page: health, error pages, language switch, user and token pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django_scopes import scope, scopes_disabled

from jixiao.audit.models import AuditEvent
from jixiao.core.models import ApiToken, Role, User
from jixiao.org.models import Employee
from tests.conftest import World, login

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_queue(db: None) -> None:
    response = Client().get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "queue": "ok"}}


def test_unknown_page_renders_the_404_template(world: World) -> None:
    response = login(world.employee).get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_forbidden_page_renders_the_403_template(world: World) -> None:
    response = login(world.employee).get("/users/")
    assert response.status_code == 403
    assert "没有权限" in response.content.decode()


def test_500_template_renders_without_a_request() -> None:
    from django.template import loader

    html = loader.get_template("500.html").render({})
    assert "服务器出错了" in html


def test_language_switch_works_for_anonymous_visitors(db: None) -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/login/").content.decode()
    assert '<html lang="en">' in page
    assert "Sign in" in page and "登录" not in page.split("<body", 1)[1].split("</main>")[0]


def test_home_in_english_shows_english_navigation(world: World) -> None:
    client = login(world.hr)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/").content.decode()
    assert "Employees" in html and "Home" in html
    assert "首页" not in html


def test_invite_via_the_page_mails_the_new_user(
    world: World, mailoutbox: list, django_capture_on_commit_callbacks: object
) -> None:
    with scope(company=world.company):
        person = Employee.objects.create(
            company=world.company,
            department=world.rd,
            name="孙工",
            employee_number="A010",
            hire_date=dt.date(2026, 1, 5),
            email="sun@xinghai.example",
        )
    client = login(world.hr)
    form = client.get(f"/users/invite/?employee={person.pk}")
    assert form.context["form"].initial["email"] == "sun@xinghai.example"
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(
            "/users/invite/",
            {
                "employee": person.pk,
                "username": "sungong",
                "email": "sun@xinghai.example",
                "role": "manager",
            },
        )
    assert response.status_code == 302
    user = User.objects.get(username="sungong")
    assert user.role == Role.MANAGER and user.company == world.company
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["sun@xinghai.example"]


def test_invite_cannot_pick_another_companys_employee(world: World) -> None:
    response = login(world.hr).post(
        "/users/invite/",
        {
            "employee": world.person(world.outsider).pk,
            "username": "x",
            "email": "x@example.com",
            "role": "employee",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors["employee"]


def test_demoting_the_last_hr_admin_shows_a_clear_error(world: World) -> None:
    response = login(world.hr).post(
        f"/users/{world.hr.pk}/", {"action": "role", "role-role": "employee", "role-reason": "x"}
    )
    assert response.status_code == 422
    assert "不能撤销公司最后一位 HR 管理员" in response.content.decode()


def test_deactivate_and_reactivate_a_user_from_the_page(world: World) -> None:
    client = login(world.hr)
    url = f"/users/{world.teammate.pk}/"
    client.post(url, {"action": "deactivate", "active-reason": "离职"})
    assert not User.objects.get(pk=world.teammate.pk).is_active
    client.post(url, {"action": "activate", "active-reason": "返聘"})
    assert User.objects.get(pk=world.teammate.pk).is_active
    with scopes_disabled():
        actions = list(
            AuditEvent.objects.filter(object_id=str(world.teammate.pk))
            .order_by("sequence")
            .values_list("action", flat=True)
        )
    assert actions[-2:] == ["core.user.deactivate", "core.user.activate"]


def test_token_page_shows_the_raw_token_once(world: World) -> None:
    client = login(world.employee)
    created = client.post("/account/tokens/", {"name": "我的脚本", "expires_on": "2099-12-31"})
    assert created.status_code == 201
    raw = created.context["new_token"]
    assert raw.startswith("jx_") and raw in created.content.decode()
    with scopes_disabled():
        token = ApiToken.objects.get(user=world.employee)
    assert token.expires_at is not None and token.expires_at.year == 2099
    listing = client.get("/account/tokens/").content.decode()
    assert raw not in listing and token.token_prefix in listing


def test_token_page_rejects_a_past_expiry(world: World) -> None:
    response = login(world.employee).post(
        "/account/tokens/", {"name": "旧", "expires_on": "2001-01-01"}
    )
    assert response.status_code == 422 and response.context["form"].errors["expires_on"]


def test_platform_admin_suspends_a_company_from_the_page(world: World) -> None:
    client = login(world.platform_admin)
    listing = client.get("/platform/companies/")
    rows = {r.company.slug: r for r in listing.context["rows"]}
    assert rows["xinghai"].headcount == 6 and rows["other"].headcount == 2
    response = client.post(f"/platform/companies/{world.other_company.pk}/", {"reason": "欠费"})
    assert response.status_code == 302
    world.other_company.refresh_from_db()
    assert not world.other_company.is_active
    with scopes_disabled():
        event = AuditEvent.objects.get(company=world.other_company, action="core.company.suspend")
    assert event.reason == "欠费" and event.actor == world.platform_admin
    missing_reason = client.post(f"/platform/companies/{world.other_company.pk}/", {"reason": ""})
    assert missing_reason.status_code == 422


def test_top_bar_language_switch_works_for_anonymous_visitors(db: None) -> None:
    client = Client()
    response = client.post("/language/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert "Sign in" in client.get("/login/").content.decode()


def test_top_bar_language_switch_is_remembered_for_a_signed_in_user(world: World) -> None:
    client = login(world.employee)
    client.post("/language/", {"language": "en", "next": "/"})
    assert User.objects.get(pk=world.employee.pk).language == "en"
    fresh = Client()  # another browser, no cookie: the profile's language applies at login
    fresh.post("/login/", {"username": world.employee.username, "password": "pass-Word-123"})
    assert "Employees" in fresh.get("/").content.decode()


def test_login_keeps_the_browsers_language_when_the_user_never_chose(world: World) -> None:
    client = Client()
    client.post("/language/", {"language": "en", "next": "/login/"})
    client.post("/login/", {"username": world.employee.username, "password": "pass-Word-123"})
    assert client.get("/").headers["Content-Language"] == "en"


def test_invited_user_sets_a_password_through_the_mailed_link_and_signs_in(
    world: World, mailoutbox: list, django_capture_on_commit_callbacks: object
) -> None:
    import re

    with scope(company=world.company):
        person = Employee.objects.create(
            company=world.company,
            department=world.rd,
            name="孙工",
            employee_number="A010",
            hire_date=dt.date(2026, 1, 5),
        )
    hr = login(world.hr)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        hr.post(
            "/users/invite/",
            {
                "employee": person.pk,
                "username": "sungong",
                "email": "sun@xinghai.example",
                "role": "employee",
            },
        )
    user = User.objects.get(username="sungong")
    # Not yet set: HR may resend, and the second mail carries a working link too.
    resend = hr.post(f"/users/{user.pk}/resend-invitation/")
    assert resend.status_code == 302 and len(mailoutbox) == 2
    link = re.search(r"https?://[^/]+(/account/password/reset/\S+/\S+/)", mailoutbox[-1].body)
    assert link is not None
    invited = Client()
    form = invited.get(link.group(1), follow=True)
    assert form.context["validlink"]
    invited.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Sun-Gong-2026!", "new_password2": "Sun-Gong-2026!"},
    )
    signed_in = invited.post(
        "/login/", {"username": "sun@xinghai.example", "password": "Sun-Gong-2026!"}
    )
    assert signed_in.status_code == 302
    # Once a password is set there is nothing to resend.
    hr.post(f"/users/{user.pk}/resend-invitation/")
    assert len(mailoutbox) == 2
