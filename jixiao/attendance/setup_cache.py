"""A company's attendance set-up, read once per process and kept until it changes.

Every computed day needs the company's calendars, work locations, department tree,
working-hour systems, shifts, rotations, department schedule assignments and the daily
overtime cap. They change rarely but were read with nine queries for every recompute
of a single employee-day. ``company_setup`` keeps them per process under the company's
``SetupStamp``; any write to those tables sets a new random stamp (``setup_changed``,
called by the signals below and by the few bulk writes that bypass signals), so the next
read loads them again. The stamp is read before the tables, so a copy is never filed
under a stamp older than its data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete, post_save
from django_scopes import scopes_disabled

from jixiao.attendance.engine import ScheduleRule
from jixiao.attendance.models import (
    AttendancePolicy,
    RotationPattern,
    ScheduleAssignment,
    SetupStamp,
    ShiftType,
    WorkCalendar,
    WorkSchedule,
)
from jixiao.attendance.schedules_rule import schedule_rule_build
from jixiao.org.models import Department, WorkLocation
from jixiao.org.signals import departments_bulk_created

DEFAULT_REGION = "CN"
DEFAULT_DAILY_OVERTIME_CAP_MINUTES = 180
#: Companies whose set-up one process keeps; a cloud server with more active companies
#: than this reloads the least recently used ones (nine small queries each).
CACHED_COMPANIES = 64

#: The tables ``company_setup`` reads. A save or delete of any of their rows changes the stamp.
SETUP_MODELS: tuple[type[Any], ...] = (
    WorkCalendar,
    WorkLocation,
    Department,
    ScheduleAssignment,
    WorkSchedule,
    ShiftType,
    RotationPattern,
    AttendancePolicy,
)


@dataclass(frozen=True, slots=True)
class Assignment:
    """A working-hour system assigned to a department or an employee from ``start``."""

    schedule_id: int
    start: dt.date
    end: dt.date | None
    rotation_id: int | None
    offset: int

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass
class CompanySetup:
    """What every employee-day of a company is computed against, apart from the calendar days."""

    calendars_by_region: dict[str, int]
    default_calendar: tuple[str, int] | None
    locations: dict[int, tuple[str, str]]  # id → (country, time zone)
    department_parent: dict[int, int | None]
    department_assignments: dict[int, list[Assignment]]  # newest start first
    schedules: dict[int, WorkSchedule]
    shifts: dict[int, ShiftType]
    shift_by_code: dict[str, ShiftType]
    rotations: dict[int, list[str]]
    daily_overtime_cap_minutes: int
    _rules: dict[tuple[int, int | None, bool], ScheduleRule] = field(default_factory=dict)

    def rule(self, schedule_id: int, shift_id: int | None, day_off: bool) -> ScheduleRule:
        """The engine rule of a schedule (and shift), built once per set-up."""
        key = (schedule_id, shift_id, day_off)
        rule = self._rules.get(key)
        if rule is None:
            shift = self.shifts[shift_id] if shift_id is not None else None
            rule = schedule_rule_build(self.schedules[schedule_id], shift, day_off=day_off)
            rule = dataclasses.replace(
                rule, daily_overtime_cap_minutes=self.daily_overtime_cap_minutes
            )
            self._rules[key] = rule
        return rule


def setup_changed(company_id: int) -> None:
    """Give the company a new stamp: every process reloads its set-up on the next read."""
    with scopes_disabled():
        SetupStamp.objects.filter(company_id=company_id).update(stamp=uuid.uuid4().hex)


def setup_stamp(company_id: int) -> str:
    """The company's current stamp, created (fresh and random) on first use."""
    with scopes_disabled():
        stamp = (
            SetupStamp.objects.filter(company_id=company_id).values_list("stamp", flat=True).first()
        )
        if stamp is not None:
            return str(stamp)
        fresh = uuid.uuid4().hex
        try:
            with transaction.atomic():
                SetupStamp.objects.create(company_id=company_id, stamp=fresh)
        except IntegrityError:  # another request created it first
            return str(
                SetupStamp.objects.filter(company_id=company_id)
                .values_list("stamp", flat=True)
                .get()
            )
        return fresh


def company_setup(company_id: int) -> CompanySetup:
    """The company's set-up: from this process's cache while its stamp is unchanged."""
    return _setup_for_stamp(company_id, setup_stamp(company_id))


@functools.lru_cache(maxsize=CACHED_COMPANIES)
def _setup_for_stamp(company_id: int, stamp: str) -> CompanySetup:
    return setup_load(company_id)


def setup_cache_clear() -> None:
    _setup_for_stamp.cache_clear()


def setup_load(company_id: int) -> CompanySetup:
    """Read the set-up from the database: nine small queries, whatever the company's size."""
    with scopes_disabled():
        calendars = list(
            WorkCalendar.objects.filter(company_id=company_id)
            .order_by()
            .values_list("id", "region", "is_default")
        )
        by_region = {region.upper(): cid for cid, region, _default in calendars}
        default = next(((r.upper(), c) for c, r, d in calendars if d), None)
        if default is None and DEFAULT_REGION in by_region:
            default = (DEFAULT_REGION, by_region[DEFAULT_REGION])
        locations = {
            lid: (country.upper(), tz)
            for lid, country, tz in WorkLocation.objects.filter(company_id=company_id)
            .order_by()
            .values_list("id", "country", "time_zone")
        }
        parents: dict[int, int | None] = dict(
            Department.objects.filter(company_id=company_id)
            .order_by()
            .values_list("id", "parent_id")
        )
        assignments: dict[int, list[Assignment]] = defaultdict(list)
        for dept_id, schedule_id, start, end, rotation_id, offset in (
            ScheduleAssignment.objects.filter(company_id=company_id, department__isnull=False)
            .order_by("-start_date", "-id")
            .values_list(
                "department_id",
                "schedule_id",
                "start_date",
                "end_date",
                "rotation_id",
                "rotation_offset",
            )
        ):
            assignments[dept_id].append(Assignment(schedule_id, start, end, rotation_id, offset))
        schedules = {s.id: s for s in WorkSchedule.objects.filter(company_id=company_id).order_by()}
        shifts = {s.id: s for s in ShiftType.objects.filter(company_id=company_id).order_by()}
        rotations = {
            rid: [str(code) for code in (sequence or [])]
            for rid, sequence in RotationPattern.objects.filter(company_id=company_id)
            .order_by()
            .values_list("id", "sequence")
        }
        cap = (
            AttendancePolicy.objects.filter(company_id=company_id)
            .order_by()
            .values_list("daily_overtime_cap_minutes", flat=True)
            .first()
        )
    return CompanySetup(
        calendars_by_region=by_region,
        default_calendar=default,
        locations=locations,
        department_parent=parents,
        department_assignments=dict(assignments),
        schedules=schedules,
        shifts=shifts,
        shift_by_code={s.code: s for s in shifts.values()},
        rotations=rotations,
        daily_overtime_cap_minutes=DEFAULT_DAILY_OVERTIME_CAP_MINUTES if cap is None else cap,
    )


def _on_setup_write(sender: type[Any], instance: Any, **kwargs: Any) -> None:
    company_id = getattr(instance, "company_id", None)
    if company_id is not None:
        setup_changed(company_id)


def _on_departments_bulk_created(sender: type[Any], company_id: int, **kwargs: Any) -> None:
    setup_changed(company_id)


def setup_signals_connect() -> None:
    """Called from the app's ``ready``: saves and deletes of set-up rows change the stamp,
    as do the org import's bulk-created departments."""
    departments_bulk_created.connect(
        _on_departments_bulk_created, dispatch_uid="attendance-setup-departments-bulk"
    )
    for model in SETUP_MODELS:
        uid = f"attendance-setup-{model._meta.label_lower}"
        post_save.connect(_on_setup_write, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_on_setup_write, sender=model, dispatch_uid=uid + "-delete")
