"""A test-only API next to the real one, with endpoints that raise each kind of error.

It is a ``JixiaoAPI`` like ``jixiao.api.api``, so it has the same handlers and parser;
the real endpoints cannot be made to crash or raise every exception on purpose.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    SuspiciousOperation,
    ValidationError,
)
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, path
from ninja import Query, Schema, Status
from ninja.errors import Throttled
from pydantic import Field

from jixiao.api import JixiaoAPI
from jixiao.core.api_auth import RequestUserAuth
from jixiao.core.api_errors import ERRORS, ServiceError
from jixiao.core.pagination import Page, PageQuery, paginate
from jixiao.org.models import Department
from jixiao.urls import urlpatterns as real_urlpatterns

probe = JixiaoAPI(
    title="probe", version="probe", urls_namespace="probe", auth=RequestUserAuth(), docs_url=None
)


class ThingIn(Schema):
    name: str = Field(min_length=1)
    size: int


class ThingOut(Schema):
    name: str
    size: int


class DepartmentOut(Schema):
    id: int
    name: str


@probe.post("/things", response={201: ThingOut, **ERRORS})
def thing_create(request: HttpRequest, payload: ThingIn) -> Status[ThingIn]:
    return Status(201, payload)


@probe.get("/things", response={200: Page[ThingOut], **ERRORS})
def thing_list(request: HttpRequest, paging: Query[PageQuery]) -> dict[str, Any]:
    things = [{"name": f"thing {n}", "size": n} for n in range(7)]
    return paginate(things, paging.page, paging.page_size)


@probe.get("/raw-things", response={200: Page[ThingOut], **ERRORS})
def raw_thing_list(request: HttpRequest, page: int = 1, page_size: int = 3) -> dict[str, Any]:
    things = [{"name": f"thing {n}", "size": n} for n in range(7)]
    return paginate(things, page, page_size)


@probe.get("/departments/{department_id}", response={200: DepartmentOut, **ERRORS})
def department_get(request: HttpRequest, department_id: int) -> Department:
    return get_object_or_404(Department, pk=department_id)


@probe.get("/raise/{kind}", response={200: ThingOut, **ERRORS})
def raise_kind(request: HttpRequest, kind: str) -> None:
    if kind == "service":
        raise ServiceError("不行", code="refused", status=409, fields={"name": ["重复了"]})
    if kind == "django-fields":
        raise ValidationError({"end": ["结束日期早于开始日期"], "start": ["必填"]})
    if kind == "django-plain":
        raise ValidationError("整个请求不对")
    if kind == "forbidden":
        raise PermissionDenied
    if kind == "throttled":
        raise Throttled(wait=30)
    if kind == "suspicious":
        raise SuspiciousOperation("forged host")
    if kind == "bad-request":
        raise BadRequest("缺少参数")
    if kind == "crash":
        raise RuntimeError("secret internals: password=hunter2")
    raise KeyError(kind)


urlpatterns: list[URLPattern | URLResolver] = [
    path("api/probe/", probe.urls),
    *real_urlpatterns,
]
