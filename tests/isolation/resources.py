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


def _work_schedule(company: Company, member: User) -> Model:
    from jixiao.attendance.models import WorkSchedule

    with scopes_disabled():
        return WorkSchedule.objects.create(
            company=company, name=f"工时规则{_n()}", system="standard", blocks=[["09:00", "18:00"]]
        )


def _shift_type(company: Company, member: User) -> Model:
    from jixiao.attendance.models import ShiftType

    with scopes_disabled():
        return ShiftType.objects.create(
            company=company, code=f"S{_n()}", name="班次", blocks=[["08:00", "16:00"]]
        )


def _rotation(company: Company, member: User) -> Model:
    from jixiao.attendance.models import RotationPattern

    shift = _shift_type(company, member)
    with scopes_disabled():
        code = str(getattr(shift, "code", ""))
        return RotationPattern.objects.create(
            company=company, name=f"轮班{_n()}", sequence=[code, ""]
        )


def _schedule_assignment(company: Company, member: User) -> Model:
    import datetime as dt

    from jixiao.attendance.models import ScheduleAssignment

    schedule = _work_schedule(company, member)
    with scopes_disabled():
        return ScheduleAssignment.objects.create(
            company=company,
            schedule=schedule,
            employee=Employee.objects.get(user=member),
            start_date=dt.date(2026, 1, 1),
        )


def _shift_swap(company: Company, member: User) -> Model:
    import datetime as dt

    from jixiao.attendance.models import ShiftSwapRequest

    with scopes_disabled():
        person = Employee.objects.get(user=member)
        return ShiftSwapRequest.objects.create(
            company=company,
            requester=person,
            counterpart=person,
            requester_date=dt.date(2026, 3, 2),
            counterpart_date=dt.date(2026, 3, 3),
        )


def _leave_type(company: Company, member: User) -> Model:
    from jixiao.attendance.models import LeaveType

    with scopes_disabled():
        n = _n()
        return LeaveType.objects.create(company=company, code=f"leave-{n}", name=f"假期{n}")


def _leave_request(company: Company, member: User) -> Model:
    import datetime as dt

    from jixiao.attendance.models import LeaveRequest

    leave_type = _leave_type(company, member)
    with scopes_disabled():
        return LeaveRequest.objects.create(
            company=company,
            employee=Employee.objects.get(user=member),
            leave_type=leave_type,
            start=dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC),
            end=dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
            days=1,
        )


def _overtime_request(company: Company, member: User) -> Model:
    import datetime as dt

    from jixiao.attendance.models import OvertimeRequest

    with scopes_disabled():
        return OvertimeRequest.objects.create(
            company=company,
            employee=Employee.objects.get(user=member),
            start=dt.datetime(2026, 3, 2, 11, tzinfo=dt.UTC),
            end=dt.datetime(2026, 3, 2, 13, tzinfo=dt.UTC),
            reason="隔离测试",
        )


def _correction(company: Company, member: User) -> Model:
    import datetime as dt

    from jixiao.attendance.models import PunchCorrection

    with scopes_disabled():
        return PunchCorrection.objects.create(
            company=company,
            employee=Employee.objects.get(user=member),
            date=dt.date(2026, 3, 2),
            kind=PunchCorrection.Kind.EXPLANATION,
            reason="隔离测试",
        )


def _punch(company: Company, member: User) -> Model:
    import datetime as dt

    from jixiao.attendance.models import Punch

    with scopes_disabled():
        return Punch.objects.create(
            company=company,
            employee=Employee.objects.get(user=member),
            at=dt.datetime(2026, 3, 2, 1, tzinfo=dt.UTC),
            source=Punch.Source.DEVICE,
            source_id=f"isolation-{_n()}",
        )


def _activity_policy(company: Company, member: User) -> Model:
    from jixiao.attendance.models import ActivityPolicy

    with scopes_disabled():
        return ActivityPolicy.objects.create(
            company=company, name=f"活动规则{_n()}", kinds=["call"]
        )


def _work_calendar(company: Company, member: User) -> Model:
    from jixiao.attendance.models import WorkCalendar

    with scopes_disabled():
        return WorkCalendar.objects.create(company=company, region=f"X{_n()}", name="日历")


def _calendar_year(company: Company, member: User) -> Model:
    from jixiao.attendance.models import CalendarYear

    calendar = _work_calendar(company, member)
    with scopes_disabled():
        return CalendarYear.objects.create(company=company, calendar=calendar, year=2026)


def _calendar_day(company: Company, member: User) -> Model:
    import datetime as dt

    from jixiao.attendance.models import CalendarDay

    year = _calendar_year(company, member)
    with scopes_disabled():
        return CalendarDay.objects.create(
            company=company,
            calendar_id=getattr(year, "calendar_id", None),
            date=dt.date(2026, 7, 3),
            kind="company_rest_day",
            name="隔离测试",
            origin="company",
        )


def _indicator(company: Company, member: User) -> Model:
    from django_scopes import scope

    from jixiao.metrics.library import library_install
    from jixiao.metrics.models import Indicator

    with scope(company=company):
        library_install(company=company, actor=member)
        return Indicator.objects.get(company=company, code="orders")


def _metric_source(company: Company, member: User) -> Model:
    from jixiao.metrics.models import MetricSource

    with scopes_disabled():
        return MetricSource.objects.create(company=company, name=f"隔离测试 {_n()}", kind="push")


def _metric_event(company: Company, member: User) -> Model:
    import datetime as dt
    from decimal import Decimal

    from django_scopes import scope

    from jixiao.metrics.event_input import EventInput
    from jixiao.metrics.models import MetricEvent
    from jixiao.metrics.services.ingest import metric_events_ingest

    _indicator(company, member)
    source = _metric_source(company, member)
    employee = _employee(company, member)
    item = EventInput(
        indicator_code="orders",
        value=Decimal(1),
        occurred_at=dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC),
        source_event_id=f"iso-{_n()}",
        employee_number=getattr(employee, "employee_number", ""),
    )
    with scope(company=company):
        result = metric_events_ingest(company=company, source=source, items=[item], actor=member)
        return MetricEvent.objects.get(pk=result.items[0].event_id)


def _metric_value(company: Company, member: User) -> Model:
    from jixiao.metrics.models import MetricValue

    event = _metric_event(company, member)
    with scopes_disabled():
        return MetricValue.objects.filter(employee_id=getattr(event, "employee_id", None)).first()  # type: ignore[return-value]


def _identity_link(company: Company, member: User) -> Model:
    from django_scopes import scope

    from jixiao.metrics.services.identities import identity_link_create

    employee = _employee(company, member)
    with scope(company=company):
        link, _ = identity_link_create(
            company=company,
            actor=member,
            identity=f"iso{_n()}@crm",
            employee=employee,  # type: ignore[arg-type]
        )
    return link


def _metric_dispute(company: Company, member: User) -> Model:
    from django_scopes import scope

    from jixiao.metrics.services.disputes import dispute_raise

    event = _metric_event(company, member)
    with scope(company=company):
        return dispute_raise(
            event=event,  # type: ignore[arg-type]
            employee=_employee(company, member),  # type: ignore[arg-type]
            actor=member,
            reason="隔离测试",
        )


def _manual_entry(company: Company, member: User) -> Model:
    import datetime as dt
    from decimal import Decimal

    from django_scopes import scope

    from jixiao.metrics.models import Indicator
    from jixiao.metrics.services.manual import manual_entry_submit

    _indicator(company, member)
    with scope(company=company):
        return manual_entry_submit(
            employee=_employee(company, member),  # type: ignore[arg-type]
            actor=member,
            indicator=Indicator.objects.get(company=company, code="process_savings"),
            value=Decimal("1200"),
            occurred_at=dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC),
            description="隔离测试",
        )


def _quality_check(company: Company, member: User) -> Model:
    import datetime as dt

    from jixiao.metrics.models import QualityCheck

    with scopes_disabled():
        return QualityCheck.objects.create(
            company=company,
            kind=QualityCheck.Kind.WEEKLY,
            period_start=dt.date(2026, 11, 16),
            period_end=dt.date(2026, 11, 23),
            status=QualityCheck.Status.OK,
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
    "schedule_id": _work_schedule,
    "shift_type_id": _shift_type,
    "rotation_id": _rotation,
    "assignment_id": _schedule_assignment,
    "swap_id": _shift_swap,
    "leave_type_id": _leave_type,
    "leave_request_id": _leave_request,
    "overtime_request_id": _overtime_request,
    "correction_id": _correction,
    "calendar_id": _work_calendar,
    "calendar_year_id": _calendar_year,
    "day_id": _calendar_day,
    "punch_id": _punch,
    "activity_policy_id": _activity_policy,
    "indicator_id": _indicator,
    "source_id": _metric_source,
    "value_id": _metric_value,
    "link_id": _identity_link,
    "dispute_id": _metric_dispute,
    "entry_id": _manual_entry,
    "check_id": _quality_check,
}

#: Body fields that name another resource: field → resource key in RESOURCES.
ALIASES: dict[str, str] = {
    "parent_id": "department_id",
    "head_id": "employee_id",
    "manager_id": "employee_id",
    "tag_ids": "tag_id",
    "counterpart_id": "employee_id",
    "employee_ids": "employee_id",
    "position_ids": "position_id",
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
    "schedules": "schedule_id",
    "shifts": "shift_type_id",
    "rotations": "rotation_id",
    "assignments": "assignment_id",
    "swaps": "swap_id",
    "values": "value_id",
    "indicators": "indicator_id",
    "manual": "entry_id",
    "checks": "check_id",
    "sources": "source_id",
}
