"""Working-hour rules, presets, shifts, rotations, assignments, rosters and swaps (services).

星海外贸: 刘HR sets up the rules; 张经理 rosters 王姐 and 李哥 in sales; 赵工 is in R&D.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from jixiao.attendance import presets
from jixiao.attendance.models import (
    AttendanceMonth,
    RosterEntry,
    ScheduleAssignment,
    ShiftSwapRequest,
    ShiftType,
    WorkSchedule,
)
from jixiao.attendance.schedules_rule import schedule_rule_build
from jixiao.attendance.selectors.schedules import roster_grid, schedule_for
from jixiao.attendance.services import schedules as services
from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.notifications.models import Notification
from jixiao.org.models import Employee
from tests.conftest import World

pytestmark = pytest.mark.usefixtures("unscoped")

MON = dt.date(2026, 3, 2)


def _errors(exc: pytest.ExceptionInfo[ServiceError]) -> dict[str, list[str]]:
    return exc.value.fields


def _standard(world: World, **values: Any) -> WorkSchedule:
    fields: dict[str, Any] = {"blocks": [["09:00", "18:00"]], "breaks": [["12:00", "13:00"]]}
    fields.update(values)
    return services.schedule_create(
        company=world.company,
        actor=world.hr,
        name=values.pop("name", "办公室"),
        system="standard",
        **{k: v for k, v in fields.items() if k != "name"},
    )


# --- Presets -----------------------------------------------------------------------------


def test_comprehensive_month_preset_is_165_36_hours_in_minutes(world: World) -> None:
    copied = presets.preset_copy(
        company=world.company, preset_key="comprehensive_month", name="", actor=world.hr
    )
    schedule = copied.schedule
    assert schedule.system == "comprehensive"
    assert schedule.period == "month"
    assert schedule.period_standard_minutes == 9922 == round(Decimal("165.36") * 60)
    assert schedule.preset == "comprehensive_month"
    assert copied.shifts == () and copied.rotation is None
    assert AuditEvent.objects.filter(
        company=world.company, action="attendance.schedule.preset_copy", object_id=str(schedule.pk)
    ).exists()


def test_office_and_flexible_presets_copy_exact_values(world: World) -> None:
    office = presets.preset_copy(
        company=world.company, preset_key="office_standard", name="总部办公室", actor=world.hr
    ).schedule
    assert office.name == "总部办公室"
    assert office.blocks == [["09:00", "18:00"]]
    assert office.breaks == [["12:00", "13:00"]]
    assert office.grace_late_minutes == 5
    assert office.daily_minutes == 480
    flexible = presets.preset_copy(
        company=world.company, preset_key="flexible_core", name="", actor=world.hr
    ).schedule
    assert (flexible.core_start, flexible.core_end) == (dt.time(9), dt.time(12))
    assert (flexible.flex_earliest, flexible.flex_latest) == (dt.time(7), dt.time(23))
    assert flexible.night_start == dt.time(22)
    assert flexible.night_allowance_per_hour == Decimal("20.00")
    assert flexible.daily_minutes == 480


def test_shift_presets_bring_their_shifts_and_rotations(world: World) -> None:
    two = presets.preset_copy(
        company=world.company, preset_key="manufacturing_two_shift", name="", actor=world.hr
    )
    assert {s.code: s.blocks for s in two.shifts} == {
        "D": [["08:00", "20:00"]],
        "N": [["20:00", "08:00"]],
    }
    assert two.rotation is not None and two.rotation.sequence == ["D", "D", "N", "N", "", ""]
    night = schedule_rule_build(two.schedule, two.shifts[1])
    assert night.daily_minutes == 720
    three = presets.preset_copy(
        company=world.company, preset_key="manufacturing_three_shift", name="", actor=world.hr
    )
    assert [s.blocks[0] for s in three.shifts] == [
        ["06:00", "14:00"],
        ["14:00", "22:00"],
        ["22:00", "06:00"],
    ]
    retail = presets.preset_copy(
        company=world.company, preset_key="retail_split", name="", actor=world.hr
    )
    assert retail.shifts[0].blocks == [["10:00", "14:00"], ["17:00", "21:00"]]
    assert retail.rotation is not None and retail.rotation.sequence == ["S"] * 4 + ["", ""]


def test_copying_a_preset_twice_renumbers_shift_codes_and_needs_a_new_name(world: World) -> None:
    presets.preset_copy(
        company=world.company, preset_key="manufacturing_three_shift", name="", actor=world.hr
    )
    with pytest.raises(ServiceError) as exc:
        presets.preset_copy(
            company=world.company, preset_key="manufacturing_three_shift", name="", actor=world.hr
        )
    assert exc.value.status == 409 and "name" in _errors(exc)
    again = presets.preset_copy(
        company=world.company,
        preset_key="manufacturing_three_shift",
        name="二车间三班倒",
        actor=world.hr,
    )
    assert [s.code for s in again.shifts] == ["A2", "B2", "C2"]
    assert again.rotation is not None and again.rotation.sequence[:2] == ["A2", "A2"]
    assert ShiftType.objects.filter(company=world.company).count() == 6


def test_unknown_preset_is_refused(world: World) -> None:
    with pytest.raises(ServiceError) as exc:
        presets.preset_copy(company=world.company, preset_key="nope", name="", actor=world.hr)
    assert exc.value.status == 404


# --- Validation -------------------------------------------------------------------------


def test_standard_rule_without_blocks_is_a_field_error(world: World) -> None:
    with pytest.raises(ServiceError) as exc:
        services.schedule_create(
            company=world.company, actor=world.hr, name="空", system="standard", blocks=[]
        )
    assert "上班时段" in _errors(exc)["blocks"][0]


def test_zero_length_block_and_bad_times_and_outside_breaks(world: World) -> None:
    with pytest.raises(ServiceError) as exc:
        services.schedule_create(
            company=world.company,
            actor=world.hr,
            name="错",
            system="standard",
            blocks=[["09:00", "09:00"]],
        )
    assert "长度为零" in _errors(exc)["blocks"][0]
    with pytest.raises(ServiceError) as exc:
        services.schedule_create(
            company=world.company,
            actor=world.hr,
            name="错",
            system="standard",
            blocks=[["9点", "18:00"]],
        )
    assert "不是有效的时间" in _errors(exc)["blocks"][0]
    with pytest.raises(ServiceError) as exc:
        _standard(world, breaks=[["18:30", "19:00"]])
    assert "不在任何上班时段之内" in _errors(exc)["breaks"][0]
    assert not WorkSchedule.objects.filter(company=world.company).exists()


def test_standard_daily_minutes_come_from_blocks_minus_breaks(world: World) -> None:
    schedule = _standard(world, daily_minutes=999)
    assert schedule.daily_minutes == 480


def test_flexible_core_must_lie_inside_the_window(world: World) -> None:
    with pytest.raises(ServiceError) as exc:
        services.schedule_create(
            company=world.company,
            actor=world.hr,
            name="弹性",
            system="flexible",
            core_start="06:00",
            core_end="12:00",
            flex_earliest="07:00",
            flex_latest="23:00",
        )
    assert "必须在弹性时间范围" in _errors(exc)["core_start"][0]
    with pytest.raises(ServiceError) as exc:
        services.schedule_create(
            company=world.company, actor=world.hr, name="弹性", system="flexible"
        )
    assert {"core_start", "core_end"} <= set(_errors(exc))


def test_comprehensive_needs_a_period_and_standard_minutes(world: World) -> None:
    with pytest.raises(ServiceError) as exc:
        services.schedule_create(
            company=world.company, actor=world.hr, name="综合", system="comprehensive"
        )
    assert {"period", "period_standard_minutes"} <= set(_errors(exc))


def test_shift_blocks_overnight_ok_overlaps_and_zero_length_refused(world: World) -> None:
    night = services.shift_type_create(
        company=world.company, actor=world.hr, code="N", name="夜班", blocks=[["22:00", "06:00"]]
    )
    assert night.blocks == [["22:00", "06:00"]]
    for blocks, message in (
        ([["08:00", "14:00"], ["13:00", "18:00"]], "重叠"),
        ([["22:00", "06:00"], ["05:00", "08:00"]], "重叠"),
        ([["10:00", "10:00"]], "长度为零"),
        ([["06:00", "08:00"], ["09:00", "10:00"], ["11:00", "12:00"]], "最多"),
    ):
        with pytest.raises(ServiceError) as exc:
            services.shift_type_create(
                company=world.company, actor=world.hr, code="X", name="坏", blocks=blocks
            )
        assert message in " ".join(_errors(exc)["blocks"]), blocks
    split = services.shift_type_create(
        company=world.company,
        actor=world.hr,
        code="S",
        name="两头班",
        blocks=[["10:00", "14:00"], ["17:00", "21:00"]],
    )
    assert len(split.blocks) == 2
    with pytest.raises(ServiceError) as exc:
        services.shift_type_create(
            company=world.company,
            actor=world.hr,
            code="N",
            name="重复",
            blocks=[["01:00", "02:00"]],
        )
    assert exc.value.status == 409


def test_rotation_codes_must_exist(world: World) -> None:
    services.shift_type_create(
        company=world.company, actor=world.hr, code="D", name="白班", blocks=[["08:00", "20:00"]]
    )
    with pytest.raises(ServiceError) as exc:
        services.rotation_create(
            company=world.company, actor=world.hr, name="轮", sequence=["D", "Q", ""]
        )
    assert "“Q”不存在" in _errors(exc)["sequence"][0]
    rotation = services.rotation_create(
        company=world.company, actor=world.hr, name="轮", sequence=["D", ""]
    )
    assert rotation.sequence == ["D", ""]
    with pytest.raises(ServiceError):
        services.shift_type_delete(
            shift=ShiftType.objects.get(company=world.company, code="D"), actor=world.hr
        )


# --- Assignments ---------------------------------------------------------------------------


def test_overlapping_assignment_of_the_same_employee_is_409_naming_the_other(world: World) -> None:
    office = _standard(world)
    wang = world.person(world.employee)
    first = services.assignment_create(
        company=world.company,
        actor=world.hr,
        schedule=office,
        employee=wang,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 6, 30),
    )
    with pytest.raises(ServiceError) as exc:
        services.assignment_create(
            company=world.company,
            actor=world.hr,
            schedule=office,
            employee=wang,
            start_date=dt.date(2026, 6, 1),
        )
    assert exc.value.status == 409 and exc.value.code == "assignment_overlap"
    assert f"#{first.pk}" in exc.value.message
    services.assignment_create(
        company=world.company,
        actor=world.hr,
        schedule=office,
        employee=wang,
        start_date=dt.date(2026, 7, 1),
    )
    with pytest.raises(ServiceError) as exc:
        services.assignment_end(assignment=first, end_date=dt.date(2026, 7, 5), actor=world.hr)
    assert exc.value.status == 409


def test_employee_xor_department(world: World) -> None:
    office = _standard(world)
    for target in ({}, {"employee": world.person(world.employee), "department": world.sales}):
        with pytest.raises(ServiceError) as exc:
            services.assignment_create(
                company=world.company, actor=world.hr, schedule=office, start_date=MON, **target
            )
        assert "employee" in _errors(exc)


def test_resolution_own_then_nearest_department_up_the_tree(world: World) -> None:
    office = _standard(world)
    flexible = presets.preset_copy(
        company=world.company, preset_key="flexible_core", name="", actor=world.hr
    ).schedule
    unfixed = presets.preset_copy(
        company=world.company, preset_key="unfixed", name="", actor=world.hr
    ).schedule
    wang, zhao = world.person(world.employee), world.person(world.other_team)
    root = world.sales.parent
    assert root is not None
    services.assignment_create(
        company=world.company, actor=world.hr, schedule=office, department=root, start_date=MON
    )
    assert schedule_for(zhao, MON).schedule == office  # type: ignore[union-attr]
    assert schedule_for(wang, MON).schedule == office  # type: ignore[union-attr]
    services.assignment_create(
        company=world.company,
        actor=world.hr,
        schedule=unfixed,
        department=world.sales,
        start_date=MON,
    )
    assert schedule_for(wang, MON).schedule == unfixed  # type: ignore[union-attr]
    own = services.assignment_create(
        company=world.company, actor=world.hr, schedule=flexible, employee=wang, start_date=MON
    )
    resolved = schedule_for(wang, MON)
    assert resolved is not None and resolved.assignment == own
    assert schedule_for(wang, MON - dt.timedelta(days=1)) is None
    assert schedule_for(zhao, MON).schedule == office  # type: ignore[union-attr]


# --- Rosters ---------------------------------------------------------------------------


@pytest.fixture
def four_on_two_off(world: World) -> dict[str, Any]:
    """Retail split shifts, four on two off; 王姐 from offset 0, 李哥 from offset 2."""
    copied = presets.preset_copy(
        company=world.company, preset_key="retail_split", name="门店两头班", actor=world.hr
    )
    wang, li = world.person(world.employee), world.person(world.teammate)
    for person, offset in ((wang, 0), (li, 2)):
        services.assignment_create(
            company=world.company,
            actor=world.hr,
            schedule=copied.schedule,
            employee=person,
            rotation=copied.rotation,
            rotation_offset=offset,
            start_date=MON,
        )
    return {"wang": wang, "li": li, "shift": copied.shifts[0], "schedule": copied.schedule}


def _codes(employee: Employee, start: dt.date, days: int) -> list[str]:
    entries = {
        e.date: e for e in RosterEntry.objects.filter(employee=employee).select_related("shift")
    }
    out = []
    for i in range(days):
        entry = entries.get(start + dt.timedelta(days=i))
        out.append("?" if entry is None else (entry.shift.code if entry.shift else "-"))
    return out


def test_roster_generation_from_four_on_two_off(world: World, four_on_two_off: Any) -> None:
    wang, li = four_on_two_off["wang"], four_on_two_off["li"]
    zhao = world.person(world.other_team)
    end = MON + dt.timedelta(days=11)
    result = services.roster_generate(
        company=world.company, employees=[wang, li, zhao], start=MON, end=end, actor=world.hr
    )
    assert _codes(wang, MON, 12) == list("SSSS--SSSS--")
    assert _codes(li, MON, 12) == list("SS--SSSS--SS")
    assert result.written == 24 and result.skipped == ("赵工",)
    assert AuditEvent.objects.filter(action="attendance.roster.generate").count() == 24
    again = services.roster_generate(
        company=world.company, employees=[wang, li], start=MON, end=end, actor=world.hr
    )
    assert (again.written, again.unchanged) == (0, 24)


def test_manager_rosters_own_team_only(world: World, four_on_two_off: Any) -> None:
    wang, zhao = four_on_two_off["wang"], world.person(world.other_team)
    shift = four_on_two_off["shift"]
    entry = services.roster_set(employee=wang, date=MON, shift=shift, actor=world.manager)
    assert entry.shift == shift and entry.updated_by == world.manager
    event = AuditEvent.objects.get(action="attendance.roster.set")
    assert event.changes == {"shift": ["", "S"]}
    for person, actor in ((zhao, world.manager), (wang, world.teammate), (wang, world.executive)):
        with pytest.raises(ServiceError) as exc:
            services.roster_set(employee=person, date=MON, shift=shift, actor=actor)
        assert exc.value.status == 403
    with pytest.raises(ServiceError):
        services.roster_set(
            employee=world.manager_employee, date=MON, shift=shift, actor=world.manager
        )


def test_locked_month_refuses_roster_edits(world: World, four_on_two_off: Any) -> None:
    AttendanceMonth.objects.create(
        company=world.company, year=2026, month=3, status=AttendanceMonth.Status.LOCKED
    )
    wang = four_on_two_off["wang"]
    with pytest.raises(ServiceError) as exc:
        services.roster_set(
            employee=wang, date=MON, shift=four_on_two_off["shift"], actor=world.manager
        )
    assert exc.value.status == 409 and exc.value.code == "month_locked"
    assert "2026年3月" in exc.value.message
    with pytest.raises(ServiceError):
        services.roster_generate(
            company=world.company, employees=[wang], start=MON, end=MON, actor=world.hr
        )
    assert not RosterEntry.objects.exists()
    april = dt.date(2026, 4, 1)
    services.roster_set(employee=wang, date=april, shift=None, actor=world.hr)
    assert RosterEntry.objects.get(employee=wang, date=april).shift is None


def test_roster_grid_shows_only_what_the_viewer_may_see(world: World, four_on_two_off: Any) -> None:
    manager_grid = roster_grid(world.manager, MON, MON + dt.timedelta(days=6))
    rows = {row.employee.name: row.editable for row in manager_grid.rows}
    assert rows == {"张经理": False, "王姐": True, "李哥": True}
    employee_grid = roster_grid(world.employee, MON, MON)
    assert [(r.employee.name, r.editable) for r in employee_grid.rows] == [("王姐", False)]
    hr_grid = roster_grid(world.hr, MON, MON)
    assert all(r.editable for r in hr_grid.rows) and len(hr_grid.rows) == 6
    assert len(manager_grid.dates) == 7


# --- Shift swaps -----------------------------------------------------------------------------


@pytest.fixture
def rostered(world: World, four_on_two_off: Any) -> dict[str, Any]:
    """王姐 and 李哥 rostered for the first week of March 2026."""
    wang, li = four_on_two_off["wang"], four_on_two_off["li"]
    services.roster_generate(
        company=world.company,
        employees=[wang, li],
        start=MON,
        end=MON + dt.timedelta(days=6),
        actor=world.hr,
    )
    return four_on_two_off


def test_swap_approval_exchanges_the_shifts_atomically_audited_and_notified(
    world: World, rostered: Any
) -> None:
    wang, li = rostered["wang"], rostered["li"]
    wed, fri = MON + dt.timedelta(days=2), MON + dt.timedelta(days=4)
    # 王姐: Wed S, Fri off; 李哥: Wed off, Fri S. She gives Wed to him and takes his Fri.
    assert _codes(wang, wed, 3) == ["S", "S", "-"] and _codes(li, wed, 3) == ["-", "-", "S"]
    swap = services.swap_request_create(
        requester=wang,
        counterpart=li,
        requester_date=wed,
        counterpart_date=fri,
        reason="周三家里有事",
        actor=world.employee,
    )
    assert Notification.objects.filter(recipient=world.teammate).count() == 1
    assert Notification.objects.filter(recipient=world.manager).count() == 1
    decided = services.swap_request_decide(
        swap=swap, approve=True, actor=world.manager, note="同意"
    )
    assert decided.status == "approved" and decided.decided_by == world.manager
    assert _codes(wang, wed, 3) == ["-", "S", "S"]
    assert _codes(li, wed, 3) == ["S", "-", "-"]
    assert AuditEvent.objects.filter(action="attendance.swap.approve").count() == 1
    assert AuditEvent.objects.filter(action="attendance.roster.swap").count() == 4
    for user in (world.employee, world.teammate):
        assert Notification.objects.filter(recipient=user, title="换班申请已通过").exists()
    with pytest.raises(ServiceError) as exc:
        services.swap_request_decide(swap=swap, approve=False, actor=world.manager)
    assert exc.value.status == 409


def test_swap_approval_is_all_or_nothing(world: World, rostered: Any) -> None:
    wang, li = rostered["wang"], rostered["li"]
    wed, fri = MON + dt.timedelta(days=2), MON + dt.timedelta(days=4)
    swap = services.swap_request_create(
        requester=wang,
        counterpart=li,
        requester_date=wed,
        counterpart_date=fri,
        actor=world.employee,
    )
    RosterEntry.objects.filter(employee=li, date=fri).delete()
    with pytest.raises(ServiceError) as exc:
        services.swap_request_decide(swap=swap, approve=True, actor=world.manager)
    assert exc.value.code == "not_rostered"
    swap.refresh_from_db()
    assert swap.status == "pending"
    assert _codes(wang, wed, 3) == ["S", "S", "-"]
    assert not AuditEvent.objects.filter(action__startswith="attendance.swap.approve").exists()


def test_swap_rules(world: World, rostered: Any) -> None:
    wang, li = rostered["wang"], rostered["li"]
    zhao = world.person(world.other_team)
    with pytest.raises(ServiceError) as exc:
        services.swap_request_create(
            requester=wang,
            counterpart=zhao,
            requester_date=MON,
            counterpart_date=MON,
            actor=world.employee,
        )
    assert "counterpart" in exc.value.fields
    with pytest.raises(ServiceError) as exc:
        services.swap_request_create(
            requester=wang,
            counterpart=li,
            requester_date=MON + dt.timedelta(days=20),
            counterpart_date=MON + dt.timedelta(days=20),
            actor=world.employee,
        )
    assert exc.value.code == "not_rostered"
    with pytest.raises(ServiceError) as exc:
        services.swap_request_create(
            requester=wang,
            counterpart=li,
            requester_date=MON,
            counterpart_date=MON,
            actor=world.employee,
        )
    assert exc.value.code == "swap_no_change"  # both work S on Monday
    swap = services.swap_request_create(
        requester=wang,
        counterpart=li,
        requester_date=MON + dt.timedelta(days=2),
        counterpart_date=MON + dt.timedelta(days=2),
        actor=world.employee,
    )
    with pytest.raises(ServiceError) as exc:
        services.swap_request_decide(swap=swap, approve=True, actor=world.employee)
    assert exc.value.status == 403
    rejected = services.swap_request_decide(swap=swap, approve=False, actor=world.hr)
    assert rejected.status == "rejected"
    assert _codes(wang, MON + dt.timedelta(days=2), 1) == ["S"]
    assert ShiftSwapRequest.objects.count() == 1
    assert ScheduleAssignment.objects.count() == 2
