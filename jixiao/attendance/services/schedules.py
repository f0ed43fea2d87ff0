"""Every write to working-hour rules, shift types, rotations, assignments, rosters and swaps.

Keyword-only, one transaction each, the caller has checked permission (roster edits
check it again, since both managers and HR reach them); each validates its input
(``ServiceError`` with field messages in Chinese) and writes an audit event.

Assignment resolution (see ``jixiao.attendance.selectors.schedules``): an
employee's own assignment wins over their department's, and a department's
assignment covers its subtree unless a nearer department has its own.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jixiao.attendance.models import (
    ApprovalStatus,
    RosterEntry,
    RotationPattern,
    ScheduleAssignment,
    ShiftSwapRequest,
    ShiftType,
    SystemChoice,
    WorkSchedule,
)
from jixiao.attendance.schedules_rule import time_parse
from jixiao.attendance.selectors.schedules import (
    AssignmentResolver,
    date_range,
    rotation_code_on,
)
from jixiao.attendance.services.request_flow import reader_text
from jixiao.attendance.services.results import locked_months
from jixiao.audit.services import AuditEntry, audit_record, audit_record_many, diff, snapshot
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.org.models import Department, Employee

SCHEDULE_FIELDS = (
    "name",
    "system",
    "preset",
    "blocks",
    "breaks",
    "grace_late_minutes",
    "grace_early_minutes",
    "core_start",
    "core_end",
    "flex_earliest",
    "flex_latest",
    "daily_minutes",
    "period",
    "period_standard_minutes",
    "overtime_requires_approval",
    "overtime_min_minutes",
    "rest_day_comp_leave",
    "unfixed_statutory_holiday_pay",
    "night_start",
    "night_end",
    "night_allowance_per_hour",
    "day_boundary",
    "punch_required",
)
TIME_FIELDS = (
    "core_start",
    "core_end",
    "flex_earliest",
    "flex_latest",
    "night_start",
    "night_end",
    "day_boundary",
)
MINUTE_FIELDS = (
    "grace_late_minutes",
    "grace_early_minutes",
    "daily_minutes",
    "overtime_min_minutes",
)
SHIFT_FIELDS = ("code", "name", "blocks", "breaks", "color")
ROTATION_FIELDS = ("name", "sequence")
ASSIGNMENT_FIELDS = (
    "schedule",
    "employee",
    "department",
    "rotation",
    "rotation_offset",
    "start_date",
    "end_date",
)
DAY = 24 * 60
MAX_BLOCKS = 2
ROTATION_MAX_LENGTH = 62
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


class _Errors:
    """Collects field errors, raised together so a form shows all of them at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self, message: str) -> None:
        if self.fields:
            raise ServiceError(message, code="invalid", status=422, fields=self.fields)


# --- Times and blocks -------------------------------------------------------------------


def _time_value(value: Any, field: str, errors: _Errors) -> dt.time | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str):
        try:
            return time_parse(value)
        except ValueError:
            pass
    errors.add(
        field, _("“%(value)s”不是有效的时间，请用 HH:MM 格式，如 09:00。") % {"value": value}
    )
    return None


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _text(t: dt.time) -> str:
    return t.strftime("%H:%M")


def _span(start: dt.time, end: dt.time) -> tuple[int, int]:
    """A wall-clock block on a 0–2,880 minute line; end ≤ start means it ends the next day."""
    s, e = _minutes(start), _minutes(end)
    return (s, e if e > s else e + DAY)


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return any(a[0] < b[1] + shift and b[0] + shift < a[1] for shift in (-DAY, 0, DAY))


def _inside(inner: tuple[int, int], outer: tuple[int, int]) -> bool:
    return any(outer[0] <= inner[0] + shift and inner[1] + shift <= outer[1] for shift in (0, DAY))


def _blocks_clean(
    raw: Any, field: str, errors: _Errors, *, max_blocks: int | None = None
) -> list[list[str]]:
    """[["09:00", "18:00"], ...] → normalised "HH:MM" pairs; zero length and overlaps refused."""
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list | tuple):
        errors.add(field, _('时段格式应为 [["开始", "结束"], …]。'))
        return []
    cleaned: list[list[str]] = []
    spans: list[tuple[int, int]] = []
    for index, pair in enumerate(raw, start=1):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            errors.add(field, _("第 %(n)d 个时段应为一对开始、结束时间。") % {"n": index})
            continue
        start = _time_value(pair[0], field, errors)
        end = _time_value(pair[1], field, errors)
        if start is None or end is None:
            if pair[0] in (None, "") or pair[1] in (None, ""):
                errors.add(field, _("第 %(n)d 个时段缺少开始或结束时间。") % {"n": index})
            continue
        if start == end:
            errors.add(
                field,
                _(
                    "第 %(n)d 个时段 %(start)s–%(end)s 长度为零：结束时间必须不同于开始时间（结束早于开始表示跨夜）。"
                )
                % {"n": index, "start": _text(start), "end": _text(end)},
            )
            continue
        span = _span(start, end)
        for other_index, other in enumerate(spans, start=1):
            if _overlaps(span, other):
                errors.add(
                    field,
                    _("第 %(n)d 个时段 %(start)s–%(end)s 与第 %(m)d 个时段重叠。")
                    % {"n": index, "m": other_index, "start": _text(start), "end": _text(end)},
                )
        spans.append(span)
        cleaned.append([_text(start), _text(end)])
    if max_blocks is not None and len(cleaned) > max_blocks:
        errors.add(field, _("一个班次最多 %(n)d 个上班时段（两头班为 2 段）。") % {"n": max_blocks})
    return cleaned


def _breaks_check(
    blocks: list[list[str]], breaks: list[list[str]], field: str, errors: _Errors
) -> None:
    block_spans = [_span(time_parse(s), time_parse(e)) for s, e in blocks]
    for _index, (s, e) in enumerate(breaks, start=1):
        span = _span(time_parse(s), time_parse(e))
        if not any(_inside(span, b) for b in block_spans):
            errors.add(
                field,
                _("休息时段 %(start)s–%(end)s 不在任何上班时段之内。") % {"start": s, "end": e},
            )


def _paid_minutes(blocks: list[list[str]], breaks: list[list[str]]) -> int:
    total = sum(b - a for a, b in (_span(time_parse(s), time_parse(e)) for s, e in blocks))
    rest = sum(b - a for a, b in (_span(time_parse(s), time_parse(e)) for s, e in breaks))
    return total - rest


# --- Locked months ----------------------------------------------------------------------


def roster_check_unlocked(company: Company, dates: Iterable[dt.date]) -> None:
    """Refuse roster changes in a locked attendance month (changes there need an audited reopen)."""
    locked = locked_months(company=company, months={(d.year, d.month) for d in dates})
    if locked:
        year, month = min(locked)
        raise ServiceError(
            _("%(year)d年%(month)d月的考勤已锁定，不能修改该月排班；如需修改，请HR先重新开放该月。")
            % {"year": year, "month": month},
            code="month_locked",
            status=409,
            fields={"date": [_("该月考勤已锁定。")]},
        )


# --- Working-hour rules -------------------------------------------------------------------


def _schedule_clean(values: dict[str, Any]) -> dict[str, Any]:
    """Validate a complete set of schedule values; returns them normalised."""
    errors = _Errors()
    out = dict(values)
    name = str(out.get("name") or "").strip()
    if not name:
        errors.add("name", _("请填写名称。"))
    elif len(name) > 100:
        errors.add("name", _("名称最多 100 个字。"))
    out["name"] = name
    system = out.get("system")
    if system not in SystemChoice.values:
        errors.add("system", _("请选择工时制度。"))
    for key in TIME_FIELDS:
        out[key] = _time_value(out.get(key), key, errors)
    for key in ("night_start", "night_end", "day_boundary"):
        if out[key] is None and key not in errors.fields:
            errors.add(key, _("请填写时间。"))
    for key in MINUTE_FIELDS:
        value = out.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value > DAY:
            errors.add(key, _("请填写 0 到 1440 之间的分钟数。"))
    try:
        allowance = Decimal(str(out.get("night_allowance_per_hour") or "0"))
        if allowance < 0 or allowance >= Decimal("1000000"):
            raise InvalidOperation
        out["night_allowance_per_hour"] = allowance.quantize(Decimal("0.01"))
    except InvalidOperation:
        errors.add("night_allowance_per_hour", _("请填写不小于 0 的金额。"))
    out["blocks"] = _blocks_clean(out.get("blocks"), "blocks", errors)
    out["breaks"] = _blocks_clean(out.get("breaks"), "breaks", errors)
    if system == SystemChoice.STANDARD and not out["blocks"] and "blocks" not in errors.fields:
        errors.add("blocks", _("标准工时至少需要一个上班时段，如 09:00–18:00。"))
    if out["breaks"] and out["blocks"] and "blocks" not in errors.fields:
        _breaks_check(out["blocks"], out["breaks"], "breaks", errors)
    if system == SystemChoice.SHIFT and out["blocks"]:
        errors.add("blocks", _("排班制的上班时段来自班次，请在班次中设置，此处留空。"))
    if system == SystemChoice.FLEXIBLE:
        core_start, core_end = out["core_start"], out["core_end"]
        earliest, latest = out["flex_earliest"], out["flex_latest"]
        if core_start is None and "core_start" not in errors.fields:
            errors.add("core_start", _("弹性工时需要填写核心时间开始。"))
        if core_end is None and "core_end" not in errors.fields:
            errors.add("core_end", _("弹性工时需要填写核心时间结束。"))
        if core_start and core_end and core_end <= core_start:
            errors.add("core_end", _("核心时间的结束必须晚于开始。"))
        if (earliest is None) != (latest is None):
            field = "flex_latest" if latest is None else "flex_earliest"
            errors.add(field, _("最早上班与最晚下班需同时填写。"))
        if earliest is not None and latest is not None:
            window = _span(earliest, latest)
            if earliest == latest:
                errors.add("flex_latest", _("最晚下班不能等于最早上班。"))
            elif (
                core_start
                and core_end
                and core_end > core_start
                and not _inside(_span(core_start, core_end), window)
            ):
                errors.add(
                    "core_start",
                    _("核心时间 %(cs)s–%(ce)s 必须在弹性时间范围 %(fs)s–%(fe)s 之内。")
                    % {
                        "cs": _text(core_start),
                        "ce": _text(core_end),
                        "fs": _text(earliest),
                        "fe": _text(latest),
                    },
                )
            daily = out.get("daily_minutes")
            if earliest != latest and isinstance(daily, int) and daily > window[1] - window[0]:
                errors.add("daily_minutes", _("每日应出勤时长超过了弹性时间范围。"))
    if system == SystemChoice.COMPREHENSIVE:
        if out.get("period") not in WorkSchedule.Period.values:
            errors.add("period", _("综合工时需要选择计算周期（周、月、季度或年）。"))
        standard = out.get("period_standard_minutes")
        if not isinstance(standard, int) or isinstance(standard, bool) or standard <= 0:
            errors.add(
                "period_standard_minutes",
                _("综合工时需要填写周期标准工时（分钟），如每月 165.36 小时 = 9922 分钟。"),
            )
    else:
        out["period"] = ""
        out["period_standard_minutes"] = None
    if system != SystemChoice.FLEXIBLE:
        for key in ("core_start", "core_end", "flex_earliest", "flex_latest"):
            out[key] = None
    if out.get("daily_minutes") == 0 and system in (
        SystemChoice.FLEXIBLE,
        SystemChoice.COMPREHENSIVE,
    ):
        errors.add("daily_minutes", _("每日应出勤时长必须大于 0。"))
    if (
        system == SystemChoice.STANDARD
        and out["blocks"]
        and "blocks" not in errors.fields
        and "breaks" not in errors.fields
    ):
        out["daily_minutes"] = _paid_minutes(out["blocks"], out["breaks"])
    errors.raise_if_any(_("工时规则填写有误，请检查标出的项目。"))
    return out


def _schedule_name_free(company: Company, name: str, exclude: int | None = None) -> None:
    rows = WorkSchedule.objects.filter(company=company, name=name)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    if rows.exists():
        raise ServiceError(
            _("已有名为“%(name)s”的工时规则。") % {"name": name},
            code="duplicate",
            status=409,
            fields={"name": [_("名称已被使用。")]},
        )


SCHEDULE_DEFAULTS: dict[str, Any] = {
    "preset": "",
    "blocks": [],
    "breaks": [],
    "grace_late_minutes": 5,
    "grace_early_minutes": 0,
    "core_start": None,
    "core_end": None,
    "flex_earliest": None,
    "flex_latest": None,
    "daily_minutes": 480,
    "period": "",
    "period_standard_minutes": None,
    "overtime_requires_approval": False,
    "overtime_min_minutes": 30,
    "rest_day_comp_leave": False,
    "unfixed_statutory_holiday_pay": False,
    "night_start": dt.time(22, 0),
    "night_end": dt.time(6, 0),
    "night_allowance_per_hour": Decimal("0.00"),
    "day_boundary": dt.time(4, 0),
    "punch_required": True,
}


def _unknown(fields: Mapping[str, Any], allowed: Sequence[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValueError(f"unknown fields: {unknown}")


@transaction.atomic
def schedule_create(
    *, company: Company, actor: User | None, name: str, system: str, reason: str = "", **fields: Any
) -> WorkSchedule:
    _unknown(fields, SCHEDULE_FIELDS)
    values = _schedule_clean({**SCHEDULE_DEFAULTS, **fields, "name": name, "system": system})
    _schedule_name_free(company, values["name"])
    schedule = WorkSchedule.objects.create(company=company, **values)
    audit_record(
        company=company,
        actor=actor,
        action="attendance.schedule.create",
        obj=schedule,
        changes=diff({}, snapshot(schedule, SCHEDULE_FIELDS)),
        reason=reason,
    )
    return schedule


@transaction.atomic
def schedule_update(
    *, schedule: WorkSchedule, actor: User | None, reason: str = "", **fields: Any
) -> WorkSchedule:
    _unknown(fields, SCHEDULE_FIELDS)
    schedule = WorkSchedule.objects.select_for_update().get(pk=schedule.pk)
    before = snapshot(schedule, SCHEDULE_FIELDS)
    current = {key: getattr(schedule, key) for key in SCHEDULE_FIELDS}
    values = _schedule_clean({**current, **fields})
    if (
        values["system"] != schedule.system
        and SystemChoice.SHIFT in (values["system"], schedule.system)
        and schedule.assignments.exists()
    ):
        raise ServiceError(
            _("该规则已分配给员工或部门，不能在排班制与其他工时制度之间切换；请新建一个规则。"),
            code="schedule_in_use",
            status=409,
            fields={"system": [_("已分配的规则不能改为或改自排班制。")]},
        )
    _schedule_name_free(schedule.company, values["name"], exclude=schedule.pk)
    for key, value in values.items():
        setattr(schedule, key, value)
    schedule.save()
    changes = diff(before, snapshot(schedule, SCHEDULE_FIELDS))
    if changes:
        audit_record(
            company=schedule.company,
            actor=actor,
            action="attendance.schedule.update",
            obj=schedule,
            changes=changes,
            reason=reason,
        )
    return schedule


@transaction.atomic
def schedule_delete(*, schedule: WorkSchedule, actor: User | None, reason: str = "") -> None:
    used = schedule.assignments.count()
    if used:
        raise ServiceError(
            _("工时规则“%(name)s”还有 %(n)d 条分配记录，请先删除这些分配。")
            % {"name": schedule.name, "n": used},
            code="schedule_in_use",
            status=409,
        )
    audit_record(
        company=schedule.company,
        actor=actor,
        action="attendance.schedule.delete",
        obj=schedule,
        changes=diff(snapshot(schedule, SCHEDULE_FIELDS), {}),
        reason=reason,
    )
    schedule.delete()


# --- Shift types ---------------------------------------------------------------------------


def _shift_clean(values: dict[str, Any]) -> dict[str, Any]:
    errors = _Errors()
    out = dict(values)
    code = str(out.get("code") or "").strip()
    if not code:
        errors.add("code", _("请填写班次代码，如 D、N。"))
    elif len(code) > 20:
        errors.add("code", _("班次代码最多 20 个字符。"))
    out["code"] = code
    name = str(out.get("name") or "").strip()
    if not name:
        errors.add("name", _("请填写班次名称。"))
    out["name"] = name[:100]
    out["blocks"] = _blocks_clean(out.get("blocks"), "blocks", errors, max_blocks=MAX_BLOCKS)
    if not out["blocks"] and "blocks" not in errors.fields:
        errors.add("blocks", _("班次至少需要一个上班时段。"))
    out["breaks"] = _blocks_clean(out.get("breaks"), "breaks", errors)
    if out["breaks"] and out["blocks"] and "blocks" not in errors.fields:
        _breaks_check(out["blocks"], out["breaks"], "breaks", errors)
    color = str(out.get("color") or "#3b82f6")
    if not COLOR_RE.match(color):
        errors.add("color", _("颜色应为 #RRGGBB 格式。"))
    out["color"] = color
    errors.raise_if_any(_("班次填写有误，请检查标出的项目。"))
    return out


def _shift_code_free(company: Company, code: str, exclude: int | None = None) -> None:
    rows = ShiftType.objects.filter(company=company, code=code)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    if rows.exists():
        raise ServiceError(
            _("班次代码“%(code)s”已被使用。") % {"code": code},
            code="duplicate",
            status=409,
            fields={"code": [_("代码已被使用。")]},
        )


@transaction.atomic
def shift_type_create(
    *,
    company: Company,
    actor: User | None,
    code: str,
    name: str,
    blocks: Any,
    breaks: Any = (),
    color: str = "#3b82f6",
) -> ShiftType:
    values = _shift_clean(
        {"code": code, "name": name, "blocks": blocks, "breaks": breaks, "color": color}
    )
    _shift_code_free(company, values["code"])
    shift = ShiftType.objects.create(company=company, **values)
    audit_record(
        company=company,
        actor=actor,
        action="attendance.shift_type.create",
        obj=shift,
        changes=diff({}, snapshot(shift, SHIFT_FIELDS)),
    )
    return shift


def _rotations_using(company: Company, code: str) -> list[RotationPattern]:
    return [r for r in RotationPattern.objects.filter(company=company) if code in r.sequence]


@transaction.atomic
def shift_type_update(*, shift: ShiftType, actor: User | None, **fields: Any) -> ShiftType:
    _unknown(fields, SHIFT_FIELDS)
    shift = ShiftType.objects.select_for_update().get(pk=shift.pk)
    before = snapshot(shift, SHIFT_FIELDS)
    values = _shift_clean({**{k: getattr(shift, k) for k in SHIFT_FIELDS}, **fields})
    if values["code"] != shift.code:
        _shift_code_free(shift.company, values["code"], exclude=shift.pk)
        users = _rotations_using(shift.company, shift.code)
        if users:
            raise ServiceError(
                _("班次代码“%(code)s”被轮班模式“%(rotation)s”使用，不能修改代码。")
                % {"code": shift.code, "rotation": users[0].name},
                code="shift_type_in_use",
                status=409,
                fields={"code": [_("代码被轮班模式使用。")]},
            )
    for key, value in values.items():
        setattr(shift, key, value)
    shift.save()
    changes = diff(before, snapshot(shift, SHIFT_FIELDS))
    if changes:
        audit_record(
            company=shift.company,
            actor=actor,
            action="attendance.shift_type.update",
            obj=shift,
            changes=changes,
        )
    return shift


@transaction.atomic
def shift_type_delete(*, shift: ShiftType, actor: User | None) -> None:
    rostered = RosterEntry.objects.filter(company=shift.company, shift=shift).count()
    if rostered:
        raise ServiceError(
            _("班次“%(code)s”已排入 %(n)d 个班，不能删除。") % {"code": shift.code, "n": rostered},
            code="shift_type_in_use",
            status=409,
        )
    users = _rotations_using(shift.company, shift.code)
    if users:
        raise ServiceError(
            _("班次“%(code)s”被轮班模式“%(rotation)s”使用，不能删除。")
            % {"code": shift.code, "rotation": users[0].name},
            code="shift_type_in_use",
            status=409,
        )
    audit_record(
        company=shift.company,
        actor=actor,
        action="attendance.shift_type.delete",
        obj=shift,
        changes=diff(snapshot(shift, SHIFT_FIELDS), {}),
    )
    shift.delete()


# --- Rotation patterns ---------------------------------------------------------------------


def _rotation_clean(company: Company, values: dict[str, Any]) -> dict[str, Any]:
    errors = _Errors()
    name = str(values.get("name") or "").strip()
    if not name:
        errors.add("name", _("请填写轮班模式名称。"))
    sequence = values.get("sequence")
    cleaned: list[str] = []
    if not isinstance(sequence, list | tuple) or not sequence:
        errors.add("sequence", _("轮班序列至少需要一天，如 D,D,N,N,休,休。"))
    elif len(sequence) > ROTATION_MAX_LENGTH:
        errors.add("sequence", _("轮班序列最多 %(n)d 天。") % {"n": ROTATION_MAX_LENGTH})
    else:
        known = set(ShiftType.objects.filter(company=company).values_list("code", flat=True))
        for index, item in enumerate(sequence, start=1):
            code = str(item or "").strip()
            if code and code not in known:
                errors.add(
                    "sequence",
                    _("第 %(n)d 天的班次代码“%(code)s”不存在，请先创建该班次。")
                    % {"n": index, "code": code},
                )
            cleaned.append(code)
        if cleaned and not any(cleaned):
            errors.add("sequence", _("轮班序列不能全是休息日。"))
    errors.raise_if_any(_("轮班模式填写有误，请检查标出的项目。"))
    return {"name": name[:100], "sequence": cleaned}


def _rotation_name_free(company: Company, name: str, exclude: int | None = None) -> None:
    rows = RotationPattern.objects.filter(company=company, name=name)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    if rows.exists():
        raise ServiceError(
            _("已有名为“%(name)s”的轮班模式。") % {"name": name},
            code="duplicate",
            status=409,
            fields={"name": [_("名称已被使用。")]},
        )


@transaction.atomic
def rotation_create(
    *, company: Company, actor: User | None, name: str, sequence: Sequence[str]
) -> RotationPattern:
    values = _rotation_clean(company, {"name": name, "sequence": list(sequence)})
    _rotation_name_free(company, values["name"])
    rotation = RotationPattern.objects.create(company=company, **values)
    audit_record(
        company=company,
        actor=actor,
        action="attendance.rotation.create",
        obj=rotation,
        changes=diff({}, snapshot(rotation, ROTATION_FIELDS)),
    )
    return rotation


@transaction.atomic
def rotation_update(
    *, rotation: RotationPattern, actor: User | None, **fields: Any
) -> RotationPattern:
    _unknown(fields, ROTATION_FIELDS)
    rotation = RotationPattern.objects.select_for_update().get(pk=rotation.pk)
    before = snapshot(rotation, ROTATION_FIELDS)
    values = _rotation_clean(
        rotation.company, {"name": rotation.name, "sequence": rotation.sequence, **fields}
    )
    _rotation_name_free(rotation.company, values["name"], exclude=rotation.pk)
    rotation.name, rotation.sequence = values["name"], values["sequence"]
    rotation.save()
    changes = diff(before, snapshot(rotation, ROTATION_FIELDS))
    if changes:
        audit_record(
            company=rotation.company,
            actor=actor,
            action="attendance.rotation.update",
            obj=rotation,
            changes=changes,
        )
    return rotation


@transaction.atomic
def rotation_delete(*, rotation: RotationPattern, actor: User | None) -> None:
    used = ScheduleAssignment.objects.filter(company=rotation.company, rotation=rotation).count()
    if used:
        raise ServiceError(
            _("轮班模式“%(name)s”还被 %(n)d 条分配使用，请先修改或删除这些分配。")
            % {"name": rotation.name, "n": used},
            code="rotation_in_use",
            status=409,
        )
    audit_record(
        company=rotation.company,
        actor=actor,
        action="attendance.rotation.delete",
        obj=rotation,
        changes=diff(snapshot(rotation, ROTATION_FIELDS), {}),
    )
    rotation.delete()


# --- Assignments ---------------------------------------------------------------------------


def _assignment_label(assignment: ScheduleAssignment) -> str:
    end = assignment.end_date.isoformat() if assignment.end_date else _("长期")
    return f"#{assignment.pk} {assignment.schedule.name} {assignment.start_date.isoformat()}–{end}"


def _assignment_conflict(
    *,
    company: Company,
    employee: Employee | None,
    department: Department | None,
    start_date: dt.date,
    end_date: dt.date | None,
    exclude: int | None = None,
) -> None:
    rows = ScheduleAssignment.objects.filter(company=company).select_related("schedule")
    rows = (
        rows.filter(employee=employee)
        if employee is not None
        else rows.filter(department=department)
    )
    rows = rows.filter(Q(end_date__isnull=True) | Q(end_date__gte=start_date))
    if end_date is not None:
        rows = rows.filter(start_date__lte=end_date)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    conflict = rows.order_by("start_date").first()
    if conflict is not None:
        label = _assignment_label(conflict)
        raise ServiceError(
            _("与已有的分配 %(label)s 时间重叠；同一对象的分配不能重叠，请先结束或删除它。")
            % {"label": label},
            code="assignment_overlap",
            status=409,
            fields={"start_date": [_("与分配 %(label)s 重叠。") % {"label": label}]},
        )


@transaction.atomic
def assignment_create(
    *,
    company: Company,
    actor: User | None,
    schedule: WorkSchedule,
    start_date: dt.date,
    employee: Employee | None = None,
    department: Department | None = None,
    end_date: dt.date | None = None,
    rotation: RotationPattern | None = None,
    rotation_offset: int = 0,
    reason: str = "",
) -> ScheduleAssignment:
    errors = _Errors()
    if (employee is None) == (department is None):
        errors.add("employee", _("请选择一名员工或一个部门（二选一）。"))
    if end_date is not None and end_date < start_date:
        errors.add("end_date", _("结束日期不能早于开始日期。"))
    if rotation is not None and schedule.system != SystemChoice.SHIFT:
        errors.add("rotation", _("只有排班制的规则才能设置轮班模式。"))
    if rotation_offset < 0 or (rotation is not None and rotation_offset >= len(rotation.sequence)):
        errors.add("rotation_offset", _("轮班起点偏移应在 0 到轮班天数减 1 之间。"))
    for obj in (schedule, employee, department, rotation):
        if obj is not None and obj.company_id != company.pk:
            raise ServiceError(_("所选对象不存在。"), code="not_found", status=404)
    errors.raise_if_any(_("分配填写有误，请检查标出的项目。"))
    _assignment_conflict(
        company=company,
        employee=employee,
        department=department,
        start_date=start_date,
        end_date=end_date,
    )
    assignment = ScheduleAssignment.objects.create(
        company=company,
        schedule=schedule,
        employee=employee,
        department=department,
        rotation=rotation,
        rotation_offset=rotation_offset,
        start_date=start_date,
        end_date=end_date,
        created_by=actor if actor is not None and actor.pk else None,
    )
    audit_record(
        company=company,
        actor=actor,
        action="attendance.assignment.create",
        obj=assignment,
        changes=diff({}, snapshot(assignment, ASSIGNMENT_FIELDS)),
        reason=reason,
    )
    return assignment


@transaction.atomic
def assignment_end(
    *, assignment: ScheduleAssignment, end_date: dt.date, actor: User | None, reason: str = ""
) -> ScheduleAssignment:
    """Set (or move) the last day of an assignment."""
    assignment = ScheduleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if end_date < assignment.start_date:
        raise ServiceError(
            _("结束日期不能早于开始日期 %(date)s。") % {"date": assignment.start_date.isoformat()},
            fields={"end_date": [_("结束日期不能早于开始日期。")]},
        )
    _assignment_conflict(
        company=assignment.company,
        employee=assignment.employee,
        department=assignment.department,
        start_date=assignment.start_date,
        end_date=end_date,
        exclude=assignment.pk,
    )
    before = snapshot(assignment, ASSIGNMENT_FIELDS)
    assignment.end_date = end_date
    assignment.save(update_fields=["end_date"])
    audit_record(
        company=assignment.company,
        actor=actor,
        action="attendance.assignment.end",
        obj=assignment,
        changes=diff(before, snapshot(assignment, ASSIGNMENT_FIELDS)),
        reason=reason,
    )
    return assignment


@transaction.atomic
def assignment_delete(
    *, assignment: ScheduleAssignment, actor: User | None, reason: str = ""
) -> None:
    audit_record(
        company=assignment.company,
        actor=actor,
        action="attendance.assignment.delete",
        obj=assignment,
        changes=diff(snapshot(assignment, ASSIGNMENT_FIELDS), {}),
        reason=reason,
    )
    assignment.delete()


# --- Rosters ---------------------------------------------------------------------------


def _shift_label(shift: ShiftType | None) -> str:
    return shift.code if shift is not None else ""


def _roster_permission(actor: User, employee: Employee) -> None:
    if not actor.has_perm("attendance.manage_attendance", employee):
        raise ServiceError(_("只有该员工的上级或HR可以修改其排班。"), code="forbidden", status=403)


@dataclass(frozen=True)
class RosterGenerated:
    written: int  # entries created or changed
    unchanged: int
    skipped: tuple[str, ...]  # names of employees without a rotation in the range


@transaction.atomic
def roster_generate(
    *,
    company: Company,
    employees: Sequence[Employee],
    start: dt.date,
    end: dt.date,
    actor: User,
) -> RosterGenerated:
    """Fill the roster from each person's assignment rotation (and offset), overwriting the range.

    Days without a shift-system assignment with a rotation are left as they are.
    """
    if end < start:
        raise ServiceError(
            _("结束日期不能早于开始日期。"), fields={"end": [_("结束日期不能早于开始日期。")]}
        )
    if (end - start).days >= 366:
        raise ServiceError(_("一次最多生成一年的排班。"), fields={"end": [_("范围太长。")]})
    for employee in employees:
        if employee.company_id != company.pk:
            raise ServiceError(_("所选对象不存在。"), code="not_found", status=404)
        _roster_permission(actor, employee)
    dates = date_range(start, end)
    roster_check_unlocked(company, dates)
    shifts = {s.code: s for s in ShiftType.objects.filter(company=company)}
    resolver = AssignmentResolver(list(employees), start, end)
    existing = {
        (e.employee_id, e.date): e
        for e in RosterEntry.objects.select_for_update().filter(
            company=company, employee__in=list(employees), date__range=(start, end)
        )
    }
    now = timezone.now()
    creates: list[RosterEntry] = []
    updates: list[RosterEntry] = []
    entries: list[AuditEntry] = []
    unchanged = 0
    skipped: list[str] = []
    for employee in employees:
        generated_any = False
        for day in dates:
            assignment = resolver.for_day(employee, day)
            if assignment is None or assignment.schedule.system != SystemChoice.SHIFT:
                continue
            code = rotation_code_on(assignment, day)
            if code is None:
                continue
            generated_any = True
            shift = shifts.get(code) if code else None
            if code and shift is None:
                raise ServiceError(
                    _("轮班模式“%(rotation)s”中的班次代码“%(code)s”已不存在。")
                    % {
                        "rotation": assignment.rotation.name if assignment.rotation else "",
                        "code": code,
                    },
                    code="shift_type_missing",
                    status=409,
                )
            entry = existing.get((employee.pk, day))
            if entry is None:
                entry = RosterEntry(
                    company=company,
                    employee=employee,
                    date=day,
                    shift=shift,
                    updated_by=actor,
                    updated_at=now,
                )
                creates.append(entry)
                before = ""
            elif entry.shift_id == (shift.pk if shift else None):
                unchanged += 1
                continue
            else:
                before = _shift_label(entry.shift) if entry.shift_id else ""
                entry.shift = shift
                entry.updated_by = actor
                entry.updated_at = now
                updates.append(entry)
            entries.append(
                AuditEntry(
                    action="attendance.roster.generate",
                    object_type="attendance.rosterentry",
                    object_id=f"{employee.pk}:{day.isoformat()}",
                    object_repr=f"{employee.name} {day.isoformat()}",
                    changes={"shift": [before, code]},
                )
            )
        if not generated_any:
            skipped.append(employee.name)
    RosterEntry.objects.bulk_create(creates, batch_size=1000)
    RosterEntry.objects.bulk_update(updates, ["shift", "updated_by", "updated_at"], batch_size=1000)
    audit_record_many(company=company, actor=actor, entries=entries, reason=_("按轮班生成排班"))
    return RosterGenerated(
        written=len(creates) + len(updates), unchanged=unchanged, skipped=tuple(skipped)
    )


@transaction.atomic
def roster_set(
    *,
    employee: Employee,
    date: dt.date,
    shift: ShiftType | None,
    actor: User,
    reason: str = "",
) -> RosterEntry:
    """Put one shift (or a day off: ``shift=None``) on the roster for one person and date."""
    _roster_permission(actor, employee)
    if shift is not None and shift.company_id != employee.company_id:
        raise ServiceError(_("所选班次不存在。"), code="not_found", status=404)
    roster_check_unlocked(employee.company, [date])
    entry = (
        RosterEntry.objects.select_for_update(of=("self",))
        .filter(company_id=employee.company_id, employee=employee, date=date)
        .select_related("shift")
        .first()
    )
    before = "" if entry is None or entry.shift is None else entry.shift.code
    if entry is None:
        entry = RosterEntry.objects.create(
            company_id=employee.company_id,
            employee=employee,
            date=date,
            shift=shift,
            updated_by=actor,
        )
    elif entry.shift_id != (shift.pk if shift else None):
        entry.shift = shift
        entry.updated_by = actor
        entry.save(update_fields=["shift", "updated_by", "updated_at"])
    else:
        return entry
    audit_record(
        company=employee.company,
        actor=actor,
        action="attendance.roster.set",
        obj=entry,
        object_repr=f"{employee.name} {date.isoformat()}",
        changes={"shift": [before, _shift_label(shift)]},
        reason=reason,
    )
    return entry


@transaction.atomic
def roster_set_many(
    *,
    company: Company,
    cells: Sequence[tuple[Employee, dt.date, ShiftType | None]],
    actor: User,
    reason: str = "",
) -> list[RosterEntry]:
    """Several roster cells at once, all or nothing (the API's batch PUT)."""
    for employee, _day, _shift in cells:
        _roster_permission(actor, employee)
    roster_check_unlocked(company, [day for _employee, day, _shift in cells])
    return [
        roster_set(employee=employee, date=day, shift=shift, actor=actor, reason=reason)
        for employee, day, shift in cells
    ]


# --- Shift swaps ---------------------------------------------------------------------------

SWAP_FIELDS = ("status", "decided_by", "decided_at", "decision_note")


def _same_team(a: Employee, b: Employee) -> bool:
    return a.department_id == b.department_id or (
        a.manager_id is not None and a.manager_id == b.manager_id
    )


def _swap_dates(swap: ShiftSwapRequest) -> list[dt.date]:
    return sorted({swap.requester_date, swap.counterpart_date})


def _swap_entries(swap: ShiftSwapRequest, *, lock: bool) -> dict[tuple[int, dt.date], RosterEntry]:
    rows = RosterEntry.objects.filter(
        company_id=swap.company_id,
        employee_id__in=[swap.requester_id, swap.counterpart_id],
        date__in=_swap_dates(swap),
    ).select_related("shift")
    if lock:
        rows = rows.select_for_update(of=("self",))  # the shift is a nullable join
    return {(e.employee_id, e.date): e for e in rows}


def _swap_check(swap: ShiftSwapRequest, entries: Mapping[tuple[int, dt.date], RosterEntry]) -> None:
    """Both people must be rostered on each swapped date, and the swap must change something."""
    missing = [
        (person, day)
        for person in (swap.requester, swap.counterpart)
        for day in _swap_dates(swap)
        if (person.pk, day) not in entries
    ]
    if missing:
        person, day = missing[0]
        raise ServiceError(
            _("%(name)s 在 %(date)s 还没有排班，不能换班。")
            % {"name": person.name, "date": day.isoformat()},
            code="not_rostered",
            status=409,
        )
    if all(
        entries[(swap.requester_id, day)].shift_id == entries[(swap.counterpart_id, day)].shift_id
        for day in _swap_dates(swap)
    ):
        raise ServiceError(
            _("两人在所选日期的班次相同，无需换班。"),
            code="swap_no_change",
            status=422,
            fields={"counterpart_date": [_("班次相同。")]},
        )


def _managers_of(employee: Employee) -> list[User]:
    users: list[User] = []
    for manager in (employee.manager, employee.department.head if employee.department_id else None):
        if manager is not None and manager.user_id is not None and manager.pk != employee.pk:
            users.append(manager.user)  # type: ignore[arg-type]
    return list({u.pk: u for u in users}.values())


@transaction.atomic
def swap_request_create(
    *,
    requester: Employee,
    counterpart: Employee,
    requester_date: dt.date,
    counterpart_date: dt.date,
    reason: str = "",
    actor: User,
) -> ShiftSwapRequest:
    """Ask to swap: on each of the two dates the two people exchange their rostered shifts."""
    from jixiao.notifications.services import notify

    if counterpart.pk == requester.pk:
        raise ServiceError(_("不能和自己换班。"), fields={"counterpart": [_("请选择另一位同事。")]})
    if counterpart.company_id != requester.company_id:
        raise ServiceError(_("所选对象不存在。"), code="not_found", status=404)
    if not _same_team(requester, counterpart):
        raise ServiceError(
            _("只能和同一团队（同部门或同一上级）的同事换班。"),
            fields={"counterpart": [_("%(name)s 不在你的团队。") % {"name": counterpart.name}]},
        )
    swap = ShiftSwapRequest(
        company_id=requester.company_id,
        requester=requester,
        counterpart=counterpart,
        requester_date=requester_date,
        counterpart_date=counterpart_date,
        reason=reason[:500],
    )
    roster_check_unlocked(requester.company, _swap_dates(swap))
    _swap_check(swap, _swap_entries(swap, lock=False))
    duplicate = ShiftSwapRequest.objects.filter(
        company_id=requester.company_id,
        status=ApprovalStatus.PENDING,
        requester__in=[requester, counterpart],
    ).filter(Q(requester_date__in=_swap_dates(swap)) | Q(counterpart_date__in=_swap_dates(swap)))
    if duplicate.exists():
        raise ServiceError(_("这些日期已有待审批的换班申请。"), code="swap_pending", status=409)
    swap.save()
    audit_record(
        company=requester.company,
        actor=actor,
        action="attendance.swap.create",
        obj=swap,
        changes={
            "requester": [None, requester.pk],
            "counterpart": [None, counterpart.pk],
            "requester_date": [None, requester_date.isoformat()],
            "counterpart_date": [None, counterpart_date.isoformat()],
        },
        reason=reason,
    )
    recipients = [u for u in [counterpart.user, *_managers_of(requester)] if u is not None]
    notify(
        recipients=recipients,
        category="attendance",
        title=reader_text(lambda: _("%(name)s 申请换班") % {"name": requester.name}),
        body=reader_text(
            lambda: (
                _("%(a)s（%(d1)s）与 %(b)s（%(d2)s）换班，待上级审批。")
                % {
                    "a": requester.name,
                    "d1": requester_date.isoformat(),
                    "b": counterpart.name,
                    "d2": counterpart_date.isoformat(),
                }
            )
        ),
        link="/attendance/swaps/",
    )
    return swap


@transaction.atomic
def swap_request_decide(
    *, swap: ShiftSwapRequest, approve: bool, actor: User, note: str = ""
) -> ShiftSwapRequest:
    """Approve (exchange the roster rows atomically) or reject a pending swap; notifies both."""
    from jixiao.notifications.services import notify

    swap = (
        ShiftSwapRequest.objects.select_for_update(of=("self",))
        .select_related("requester", "counterpart", "requester__user", "counterpart__user")
        .get(pk=swap.pk)
    )
    if swap.status != ApprovalStatus.PENDING:
        raise ServiceError(
            _("该换班申请已处理（%(status)s）。") % {"status": swap.get_status_display()},
            code="already_decided",
            status=409,
        )
    for person in (swap.requester, swap.counterpart):
        if not actor.has_perm("attendance.manage_attendance", person):
            raise ServiceError(_("只有两人的上级或HR可以审批换班。"), code="forbidden", status=403)
    before = snapshot(swap, SWAP_FIELDS)
    entries_audit: list[AuditEntry] = []
    if approve:
        roster_check_unlocked(swap.requester.company, _swap_dates(swap))
        entries = _swap_entries(swap, lock=True)
        _swap_check(swap, entries)
        for day in _swap_dates(swap):
            mine = entries[(swap.requester_id, day)]
            theirs = entries[(swap.counterpart_id, day)]
            if mine.shift_id == theirs.shift_id:
                continue
            for entry, new in ((mine, theirs.shift), (theirs, mine.shift)):
                entries_audit.append(
                    AuditEntry(
                        action="attendance.roster.swap",
                        object_type="attendance.rosterentry",
                        object_id=str(entry.pk),
                        object_repr=f"{entry.employee_id} {day.isoformat()}",
                        changes={"shift": [_shift_label(entry.shift), _shift_label(new)]},
                    )
                )
            mine.shift, theirs.shift = theirs.shift, mine.shift
            for entry in (mine, theirs):
                entry.updated_by = actor
                entry.save(update_fields=["shift", "updated_by", "updated_at"])
    swap.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    swap.decided_by = actor
    swap.decided_at = timezone.now()
    swap.decision_note = note[:500]
    swap.save(update_fields=list(SWAP_FIELDS))
    audit_record(
        company=swap.requester.company,
        actor=actor,
        action="attendance.swap.approve" if approve else "attendance.swap.reject",
        obj=swap,
        changes=diff(before, snapshot(swap, SWAP_FIELDS)),
        reason=note,
    )
    if entries_audit:
        audit_record_many(
            company=swap.requester.company,
            actor=actor,
            entries=entries_audit,
            reason=_("换班申请 #%(id)d 已批准") % {"id": swap.pk},
        )
    recipients = [u for u in (swap.requester.user, swap.counterpart.user) if u is not None]
    notify(
        recipients=recipients,
        category="attendance",
        title=gettext_lazy("换班申请已通过") if approve else gettext_lazy("换班申请未通过"),
        body=reader_text(
            lambda: (
                _("%(a)s（%(d1)s）与 %(b)s（%(d2)s）的换班申请：%(status)s。%(note)s")
                % {
                    "a": swap.requester.name,
                    "d1": swap.requester_date.isoformat(),
                    "b": swap.counterpart.name,
                    "d2": swap.counterpart_date.isoformat(),
                    "status": swap.get_status_display(),
                    "note": note,
                }
            )
        ),
        link="/attendance/swaps/",
    )
    return swap
