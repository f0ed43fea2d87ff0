"""Writes about companies, accounts and API tokens. Callers have checked permission."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django_scopes import scope

from jixiao.audit.services import audit_record, diff, snapshot
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import ApiToken, Company, Role, User

COMPANY_ROLES: tuple[str, ...] = (Role.HR_ADMIN, Role.EXECUTIVE, Role.MANAGER, Role.EMPLOYEE)
LANGUAGE_CODES: tuple[str, ...] = tuple(code for code, _name in settings.LANGUAGES)


def company_slug_for(name: str) -> str:
    """A unique slug from the company name; Chinese names fall back to a random one."""
    base = slugify(name)[:40].strip("-")
    if not base:
        base = f"co-{secrets.token_hex(4)}"
    candidate = base
    while Company.objects.filter(slug=candidate).exists():
        candidate = f"{base}-{secrets.token_hex(3)}"
    return candidate


def _check_account_unique(*, username: str, email: str) -> None:
    fields: dict[str, list[str]] = {}
    if User.objects.filter(username=username).exists():
        fields["username"] = [_("该用户名已被使用。")]
    if User.objects.filter(email__iexact=email).exists():
        fields["email"] = [_("该邮箱已被其他账号使用。")]
    if fields:
        raise ServiceError(_("账号信息与已有账号冲突。"), code="conflict", fields=fields)


def _check_time_zone(time_zone: str) -> None:
    if time_zone and time_zone not in zoneinfo.available_timezones():
        raise ServiceError(
            _("未知的时区。"),
            fields={"time_zone": [_("请选择一个有效的时区，例如 Asia/Shanghai。")]},
        )


def _work_calendars_seed(*, company: Company, today: dt.date, actor: User) -> None:
    """A new company starts with China's calendar for this year and next (attendance)."""
    from jixiao.attendance.services.calendars import calendar_ensure_years

    with scope(company=company):
        calendar_ensure_years(company=company, today=today, actor=actor)


@transaction.atomic
def company_signup(
    *,
    company_name: str,
    admin_name: str,
    username: str,
    email: str,
    password: str,
    language: str = "zh-hans",
    time_zone: str = "Asia/Shanghai",
) -> User:
    """Create a company, its first HR admin and that admin's employee record."""
    from jixiao.org.models import Department, Employee

    company_name = company_name.strip()
    if not company_name:
        raise ServiceError(_("请填写公司名称。"), fields={"company_name": [_("必填。")]})
    _check_account_unique(username=username, email=email)
    _check_time_zone(time_zone)
    if language not in LANGUAGE_CODES:
        language = settings.LANGUAGE_CODE
    company = Company.objects.create(
        name=company_name,
        slug=company_slug_for(company_name),
        time_zone=time_zone,
        language=language,
    )
    admin = User(
        username=username,
        email=email,
        company=company,
        role=Role.HR_ADMIN,
        display_name=admin_name,
        language=language,
    )
    admin.set_password(password)
    admin.save()
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(time_zone)).date()
    with scope(company=company):
        root = Department.objects.create(company=company, name=company_name)
        employee = Employee.objects.create(
            company=company,
            user=admin,
            employee_number="0001",
            name=admin_name,
            email=email,
            hire_date=today,
            department=root,
        )
    _work_calendars_seed(company=company, today=today, actor=admin)
    audit_record(
        company=company,
        actor=admin,
        action="core.company.signup",
        obj=company,
        changes={"name": [None, company.name], "slug": [None, company.slug]},
    )
    audit_record(
        company=company,
        actor=admin,
        action="core.user.create",
        obj=admin,
        changes={
            "role": [None, admin.role],
            "email": [None, admin.email],
            "employee": [None, str(employee.pk)],
        },
    )
    return admin


@transaction.atomic
def company_suspend(*, company: Company, actor: User, reason: str) -> Company:
    """Stop a company's users from signing in or using the API; its data stays."""
    if not reason.strip():
        raise ServiceError(_("请填写停用原因。"), fields={"reason": [_("必填。")]})
    company = Company.objects.select_for_update().get(pk=company.pk)
    if not company.is_active:
        raise ServiceError(_("该公司已经停用。"), code="already_suspended", status=409)
    before = snapshot(company, ["status"])
    company.status = Company.Status.SUSPENDED
    company.suspended_at = timezone.now()
    company.suspended_reason = reason.strip()[:500]
    company.save(update_fields=["status", "suspended_at", "suspended_reason"])
    audit_record(
        company=company,
        actor=actor,
        action="core.company.suspend",
        obj=company,
        changes=diff(before, snapshot(company, ["status"])),
        reason=reason,
    )
    return company


@transaction.atomic
def company_reactivate(*, company: Company, actor: User, reason: str) -> Company:
    if not reason.strip():
        raise ServiceError(_("请填写恢复原因。"), fields={"reason": [_("必填。")]})
    company = Company.objects.select_for_update().get(pk=company.pk)
    if company.is_active:
        raise ServiceError(_("该公司并未停用。"), code="not_suspended", status=409)
    before = snapshot(company, ["status"])
    company.status = Company.Status.ACTIVE
    company.suspended_at = None
    company.suspended_reason = ""
    company.save(update_fields=["status", "suspended_at", "suspended_reason"])
    audit_record(
        company=company,
        actor=actor,
        action="core.company.reactivate",
        obj=company,
        changes=diff(before, snapshot(company, ["status"])),
        reason=reason,
    )
    return company


def set_password_link(user: User) -> str:
    """An absolute link to Django's password-reset confirmation page for this user."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("web:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_URL.rstrip("/") + path


def invitation_mail_send(*, user: User, invited_by: User) -> None:
    """Mail the invited user a link to choose their password, in their language."""
    language = user.language or (user.company.language if user.company else "") or "zh-hans"
    with translation.override(language):
        context: dict[str, Any] = {
            "user": user,
            "invited_by": invited_by,
            "company": user.company,
            "link": set_password_link(user),
        }
        subject = _("你已受邀加入 %(company)s 的绩效系统") % {"company": user.company}
        body = render_to_string("web/email/invitation.txt", context)
    send_mail(subject, body, None, [user.email])


@transaction.atomic
def user_invite(
    *,
    company: Company,
    employee: Any,
    username: str,
    email: str,
    role: str,
    actor: User,
) -> User:
    """Create a login for an existing employee and mail them a set-password link."""
    if role not in COMPANY_ROLES:
        raise ServiceError(_("无效的角色。"), fields={"role": [_("请选择一个有效的角色。")]})
    if employee.company_id != company.pk:
        raise ServiceError(_("找不到该员工。"), code="not_found", status=404)
    if employee.user_id is not None:
        raise ServiceError(
            _("该员工已有登录账号。"), code="conflict", fields={"employee": [_("已有账号。")]}
        )
    _check_account_unique(username=username, email=email)
    user = User(
        username=username,
        email=email,
        company=company,
        role=role,
        display_name=employee.name,
        language=company.language,
    )
    user.set_unusable_password()
    user.save()
    employee.user = user
    employee.save(update_fields=["user", "updated_at"])
    audit_record(
        company=company,
        actor=actor,
        action="core.user.invite",
        obj=user,
        changes={
            "role": [None, role],
            "email": [None, email],
            "employee": [None, str(employee.pk)],
        },
    )
    transaction.on_commit(lambda: invitation_mail_send(user=user, invited_by=actor))
    return user


def _other_active_hr_admins(user: User) -> int:
    return (
        User.objects.filter(company=user.company, role=Role.HR_ADMIN, is_active=True)
        .exclude(pk=user.pk)
        .count()
    )


def _refuse_losing_last_hr_admin(user: User) -> None:
    if user.role == Role.HR_ADMIN and user.is_active and _other_active_hr_admins(user) == 0:
        raise ServiceError(
            _("不能撤销公司最后一位 HR 管理员：请先指定另一位 HR 管理员。"),
            code="last_hr_admin",
            status=409,
        )


@transaction.atomic
def user_role_change(*, user: User, role: str, actor: User, reason: str = "") -> User:
    """Change a user's role: a permission change, audited with before/after and reason."""
    if role not in COMPANY_ROLES or user.company_id is None:
        raise ServiceError(_("无效的角色。"), fields={"role": [_("请选择一个有效的角色。")]})
    user = User.objects.select_for_update(of=("self",)).select_related("company").get(pk=user.pk)
    if user.role == role:
        return user
    if role != Role.HR_ADMIN:
        _refuse_losing_last_hr_admin(user)
    before = snapshot(user, ["role"])
    user.role = role
    user.save(update_fields=["role"])
    audit_record(
        company=user.company,  # type: ignore[arg-type]
        actor=actor,
        action="core.user.role_change",
        obj=user,
        changes=diff(before, snapshot(user, ["role"])),
        reason=reason,
    )
    return user


@transaction.atomic
def user_set_active(*, user: User, is_active: bool, actor: User, reason: str = "") -> User:
    """Deactivate or reactivate a login; users are never deleted (the audit chain keeps them)."""
    user = User.objects.select_for_update(of=("self",)).select_related("company").get(pk=user.pk)
    if user.is_active == is_active:
        return user
    if not is_active:
        if user.pk == actor.pk:
            raise ServiceError(_("不能停用自己的账号。"), code="self_deactivate", status=409)
        _refuse_losing_last_hr_admin(user)
    before = snapshot(user, ["is_active"])
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    if not is_active:
        with scope(company=user.company):
            ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
    audit_record(
        company=user.company,  # type: ignore[arg-type]
        actor=actor,
        action="core.user.activate" if is_active else "core.user.deactivate",
        obj=user,
        changes=diff(before, snapshot(user, ["is_active"])),
        reason=reason,
    )
    return user


PROFILE_FIELDS = ("display_name", "language", "time_zone")


@transaction.atomic
def profile_update(*, user: User, display_name: str, language: str, time_zone: str) -> User:
    """A user's own display name, language and time zone."""
    if language and language not in LANGUAGE_CODES:
        raise ServiceError(_("不支持的语言。"), fields={"language": [_("请选择中文或英文。")]})
    _check_time_zone(time_zone)
    before = snapshot(user, PROFILE_FIELDS)
    user.display_name = display_name.strip()[:100]
    user.language = language
    user.time_zone = time_zone
    user.save(update_fields=list(PROFILE_FIELDS))
    changes = diff(before, snapshot(user, PROFILE_FIELDS))
    if changes and user.company is not None:
        audit_record(
            company=user.company,
            actor=user,
            action="core.user.profile_update",
            obj=user,
            changes=changes,
        )
    return user


def user_language_set(*, user: User, language: str) -> User:
    """Remember the language picked in the top bar; a display preference, so not audited."""
    if language not in LANGUAGE_CODES:
        raise ServiceError(_("不支持的语言。"), fields={"language": [_("请选择中文或英文。")]})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


@transaction.atomic
def api_token_create(
    *, user: User, name: str, expires_at: dt.datetime | None, actor: User
) -> tuple[ApiToken, str]:
    """Create a personal token; returns it with the raw value, which is never stored."""
    if user.company is None:
        raise ServiceError(_("平台管理员不能创建 API 令牌。"), code="no_company", status=403)
    name = name.strip()
    if not name:
        raise ServiceError(_("请给令牌起个名字。"), fields={"name": [_("必填。")]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError(
            _("过期时间必须在将来。"), fields={"expires_at": [_("请选择将来的时间。")]}
        )
    raw, prefix, token_hash = ApiToken.generate()
    with scope(company=user.company):
        token = ApiToken.objects.create(
            company=user.company,
            user=user,
            name=name[:100],
            token_prefix=prefix,
            token_hash=token_hash,
            expires_at=expires_at,
        )
    audit_record(
        company=user.company,
        actor=actor,
        action="core.api_token.create",
        obj=token,
        changes={
            "name": [None, token.name],
            "expires_at": [None, expires_at],
            "user": [None, str(user.pk)],
        },
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        company=token.company,
        actor=actor,
        action="core.api_token.revoke",
        obj=token,
        changes={"revoked_at": [None, token.revoked_at]},
    )
    return token
