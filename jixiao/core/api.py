"""API endpoints about the caller (who am I, my API tokens) and the company's users."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from jixiao.core import selectors, services
from jixiao.core.models import ApiToken, User
from jixiao.core.pagination import DEFAULT_PAGE_SIZE, ERRORS, ErrorOut, Page, paginate

router = Router(tags=["me"])


class CompanyOut(Schema):
    id: int
    name: str
    slug: str
    time_zone: str
    status: str


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    role: str
    company: CompanyOut | None
    time_zone: str
    language: str
    employee_id: int | None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    usable: bool


class TokenCreateIn(Schema):
    name: str
    expires_at: dt.datetime | None = None


class TokenCreatedOut(TokenOut):
    token: str


class UserOut(Schema):
    id: int
    username: str
    email: str
    display_name: str
    role: str
    is_active: bool
    last_login: dt.datetime | None
    employee_id: int | None

    @staticmethod
    def resolve_display_name(obj: User) -> str:
        return str(obj)

    @staticmethod
    def resolve_employee_id(obj: User) -> int | None:
        employee = getattr(obj, "employee", None)
        return employee.pk if employee is not None else None


class UserPatchIn(Schema):
    role: str | None = None
    is_active: bool | None = None
    reason: str = ""


def _viewer(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.pk,
        name=token.name,
        prefix=token.token_prefix,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
        usable=token.is_usable,
    )


def _user_out(user: User) -> UserOut:
    return UserOut.from_orm(user)


@router.get(
    "/me", response={200: MeOut, **ERRORS}, summary="The caller: account, company, role, time zone"
)
def me(request: HttpRequest) -> MeOut:
    user = _viewer(request)
    employee = selectors.own_employee(viewer=user)
    company = user.company
    return MeOut(
        id=user.pk,
        username=user.username,
        display_name=str(user),
        email=user.email,
        role=user.role,
        company=CompanyOut(
            id=company.pk,
            name=company.name,
            slug=company.slug,
            time_zone=company.time_zone,
            status=company.status,
        )
        if company is not None
        else None,
        time_zone=user.effective_time_zone,
        language=user.language or (company.language if company else "") or "zh-hans",
        employee_id=employee.pk if employee is not None else None,
    )


def _require(request: HttpRequest, permission: str) -> User:
    user = _viewer(request)
    if not user.has_perm(permission):
        raise PermissionDenied(_("你没有执行此操作的权限。"))
    return user


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, summary="My API tokens")
def tokens_list(request: HttpRequest) -> list[TokenOut]:
    user = _require(request, "core.use_api_tokens")
    return [_token_out(t) for t in selectors.api_tokens_of(viewer=user)]


@router.post("/tokens", response={201: TokenCreatedOut, **ERRORS}, summary="Create an API token")
def tokens_create(request: HttpRequest, payload: TokenCreateIn) -> Status[TokenCreatedOut]:
    user = _require(request, "core.use_api_tokens")
    token, raw = services.api_token_create(
        user=user, name=payload.name, expires_at=payload.expires_at, actor=user
    )
    return Status(201, TokenCreatedOut(**_token_out(token).dict(), token=raw))


@router.delete("/tokens/{token_id}", response={204: None, **ERRORS}, summary="Revoke an API token")
def tokens_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    user = _require(request, "core.use_api_tokens")
    token = selectors.api_token_get(viewer=user, token_id=token_id)
    services.api_token_revoke(token=token, actor=user)
    return Status(204, None)


@router.get(
    "/users", response={200: Page[UserOut], **ERRORS}, tags=["users"], summary="The company's users"
)
def users_list(
    request: HttpRequest, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
) -> dict[str, Any]:
    user = _require(request, "core.manage_users")
    return paginate(selectors.company_users(viewer=user), page, page_size)


@router.get(
    "/users/{user_id}", response={200: UserOut, **ERRORS}, tags=["users"], summary="One user"
)
def users_get(request: HttpRequest, user_id: int) -> UserOut:
    viewer = _require(request, "core.manage_users")
    return _user_out(selectors.company_user_get(viewer=viewer, user_id=user_id))


@router.patch(
    "/users/{user_id}",
    response={200: UserOut, 409: ErrorOut, **ERRORS},
    tags=["users"],
    summary="Change role or active state",
)
def users_patch(request: HttpRequest, user_id: int, payload: UserPatchIn) -> UserOut:
    viewer = _require(request, "core.manage_users")
    target = selectors.company_user_get(viewer=viewer, user_id=user_id)
    if payload.role is not None:
        target = services.user_role_change(
            user=target, role=payload.role, actor=viewer, reason=payload.reason
        )
    if payload.is_active is not None:
        target = services.user_set_active(
            user=target, is_active=payload.is_active, actor=viewer, reason=payload.reason
        )
    return _user_out(selectors.company_user_get(viewer=viewer, user_id=target.pk))
