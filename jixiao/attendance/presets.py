"""Ready-made working-hour rules by industry that a company copies and then adjusts (seed 002).

A preset is plain data; ``preset_copy`` turns one into the company's own
``WorkSchedule`` (plus its shift types and rotation for shift work), audited.
Figures: 165.36 standard hours a month (人社部发〔2025〕2号) = 9,922 minutes;
the older 166.64 h is outdated (see DOMAIN.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jixiao.attendance.models import RotationPattern, ShiftType, WorkSchedule
from jixiao.attendance.services import schedules as schedule_services
from jixiao.audit.services import audit_record
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User

COMPREHENSIVE_MONTH_MINUTES = 9922  # 165.36 h × 60 = 9,921.6, rounded to whole minutes


@dataclass(frozen=True)
class PresetShift:
    code: str
    name: str | Promise
    blocks: tuple[tuple[str, str], ...]
    breaks: tuple[tuple[str, str], ...] = ()
    color: str = "#3b82f6"


@dataclass(frozen=True)
class Preset:
    key: str
    name: str | Promise
    industry: str | Promise
    description: str | Promise
    system: str
    values: dict[str, Any] = field(default_factory=dict)
    shifts: tuple[PresetShift, ...] = ()
    rotation_name: str | Promise = ""
    rotation: tuple[str, ...] = ()  # shift codes, "" = day off


PRESETS: tuple[Preset, ...] = (
    Preset(
        key="office_standard",
        name=gettext_lazy("办公室标准 9:00–18:00"),
        industry=gettext_lazy("办公室/职能"),
        description=gettext_lazy("9:00 上班，18:00 下班，午休 12:00–13:00，迟到宽限 5 分钟。"),
        system="standard",
        values={
            "blocks": [["09:00", "18:00"]],
            "breaks": [["12:00", "13:00"]],
            "grace_late_minutes": 5,
            "grace_early_minutes": 0,
            "daily_minutes": 480,
        },
    ),
    Preset(
        key="flexible_core",
        name=gettext_lazy("弹性工时·核心时间"),
        industry=gettext_lazy("外贸/销售/研发"),
        description=gettext_lazy(
            "核心时间 9:00–12:00 必须在岗，每日 8 小时可在 07:00–23:00 内完成；"
            "22:00 后夜间补贴 20 元/小时。"
        ),
        system="flexible",
        values={
            "core_start": dt.time(9, 0),
            "core_end": dt.time(12, 0),
            "flex_earliest": dt.time(7, 0),
            "flex_latest": dt.time(23, 0),
            "daily_minutes": 480,
            "grace_late_minutes": 0,
            "night_start": dt.time(22, 0),
            "night_end": dt.time(6, 0),
            "night_allowance_per_hour": Decimal("20.00"),
        },
    ),
    Preset(
        key="manufacturing_two_shift",
        name=gettext_lazy("制造业两班倒 12 小时"),
        industry=gettext_lazy("制造业"),
        description=gettext_lazy(
            "白班 08:00–20:00，夜班 20:00–次日 08:00；轮班：白、白、夜、夜、休、休。"
        ),
        system="shift",
        values={"grace_late_minutes": 5, "overtime_requires_approval": True},
        shifts=(
            PresetShift("D", gettext_lazy("白班"), (("08:00", "20:00"),), color="#f59e0b"),
            PresetShift("N", gettext_lazy("夜班"), (("20:00", "08:00"),), color="#6366f1"),
        ),
        rotation_name=gettext_lazy("两班倒 白白夜夜休休"),
        rotation=("D", "D", "N", "N", "", ""),
    ),
    Preset(
        key="manufacturing_three_shift",
        name=gettext_lazy("制造业三班倒 8 小时"),
        industry=gettext_lazy("制造业"),
        description=gettext_lazy(
            "早班 06:00–14:00，中班 14:00–22:00，夜班 22:00–次日 06:00；"
            "轮班：早、早、中、中、夜、夜、休、休。"
        ),
        system="shift",
        values={"grace_late_minutes": 5, "overtime_requires_approval": True},
        shifts=(
            PresetShift("A", gettext_lazy("早班"), (("06:00", "14:00"),), color="#22c55e"),
            PresetShift("B", gettext_lazy("中班"), (("14:00", "22:00"),), color="#f59e0b"),
            PresetShift("C", gettext_lazy("夜班"), (("22:00", "06:00"),), color="#6366f1"),
        ),
        rotation_name=gettext_lazy("三班倒 早早中中夜夜休休"),
        rotation=("A", "A", "B", "B", "C", "C", "", ""),
    ),
    Preset(
        key="retail_split",
        name=gettext_lazy("零售两头班"),
        industry=gettext_lazy("零售/餐饮"),
        description=gettext_lazy("两头班 10:00–14:00 + 17:00–21:00（中间休息）；轮班：上四休二。"),
        system="shift",
        values={"grace_late_minutes": 5},
        shifts=(
            PresetShift(
                "S",
                gettext_lazy("两头班"),
                (("10:00", "14:00"), ("17:00", "21:00")),
                color="#ec4899",
            ),
        ),
        rotation_name=gettext_lazy("两头班 上四休二"),
        rotation=("S", "S", "S", "S", "", ""),
    ),
    Preset(
        key="comprehensive_month",
        name=gettext_lazy("综合工时（月）"),
        industry=gettext_lazy("运输/制造/服务"),
        description=gettext_lazy(
            "以月为周期综合计算，每月标准工时 165.36 小时（9922 分钟），超出部分计加班；"
            "需经人社部门审批。"
        ),
        system="comprehensive",
        values={
            "period": "month",
            "period_standard_minutes": COMPREHENSIVE_MONTH_MINUTES,
            "daily_minutes": 480,
            "grace_late_minutes": 0,
        },
    ),
    Preset(
        key="unfixed",
        name=gettext_lazy("不定时工时"),
        industry=gettext_lazy("高管/外勤/长途运输"),
        description=gettext_lazy("记录出勤，不判迟到早退，不计加班；需经人社部门审批。"),
        system="unfixed",
        values={"grace_late_minutes": 0, "daily_minutes": 480},
    ),
)

PRESETS_BY_KEY: dict[str, Preset] = {p.key: p for p in PRESETS}


@dataclass(frozen=True)
class PresetCopy:
    schedule: WorkSchedule
    shifts: tuple[ShiftType, ...]
    rotation: RotationPattern | None


def _free_code(company: Company, code: str, taken: set[str]) -> str:
    """The preset's code, or the first of code2, code3 … not yet used by the company."""
    candidate, n = code, 1
    while candidate in taken:
        n += 1
        candidate = f"{code}{n}"
    return candidate


def _free_name(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base} ({n})"
    return candidate


@transaction.atomic
def preset_copy(
    *, company: Company, preset_key: str, name: str = "", actor: User | None
) -> PresetCopy:
    """Create the company's own copy of a preset: schedule, its shifts and its rotation.

    A shift code the company already uses gets a number (D → D2), so existing
    shifts and rosters are never changed.
    """
    preset = PRESETS_BY_KEY.get(preset_key)
    if preset is None:
        raise ServiceError(
            _("没有名为“%(key)s”的模板。") % {"key": preset_key},
            code="not_found",
            status=404,
            fields={"preset_key": [_("模板不存在。")]},
        )
    taken_codes = set(ShiftType.objects.filter(company=company).values_list("code", flat=True))
    codes: dict[str, str] = {}
    shifts: list[ShiftType] = []
    for item in preset.shifts:
        code = _free_code(company, item.code, taken_codes)
        taken_codes.add(code)
        codes[item.code] = code
        shifts.append(
            schedule_services.shift_type_create(
                company=company,
                actor=actor,
                code=code,
                name=str(item.name),
                blocks=[list(b) for b in item.blocks],
                breaks=[list(b) for b in item.breaks],
                color=item.color,
            )
        )
    rotation = None
    if preset.rotation:
        taken_names = set(
            RotationPattern.objects.filter(company=company).values_list("name", flat=True)
        )
        rotation = schedule_services.rotation_create(
            company=company,
            actor=actor,
            name=_free_name(str(preset.rotation_name), taken_names),
            sequence=[codes.get(c, c) if c else "" for c in preset.rotation],
        )
    schedule = schedule_services.schedule_create(
        company=company,
        actor=actor,
        name=(name or "").strip() or str(preset.name),
        system=preset.system,
        preset=preset.key,
        **preset.values,
    )
    audit_record(
        company=company,
        actor=actor,
        action="attendance.schedule.preset_copy",
        obj=schedule,
        changes={
            "preset": [None, preset.key],
            "shift_types": [None, [s.code for s in shifts]],
            "rotation": [None, rotation.name if rotation else None],
        },
    )
    return PresetCopy(schedule=schedule, shifts=tuple(shifts), rotation=rotation)
