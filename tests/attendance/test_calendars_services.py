"""Seeding, HR's edits, company days and the yearly check, as 刘HR of 星海外贸 does them."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django_scopes import scope, scopes_disabled

from jixiao.attendance.models import CalendarDay, CalendarYear, DailyAttendance, WorkCalendar
from jixiao.attendance.selectors.calendars import calendar_warnings
from jixiao.attendance.services import calendars as services
from jixiao.attendance.tasks_calendars import calendar_years_ensure_all, calendar_years_ensure_daily
from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company
from jixiao.org.models import WorkLocation
from tests.conftest import World

pytestmark = pytest.mark.django_db
D = dt.date


def _day(calendar: WorkCalendar, date: dt.date) -> CalendarDay:
    return CalendarDay.objects.get(calendar=calendar, date=date)


def _events(company: Company, action: str) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(company=company, action=action).order_by("sequence"))


def test_seed_writes_every_date_official_for_2026(world: World) -> None:
    with scope(company=world.company):
        year = services.calendar_seed(company=world.company, region="cn", year=2026, actor=world.hr)
        calendar = year.calendar
        assert calendar.region == "CN" and calendar.is_default
        assert year.status == CalendarYear.Status.OFFICIAL and "chinese_calendar" in year.source
        assert calendar.days.count() == 365
        assert calendar.days.filter(kind="statutory_holiday").count() == 13
        assert _day(calendar, D(2026, 10, 3)).kind == "statutory_holiday"
        assert _day(calendar, D(2026, 10, 10)).kind == "makeup_workday"
        assert set(calendar.days.values_list("origin", flat=True)) == {"seeded"}
    (event,) = _events(world.company, "attendance.calendar_year.seed")
    assert event.changes["days_created"] == [None, 365] and event.actor == world.hr


def test_reseed_keeps_edited_and_company_days(world: World) -> None:
    with scope(company=world.company):
        year = services.calendar_seed(company=world.company, region="CN", year=2026, actor=world.hr)
        calendar = year.calendar
        services.calendar_day_update(
            day=_day(calendar, D(2026, 10, 8)),
            kind="rest_day",
            name="国庆节",
            reason="本地政府通知延长一天",
            actor=world.hr,
        )
        services.company_day_set(
            calendar=calendar, date=D(2026, 7, 10), name="公司团建", actor=world.hr
        )
        CalendarDay.objects.filter(calendar=calendar, date=D(2026, 1, 1)).update(kind="workday")
        services.calendar_seed(company=world.company, region="CN", year=2026, actor=world.hr)
        assert _day(calendar, D(2026, 10, 8)).kind == "rest_day"
        assert _day(calendar, D(2026, 10, 8)).origin == "edited"
        company_day = _day(calendar, D(2026, 7, 10))
        assert (company_day.kind, company_day.name, company_day.origin) == (
            "company_rest_day",
            "公司团建",
            "company",
        )
        assert _day(calendar, D(2026, 1, 1)).kind == "statutory_holiday"  # seeded: restored
        assert calendar.days.count() == 365
    second = _events(world.company, "attendance.calendar_year.seed")[-1]
    assert second.changes["days_created"] == [None, 0]
    assert second.changes["days_updated"] == [None, 1]


def test_day_edit_is_audited_with_before_after_and_reason(world: World) -> None:
    with scope(company=world.company):
        calendar = services.calendar_seed(
            company=world.company, region="CN", year=2026, actor=world.hr
        ).calendar
        day = services.calendar_day_update(
            day=_day(calendar, D(2026, 10, 9)),
            kind="rest_day",
            name="国庆节",
            reason="核对通知",
            actor=world.hr,
        )
        assert day.origin == "edited"
        with pytest.raises(ServiceError) as missing_reason:
            services.calendar_day_update(
                day=day, kind="workday", name="", reason=" ", actor=world.hr
            )
        assert missing_reason.value.fields == {"reason": ["必填。"]}
        with pytest.raises(ServiceError) as bad_kind:
            services.calendar_day_update(
                day=day, kind="holiday", name="", reason="x", actor=world.hr
            )
        assert "kind" in bad_kind.value.fields
    (event,) = _events(world.company, "attendance.calendar_day.update")
    assert event.changes == {
        "kind": ["workday", "rest_day"],
        "name": ["", "国庆节"],
        "origin": ["seeded", "edited"],
    }
    assert event.reason == "核对通知"


def test_company_day_set_and_delete_restores_the_source(world: World) -> None:
    with scope(company=world.company):
        calendar = services.calendar_seed(
            company=world.company, region="CN", year=2026, actor=world.hr
        ).calendar
        services.company_day_set(
            calendar=calendar, date=D(2026, 10, 8), name="停产检修", actor=world.hr
        )
        restored = services.company_day_delete(day=_day(calendar, D(2026, 10, 8)), actor=world.hr)
        assert (restored.kind, restored.name, restored.origin) == ("workday", "", "seeded")
        services.company_day_set(
            calendar=calendar, date=D(2026, 10, 2), name="公司周年庆", actor=world.hr
        )
        back = services.company_day_delete(day=_day(calendar, D(2026, 10, 2)), actor=world.hr)
        assert (back.kind, back.name) == ("statutory_holiday", "国庆节")
        with pytest.raises(ServiceError) as not_company:
            services.company_day_delete(day=back, actor=world.hr)
        assert not_company.value.status == 409
        with pytest.raises(ServiceError) as no_year:
            services.company_day_set(
                calendar=calendar, date=D(2030, 1, 5), name="团建", actor=world.hr
            )
        assert no_year.value.fields == {"date": ["该年度日历尚未生成。"]}
        with pytest.raises(ServiceError) as no_name:
            services.company_day_set(calendar=calendar, date=D(2026, 3, 5), name="", actor=world.hr)
        assert "name" in no_name.value.fields
    assert len(_events(world.company, "attendance.calendar_day.company_set")) == 2
    assert len(_events(world.company, "attendance.calendar_day.company_delete")) == 2


def test_provisional_2027_then_confirmed_by_hr(world: World) -> None:
    with scope(company=world.company):
        year = services.calendar_seed(company=world.company, region="CN", year=2027, actor=world.hr)
        assert year.status == CalendarYear.Status.PROVISIONAL and "尚未发布" in year.source
        assert year.calendar.days.filter(kind="makeup_workday").count() == 0
        confirmed = services.calendar_year_confirm(
            calendar_year=year, actor=world.hr, reason="已核对国办发明电"
        )
        assert confirmed.status == CalendarYear.Status.OFFICIAL
        assert confirmed.confirmed_by == world.hr and confirmed.confirmed_at is not None
        with pytest.raises(ServiceError) as again:
            services.calendar_year_confirm(calendar_year=confirmed, actor=world.hr)
        assert again.value.status == 409
        services.calendar_seed(company=world.company, region="CN", year=2027, actor=world.hr)
        confirmed.refresh_from_db()
        assert confirmed.status == CalendarYear.Status.OFFICIAL  # a re-seed keeps HR's word
    (event,) = _events(world.company, "attendance.calendar_year.confirm")
    assert event.changes["status"] == ["provisional", "official"]
    assert event.reason == "已核对国办发明电"


def test_bad_region_and_year(world: World) -> None:
    with scope(company=world.company):
        with pytest.raises(ServiceError) as region:
            services.calendar_seed(company=world.company, region="XX", year=2026, actor=world.hr)
        assert region.value.code == "unknown_region" and "region" in region.value.fields
        with pytest.raises(ServiceError) as year:
            services.calendar_seed(company=world.company, region="CN", year=1999, actor=world.hr)
        assert year.value.code == "year_out_of_range" and "year" in year.value.fields
        services.calendar_create(company=world.company, region="DE", actor=world.hr)
        with pytest.raises(ServiceError) as twice:
            services.calendar_create(company=world.company, region="de", actor=world.hr)
        assert twice.value.status == 409
        assert not WorkCalendar.objects.filter(region="XX").exists()


def test_ensure_years_for_every_location_country(world: World) -> None:
    with scope(company=world.company):
        WorkLocation.objects.create(
            company=world.company, name="斯图加特", country="DE", time_zone="Europe/Berlin"
        )
        WorkLocation.objects.create(company=world.company, name="宁波", country="CN")
        seeded = services.calendar_ensure_years(company=world.company, today=D(2026, 11, 2))
        assert sorted((y.calendar.region, y.year, y.status) for y in seeded) == [
            ("CN", 2026, "official"),
            ("CN", 2027, "provisional"),
            ("DE", 2026, "provisional"),
            ("DE", 2027, "provisional"),
        ]
        assert services.calendar_ensure_years(company=world.company, today=D(2026, 11, 3)) == []
        assert WorkCalendar.objects.get(region="CN").is_default
        assert not WorkCalendar.objects.get(region="DE").is_default


def test_daily_job_seeds_each_company_once(world: World) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC), tick=False):
        result = calendar_years_ensure_daily.call_local()
        assert result[world.company.pk] == ["CN 2026", "CN 2027"]
        assert result[world.other_company.pk] == ["CN 2026", "CN 2027"]
        assert calendar_years_ensure_all() == {world.company.pk: [], world.other_company.pk: []}
    assert calendar_years_ensure_daily.task_class().validate_datetime(
        dt.datetime(2026, 5, 1, 1, 15)
    )


def test_warning_from_november_while_next_year_is_provisional(world: World) -> None:
    with scope(company=world.company):
        services.calendar_ensure_years(company=world.company, today=D(2026, 6, 1))
        assert calendar_warnings(world.company, D(2026, 10, 31)) == []
        (warning,) = calendar_warnings(world.company, D(2026, 11, 1))
        assert (warning.calendar.region, warning.year, warning.missing) == ("CN", 2027, False)
        services.calendar_year_confirm(
            calendar_year=CalendarYear.objects.get(year=2027), actor=world.hr
        )
        assert calendar_warnings(world.company, D(2026, 11, 1)) == []


def test_command_seeds_a_year_and_refuses_bad_input(world: World) -> None:
    out = StringIO()
    call_command("calendar_seed", company="xinghai", region="de", year=2026, stdout=out)
    assert "DE 2026: 暂定" in out.getvalue()
    with pytest.raises(CommandError, match="不支持的国家/地区代码"):
        call_command("calendar_seed", company="xinghai", region="QQ", year=2026)
    with pytest.raises(CommandError, match="no company"):
        call_command("calendar_seed", company="nobody")
    with time_machine.travel(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC), tick=False):
        everything = StringIO()
        call_command("calendar_seed", company="xinghai", stdout=everything)
    assert "CN 2027: 暂定" in everything.getvalue() and "DE 2027: 暂定" in everything.getvalue()


def test_editing_a_day_recomputes_stored_results(world: World) -> None:
    from jixiao.attendance.services.results import daily_attendance_compute

    with scope(company=world.company):
        calendar = services.calendar_seed(
            company=world.company, region="CN", year=2026, actor=world.hr
        ).calendar
        day = dt.date(2026, 10, 9)
        daily_attendance_compute(company=world.company, start=day, end=day)
        stored = DailyAttendance.objects.filter(date=day)
        assert stored.exists() and set(stored.values_list("day_kind", flat=True)) == {"workday"}
        services.company_day_set(calendar=calendar, date=day, name="公司团建", actor=world.hr)
        assert set(stored.values_list("day_kind", flat=True)) == {"company_rest_day"}


def test_signup_starts_with_china_for_this_year_and_next() -> None:
    from jixiao.core.services import company_signup

    with time_machine.travel(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC), tick=False):
        admin = company_signup(
            company_name="青禾科技",
            admin_name="周敏",
            username="zhoumin",
            email="zhou@qinghe.example",
            password="Qinghe-2026!",
        )
    assert admin.company is not None
    with scope(company=admin.company):
        years = CalendarYear.objects.select_related("calendar").order_by("year")
        assert [(y.calendar.region, y.year, y.status) for y in years] == [
            ("CN", 2026, "official"),
            ("CN", 2027, "provisional"),
        ]


def test_company_day_delete_without_a_source_is_a_clear_409(world: World) -> None:
    """Found by the schema fuzzer: a calendar whose region no source knows once crashed."""
    with scope(company=world.company):
        calendar = WorkCalendar.objects.create(company=world.company, region="X1", name="自定义")
        day = CalendarDay.objects.create(
            company=world.company,
            calendar=calendar,
            date=D(2026, 6, 1),
            kind="company_rest_day",
            name="团建",
            origin=CalendarDay.Origin.COMPANY,
        )
        with pytest.raises(ServiceError) as refused:
            services.company_day_delete(day=day, actor=world.hr)
        assert refused.value.status == 409
        assert "X1" in refused.value.message
        day.refresh_from_db()
        assert day.origin == CalendarDay.Origin.COMPANY


def test_reset_restores_the_source_and_recomputes_stored_results(world: World) -> None:
    """刘HR marked 10 月 9 日 a rest day; 恢复为官方日历 makes it a workday again, audited,
    and the stored results of that date follow."""
    from jixiao.attendance.services.results import daily_attendance_compute

    with scope(company=world.company):
        calendar = services.calendar_seed(
            company=world.company, region="CN", year=2026, actor=world.hr
        ).calendar
        day = D(2026, 10, 9)
        services.calendar_day_update(
            day=_day(calendar, day), kind="rest_day", name="调休", reason="误改", actor=world.hr
        )
        daily_attendance_compute(company=world.company, start=day, end=day)
        stored = DailyAttendance.objects.filter(date=day)
        assert set(stored.values_list("day_kind", flat=True)) == {"rest_day"}
        restored = services.calendar_day_reset(
            day=_day(calendar, day), actor=world.hr, reason="按官方通知恢复"
        )
        assert (restored.kind, restored.name, restored.origin) == ("workday", "", "seeded")
        assert set(stored.values_list("day_kind", flat=True)) == {"workday"}
        with pytest.raises(ServiceError) as not_edited:
            services.calendar_day_reset(day=restored, actor=world.hr)
        assert (not_edited.value.status, not_edited.value.code) == (409, "not_edited")
        # A statutory holiday edited into a workday comes back with its name.
        services.calendar_day_update(
            day=_day(calendar, D(2026, 10, 2)), kind="workday", name="", reason="x", actor=world.hr
        )
        holiday = services.calendar_day_reset(day=_day(calendar, D(2026, 10, 2)), actor=world.hr)
        assert (holiday.kind, holiday.name) == ("statutory_holiday", "国庆节")
        # Re-seeding updates a reset day again like any seeded day.
        assert _day(calendar, D(2026, 10, 2)).origin == "seeded"
    (event, _second) = _events(world.company, "attendance.calendar_day.reset")
    assert event.changes == {
        "kind": ["rest_day", "workday"],
        "name": ["调休", ""],
        "origin": ["edited", "seeded"],
    }
    assert event.reason == "按官方通知恢复"


def test_reset_refuses_a_locked_month_and_a_company_day(world: World) -> None:
    from jixiao.attendance.models import AttendanceMonth

    with scope(company=world.company):
        calendar = services.calendar_seed(
            company=world.company, region="CN", year=2026, actor=world.hr
        ).calendar
        services.calendar_day_update(
            day=_day(calendar, D(2026, 10, 9)), kind="rest_day", name="", reason="x", actor=world.hr
        )
        services.company_day_set(
            calendar=calendar, date=D(2026, 10, 12), name="公司团建", actor=world.hr
        )
        with pytest.raises(ServiceError) as company_day:
            services.calendar_day_reset(day=_day(calendar, D(2026, 10, 12)), actor=world.hr)
        assert company_day.value.code == "company_day"
        AttendanceMonth.objects.create(
            company=world.company, year=2026, month=10, status=AttendanceMonth.Status.LOCKED
        )
        with pytest.raises(ServiceError):
            services.calendar_day_reset(day=_day(calendar, D(2026, 10, 9)), actor=world.hr)
        assert _day(calendar, D(2026, 10, 9)).origin == "edited"
