"""Words for the attendance engine's reasons: ``Reason(code, params)`` → a sentence in the reader's language.

The engine stays free of translation; this module holds one gettext message per
reason code (Chinese msgids, English comes from the .po file). Stored results keep
reasons as JSON ``{"code": ..., "params": {...}}``; both forms are accepted. A code
this module does not know, or params that do not fit its message, never fail:
the code and its params are shown as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.utils.translation import gettext as _

from jixiao.attendance.engine import DayKind, Reason


def _day_kind_label(value: object) -> str:
    labels = {
        DayKind.WORKDAY.value: _("工作日"),
        DayKind.MAKEUP_WORKDAY.value: _("调休上班日"),
        DayKind.REST_DAY.value: _("休息日"),
        DayKind.STATUTORY_HOLIDAY.value: _("法定节假日"),
        DayKind.COMPANY_REST_DAY.value: _("公司休息日"),
    }
    return labels.get(str(value), str(value))


def _period_label(value: object) -> str:
    labels = {"week": _("周"), "month": _("月"), "quarter": _("季度"), "year": _("年")}
    return labels.get(str(value), str(value))


def _rest(params: Mapping[str, Any]) -> str:
    kind = _day_kind_label(params.get("day_kind", ""))
    if params.get("holiday"):
        return _("%(kind)s（%(holiday)s），无出勤要求") % {
            "kind": kind,
            "holiday": params["holiday"],
        }
    return _("%(kind)s，无出勤要求") % {"kind": kind}


def _overtime_holiday(params: Mapping[str, Any]) -> str:
    if params.get("holiday"):
        return _("法定节假日（%(holiday)s）加班 %(minutes)s 分钟，按 300%% 计，不可调休") % params
    return _("法定节假日加班 %(minutes)s 分钟，按 300%% 计，不可调休") % params


def _comprehensive_total(params: Mapping[str, Any]) -> str:
    values = dict(params)
    values["period"] = _period_label(params.get("period", ""))
    return (
        _(
            "综合工时（%(period)s）：实际工作 %(worked)s 分钟，标准 %(standard)s 分钟"
            "（已扣除请假 %(leave)s 分钟），超出 %(overtime)s 分钟计为工作日加班"
        )
        % values
    )


def _comprehensive_week(params: Mapping[str, Any]) -> str:
    return (
        _(
            "综合工时（周，%(start)s 至 %(end)s）：实际工作 %(worked)s 分钟，标准 %(standard)s 分钟"
            "（已扣除请假 %(leave)s 分钟），超出 %(overtime)s 分钟计为工作日加班"
        )
        % params
    )


def _comprehensive_to_date(params: Mapping[str, Any]) -> str:
    values = dict(params)
    values["period"] = _period_label(params.get("period", ""))
    return (
        _(
            "综合工时（%(period)s）：自 %(start)s 起至本月末已工作 %(worked)s 分钟"
            "（请假 %(leave)s 分钟），周期标准 %(standard)s 分钟；加班判定于期末（%(end_month)s）"
        )
        % values
    )


def _comprehensive_incomplete(params: Mapping[str, Any]) -> str:
    values = dict(params)
    values["period"] = _period_label(params.get("period", ""))
    return (
        _(
            "综合工时（%(period)s）：本月之前的周期内有 %(missing)s 天没有考勤结果"
            "（已有 %(found)s 天），周期总工时可能偏少，请先计算这些日期"
        )
        % values
    )


def _month_night(params: Mapping[str, Any]) -> str:
    if params.get("fallback_days"):
        return (
            _(
                "本月夜间工作 %(minutes)s 分钟，夜班补贴合计 %(amount)s 元（其中 %(fallback_days)s 天"
                "按公司统一标准 %(rate)s 元/小时计；每日金额四舍五入到分）"
            )
            % params
        )
    return (
        _("本月夜间工作 %(minutes)s 分钟，夜班补贴合计 %(amount)s 元（每日金额四舍五入到分）")
        % params
    )


def _simple(message: Callable[[], str]) -> Callable[[Mapping[str, Any]], str]:
    def render(params: Mapping[str, Any]) -> str:
        return message() % params

    return render


# One renderer per reason code. Messages are looked up when rendered, so the
# active language of the request applies.
_RENDERERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    # Day: schedule and presence.
    "no_schedule": _simple(lambda: _("未分配工时制度，无法计算考勤，请设置工时规则")),
    "not_rostered": _simple(lambda: _("排班制但当天未排班，请在排班表中安排班次或休息")),
    "rest": _rest,
    "unfixed_hours": _simple(lambda: _("不定时工时制：记录出勤，不计迟到早退与工作日加班")),
    "scheduled": _simple(lambda: _("应出勤 %(minutes)s 分钟（%(start)s–%(end)s，已扣除休息时间）")),
    "scheduled_daily": _simple(lambda: _("每日应出勤 %(minutes)s 分钟")),
    "worked": _simple(lambda: _("实际工作 %(minutes)s 分钟：%(first)s 至 %(last)s")),
    "break_deducted": _simple(lambda: _("已扣除休息时间 %(minutes)s 分钟")),
    "activity_sessions": _simple(
        lambda: _("根据通话和邮件记录计入 %(count)s 段工作，共 %(minutes)s 分钟")
    ),
    "missing_punch": _simple(
        lambda: _("缺卡：当天只有一次打卡（%(at)s），无法计算工作时长，请申请补卡")
    ),
    # Day: lateness, early leave, absence, leave.
    "late": _simple(
        lambda: _(
            "迟到 %(minutes)s 分钟：首次打卡 %(first)s，上班时间 %(start)s，宽限 %(grace)s 分钟"
        )
    ),
    "early": _simple(
        lambda: _("早退 %(minutes)s 分钟：末次打卡 %(last)s，下班时间 %(end)s，宽限 %(grace)s 分钟")
    ),
    "core_late": _simple(
        lambda: _(
            "核心时间迟到 %(minutes)s 分钟：首次打卡 %(first)s，核心时间 %(start)s 开始，"
            "宽限 %(grace)s 分钟"
        )
    ),
    "core_early": _simple(
        lambda: _(
            "核心时间早退 %(minutes)s 分钟：末次打卡 %(last)s，核心时间 %(end)s 结束，"
            "宽限 %(grace)s 分钟"
        )
    ),
    "flex_shortfall": _simple(
        lambda: _(
            "工作时长不足 %(minutes)s 分钟：弹性时段内工作 %(counted)s 分钟，"
            "应工作 %(required)s 分钟"
        )
    ),
    "flex_outside_window": _simple(
        lambda: _(
            "%(minutes)s 分钟在弹性时段 %(start)s–%(end)s 之外，不计入每日应出勤，计为加班或夜间工作"
        )
    ),
    "absent": _simple(lambda: _("旷工 %(minutes)s 分钟：无打卡记录，也无批准的请假")),
    "leave": _simple(lambda: _("已批准请假 %(minutes)s 分钟")),
    "leave_full": _simple(lambda: _("请假覆盖全部应出勤时间（%(minutes)s 分钟）")),
    # Day: overtime.
    "overtime_workday": _simple(lambda: _("工作日加班 %(minutes)s 分钟，按 150%% 计")),
    "overtime_rest_day": _simple(lambda: _("休息日加班 %(minutes)s 分钟，按 200%% 计或调休")),
    "comp_leave": _simple(lambda: _("休息日加班 %(minutes)s 分钟转为调休，不另发加班费")),
    "overtime_holiday": _overtime_holiday,
    "overtime_below_minimum": _simple(
        lambda: _("加班 %(minutes)s 分钟不足最短计加班时长 %(minimum)s 分钟，不计加班")
    ),
    "overtime_unapproved": _simple(lambda: _("%(minutes)s 分钟加班没有批准的加班申请，未计入加班")),
    "overtime_daily_cap": _simple(
        lambda: _(
            "当日加班 %(minutes)s 分钟，超过每日上限 %(cap)s 分钟（《劳动法》第41条），请人事核实"
        )
    ),
    "comprehensive_period": _simple(
        lambda: _("综合工时制：当天工作 %(minutes)s 分钟计入周期总工时，按周期判断加班")
    ),
    "unfixed_no_overtime": _simple(lambda: _("不定时工时制：当天工作 %(minutes)s 分钟，不计加班")),
    # Day: night work.
    "night": _simple(lambda: _("夜间工作 %(minutes)s 分钟（%(start)s–%(end)s）")),
    "night_allowance": _simple(
        lambda: _("夜班补贴 %(amount)s 元：%(minutes)s 分钟 × %(rate)s 元/小时，四舍五入到分")
    ),
    # Month.
    "punch_rate": _simple(
        lambda: _("打卡率 %(rate)s%%：应打卡 %(scheduled)s 天，完整打卡 %(punched)s 天")
    ),
    "punch_rate_no_scheduled_days": _simple(
        lambda: _("本月没有需要打卡的工作日（休息或全天请假），打卡率按 %(rate)s%% 计")
    ),
    "month_late": _simple(lambda: _("本月迟到 %(count)s 次，共 %(minutes)s 分钟")),
    "month_early": _simple(lambda: _("本月早退 %(count)s 次，共 %(minutes)s 分钟")),
    "month_absent": _simple(
        lambda: _("本月旷工 %(minutes)s 分钟，折合 %(days)s 天（按各日应出勤时长折算）")
    ),
    "late_penalty": _simple(
        lambda: _(
            "本月迟到 %(lates)s 次，免罚 %(free)s 次，每 %(per)s 次折算半天旷工，计旷工 %(days)s 天"
        )
    ),
    "month_missing_punch": _simple(lambda: _("本月缺卡 %(count)s 次")),
    "month_leave": _simple(lambda: _("本月请假 %(minutes)s 分钟")),
    "month_overtime_workday": _simple(lambda: _("本月工作日加班 %(minutes)s 分钟（150%%）")),
    "month_overtime_rest_day": _simple(
        lambda: _("本月休息日加班 %(minutes)s 分钟（200%%），其中转调休 %(comp_leave)s 分钟")
    ),
    "month_overtime_holiday": _simple(lambda: _("本月法定节假日加班 %(minutes)s 分钟（300%%）")),
    "overtime_monthly_cap": _simple(
        lambda: _(
            "本月加班 %(minutes)s 分钟，超过每月上限 %(cap)s 分钟（《劳动法》第41条），请人事核实"
        )
    ),
    "comprehensive_period_total": _comprehensive_total,
    "comprehensive_holiday_apart": _simple(
        lambda: _("法定节假日加班 %(minutes)s 分钟单独按 300%% 计，不计入综合工时周期总数")
    ),
    "comprehensive_week_total": _comprehensive_week,
    "comprehensive_week_pending": _simple(
        lambda: _(
            "综合工时：%(start)s 至 %(end)s 这一周跨月，本月内已工作 %(worked)s 分钟；"
            "每周按周日所在月份归属，于下月判定加班"
        )
    ),
    "comprehensive_period_to_date": _comprehensive_to_date,
    "comprehensive_period_incomplete": _comprehensive_incomplete,
    "month_night": _month_night,
}


def _fallback(code: str, params: Mapping[str, Any]) -> str:
    if not params:
        return code
    inner = ", ".join(f"{key}={value}" for key, value in sorted(params.items()))
    return f"{code} ({inner})"


def reason_text(reason: Reason | Mapping[str, Any]) -> str:
    """One reason in words; an unknown code or unfitting params show the code and params."""
    params: Mapping[str, Any]
    if isinstance(reason, Reason):
        code, params = reason.code, reason.params
    else:
        code = str(reason.get("code", ""))
        raw = reason.get("params") or {}
        params = raw if isinstance(raw, Mapping) else {}
    renderer = _RENDERERS.get(code)
    if renderer is None:
        return _fallback(code, params)
    try:
        return renderer(params)
    except (KeyError, TypeError, ValueError):
        return _fallback(code, params)


def reasons_text(reasons: Iterable[Reason | Mapping[str, Any]]) -> list[str]:
    """All reasons of a result in words, in order (stored JSON dicts or ``Reason`` objects)."""
    return [reason_text(reason) for reason in reasons]


def known_codes() -> frozenset[str]:
    """Reason codes that have a message (tests check the engine emits no others)."""
    return frozenset(_RENDERERS)
