"""The schedule pages as people use them: HR copies presets and assigns rules, 张经理
edits his team's roster cell by cell (htmx), 王姐 asks 李哥 to swap and 张经理 approves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django_scopes import scopes_disabled

from jixiao.attendance import presets
from jixiao.attendance.models import AttendanceMonth, RosterEntry, ShiftSwapRequest, WorkSchedule
from jixiao.attendance.services import schedules as services
from tests.conftest import World, login

pytestmark = pytest.mark.django_db

MON = dt.date(2026, 3, 2)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def retail(world: World) -> dict[str, Any]:
    with scopes_disabled():
        copied = presets.preset_copy(
            company=world.company, preset_key="retail_split", name="门店两头班", actor=world.hr
        )
        wang, li = world.person(world.employee), world.person(world.teammate)
        for offset, person in enumerate((wang, li)):
            services.assignment_create(
                company=world.company,
                actor=world.hr,
                schedule=copied.schedule,
                employee=person,
                rotation=copied.rotation,
                rotation_offset=offset * 2,
                start_date=MON,
            )
    return {"wang": wang, "li": li, "shift": copied.shifts[0], "schedule": copied.schedule}


def test_hr_copies_a_preset_and_sees_the_fields_of_its_system(world: World) -> None:
    client = login(world.hr)
    page = client.get("/attendance/schedules/").content.decode()
    assert "从模板创建" in page and "综合工时（月）" in page
    response = client.post(
        "/attendance/schedules/presets/copy/",
        {"preset_key": "comprehensive_month", "name": "司机综合工时"},
    )
    with scopes_disabled():
        schedule = WorkSchedule.objects.get(company=world.company, name="司机综合工时")
    assert response.status_code == 302
    assert response["Location"] == f"/attendance/schedules/{schedule.pk}/"
    edit = client.get(response["Location"]).content.decode()
    assert 'data-systems="comprehensive"' in edit
    assert 'value="9922"' in edit
    assert "attendance/schedules.js" in edit


def test_schedule_form_shows_service_errors_on_fields(world: World) -> None:
    response = login(world.hr).post(
        "/attendance/schedules/new/",
        {
            "name": "坏规则",
            "system": "standard",
            "blocks": "09:00-09:00",
            "grace_late_minutes": 5,
            "grace_early_minutes": 0,
            "daily_minutes": 480,
            "overtime_min_minutes": 30,
            "night_start": "22:00",
            "night_end": "06:00",
            "night_allowance_per_hour": "0",
            "day_boundary": "04:00",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-testid="error-blocks"' in page and "长度为零" in page
    bad_format = login(world.hr).post(
        "/attendance/shifts/", {"code": "N", "name": "夜", "blocks": "晚上十点", "color": "#000000"}
    )
    assert bad_format.status_code == 422
    assert "格式不对" in bad_format.content.decode()


def test_overlapping_assignment_form_names_the_conflict(world: World, retail: Any) -> None:
    response = login(world.hr).post(
        "/attendance/assignments/",
        {
            "schedule": retail["schedule"].pk,
            "target": "employee",
            "employee_number": "A004",
            "rotation_offset": 0,
            "start_date": "2026-04-01",
        },
    )
    assert response.status_code == 422
    assert "重叠" in response.content.decode()


def test_manager_edits_a_cell_with_htmx_and_the_employee_only_sees(
    world: World, retail: Any
) -> None:
    manager = login(world.manager)
    grid = manager.get("/attendance/roster/?start=2026-03-02").content.decode()
    wang = retail["wang"]
    assert f'data-testid="roster-row-{wang.pk}"' in grid
    assert 'hx-post="/attendance/roster/cell/"' in grid
    response = manager.post(
        "/attendance/roster/cell/",
        {"employee": wang.pk, "date": "2026-03-04", "shift": retail["shift"].pk},
        **HTMX,
    )
    assert response.status_code == 200
    cell = response.content.decode()
    assert cell.startswith("<td") and "selected" in cell and "#ec4899" in cell
    with scopes_disabled():
        assert (
            RosterEntry.objects.get(employee=wang, date=dt.date(2026, 3, 4)).shift
            == retail["shift"]
        )
    mine = login(world.employee).get("/attendance/roster/?start=2026-03-02").content.decode()
    assert "hx-post" not in mine and "按轮班生成" not in mine


def test_locked_month_cell_edit_shows_the_refusal_in_the_cell(world: World, retail: Any) -> None:
    with scopes_disabled():
        AttendanceMonth.objects.create(
            company=world.company, year=2026, month=3, status=AttendanceMonth.Status.LOCKED
        )
    response = login(world.manager).post(
        "/attendance/roster/cell/",
        {"employee": retail["wang"].pk, "date": "2026-03-04", "shift": retail["shift"].pk},
        **HTMX,
    )
    assert response.status_code == 200
    assert "已锁定" in response.content.decode() and 'role="alert"' in response.content.decode()
    with scopes_disabled():
        assert not RosterEntry.objects.exists()


def test_generate_button_fills_the_week_from_the_rotation(world: World, retail: Any) -> None:
    response = login(world.manager).post(
        "/attendance/roster/generate/", {"start": "2026-03-02", "end": "2026-03-08"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert RosterEntry.objects.filter(employee=retail["wang"]).count() == 7
        assert (
            RosterEntry.objects.filter(employee=retail["wang"], shift__isnull=False).count() == 5
        )  # S S S S - - S


def test_swap_requested_by_wang_and_approved_by_the_manager(world: World, retail: Any) -> None:
    with scopes_disabled():
        services.roster_generate(
            company=world.company,
            employees=[retail["wang"], retail["li"]],
            start=MON,
            end=MON + dt.timedelta(days=6),
            actor=world.hr,
        )
    employee = login(world.employee)
    form = employee.get("/attendance/swaps/new/").content.decode()
    assert "李哥" in form and "赵工" not in form
    response = employee.post(
        "/attendance/swaps/new/",
        {
            "counterpart": retail["li"].pk,
            "requester_date": "2026-03-04",
            "counterpart_date": "2026-03-06",
            "reason": "看病",
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        swap = ShiftSwapRequest.objects.get()
    manager = login(world.manager)
    listing = manager.get("/attendance/swaps/").content.decode()
    assert "看病" in listing and 'value="approve"' in listing
    assert 'value="approve"' not in employee.get("/attendance/swaps/").content.decode()
    decided = manager.post(f"/attendance/swaps/{swap.pk}/decide/", {"decision": "approve"})
    assert decided.status_code == 302
    with scopes_disabled():
        swap.refresh_from_db()
        wed = RosterEntry.objects.get(employee=retail["wang"], date=dt.date(2026, 3, 4))
    assert swap.status == "approved" and wed.shift is None


def test_my_roster_shows_my_rule_and_shifts(world: World, retail: Any) -> None:
    with scopes_disabled():
        services.roster_set(
            employee=retail["wang"],
            date=dt.date.today() + dt.timedelta(days=1),
            shift=retail["shift"],
            actor=world.manager,
        )
    page = login(world.employee).get("/attendance/roster/mine/").content.decode()
    assert "门店两头班" in page and "10:00–14:00" in page


def test_switching_a_rule_to_shifts_drops_the_hidden_office_hours(world: World) -> None:
    with scopes_disabled():
        office = presets.preset_copy(
            company=world.company, preset_key="office_standard", name="", actor=world.hr
        ).schedule
    form = {
        "name": "仓库",
        "system": "shift",
        "blocks": "09:00-18:00",  # still in the hidden fieldset
        "breaks": "12:00-13:00",
        "grace_late_minutes": 5,
        "grace_early_minutes": 0,
        "shift_grace_late": 10,
        "daily_minutes": 480,
        "overtime_min_minutes": 30,
        "night_start": "22:00",
        "night_end": "06:00",
        "night_allowance_per_hour": "0",
        "day_boundary": "04:00",
        "punch_required": "on",
    }
    response = login(world.hr).post(f"/attendance/schedules/{office.pk}/", form)
    assert response.status_code == 302
    with scopes_disabled():
        office.refresh_from_db()
    assert (office.system, office.blocks, office.grace_late_minutes) == ("shift", [], 10)
