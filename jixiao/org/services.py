"""Every write to departments, positions, work locations, tags, custom fields and employees.

Each public function is keyword-only, runs in one transaction, assumes the caller
already checked permission, validates its input (raising ``ServiceError`` with
field-level messages) and appends an audit event with before/after values.

The validation helpers ``employee_validate`` and ``custom_field_values_clean`` are
public so the employee importer can check a whole file before writing anything.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.audit.services import audit_record, diff, snapshot
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.org.models import (
    CustomField,
    Department,
    Employee,
    EmployeeStatus,
    EmploymentChange,
    EmploymentType,
    JobFamily,
    Position,
    Tag,
    WorkingHourSystem,
    WorkLocation,
)

logger = logging.getLogger(__name__)

DEPARTMENT_AUDIT_FIELDS = ("name", "code", "parent", "head", "sort_order")
POSITION_AUDIT_FIELDS = ("name", "job_family", "description")
WORK_LOCATION_AUDIT_FIELDS = (
    "name",
    "country",
    "city",
    "address",
    "time_zone",
    "latitude",
    "longitude",
    "geofence_radius_m",
)
TAG_AUDIT_FIELDS = ("name",)
CUSTOM_FIELD_AUDIT_FIELDS = ("code", "label", "field_type", "choices", "required", "sort_order")
EMPLOYEE_AUDIT_FIELDS = (
    "user",
    "employee_number",
    "name",
    "english_name",
    "email",
    "phone",
    "hire_date",
    "status",
    "probation_end_date",
    "leave_start_date",
    "termination_date",
    "department",
    "position",
    "manager",
    "work_location",
    "employment_type",
    "working_hour_system",
    "base_salary",
    "custom_fields",
)
EMPLOYEE_EDITABLE_FIELDS = frozenset(EMPLOYEE_AUDIT_FIELDS) | {"tags"}
"""Keys ``employee_update`` accepts; the effective-dated ones are recorded as changes today."""

TRACKED_FIELDS = tuple(choice.value for choice in EmploymentChange.Field)
"""Fields whose every change is kept as an ``EmploymentChange`` row (the history)."""

STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    EmployeeStatus.PROBATION: frozenset(
        {EmployeeStatus.ACTIVE, EmployeeStatus.ON_LEAVE, EmployeeStatus.LEFT}
    ),
    EmployeeStatus.ACTIVE: frozenset({EmployeeStatus.ON_LEAVE, EmployeeStatus.LEFT}),
    EmployeeStatus.ON_LEAVE: frozenset({EmployeeStatus.ACTIVE, EmployeeStatus.LEFT}),
    # Leaving is undone only by a re-hire, which starts a new hire date.
    EmployeeStatus.LEFT: frozenset({EmployeeStatus.ACTIVE, EmployeeStatus.PROBATION}),
}

MAX_SALARY = Decimal("9999999999.99")
SORT_ORDER_MAX = 1_000_000
CUSTOM_FIELD_CODE_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _today(company: Company) -> dt.date:
    """Today in the company's time zone: a change dated today applies at once."""
    try:
        tz = zoneinfo.ZoneInfo(company.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("Asia/Shanghai")
    return timezone.now().astimezone(tz).date()


def _refuse(fields: dict[str, list[str]], message: str | None = None) -> None:
    if fields:
        raise ServiceError(
            message or _("数据有误，请检查标出的字段。"), code="invalid", fields=fields
        )


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _same_company(obj: Model | None, company: Company) -> bool:
    return obj is None or getattr(obj, "company_id", None) == company.pk


# --- Departments --------------------------------------------------------------


def _department_name_check(
    *, company: Company, parent: Department | None, name: str, exclude: int | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        _add(errors, "name", _("请填写部门名称。"))
        return errors
    if len(name) > 100:
        _add(errors, "name", _("部门名称不能超过 100 个字。"))
    siblings = Department.objects.filter(company=company, parent=parent, name=name)
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    if siblings.exists():
        _add(errors, "name", _("同一上级部门下已有同名部门“%(name)s”。") % {"name": name})
    return errors


def _department_code_check(
    *, company: Company, code: str, exclude: int | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not code:
        return errors
    if len(code) > 40:
        _add(errors, "code", _("部门编码不能超过 40 个字符。"))
    same = Department.objects.filter(company=company, code=code)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        _add(errors, "code", _("部门编码“%(code)s”已被使用。") % {"code": code})
    return errors


def _head_check(company: Company, head: Employee | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if head is None:
        return errors
    if not _same_company(head, company):
        _add(errors, "head", _("部门负责人必须是本公司员工。"))
    elif head.status == EmployeeStatus.LEFT:
        _add(errors, "head", _("已离职员工不能担任部门负责人。"))
    return errors


@transaction.atomic
def department_create(
    *,
    company: Company,
    actor: User | None,
    name: str,
    parent: Department | None = None,
    code: str = "",
    head: Employee | None = None,
    sort_order: int = 0,
    reason: str = "",
) -> Department:
    errors: dict[str, list[str]] = {}
    if parent is not None and not _same_company(parent, company):
        _add(errors, "parent", _("上级部门不存在。"))
    else:
        errors.update(
            _department_name_check(company=company, parent=parent, name=name, exclude=None)
        )
    code = code.strip()
    errors.update(_department_code_check(company=company, code=code, exclude=None))
    errors.update(_head_check(company, head))
    if not 0 <= sort_order <= SORT_ORDER_MAX:
        _add(errors, "sort_order", _("排序必须在 0 到 1000000 之间。"))
    _refuse(errors)
    department = Department.objects.create(
        company=company,
        name=name.strip(),
        parent=parent,
        code=code,
        head=head,
        sort_order=sort_order,
    )
    audit_record(
        company=company,
        actor=actor,
        action="org.department.create",
        obj=department,
        changes=diff({}, snapshot(department, DEPARTMENT_AUDIT_FIELDS)),
        reason=reason,
    )
    return department


@transaction.atomic
def department_update(
    *,
    department: Department,
    actor: User | None,
    name: str | None = None,
    code: str | None = None,
    sort_order: int | None = None,
    reason: str = "",
) -> Department:
    """Rename or re-code a department; moving and the head have their own services."""
    company = department.company
    before = snapshot(department, DEPARTMENT_AUDIT_FIELDS)
    errors: dict[str, list[str]] = {}
    if name is not None:
        errors.update(
            _department_name_check(
                company=company, parent=department.parent, name=name, exclude=department.pk
            )
        )
        department.name = name.strip()
    if code is not None:
        code = code.strip()
        errors.update(_department_code_check(company=company, code=code, exclude=department.pk))
        department.code = code
    if sort_order is not None:
        if not 0 <= sort_order <= SORT_ORDER_MAX:
            _add(errors, "sort_order", _("排序必须在 0 到 1000000 之间。"))
        department.sort_order = sort_order
    _refuse(errors)
    department.save()
    _audit_change(
        company, actor, "org.department.update", department, before, DEPARTMENT_AUDIT_FIELDS, reason
    )
    return department


def _audit_change(
    company: Company,
    actor: User | None,
    action: str,
    obj: Model,
    before: dict[str, Any],
    fields: Iterable[str],
    reason: str,
) -> None:
    changes = diff(before, snapshot(obj, fields))
    if changes:
        audit_record(
            company=company, actor=actor, action=action, obj=obj, changes=changes, reason=reason
        )


def department_ancestor_ids(department: Department) -> list[int]:
    """Ids from the department's parent up to the root (stops on a corrupt loop)."""
    parents = dict(
        Department.objects.filter(company_id=department.company_id).values_list("id", "parent_id")
    )
    result: list[int] = []
    current = parents.get(department.pk)
    while current is not None and current not in result:
        result.append(current)
        current = parents.get(current)
    return result


@transaction.atomic
def department_move(
    *,
    department: Department,
    new_parent: Department | None,
    actor: User | None,
    reason: str = "",
) -> Department:
    """Hang a department (with its whole subtree) under another; refuses to make a cycle."""
    company = department.company
    errors: dict[str, list[str]] = {}
    if new_parent is not None:
        if not _same_company(new_parent, company):
            _add(errors, "parent", _("上级部门不存在。"))
        elif new_parent.pk == department.pk:
            _add(errors, "parent", _("部门不能成为自己的上级。"))
        elif department.pk in department_ancestor_ids(new_parent):
            _add(
                errors,
                "parent",
                _("不能把“%(dept)s”移到它自己的下级部门“%(parent)s”之下，这会形成循环。")
                % {"dept": department.name, "parent": new_parent.name},
            )
    if not errors:
        errors.update(
            _department_name_check(
                company=company, parent=new_parent, name=department.name, exclude=department.pk
            )
        )
    _refuse(errors)
    before = snapshot(department, DEPARTMENT_AUDIT_FIELDS)
    department.parent = new_parent
    department.save(update_fields=["parent"])
    _audit_change(
        company, actor, "org.department.move", department, before, DEPARTMENT_AUDIT_FIELDS, reason
    )
    return department


@transaction.atomic
def department_head_set(
    *, department: Department, head: Employee | None, actor: User | None, reason: str = ""
) -> Department:
    company = department.company
    _refuse(_head_check(company, head))
    before = snapshot(department, DEPARTMENT_AUDIT_FIELDS)
    department.head = head
    department.save(update_fields=["head"])
    _audit_change(
        company,
        actor,
        "org.department.head_set",
        department,
        before,
        DEPARTMENT_AUDIT_FIELDS,
        reason,
    )
    return department


@transaction.atomic
def department_delete(*, department: Department, actor: User | None, reason: str = "") -> None:
    """Delete an empty department; one with people or sub-departments is refused."""
    people = Employee.objects.filter(department=department).count()
    children = Department.objects.filter(parent=department).count()
    if people or children:
        parts = []
        if people:
            parts.append(_("%(n)d 名员工（含已离职）") % {"n": people})
        if children:
            parts.append(_("%(n)d 个下级部门") % {"n": children})
        raise ServiceError(
            _("部门“%(name)s”下还有%(what)s，请先调走或删除后再删除该部门。")
            % {"name": department.name, "what": _("和").join(parts)},
            code="department_not_empty",
            status=409,
        )
    before = snapshot(department, DEPARTMENT_AUDIT_FIELDS)
    department_id = department.pk
    department_repr = str(department)
    department.delete()
    audit_record(
        company=department.company,
        actor=actor,
        action="org.department.delete",
        object_type="org.department",
        object_id=str(department_id),
        object_repr=department_repr,
        changes=diff(before, {}),
        reason=reason,
    )


# --- Positions ----------------------------------------------------------------


def _position_check(
    company: Company, name: str, job_family: str, exclude: int | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        _add(errors, "name", _("请填写岗位名称。"))
    elif len(name.strip()) > 100:
        _add(errors, "name", _("岗位名称不能超过 100 个字。"))
    else:
        same = Position.objects.filter(company=company, name=name.strip())
        if exclude is not None:
            same = same.exclude(pk=exclude)
        if same.exists():
            _add(errors, "name", _("已有同名岗位“%(name)s”。") % {"name": name.strip()})
    if job_family not in JobFamily.values:
        _add(errors, "job_family", _("岗位序列无效。"))
    return errors


@transaction.atomic
def position_create(
    *,
    company: Company,
    actor: User | None,
    name: str,
    job_family: str = JobFamily.OFFICE,
    description: str = "",
    reason: str = "",
) -> Position:
    _refuse(_position_check(company, name, job_family, None))
    position = Position.objects.create(
        company=company, name=name.strip(), job_family=job_family, description=description
    )
    audit_record(
        company=company,
        actor=actor,
        action="org.position.create",
        obj=position,
        changes=diff({}, snapshot(position, POSITION_AUDIT_FIELDS)),
        reason=reason,
    )
    return position


@transaction.atomic
def position_update(
    *,
    position: Position,
    actor: User | None,
    name: str | None = None,
    job_family: str | None = None,
    description: str | None = None,
    reason: str = "",
) -> Position:
    before = snapshot(position, POSITION_AUDIT_FIELDS)
    new_name = position.name if name is None else name
    new_family = position.job_family if job_family is None else job_family
    _refuse(_position_check(position.company, new_name, new_family, position.pk))
    position.name = new_name.strip()
    position.job_family = new_family
    if description is not None:
        position.description = description
    position.save()
    _audit_change(
        position.company,
        actor,
        "org.position.update",
        position,
        before,
        POSITION_AUDIT_FIELDS,
        reason,
    )
    return position


@transaction.atomic
def position_delete(*, position: Position, actor: User | None, reason: str = "") -> None:
    holders = Employee.objects.filter(position=position).count()
    if holders:
        raise ServiceError(
            _("岗位“%(name)s”还有 %(n)d 名员工在任，请先调整他们的岗位。")
            % {"name": position.name, "n": holders},
            code="position_in_use",
            status=409,
        )
    _delete_audited(position, "org.position.delete", POSITION_AUDIT_FIELDS, actor, reason)


def _delete_audited(
    obj: Model, action: str, fields: Iterable[str], actor: User | None, reason: str
) -> None:
    company = obj.company  # type: ignore[attr-defined]
    before = snapshot(obj, fields)
    object_id, object_repr = str(obj.pk), str(obj)
    object_type = obj._meta.label_lower
    obj.delete()
    audit_record(
        company=company,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        changes=diff(before, {}),
        reason=reason,
    )


# --- Work locations -----------------------------------------------------------


@cache
def _country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 regions known to libphonenumber (every inhabited country)."""
    import phonenumbers

    return frozenset(code for code in phonenumbers.SUPPORTED_REGIONS if len(code) == 2)


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone_is_valid(name: str) -> bool:
    """An IANA time zone name that ``zoneinfo`` knows, e.g. ``Europe/Berlin``."""
    return name in _time_zones()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal("NaN")


def _work_location_check(
    company: Company, values: dict[str, Any], exclude: int | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    name = str(values.get("name") or "").strip()
    if not name:
        _add(errors, "name", _("请填写地点名称。"))
    else:
        same = WorkLocation.objects.filter(company=company, name=name)
        if exclude is not None:
            same = same.exclude(pk=exclude)
        if same.exists():
            _add(errors, "name", _("已有同名工作地点“%(name)s”。") % {"name": name})
    country = str(values.get("country") or "")
    if country not in _country_codes():
        _add(errors, "country", _("请填写两位大写的国家/地区代码（ISO 3166-1，如 CN、DE）。"))
    if not time_zone_is_valid(str(values.get("time_zone") or "")):
        _add(
            errors,
            "time_zone",
            _("时区无效，请填写 IANA 时区名，如 Asia/Shanghai、Europe/Berlin。"),
        )
    lat, lng = values.get("latitude"), values.get("longitude")
    if (lat is None) != (lng is None):
        _add(
            errors,
            "latitude" if lat is None else "longitude",
            _("纬度和经度要么都填，要么都不填。"),
        )
    if lat is not None and (lat.is_nan() or not Decimal(-90) <= lat <= Decimal(90)):
        _add(errors, "latitude", _("纬度必须在 -90 到 90 之间。"))
    if lng is not None and (lng.is_nan() or not Decimal(-180) <= lng <= Decimal(180)):
        _add(errors, "longitude", _("经度必须在 -180 到 180 之间。"))
    radius = values.get("geofence_radius_m")
    if not isinstance(radius, int) or not 10 <= radius <= 100_000:
        _add(errors, "geofence_radius_m", _("打卡范围必须是 10 到 100000 米之间的整数。"))
    return errors


def _work_location_values(base: dict[str, Any], updates: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(base)
    for key, value in updates.items():
        if key not in WORK_LOCATION_AUDIT_FIELDS:
            raise TypeError(f"unknown work location field {key}")
        values[key] = value
    values["name"] = str(values.get("name") or "").strip()
    values["country"] = str(values.get("country") or "").strip().upper()
    values["city"] = str(values.get("city") or "").strip()
    values["address"] = str(values.get("address") or "").strip()
    values["time_zone"] = str(values.get("time_zone") or "").strip()
    values["latitude"] = _coordinate(values.get("latitude"))
    values["longitude"] = _coordinate(values.get("longitude"))
    return values


def _coordinate(raw: Any) -> Decimal | None:
    """A coordinate rounded to the column's 6 places; out-of-range values are left for
    the range check to refuse (rounding them could overflow)."""
    value = _decimal(raw)
    if value is None or not value.is_finite() or abs(value) > 180:
        return value
    return value.quantize(Decimal("0.000001"))


@transaction.atomic
def work_location_create(
    *,
    company: Company,
    actor: User | None,
    name: str,
    time_zone: str = "Asia/Shanghai",
    country: str = "CN",
    city: str = "",
    address: str = "",
    latitude: Decimal | float | str | None = None,
    longitude: Decimal | float | str | None = None,
    geofence_radius_m: int = 300,
    reason: str = "",
) -> WorkLocation:
    values = _work_location_values(
        {},
        {
            "name": name,
            "time_zone": time_zone,
            "country": country,
            "city": city,
            "address": address,
            "latitude": latitude,
            "longitude": longitude,
            "geofence_radius_m": geofence_radius_m,
        },
    )
    _refuse(_work_location_check(company, values, None))
    location = WorkLocation.objects.create(company=company, **values)
    audit_record(
        company=company,
        actor=actor,
        action="org.work_location.create",
        obj=location,
        changes=diff({}, snapshot(location, WORK_LOCATION_AUDIT_FIELDS)),
        reason=reason,
    )
    return location


@transaction.atomic
def work_location_update(
    *, location: WorkLocation, actor: User | None, reason: str = "", **changes: Any
) -> WorkLocation:
    """Change any of ``WORK_LOCATION_AUDIT_FIELDS``; omitted ones stay as they are."""
    before = snapshot(location, WORK_LOCATION_AUDIT_FIELDS)
    current = {name: getattr(location, name) for name in WORK_LOCATION_AUDIT_FIELDS}
    values = _work_location_values(current, changes)
    _refuse(_work_location_check(location.company, values, location.pk))
    for key, value in values.items():
        setattr(location, key, value)
    location.save()
    _audit_change(
        location.company,
        actor,
        "org.work_location.update",
        location,
        before,
        WORK_LOCATION_AUDIT_FIELDS,
        reason,
    )
    return location


@transaction.atomic
def work_location_delete(*, location: WorkLocation, actor: User | None, reason: str = "") -> None:
    people = Employee.objects.filter(work_location=location).count()
    if people:
        raise ServiceError(
            _("工作地点“%(name)s”还有 %(n)d 名员工，请先调整他们的工作地点。")
            % {"name": location.name, "n": people},
            code="work_location_in_use",
            status=409,
        )
    _delete_audited(location, "org.work_location.delete", WORK_LOCATION_AUDIT_FIELDS, actor, reason)


# --- Tags -----------------------------------------------------------------------


def _tag_check(company: Company, name: str, exclude: int | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        _add(errors, "name", _("请填写标签名称。"))
    elif len(name.strip()) > 50:
        _add(errors, "name", _("标签不能超过 50 个字。"))
    else:
        same = Tag.objects.filter(company=company, name=name.strip())
        if exclude is not None:
            same = same.exclude(pk=exclude)
        if same.exists():
            _add(errors, "name", _("已有同名标签“%(name)s”。") % {"name": name.strip()})
    return errors


@transaction.atomic
def tag_create(*, company: Company, actor: User | None, name: str, reason: str = "") -> Tag:
    _refuse(_tag_check(company, name, None))
    tag = Tag.objects.create(company=company, name=name.strip())
    audit_record(
        company=company,
        actor=actor,
        action="org.tag.create",
        obj=tag,
        changes=diff({}, snapshot(tag, TAG_AUDIT_FIELDS)),
        reason=reason,
    )
    return tag


@transaction.atomic
def tag_update(*, tag: Tag, actor: User | None, name: str, reason: str = "") -> Tag:
    _refuse(_tag_check(tag.company, name, tag.pk))
    before = snapshot(tag, TAG_AUDIT_FIELDS)
    tag.name = name.strip()
    tag.save()
    _audit_change(tag.company, actor, "org.tag.update", tag, before, TAG_AUDIT_FIELDS, reason)
    return tag


@transaction.atomic
def tag_delete(*, tag: Tag, actor: User | None, reason: str = "") -> None:
    """Delete a tag; it is taken off every employee who had it (recorded in the event)."""
    holders = list(tag.employees.values_list("id", flat=True))
    before = {**snapshot(tag, TAG_AUDIT_FIELDS), "employees": holders}
    object_id, object_repr = str(tag.pk), str(tag)
    company = tag.company
    tag.delete()
    audit_record(
        company=company,
        actor=actor,
        action="org.tag.delete",
        object_type="org.tag",
        object_id=object_id,
        object_repr=object_repr,
        changes=diff(before, {}),
        reason=reason,
    )


# --- Custom fields --------------------------------------------------------------


def _choices_clean(raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = raw.splitlines()
    return list(dict.fromkeys(str(c).strip() for c in (raw or []) if str(c).strip()))


def _custom_field_check(
    company: Company, values: dict[str, Any], instance: CustomField | None
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    code = values["code"]
    if not CUSTOM_FIELD_CODE_RE.match(code) or len(code) > 40:
        _add(
            errors,
            "code",
            _("字段编码只能用小写字母、数字和单个下划线，并以字母开头，最多 40 个字符。"),
        )
    else:
        same = CustomField.objects.filter(company=company, code=code)
        if instance is not None:
            same = same.exclude(pk=instance.pk)
        if same.exists():
            _add(errors, "code", _("字段编码“%(code)s”已被使用。") % {"code": code})
    if not values["label"]:
        _add(errors, "label", _("请填写字段名称。"))
    if not isinstance(values["sort_order"], int) or not 0 <= values["sort_order"] <= SORT_ORDER_MAX:
        _add(errors, "sort_order", _("排序必须在 0 到 1000000 之间。"))
    if values["field_type"] not in CustomField.Type.values:
        _add(errors, "field_type", _("字段类型无效。"))
    if values["field_type"] == CustomField.Type.CHOICE and not values["choices"]:
        _add(errors, "choices", _("选项类型的字段至少要有一个可选值。"))
    if instance is not None:
        in_use = Employee.objects.filter(company=company, custom_fields__has_key=instance.code)
        if values["code"] != instance.code and in_use.exists():
            _add(errors, "code", _("已有员工填写了该字段，不能修改字段编码。"))
        if values["field_type"] != instance.field_type and in_use.exists():
            _add(
                errors,
                "field_type",
                _("已有 %(n)d 名员工填写了该字段，不能修改类型。") % {"n": in_use.count()},
            )
        if instance.field_type == CustomField.Type.CHOICE:
            for removed in [c for c in instance.choices if c not in values["choices"]]:
                users = Employee.objects.filter(
                    company=company, **{f"custom_fields__{instance.code}": removed}
                ).count()
                if users:
                    _add(
                        errors,
                        "choices",
                        _("选项“%(choice)s”仍有 %(n)d 名员工在使用，不能删除。")
                        % {"choice": removed, "n": users},
                    )
    return errors


@transaction.atomic
def custom_field_create(
    *,
    company: Company,
    actor: User | None,
    code: str,
    label: str,
    field_type: str = CustomField.Type.TEXT,
    choices: Iterable[str] | str = (),
    required: bool = False,
    sort_order: int = 0,
    reason: str = "",
) -> CustomField:
    values = {
        "code": code.strip(),
        "label": label.strip(),
        "field_type": field_type,
        "choices": _choices_clean(choices) if field_type == CustomField.Type.CHOICE else [],
        "required": bool(required),
        "sort_order": sort_order,
    }
    _refuse(_custom_field_check(company, values, None))
    field = CustomField.objects.create(company=company, **values)
    audit_record(
        company=company,
        actor=actor,
        action="org.custom_field.create",
        obj=field,
        changes=diff({}, snapshot(field, CUSTOM_FIELD_AUDIT_FIELDS)),
        reason=reason,
    )
    return field


@transaction.atomic
def custom_field_update(
    *, field: CustomField, actor: User | None, reason: str = "", **changes: Any
) -> CustomField:
    """Change a definition; a choice still used by someone cannot be removed."""
    unknown = set(changes) - set(CUSTOM_FIELD_AUDIT_FIELDS)
    if unknown:
        raise TypeError(f"unknown custom field attributes {sorted(unknown)}")
    values = {name: getattr(field, name) for name in CUSTOM_FIELD_AUDIT_FIELDS}
    values.update(changes)
    values["code"] = str(values["code"]).strip()
    values["label"] = str(values["label"]).strip()
    values["choices"] = (
        _choices_clean(values["choices"]) if values["field_type"] == CustomField.Type.CHOICE else []
    )
    _refuse(_custom_field_check(field.company, values, field))
    before = snapshot(field, CUSTOM_FIELD_AUDIT_FIELDS)
    for key, value in values.items():
        setattr(field, key, value)
    field.save()
    _audit_change(
        field.company,
        actor,
        "org.custom_field.update",
        field,
        before,
        CUSTOM_FIELD_AUDIT_FIELDS,
        reason,
    )
    return field


@transaction.atomic
def custom_field_delete(*, field: CustomField, actor: User | None, reason: str = "") -> None:
    users = Employee.objects.filter(
        company=field.company, custom_fields__has_key=field.code
    ).count()
    if users:
        raise ServiceError(
            _("自定义字段“%(label)s”已有 %(n)d 名员工填写，请先清空这些值再删除。")
            % {"label": field.label, "n": users},
            code="custom_field_in_use",
            status=409,
        )
    _delete_audited(field, "org.custom_field.delete", CUSTOM_FIELD_AUDIT_FIELDS, actor, reason)


def custom_field_values_clean(
    *,
    company: Company,
    values: Mapping[str, Any],
    definitions: Iterable[CustomField] | None = None,
    check_required: bool = True,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check and normalise custom field values against the company's definitions.

    Returns ``(clean, errors)``; ``errors`` is keyed ``custom_fields.<code>``.
    Numbers become JSON numbers, dates ISO strings, empty values are dropped.
    Pass ``definitions`` (already loaded) to validate many rows without queries.
    """
    defs = {
        f.code: f
        for f in (
            definitions if definitions is not None else CustomField.objects.filter(company=company)
        )
    }
    clean: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for code, raw in values.items():
        key = f"custom_fields.{code}"
        definition = defs.get(code)
        if definition is None:
            _add(errors, key, _("没有编码为“%(code)s”的自定义字段。") % {"code": code})
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        if definition.field_type == CustomField.Type.NUMBER:
            number = _decimal(raw)
            if isinstance(raw, bool) or number is None or not number.is_finite():
                _add(errors, key, _("“%(label)s”必须是数字。") % {"label": definition.label})
                continue
            clean[code] = int(number) if number == number.to_integral_value() else float(number)
        elif definition.field_type == CustomField.Type.DATE:
            if isinstance(raw, dt.date):
                clean[code] = raw.isoformat()
                continue
            try:
                clean[code] = dt.date.fromisoformat(str(raw).strip()).isoformat()
            except ValueError:
                _add(
                    errors,
                    key,
                    _("“%(label)s”必须是日期（YYYY-MM-DD）。") % {"label": definition.label},
                )
        elif definition.field_type == CustomField.Type.CHOICE:
            text = str(raw).strip()
            if text not in definition.choices:
                _add(
                    errors,
                    key,
                    _("“%(label)s”只能是：%(choices)s。")
                    % {"label": definition.label, "choices": "、".join(definition.choices)},
                )
                continue
            clean[code] = text
        else:
            text = str(raw).strip()
            if len(text) > 500:
                _add(errors, key, _("“%(label)s”不能超过 500 个字。") % {"label": definition.label})
                continue
            clean[code] = text
    if check_required:
        for code, definition in defs.items():
            if definition.required and code not in clean and f"custom_fields.{code}" not in errors:
                _add(
                    errors,
                    f"custom_fields.{code}",
                    _("“%(label)s”是必填项。") % {"label": definition.label},
                )
    return clean, errors


# --- Employees ------------------------------------------------------------------


def manager_chain_ids(manager: Employee | None, *, limit: int = 500) -> list[int]:
    """The manager and everyone above them, walking ``manager`` links upwards."""
    result: list[int] = []
    current_id = manager.pk if manager is not None else None
    while current_id is not None and current_id not in result and len(result) < limit:
        result.append(current_id)
        current_id = (
            Employee.objects.filter(pk=current_id).values_list("manager_id", flat=True).first()
        )
    return result


def employee_validate(
    *,
    company: Company,
    values: Mapping[str, Any],
    employee: Employee | None = None,
    taken_numbers: set[str] | None = None,
) -> dict[str, list[str]]:
    """All field errors for an employee with these (merged, final) values.

    ``values`` holds model field names with objects for relations (``department``,
    ``manager`` …) as after the write. ``employee`` is the row being changed (None
    when creating). ``taken_numbers`` lets a bulk importer check numbers without a
    query per row. Custom fields are checked separately by ``custom_field_values_clean``.
    """
    errors: dict[str, list[str]] = {}
    number = str(values.get("employee_number") or "").strip()
    if not number:
        _add(errors, "employee_number", _("请填写工号。"))
    elif len(number) > 40:
        _add(errors, "employee_number", _("工号不能超过 40 个字符。"))
    elif taken_numbers is not None:
        if number in taken_numbers:
            _add(errors, "employee_number", _("工号“%(n)s”已被使用。") % {"n": number})
    else:
        same = Employee.objects.filter(company=company, employee_number=number)
        if employee is not None:
            same = same.exclude(pk=employee.pk)
        if same.exists():
            _add(errors, "employee_number", _("工号“%(n)s”已被使用。") % {"n": number})
    if not str(values.get("name") or "").strip():
        _add(errors, "name", _("请填写姓名。"))
    department = values.get("department")
    if department is None:
        _add(errors, "department", _("请选择部门。"))
    elif not _same_company(department, company):
        _add(errors, "department", _("部门不存在。"))
    for key, label in (("position", _("岗位")), ("work_location", _("工作地点"))):
        if not _same_company(values.get(key), company):
            _add(errors, key, _("%(what)s不存在。") % {"what": label})
    manager = values.get("manager")
    if manager is not None:
        if not _same_company(manager, company):
            _add(errors, "manager", _("直属上级必须是本公司员工。"))
        elif employee is not None and manager.pk == employee.pk:
            _add(errors, "manager", _("员工不能是自己的直属上级。"))
        elif employee is not None and employee.pk in manager_chain_ids(manager):
            _add(
                errors,
                "manager",
                _("“%(m)s”在“%(e)s”的下属链中，设为上级会形成循环汇报。")
                % {"m": manager.name, "e": employee.name},
            )
    for key, choices, label in (
        ("status", EmployeeStatus.values, _("状态")),
        ("employment_type", EmploymentType.values, _("用工类型")),
        ("working_hour_system", WorkingHourSystem.values, _("工时制度")),
    ):
        if key in values and values[key] not in choices:
            _add(errors, key, _("%(what)s无效。") % {"what": label})
    hire = values.get("hire_date")
    if not isinstance(hire, dt.date):
        _add(errors, "hire_date", _("请填写入职日期。"))
    else:
        termination = values.get("termination_date")
        if termination is not None and termination < hire:
            _add(errors, "termination_date", _("离职日期不能早于入职日期。"))
        probation_end = values.get("probation_end_date")
        if probation_end is not None and probation_end < hire:
            _add(errors, "probation_end_date", _("试用期结束日期不能早于入职日期。"))
        leave_start = values.get("leave_start_date")
        if leave_start is not None and leave_start < hire:
            _add(errors, "leave_start_date", _("休假开始日期不能早于入职日期。"))
    status = values.get("status", EmployeeStatus.ACTIVE)
    if status == EmployeeStatus.LEFT and values.get("termination_date") is None:
        _add(errors, "termination_date", _("状态为已离职时必须填写离职日期。"))
    if status != EmployeeStatus.LEFT and values.get("termination_date") is not None:
        _add(errors, "termination_date", _("只有已离职的员工才有离职日期。"))
    if status == EmployeeStatus.ON_LEAVE and values.get("leave_start_date") is None:
        _add(errors, "leave_start_date", _("状态为休假时必须填写休假开始日期。"))
    salary = values.get("base_salary", Decimal("0"))
    if not isinstance(salary, Decimal) or not salary.is_finite():
        _add(errors, "base_salary", _("月基本工资必须是数字。"))
    elif salary < 0:
        _add(errors, "base_salary", _("月基本工资不能为负数。"))
    elif salary > MAX_SALARY or salary != salary.quantize(Decimal("0.01")):
        _add(errors, "base_salary", _("月基本工资最多两位小数、不超过 99 亿。"))
    user = values.get("user")
    if user is not None:
        if user.company_id != company.pk:
            _add(errors, "user", _("登录账号不属于本公司。"))
        else:
            taken = Employee.objects.filter(user=user)
            if employee is not None:
                taken = taken.exclude(pk=employee.pk)
            if taken.exists():
                _add(errors, "user", _("该登录账号已关联其他员工。"))
    return errors


def _salary(value: Any) -> Any:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, int | str | float) and not isinstance(value, bool):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            return value
    return value


def _tags_check(company: Company, tags: Iterable[Tag]) -> tuple[list[Tag], dict[str, list[str]]]:
    tag_list = list(tags)
    errors: dict[str, list[str]] = {}
    if any(not _same_company(t, company) for t in tag_list):
        _add(errors, "tags", _("标签不存在。"))
    return tag_list, errors


@transaction.atomic
def employee_create(
    *,
    company: Company,
    actor: User | None,
    employee_number: str,
    name: str,
    hire_date: dt.date,
    department: Department,
    reason: str = "",
    tags: Iterable[Tag] = (),
    custom_fields: Mapping[str, Any] | None = None,
    **values: Any,
) -> Employee:
    """Create an employee. Other ``values`` are any of ``EMPLOYEE_AUDIT_FIELDS``."""
    unknown = set(values) - set(EMPLOYEE_AUDIT_FIELDS)
    if unknown:
        raise TypeError(f"unknown employee fields {sorted(unknown)}")
    data: dict[str, Any] = {
        "status": EmployeeStatus.ACTIVE,
        "employment_type": EmploymentType.FULL_TIME,
        "working_hour_system": WorkingHourSystem.STANDARD,
        "base_salary": Decimal("0.00"),
        **values,
        "employee_number": str(employee_number).strip(),
        "name": str(name).strip(),
        "hire_date": hire_date,
        "department": department,
    }
    data["base_salary"] = _salary(data["base_salary"])
    for key in ("english_name", "email", "phone"):
        data[key] = str(data.get(key) or "").strip()
    errors = employee_validate(company=company, values=data)
    clean_custom, custom_errors = custom_field_values_clean(
        company=company, values=custom_fields or {}
    )
    errors.update(custom_errors)
    tag_list, tag_errors = _tags_check(company, tags)
    errors.update(tag_errors)
    _refuse(errors)
    data["base_salary"] = data["base_salary"].quantize(Decimal("0.01"))
    data.pop("custom_fields", None)
    employee = Employee.objects.create(company=company, custom_fields=clean_custom, **data)
    if tag_list:
        employee.tags.set(tag_list)
    after = {**snapshot(employee, EMPLOYEE_AUDIT_FIELDS), "tags": sorted(t.pk for t in tag_list)}
    audit_record(
        company=company,
        actor=actor,
        action="org.employee.create",
        obj=employee,
        changes=diff({}, after),
        reason=reason,
    )
    return employee


def _employee_audit_snapshot(employee: Employee) -> dict[str, Any]:
    return {
        **snapshot(employee, EMPLOYEE_AUDIT_FIELDS),
        "tags": sorted(employee.tags.values_list("id", flat=True)),
    }


@transaction.atomic
def employee_update(
    *, employee: Employee, actor: User | None, reason: str = "", **changes: Any
) -> Employee:
    """Change an employee's fields now (PATCH semantics: omitted keys stay as they are).

    Changes of the effective-dated fields (department, manager, salary …) are also
    written to the history as ``EmploymentChange`` rows dated today.
    """
    unknown = set(changes) - EMPLOYEE_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"unknown employee fields {sorted(unknown)}")
    company = employee.company
    employee = Employee.objects.select_for_update().get(pk=employee.pk)
    before = _employee_audit_snapshot(employee)
    current = {name: getattr(employee, name) for name in EMPLOYEE_AUDIT_FIELDS}
    data = {**current, **{k: v for k, v in changes.items() if k != "tags"}}
    data["base_salary"] = _salary(data["base_salary"])
    for key in ("employee_number", "name", "english_name", "email", "phone"):
        data[key] = str(data.get(key) or "").strip()
    errors = employee_validate(company=company, values=data, employee=employee)
    if "custom_fields" in changes:
        merged = {**employee.custom_fields, **(changes["custom_fields"] or {})}
        clean_custom, custom_errors = custom_field_values_clean(company=company, values=merged)
        errors.update(custom_errors)
        data["custom_fields"] = clean_custom
    tag_list: list[Tag] | None = None
    if "tags" in changes:
        tag_list, tag_errors = _tags_check(company, changes["tags"] or [])
        errors.update(tag_errors)
    _refuse(errors)
    data["base_salary"] = data["base_salary"].quantize(Decimal("0.01"))
    today = _today(company)
    history: list[EmploymentChange] = []
    for field in TRACKED_FIELDS:
        old_value, old_display = _change_value_of(employee, field)
        new_value, new_display = _stored(field, data[field])
        if old_value != new_value:
            history.append(
                EmploymentChange(
                    company=company,
                    employee=employee,
                    field=field,
                    old_value=old_value,
                    new_value=new_value,
                    old_display=old_display,
                    new_display=new_display,
                    effective_date=today,
                    applied=True,
                    applied_at=timezone.now(),
                    reason=reason[:500],
                    created_by=actor,
                )
            )
    for key, value in data.items():
        setattr(employee, key, value)
    employee.save()
    if tag_list is not None:
        employee.tags.set(tag_list)
    EmploymentChange.objects.bulk_create(history)
    changes_diff = diff(before, _employee_audit_snapshot(employee))
    if changes_diff:
        audit_record(
            company=company,
            actor=actor,
            action="org.employee.update",
            obj=employee,
            changes=changes_diff,
            reason=reason,
        )
    return employee


# --- Effective-dated changes ---------------------------------------------------------


def _stored(field: str, value: Any) -> tuple[str, str]:
    """(stored value, display text) of a tracked field's value."""
    if value is None or value == "":
        return "", "—"
    if isinstance(value, Model):
        return str(value.pk), str(value.name) if hasattr(value, "name") else str(value)
    if field == EmploymentChange.Field.BASE_SALARY:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
        return str(amount), str(amount)
    if field == EmploymentChange.Field.STATUS:
        return str(value), str(EmployeeStatus(value).label)
    if field == EmploymentChange.Field.WORKING_HOUR_SYSTEM:
        return str(value), str(WorkingHourSystem(value).label)
    return str(value), str(value)


def _change_value_of(employee: Employee, field: str) -> tuple[str, str]:
    return _stored(field, getattr(employee, field))


_RELATION_MODELS: dict[str, type[Model]] = {
    EmploymentChange.Field.DEPARTMENT: Department,
    EmploymentChange.Field.MANAGER: Employee,
    EmploymentChange.Field.POSITION: Position,
    EmploymentChange.Field.WORK_LOCATION: WorkLocation,
}


def change_value_resolve(*, company: Company, field: str, value: Any) -> Any:
    """Turn an API/form value (an id, a number, a code) into what the field holds."""
    if field not in TRACKED_FIELDS:
        raise ServiceError(_("不支持的变更项。"), fields={"field": [_("请选择有效的变更项。")]})
    if field in _RELATION_MODELS:
        if value is None or value == "":
            if field == EmploymentChange.Field.DEPARTMENT:
                raise ServiceError(_("请选择部门。"), fields={"value": [_("请选择部门。")]})
            return None
        if isinstance(value, Model):
            return value
        model = _RELATION_MODELS[field]
        try:
            pk = int(value)
        except (TypeError, ValueError):
            pk = -1
        obj = model._default_manager.filter(company=company, pk=pk).first()  # type: ignore[misc]
        if obj is None:
            raise ServiceError(_("所选对象不存在。"), fields={"value": [_("所选对象不存在。")]})
        return obj
    if field == EmploymentChange.Field.BASE_SALARY:
        amount = _decimal(value)
        if amount is None or not amount.is_finite():
            raise ServiceError(
                _("月基本工资必须是数字。"), fields={"value": [_("月基本工资必须是数字。")]}
            )
        if not Decimal(0) <= amount <= MAX_SALARY or amount != amount.quantize(Decimal("0.01")):
            message = _("月基本工资须在 0 到 99 亿之间，最多两位小数。")
            raise ServiceError(message, fields={"value": [message]})
        return amount
    text = str(value or "")
    choices = (
        EmployeeStatus.values
        if field == EmploymentChange.Field.STATUS
        else WorkingHourSystem.values
    )
    if text not in choices:
        raise ServiceError(_("所选值无效。"), fields={"value": [_("所选值无效。")]})
    return text


def _status_side_effects(
    employee: Employee, new_status: str, effective_date: dt.date
) -> dict[str, Any]:
    """The date fields a status change sets (leave start, termination, re-hire)."""
    old = employee.status
    if new_status == old:
        return {}
    if new_status not in STATUS_TRANSITIONS.get(old, frozenset()):
        raise ServiceError(
            _("不能把状态从“%(old)s”改为“%(new)s”。")
            % {"old": EmployeeStatus(old).label, "new": EmployeeStatus(new_status).label},
            fields={"value": [_("不允许的状态变更。")]},
        )
    if (
        old == EmployeeStatus.LEFT
        and employee.termination_date is not None
        and effective_date <= employee.termination_date
    ):
        raise ServiceError(
            _("重新入职日期必须晚于上次离职日期（%(date)s）。")
            % {"date": employee.termination_date.isoformat()},
            fields={"effective_date": [_("重新入职日期必须晚于上次离职日期。")]},
        )
    effects: dict[str, Any] = {}
    if new_status == EmployeeStatus.LEFT:
        effects["termination_date"] = effective_date
    elif new_status == EmployeeStatus.ON_LEAVE:
        effects["leave_start_date"] = effective_date
    elif old == EmployeeStatus.LEFT:
        # Re-hire: a new employment starts on the effective date.
        effects.update(
            hire_date=effective_date,
            termination_date=None,
            leave_start_date=None,
            probation_end_date=None,
        )
    elif old == EmployeeStatus.ON_LEAVE:
        effects["leave_start_date"] = None
    elif old == EmployeeStatus.PROBATION and (
        employee.probation_end_date is None or employee.probation_end_date > effective_date
    ):
        effects["probation_end_date"] = effective_date
    return effects


def _apply_change_now(change: EmploymentChange, actor: User | None) -> None:
    """Write a due change onto the employee row, validating it against today's data."""
    employee = Employee.objects.select_for_update().get(pk=change.employee_id)
    company = employee.company
    field = change.field
    value = change_value_resolve(company=company, field=field, value=change.new_value)
    if _stored(field, value)[0] == _change_value_of(employee, field)[0]:
        raise ServiceError(
            _("新值与当前值相同，无需变更。"), fields={"value": [_("新值与当前值相同。")]}
        )
    before = _employee_audit_snapshot(employee)
    updates: dict[str, Any] = {field: value}
    if field == EmploymentChange.Field.STATUS:
        updates.update(_status_side_effects(employee, value, change.effective_date))
    data = {name: getattr(employee, name) for name in EMPLOYEE_AUDIT_FIELDS}
    data.update(updates)
    errors = employee_validate(company=company, values=data, employee=employee)
    if errors:
        raise ServiceError(
            "；".join(message for messages in errors.values() for message in messages),
            fields={"value": [m for messages in errors.values() for m in messages]},
        )
    change.old_value, change.old_display = _change_value_of(employee, field)
    change.new_value, change.new_display = _stored(field, value)
    for key, new in updates.items():
        setattr(employee, key, new)
    employee.save()
    change.applied = True
    change.applied_at = timezone.now()
    change.apply_error = ""
    change.save()
    audit_record(
        company=company,
        actor=actor,
        action="org.employee.change_apply",
        obj=employee,
        changes=diff(before, _employee_audit_snapshot(employee)),
        reason=change.reason,
    )


@transaction.atomic
def employee_change_apply(
    *,
    employee: Employee,
    field: str,
    value: Any,
    effective_date: dt.date,
    reason: str,
    actor: User | None,
) -> EmploymentChange:
    """Record an effective-dated change; apply it now if it is dated today or earlier.

    A future-dated change stays pending (``applied=False``) until
    ``employment_changes_apply_due`` (run nightly by ``jixiao.org.tasks``) applies it.
    A backdated change must not be older than the latest applied change of the same
    field, so the history stays one straight line.
    """
    company = employee.company
    errors: dict[str, list[str]] = {}
    if not reason or not reason.strip():
        _add(errors, "reason", _("请填写变更原因。"))
    if not isinstance(effective_date, dt.date):
        _add(errors, "effective_date", _("请填写生效日期。"))
    _refuse(errors)
    resolved = change_value_resolve(company=company, field=field, value=value)
    if field != EmploymentChange.Field.STATUS and effective_date < employee.hire_date:
        _refuse({"effective_date": [_("生效日期不能早于入职日期。")]})
    latest = (
        EmploymentChange.objects.filter(employee=employee, field=field, applied=True)
        .order_by("-effective_date")
        .values_list("effective_date", flat=True)
        .first()
    )
    today = _today(company)
    if effective_date <= today and latest is not None and effective_date < latest:
        _refuse(
            {
                "effective_date": [
                    _("该项在 %(date)s 已有生效的变更，生效日期不能更早。")
                    % {"date": latest.isoformat()}
                ]
            }
        )
    new_value, new_display = _stored(field, resolved)
    change = EmploymentChange.objects.create(
        company=company,
        employee=employee,
        field=field,
        new_value=new_value,
        new_display=new_display,
        effective_date=effective_date,
        applied=False,
        reason=reason.strip()[:500],
        created_by=actor,
    )
    if effective_date <= today:
        try:
            _apply_change_now(change, actor)
        except ServiceError as exc:
            if "value" in exc.fields:
                exc.fields = {"value": exc.fields["value"]}
            raise
    else:
        # A pending change is checked now too, so obvious mistakes are caught early.
        probe = {name: getattr(employee, name) for name in EMPLOYEE_AUDIT_FIELDS}
        probe[field] = resolved
        if field == EmploymentChange.Field.STATUS:
            probe.update(_status_side_effects(employee, resolved, effective_date))
        probe_errors = employee_validate(company=company, values=probe, employee=employee)
        if probe_errors:
            _refuse({"value": [m for messages in probe_errors.values() for m in messages]})
        audit_record(
            company=company,
            actor=actor,
            action="org.employee.change_schedule",
            obj=employee,
            changes={
                field: [None, new_value],
                "effective_date": [None, effective_date.isoformat()],
            },
            reason=change.reason,
        )
    return change


@transaction.atomic
def employee_rehire(
    *,
    employee: Employee,
    hire_date: dt.date,
    actor: User | None,
    reason: str,
    status: str = EmployeeStatus.PROBATION,
) -> EmploymentChange:
    """Take a former employee back: a status change from LEFT that starts a new hire date."""
    if employee.status != EmployeeStatus.LEFT:
        raise ServiceError(
            _("只有已离职的员工才能重新入职。"), fields={"status": [_("员工未离职。")]}
        )
    return employee_change_apply(
        employee=employee,
        field=EmploymentChange.Field.STATUS,
        value=status,
        effective_date=hire_date,
        reason=reason,
        actor=actor,
    )


@transaction.atomic
def employment_change_cancel(
    *, change: EmploymentChange, actor: User | None, reason: str = ""
) -> None:
    """Withdraw a pending (future-dated) change; applied ones are history and stay."""
    if change.applied:
        raise ServiceError(
            _("已生效的变更不能撤销，请新建一条变更。"), code="already_applied", status=409
        )
    before = snapshot(change, ("field", "new_value", "effective_date", "reason"))
    employee = change.employee
    change.delete()
    audit_record(
        company=employee.company,
        actor=actor,
        action="org.employee.change_cancel",
        obj=employee,
        changes=diff(before, {}),
        reason=reason,
    )


def employment_changes_apply_due(*, company: Company, today: dt.date | None = None) -> int:
    """Apply every pending change that has come due; safe to run twice.

    Each change is applied in its own transaction, oldest first; one that no longer
    fits (e.g. its new manager left meanwhile) keeps pending with ``apply_error`` set.
    Returns how many were applied.
    """
    today = today or _today(company)
    due = list(
        EmploymentChange.objects.filter(company=company, applied=False, effective_date__lte=today)
        .order_by("effective_date", "id")
        .values_list("id", flat=True)
    )
    applied = 0
    for change_id in due:
        try:
            with transaction.atomic():
                change = (
                    EmploymentChange.objects.select_for_update()
                    .filter(pk=change_id, applied=False)
                    .first()
                )
                if change is None:
                    continue
                _apply_change_now(change, None)
                applied += 1
        except ServiceError as exc:
            EmploymentChange.objects.filter(pk=change_id).update(apply_error=exc.message[:500])
            logger.warning("employment change %s not applied: %s", change_id, exc.message)
    return applied
