"""Attendance for the demo companies: calendars, working-hour rules, rosters, punches.

Everything is drawn from a seeded random generator, so every load gives the same
rows for the same day: most people punch on time, some arrive 5–20 minutes late,
a few forget a punch, some stay late. 李哥 of 海星外贸 calls his German customers
at 22:00–23:00 (seed 000): those calls are work activities that count as evening
work for the 外贸业务员 positions. The data covers the last two full months and
the current month up to yesterday, in the company's time zone.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections, router
from django.db.models import Model
from django.utils import timezone
from django_scopes import scope

from jixiao.attendance.engine import DayKind
from jixiao.attendance.models import (
    ActivityPolicy,
    CalendarDay,
    Punch,
    RosterEntry,
    ScheduleAssignment,
    ShiftType,
    WorkActivity,
    WorkCalendar,
    WorkSchedule,
)
from jixiao.attendance.services.calendars import (
    calendar_seed,
    calendar_year_confirm,
    company_day_set,
)
from jixiao.attendance.services.punch_import import punches_insert
from jixiao.attendance.setup_cache import setup_changed
from jixiao.audit.services import AuditEntry, audit_record_many
from jixiao.core.models import Company, Role, User
from jixiao.demo.companies import (
    COMPANIES,
    HOURS_COMPREHENSIVE,
    HOURS_FLEXIBLE,
    HOURS_SHIFT,
    HOURS_UNFIXED,
    CompanySpec,
)
from jixiao.org.models import Department, Employee, Position

DEMO_REASON = "演示数据（manage.py demo_load）"
WORKING_KINDS = {DayKind.WORKDAY.value, DayKind.MAKEUP_WORKDAY.value}
ACTIVITY_POSITIONS = ("资深外贸业务员", "外贸业务员")
ASSIGNMENTS_FROM = dt.date(2025, 1, 1)
DEVICE = "ZK-常州-01"  # the factory's time clock

# Which preset each company's people follow, by working-hour system (and, for
# shift work, by workshop).
SHIFT_PRESET_BY_DEPARTMENT = {
    "冲压车间": "manufacturing_two_shift",
    "装配车间": "manufacturing_three_shift",
    "质量部": "manufacturing_three_shift",
}


@dataclass(frozen=True)
class Plan:
    """What one person's schedule looks like to the punch generator."""

    kind: str  # "office", "flexible", "comprehensive", "unfixed", "shift"
    schedule: WorkSchedule
    rotation: Sequence[str] = ()
    offset: int = 0


def months_back(today: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` before today's."""
    index = today.year * 12 + today.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(day: dt.date) -> dt.date:
    following = months_back(day, -1)
    return following - dt.timedelta(days=1)


def _entry(action: str, obj: Model, changes: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        changes=changes,
    )


def _insert(model: type[Model], objects: Sequence[Model]) -> None:
    """Insert unsaved instances with one ``executemany``; much faster than ``bulk_create``
    for the thousands of plain rows of a demo (no signals, no returned ids)."""
    if not objects:
        return
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    now = timezone.now()
    for obj in objects:
        for field in fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                setattr(obj, field.attname, now)
    ops = connection.ops
    table = ops.quote_name(model._meta.db_table)
    names = ", ".join(ops.quote_name(f.column) for f in fields)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    rows = [
        tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields)
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _dates(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def _hr(company: Company) -> User:
    return User.objects.filter(company=company, role=Role.HR_ADMIN).order_by("pk").first()  # type: ignore[return-value]


# --- Calendars -------------------------------------------------------------------------------


def _calendars(company: Company, hr: User, today: dt.date) -> None:
    """China for last, this and next year; each foreign location's country this and next."""
    for year in (today.year - 1, today.year, today.year + 1):
        calendar_seed(company=company, region="CN", year=year, actor=hr)
    countries = sorted(
        {
            c
            for c in Employee.objects.filter(company=company).values_list(
                "work_location__country", flat=True
            )
            if c and c != "CN"
        }
    )
    for country in countries:
        current = calendar_seed(company=company, region=country, year=today.year, actor=hr)
        calendar_year_confirm(
            calendar_year=current, actor=hr, reason="已核对驻外办事处当地公共假日"
        )
        calendar_seed(company=company, region=country, year=today.year + 1, actor=hr)


def _company_day(company: Company, hr: User, start: dt.date, name: str) -> None:
    """A company day on the first Friday workday of the month of ``start``."""
    calendar = WorkCalendar.objects.get(company=company, region="CN")
    kinds = dict(
        CalendarDay.objects.filter(
            calendar=calendar, date__gte=start, date__lte=_month_end(start)
        ).values_list("date", "kind")
    )
    for day in sorted(kinds):
        if day.weekday() == 4 and kinds[day] == DayKind.WORKDAY.value:
            company_day_set(calendar=calendar, date=day, name=name, actor=hr, reason="年度计划")
            return


# --- Working-hour rules ----------------------------------------------------------------------


def _schedules(company: Company, spec: CompanySpec, hr: User) -> dict[str, WorkSchedule]:
    from jixiao.attendance.presets import preset_copy
    from jixiao.attendance.services.schedules import schedule_update

    made: dict[str, WorkSchedule] = {
        "office": preset_copy(
            company=company, preset_key="office_standard", name="办公室标准工时", actor=hr
        ).schedule
    }
    systems = {p.hours for p in _people(spec)}
    if HOURS_FLEXIBLE in systems and spec.slug == "lanhe":
        made["flexible"] = preset_copy(
            company=company,
            preset_key="comprehensive_month",
            name="售后综合工时（月 165.36 小时）",
            actor=hr,
        ).schedule
    elif HOURS_FLEXIBLE in systems:
        name = "外贸弹性工时（核心 9:00–12:00）" if spec.slug == "haixing" else "研发弹性工时"
        flexible = preset_copy(
            company=company, preset_key="flexible_core", name=name, actor=hr
        ).schedule
        if spec.slug != "haixing":  # the 20 yuan night allowance is 海星外贸's rule (seed 000)
            flexible = schedule_update(
                schedule=flexible, actor=hr, night_allowance_per_hour=Decimal("0.00")
            )
        made["flexible"] = flexible
    if HOURS_COMPREHENSIVE in systems:
        made["comprehensive"] = preset_copy(
            company=company, preset_key="comprehensive_month", name="仓储综合工时（月）", actor=hr
        ).schedule
    if HOURS_UNFIXED in systems:
        made["unfixed"] = preset_copy(
            company=company, preset_key="unfixed", name="外勤不定时工时", actor=hr
        ).schedule
    if HOURS_SHIFT in systems:
        for key in sorted(set(SHIFT_PRESET_BY_DEPARTMENT.values())):
            made[key] = preset_copy(company=company, preset_key=key, actor=hr).schedule
    return made


def _people(spec: CompanySpec) -> list[Any]:
    from jixiao.demo.builder import company_people

    return company_people(spec)


def _plans(
    company: Company,
    spec: CompanySpec,
    hr: User,
    schedules: dict[str, WorkSchedule],
    entries: list[AuditEntry],
) -> dict[int, Plan]:
    """Departments get their rule; shift workers get their own with a staggered rotation."""
    from jixiao.attendance.models import RotationPattern

    employees = list(
        Employee.objects.filter(company=company)
        .select_related("department")
        .order_by("employee_number")
    )
    rotations = {
        key: list(
            RotationPattern.objects.filter(
                company=company, name__in=_rotation_names(schedules[key])
            ).order_by("pk")
        )
        for key in schedules
        if key.startswith("manufacturing")
    }
    root = Department.objects.get(company=company, parent=None)
    assignments = [
        ScheduleAssignment(
            company=company,
            schedule=schedules["office"],
            department=root,
            start_date=ASSIGNMENTS_FROM,
            created_by=hr,
        )
    ]
    by_department: dict[int, set[str]] = {}
    for employee in employees:
        by_department.setdefault(employee.department_id, set()).add(employee.working_hour_system)
    plans: dict[int, Plan] = {}
    shift_index: dict[str, int] = {}
    kind_of = {
        HOURS_FLEXIBLE: "flexible",
        HOURS_COMPREHENSIVE: "comprehensive",
        HOURS_UNFIXED: "unfixed",
    }
    department_done: set[int] = set()
    for employee in employees:
        system = employee.working_hour_system
        if system == HOURS_SHIFT:
            key = SHIFT_PRESET_BY_DEPARTMENT.get(
                employee.department.name, "manufacturing_three_shift"
            )
            rotation = rotations[key][0]
            index = shift_index.get(key, 0)
            shift_index[key] = index + 1
            # Crews two days apart, so every shift of the rotation is staffed.
            offset = (index * 2) % len(rotation.sequence)
            assignments.append(
                ScheduleAssignment(
                    company=company,
                    schedule=schedules[key],
                    employee=employee,
                    rotation=rotation,
                    rotation_offset=offset,
                    start_date=ASSIGNMENTS_FROM,
                    created_by=hr,
                )
            )
            plans[employee.pk] = Plan("shift", schedules[key], list(rotation.sequence), offset)
            continue
        kind = kind_of.get(system, "office")
        schedule = schedules.get(kind, schedules["office"])
        plans[employee.pk] = Plan(kind if kind in schedules else "office", schedule)
        if schedule == schedules["office"]:
            continue
        department_systems = by_department[employee.department_id]
        if department_systems == {system}:
            if employee.department_id not in department_done:
                department_done.add(employee.department_id)
                assignments.append(
                    ScheduleAssignment(
                        company=company,
                        schedule=schedule,
                        department=employee.department,
                        start_date=ASSIGNMENTS_FROM,
                        created_by=hr,
                    )
                )
        else:
            assignments.append(
                ScheduleAssignment(
                    company=company,
                    schedule=schedule,
                    employee=employee,
                    start_date=ASSIGNMENTS_FROM,
                    created_by=hr,
                )
            )
    ScheduleAssignment.objects.bulk_create(assignments)
    setup_changed(company.pk)  # a bulk insert sends no signals
    entries.extend(
        _entry(
            "attendance.assignment.create",
            a,
            {
                "schedule": [None, str(a.schedule_id)],
                "employee": [None, str(a.employee_id) if a.employee_id else None],
                "department": [None, str(a.department_id) if a.department_id else None],
                "rotation_offset": [None, a.rotation_offset],
                "start_date": [None, a.start_date.isoformat()],
            },
        )
        for a in assignments
    )
    return plans


def _rotation_names(schedule: WorkSchedule) -> list[str]:
    from jixiao.attendance.presets import PRESETS_BY_KEY

    preset = PRESETS_BY_KEY[schedule.preset]
    return [str(preset.rotation_name)]


def _shift_on(plan: Plan, day: dt.date) -> str:
    return plan.rotation[((day - ASSIGNMENTS_FROM).days + plan.offset) % len(plan.rotation)]


def _rosters(
    company: Company,
    hr: User,
    plans: dict[int, Plan],
    start: dt.date,
    end: dt.date,
    entries: list[AuditEntry],
) -> None:
    shifts = {s.code: s for s in ShiftType.objects.filter(company=company)}
    rows = [
        RosterEntry(
            company=company,
            employee_id=employee_id,
            date=day,
            shift=shifts[code] if (code := _shift_on(plan, day)) else None,
            updated_by=hr,
        )
        for employee_id, plan in plans.items()
        if plan.kind == "shift"
        for day in _dates(start, end)
    ]
    if not rows:
        return
    _insert(RosterEntry, rows)
    entries.append(
        AuditEntry(
            action="attendance.roster.generate",
            object_type="attendance.rosterentry",
            object_id="",
            object_repr=f"{start.isoformat()}–{end.isoformat()}",
            changes={"entries": [None, len(rows)], "start": [None, start.isoformat()]},
        )
    )


# --- Punches and activities ------------------------------------------------------------------


def _epoch(zone: zoneinfo.ZoneInfo, day: dt.date, minutes: int) -> int:
    return int(_at(zone, day, minutes).timestamp())


def _at(zone: zoneinfo.ZoneInfo, day: dt.date, minutes: int) -> dt.datetime:
    """A local wall-clock time ``minutes`` after midnight of ``day`` (may run past it), in UTC."""
    local = dt.datetime.combine(day, dt.time(0, 0)) + dt.timedelta(minutes=minutes)
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


def _hhmm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _work_span(rng: random.Random, plan: Plan, shift: ShiftType | None) -> tuple[int, int]:
    """Local (in, out) minutes after midnight for one worked day."""
    roll = rng.random()
    if plan.kind == "shift":
        assert shift is not None
        start = _hhmm(shift.blocks[0][0])
        end = _hhmm(shift.blocks[-1][1])
        if end <= start:
            end += 24 * 60
        arrive = start + rng.randint(5, 15) if roll < 0.04 else start - rng.randint(5, 15)
        leave = end + rng.randint(0, 15) + (60 * rng.randint(1, 2) if rng.random() < 0.05 else 0)
        return arrive, leave
    if plan.kind == "unfixed":
        arrive = rng.randint(8 * 60 + 30, 10 * 60 + 30)
        return arrive, arrive + rng.randint(7 * 60, 9 * 60 + 30)
    if plan.kind == "comprehensive":
        arrive = rng.randint(7 * 60 + 45, 8 * 60 + 10)
        return arrive, arrive + 9 * 60 + rng.randint(0, 40)
    late = roll < 0.06  # 5–20 minutes late
    arrive = 9 * 60 + rng.randint(5, 20) if late else rng.randint(8 * 60 + 25, 8 * 60 + 59)
    if plan.kind == "flexible":
        leave = arrive + 9 * 60 + rng.randint(0, 30)
    else:
        leave = 18 * 60 + rng.randint(0, 25)
    if rng.random() < 0.08:
        leave += rng.randint(90, 180)  # an overtime evening
    return arrive, leave


def _punches(
    company: Company,
    plans: dict[int, Plan],
    start: dt.date,
    end: dt.date,
    skip: set[tuple[int, dt.date]],
    drop_out: set[tuple[int, dt.date]],
    entries: list[AuditEntry],
) -> None:
    employees = list(
        Employee.objects.filter(company=company)
        .select_related("work_location")
        .order_by("employee_number")
    )
    calendars = {c.region: c.pk for c in WorkCalendar.objects.filter(company=company)}
    kinds: dict[tuple[int, dt.date], str] = {
        (calendar_id, day): kind
        for calendar_id, day, kind in CalendarDay.objects.filter(
            company=company, date__gte=start, date__lte=end
        ).values_list("calendar_id", "date", "kind")
    }
    shifts_by_code = {s.code: s for s in ShiftType.objects.filter(company=company)}
    rng = random.Random(f"{company.slug}:attendance")
    # Per source: (employee id, epoch seconds, row number, device, source id) for the
    # punches service's bulk path, which sorts, flags duplicates and inserts in one go.
    rows: dict[str, list[tuple[int, int, int, str, str]]] = {}
    for employee in employees:
        plan = plans[employee.pk]
        location = employee.work_location
        country = location.country if location else "CN"
        zone = zoneinfo.ZoneInfo(location.time_zone if location else company.time_zone)
        calendar_id = calendars.get(country, calendars["CN"])
        source: str = {"shift": Punch.Source.DEVICE, "unfixed": Punch.Source.MOBILE}.get(
            plan.kind, Punch.Source.WEB
        )
        device = DEVICE if source == Punch.Source.DEVICE else ""
        bucket = rows.setdefault(source, [])
        for day in _dates(max(start, employee.hire_date), end):
            shift: ShiftType | None = None
            times: list[int] = []
            if plan.kind == "shift":
                code = _shift_on(plan, day)
                if not code:
                    continue
                shift = shifts_by_code[code]
            elif kinds.get((calendar_id, day)) not in WORKING_KINDS:
                if plan.kind == "flexible" and rng.random() < 0.03:
                    arrive = rng.randint(9 * 60 + 30, 10 * 60 + 30)  # a rest-day half day
                    times = [arrive, arrive + rng.randint(180, 240)]
                    bucket.extend(
                        (employee.pk, _epoch(zone, day, m), len(bucket), device, "") for m in times
                    )
                continue
            arrive, leave = _work_span(rng, plan, shift)
            if (employee.pk, day) in skip or rng.random() < 0.005:
                continue  # on leave, or simply absent
            forgot = rng.random() < 0.02 or (employee.pk, day) in drop_out
            times = [arrive] if forgot else [arrive, leave]
            bucket.extend(
                (employee.pk, _epoch(zone, day, m), len(bucket), device, "") for m in times
            )
    inserted = 0
    for punch_source, source_rows in sorted(rows.items()):
        stats = punches_insert(
            company=company,
            rows=source_rows,
            skewed_devices=set(),
            actor=None,
            source=punch_source,
        )
        inserted += stats.inserted
    entries.append(
        AuditEntry(
            action="attendance.punch.import",
            object_type="attendance.punch",
            object_id="",
            object_repr=f"{start.isoformat()}–{end.isoformat()}",
            changes={"punches": [None, inserted], "employees": [None, len(employees)]},
        )
    )


def _activities(company: Company, start: dt.date, end: dt.date, entries: list[AuditEntry]) -> None:
    """李哥's evening calls to Germany (seed 000) and the policy that counts them as work."""
    positions = list(Position.objects.filter(company=company, name__in=ACTIVITY_POSITIONS))
    if not positions:
        return
    policy = ActivityPolicy.objects.create(
        company=company,
        name="外贸业务员：通话与邮件计入工时",
        kinds=["call", "email"],
        gap_join_minutes=30,
        email_credit_minutes=5,
    )
    policy.positions.set(positions)
    entries.append(
        _entry(
            "attendance.activity_policy.create",
            policy,
            {"name": [None, policy.name], "kinds": [None, policy.kinds]},
        )
    )
    li = (
        Employee.objects.filter(company=company, name="李建国")
        .select_related("work_location")
        .first()
    )
    if li is None:
        return
    zone = zoneinfo.ZoneInfo(li.time_zone)
    calendar = WorkCalendar.objects.get(company=company, region="CN")
    workdays = set(
        calendar.days.filter(date__gte=start, date__lte=end, kind__in=WORKING_KINDS).values_list(
            "date", flat=True
        )
    )
    rng = random.Random(f"{company.slug}:lige:calls")
    rows: list[WorkActivity] = []
    for day in _dates(start, end):
        if day not in workdays or day.weekday() not in (0, 1, 3):  # Mon, Tue, Thu evenings
            continue
        rows.append(
            WorkActivity(
                company=company,
                employee=li,
                kind="call",
                started_at=_at(zone, day, 22 * 60 + rng.randint(0, 8)),
                duration_minutes=rng.randint(45, 55),
                source="phone",
                source_id=f"demo-call-{day.isoformat()}",
                detail={"customer": "Müller Textil GmbH", "country": "DE"},
            )
        )
        rows.append(
            WorkActivity(
                company=company,
                employee=li,
                kind="email",
                started_at=_at(zone, day, 23 * 60 + rng.randint(0, 10)),
                source="mail",
                source_id=f"demo-mail-{day.isoformat()}",
                detail={"subject": "Angebot / quotation follow-up"},
            )
        )
    WorkActivity.objects.bulk_create(rows)
    entries.append(
        AuditEntry(
            action="attendance.activity.import",
            object_type="attendance.workactivity",
            object_id="",
            object_repr=f"{li.name} {start.isoformat()}–{end.isoformat()}",
            changes={"activities": [None, len(rows)]},
        )
    )


# --- Requests (leave, punch corrections) -----------------------------------------------------


@dataclass(frozen=True)
class RequestPlan:
    leave: tuple[Employee, dt.date, User] | None
    correction: tuple[Employee, dt.date, User] | None


def _workday_in(company: Company, start: dt.date, end: dt.date, nth: int) -> dt.date | None:
    calendar = WorkCalendar.objects.get(company=company, region="CN")
    days = list(
        calendar.days.filter(date__gte=start, date__lte=end, kind=DayKind.WORKDAY.value)
        .order_by("date")
        .values_list("date", flat=True)
    )
    return days[nth] if len(days) > nth else None


def _request_plan(company: Company, today: dt.date) -> RequestPlan:
    """海星外贸: 张丽华 takes a day of personal leave last month; 李晓雨 forgot a punch."""
    if company.slug != "haixing":
        return RequestPlan(None, None)
    manager = Employee.objects.filter(company=company, name="赵国华").first()
    leave_taker = Employee.objects.filter(company=company, name="张丽华").first()
    forgetter = Employee.objects.filter(company=company, name="李晓雨").first()
    if manager is None or manager.user is None or leave_taker is None or forgetter is None:
        return RequestPlan(None, None)
    last_month = months_back(today, 1)
    leave_day = _workday_in(company, last_month, _month_end(last_month), 5)
    yesterday = today - dt.timedelta(days=1)
    forgot_day = _workday_in(company, months_back(today, 0), yesterday, 1) or _workday_in(
        company, last_month, _month_end(last_month), 8
    )
    return RequestPlan(
        (leave_taker, leave_day, manager.user) if leave_day else None,
        (forgetter, forgot_day, manager.user) if forgot_day else None,
    )


def _requests(company: Company, plan: RequestPlan) -> None:
    from jixiao.attendance.models import LeaveType, PunchCorrection
    from jixiao.attendance.services.corrections import correction_approve, correction_create
    from jixiao.attendance.services.leave import (
        leave_request_approve,
        leave_request_create,
        leave_types_ensure,
    )

    leave_types_ensure(company=company, actor=None)
    if plan.leave is not None:
        employee, day, approver = plan.leave
        assert employee.user is not None
        request = leave_request_create(
            employee=employee,
            leave_type=LeaveType.objects.get(company=company, code="personal"),
            start=dt.datetime.combine(day, dt.time(9, 0)),
            end=dt.datetime.combine(day, dt.time(18, 0)),
            reason="家里有事",
            actor=employee.user,
        )
        leave_request_approve(leave_request=request, actor=approver, note="同意")
    if plan.correction is not None:
        employee, day, approver = plan.correction
        assert employee.user is not None
        zone = zoneinfo.ZoneInfo(employee.time_zone)
        correction = correction_create(
            employee=employee,
            kind=PunchCorrection.Kind.MISSING_PUNCH,
            date=day,
            punch_at=dt.datetime.combine(day, dt.time(18, 5), tzinfo=zone),
            reason="下班忘记打卡，18:05 离开公司",
            actor=employee.user,
        )
        correction_approve(correction=correction, actor=approver, note="已核实")


# --- The whole demo --------------------------------------------------------------------------


def _results(company: Company, today: dt.date) -> None:
    """The two full months and this month up to yesterday, by the results service."""
    from jixiao.attendance.services import results

    for months in (2, 1):
        first = months_back(today, months)
        results.attendance_month_compute(
            company=company, year=first.year, month=first.month, actor=None
        )
    current = months_back(today, 0)
    yesterday = today - dt.timedelta(days=1)
    if yesterday >= current:
        results.daily_attendance_compute(company=company, start=current, end=yesterday)


def attendance_demo_build(companies: Sequence[Company], *, now: dt.datetime | None = None) -> None:
    """Calendars, rules, rosters, punches, activities, a few requests and results per company."""
    specs = {spec.slug: spec for spec in COMPANIES}
    moment = now or timezone.now()
    for company in companies:
        spec = specs[company.slug]
        today = moment.astimezone(zoneinfo.ZoneInfo(company.time_zone)).date()
        start = months_back(today, 2)
        yesterday = today - dt.timedelta(days=1)
        with scope(company=company):
            hr = _hr(company)
            entries: list[AuditEntry] = []
            _calendars(company, hr, today)
            if company.slug == "yunfan":
                _company_day(company, hr, months_back(today, 1), "公司团建")
            if company.slug == "huarui":
                _company_day(company, hr, months_back(today, 2), "设备年检停产")
            schedules = _schedules(company, spec, hr)
            plans = _plans(company, spec, hr, schedules, entries)
            _rosters(company, hr, plans, start, _month_end(today), entries)
            requests = _request_plan(company, today)
            skip = {(requests.leave[0].pk, requests.leave[1])} if requests.leave else set()
            drop = (
                {(requests.correction[0].pk, requests.correction[1])}
                if requests.correction
                else set()
            )
            _punches(company, plans, start, yesterday, skip, drop, entries)
            _activities(company, start, yesterday, entries)
            audit_record_many(company=company, actor=hr, entries=entries, reason=DEMO_REASON)
            _requests(company, requests)
            _results(company, today)
