"""Permission matrix for every schedules/roster/swap/policy page and endpoint.

Roles of 星海外贸 (刘HR, 陈总, 张经理, 王姐) plus the platform admin and an anonymous
visitor, against objects of their own company or of 别家公司 (404). For roster cells
the target is a person: 王姐 herself ("own"), 李哥 (same team), 赵工 (other team),
外人 (other company). Set-up is HR's; rosters are the manager's (own team) and HR's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django_scopes import scopes_disabled

from jixiao.attendance import presets
from jixiao.attendance.models import ShiftSwapRequest
from jixiao.attendance.services import schedules as services
from jixiao.core.models import Company, User
from jixiao.org.models import Employee
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

ROLES = ["hr", "executive", "manager", "employee", "platform_admin", "anonymous"]
MON = dt.date(2026, 3, 2)
API = "/api/v1/attendance"

Objs = dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # placeholders: {schedule} {spare_schedule} {shift} {spare_shift} {rotation} …
    kind: str  # admin | member | roster_person | roster_team | swap_decide | swap_create
    ok: int = 200
    body: Callable[[Objs], dict[str, Any]] | None = None
    api: bool = False
    object_in_path: bool = False
    htmx: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _setup(company: Company, hr: User, people: list[Employee]) -> Objs:
    """Rules, shifts and rotations of one company, with a roster for two people."""
    copied = presets.preset_copy(
        company=company, preset_key="retail_split", name="门店两头班", actor=hr
    )
    spare_schedule = presets.preset_copy(
        company=company, preset_key="office_standard", name="", actor=hr
    ).schedule
    spare_shift = services.shift_type_create(
        company=company, actor=hr, code="X", name="备用", blocks=[["09:00", "17:00"]]
    )
    spare_rotation = services.rotation_create(
        company=company, actor=hr, name="备用轮班", sequence=["X", ""]
    )
    assignment = None
    for offset, person in enumerate(people):
        assignment = services.assignment_create(
            company=company,
            actor=hr,
            schedule=copied.schedule,
            employee=person,
            rotation=copied.rotation,
            rotation_offset=offset * 2,
            start_date=MON,
        )
    return {
        "schedule": copied.schedule.pk,
        "shift": copied.shifts[0].pk,
        "rotation": copied.rotation.pk if copied.rotation else None,
        "spare_schedule": spare_schedule.pk,
        "spare_shift": spare_shift.pk,
        "spare_rotation": spare_rotation.pk,
        "assignment": assignment.pk if assignment else None,
    }


@pytest.fixture
def objects(world: World) -> dict[str, Objs]:
    with scopes_disabled():
        wang, li = world.person(world.employee), world.person(world.teammate)
        own = _setup(world.company, world.hr, [wang, li])
        services.roster_generate(
            company=world.company,
            employees=[wang, li],
            start=MON,
            end=MON + dt.timedelta(days=6),
            actor=world.hr,
        )
        own["swap"] = services.swap_request_create(
            requester=wang,
            counterpart=li,
            requester_date=MON + dt.timedelta(days=2),
            counterpart_date=MON + dt.timedelta(days=4),
            actor=world.employee,
        ).pk
        outsider, other_hr = world.person(world.outsider), world.person(world.other_hr)
        theirs = _setup(world.other_company, world.other_hr, [outsider])
        theirs["swap"] = ShiftSwapRequest.objects.create(
            company=world.other_company,
            requester=outsider,
            counterpart=other_hr,
            requester_date=MON,
            counterpart_date=MON,
        ).pk
    people = {
        "own": wang.pk,
        "same_team": li.pk,
        "other_team": world.person(world.other_team).pk,
        "other_company": outsider.pk,
    }
    own["people"] = people
    theirs["people"] = people
    return {"own": own, "other_company": theirs}


def _schedule_body(objs: Objs) -> dict[str, Any]:
    return {
        "name": "新规则",
        "system": "standard",
        "blocks": "09:00-18:00",
        "breaks": "12:00-13:00",
        "grace_late_minutes": 5,
        "grace_early_minutes": 0,
        "daily_minutes": 480,
        "overtime_min_minutes": 30,
        "night_start": "22:00",
        "night_end": "06:00",
        "night_allowance_per_hour": "0",
        "day_boundary": "04:00",
        "punch_required": "on",
    }


def _policy_body(objs: Objs) -> dict[str, Any]:
    return {
        "lates_per_half_day_absence": 3,
        "late_free_count": 1,
        "daily_overtime_cap_minutes": 180,
        "monthly_overtime_cap_minutes": 2160,
        "comp_leave_expiry_days": 180,
        "monthly_correction_limit": 3,
        "future_punch_tolerance_minutes": 10,
    }


THU = (MON + dt.timedelta(days=3)).isoformat()
NEXT_MON = (MON + dt.timedelta(days=7)).isoformat()

CASES = [
    # --- Pages: HR set-up ---
    Case("schedule_list", "get", "/attendance/schedules/", "admin"),
    Case("schedule_new", "get", "/attendance/schedules/new/?system=flexible", "admin"),
    Case("schedule_create", "post", "/attendance/schedules/new/", "admin", 302, _schedule_body),
    Case("schedule_edit", "get", "/attendance/schedules/{schedule}/", "admin", object_in_path=True),
    Case(
        "schedule_save",
        "post",
        "/attendance/schedules/{spare_schedule}/",
        "admin",
        302,
        _schedule_body,
        object_in_path=True,
    ),
    Case(
        "schedule_delete",
        "post",
        "/attendance/schedules/{spare_schedule}/delete/",
        "admin",
        302,
        object_in_path=True,
    ),
    Case(
        "preset_copy",
        "post",
        "/attendance/schedules/presets/copy/",
        "admin",
        302,
        lambda o: {"preset_key": "unfixed", "name": "外勤"},
    ),
    Case("shift_list", "get", "/attendance/shifts/", "admin"),
    Case(
        "shift_create",
        "post",
        "/attendance/shifts/",
        "admin",
        302,
        lambda o: {"code": "M", "name": "中班", "blocks": "12:00-20:00", "color": "#112233"},
    ),
    Case(
        "shift_delete",
        "post",
        "/attendance/shifts/{spare_shift}/delete/",
        "admin",
        302,
        object_in_path=True,
    ),
    Case("rotation_list", "get", "/attendance/rotations/", "admin"),
    Case(
        "rotation_create",
        "post",
        "/attendance/rotations/",
        "admin",
        302,
        lambda o: {"name": "新轮班", "sequence": "X,X,休"},
    ),
    Case(
        "rotation_delete",
        "post",
        "/attendance/rotations/{spare_rotation}/delete/",
        "admin",
        302,
        object_in_path=True,
    ),
    Case("assignment_list", "get", "/attendance/assignments/", "admin"),
    Case(
        "assignment_create",
        "post",
        "/attendance/assignments/",
        "admin",
        302,
        lambda o: {
            "schedule": o["spare_schedule"],
            "target": "employee",
            "employee_number": "A006",
            "rotation_offset": 0,
            "start_date": "2026-05-01",
        },
    ),
    Case(
        "assignment_end",
        "post",
        "/attendance/assignments/{assignment}/end/",
        "admin",
        302,
        lambda o: {"end_date": "2026-12-31"},
        object_in_path=True,
    ),
    Case(
        "assignment_delete",
        "post",
        "/attendance/assignments/{assignment}/delete/",
        "admin",
        302,
        object_in_path=True,
    ),
    Case("policy", "get", "/attendance/policy/", "admin"),
    Case("policy_save", "post", "/attendance/policy/", "admin", 302, _policy_body),
    # --- Pages: rosters and swaps ---
    Case("roster", "get", "/attendance/roster/?start=2026-03-02&view=month", "member"),
    Case("my_roster", "get", "/attendance/roster/mine/", "member"),
    Case(
        "roster_cell",
        "post",
        "/attendance/roster/cell/",
        "roster_person",
        200,
        lambda o: {"employee": o["person"], "date": NEXT_MON, "shift": ""},
        htmx=True,
    ),
    Case(
        "roster_generate",
        "post",
        "/attendance/roster/generate/",
        "roster_team",
        302,
        lambda o: {"start": "2026-03-09", "end": "2026-03-15", "view": "week"},
    ),
    Case("swap_list", "get", "/attendance/swaps/", "member"),
    Case("swap_new", "get", "/attendance/swaps/new/", "member"),
    Case(
        "swap_create",
        "post",
        "/attendance/swaps/new/",
        "swap_create",
        302,
        lambda o: {
            "counterpart": o["people"]["same_team"],
            "requester_date": THU,
            "counterpart_date": THU,
        },
    ),
    Case(
        "swap_decide",
        "post",
        "/attendance/swaps/{swap}/decide/",
        "swap_decide",
        302,
        lambda o: {"decision": "approve"},
        object_in_path=True,
    ),
    # --- API ---
    Case("api_schedules", "get", f"{API}/schedules", "admin", api=True),
    Case(
        "api_schedule_get",
        "get",
        f"{API}/schedules/{{schedule}}",
        "admin",
        api=True,
        object_in_path=True,
    ),
    Case(
        "api_schedule_create",
        "post",
        f"{API}/schedules",
        "admin",
        201,
        lambda o: {"name": "接口规则", "system": "unfixed"},
        api=True,
    ),
    Case(
        "api_schedule_patch",
        "patch",
        f"{API}/schedules/{{spare_schedule}}",
        "admin",
        200,
        lambda o: {"grace_late_minutes": 10},
        api=True,
        object_in_path=True,
    ),
    Case(
        "api_schedule_delete",
        "delete",
        f"{API}/schedules/{{spare_schedule}}",
        "admin",
        204,
        api=True,
        object_in_path=True,
    ),
    Case("api_presets", "get", f"{API}/schedule-presets", "admin", api=True),
    Case(
        "api_preset_copy",
        "post",
        f"{API}/schedule-presets/copy",
        "admin",
        201,
        lambda o: {"preset_key": "comprehensive_month", "name": "司机综合工时"},
        api=True,
    ),
    Case("api_shift_types", "get", f"{API}/shift-types", "member", api=True),
    Case(
        "api_shift_type_get",
        "get",
        f"{API}/shift-types/{{shift}}",
        "member",
        api=True,
        object_in_path=True,
    ),
    Case(
        "api_shift_type_create",
        "post",
        f"{API}/shift-types",
        "admin",
        201,
        lambda o: {"code": "E", "name": "晚班", "blocks": [["16:00", "00:00"]]},
        api=True,
    ),
    Case(
        "api_shift_type_patch",
        "patch",
        f"{API}/shift-types/{{spare_shift}}",
        "admin",
        200,
        lambda o: {"name": "备用班"},
        api=True,
        object_in_path=True,
    ),
    Case(
        "api_shift_type_delete",
        "delete",
        f"{API}/shift-types/{{spare_shift}}",
        "admin",
        409,
        api=True,
        object_in_path=True,
    ),  # 409: the spare rotation uses it
    Case("api_rotations", "get", f"{API}/rotations", "admin", api=True),
    Case(
        "api_rotation_get",
        "get",
        f"{API}/rotations/{{rotation}}",
        "admin",
        api=True,
        object_in_path=True,
    ),
    Case(
        "api_rotation_create",
        "post",
        f"{API}/rotations",
        "admin",
        201,
        lambda o: {"name": "四休二", "sequence": ["X", "X", "X", "X", "", ""]},
        api=True,
    ),
    Case(
        "api_rotation_patch",
        "patch",
        f"{API}/rotations/{{spare_rotation}}",
        "admin",
        200,
        lambda o: {"sequence": ["X", "X", ""]},
        api=True,
        object_in_path=True,
    ),
    Case(
        "api_rotation_delete",
        "delete",
        f"{API}/rotations/{{spare_rotation}}",
        "admin",
        204,
        api=True,
        object_in_path=True,
    ),
    Case("api_assignments", "get", f"{API}/schedule-assignments", "admin", api=True),
    Case(
        "api_assignment_create",
        "post",
        f"{API}/schedule-assignments",
        "admin",
        201,
        lambda o: {
            "schedule_id": o["spare_schedule"],
            "department_id": None,
            "employee_id": o["people"]["other_team"],
            "start_date": "2026-05-01",
        },
        api=True,
        extra={"own_ids_only": True},
    ),
    Case(
        "api_assignment_end",
        "post",
        f"{API}/schedule-assignments/{{assignment}}/end",
        "admin",
        200,
        lambda o: {"end_date": "2026-12-31"},
        api=True,
        object_in_path=True,
    ),
    Case(
        "api_assignment_delete",
        "delete",
        f"{API}/schedule-assignments/{{assignment}}",
        "admin",
        204,
        api=True,
        object_in_path=True,
    ),
    Case("api_roster", "get", f"{API}/roster?start=2026-03-02&end=2026-03-08", "member", api=True),
    Case(
        "api_roster_put",
        "put",
        f"{API}/roster",
        "roster_person",
        200,
        lambda o: {
            "cells": [{"employee_id": o["person"], "date": NEXT_MON, "shift_type_id": None}]
        },
        api=True,
    ),
    Case(
        "api_roster_generate",
        "post",
        f"{API}/roster/generate",
        "roster_person",
        200,
        lambda o: {"employee_ids": [o["person"]], "start": NEXT_MON, "end": NEXT_MON},
        api=True,
    ),
    Case("api_swaps", "get", f"{API}/shift-swaps", "member", api=True),
    Case(
        "api_swap_create",
        "post",
        f"{API}/shift-swaps",
        "swap_create",
        201,
        lambda o: {
            "counterpart_id": o["people"]["same_team"],
            "requester_date": THU,
            "counterpart_date": THU,
        },
        api=True,
    ),
    Case(
        "api_swap_approve",
        "post",
        f"{API}/shift-swaps/{{swap}}/approve",
        "swap_decide",
        200,
        lambda o: {"note": "同意"},
        api=True,
        object_in_path=True,
    ),
    Case(
        "api_swap_reject",
        "post",
        f"{API}/shift-swaps/{{swap}}/reject",
        "swap_decide",
        200,
        lambda o: {"note": "人手不够"},
        api=True,
        object_in_path=True,
    ),
    Case("api_policy", "get", f"{API}/policy", "admin", api=True),
    Case(
        "api_policy_put",
        "put",
        f"{API}/policy",
        "admin",
        200,
        lambda o: {"lates_per_half_day_absence": 4},
        api=True,
    ),
]

PERSON_TARGETS = ["own", "same_team", "other_team", "other_company"]
OBJECT_TARGETS = ["own", "other_company"]


def _params() -> list[Any]:
    params = []
    for case in CASES:
        if case.kind == "roster_person":
            targets = PERSON_TARGETS
        elif case.object_in_path:
            targets = OBJECT_TARGETS
        else:
            targets = ["own"]
        params += [pytest.param(case, target, id=f"{case.name}-{target}") for target in targets]
    return params


def _expected(case: Case, role: str, target: str) -> int:
    if role == "anonymous":
        return 401 if case.api else 302
    if role == "platform_admin":
        return 403
    if target == "other_company":
        return 404
    if case.kind == "admin":
        return case.ok if role == "hr" else 403
    if case.kind == "member":
        return case.ok
    if case.kind == "roster_team":
        return case.ok if role in ("hr", "manager") else 403
    if case.kind == "roster_person":
        if role == "hr" or (role == "manager" and target in ("own", "same_team")):
            return case.ok
        return 403
    if case.kind == "swap_decide":
        return case.ok if role in ("hr", "manager") else 403
    if case.kind == "swap_create":
        if role == "employee":
            return case.ok
        if role == "manager":  # same team as 李哥, but not rostered on Thursday
            return 409 if case.api else 422
        return 422  # 刘HR and 陈总 are not in 李哥's team
    raise AssertionError(case.kind)


def _client(world: World, role: str) -> Client:
    if role == "anonymous":
        return Client()
    return login(getattr(world, "employee" if role == "employee" else role))


def _send(client: Client, case: Case, path: str, body: dict[str, Any]) -> Any:
    if case.method == "get":
        return client.get(path)
    if case.api:
        return getattr(client, case.method)(
            path, data=json.dumps(body), content_type="application/json"
        )
    headers = {"HTTP_HX_REQUEST": "true"} if case.htmx else {}
    return client.post(path, data=body, **headers)


@pytest.mark.parametrize(("case", "target"), _params())
def test_permission_matrix(world: World, objects: dict[str, Objs], case: Case, target: str) -> None:
    """Each role in turn; every request runs in a savepoint that is rolled back after it,
    so one role's successful write never changes what the next role meets."""
    objs = dict(objects["other_company" if target == "other_company" else "own"])
    objs["person"] = objs["people"][target]
    path = case.path.format(**objs)
    body = case.body(objs) if case.body else {}
    wrong = {}
    for role in ROLES:
        with transaction.atomic():
            response = _send(_client(world, role), case, path, body)
            transaction.set_rollback(True)
        expected = _expected(case, role, target)
        if response.status_code != expected:
            wrong[role] = (expected, response.status_code, response.content[:300])
    assert not wrong, wrong
