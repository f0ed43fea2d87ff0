"""Work calendars: seeding years from the public sources, HR's edits, company days.

Every date of a seeded year has a ``CalendarDay``. Seeding again (for example
when the State Council's notice arrives in a new ``chinese_calendar``) updates
only the days still as seeded: days HR edited and company days are kept.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.attendance import calendar_sources
from jixiao.attendance.calendar_sources import CHINA, UnknownRegion
from jixiao.attendance.engine import DayKind
from jixiao.attendance.models import CalendarDay, CalendarYear, DailyAttendance, WorkCalendar
from jixiao.audit.services import audit_record, diff, snapshot
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.org.models import WorkLocation

DAY_FIELDS = ("kind", "name", "origin")
YEAR_FIELDS = ("status", "source", "confirmed_by", "confirmed_at")


def region_clean(region: str) -> str:
    """The canonical region code, or a 422 field error naming the bad code."""
    try:
        return calendar_sources.region_normalize(region)
    except UnknownRegion:
        raise ServiceError(
            _("不支持的国家/地区代码：%(code)s") % {"code": region},
            code="unknown_region",
            fields={"region": [_("请输入 ISO 3166 国家代码（如 CN、DE），可带地区（如 US-CA）。")]},
        ) from None


def year_clean(year: int) -> int:
    if not calendar_sources.MIN_YEAR <= year <= calendar_sources.MAX_YEAR:
        raise ServiceError(
            _("年份超出范围（%(low)s–%(high)s）。")
            % {"low": calendar_sources.MIN_YEAR, "high": calendar_sources.MAX_YEAR},
            code="year_out_of_range",
            fields={"year": [_("年份须在 2000 到 2100 之间。")]},
        )
    return year


def kind_clean(kind: str) -> DayKind:
    try:
        return DayKind(kind)
    except ValueError:
        raise ServiceError(
            _("未知的日期类型。"), code="unknown_kind", fields={"kind": [_("请选择日期类型。")]}
        ) from None


def _region_name(region: str) -> str:
    names = {
        "CN": _("中国大陆"),
        "DE": _("德国"),
        "US": _("美国"),
        "GB": _("英国"),
        "JP": _("日本"),
        "SG": _("新加坡"),
        "AE": _("阿联酋"),
        "SA": _("沙特阿拉伯"),
        "MX": _("墨西哥"),
        "VN": _("越南"),
        "NG": _("尼日利亚"),
        "HK": _("中国香港"),
    }
    country, _sep, subdiv = region.partition("-")
    base = names.get(country, country)
    return f"{base} {subdiv}" if subdiv else base


@transaction.atomic
def calendar_create(
    *, company: Company, region: str, actor: User | None, name: str = ""
) -> WorkCalendar:
    """A calendar for a country or region; the first China calendar is the company default."""
    code = region_clean(region)
    if WorkCalendar.objects.filter(company=company, region=code).exists():
        raise ServiceError(
            _("该国家/地区的日历已存在。"),
            code="calendar_exists",
            status=409,
            fields={"region": [_("该国家/地区的日历已存在。")]},
        )
    has_default = WorkCalendar.objects.filter(company=company, is_default=True).exists()
    calendar = WorkCalendar.objects.create(
        company=company,
        region=code,
        name=(name.strip() or _region_name(code))[:100],
        is_default=code == CHINA and not has_default,
    )
    audit_record(
        company=company,
        actor=actor,
        action="attendance.calendar.create",
        obj=calendar,
        changes=diff({}, snapshot(calendar, ("region", "name", "is_default"))),
    )
    return calendar


def _calendar_for_region(company: Company, region: str, actor: User | None) -> WorkCalendar:
    found = WorkCalendar.objects.filter(company=company, region=region).first()
    return found or calendar_create(company=company, region=region, actor=actor)


def _days_insert(
    company: Company, calendar: WorkCalendar, days: list[calendar_sources.SeededDay]
) -> None:
    """One ``executemany`` for a year's new rows: ``bulk_create`` spends most of a seed
    preparing 365 model instances field by field; these six columns need one adapter."""
    if not days:
        return
    connection = connections[router.db_for_write(CalendarDay)]
    ops = connection.ops
    columns = ("company_id", "calendar_id", "date", "kind", "name", "origin")
    table = ops.quote_name(CalendarDay._meta.db_table)
    names = ", ".join(ops.quote_name(c) for c in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    origin = CalendarDay.Origin.SEEDED.value
    rows = [
        (company.pk, calendar.pk, ops.adapt_datefield_value(d.date), d.kind.value, d.name, origin)
        for d in days
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@transaction.atomic
def calendar_seed(*, company: Company, region: str, year: int, actor: User | None) -> CalendarYear:
    """Write every date of ``year`` into the region's calendar (created if missing).

    Idempotent: days already as seeded are brought up to date, edited and company
    days are kept. A provisional year becomes official when the source now has
    the published notice; a year HR confirmed stays confirmed.
    """
    code = region_clean(region)
    year_clean(year)
    seeded = calendar_sources.year_seed(code, year)
    calendar = _calendar_for_region(company, code, actor)
    calendar_year = (
        CalendarYear.objects.select_for_update().filter(calendar=calendar, year=year).first()
    )
    before = snapshot(calendar_year, YEAR_FIELDS) if calendar_year else {}
    if calendar_year is None:
        calendar_year = CalendarYear(company=company, calendar=calendar, year=year)
    if seeded.official:
        calendar_year.status = CalendarYear.Status.OFFICIAL
    elif calendar_year.status != CalendarYear.Status.OFFICIAL:
        calendar_year.status = CalendarYear.Status.PROVISIONAL
    calendar_year.source = seeded.source[:100]
    calendar_year.save()

    existing = {
        day.date: day
        for day in CalendarDay.objects.filter(
            calendar=calendar, date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
        )
    }
    created: list[calendar_sources.SeededDay] = []
    updated: list[CalendarDay] = []
    for day in seeded.days:
        row = existing.get(day.date)
        if row is None:
            created.append(day)
        elif row.origin == CalendarDay.Origin.SEEDED and (row.kind, row.name) != (
            day.kind.value,
            day.name,
        ):
            row.kind, row.name = day.kind.value, day.name
            updated.append(row)
    _days_insert(company, calendar, created)
    CalendarDay.objects.bulk_update(updated, ["kind", "name"], batch_size=500)
    changes = diff(before, snapshot(calendar_year, YEAR_FIELDS))
    changes["days_created"] = [None, len(created)]
    changes["days_updated"] = [None, len(updated)]
    audit_record(
        company=company,
        actor=actor,
        action="attendance.calendar_year.seed",
        obj=calendar_year,
        object_repr=f"{calendar.region} {year}",
        changes=changes,
    )
    return calendar_year


@transaction.atomic
def calendar_year_confirm(
    *, calendar_year: CalendarYear, actor: User, reason: str = ""
) -> CalendarYear:
    """HR marks a year official after checking it against the published notice."""
    calendar_year = CalendarYear.objects.select_for_update().get(pk=calendar_year.pk)
    if calendar_year.status == CalendarYear.Status.OFFICIAL and calendar_year.confirmed_by_id:
        raise ServiceError(_("该年度日历已确认。"), code="already_confirmed", status=409)
    before = snapshot(calendar_year, YEAR_FIELDS)
    calendar_year.status = CalendarYear.Status.OFFICIAL
    calendar_year.confirmed_by = actor
    calendar_year.confirmed_at = timezone.now()
    calendar_year.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    audit_record(
        company=calendar_year.company,
        actor=actor,
        action="attendance.calendar_year.confirm",
        obj=calendar_year,
        object_repr=f"{calendar_year.calendar.region} {calendar_year.year}",
        changes=diff(before, snapshot(calendar_year, YEAR_FIELDS)),
        reason=reason,
    )
    return calendar_year


def _results_follow(company: Company, date: dt.date, actor: User | None) -> None:
    """Stored daily results of that date were computed with the old kind: recompute them."""
    if not DailyAttendance.objects.filter(company=company, date=date).exists():
        return
    from jixiao.attendance.services.results import daily_attendance_compute

    ids = list(
        DailyAttendance.objects.filter(company=company, date=date).values_list(
            "employee_id", flat=True
        )
    )
    daily_attendance_compute(company=company, start=date, end=date, employee_ids=ids, actor=actor)


def _month_open_check(company: Company, date: dt.date) -> None:
    from jixiao.attendance.services.results import month_locked_check

    month_locked_check(company=company, dates=[date])


def _reason_required(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ServiceError(
            _("请填写修改原因。"), code="reason_required", fields={"reason": [_("必填。")]}
        )
    return reason


@transaction.atomic
def calendar_day_update(
    *, day: CalendarDay, kind: str, name: str, reason: str, actor: User
) -> CalendarDay:
    """HR corrects one date (e.g. the official notice differs from the library)."""
    new_kind = kind_clean(kind)
    reason = _reason_required(reason)
    day = CalendarDay.objects.select_for_update().get(pk=day.pk)
    _month_open_check(day.company, day.date)
    before = snapshot(day, DAY_FIELDS)
    day.kind = new_kind.value
    day.name = name.strip()[:100]
    if day.origin == CalendarDay.Origin.SEEDED:
        day.origin = CalendarDay.Origin.EDITED
    changes = diff(before, snapshot(day, DAY_FIELDS))
    if not changes:
        return day
    day.save(update_fields=["kind", "name", "origin"])
    audit_record(
        company=day.company,
        actor=actor,
        action="attendance.calendar_day.update",
        obj=day,
        object_repr=f"{day.calendar.region} {day.date.isoformat()}",
        changes=changes,
        reason=reason,
    )
    _results_follow(day.company, day.date, actor)
    return day


@transaction.atomic
def calendar_day_reset(*, day: CalendarDay, actor: User, reason: str = "") -> CalendarDay:
    """恢复为官方日历: an HR-edited date goes back to what the source says and counts as
    seeded again (later re-seeds update it); stored results of the date are recomputed.

    The source's answer is recomputed from ``calendar_sources``, so nothing about the
    original day has to be stored. Company days are removed with ``company_day_delete``.
    """
    day = CalendarDay.objects.select_for_update().get(pk=day.pk)
    if day.origin == CalendarDay.Origin.SEEDED:
        raise ServiceError(_("这一天已是官方日历，无需恢复。"), code="not_edited", status=409)
    if day.origin == CalendarDay.Origin.COMPANY:
        raise ServiceError(
            _("这一天是公司特别日，请删除公司特别日。"), code="company_day", status=409
        )
    _month_open_check(day.company, day.date)
    seeded = _seeded_day(day.calendar, day.date)
    before = snapshot(day, DAY_FIELDS)
    day.kind, day.name, day.origin = seeded.kind.value, seeded.name, CalendarDay.Origin.SEEDED
    day.save(update_fields=["kind", "name", "origin"])
    audit_record(
        company=day.company,
        actor=actor,
        action="attendance.calendar_day.reset",
        obj=day,
        object_repr=f"{day.calendar.region} {day.date.isoformat()}",
        changes=diff(before, snapshot(day, DAY_FIELDS)),
        reason=reason.strip()[:500],
    )
    _results_follow(day.company, day.date, actor)
    return day


def _seeded_day(calendar: WorkCalendar, date: dt.date) -> calendar_sources.SeededDay:
    """What the official source says of a date; a clear 409 when the source has no answer."""
    try:
        return calendar_sources.year_seed(calendar.region, date.year).by_date()[date]
    except (ValueError, KeyError) as exc:  # UnknownRegion is a ValueError, as is a bad year
        message = _("日历数据源无法给出 %(region)s 在 %(date)s 的官方类型，请直接修改这一天。") % {
            "region": calendar.region,
            "date": date.isoformat(),
        }
        raise ServiceError(message, code="no_source_day", status=409) from exc


@transaction.atomic
def company_day_set(
    *,
    calendar: WorkCalendar,
    date: dt.date,
    name: str,
    actor: User,
    kind: str = DayKind.COMPANY_REST_DAY.value,
    reason: str = "",
) -> CalendarDay:
    """A company-specific day on top of the official calendar (outing, plant shutdown)."""
    new_kind = kind_clean(kind)
    name = name.strip()
    if not name:
        raise ServiceError(
            _("请填写名称，例如“公司团建”。"), code="name_required", fields={"name": [_("必填。")]}
        )
    if not CalendarYear.objects.filter(calendar=calendar, year=date.year).exists():
        raise ServiceError(
            _("%(year)s 年的日历尚未生成，请先生成该年度。") % {"year": date.year},
            code="year_missing",
            fields={"date": [_("该年度日历尚未生成。")]},
        )
    _month_open_check(calendar.company, date)
    day = CalendarDay.objects.select_for_update().get(calendar=calendar, date=date)
    before = snapshot(day, DAY_FIELDS)
    day.kind, day.name, day.origin = new_kind.value, name[:100], CalendarDay.Origin.COMPANY
    day.save(update_fields=["kind", "name", "origin"])
    audit_record(
        company=calendar.company,
        actor=actor,
        action="attendance.calendar_day.company_set",
        obj=day,
        object_repr=f"{calendar.region} {date.isoformat()}",
        changes=diff(before, snapshot(day, DAY_FIELDS)),
        reason=reason.strip(),
    )
    _results_follow(calendar.company, date, actor)
    return day


@transaction.atomic
def company_day_delete(*, day: CalendarDay, actor: User, reason: str = "") -> CalendarDay:
    """Remove a company day: the date goes back to what the source says."""
    day = CalendarDay.objects.select_for_update().get(pk=day.pk)
    if day.origin != CalendarDay.Origin.COMPANY:
        raise ServiceError(_("这一天不是公司特别日。"), code="not_company_day", status=409)
    _month_open_check(day.company, day.date)
    before = snapshot(day, DAY_FIELDS)
    seeded = _seeded_day(day.calendar, day.date)
    day.kind, day.name, day.origin = seeded.kind.value, seeded.name, CalendarDay.Origin.SEEDED
    day.save(update_fields=["kind", "name", "origin"])
    audit_record(
        company=day.company,
        actor=actor,
        action="attendance.calendar_day.company_delete",
        obj=day,
        object_repr=f"{day.calendar.region} {day.date.isoformat()}",
        changes=diff(before, snapshot(day, DAY_FIELDS)),
        reason=reason.strip(),
    )
    _results_follow(day.company, day.date, actor)
    return day


def company_today(company: Company, now: dt.datetime | None = None) -> dt.date:
    moment = now or timezone.now()
    return moment.astimezone(zoneinfo.ZoneInfo(company.time_zone)).date()


def regions_in_use(company: Company) -> list[str]:
    """China (the default) plus every work location's country, each once, CN first."""
    countries = WorkLocation.objects.filter(company=company).values_list("country", flat=True)
    existing = WorkCalendar.objects.filter(company=company).values_list("region", flat=True)
    ordered: dict[str, None] = {CHINA: None}
    for code in [*countries, *existing]:
        if code:
            ordered[code.upper()] = None
    usable: list[str] = []
    for code in ordered:
        try:
            usable.append(calendar_sources.region_normalize(code))
        except UnknownRegion:
            continue  # a location in a country no source knows: HR adds days by hand
    return usable


def calendar_ensure_years(
    *, company: Company, today: dt.date, actor: User | None = None
) -> list[CalendarYear]:
    """Each calendar in use has this year and next; provisional China years turn official
    as soon as the library carries the notice. Safe to run twice; returns what it seeded."""
    seeded: list[CalendarYear] = []
    for region in regions_in_use(company):
        calendar = WorkCalendar.objects.filter(company=company, region=region).first()
        years = {row.year: row for row in (calendar.years.all() if calendar is not None else [])}
        for year in (today.year, today.year + 1):
            current = years.get(year)
            upgrade = (
                current is not None
                and current.status == CalendarYear.Status.PROVISIONAL
                and region == CHINA
                and calendar_sources.china_official_available(year)
            )
            if current is None or upgrade:
                seeded.append(calendar_seed(company=company, region=region, year=year, actor=actor))
    return seeded
