"""Work activities from other systems (calls, emails) and the policies that make them work time.

Seed 000: 李哥 calls German customers at 22:00–23:00; when the company enables an
``ActivityPolicy`` for his position, those calls become evening work sessions in the
daily results (overtime and the night allowance), with each call as the evidence.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.attendance.models import ActivityPolicy, WorkActivity
from jixiao.attendance.services.punches import (
    MAX_BATCH_ITEMS,
    employee_zone,
    future_tolerance,
    recompute,
    work_dates,
)
from jixiao.audit.services import AuditEntry, audit_record, audit_record_many, diff, snapshot
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.org.models import Employee, Position

ACTIVITY_KINDS = ("call", "email", "meeting", "chat", "visit")
MAX_DURATION_MINUTES = 24 * 60
POLICY_AUDIT_FIELDS = ("name", "enabled", "kinds", "gap_join_minutes", "email_credit_minutes")


@dataclass
class ActivityOutcome:
    index: int
    status: str  # created | duplicate | error
    activity: WorkActivity | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def _start(value: Any, employee: Employee) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if not isinstance(value, dt.datetime):
        raise ValueError(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=employee_zone(employee))
    return value.astimezone(dt.UTC)


@transaction.atomic
def work_activity_batch_record(
    *, company: Company, items: Sequence[Mapping[str, Any]], actor: User | None
) -> list[ActivityOutcome]:
    """Store calls/emails from a CRM or mail system; idempotent by (source, source_id)."""
    if len(items) > MAX_BATCH_ITEMS:
        message = _("每批最多 %(n)d 条活动。") % {"n": MAX_BATCH_ITEMS}
        raise ServiceError(message, code="too_large", status=413, fields={"items": [message]})
    now = timezone.now()
    tolerance = future_tolerance(company)
    numbers = {str(i.get("employee_number") or "").strip() for i in items} - {""}
    ids = {int(i["employee_id"]) for i in items if str(i.get("employee_id") or "").isdigit()}
    employees = list(
        Employee.objects.filter(company=company, employee_number__in=numbers).select_related(
            "work_location", "company"
        )
    ) + list(
        Employee.objects.filter(company=company, pk__in=ids).select_related(
            "work_location", "company"
        )
    )
    by_number = {e.employee_number: e for e in employees}
    by_id = {e.pk: e for e in employees}
    keys = {(str(i.get("source") or ""), str(i.get("source_id") or "")) for i in items}
    stored = {
        (a.source, a.source_id): a
        for a in WorkActivity.objects.filter(
            company=company,
            source__in={k[0] for k in keys},
            source_id__in={k[1] for k in keys},
        )
    }
    outcomes: list[ActivityOutcome] = []
    new: list[WorkActivity] = []
    seen: dict[tuple[str, str], WorkActivity] = {}
    for index, item in enumerate(items):
        outcome = ActivityOutcome(index, "error")
        outcomes.append(outcome)
        number = str(item.get("employee_number") or "").strip()
        raw_id = item.get("employee_id")
        employee = by_number.get(number) if number else None
        if employee is None and raw_id is not None and str(raw_id).isdigit():
            employee = by_id.get(int(raw_id))
        if employee is None:
            if number:
                outcome.errors["employee_number"] = [
                    _("工号“%(n)s”在本公司不存在。") % {"n": number}
                ]
            else:
                outcome.errors["employee_id"] = [_("员工不存在。")]
        source = str(item.get("source") or "").strip()[:40]
        source_id = str(item.get("source_id") or "").strip()[:100]
        if not source:
            outcome.errors["source"] = [_("请填写来源系统。")]
        if not source_id:
            outcome.errors["source_id"] = [_("请填写来源编号，用于去重。")]
        kind = str(item.get("kind") or "").strip()
        if kind not in ACTIVITY_KINDS:
            outcome.errors["kind"] = [
                _("活动类型无效，可选：%(k)s。") % {"k": "、".join(ACTIVITY_KINDS)}
            ]
        try:
            duration = int(item.get("duration_minutes") or 0)
        except (TypeError, ValueError):
            duration = -1
        if not 0 <= duration <= MAX_DURATION_MINUTES:
            outcome.errors["duration_minutes"] = [_("时长必须在 0 到 1440 分钟之间。")]
        started: dt.datetime | None = None
        if employee is not None:
            try:
                started = _start(item.get("started_at"), employee)
            except (TypeError, ValueError):
                outcome.errors["started_at"] = [_("开始时间无法识别，请使用 ISO 8601 格式。")]
            else:
                if started > now + tolerance:
                    outcome.errors["started_at"] = [_("开始时间在未来，不能记录。")]
        if outcome.errors:
            continue
        assert employee is not None and started is not None
        key = (source, source_id)
        if key in stored or key in seen:
            outcome.status = "duplicate"
            outcome.activity = stored.get(key) or seen[key]
            continue
        detail = item.get("detail") or {}
        activity = WorkActivity(
            company=company,
            employee=employee,
            kind=kind,
            started_at=started,
            duration_minutes=duration,
            source=source,
            source_id=source_id,
            detail=detail if isinstance(detail, dict) else {},
        )
        seen[key] = activity
        new.append(activity)
        outcome.status, outcome.activity = "created", activity
    new.sort(key=lambda a: (a.employee_id, a.started_at))
    WorkActivity.objects.bulk_create(new)
    audit_record_many(
        company=company,
        actor=actor,
        entries=[
            AuditEntry(
                "attendance.activity.create",
                "attendance.workactivity",
                str(a.pk),
                str(a),
                {
                    "kind": [None, a.kind],
                    "started_at": [None, a.started_at],
                    "duration_minutes": [None, a.duration_minutes],
                    "source": [None, f"{a.source}:{a.source_id}"],
                },
            )
            for a in new
        ],
        reason=_("批量导入工作活动"),
    )
    touched: dict[Employee, set[dt.date]] = defaultdict(set)
    for activity in new:
        touched[activity.employee] |= work_dates(
            activity.started_at, employee_zone(activity.employee)
        )
    recompute(company=company, dates_by_employee=touched, actor=actor)
    return outcomes


# --- Activity policies ---------------------------------------------------------------------


def _policy_values(
    company: Company,
    *,
    name: str,
    kinds: Iterable[str],
    gap_join_minutes: int,
    email_credit_minutes: int,
    position_ids: Iterable[int],
    employee_ids: Iterable[int],
) -> tuple[str, list[str], list[Position], list[Employee]]:
    fields: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        fields["name"] = [_("请填写名称。")]
    elif len(name) > 100:
        fields["name"] = [_("名称不能超过 100 个字。")]
    kind_list = list(dict.fromkeys(kinds))
    if not kind_list:
        fields["kinds"] = [_("请至少选择一种计入工时的活动。")]
    elif any(k not in ACTIVITY_KINDS for k in kind_list):
        fields["kinds"] = [_("活动类型无效，可选：%(k)s。") % {"k": "、".join(ACTIVITY_KINDS)}]
    if not 0 <= gap_join_minutes <= 240:
        fields["gap_join_minutes"] = [_("合并间隔必须在 0 到 240 分钟之间。")]
    if not 0 <= email_credit_minutes <= 60:
        fields["email_credit_minutes"] = [_("每封邮件计时必须在 0 到 60 分钟之间。")]
    wanted_positions = set(position_ids)
    positions = list(Position.objects.filter(company=company, pk__in=wanted_positions))
    if len(positions) != len(wanted_positions):
        fields["position_ids"] = [_("所选岗位不存在。")]
    wanted_employees = set(employee_ids)
    employees = list(Employee.objects.filter(company=company, pk__in=wanted_employees))
    if len(employees) != len(wanted_employees):
        fields["employee_ids"] = [_("所选员工不存在。")]
    if fields:
        first = next(iter(fields.values()))[0]
        raise ServiceError(first, fields=fields)
    return name, kind_list, positions, employees


def _policy_snapshot(policy: ActivityPolicy) -> dict[str, Any]:
    data = snapshot(policy, POLICY_AUDIT_FIELDS)
    data["positions"] = sorted(policy.positions.values_list("pk", flat=True))
    data["employees"] = sorted(policy.employees.values_list("pk", flat=True))
    return data


@transaction.atomic
def activity_policy_create(
    *,
    company: Company,
    actor: User | None,
    name: str,
    kinds: Iterable[str],
    enabled: bool = True,
    gap_join_minutes: int = 30,
    email_credit_minutes: int = 5,
    position_ids: Iterable[int] = (),
    employee_ids: Iterable[int] = (),
) -> ActivityPolicy:
    name, kind_list, positions, employees = _policy_values(
        company,
        name=name,
        kinds=kinds,
        gap_join_minutes=gap_join_minutes,
        email_credit_minutes=email_credit_minutes,
        position_ids=position_ids,
        employee_ids=employee_ids,
    )
    policy = ActivityPolicy.objects.create(
        company=company,
        name=name,
        enabled=enabled,
        kinds=kind_list,
        gap_join_minutes=gap_join_minutes,
        email_credit_minutes=email_credit_minutes,
    )
    policy.positions.set(positions)
    policy.employees.set(employees)
    audit_record(
        company=company,
        actor=actor,
        action="attendance.activity_policy.create",
        obj=policy,
        changes=diff({}, _policy_snapshot(policy)),
    )
    return policy


@transaction.atomic
def activity_policy_update(
    *,
    policy: ActivityPolicy,
    actor: User | None,
    name: str,
    kinds: Iterable[str],
    enabled: bool,
    gap_join_minutes: int,
    email_credit_minutes: int,
    position_ids: Iterable[int],
    employee_ids: Iterable[int],
    reason: str = "",
) -> ActivityPolicy:
    company = policy.company
    name, kind_list, positions, employees = _policy_values(
        company,
        name=name,
        kinds=kinds,
        gap_join_minutes=gap_join_minutes,
        email_credit_minutes=email_credit_minutes,
        position_ids=position_ids,
        employee_ids=employee_ids,
    )
    before = _policy_snapshot(policy)
    policy.name, policy.kinds, policy.enabled = name, kind_list, enabled
    policy.gap_join_minutes = gap_join_minutes
    policy.email_credit_minutes = email_credit_minutes
    policy.save()
    policy.positions.set(positions)
    policy.employees.set(employees)
    changes = diff(before, _policy_snapshot(policy))
    if changes:
        audit_record(
            company=company,
            actor=actor,
            action="attendance.activity_policy.update",
            obj=policy,
            changes=changes,
            reason=reason,
        )
    return policy


@transaction.atomic
def activity_policy_delete(*, policy: ActivityPolicy, actor: User | None, reason: str = "") -> None:
    company = policy.company
    before = _policy_snapshot(policy)
    audit_record(
        company=company,
        actor=actor,
        action="attendance.activity_policy.delete",
        obj=policy,
        changes=diff(before, {}),
        reason=reason,
    )
    policy.delete()


def activity_policy_for(employee: Employee) -> ActivityPolicy | None:
    """The enabled policy that covers this employee (named directly, else by position)."""
    policies = ActivityPolicy.objects.filter(company_id=employee.company_id, enabled=True)
    direct = policies.filter(employees=employee).order_by("pk").first()
    if direct is not None or employee.position_id is None:
        return direct
    return policies.filter(positions=employee.position_id).order_by("pk").first()
