"""Reasons in words: every code the engine emits has a message; nothing ever crashes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from jixiao.attendance.engine import (
    Activity,
    ActivityRule,
    Block,
    DayInput,
    DayKind,
    MonthPolicy,
    Reason,
    ScheduleRule,
    System,
    day_compute,
    month_summarize,
)
from jixiao.attendance.explain import known_codes, reason_text, reasons_text

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(date: dt.date, hour: int, minute: int = 0, days: int = 0) -> dt.datetime:
    local = dt.datetime.combine(date + dt.timedelta(days=days), dt.time(hour, minute))
    return local.replace(tzinfo=SHANGHAI).astimezone(dt.UTC)


@pytest.fixture(autouse=True)
def _chinese() -> object:
    with translation.override("zh-hans"):
        yield


def test_late_reads_as_the_issue_asks() -> None:
    text = reason_text(
        Reason("late", {"minutes": 12, "first": "09:12", "start": "09:00", "grace": 5})
    )

    assert text == "迟到 12 分钟：首次打卡 09:12，上班时间 09:00，宽限 5 分钟"


def test_li_ge_night_allowance_states_the_rounding() -> None:
    date = dt.date(2026, 11, 18)
    rule = ScheduleRule(
        system=System.FLEXIBLE,
        core=Block(dt.time(9), dt.time(12)),
        night_allowance_per_hour=Decimal("20"),
    )
    result = day_compute(
        DayInput(
            employee_id=2,
            date=date,
            time_zone="Asia/Shanghai",
            day_kind=DayKind.WORKDAY,
            rule=rule,
            punches=(at(date, 9), at(date, 18)),
            activities=(Activity("call", at(date, 22), 60),),
            activity_rule=ActivityRule(),
        )
    )

    texts = reasons_text(result.reasons)

    assert "夜间工作 60 分钟（22:00–06:00）" in texts
    assert "夜班补贴 20.00 元：60 分钟 × 20.00 元/小时，四舍五入到分" in texts
    assert "根据通话和邮件记录计入 1 段工作，共 60 分钟" in texts


def test_stored_json_reasons_render_like_reason_objects() -> None:
    stored = [
        {"code": "overtime_holiday", "params": {"minutes": 480, "holiday": "国庆节"}},
        {"code": "overtime_holiday", "params": {"minutes": 60, "holiday": ""}},
        {"code": "punch_rate", "params": {"punched": 18, "scheduled": 20, "rate": "90.00"}},
        {"code": "rest", "params": {"day_kind": "statutory_holiday", "holiday": "国庆节"}},
        {
            "code": "comprehensive_period_total",
            "params": {
                "period": "quarter",
                "worked": 30000,
                "standard": 29760,
                "leave": 0,
                "overtime": 240,
            },
        },
    ]

    assert reasons_text(stored) == [
        "法定节假日（国庆节）加班 480 分钟，按 300% 计，不可调休",
        "法定节假日加班 60 分钟，按 300% 计，不可调休",
        "打卡率 90.00%：应打卡 20 天，完整打卡 18 天",
        "法定节假日（国庆节），无出勤要求",
        "综合工时（季度）：实际工作 30000 分钟，标准 29760 分钟（已扣除请假 0 分钟），超出 240 分钟计为工作日加班",
    ]


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (
            Reason("a_future_rule", {"minutes": 5, "at": "09:00"}),
            "a_future_rule (at=09:00, minutes=5)",
        ),
        (Reason("a_future_rule"), "a_future_rule"),
        (Reason("late", {"minutes": 12}), "late (minutes=12)"),  # params missing
        ({"code": "late"}, "late"),
        ({"params": "garbage"}, ""),
        ({"code": "night", "params": None}, "night"),
    ],
)
def test_unknown_codes_and_broken_params_show_the_code_never_crash(
    reason: Reason | dict[str, object], expected: str
) -> None:
    assert reason_text(reason) == expected


def test_every_code_the_engine_can_emit_has_a_message() -> None:
    date = dt.date(2026, 11, 18)
    office = ScheduleRule(
        system=System.STANDARD,
        blocks=(Block(dt.time(9), dt.time(18)),),
        breaks=(Block(dt.time(12), dt.time(13)),),
        overtime_requires_approval=True,
        night_allowance_per_hour=Decimal("20"),
    )
    inputs = [
        DayInput(
            1, date, "Asia/Shanghai", DayKind.WORKDAY, office, (at(date, 9, 30), at(date, 23))
        ),
        DayInput(1, date, "Asia/Shanghai", DayKind.WORKDAY, office, (at(date, 17),)),
        DayInput(1, date, "Asia/Shanghai", DayKind.WORKDAY, None),
    ]
    emitted = {r.code for i in inputs for r in day_compute(i).reasons}
    month = month_summarize(
        employee_id=1,
        year=2026,
        month=11,
        days=[day_compute(i) for i in inputs[:1]],
        policy=MonthPolicy(),
    )
    emitted |= {r.code for r in month.reasons}

    assert emitted <= known_codes()
    assert {
        "late",
        "early",
        "missing_punch",
        "no_schedule",
        "overtime_unapproved",
        "night",
    } <= emitted


def test_english_falls_back_to_a_sentence_not_a_code() -> None:
    with translation.override("en"):
        text = reason_text(Reason("absent", {"minutes": 480}))

    assert "480" in text
    assert not text.startswith("absent")
