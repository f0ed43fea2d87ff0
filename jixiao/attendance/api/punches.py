"""Punch and activity endpoints: check-in, batches for devices and integrations, voiding,
consent, the bulk device import, activities and activity policies.

Permissions: check-in and consent are one's own (``attendance.punch``); reading
punches follows ``attendance.view_attendance``; batches, imports, voiding and
activity policies are HR's (``attendance.administer``). Another company's ids are 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from jixiao.attendance.models import ActivityPolicy, Punch
from jixiao.attendance.selectors import punches as selectors
from jixiao.attendance.services import activities as activity_services
from jixiao.attendance.services import punch_import
from jixiao.attendance.services import punches as services
from jixiao.attendance.services.punch_photos import punch_photo_read
from jixiao.core.api_errors import ERRORS
from jixiao.core.middleware import client_ip
from jixiao.core.pagination import DEFAULT_PAGE_SIZE, Page, paginate
from jixiao.org.models import Employee

router = Router(tags=["attendance-punches"])
activities_router = Router(tags=["attendance-activities"])

WRITE_ERRORS = {**ERRORS, 409: ERRORS[422]}


def _member(request: HttpRequest) -> Any:
    user = request.user
    if not user.is_authenticated or user.company_id is None:
        raise PermissionDenied
    return user


def _admin(request: HttpRequest) -> Any:
    user = _member(request)
    if not user.has_perm("attendance.administer"):
        raise PermissionDenied
    return user


def _me(request: HttpRequest) -> Employee:
    user = _member(request)
    employee = (
        Employee.objects.filter(company_id=user.company_id, user=user)
        .select_related("work_location", "company", "position")
        .first()
    )
    if employee is None or not user.has_perm("attendance.punch", employee):
        raise PermissionDenied
    return employee


# --- Schemas -----------------------------------------------------------------------------


class PunchOut(Schema):
    id: int
    employee_id: int
    employee_number: str
    employee_name: str
    at: dt.datetime
    source: str
    source_id: str
    device_id: str
    has_location: bool = Field(
        description="A position was recorded with consent; coordinates are not exposed, "
        "only the distance to the work location (PIPL data minimisation)."
    )
    accuracy_m: int | None
    distance_m: int | None
    has_photo: bool
    photo_url: str | None = Field(
        description="Where the check-in photo is read (person, manager, HR; each read is "
        "audited); null without a photo."
    )
    flags: list[str]
    note: str
    voided: bool

    @staticmethod
    def resolve_employee_number(obj: Punch) -> str:
        return obj.employee.employee_number

    @staticmethod
    def resolve_employee_name(obj: Punch) -> str:
        return obj.employee.name

    @staticmethod
    def resolve_has_photo(obj: Punch) -> bool:
        return bool(obj.photo)

    @staticmethod
    def resolve_photo_url(obj: Punch) -> str | None:
        return reverse("api:punch_photo", kwargs={"punch_id": obj.pk}) if obj.photo else None

    @staticmethod
    def resolve_has_location(obj: Punch) -> bool:
        return obj.latitude is not None


class CheckInIn(Schema):
    source: Literal["web", "mobile"] = "web"
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    accuracy_m: int | None = Field(None, ge=0, le=100_000)
    wifi_ssid: str = Field("", max_length=64)
    note: str = Field("", max_length=500)


class PunchBatchItemIn(Schema):
    employee_number: str | None = Field(None, max_length=40)
    employee_id: int | None = None
    at: str = Field(description="ISO 8601; without an offset: the employee's local time.")
    source_id: str = Field("", max_length=100)
    device_id: str = Field("", max_length=100)
    note: str = Field("", max_length=500)


class PunchBatchIn(Schema):
    source: Literal["api", "device"] = "api"
    items: list[PunchBatchItemIn] = Field(max_length=services.MAX_BATCH_ITEMS)


class PunchBatchItemOut(Schema):
    index: int
    status: str
    duplicate: bool
    punch_id: int | None
    flags: list[str]
    errors: dict[str, list[str]]


class PunchBatchOut(Schema):
    created: int
    duplicates: int
    errors: int
    items: list[PunchBatchItemOut]


class PunchVoidIn(Schema):
    reason: str = Field(max_length=500)


class CheckInConsentOut(Schema):
    kind: str
    granted: bool
    granted_at: dt.datetime | None
    notice_version: str


class PunchImportOut(Schema):
    rows: int
    created: int
    already_stored: int
    error_rows: int
    committed: bool
    seconds: float
    issues: list[dict[str, Any]]


class WorkActivityItemIn(Schema):
    employee_number: str | None = Field(None, max_length=40)
    employee_id: int | None = None
    kind: str = Field(max_length=20)
    started_at: str
    duration_minutes: int = 0
    source: str = Field(max_length=40)
    source_id: str = Field(max_length=100)
    detail: dict[str, Any] = Field(default_factory=dict)


class WorkActivityBatchIn(Schema):
    items: list[WorkActivityItemIn] = Field(max_length=services.MAX_BATCH_ITEMS)


class WorkActivityItemOut(Schema):
    index: int
    status: str
    duplicate: bool
    activity_id: int | None
    errors: dict[str, list[str]]


class WorkActivityBatchOut(Schema):
    created: int
    duplicates: int
    errors: int
    items: list[WorkActivityItemOut]


class WorkActivityOut(Schema):
    id: int
    employee_id: int
    kind: str
    started_at: dt.datetime
    duration_minutes: int
    source: str
    source_id: str


class ActivityPolicyIn(Schema):
    name: str = Field(max_length=100)
    enabled: bool = True
    kinds: list[str]
    gap_join_minutes: int = 30
    email_credit_minutes: int = 5
    position_ids: list[int] = Field(default_factory=list)
    employee_ids: list[int] = Field(default_factory=list)


class ActivityPolicyOut(Schema):
    id: int
    name: str
    enabled: bool
    kinds: list[str]
    gap_join_minutes: int
    email_credit_minutes: int
    position_ids: list[int]
    employee_ids: list[int]

    @staticmethod
    def resolve_position_ids(obj: ActivityPolicy) -> list[int]:
        return sorted(p.pk for p in obj.positions.all())

    @staticmethod
    def resolve_employee_ids(obj: ActivityPolicy) -> list[int]:
        return sorted(e.pk for e in obj.employees.all())


# --- Punches -----------------------------------------------------------------------------


@router.post("", response={201: PunchOut, **WRITE_ERRORS})
def punch_check_in(request: HttpRequest, payload: CheckInIn) -> Status[Punch]:
    """Check in now as the current user (web or phone); location only with consent."""
    from django.utils import timezone

    employee = _me(request)
    punch = services.punch_record(
        employee=employee,
        at=timezone.now(),
        source=payload.source,
        actor=request.user,  # type: ignore[arg-type]
        latitude=payload.latitude,
        longitude=payload.longitude,
        accuracy_m=payload.accuracy_m,
        ip_address=client_ip(request),
        wifi_ssid=payload.wifi_ssid,
        note=payload.note,
    )
    return Status(201, punch)


@router.post("/batch", response={200: PunchBatchOut, **WRITE_ERRORS})
def punch_batch(request: HttpRequest, payload: PunchBatchIn) -> dict[str, Any]:
    """Punches from devices and other systems; idempotent by (source, source_id)."""
    user = _admin(request)
    outcomes = services.punch_batch_record(
        company=user.company,
        items=[item.dict() for item in payload.items],
        actor=user,
        source=payload.source,
    )
    items = [
        {
            "index": o.index,
            "status": o.status,
            "duplicate": o.duplicate,
            "punch_id": o.punch.pk if o.punch is not None else None,
            "flags": list(o.punch.flags) if o.punch is not None else [],
            "errors": o.errors,
        }
        for o in outcomes
    ]
    return {
        "created": sum(1 for o in outcomes if o.status == "created"),
        "duplicates": sum(1 for o in outcomes if o.status == "duplicate"),
        "errors": sum(1 for o in outcomes if o.status == "error"),
        "items": items,
    }


@router.get("", response={200: Page[PunchOut], **ERRORS})
def punch_list(
    request: HttpRequest,
    employee_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    source: str = "",
    flag: str = "",
    include_voided: bool = True,
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Punches the caller may see, newest first; dates are the caller's local dates."""
    user = _member(request)
    if employee_id is not None:
        employee = Employee.objects.filter(company_id=user.company_id, pk=employee_id).first()
        if employee is None:
            raise Http404
        if not user.has_perm("attendance.view_attendance", employee):
            raise PermissionDenied
    filters = selectors.PunchFilters(
        employee_id=employee_id,
        date_from=date_from,
        date_to=date_to,
        source=source,
        flag=flag,
        include_voided=include_voided,
    )
    return paginate(selectors.punches_visible(viewer=user, filters=filters), page, page_size)


@router.post("/import", response={200: PunchImportOut, **WRITE_ERRORS})
def punch_import_file(
    request: HttpRequest,
    file: File[UploadedFile],
    mode: Form[Literal["all_or_nothing", "valid_rows_only"]] = "all_or_nothing",
) -> dict[str, Any]:
    """A device export of any size (CSV/XLSX), streamed into one transaction."""
    user = _admin(request)
    result = punch_import.punch_bulk_import(
        company=user.company,
        file=file.read(),
        actor=user,
        mode=mode,
        file_name=file.name or "punches.csv",
    )
    data = result.as_dict()
    data["issues"] = data["issues"][:1000]
    return data


@router.get(
    "/{punch_id}/photo",
    response={200: None, **ERRORS},
    openapi_extra={
        "responses": {
            200: {  # int, as ninja's own key: a "200" string would be a second, duplicate key
                "description": "The check-in photo (image bytes).",
                "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def punch_photo(request: HttpRequest, punch_id: int) -> HttpResponse:
    """The check-in photo of a punch, for the person, their manager or HR (not executives).

    Never a public media URL: the bytes come through this permission check, with
    ``Cache-Control: private``, and every read is audited (``attendance.punch.photo_view``).
    """
    user = _member(request)
    punch = selectors.punch_with_photo(viewer=user, punch_id=punch_id)
    photo = punch_photo_read(punch=punch, actor=user)
    response = HttpResponse(photo.content, content_type=photo.content_type)
    response["Content-Disposition"] = content_disposition_header(False, photo.name) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, max_age=0)
    return response


@router.post("/{punch_id}/void", response={200: PunchOut, **WRITE_ERRORS})
def punch_void(request: HttpRequest, punch_id: int, payload: PunchVoidIn) -> Punch:
    user = _member(request)
    punch = (
        Punch.objects.filter(company_id=user.company_id, pk=punch_id)
        .select_related("employee")
        .first()
    )
    if punch is None:
        raise Http404
    if not user.has_perm("attendance.administer"):
        raise PermissionDenied
    voided = services.punch_void(punch=punch, actor=user, reason=payload.reason)
    voided.employee = punch.employee
    return voided


# --- Consent -------------------------------------------------------------------------------


def _consents(employee: Employee) -> list[dict[str, Any]]:
    return [
        {
            "kind": kind,
            "granted": consent is not None,
            "granted_at": consent.granted_at if consent is not None else None,
            "notice_version": consent.notice_version if consent else services.NOTICE_VERSION,
        }
        for kind, consent in selectors.consents_of(employee=employee).items()
    ]


@router.get("/consents", response={200: list[CheckInConsentOut], **ERRORS})
def consent_list(request: HttpRequest) -> list[dict[str, Any]]:
    """The current user's check-in consents (location, photo)."""
    return _consents(_me(request))


class CheckInConsentIn(Schema):
    kind: Literal["location", "photo"]


@router.post("/consents", response={200: list[CheckInConsentOut], **WRITE_ERRORS})
def consent_grant(request: HttpRequest, payload: CheckInConsentIn) -> list[dict[str, Any]]:
    """Give separate consent (PIPL Art. 28) after reading the notice."""
    employee = _me(request)
    services.consent_grant(employee=employee, kind=payload.kind, actor=request.user)  # type: ignore[arg-type]
    return _consents(employee)


@router.post("/consents/withdraw", response={200: list[CheckInConsentOut], **WRITE_ERRORS})
def consent_withdraw(request: HttpRequest, payload: CheckInConsentIn) -> list[dict[str, Any]]:
    """Withdraw consent: no location or photo is accepted from then on."""
    employee = _me(request)
    services.consent_withdraw(employee=employee, kind=payload.kind, actor=request.user)  # type: ignore[arg-type]
    return _consents(employee)


# --- Activities ----------------------------------------------------------------------------


@activities_router.post("/batch", response={200: WorkActivityBatchOut, **WRITE_ERRORS})
def activity_batch(request: HttpRequest, payload: WorkActivityBatchIn) -> dict[str, Any]:
    """Calls and emails from CRM/mail systems; idempotent by (source, source_id)."""
    user = _admin(request)
    outcomes = activity_services.work_activity_batch_record(
        company=user.company, items=[item.dict() for item in payload.items], actor=user
    )
    return {
        "created": sum(1 for o in outcomes if o.status == "created"),
        "duplicates": sum(1 for o in outcomes if o.status == "duplicate"),
        "errors": sum(1 for o in outcomes if o.status == "error"),
        "items": [
            {
                "index": o.index,
                "status": o.status,
                "duplicate": o.status == "duplicate",
                "activity_id": o.activity.pk if o.activity is not None else None,
                "errors": o.errors,
            }
            for o in outcomes
        ],
    }


@activities_router.get("", response={200: Page[WorkActivityOut], **ERRORS})
def activity_list(
    request: HttpRequest,
    employee_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str = "",
    page: int = 1,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    user = _member(request)
    if employee_id is not None:
        employee = Employee.objects.filter(company_id=user.company_id, pk=employee_id).first()
        if employee is None:
            raise Http404
        if not user.has_perm("attendance.view_attendance", employee):
            raise PermissionDenied
    activities = selectors.activities_visible(
        viewer=user, employee_id=employee_id, date_from=date_from, date_to=date_to, kind=kind
    )
    return paginate(activities, page, page_size)


def _policy(request: HttpRequest, activity_policy_id: int) -> tuple[Any, ActivityPolicy]:
    user = _member(request)
    policy = (
        selectors.activity_policies(company_id=user.company_id)
        .filter(pk=activity_policy_id)
        .first()
    )
    if policy is None:
        raise Http404
    if not user.has_perm("attendance.administer"):
        raise PermissionDenied
    return user, policy


@activities_router.get("/policies", response={200: list[ActivityPolicyOut], **ERRORS})
def activity_policy_list(request: HttpRequest) -> list[ActivityPolicy]:
    user = _admin(request)
    return list(selectors.activity_policies(company_id=user.company_id))


@activities_router.post("/policies", response={201: ActivityPolicyOut, **WRITE_ERRORS})
def activity_policy_create(
    request: HttpRequest, payload: ActivityPolicyIn
) -> Status[ActivityPolicy]:
    user = _admin(request)
    policy = activity_services.activity_policy_create(
        company=user.company, actor=user, **payload.dict()
    )
    return Status(201, policy)


@activities_router.get(
    "/policies/{activity_policy_id}", response={200: ActivityPolicyOut, **ERRORS}
)
def activity_policy_get(request: HttpRequest, activity_policy_id: int) -> ActivityPolicy:
    return _policy(request, activity_policy_id)[1]


@activities_router.put(
    "/policies/{activity_policy_id}", response={200: ActivityPolicyOut, **WRITE_ERRORS}
)
def activity_policy_update(
    request: HttpRequest, activity_policy_id: int, payload: ActivityPolicyIn
) -> ActivityPolicy:
    user, policy = _policy(request, activity_policy_id)
    return activity_services.activity_policy_update(policy=policy, actor=user, **payload.dict())


@activities_router.delete("/policies/{activity_policy_id}", response={204: None, **WRITE_ERRORS})
def activity_policy_delete(request: HttpRequest, activity_policy_id: int) -> Status[None]:
    user, policy = _policy(request, activity_policy_id)
    activity_services.activity_policy_delete(policy=policy, actor=user)
    return Status(204, None)
