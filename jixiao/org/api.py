"""REST endpoints for departments, positions, work locations, tags, custom fields and employees.

Reads are for members of the company (employees: as ``employees_visible_to`` allows);
writes for HR admins only (403 for other roles, 404 for another company's ids).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from jixiao.core.api_errors import ServiceError
from jixiao.org import selectors, services
from jixiao.org.models import (
    CustomField,
    Department,
    Employee,
    EmploymentChange,
    Position,
    Tag,
    WorkLocation,
)

router = Router(tags=["org"])

SORT_MAX = 1_000_000

T = TypeVar("T")
M = TypeVar("M", bound=Model)

_API_FIELD_NAMES = {
    "department": "department_id",
    "position": "position_id",
    "manager": "manager_id",
    "work_location": "work_location_id",
    "parent": "parent_id",
    "head": "head_id",
    "user": "user_id",
    "tags": "tag_ids",
}


def _call(fn: Callable[[], T]) -> T:
    """Run a service; its field errors are renamed to the API's field names."""
    try:
        return fn()
    except ServiceError as exc:
        exc.fields = {_API_FIELD_NAMES.get(k, k): v for k, v in exc.fields.items()}
        raise


def _user(request: HttpRequest) -> Any:
    return request.user


def _member(request: HttpRequest) -> Any:
    user = request.user
    if not user.has_perm("org.view_department"):
        raise PermissionDenied
    return user


def _require(request: HttpRequest, perm: str, obj: Any = None) -> Any:
    user = _member(request)
    if not user.has_perm(perm, obj):
        raise PermissionDenied
    return user


def _get(request: HttpRequest, model: type[M], pk: int | None, field: str = "") -> M:
    """A row of the caller's company by id: 404 otherwise (another company's ids leak nothing)."""
    user = _member(request)
    obj = model._default_manager.filter(company_id=user.company_id, pk=pk).first()  # type: ignore[misc]
    if obj is None:
        if field:
            raise ServiceError(_("所选对象不存在。"), fields={field: [_("所选对象不存在。")]})
        raise Http404
    return obj  # type: ignore[no-any-return]


def _get_optional(request: HttpRequest, model: type[M], pk: int | None, field: str) -> M | None:
    return None if pk is None else _get(request, model, pk, field)


class PageOut(Schema):
    count: int
    page: int
    page_size: int


# --- Departments ------------------------------------------------------------------


class DepartmentOut(Schema):
    id: int
    name: str
    code: str
    parent_id: int | None
    head_id: int | None
    head_name: str | None
    sort_order: int
    depth: int
    headcount: int
    total_headcount: int


class DepartmentTreeOut(DepartmentOut):
    children: list[DepartmentTreeOut]


class DepartmentIn(Schema):
    name: str = Field(..., max_length=100)
    code: str = Field("", max_length=40)
    parent_id: int | None = None
    head_id: int | None = None
    sort_order: int = Field(0, ge=0, le=SORT_MAX)
    reason: str = ""


class DepartmentPatch(Schema):
    name: str | None = Field(None, max_length=100)
    code: str | None = Field(None, max_length=40)
    parent_id: int | None = None
    head_id: int | None = None
    sort_order: int | None = Field(None, ge=0, le=SORT_MAX)
    reason: str = ""


def _department_out(node: selectors.DepartmentNode) -> dict[str, Any]:
    d = node.department
    return {
        "id": d.pk,
        "name": d.name,
        "code": d.code,
        "parent_id": d.parent_id,
        "head_id": d.head_id,
        "head_name": d.head.name if d.head_id else None,  # type: ignore[union-attr]
        "sort_order": d.sort_order,
        "depth": node.depth,
        "headcount": node.headcount,
        "total_headcount": node.total_headcount,
    }


def _department_tree_out(node: selectors.DepartmentNode) -> dict[str, Any]:
    return {**_department_out(node), "children": [_department_tree_out(c) for c in node.children]}


def _department_node(request: HttpRequest, pk: int) -> selectors.DepartmentNode:
    for node in selectors.department_flat(selectors.department_tree(_member(request))):
        if node.department.pk == pk:
            return node
    raise Http404


@router.get("/departments", response=list[DepartmentOut])
def department_list(request: HttpRequest) -> list[dict[str, Any]]:
    """All departments, flat, in tree order (``depth`` gives the indentation)."""
    tree = selectors.department_tree(_member(request))
    return [_department_out(n) for n in selectors.department_flat(tree)]


@router.get("/departments/tree", response=list[DepartmentTreeOut])
def department_tree(request: HttpRequest) -> list[dict[str, Any]]:
    return [_department_tree_out(n) for n in selectors.department_tree(_member(request))]


@router.get("/departments/{department_id}", response=DepartmentOut)
def department_get(request: HttpRequest, department_id: int) -> dict[str, Any]:
    return _department_out(_department_node(request, department_id))


@router.post("/departments", response={201: DepartmentOut})
def department_create(request: HttpRequest, payload: DepartmentIn) -> Status[dict[str, Any]]:
    actor = _require(request, "org.manage_org")
    parent = _get_optional(request, Department, payload.parent_id, "parent_id")
    head = _get_optional(request, Employee, payload.head_id, "head_id")
    department = _call(
        lambda: services.department_create(
            company=actor.company,
            actor=actor,
            name=payload.name,
            parent=parent,
            code=payload.code,
            head=head,
            sort_order=payload.sort_order,
            reason=payload.reason,
        )
    )
    return Status(201, _department_out(_department_node(request, department.pk)))


@router.patch("/departments/{department_id}", response=DepartmentOut)
def department_update(
    request: HttpRequest, department_id: int, payload: DepartmentPatch
) -> dict[str, Any]:
    """Rename, re-code, move and set the head in one request (all or nothing)."""
    department = _get(request, Department, department_id)
    actor = _require(request, "org.manage_org")
    with transaction.atomic():
        _department_apply(request, department, actor, payload)
    return _department_out(_department_node(request, department.pk))


def _department_apply(
    request: HttpRequest, department: Department, actor: Any, payload: DepartmentPatch
) -> None:
    data = payload.dict(exclude_unset=True)
    if any(k in data for k in ("name", "code", "sort_order")):
        _call(
            lambda: services.department_update(
                department=department,
                actor=actor,
                name=data.get("name"),
                code=data.get("code"),
                sort_order=data.get("sort_order"),
                reason=payload.reason,
            )
        )
    if "parent_id" in data:
        parent = _get_optional(request, Department, data["parent_id"], "parent_id")
        _call(
            lambda: services.department_move(
                department=department, new_parent=parent, actor=actor, reason=payload.reason
            )
        )
    if "head_id" in data:
        head = _get_optional(request, Employee, data["head_id"], "head_id")
        _call(
            lambda: services.department_head_set(
                department=department, head=head, actor=actor, reason=payload.reason
            )
        )


@router.delete("/departments/{department_id}", response={204: None})
def department_delete(request: HttpRequest, department_id: int) -> Status[None]:
    department = _get(request, Department, department_id)
    actor = _require(request, "org.manage_org")
    _call(lambda: services.department_delete(department=department, actor=actor))
    return Status(204, None)


# --- Positions -----------------------------------------------------------------------

JobFamilyCode = Literal["office", "field", "sales", "rd", "operations", "production"]


class PositionOut(Schema):
    id: int
    name: str
    job_family: str
    description: str


class PositionIn(Schema):
    name: str = Field(..., max_length=100)
    job_family: JobFamilyCode = "office"
    description: str = ""


class PositionPatch(Schema):
    name: str | None = Field(None, max_length=100)
    job_family: JobFamilyCode | None = None
    description: str | None = None


@router.get("/positions", response=list[PositionOut])
def position_list(request: HttpRequest) -> list[Position]:
    return list(selectors.positions_for_viewer(_member(request)))


@router.get("/positions/{position_id}", response=PositionOut)
def position_get(request: HttpRequest, position_id: int) -> Position:
    return _get(request, Position, position_id)


@router.post("/positions", response={201: PositionOut})
def position_create(request: HttpRequest, payload: PositionIn) -> Status[Position]:
    actor = _require(request, "org.manage_org")
    return Status(
        201,
        _call(
            lambda: services.position_create(company=actor.company, actor=actor, **payload.dict())
        ),
    )


@router.patch("/positions/{position_id}", response=PositionOut)
def position_update(request: HttpRequest, position_id: int, payload: PositionPatch) -> Position:
    position = _get(request, Position, position_id)
    actor = _require(request, "org.manage_org")
    return _call(
        lambda: services.position_update(
            position=position, actor=actor, **payload.dict(exclude_unset=True)
        )
    )


@router.delete("/positions/{position_id}", response={204: None})
def position_delete(request: HttpRequest, position_id: int) -> Status[None]:
    position = _get(request, Position, position_id)
    actor = _require(request, "org.manage_org")
    _call(lambda: services.position_delete(position=position, actor=actor))
    return Status(204, None)


# --- Work locations ------------------------------------------------------------------


class WorkLocationOut(Schema):
    id: int
    name: str
    country: str
    city: str
    address: str
    time_zone: str
    latitude: Decimal | None
    longitude: Decimal | None
    geofence_radius_m: int


class WorkLocationIn(Schema):
    name: str = Field(..., max_length=100)
    country: str = Field("CN", max_length=2)
    city: str = Field("", max_length=100)
    address: str = Field("", max_length=300)
    time_zone: str = Field("Asia/Shanghai", max_length=64)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    geofence_radius_m: int = 300


class WorkLocationPatch(Schema):
    name: str | None = Field(None, max_length=100)
    country: str | None = Field(None, max_length=2)
    city: str | None = Field(None, max_length=100)
    address: str | None = Field(None, max_length=300)
    time_zone: str | None = Field(None, max_length=64)
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    geofence_radius_m: int | None = None


@router.get("/work-locations", response=list[WorkLocationOut])
def work_location_list(request: HttpRequest) -> list[WorkLocation]:
    return list(selectors.work_locations_for_viewer(_member(request)))


@router.get("/work-locations/{location_id}", response=WorkLocationOut)
def work_location_get(request: HttpRequest, location_id: int) -> WorkLocation:
    return _get(request, WorkLocation, location_id)


@router.post("/work-locations", response={201: WorkLocationOut})
def work_location_create(request: HttpRequest, payload: WorkLocationIn) -> Status[WorkLocation]:
    actor = _require(request, "org.manage_org")
    return Status(
        201,
        _call(
            lambda: services.work_location_create(
                company=actor.company, actor=actor, **payload.dict()
            )
        ),
    )


@router.patch("/work-locations/{location_id}", response=WorkLocationOut)
def work_location_update(
    request: HttpRequest, location_id: int, payload: WorkLocationPatch
) -> WorkLocation:
    location = _get(request, WorkLocation, location_id)
    actor = _require(request, "org.manage_org")
    return _call(
        lambda: services.work_location_update(
            location=location, actor=actor, **payload.dict(exclude_unset=True)
        )
    )


@router.delete("/work-locations/{location_id}", response={204: None})
def work_location_delete(request: HttpRequest, location_id: int) -> Status[None]:
    location = _get(request, WorkLocation, location_id)
    actor = _require(request, "org.manage_org")
    _call(lambda: services.work_location_delete(location=location, actor=actor))
    return Status(204, None)


# --- Tags ------------------------------------------------------------------------------


class TagOut(Schema):
    id: int
    name: str


class TagIn(Schema):
    name: str = Field(..., max_length=50)


@router.get("/tags", response=list[TagOut])
def tag_list(request: HttpRequest) -> list[Tag]:
    return list(selectors.tags_for_viewer(_member(request)))


@router.get("/tags/{tag_id}", response=TagOut)
def tag_get(request: HttpRequest, tag_id: int) -> Tag:
    return _get(request, Tag, tag_id)


@router.post("/tags", response={201: TagOut})
def tag_create(request: HttpRequest, payload: TagIn) -> Status[Tag]:
    actor = _require(request, "org.manage_org")
    return Status(
        201,
        _call(lambda: services.tag_create(company=actor.company, actor=actor, name=payload.name)),
    )


@router.patch("/tags/{tag_id}", response=TagOut)
def tag_update(request: HttpRequest, tag_id: int, payload: TagIn) -> Tag:
    tag = _get(request, Tag, tag_id)
    actor = _require(request, "org.manage_org")
    return _call(lambda: services.tag_update(tag=tag, actor=actor, name=payload.name))


@router.delete("/tags/{tag_id}", response={204: None})
def tag_delete(request: HttpRequest, tag_id: int) -> Status[None]:
    tag = _get(request, Tag, tag_id)
    actor = _require(request, "org.manage_org")
    _call(lambda: services.tag_delete(tag=tag, actor=actor))
    return Status(204, None)


# --- Custom fields ------------------------------------------------------------------------

CustomFieldType = Literal["text", "number", "date", "choice"]


class CustomFieldOut(Schema):
    id: int
    code: str
    label: str
    field_type: str
    choices: list[str]
    required: bool
    sort_order: int


class CustomFieldIn(Schema):
    code: str = Field(..., max_length=40)
    label: str = Field(..., max_length=100)
    field_type: CustomFieldType = "text"
    choices: list[str] = []
    required: bool = False
    sort_order: int = Field(0, ge=0, le=SORT_MAX)


class CustomFieldPatch(Schema):
    code: str | None = Field(None, max_length=40)
    label: str | None = Field(None, max_length=100)
    field_type: CustomFieldType | None = None
    choices: list[str] | None = None
    required: bool | None = None
    sort_order: int | None = Field(None, ge=0, le=SORT_MAX)


@router.get("/custom-fields", response=list[CustomFieldOut])
def custom_field_list(request: HttpRequest) -> list[CustomField]:
    return list(selectors.custom_fields_for_viewer(_member(request)))


@router.get("/custom-fields/{field_id}", response=CustomFieldOut)
def custom_field_get(request: HttpRequest, field_id: int) -> CustomField:
    return _get(request, CustomField, field_id)


@router.post("/custom-fields", response={201: CustomFieldOut})
def custom_field_create(request: HttpRequest, payload: CustomFieldIn) -> Status[CustomField]:
    actor = _require(request, "org.manage_custom_fields")
    return Status(
        201,
        _call(
            lambda: services.custom_field_create(
                company=actor.company, actor=actor, **payload.dict()
            )
        ),
    )


@router.patch("/custom-fields/{field_id}", response=CustomFieldOut)
def custom_field_update(
    request: HttpRequest, field_id: int, payload: CustomFieldPatch
) -> CustomField:
    field = _get(request, CustomField, field_id)
    actor = _require(request, "org.manage_custom_fields")
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return _call(lambda: services.custom_field_update(field=field, actor=actor, **changes))


@router.delete("/custom-fields/{field_id}", response={204: None})
def custom_field_delete(request: HttpRequest, field_id: int) -> Status[None]:
    field = _get(request, CustomField, field_id)
    actor = _require(request, "org.manage_custom_fields")
    _call(lambda: services.custom_field_delete(field=field, actor=actor))
    return Status(204, None)


# --- Employees ------------------------------------------------------------------------------

StatusCode = Literal["probation", "active", "on_leave", "left"]
EmploymentTypeCode = Literal[
    "full_time", "part_time", "intern", "dispatched", "contractor", "rehired_retiree"
]
HourSystemCode = Literal["standard", "flexible", "shift", "comprehensive", "unfixed"]
SortCode = Literal[
    "number", "-number", "name", "-name", "hire_date", "-hire_date", "department", "-department"
]


class Ref(Schema):
    id: int
    name: str


class PositionRef(Ref):
    job_family: str


class ManagerRef(Ref):
    employee_number: str


class EmployeeOut(Schema):
    id: int
    employee_number: str
    name: str
    english_name: str
    email: str
    department: Ref
    position: PositionRef | None
    manager: ManagerRef | None
    work_location: Ref | None
    hire_date: dt.date
    status: str
    employment_type: str
    working_hour_system: str
    tags: list[Ref]
    custom_fields: dict[str, Any]
    base_salary: Decimal | None = Field(
        None, description="Only for HR admins and the person themself; otherwise null."
    )


class EmployeeDetailOut(EmployeeOut):
    phone: str
    user_id: int | None
    probation_end_date: dt.date | None
    leave_start_date: dt.date | None
    termination_date: dt.date | None
    manager_chain: list[ManagerRef]


class EmployeePageOut(PageOut):
    items: list[EmployeeOut]


class EmployeeQuery(Schema):
    q: str = ""
    department: int | None = Field(None, ge=1, le=selectors.ID_MAX)
    include_subdepartments: bool = True
    status: list[StatusCode] = Field(default_factory=list)
    job_family: JobFamilyCode | None = None
    employment_type: EmploymentTypeCode | None = None
    working_hour_system: HourSystemCode | None = None
    tag: int | None = Field(None, ge=1, le=selectors.ID_MAX)
    custom_field: str = ""
    custom_value: str = ""
    hired_from: dt.date | None = None
    hired_to: dt.date | None = None
    sort: SortCode = "number"
    page: int = Field(1, ge=1)
    page_size: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.PAGE_SIZE_MAX)


class EmployeeIn(Schema):
    employee_number: str = Field(..., max_length=40)
    name: str = Field(..., max_length=100)
    hire_date: dt.date
    department_id: int
    english_name: str = Field("", max_length=100)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    status: StatusCode = "active"
    probation_end_date: dt.date | None = None
    leave_start_date: dt.date | None = None
    termination_date: dt.date | None = None
    position_id: int | None = None
    manager_id: int | None = None
    work_location_id: int | None = None
    employment_type: EmploymentTypeCode = "full_time"
    working_hour_system: HourSystemCode = "standard"
    base_salary: Decimal = Decimal("0.00")
    tag_ids: list[int] = []
    custom_fields: dict[str, Any] = {}
    reason: str = ""


class EmployeePatch(Schema):
    employee_number: str | None = Field(None, max_length=40)
    name: str | None = Field(None, max_length=100)
    hire_date: dt.date | None = None
    department_id: int | None = None
    english_name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    status: StatusCode | None = None
    probation_end_date: dt.date | None = None
    leave_start_date: dt.date | None = None
    termination_date: dt.date | None = None
    position_id: int | None = None
    manager_id: int | None = None
    work_location_id: int | None = None
    employment_type: EmploymentTypeCode | None = None
    working_hour_system: HourSystemCode | None = None
    base_salary: Decimal | None = None
    tag_ids: list[int] | None = None
    custom_fields: dict[str, Any] | None = None
    reason: str = ""


ChangeField = Literal[
    "department",
    "manager",
    "position",
    "base_salary",
    "work_location",
    "status",
    "working_hour_system",
]


class ChangeIn(Schema):
    field: ChangeField
    value: int | Decimal | str | None = Field(
        ..., description="An id for department/manager/position/work_location, else the value."
    )
    effective_date: dt.date
    reason: str = Field(..., min_length=1, max_length=500)


class ChangeOut(Schema):
    id: int
    field: str
    old_value: str
    new_value: str
    old_display: str
    new_display: str
    effective_date: dt.date
    applied: bool
    apply_error: str
    reason: str
    created_by: str | None
    created_at: dt.datetime


def _ref(obj: Any) -> dict[str, Any] | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def _tags_of(employee: Employee) -> list[Any]:
    tag_list = getattr(employee, "tag_list", None)
    return list(employee.tags.all()) if tag_list is None else tag_list


def _employee_out(employee: Employee, salary_visible: bool) -> dict[str, Any]:
    return {
        "id": employee.pk,
        "employee_number": employee.employee_number,
        "name": employee.name,
        "english_name": employee.english_name,
        "email": employee.email,
        "department": _ref(employee.department),
        "position": None
        if employee.position is None
        else {
            "id": employee.position.pk,
            "name": employee.position.name,
            "job_family": employee.position.job_family,
        },
        "manager": None
        if employee.manager is None
        else {
            "id": employee.manager.pk,
            "name": employee.manager.name,
            "employee_number": employee.manager.employee_number,
        },
        "work_location": _ref(employee.work_location),
        "hire_date": employee.hire_date,
        "status": employee.status,
        "employment_type": employee.employment_type,
        "working_hour_system": employee.working_hour_system,
        "tags": [{"id": t.id, "name": t.name} for t in _tags_of(employee)],
        "custom_fields": employee.custom_fields,
        "base_salary": employee.base_salary if salary_visible else None,
    }


def _employee_detail_out(request: HttpRequest, employee: Employee) -> dict[str, Any]:
    viewer = request.user
    return {
        **_employee_out(employee, selectors.can_view_salary(viewer, employee)),
        "phone": employee.phone,
        "user_id": employee.user_id,
        "probation_end_date": employee.probation_end_date,
        "leave_start_date": employee.leave_start_date,
        "termination_date": employee.termination_date,
        "manager_chain": [
            {"id": m.pk, "name": m.name, "employee_number": m.employee_number}
            for m in selectors.manager_chain(employee)
        ],
    }


@router.get("/employees", response=EmployeePageOut)
def employee_list(request: HttpRequest, query: Query[EmployeeQuery]) -> dict[str, Any]:
    viewer = _member(request)
    filters = selectors.EmployeeFilters(
        q=query.q,
        department=query.department,
        include_subdepartments=query.include_subdepartments,
        status=list(query.status),
        job_family=query.job_family or "",
        employment_type=query.employment_type or "",
        working_hour_system=query.working_hour_system or "",
        tag=query.tag,
        custom_field=query.custom_field,
        custom_value=query.custom_value,
        hired_from=query.hired_from,
        hired_to=query.hired_to,
    )
    page = selectors.employee_page(
        viewer=viewer, filters=filters, sort=query.sort, page=query.page, page_size=query.page_size
    )
    return {
        "items": [_employee_out(e, e.pk in page.salary_visible) for e in page.items],
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
    }


@router.get("/employees/{employee_id}", response=EmployeeDetailOut)
def employee_get(request: HttpRequest, employee_id: int) -> dict[str, Any]:
    _member(request)
    employee = selectors.employee_for_viewer(viewer=request.user, pk=employee_id)
    return _employee_detail_out(request, employee)


def _relations(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Replace ``*_id`` keys of a payload with the rows they name (same company only)."""
    models: dict[str, type[Model]] = {
        "department_id": Department,
        "position_id": Position,
        "manager_id": Employee,
        "work_location_id": WorkLocation,
    }
    result: dict[str, Any] = {}
    for key, value in data.items():
        if key in models:
            result[key.removesuffix("_id")] = _get_optional(request, models[key], value, key)
        elif key == "tag_ids":
            tags = [_get(request, Tag, pk, "tag_ids") for pk in dict.fromkeys(value or [])]
            result["tags"] = tags
        else:
            result[key] = value
    return result


@router.post("/employees", response={201: EmployeeDetailOut})
def employee_create(request: HttpRequest, payload: EmployeeIn) -> Status[dict[str, Any]]:
    actor = _require(request, "org.add_employee")
    values = _relations(request, payload.dict())
    if values.get("department") is None:
        raise ServiceError(_("请选择部门。"), fields={"department_id": [_("请选择部门。")]})
    employee = _call(lambda: services.employee_create(company=actor.company, actor=actor, **values))
    return Status(
        201,
        _employee_detail_out(request, selectors.employee_for_viewer(viewer=actor, pk=employee.pk)),
    )


@router.patch("/employees/{employee_id}", response=EmployeeDetailOut)
def employee_update(
    request: HttpRequest, employee_id: int, payload: EmployeePatch
) -> dict[str, Any]:
    employee = _get(request, Employee, employee_id)
    actor = _require(request, "org.change_employee", employee)
    data = payload.dict(exclude_unset=True)
    reason = data.pop("reason", "")
    for required in ("employee_number", "name", "hire_date", "department_id", "status"):
        if required in data and data[required] is None:
            raise ServiceError(_("该字段不能为空。"), fields={required: [_("该字段不能为空。")]})
    values = _relations(request, data)
    _call(lambda: services.employee_update(employee=employee, actor=actor, reason=reason, **values))
    return _employee_detail_out(
        request, selectors.employee_for_viewer(viewer=actor, pk=employee.pk)
    )


def _change_out(change: EmploymentChange) -> dict[str, Any]:
    return {
        "id": change.pk,
        "field": change.field,
        "old_value": change.old_value,
        "new_value": change.new_value,
        "old_display": change.old_display,
        "new_display": change.new_display,
        "effective_date": change.effective_date,
        "applied": change.applied,
        "apply_error": change.apply_error,
        "reason": change.reason,
        "created_by": str(change.created_by) if change.created_by_id else None,
        "created_at": change.created_at,
    }


@router.post("/employees/{employee_id}/changes", response={201: ChangeOut})
def employee_change_create(
    request: HttpRequest, employee_id: int, payload: ChangeIn
) -> Status[dict[str, Any]]:
    employee = _get(request, Employee, employee_id)
    actor = _require(request, "org.change_employee", employee)
    change = _call(
        lambda: services.employee_change_apply(
            employee=employee,
            field=payload.field,
            value=payload.value,
            effective_date=payload.effective_date,
            reason=payload.reason,
            actor=actor,
        )
    )
    return Status(201, _change_out(change))


@router.get("/employees/{employee_id}/history", response=list[ChangeOut])
def employee_history(request: HttpRequest, employee_id: int) -> list[dict[str, Any]]:
    viewer = _member(request)
    employee = selectors.employee_for_viewer(viewer=viewer, pk=employee_id)
    return [_change_out(c) for c in selectors.employee_history(viewer=viewer, employee=employee)]
