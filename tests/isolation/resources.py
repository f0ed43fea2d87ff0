"""What each API id refers to, and how to make one in a given company.

The isolation tests and the schema fuzzer look up every id they meet in an
operation — a path parameter like ``{employee_id}`` or a body field like
``department_id`` — here. A new endpoint whose id is missing makes the isolation
test fail with a message pointing to this file: add a factory for it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from django.db.models import Model
from django_scopes import scopes_disabled

from jixiao.core import services as core_services
from jixiao.core.models import ApiToken, Company, User
from jixiao.org.models import CustomField, Employee, Tag
from tests.factories import DepartmentFactory, PositionFactory, WorkLocationFactory

#: Builds one object of ``company``; ``member`` is a user of that company to own it.
Factory = Callable[[Company, User], Model]

_numbers = itertools.count(1)


def _n() -> int:
    return next(_numbers)


def _token(company: Company, member: User) -> Model:
    _, raw = core_services.api_token_create(
        user=member, name=f"隔离测试 {_n()}", expires_at=None, actor=member
    )
    with scopes_disabled():
        return ApiToken.objects.get(token_hash=ApiToken.hash_of(raw))


def _employee(company: Company, member: User) -> Model:
    with scopes_disabled():
        return Employee.objects.get(user=member)


def _employment_change(company: Company, member: User) -> Model:
    """A pending (future-dated) change, the kind that can still be cancelled."""
    import datetime as dt

    from django.utils import timezone

    from jixiao.org.models import EmploymentChange

    with scopes_disabled():
        return EmploymentChange.objects.create(
            company=company,
            employee=Employee.objects.get(user=member),
            field=EmploymentChange.Field.BASE_SALARY,
            old_value="8000.00",
            new_value="9000.00",
            effective_date=timezone.localdate() + dt.timedelta(days=30),
            applied=False,
            created_by=member,
        )


def _tag(company: Company, member: User) -> Model:
    with scopes_disabled():
        return Tag.objects.create(company=company, name=f"标签{_n()}")


def _custom_field(company: Company, member: User) -> Model:
    with scopes_disabled():
        n = _n()
        return CustomField.objects.create(company=company, code=f"field_{n}", label=f"字段{n}")


def _audit_event(company: Company, member: User) -> Model:
    from jixiao.audit.services import audit_record

    return audit_record(
        company=company,
        actor=member,
        action="test.isolation",
        object_type="test",
        object_id=str(_n()),
        object_repr="隔离测试",
    )


def _notification(company: Company, member: User) -> Model:
    from jixiao.notifications.models import Category, Notification

    with scopes_disabled():
        return Notification.objects.create(
            company=company, recipient=member, category=Category.SYSTEM, title="隔离测试通知"
        )


def _webhook(company: Company, member: User) -> Model:
    from jixiao.notifications.models import WebhookChannel, WebhookPlatform

    with scopes_disabled():
        return WebhookChannel.objects.create(
            company=company,
            name=f"机器人{_n()}",
            platform=WebhookPlatform.choices[0][0],
            # Port 9 (discard) on loopback: nothing here reaches the internet.
            url="http://127.0.0.1:9/robot/send",
        )


def _import_batch(company: Company, member: User) -> Model:
    from jixiao.imports.models import ImportBatch

    with scopes_disabled():
        return ImportBatch.objects.create(
            company=company,
            importer="employees",
            file_name="员工.csv",
            content=b"name\n",
            created_by=member,
        )


def _with_company(factory: Callable[..., Model]) -> Factory:
    def make(company: Company, member: User) -> Model:
        with scopes_disabled():
            return factory(company=company)

    return make


#: Path parameter and body field names → how to make the object they name.
RESOURCES: dict[str, Factory] = {
    "user_id": lambda company, member: member,
    "token_id": _token,
    "department_id": _with_company(DepartmentFactory),
    "position_id": _with_company(PositionFactory),
    "location_id": _with_company(WorkLocationFactory),
    "work_location_id": _with_company(WorkLocationFactory),
    "tag_id": _tag,
    "field_id": _custom_field,
    "employee_id": _employee,
    "change_id": _employment_change,
    "event_id": _audit_event,
    "notification_id": _notification,
    "webhook_id": _webhook,
    "batch_id": _import_batch,
}

#: Body fields that name another resource: field → resource key in RESOURCES.
ALIASES: dict[str, str] = {
    "parent_id": "department_id",
    "head_id": "employee_id",
    "manager_id": "employee_id",
    "tag_ids": "tag_id",
}


def resource_key(name: str, path: str = "") -> str | None:
    """The RESOURCES key for a parameter or field; ``"{path}:{name}"`` entries win."""
    for key in (f"{path}:{name}", name, ALIASES.get(name, "")):
        if key in RESOURCES:
            return key
    return None


def looks_like_id(name: str) -> bool:
    return name == "id" or name.endswith(("_id", "_ids"))


def make(key: str, company: Company, member: User) -> Any:
    return RESOURCES[key](company, member)


#: URL segments before a bare ``<int:pk>`` in web routes → resource key.
SEGMENTS: dict[str, str] = {
    "employees": "employee_id",
    "departments": "department_id",
    "positions": "position_id",
    "work-locations": "location_id",
    "tags": "tag_id",
    "custom-fields": "field_id",
    "events": "event_id",
    "users": "user_id",
    "tokens": "token_id",
    "webhooks": "webhook_id",
    "batches": "batch_id",
    "imports": "batch_id",
}
