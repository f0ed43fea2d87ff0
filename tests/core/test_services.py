"""Company sign-up and suspension, user management and API tokens, as services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from jixiao.audit.models import AuditEvent
from jixiao.core import services
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import ApiToken, Company, Role, User
from jixiao.org.models import Department, Employee
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _events(company: Company, action: str) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(company=company, action=action))


def test_signup_creates_company_admin_root_department_and_audit_events() -> None:
    admin = services.company_signup(
        company_name="青禾科技",
        admin_name="周敏",
        username="zhoumin",
        email="zhou@qinghe.example",
        password="Qinghe-2026!",
        time_zone="Asia/Shanghai",
    )
    company = admin.company
    assert company is not None
    assert company.name == "青禾科技"
    assert company.slug.startswith("co-")  # a Chinese name has no ASCII slug
    assert admin.role == Role.HR_ADMIN
    assert admin.check_password("Qinghe-2026!")
    with scope(company=company):
        root = Department.objects.get()
        employee = Employee.objects.get()
    assert root.name == "青禾科技" and root.parent is None
    assert employee.user == admin and employee.department == root and employee.name == "周敏"
    signup_events = _events(company, "core.company.signup")
    assert len(signup_events) == 1 and signup_events[0].actor == admin
    assert _events(company, "core.user.create")[0].changes["role"] == [None, "hr_admin"]


def test_signup_slugs_are_unique_for_the_same_ascii_name() -> None:
    first = services.company_signup(
        company_name="Acme Trading",
        admin_name="A",
        username="a1",
        email="a1@x.example",
        password="Acme-Trading-1",
    )
    second = services.company_signup(
        company_name="Acme Trading",
        admin_name="B",
        username="b1",
        email="b1@x.example",
        password="Acme-Trading-1",
    )
    assert first.company.slug == "acme-trading"  # type: ignore[union-attr]
    assert second.company.slug.startswith("acme-trading-")  # type: ignore[union-attr]


def test_signup_refuses_a_taken_username_or_email(world: World) -> None:
    with pytest.raises(ServiceError) as error:
        services.company_signup(
            company_name="重复公司",
            admin_name="X",
            username=world.hr.username,
            email=world.employee.email.upper(),
            password="Whatever-123",
        )
    assert set(error.value.fields) == {"username", "email"}
    assert not Company.objects.filter(name="重复公司").exists()


def test_suspend_and_reactivate_are_audited_in_the_company_chain(world: World) -> None:
    services.company_suspend(company=world.company, actor=world.platform_admin, reason="欠费")
    world.company.refresh_from_db()
    assert world.company.status == Company.Status.SUSPENDED
    assert world.company.suspended_reason == "欠费"
    event = _events(world.company, "core.company.suspend")[0]
    assert event.actor == world.platform_admin and event.reason == "欠费"
    assert event.changes == {"status": ["active", "suspended"]}
    with pytest.raises(ServiceError):
        services.company_suspend(company=world.company, actor=world.platform_admin, reason="再次")
    services.company_reactivate(company=world.company, actor=world.platform_admin, reason="已付款")
    world.company.refresh_from_db()
    assert world.company.is_active and world.company.suspended_at is None
    assert _events(world.company, "core.company.reactivate")[0].reason == "已付款"


def test_suspension_needs_a_reason(world: World) -> None:
    with pytest.raises(ServiceError) as error:
        services.company_suspend(company=world.company, actor=world.platform_admin, reason=" ")
    assert "reason" in error.value.fields


def test_role_change_is_audited_as_a_permission_change(world: World) -> None:
    services.user_role_change(
        user=world.employee, role=Role.MANAGER, actor=world.hr, reason="晋升为销售主管"
    )
    world.employee.refresh_from_db()
    assert world.employee.role == Role.MANAGER
    event = _events(world.company, "core.user.role_change")[0]
    assert event.changes == {"role": ["employee", "manager"]}
    assert event.reason == "晋升为销售主管" and event.actor == world.hr


def test_the_last_hr_admin_cannot_be_demoted_or_deactivated(world: World) -> None:
    with pytest.raises(ServiceError) as error:
        services.user_role_change(user=world.hr, role=Role.EMPLOYEE, actor=world.hr, reason="x")
    assert error.value.code == "last_hr_admin"
    with pytest.raises(ServiceError):
        services.user_set_active(user=world.hr, is_active=False, actor=world.executive)
    # With a second HR admin, the first may step down.
    services.user_role_change(user=world.executive, role=Role.HR_ADMIN, actor=world.hr, reason="y")
    services.user_role_change(user=world.hr, role=Role.EMPLOYEE, actor=world.executive, reason="z")
    world.hr.refresh_from_db()
    assert world.hr.role == Role.EMPLOYEE


def test_platform_admin_role_cannot_be_granted(world: World) -> None:
    with pytest.raises(ServiceError):
        services.user_role_change(user=world.employee, role=Role.PLATFORM_ADMIN, actor=world.hr)


def test_deactivation_revokes_tokens_and_is_audited(world: World) -> None:
    token, _raw = services.api_token_create(
        user=world.employee, name="脚本", expires_at=None, actor=world.employee
    )
    with pytest.raises(ServiceError):
        services.user_set_active(user=world.hr, is_active=False, actor=world.hr)
    services.user_set_active(user=world.employee, is_active=False, actor=world.hr, reason="离职")
    world.employee.refresh_from_db()
    token.refresh_from_db()
    assert not world.employee.is_active and token.revoked_at is not None
    assert _events(world.company, "core.user.deactivate")[0].reason == "离职"
    services.user_set_active(user=world.employee, is_active=True, actor=world.hr, reason="返聘")
    world.employee.refresh_from_db()
    assert world.employee.is_active


def test_invite_creates_a_login_and_mails_a_set_password_link(
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
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        user = services.user_invite(
            company=world.company,
            employee=person,
            username="sungong",
            email="sun@xinghai.example",
            role=Role.EMPLOYEE,
            actor=world.hr,
        )
    person.refresh_from_db()
    assert person.user == user and not user.has_usable_password()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["sun@xinghai.example"]
    assert "/account/password/reset/" in mail.body and "sungong" in mail.body
    event = _events(world.company, "core.user.invite")[0]
    assert event.changes["role"] == [None, "employee"]


def test_invite_refuses_an_employee_who_already_has_a_login(world: World) -> None:
    with pytest.raises(ServiceError) as error:
        services.user_invite(
            company=world.company,
            employee=world.person(world.employee),
            username="again",
            email="again@example.com",
            role=Role.EMPLOYEE,
            actor=world.hr,
        )
    assert error.value.code == "conflict"


def test_invite_refuses_another_companys_employee(world: World) -> None:
    with pytest.raises(ServiceError) as error:
        services.user_invite(
            company=world.company,
            employee=world.person(world.outsider),
            username="x",
            email="x@example.com",
            role=Role.EMPLOYEE,
            actor=world.hr,
        )
    assert error.value.status == 404


def test_api_token_is_stored_hashed_and_revocation_is_audited(world: World) -> None:
    token, raw = services.api_token_create(
        user=world.manager, name="报表同步", expires_at=None, actor=world.manager
    )
    assert raw.startswith("jx_") and token.token_hash == ApiToken.hash_of(raw)
    assert raw not in {token.token_prefix, token.token_hash} and raw.startswith(token.token_prefix)
    services.api_token_revoke(token=token, actor=world.manager)
    assert not token.is_usable
    assert [e.action for e in _events(world.company, "core.api_token.revoke")] == [
        "core.api_token.revoke"
    ]


def test_api_token_expiry_must_be_in_the_future(world: World) -> None:
    with pytest.raises(ServiceError) as error:
        services.api_token_create(
            user=world.manager,
            name="旧",
            actor=world.manager,
            expires_at=timezone.now() - dt.timedelta(minutes=1),
        )
    assert "expires_at" in error.value.fields


def test_platform_admin_has_no_api_tokens(world: World) -> None:
    with pytest.raises(ServiceError):
        services.api_token_create(
            user=world.platform_admin, name="x", expires_at=None, actor=world.platform_admin
        )


def test_profile_update_checks_language_and_time_zone(world: World) -> None:
    services.profile_update(
        user=world.teammate, display_name="李哥", language="en", time_zone="Europe/Berlin"
    )
    user = User.objects.get(pk=world.teammate.pk)
    assert (user.language, user.time_zone, user.effective_time_zone) == (
        "en",
        "Europe/Berlin",
        "Europe/Berlin",
    )
    with pytest.raises(ServiceError):
        services.profile_update(user=user, display_name="", language="fr", time_zone="")
    with pytest.raises(ServiceError):
        services.profile_update(user=user, display_name="", language="en", time_zone="Mars/Base")
