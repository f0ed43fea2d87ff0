"""Work activities (seed 000: 李哥's calls to German customers at 22:00) and activity policies."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django_scopes import scope, scopes_disabled

from jixiao.attendance.models import ActivityPolicy, WorkActivity
from jixiao.attendance.services import activities as services
from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.org.models import Employee
from tests.conftest import World
from tests.factories import PositionFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 3, 2, 0, tzinfo=dt.UTC)

CALLS = [
    {"employee_number": "A005", "kind": "call", "started_at": "2026-11-02T22:00:00+08:00",
     "duration_minutes": 35, "source": "crm", "source_id": "call-881"},
    {"employee_number": "A005", "kind": "email", "started_at": "2026-11-02T22:50:00+08:00",
     "source": "mail", "source_id": "msg-17"},
]  # fmt: skip


@pytest.fixture
def in_a(world: World) -> object:
    with time_machine.travel(NOW, tick=False), scope(company=world.company):
        yield world


def test_calls_and_emails_are_stored_once(in_a: World) -> None:
    first = services.work_activity_batch_record(company=in_a.company, items=CALLS, actor=in_a.hr)
    again = services.work_activity_batch_record(company=in_a.company, items=CALLS, actor=in_a.hr)
    assert [o.status for o in first] == ["created", "created"]
    assert [o.status for o in again] == ["duplicate", "duplicate"]
    assert WorkActivity.objects.count() == 2
    call = WorkActivity.objects.get(source_id="call-881")
    assert call.started_at == dt.datetime(2026, 11, 2, 14, 0, tzinfo=dt.UTC)
    assert call.duration_minutes == 35
    assert AuditEvent.objects.filter(action="attendance.activity.create").count() == 2


def test_employee_by_id_and_per_item_errors(in_a: World) -> None:
    li = Employee.objects.get(employee_number="A005")
    items = [
        {**CALLS[0], "employee_number": None, "employee_id": li.pk, "source_id": "by-id"},
        {**CALLS[0], "employee_number": "Z999", "source_id": "z"},
        {**CALLS[0], "kind": "fax", "source_id": "f"},
        {**CALLS[0], "duration_minutes": 2000, "source_id": "long"},
        {**CALLS[0], "started_at": "2026-11-09T09:00:00+08:00", "source_id": "future"},
        {**CALLS[0], "source_id": ""},
    ]
    outcomes = services.work_activity_batch_record(company=in_a.company, items=items, actor=in_a.hr)
    assert [o.status for o in outcomes] == ["created"] + ["error"] * 5
    assert "employee_number" in outcomes[1].errors
    assert "kind" in outcomes[2].errors
    assert "duration_minutes" in outcomes[3].errors
    assert "started_at" in outcomes[4].errors
    assert "source_id" in outcomes[5].errors


def test_another_companys_employee_id_is_unknown(in_a: World) -> None:
    with scopes_disabled():
        outsider = Employee.objects.get(user=in_a.outsider)
    outcomes = services.work_activity_batch_record(
        company=in_a.company,
        items=[{**CALLS[0], "employee_number": None, "employee_id": outsider.pk}],
        actor=in_a.hr,
    )
    assert outcomes[0].status == "error"
    assert not WorkActivity.objects.exists()


def test_policy_crud_is_audited_and_covers_positions_and_people(in_a: World) -> None:
    sales = PositionFactory(company=in_a.company, name="外贸业务员")
    Employee.objects.filter(employee_number="A004").update(position=sales)
    li = Employee.objects.get(employee_number="A005")
    wang = Employee.objects.get(employee_number="A004")
    policy = services.activity_policy_create(
        company=in_a.company,
        actor=in_a.hr,
        name="外贸通话计时",
        kinds=["call", "email"],
        gap_join_minutes=20,
        email_credit_minutes=5,
        employee_ids=[li.pk],
    )
    assert services.activity_policy_for(li) == policy
    assert services.activity_policy_for(wang) is None
    services.activity_policy_update(
        policy=policy,
        actor=in_a.hr,
        name="外贸通话计时",
        kinds=["call"],
        enabled=True,
        gap_join_minutes=20,
        email_credit_minutes=5,
        position_ids=[sales.pk],
        employee_ids=[li.pk],
        reason="邮件不再计时",
    )
    wang.refresh_from_db()
    assert services.activity_policy_for(wang) == policy
    update = AuditEvent.objects.get(action="attendance.activity_policy.update")
    assert update.changes["kinds"] == [["call", "email"], ["call"]]
    assert update.reason == "邮件不再计时"
    services.activity_policy_delete(policy=policy, actor=in_a.hr)
    assert not ActivityPolicy.objects.exists()
    assert AuditEvent.objects.filter(action="attendance.activity_policy.delete").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"kinds": []}, "kinds"),
        ({"kinds": ["fax"]}, "kinds"),
        ({"gap_join_minutes": 500}, "gap_join_minutes"),
        ({"email_credit_minutes": -1}, "email_credit_minutes"),
        ({"position_ids": [999_999]}, "position_ids"),
    ],
)
def test_policy_refuses_bad_values(in_a: World, changes: dict[str, object], field: str) -> None:
    values: dict[str, object] = {
        "name": "规则",
        "kinds": ["call"],
        "gap_join_minutes": 30,
        "email_credit_minutes": 5,
        **changes,
    }
    with pytest.raises(ServiceError) as caught:
        services.activity_policy_create(company=in_a.company, actor=in_a.hr, **values)  # type: ignore[arg-type]
    assert field in caught.value.fields


def test_late_calls_reach_the_daily_result_when_the_policy_covers_him(in_a: World) -> None:
    from jixiao.attendance.models import DailyAttendance

    li = Employee.objects.get(employee_number="A005")
    services.activity_policy_create(
        company=in_a.company, actor=in_a.hr, name="外贸通话计时", kinds=["call", "email"],
        employee_ids=[li.pk],
    )  # fmt: skip
    services.work_activity_batch_record(company=in_a.company, items=CALLS, actor=in_a.hr)
    day = DailyAttendance.objects.get(employee=li, date=dt.date(2026, 11, 2))
    # The call (22:00, 35 min) and the email at 22:50 (5 min credit) join into one
    # session 22:00–22:55: the gap of 15 min is under the policy's 30.
    assert day.worked_minutes == 55
    sessions = [r for r in day.reasons if r["code"] == "activity_sessions"]
    assert sessions == [{"code": "activity_sessions", "params": {"count": 1, "minutes": 55}}]
