"""REST endpoints for working-hour rules, presets, shift types, rotations, assignments,
the roster, shift swaps and the company's attendance policy.

Set-up (rules, shifts, rotations, assignments, presets, policy): HR admins
(``attendance.administer``); shift types are readable by every member. Roster
reads show the rows the caller may see; writes need ``attendance.manage_attendance``
on each person (their manager or HR). Another company's ids answer 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from jixiao.attendance import presets
from jixiao.attendance.models import (
    RotationPattern,
    ScheduleAssignment,
    ShiftSwapRequest,
    ShiftType,
    WorkSchedule,
)
from jixiao.attendance.selectors import schedules as selectors
from jixiao.attendance.services import policy as policy_services
from jixiao.attendance.services import schedules as services
from jixiao.core.api_errors import ServiceError
from jixiao.org.models import Department, Employee

router = Router(tags=["attendance-schedules"])

M = TypeVar("M", bound=Model)

SystemCode = Literal["standard", "flexible", "shift", "comprehensive", "unfixed"]
PeriodCode = Literal["", "week", "month", "quarter", "year"]
TimeText = str  # "HH:MM"


def _member(request: HttpRequest) -> Any:
    user = request.user
    if not user.has_perm("attendance.view_roster"):
        raise PermissionDenied
    return user


def _admin(request: HttpRequest) -> Any:
    user = _member(request)
    if not user.has_perm("attendance.administer"):
        raise PermissionDenied
    return user


def _get(request: HttpRequest, model: type[M], pk: int | None, field: str = "") -> M:
    """A row of the caller's company by id, else 404 (or a field error for body ids)."""
    user = _member(request)
    obj = model._default_manager.filter(company_id=user.company_id, pk=pk).first()  # type: ignore[misc]
    if obj is None:
        if field:
            raise ServiceError(
                _("所选对象不存在。"),
                code="not_found",
                status=404,
                fields={field: [_("所选对象不存在。")]},
            )
        raise Http404
    return obj  # type: ignore[no-any-return]


def _optional(request: HttpRequest, model: type[M], pk: int | None, field: str) -> M | None:
    return None if pk is None else _get(request, model, pk, field)


def _hm(value: dt.time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


# --- Working-hour rules ---------------------------------------------------------------


class ScheduleOut(Schema):
    id: int
    name: str
    system: str
    preset: str
    blocks: list[list[str]]
    breaks: list[list[str]]
    grace_late_minutes: int
    grace_early_minutes: int
    core_start: str | None
    core_end: str | None
    flex_earliest: str | None
    flex_latest: str | None
    daily_minutes: int
    period: str
    period_standard_minutes: int | None
    overtime_requires_approval: bool
    overtime_min_minutes: int
    rest_day_comp_leave: bool
    unfixed_statutory_holiday_pay: bool
    night_start: str
    night_end: str
    night_allowance_per_hour: Decimal
    day_boundary: str
    punch_required: bool


def _schedule_out(s: WorkSchedule) -> dict[str, Any]:
    return {
        "id": s.pk,
        "name": s.name,
        "system": s.system,
        "preset": s.preset,
        "blocks": s.blocks,
        "breaks": s.breaks,
        "grace_late_minutes": s.grace_late_minutes,
        "grace_early_minutes": s.grace_early_minutes,
        "core_start": _hm(s.core_start),
        "core_end": _hm(s.core_end),
        "flex_earliest": _hm(s.flex_earliest),
        "flex_latest": _hm(s.flex_latest),
        "daily_minutes": s.daily_minutes,
        "period": s.period,
        "period_standard_minutes": s.period_standard_minutes,
        "overtime_requires_approval": s.overtime_requires_approval,
        "overtime_min_minutes": s.overtime_min_minutes,
        "rest_day_comp_leave": s.rest_day_comp_leave,
        "unfixed_statutory_holiday_pay": s.unfixed_statutory_holiday_pay,
        "night_start": _hm(s.night_start),
        "night_end": _hm(s.night_end),
        "night_allowance_per_hour": s.night_allowance_per_hour,
        "day_boundary": _hm(s.day_boundary),
        "punch_required": s.punch_required,
    }


class ScheduleFields(Schema):
    blocks: list[list[str]] | None = Field(None, max_length=4)
    breaks: list[list[str]] | None = Field(None, max_length=4)
    grace_late_minutes: int | None = Field(None, ge=0, le=1440)
    grace_early_minutes: int | None = Field(None, ge=0, le=1440)
    core_start: TimeText | None = None
    core_end: TimeText | None = None
    flex_earliest: TimeText | None = None
    flex_latest: TimeText | None = None
    daily_minutes: int | None = Field(None, ge=0, le=1440)
    period: PeriodCode | None = None
    period_standard_minutes: int | None = Field(None, ge=1, le=600_000)
    overtime_requires_approval: bool | None = None
    overtime_min_minutes: int | None = Field(None, ge=0, le=1440)
    rest_day_comp_leave: bool | None = None
    unfixed_statutory_holiday_pay: bool | None = None
    night_start: TimeText | None = None
    night_end: TimeText | None = None
    night_allowance_per_hour: Decimal | None = Field(None, ge=0, max_digits=8, decimal_places=2)
    day_boundary: TimeText | None = None
    punch_required: bool | None = None
    reason: str = Field("", max_length=500)


class ScheduleIn(ScheduleFields):
    name: str = Field(..., max_length=100)
    system: SystemCode


class SchedulePatch(ScheduleFields):
    name: str | None = Field(None, max_length=100)
    system: SystemCode | None = None


def _schedule_values(payload: Schema) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    data.pop("reason", None)
    nullable = {"core_start", "core_end", "flex_earliest", "flex_latest", "period_standard_minutes"}
    return {k: v for k, v in data.items() if v is not None or k in nullable}


@router.get("/schedules", response=list[ScheduleOut])
def schedule_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_schedule_out(s) for s in selectors.schedules_for_viewer(_admin(request))]


@router.get("/schedules/{schedule_id}", response=ScheduleOut)
def schedule_get(request: HttpRequest, schedule_id: int) -> dict[str, Any]:
    schedule = _get(request, WorkSchedule, schedule_id)
    _admin(request)
    return _schedule_out(schedule)


@router.post("/schedules", response={201: ScheduleOut})
def schedule_create(request: HttpRequest, payload: ScheduleIn) -> Status[dict[str, Any]]:
    actor = _admin(request)
    values = _schedule_values(payload)
    schedule = services.schedule_create(
        company=actor.company,
        actor=actor,
        reason=payload.reason,
        **values,
    )
    return Status(201, _schedule_out(schedule))


@router.patch("/schedules/{schedule_id}", response=ScheduleOut)
def schedule_update(
    request: HttpRequest, schedule_id: int, payload: SchedulePatch
) -> dict[str, Any]:
    schedule = _get(request, WorkSchedule, schedule_id)
    actor = _admin(request)
    schedule = services.schedule_update(
        schedule=schedule, actor=actor, reason=payload.reason, **_schedule_values(payload)
    )
    return _schedule_out(schedule)


@router.delete("/schedules/{schedule_id}", response={204: None})
def schedule_delete(request: HttpRequest, schedule_id: int) -> Status[None]:
    schedule = _get(request, WorkSchedule, schedule_id)
    actor = _admin(request)
    services.schedule_delete(schedule=schedule, actor=actor)
    return Status(204, None)


# --- Presets ---------------------------------------------------------------------------


class PresetShiftOut(Schema):
    code: str
    name: str
    blocks: list[list[str]]


class PresetOut(Schema):
    key: str
    name: str
    industry: str
    description: str
    system: str
    shifts: list[PresetShiftOut]
    rotation: list[str]


class PresetCopyIn(Schema):
    preset_key: str = Field(..., max_length=40)
    name: str = Field("", max_length=100)


class PresetCopyOut(Schema):
    schedule: ScheduleOut
    shift_type_ids: list[int]
    rotation_id: int | None


@router.get("/schedule-presets", response=list[PresetOut])
def preset_list(request: HttpRequest) -> list[dict[str, Any]]:
    _admin(request)
    return [
        {
            "key": p.key,
            "name": str(p.name),
            "industry": str(p.industry),
            "description": str(p.description),
            "system": p.system,
            "shifts": [
                {"code": s.code, "name": str(s.name), "blocks": [list(b) for b in s.blocks]}
                for s in p.shifts
            ],
            "rotation": list(p.rotation),
        }
        for p in presets.PRESETS
    ]


@router.post("/schedule-presets/copy", response={201: PresetCopyOut})
def preset_copy(request: HttpRequest, payload: PresetCopyIn) -> Status[dict[str, Any]]:
    """Copy a preset into the company: a new rule, plus shift types and a rotation for shifts."""
    actor = _admin(request)
    copied = presets.preset_copy(
        company=actor.company, preset_key=payload.preset_key, name=payload.name, actor=actor
    )
    return Status(
        201,
        {
            "schedule": _schedule_out(copied.schedule),
            "shift_type_ids": [s.pk for s in copied.shifts],
            "rotation_id": copied.rotation.pk if copied.rotation else None,
        },
    )


# --- Shift types ---------------------------------------------------------------------------


class ShiftTypeOut(Schema):
    id: int
    code: str
    name: str
    blocks: list[list[str]]
    breaks: list[list[str]]
    color: str


class ShiftTypeIn(Schema):
    code: str = Field(..., max_length=20)
    name: str = Field(..., max_length=100)
    blocks: list[list[str]] = Field(..., max_length=4)
    breaks: list[list[str]] = Field(default_factory=list, max_length=4)
    color: str = Field("#3b82f6", max_length=7)


class ShiftTypePatch(Schema):
    code: str | None = Field(None, max_length=20)
    name: str | None = Field(None, max_length=100)
    blocks: list[list[str]] | None = Field(None, max_length=4)
    breaks: list[list[str]] | None = Field(None, max_length=4)
    color: str | None = Field(None, max_length=7)


@router.get("/shift-types", response=list[ShiftTypeOut])
def shift_type_list(request: HttpRequest) -> list[ShiftType]:
    return list(selectors.shift_types_for_viewer(_member(request)))


@router.get("/shift-types/{shift_type_id}", response=ShiftTypeOut)
def shift_type_get(request: HttpRequest, shift_type_id: int) -> ShiftType:
    return _get(request, ShiftType, shift_type_id)


@router.post("/shift-types", response={201: ShiftTypeOut})
def shift_type_create(request: HttpRequest, payload: ShiftTypeIn) -> Status[ShiftType]:
    actor = _admin(request)
    return Status(
        201, services.shift_type_create(company=actor.company, actor=actor, **payload.dict())
    )


@router.patch("/shift-types/{shift_type_id}", response=ShiftTypeOut)
def shift_type_update(
    request: HttpRequest, shift_type_id: int, payload: ShiftTypePatch
) -> ShiftType:
    shift = _get(request, ShiftType, shift_type_id)
    actor = _admin(request)
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.shift_type_update(shift=shift, actor=actor, **data)


@router.delete("/shift-types/{shift_type_id}", response={204: None})
def shift_type_delete(request: HttpRequest, shift_type_id: int) -> Status[None]:
    shift = _get(request, ShiftType, shift_type_id)
    actor = _admin(request)
    services.shift_type_delete(shift=shift, actor=actor)
    return Status(204, None)


# --- Rotations -------------------------------------------------------------------------------


class RotationOut(Schema):
    id: int
    name: str
    sequence: list[str]


class RotationIn(Schema):
    name: str = Field(..., max_length=100)
    sequence: list[str] = Field(..., max_length=62)


class RotationPatch(Schema):
    name: str | None = Field(None, max_length=100)
    sequence: list[str] | None = Field(None, max_length=62)


@router.get("/rotations", response=list[RotationOut])
def rotation_list(request: HttpRequest) -> list[RotationPattern]:
    return list(selectors.rotations_for_viewer(_admin(request)))


@router.get("/rotations/{rotation_id}", response=RotationOut)
def rotation_get(request: HttpRequest, rotation_id: int) -> RotationPattern:
    rotation = _get(request, RotationPattern, rotation_id)
    _admin(request)
    return rotation


@router.post("/rotations", response={201: RotationOut})
def rotation_create(request: HttpRequest, payload: RotationIn) -> Status[RotationPattern]:
    actor = _admin(request)
    return Status(
        201,
        services.rotation_create(
            company=actor.company, actor=actor, name=payload.name, sequence=payload.sequence
        ),
    )


@router.patch("/rotations/{rotation_id}", response=RotationOut)
def rotation_update(
    request: HttpRequest, rotation_id: int, payload: RotationPatch
) -> RotationPattern:
    rotation = _get(request, RotationPattern, rotation_id)
    actor = _admin(request)
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.rotation_update(rotation=rotation, actor=actor, **data)


@router.delete("/rotations/{rotation_id}", response={204: None})
def rotation_delete(request: HttpRequest, rotation_id: int) -> Status[None]:
    rotation = _get(request, RotationPattern, rotation_id)
    actor = _admin(request)
    services.rotation_delete(rotation=rotation, actor=actor)
    return Status(204, None)


# --- Assignments ---------------------------------------------------------------------------


class AssignmentOut(Schema):
    id: int
    schedule_id: int
    schedule_name: str
    employee_id: int | None
    department_id: int | None
    rotation_id: int | None
    rotation_offset: int
    start_date: dt.date
    end_date: dt.date | None


class AssignmentIn(Schema):
    schedule_id: int
    employee_id: int | None = None
    department_id: int | None = None
    rotation_id: int | None = None
    rotation_offset: int = Field(0, ge=0, le=1000)
    start_date: dt.date
    end_date: dt.date | None = None
    reason: str = Field("", max_length=500)


class AssignmentEndIn(Schema):
    end_date: dt.date
    reason: str = Field("", max_length=500)


def _assignment_out(a: ScheduleAssignment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "schedule_id": a.schedule_id,
        "schedule_name": a.schedule.name,
        "employee_id": a.employee_id,
        "department_id": a.department_id,
        "rotation_id": a.rotation_id,
        "rotation_offset": a.rotation_offset,
        "start_date": a.start_date,
        "end_date": a.end_date,
    }


@router.get("/schedule-assignments", response=list[AssignmentOut])
def assignment_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_assignment_out(a) for a in selectors.assignments_for_viewer(_admin(request))]


@router.post("/schedule-assignments", response={201: AssignmentOut})
def assignment_create(request: HttpRequest, payload: AssignmentIn) -> Status[dict[str, Any]]:
    """Assign a rule to one employee or one department (its whole subtree); 409 on overlap."""
    actor = _admin(request)
    assignment = services.assignment_create(
        company=actor.company,
        actor=actor,
        schedule=_get(request, WorkSchedule, payload.schedule_id, "schedule_id"),
        employee=_optional(request, Employee, payload.employee_id, "employee_id"),
        department=_optional(request, Department, payload.department_id, "department_id"),
        rotation=_optional(request, RotationPattern, payload.rotation_id, "rotation_id"),
        rotation_offset=payload.rotation_offset,
        start_date=payload.start_date,
        end_date=payload.end_date,
        reason=payload.reason,
    )
    return Status(201, _assignment_out(assignment))


@router.post("/schedule-assignments/{assignment_id}/end", response=AssignmentOut)
def assignment_end(
    request: HttpRequest, assignment_id: int, payload: AssignmentEndIn
) -> dict[str, Any]:
    assignment = _get(request, ScheduleAssignment, assignment_id)
    actor = _admin(request)
    return _assignment_out(
        services.assignment_end(
            assignment=assignment, end_date=payload.end_date, actor=actor, reason=payload.reason
        )
    )


@router.delete("/schedule-assignments/{assignment_id}", response={204: None})
def assignment_delete(request: HttpRequest, assignment_id: int) -> Status[None]:
    assignment = _get(request, ScheduleAssignment, assignment_id)
    actor = _admin(request)
    services.assignment_delete(assignment=assignment, actor=actor)
    return Status(204, None)


# --- Roster ----------------------------------------------------------------------------------


class RosterCellOut(Schema):
    date: dt.date
    shift_type_id: int | None
    shift_code: str
    rostered: bool


class RosterRowOut(Schema):
    employee_id: int
    employee_name: str
    editable: bool
    cells: list[RosterCellOut]


class RosterOut(Schema):
    start: dt.date
    end: dt.date
    rows: list[RosterRowOut]


class RosterQuery(Schema):
    start: dt.date
    end: dt.date


class RosterCellIn(Schema):
    employee_id: int
    date: dt.date
    shift_type_id: int | None = None


class RosterCellsIn(Schema):
    cells: list[RosterCellIn] = Field(..., min_length=1, max_length=2000)
    reason: str = Field("", max_length=500)


class RosterGenerateIn(Schema):
    employee_ids: list[int] = Field(..., min_length=1, max_length=2000)
    start: dt.date
    end: dt.date


class RosterGeneratedOut(Schema):
    written: int
    unchanged: int
    skipped: list[str]


def _roster_out(grid: selectors.RosterGrid) -> dict[str, Any]:
    return {
        "start": grid.start,
        "end": grid.end,
        "rows": [
            {
                "employee_id": row.employee.pk,
                "employee_name": row.employee.name,
                "editable": row.editable,
                "cells": [
                    {
                        "date": c.date,
                        "shift_type_id": c.shift.pk if c.shift else None,
                        "shift_code": c.shift.code if c.shift else "",
                        "rostered": c.rostered,
                    }
                    for c in row.cells
                ],
            }
            for row in grid.rows
        ],
    }


def _range_check(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise ServiceError(
            _("结束日期不能早于开始日期。"), fields={"end": [_("结束日期不能早于开始日期。")]}
        )
    if (end - start).days >= selectors.ROSTER_MAX_DAYS:
        raise ServiceError(
            _("一次最多查看 %(n)d 天的排班。") % {"n": selectors.ROSTER_MAX_DAYS},
            fields={"end": [_("范围太长。")]},
        )


@router.get("/roster", response=RosterOut)
def roster_get(request: HttpRequest, query: Query[RosterQuery]) -> dict[str, Any]:
    """The roster of everyone the caller may see, ``start``–``end`` (at most 62 days)."""
    viewer = _member(request)
    _range_check(query.start, query.end)
    return _roster_out(selectors.roster_grid(viewer, query.start, query.end))


def _editable_employee(request: HttpRequest, pk: int) -> Employee:
    employee = _get(request, Employee, pk, "employee_id")
    if not request.user.has_perm("attendance.manage_attendance", employee):
        raise PermissionDenied(_("只有该员工的上级或HR可以修改其排班。"))
    return employee


@router.put("/roster", response=list[RosterCellOut])
def roster_put(request: HttpRequest, payload: RosterCellsIn) -> list[dict[str, Any]]:
    """Set many cells at once (``shift_type_id`` null = day off); all or nothing."""
    actor = _member(request)
    cells = [
        (
            _editable_employee(request, cell.employee_id),
            cell.date,
            _optional(request, ShiftType, cell.shift_type_id, "shift_type_id"),
        )
        for cell in payload.cells
    ]
    entries = services.roster_set_many(
        company=actor.company, cells=cells, actor=actor, reason=payload.reason
    )
    return [
        {
            "date": e.date,
            "shift_type_id": e.shift_id,
            "shift_code": e.shift.code if e.shift else "",
            "rostered": True,
        }
        for e in entries
    ]


@router.post("/roster/generate", response=RosterGeneratedOut)
def roster_generate(request: HttpRequest, payload: RosterGenerateIn) -> dict[str, Any]:
    """Fill the range from each person's rotation (assignment start + offset)."""
    actor = _member(request)
    employees = [_editable_employee(request, pk) for pk in payload.employee_ids]
    _range_check(payload.start, payload.end)
    result = services.roster_generate(
        company=actor.company,
        employees=employees,
        start=payload.start,
        end=payload.end,
        actor=actor,
    )
    return {"written": result.written, "unchanged": result.unchanged, "skipped": result.skipped}


# --- Shift swaps -----------------------------------------------------------------------------


class SwapOut(Schema):
    id: int
    requester_id: int
    requester_name: str
    counterpart_id: int
    counterpart_name: str
    requester_date: dt.date
    counterpart_date: dt.date
    reason: str
    status: str
    decision_note: str


class SwapIn(Schema):
    counterpart_id: int
    requester_date: dt.date
    counterpart_date: dt.date
    reason: str = Field("", max_length=500)


class SwapDecisionIn(Schema):
    note: str = Field("", max_length=500)


def _swap_out(s: ShiftSwapRequest) -> dict[str, Any]:
    return {
        "id": s.pk,
        "requester_id": s.requester_id,
        "requester_name": s.requester.name,
        "counterpart_id": s.counterpart_id,
        "counterpart_name": s.counterpart.name,
        "requester_date": s.requester_date,
        "counterpart_date": s.counterpart_date,
        "reason": s.reason,
        "status": s.status,
        "decision_note": s.decision_note,
    }


@router.get("/shift-swaps", response=list[SwapOut])
def swap_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [_swap_out(s) for s in selectors.swaps_for_viewer(_member(request))[:500]]


@router.post("/shift-swaps", response={201: SwapOut})
def swap_create(request: HttpRequest, payload: SwapIn) -> Status[dict[str, Any]]:
    """Ask to swap with a colleague: on each date the two exchange their rostered shifts."""
    actor = _member(request)
    me = Employee.objects.filter(company_id=actor.company_id, user=actor).first()
    if me is None:
        raise PermissionDenied(_("你的账号没有关联员工档案，不能申请换班。"))
    counterpart = _get(request, Employee, payload.counterpart_id, "counterpart_id")
    swap = services.swap_request_create(
        requester=me,
        counterpart=counterpart,
        requester_date=payload.requester_date,
        counterpart_date=payload.counterpart_date,
        reason=payload.reason,
        actor=actor,
    )
    return Status(201, _swap_out(swap))


def _swap_decide(request: HttpRequest, swap_id: int, note: str, approve: bool) -> dict[str, Any]:
    swap = _get(request, ShiftSwapRequest, swap_id)
    actor = _member(request)
    for person in (swap.requester, swap.counterpart):
        if not actor.has_perm("attendance.manage_attendance", person):
            raise PermissionDenied(_("只有两人的上级或HR可以审批换班。"))
    return _swap_out(
        services.swap_request_decide(swap=swap, approve=approve, actor=actor, note=note)
    )


@router.post("/shift-swaps/{swap_id}/approve", response=SwapOut)
def swap_approve(request: HttpRequest, swap_id: int, payload: SwapDecisionIn) -> dict[str, Any]:
    return _swap_decide(request, swap_id, payload.note, approve=True)


@router.post("/shift-swaps/{swap_id}/reject", response=SwapOut)
def swap_reject(request: HttpRequest, swap_id: int, payload: SwapDecisionIn) -> dict[str, Any]:
    return _swap_decide(request, swap_id, payload.note, approve=False)


# --- Attendance policy -------------------------------------------------------------------------


class PolicyOut(Schema):
    lates_per_half_day_absence: int
    late_free_count: int
    monthly_overtime_cap_minutes: int
    daily_overtime_cap_minutes: int
    comp_leave_expiry_days: int
    monthly_correction_limit: int
    future_punch_tolerance_minutes: int


class PolicyIn(Schema):
    lates_per_half_day_absence: int | None = Field(None, ge=0, le=31)
    late_free_count: int | None = Field(None, ge=0, le=31)
    monthly_overtime_cap_minutes: int | None = Field(None, ge=0, le=100_000)
    daily_overtime_cap_minutes: int | None = Field(None, ge=0, le=1440)
    comp_leave_expiry_days: int | None = Field(None, ge=0, le=3660)
    monthly_correction_limit: int | None = Field(None, ge=0, le=31)
    future_punch_tolerance_minutes: int | None = Field(None, ge=0, le=1440)
    reason: str = Field("", max_length=500)


@router.get("/policy", response=PolicyOut)
def policy_get(request: HttpRequest) -> Any:
    actor = _admin(request)
    return policy_services.policy_get(actor.company)


@router.put("/policy", response=PolicyOut)
def policy_put(request: HttpRequest, payload: PolicyIn) -> Any:
    """Change the company's attendance rules; the fields sent are changed, audited."""
    actor = _admin(request)
    data = {
        k: v for k, v in payload.dict(exclude_unset=True).items() if k != "reason" and v is not None
    }
    return policy_services.policy_update(
        company=actor.company, actor=actor, reason=payload.reason, **data
    )
