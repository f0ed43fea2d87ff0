"""Bulk loading of the engine's inputs: many employees × a date range in a fixed few queries.

The month compute of 10,000 employees must finish in seconds, so nothing here
loads a model instance per employee or per punch: every table is read once per
chunk with ``values_list`` and joined in Python. The number of queries does not
grow with the number of employees in a chunk or the number of days.

What an employee-day gets:
- the time zone and calendar of the work location *as of that date*
  (``EmploymentChange`` rows undo later location and department changes);
- the calendar day of that calendar, or ``calendar_missing`` (never a silent workday);
- the working-hour rule: the employee's own assignment beats the nearest
  department's up the tree; the shift system takes that date's roster entry,
  else the assignment's rotation pattern;
- punches (not voided), approved leave and overtime, and activities (calls,
  emails) where an activity policy covers the person or their position.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import connections
from django.db.models.expressions import RawSQL

from jixiao.attendance.engine import (
    Activity,
    ActivityRule,
    DayInput,
    DayKind,
    Interval,
    ScheduleRule,
    System,
    day_window_seconds,
    frozen_build,
)
from jixiao.attendance.models import (
    ActivityPolicy,
    ApprovalStatus,
    CalendarDay,
    LeaveRequest,
    OvertimeRequest,
    Punch,
    RosterEntry,
    ScheduleAssignment,
    ShiftType,
    WorkActivity,
    WorkSchedule,
)
from jixiao.attendance.setup_cache import DEFAULT_REGION, Assignment, CompanySetup, company_setup
from jixiao.core.models import Company
from jixiao.org.models import (
    Employee,
    EmployeeStatus,
    EmploymentChange,
)

# Punches, leave and overtime are read this far around the range: an overnight
# shift started on the last day ends the day after, and zones differ from UTC.
MARGIN = dt.timedelta(days=2)
ONE_DAY = dt.timedelta(days=1)
# Leave and overtime intervals are handed to a day when they touch its punch
# window widened by this much (the engine clips them itself).
DAY_SLACK_SECONDS = 3600
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TRACKED_FIELDS = (EmploymentChange.Field.WORK_LOCATION, EmploymentChange.Field.DEPARTMENT)


@dataclass(slots=True)
class LoadedDay:
    """One employee-day ready for the engine, with what the loader could not find."""

    day: DayInput
    calendar_region: str
    calendar_missing: bool = False  # no CalendarDay row: the kind is assumed from the weekday
    schedule_id: int | None = None


@dataclass
class _History:
    """Effective-dated values of one field: the value on ``d`` is the ``old`` of the
    first change dated after ``d``, else today's value."""

    current: int | None
    dates: list[dt.date] = field(default_factory=list)
    olds: list[int | None] = field(default_factory=list)

    def on(self, day: dt.date) -> int | None:
        index = bisect.bisect_right(self.dates, day)
        return self.olds[index] if index < len(self.olds) else self.current


@dataclass
class _Employee:
    id: int
    hire_date: dt.date
    termination_date: dt.date | None
    left: bool
    position_id: int | None
    location: _History
    department: _History

    def employed_on(self, day: dt.date) -> bool:
        if day < self.hire_date:
            return False
        if self.termination_date is not None:
            return day <= self.termination_date
        return not self.left


@dataclass
class CompanyContext:
    """Everything about a company that does not depend on which employees are loaded."""

    company: Company
    calendars_by_region: dict[str, int]
    default_calendar: tuple[str, int] | None
    calendar_days: dict[int, dict[dt.date, tuple[DayKind, str]]]
    locations: dict[int, tuple[str, str]]  # id → (country, time zone)
    department_parent: dict[int, int | None]
    department_assignments: dict[int, list[Assignment]]
    schedules: dict[int, WorkSchedule]
    shifts: dict[int, ShiftType]
    shift_by_code: dict[str, ShiftType]
    rotations: dict[int, list[str]]
    daily_overtime_cap_minutes: int
    start: dt.date
    end: dt.date
    setup: CompanySetup

    def rule(self, schedule_id: int, shift_id: int | None, day_off: bool) -> ScheduleRule:
        return self.setup.rule(schedule_id, shift_id, day_off)


def _assignment(row: tuple[int, dt.date, dt.date | None, int | None, int]) -> Assignment:
    return Assignment(row[0], row[1], row[2], row[3], row[4])


def company_context_load(*, company: Company, start: dt.date, end: dt.date) -> CompanyContext:
    """The company's set-up (cached per process, see ``setup_cache``) and the calendar days
    of the range: two or three small queries."""
    setup = company_setup(company.pk)
    days: dict[int, dict[dt.date, tuple[DayKind, str]]] = defaultdict(dict)
    first, last = start - ONE_DAY, end + ONE_DAY  # neighbours decide whose punch is whose
    rows = (
        CalendarDay.objects.filter(company=company, date__gte=first, date__lte=last)
        .order_by()
        .values_list("calendar_id", "date", "kind", "name")
    )
    for cid, date, kind, name in rows:
        days[cid][date] = (DayKind(kind), name)  # str-valued: the kind, converted once
    return CompanyContext(
        company=company,
        calendars_by_region=setup.calendars_by_region,
        default_calendar=setup.default_calendar,
        calendar_days=dict(days),
        locations=setup.locations,
        department_parent=setup.department_parent,
        department_assignments=setup.department_assignments,
        schedules=setup.schedules,
        shifts=setup.shifts,
        shift_by_code=setup.shift_by_code,
        rotations=setup.rotations,
        daily_overtime_cap_minutes=setup.daily_overtime_cap_minutes,
        start=start,
        end=end,
        setup=setup,
    )


def _intervals_by_employee(
    rows: Iterable[tuple[int, dt.datetime, dt.datetime]],
) -> dict[int, list[Interval]]:
    result: dict[int, list[Interval]] = defaultdict(list)
    for employee_id, start, end in rows:
        result[employee_id].append(Interval(start, end))
    return result


def _overlapping(
    intervals: Sequence[Interval], lo: dt.datetime, hi: dt.datetime
) -> tuple[Interval, ...]:
    return tuple(i for i in intervals if i.start < hi and i.end > lo)


def _weekday_kind(day: dt.date) -> DayKind:
    return DayKind.REST_DAY if day.weekday() >= 5 else DayKind.WORKDAY


def day_inputs_load(
    *, context: CompanyContext, employee_ids: Sequence[int], dates: Sequence[dt.date] | None = None
) -> Iterator[LoadedDay]:
    """The engine inputs of ``employee_ids`` for every date of the context's range
    (or only ``dates``), employee by employee, in date order.

    Days before hiring or after leaving are skipped: no result is owed for them.
    """
    company = context.company
    start, end = context.start, context.end
    wanted = (
        sorted(set(dates))
        if dates is not None
        else [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    )
    if not employee_ids or not wanted:
        return
    ids = list(employee_ids)
    first, last = start - ONE_DAY, end + ONE_DAY
    lo_utc = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC) - MARGIN
    hi_utc = dt.datetime.combine(end, dt.time(), tzinfo=dt.UTC) + MARGIN + dt.timedelta(days=1)

    employees: dict[int, _Employee] = {}
    for eid, hire, term, status, pos, loc, dept in (
        Employee.objects.filter(company=company, id__in=ids)
        .order_by()
        .values_list(
            "id",
            "hire_date",
            "termination_date",
            "status",
            "position_id",
            "work_location_id",
            "department_id",
        )
    ):
        employees[eid] = _Employee(
            eid, hire, term, status == EmployeeStatus.LEFT, pos, _History(loc), _History(dept)
        )
    changes = (
        EmploymentChange.objects.filter(
            company=company, employee_id__in=ids, applied=True, effective_date__gt=first,
            field__in=TRACKED_FIELDS,
        )
        .order_by("employee_id", "effective_date", "id")
        .values_list("employee_id", "field", "effective_date", "old_value")
    )  # fmt: skip
    for eid, fname, effective, old in changes:
        history = (
            employees[eid].location
            if fname == EmploymentChange.Field.WORK_LOCATION
            else employees[eid].department
        )
        history.dates.append(effective)
        history.olds.append(int(old) if old else None)

    own_assignments: dict[int, list[Assignment]] = defaultdict(list)
    for eid, *rest in (
        ScheduleAssignment.objects.filter(
            company=company, employee_id__in=ids, start_date__lte=last
        )
        .exclude(end_date__lt=first)
        .order_by("-start_date")
        .values_list(
            "employee_id", "schedule_id", "start_date", "end_date", "rotation_id", "rotation_offset"
        )
    ):
        own_assignments[eid].append(_assignment(tuple(rest)))  # type: ignore[arg-type]

    roster: dict[tuple[int, dt.date], int | None] = {
        (eid, d): sid
        for eid, d, sid in RosterEntry.objects.filter(
            company=company, employee_id__in=ids, date__gte=first, date__lte=last
        )
        .order_by()
        .values_list("employee_id", "date", "shift_id")
    }

    punches = _punches_load(company, ids, lo_utc, hi_utc)

    approved = ApprovalStatus.APPROVED
    leaves = _intervals_by_employee(
        LeaveRequest.objects.filter(
            company=company, employee_id__in=ids, status=approved, start__lt=hi_utc, end__gt=lo_utc
        )
        .order_by()
        .values_list("employee_id", "start", "end")
    )
    overtime = _intervals_by_employee(
        OvertimeRequest.objects.filter(
            company=company, employee_id__in=ids, status=approved, start__lt=hi_utc, end__gt=lo_utc
        )
        .order_by()
        .values_list("employee_id", "start", "end")
    )

    activity_rules = _activity_rules(company, employees)
    activities: dict[int, list[Activity]] = defaultdict(list)
    if activity_rules:
        for eid, kind, started, minutes, source, source_id in (
            WorkActivity.objects.filter(
                company=company,
                employee_id__in=list(activity_rules),
                started_at__gte=lo_utc,
                started_at__lt=hi_utc,
            )
            .order_by("employee_id", "started_at")
            .values_list(
                "employee_id", "kind", "started_at", "duration_minutes", "source", "source_id"
            )
        ):
            activities[eid].append(Activity(kind, started, minutes, f"{source}:{source_id}"))

    company_zone = str(company.time_zone)
    wanted_set = set(wanted)
    padded = sorted(wanted_set | {d + ONE_DAY for d in wanted} | {d - ONE_DAY for d in wanted})
    for eid in ids:
        emp = employees.get(eid)
        if emp is None:
            continue
        plans: list[_DayPlan] = []
        for day in padded:
            if not emp.employed_on(day):
                continue
            location_id = emp.location.on(day)
            country, tz_name = (
                context.locations.get(location_id, ("", company_zone))
                if location_id
                else ("", company_zone)
            )
            region, calendar_id = _calendar_for(context, country)
            calendar_entry = (
                context.calendar_days.get(calendar_id, {}).get(day) if calendar_id else None
            )
            schedule_id, rule = _rule_for(context, emp, own_assignments.get(eid, ()), roster, day)
            lo, hi, span_lo, span_hi = day_window_seconds(rule, tz_name, day)
            plans.append(
                _DayPlan(
                    day, tz_name, region, calendar_entry, schedule_id, rule,
                    lo, hi, span_lo, span_hi, bool(rule is not None and rule.blocks),
                )
            )  # fmt: skip
        if not plans:
            continue
        day_punches = _assign(plans, punches.get(eid, []), _identity)
        emp_activity_rule = activity_rules.get(eid)
        day_activities = (
            _assign(plans, activities.get(eid, []), _activity_start)
            if emp_activity_rule is not None
            else None
        )
        emp_leaves = leaves.get(eid, [])
        emp_overtime = overtime.get(eid, [])
        for index, plan in enumerate(plans):
            if plan.day not in wanted_set:
                continue
            if emp_leaves or emp_overtime:
                lo_at = _EPOCH + dt.timedelta(seconds=plan.lo - DAY_SLACK_SECONDS)
                hi_at = _EPOCH + dt.timedelta(seconds=plan.hi + DAY_SLACK_SECONDS)
                day_leaves = _overlapping(emp_leaves, lo_at, hi_at)
                day_overtime = _overlapping(emp_overtime, lo_at, hi_at)
            else:
                day_leaves = day_overtime = ()
            entry = plan.calendar_entry
            if entry is None:
                kind, holiday = _weekday_kind(plan.day), ""
            else:
                kind, holiday = entry
            day_input = frozen_build(
                DayInput,
                {
                    "employee_id": eid,
                    "date": plan.day,
                    "time_zone": plan.time_zone,
                    "day_kind": kind,
                    "rule": plan.rule,
                    "punches": tuple(map(_utc, day_punches[index])),
                    "activities": tuple(day_activities[index]) if day_activities else (),
                    "activity_rule": emp_activity_rule,
                    "leaves": day_leaves,
                    "approved_overtime": day_overtime,
                    "holiday_name": holiday,
                },
            )
            yield LoadedDay(day_input, plan.region, entry is None, plan.schedule_id)


@dataclass(slots=True)
class _DayPlan:
    """What is known of one employee-day before its punches are handed out."""

    day: dt.date
    time_zone: str
    region: str
    calendar_entry: tuple[DayKind, str] | None
    schedule_id: int | None
    rule: ScheduleRule | None
    lo: int  # the engine's punch window, epoch seconds
    hi: int
    span_lo: int  # the planned span (or the window when nothing is planned)
    span_hi: int
    planned: bool


T = TypeVar("T")


def _identity(seconds: int) -> int:
    return seconds


def _activity_start(activity: Activity) -> float:
    return activity.start.timestamp()


#: Epoch seconds → aware UTC datetime, all in C (one call per punch).
_utc = functools.partial(dt.datetime.fromtimestamp, tz=dt.UTC)


def _assign(
    plans: Sequence[_DayPlan], items: Sequence[T], instant: Callable[[T], float]
) -> list[list[T]]:
    """Hand each punch (or activity) to exactly one day, so no punch counts twice.

    Of the days whose window holds it, a day with planned blocks beats one
    without (the morning punch after a night shift belongs to the shift, not to
    the day off), then the day whose planned span is nearest, then the earlier.
    ``items`` are sorted by instant (``instant`` gives epoch seconds).
    """
    if not items:
        return [[] for _ in plans]
    if all(plans[i].hi <= plans[i + 1].lo for i in range(len(plans) - 1)):
        # Windows that do not overlap (office hours, flexible hours): slice in C.
        sliced: list[list[T]] = []
        by = None if instant is _identity else instant  # plain ints compare in C
        for plan in plans:
            i = bisect.bisect_left(items, plan.lo, key=by)  # type: ignore[arg-type,type-var]
            j = bisect.bisect_left(items, plan.hi, lo=i, key=by)  # type: ignore[arg-type,type-var]
            sliced.append(list(items[i:j]))
        return sliced
    out: list[list[T]] = [[] for _ in plans]
    los = [p.lo for p in plans]
    count = len(plans)
    for item in items:
        ts = instant(item)
        k = bisect.bisect_right(los, ts)
        best = -1
        best_key: tuple[int, float, int] | None = None
        for j in range(max(0, k - 3), min(count, k + 1)):
            plan = plans[j]
            if not plan.lo <= ts < plan.hi:
                continue
            if plan.span_lo <= ts <= plan.span_hi:
                distance = 0.0
            else:
                distance = min(abs(ts - plan.span_lo), abs(ts - plan.span_hi))
            key = (0 if plan.planned else 1, distance, j)
            if best_key is None or key < best_key:
                best, best_key = j, key
        if best >= 0:
            out[best].append(item)
    return out


#: Each punch's instant as whole epoch seconds, computed by the database: the
#: largest read of a month compute then parses no datetimes at all.
_EPOCH_SQL = {
    "sqlite": "CAST(strftime('%%s', {column}) AS INTEGER)",
    "postgresql": "FLOOR(EXTRACT(EPOCH FROM {column}))::bigint",
}


def _punches_load(
    company: Company, ids: list[int], lo_utc: dt.datetime, hi_utc: dt.datetime
) -> dict[int, list[int]]:
    """Each employee's punch instants (not voided) as epoch seconds (floored), sorted.

    The largest read of a month compute (≈ 90 rows a person): a plain cursor
    skips the ORM's per-value converters.
    """
    queryset = Punch.objects.filter(
        company=company, employee_id__in=ids, at__gte=lo_utc, at__lt=hi_utc, voided=False
    ).order_by()
    connection = connections[queryset.db]
    template = _EPOCH_SQL.get(connection.vendor)
    punches: dict[int, list[int]] = defaultdict(list)
    if template is None:  # another database: convert the datetimes here
        for eid, at in queryset.values_list("employee_id", "at"):
            punches[eid].append(int(at.timestamp()))
    else:
        quote = connection.ops.quote_name
        column = f"{quote(Punch._meta.db_table)}.{quote('at')}"
        # A fixed template around quoted identifiers: nothing from outside reaches the SQL.
        epochs = queryset.annotate(epoch=RawSQL(template.format(column=column), ()))  # noqa: S611
        sql, params = epochs.values_list("employee_id", "epoch").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        for eid, seconds in rows:
            punches[eid].append(seconds)
    for values in punches.values():
        values.sort()
    return punches


def _calendar_for(context: CompanyContext, country: str) -> tuple[str, int | None]:
    """The work location's country calendar, else the company default, else CN."""
    if country and country in context.calendars_by_region:
        return country, context.calendars_by_region[country]
    if context.default_calendar is not None:
        return context.default_calendar
    return country or DEFAULT_REGION, None


def _assignment_on(assignments: Iterable[Assignment], day: dt.date) -> Assignment | None:
    for assignment in assignments:  # newest start first
        if assignment.covers(day):
            return assignment
    return None


def _rule_for(
    context: CompanyContext,
    emp: _Employee,
    own: Iterable[Assignment],
    roster: dict[tuple[int, dt.date], int | None],
    day: dt.date,
) -> tuple[int | None, ScheduleRule | None]:
    assignment = _assignment_on(own, day)
    if assignment is None:
        dept_id = emp.department.on(day)
        seen: set[int] = set()
        while dept_id is not None and dept_id not in seen and assignment is None:
            seen.add(dept_id)
            assignment = _assignment_on(context.department_assignments.get(dept_id, ()), day)
            dept_id = context.department_parent.get(dept_id)
    if assignment is None or assignment.schedule_id not in context.schedules:
        return None, None
    schedule = context.schedules[assignment.schedule_id]
    if schedule.system != System.SHIFT:
        return schedule.id, context.rule(schedule.id, None, False)
    key = (emp.id, day)
    if key in roster:
        shift_id = roster[key]
        return schedule.id, context.rule(schedule.id, shift_id, shift_id is None)
    sequence = context.rotations.get(assignment.rotation_id) if assignment.rotation_id else None
    if sequence:
        code = sequence[((day - assignment.start).days + assignment.offset) % len(sequence)]
        shift = context.shift_by_code.get(code) if code else None
        return schedule.id, context.rule(schedule.id, shift.id if shift else None, shift is None)
    return (
        schedule.id,
        None,
    )  # a shift worker with neither roster nor rotation: no schedule that day


def _activity_rules(company: Company, employees: dict[int, _Employee]) -> dict[int, ActivityRule]:
    """Which loaded employees have activity-based work time, by own policy or position."""
    policies = {
        pid: ActivityRule(
            kinds=frozenset(str(k) for k in (kinds or [])),
            gap_join_minutes=gap,
            email_credit_minutes=credit,
        )
        for pid, kinds, gap, credit in ActivityPolicy.objects.filter(company=company, enabled=True)
        .order_by()
        .values_list("id", "kinds", "gap_join_minutes", "email_credit_minutes")
    }
    if not policies:
        return {}
    by_employee: dict[int, ActivityRule] = {}
    through_positions = ActivityPolicy.positions.through.objects.filter(
        activitypolicy_id__in=list(policies)
    ).values_list("position_id", "activitypolicy_id")
    by_position = {pos: policies[pid] for pos, pid in through_positions}
    for emp in employees.values():
        if emp.position_id is not None and emp.position_id in by_position:
            by_employee[emp.id] = by_position[emp.position_id]
    through_employees = ActivityPolicy.employees.through.objects.filter(
        activitypolicy_id__in=list(policies), employee_id__in=list(employees)
    ).values_list("employee_id", "activitypolicy_id")
    for eid, pid in through_employees:
        by_employee[eid] = policies[pid]
    return by_employee
