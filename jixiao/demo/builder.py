"""Turns the demo company specs into rows, with an audit trail that starts valid."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from jixiao.audit.models import AuditChainHead, AuditEvent
from jixiao.audit.services import AuditEntry, audit_record_many, diff, snapshot
from jixiao.core.models import Company, Role, User
from jixiao.demo.attendance import attendance_demo_build
from jixiao.demo.companies import (
    COMPANIES,
    DEMO_PASSWORD,
    PLATFORM_ADMIN_EMAIL,
    PLATFORM_ADMIN_USERNAME,
    VETERAN,
    CompanySpec,
    GroupSpec,
    PersonSpec,
)
from jixiao.demo.metrics import metrics_demo_build, metrics_demo_remove
from jixiao.demo.names import random_person_name
from jixiao.org.models import (
    CustomField,
    Department,
    Employee,
    Position,
    Tag,
    WorkLocation,
)

DEMO_REASON = "演示数据（manage.py demo_load）"
EMPLOYEE_FIELDS = (
    "user",
    "employee_number",
    "name",
    "english_name",
    "email",
    "phone",
    "hire_date",
    "status",
    "department",
    "position",
    "manager",
    "work_location",
    "employment_type",
    "working_hour_system",
    "base_salary",
    "custom_fields",
)


@dataclass(frozen=True)
class DemoLogin:
    """One row of the login table the command prints."""

    company: str
    role: str
    name: str
    username: str
    password: str
    note: str = ""


@dataclass(frozen=True)
class DemoLoadResult:
    created: bool
    logins: list[DemoLogin]


def _draw_group(
    spec: CompanySpec, group: GroupSpec, used_handles: set[str], used_names: set[str]
) -> list[PersonSpec]:
    """The group's colleagues: the same names, salaries and dates on every run."""
    rng = random.Random(f"{spec.slug}:{group.department}:{group.position}")
    veterans = round(group.count * group.veteran_share)
    people: list[PersonSpec] = []
    for index in range(group.count):
        name, handle = random_person_name(rng)
        while name in used_names or handle in used_handles:
            name, handle = random_person_name(rng)
        used_names.add(name)
        used_handles.add(handle)
        veteran = index < veterans
        first_year, last_year = group.hired_years
        year = rng.randint(first_year, min(last_year, 2018) if veteran else last_year)
        hired = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
        low, high = group.salary
        salary = low + rng.randint(0, (high - low) // 100) * 100
        tags = (*group.tags, VETERAN) if veteran and VETERAN in spec.tags else group.tags
        custom = {code: values[index % len(values)] for code, values in group.custom.items()}
        location = group.locations[index % len(group.locations)] if group.locations else ""
        people.append(
            PersonSpec(
                handle=handle,
                name=name,
                role=Role.EMPLOYEE,
                department=group.department,
                position=group.position,
                salary=salary,
                hired=hired.isoformat(),
                location=location,
                hours=group.hours,
                tags=tags,
                custom=custom,
            )
        )
    return people


def company_people(spec: CompanySpec) -> list[PersonSpec]:
    """Everyone of the company, named people first, in a stable order."""
    used_handles = {p.handle for p in spec.people}
    used_names = {p.name for p in spec.people}
    people = list(spec.people)
    for group in spec.groups:
        people.extend(_draw_group(spec, group, used_handles, used_names))
    return people


def username_for(spec: CompanySpec, person: PersonSpec) -> str:
    """Demo logins are their e-mail address, e.g. wangjie@haixing.demo."""
    return f"{person.handle}@{spec.email_domain}"


def demo_logins(*, include_everyone: bool = False) -> list[DemoLogin]:
    """The login table; without ``include_everyone`` only roles and people of the stories."""
    role_labels = dict(Role.choices)
    logins = [
        DemoLogin(
            "—",
            str(role_labels[Role.PLATFORM_ADMIN]),
            "平台管理员",
            PLATFORM_ADMIN_USERNAME,
            DEMO_PASSWORD,
            "管理所有公司",
        )
    ]
    order = {Role.HR_ADMIN: 0, Role.EXECUTIVE: 1, Role.MANAGER: 2, Role.EMPLOYEE: 3}
    for spec in COMPANIES:
        people = company_people(spec) if include_everyone else list(spec.people)
        for person in sorted(people, key=lambda p: order[Role(p.role)]):
            logins.append(
                DemoLogin(
                    spec.name,
                    str(role_labels[Role(person.role)]),
                    person.name,
                    username_for(spec, person),
                    DEMO_PASSWORD,
                    person.note,
                )
            )
    return logins


def demo_companies() -> list[Company]:
    return list(Company.objects.filter(slug__in=[c.slug for c in COMPANIES]).order_by("pk"))


@transaction.atomic
def demo_remove() -> int:
    """Delete the demo companies with everything in them, and the demo platform admin."""
    removed = 0
    with scopes_disabled():
        for company in demo_companies():
            # The trail is append-only for everything except removing a whole demo
            # tenant, so this goes past AuditEventQuerySet's guard on purpose.
            models.QuerySet(model=AuditEvent).filter(company=company).delete()
            AuditChainHead.objects.filter(company=company).delete()
            metrics_demo_remove(company)
            Employee.objects.filter(company=company).delete()
            Department.objects.filter(company=company).update(parent=None, head=None)
            Department.objects.filter(company=company).delete()
            company.delete()
            removed += 1
        try:
            with transaction.atomic():
                User.objects.filter(username=PLATFORM_ADMIN_USERNAME).delete()
        except ProtectedError:
            pass  # it acted on a company outside the demo; its audit events keep it alive
    return removed


def _entry(action: str, obj: models.Model, changes: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        changes=changes,
    )


def _created(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return diff({}, snapshot(obj, fields))


def _nearest_head(
    department: str, parents: dict[str, str | None], heads: dict[str, str], exclude: str
) -> str | None:
    current: str | None = department
    while current is not None:
        head = heads.get(current)
        if head is not None and head != exclude:
            return head
        current = parents[current]
    return None


def _build_company(spec: CompanySpec, password_hash: str) -> Company:
    company = Company.objects.create(
        name=spec.name,
        slug=spec.slug,
        industry=spec.industry,
        country="CN",
        time_zone="Asia/Shanghai",
        language="zh-hans",
    )
    entries: list[AuditEntry] = [
        _entry(
            "core.company.create",
            company,
            _created(company, ("name", "slug", "industry", "country", "time_zone", "language")),
        )
    ]
    people = company_people(spec)
    parents = {d.name: d.parent for d in spec.departments}
    root = next(d.name for d in spec.departments if d.parent is None)
    heads = {p.department: p.handle for p in people if p.heads}
    executive = next(p.handle for p in people if p.role == Role.EXECUTIVE)
    heads.setdefault(root, executive)

    with scope(company=company):
        locations: dict[str, WorkLocation] = {}
        for loc in spec.locations:
            locations[loc.name] = WorkLocation.objects.create(
                company=company,
                name=loc.name,
                country=loc.country,
                city=loc.city,
                address=loc.address,
                time_zone=loc.time_zone,
            )
            entries.append(
                _entry(
                    "org.work_location.create",
                    locations[loc.name],
                    _created(locations[loc.name], ("name", "country", "city", "time_zone")),
                )
            )
        departments: dict[str, Department] = {}
        for order, dept in enumerate(spec.departments):
            departments[dept.name] = Department.objects.create(
                company=company,
                name=dept.name,
                code=dept.code,
                parent=departments[dept.parent] if dept.parent else None,
                sort_order=order,
            )
            entries.append(
                _entry(
                    "org.department.create",
                    departments[dept.name],
                    _created(departments[dept.name], ("name", "code", "parent", "sort_order")),
                )
            )
        positions: dict[str, Position] = {}
        for name, family in spec.positions:
            positions[name] = Position.objects.create(company=company, name=name, job_family=family)
            entries.append(
                _entry(
                    "org.position.create",
                    positions[name],
                    _created(positions[name], ("name", "job_family")),
                )
            )
        tags: dict[str, Tag] = {}
        for name in spec.tags:
            tags[name] = Tag.objects.create(company=company, name=name)
            entries.append(_entry("org.tag.create", tags[name], {"name": [None, name]}))
        for order, field in enumerate(spec.custom_fields):
            custom_field = CustomField.objects.create(
                company=company,
                code=field.code,
                label=field.label,
                field_type=field.field_type,
                choices=list(field.choices),
                sort_order=order,
            )
            entries.append(
                _entry(
                    "org.custom_field.create",
                    custom_field,
                    _created(custom_field, ("code", "label", "field_type", "choices")),
                )
            )

        users = User.objects.bulk_create(
            [
                User(
                    username=username_for(spec, person),
                    email=username_for(spec, person),
                    password=password_hash,
                    company=company,
                    role=person.role,
                    display_name=person.name,
                )
                for person in people
            ]
        )
        by_handle_user = {p.handle: u for p, u in zip(people, users, strict=True)}
        entries.extend(
            _entry("core.user.create", user, _created(user, ("username", "email", "role")))
            for user in users
        )

        hire_order = sorted(people, key=lambda p: (p.hired, p.handle))
        numbers = {p.handle: f"{spec.number_prefix}{i:03d}" for i, p in enumerate(hire_order, 1)}
        employees = Employee.objects.bulk_create(
            [
                Employee(
                    company=company,
                    user=by_handle_user[person.handle],
                    employee_number=numbers[person.handle],
                    name=person.name,
                    english_name=person.english_name,
                    email=username_for(spec, person),
                    phone=_phone(spec, person),
                    hire_date=dt.date.fromisoformat(person.hired),
                    status=person.status,
                    probation_end_date=_probation_end(person),
                    department=departments[person.department],
                    position=positions[person.position],
                    work_location=locations[person.location or spec.locations[0].name],
                    employment_type=person.employment_type,
                    working_hour_system=person.hours,
                    base_salary=Decimal(person.salary).quantize(Decimal("0.01")),
                    custom_fields=dict(person.custom),
                )
                for person in people
            ]
        )
        by_handle = {p.handle: e for p, e in zip(people, employees, strict=True)}
        for person, employee in zip(people, employees, strict=True):
            manager_handle = person.manager or _nearest_head(
                person.department, parents, heads, exclude=person.handle
            )
            if manager_handle is not None:
                employee.manager = by_handle[manager_handle]
        Employee.objects.bulk_update(employees, ["manager"])
        through = Employee.tags.through
        through.objects.bulk_create(
            [
                through(employee_id=by_handle[p.handle].pk, tag_id=tags[name].pk)
                for p in people
                for name in p.tags
            ]
        )
        for person, employee in zip(people, employees, strict=True):
            after = {
                **snapshot(employee, EMPLOYEE_FIELDS),
                "tags": sorted(tags[name].pk for name in person.tags),
            }
            entries.append(_entry("org.employee.create", employee, diff({}, after)))
        for dept_name, handle in heads.items():
            department = departments[dept_name]
            department.head = by_handle[handle]
            department.save(update_fields=["head"])
            entries.append(
                _entry(
                    "org.department.update",
                    department,
                    {"head": [None, str(by_handle[handle].pk)]},
                )
            )
    audit_record_many(company=company, actor=None, entries=entries, reason=DEMO_REASON)
    return company


def _phone(spec: CompanySpec, person: PersonSpec) -> str:
    """A stable, obviously fake mobile number (139 0000 xxxx)."""
    digits = random.Random(f"{spec.slug}:{person.handle}:phone").randint(0, 9999)
    return f"1390000{digits:04d}"


def _probation_end(person: PersonSpec) -> dt.date | None:
    if person.status != "probation":
        return None
    hired = dt.date.fromisoformat(person.hired)
    return months_later(hired, 6)


def months_later(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


@transaction.atomic
def demo_build(*, password: str = DEMO_PASSWORD) -> list[Company]:
    """Create the four demo companies and the platform admin; returns the companies."""
    password_hash = make_password(password)
    companies = [_build_company(spec, password_hash) for spec in COMPANIES]
    attendance_demo_build(companies)
    metrics_demo_build(companies, now=timezone.now())
    if not User.objects.filter(username=PLATFORM_ADMIN_USERNAME).exists():
        User.objects.create(
            username=PLATFORM_ADMIN_USERNAME,
            email=PLATFORM_ADMIN_EMAIL,
            password=password_hash,
            role=Role.PLATFORM_ADMIN,
            company=None,
            display_name="平台管理员",
        )
    return companies


def demo_load(*, reset: bool = False) -> DemoLoadResult:
    """Load the demo once: does nothing when the companies exist, unless ``reset``."""
    with scopes_disabled():
        present = bool(demo_companies())
    if present and not reset:
        return DemoLoadResult(created=False, logins=demo_logins())
    with transaction.atomic():
        if present:
            demo_remove()
        demo_build()
    return DemoLoadResult(created=True, logins=demo_logins())


__all__ = [
    "DemoLoadResult",
    "DemoLogin",
    "company_people",
    "demo_build",
    "demo_companies",
    "demo_load",
    "demo_logins",
    "demo_remove",
    "username_for",
]
