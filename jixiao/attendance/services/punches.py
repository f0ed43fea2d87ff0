"""Punches from every source: web and phone check-in, API and device batches, voiding, consent.

Rules applied here (issue 4 §3, DOMAIN.md "PIPL"):

- Location and photos are sensitive personal information (PIPL Art. 28): they are
  accepted only while the employee holds an active, separate ``CheckInConsent`` of
  that kind, and are stored only on the punch of the moment they were sent with.
- Web/phone check-in is verified against the work location: inside its geofence
  (haversine distance ≤ radius) or from an office network (``NetworkRule``: IP range
  or Wi-Fi name). A punch outside the geofence is refused with the distance, except
  for field staff (position job family ``field``/外勤), whose punch is accepted and
  flagged ``outside_geofence`` for HR's exception queue.
- A punch later than now + ``AttendancePolicy.future_punch_tolerance_minutes`` is refused.
- Batches (API, devices) are idempotent by (source, source_id); a repeated id returns
  the stored punch marked as a duplicate. Punches are stored in time order per
  employee whatever order they arrive in. A punch within 60 s of another punch of the
  same employee is kept and flagged ``duplicate`` (the engine collapses same-minute
  punches, so it is never counted twice). A device whose punches lie more than 5 min
  ahead of the time we receive them, or that jumps back in time by more than
  ``OUT_OF_ORDER_TOLERANCE`` within one batch, gets its punches flagged ``clock_skew``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jixiao.attendance.models import (
    AttendanceMonth,
    AttendancePolicy,
    CheckInConsent,
    NetworkRule,
    Punch,
)
from jixiao.audit.services import AuditEntry, audit_record, audit_record_many, diff, snapshot
from jixiao.core.api_errors import ServiceError
from jixiao.core.models import Company, User
from jixiao.org.models import Employee, JobFamily, WorkLocation

FLAG_OUTSIDE_GEOFENCE = "outside_geofence"
FLAG_DUPLICATE = "duplicate"
FLAG_CLOCK_SKEW = "clock_skew"
FLAG_NETWORK = "network"  # verified by an office network instead of GPS

NOTICE_VERSION = "2026-11"
"""Version of the check-in privacy notice shown on the check-in page; stored with consent."""

DUPLICATE_WINDOW = dt.timedelta(seconds=60)
CLOCK_SKEW_AHEAD = dt.timedelta(minutes=5)
OUT_OF_ORDER_TOLERANCE = dt.timedelta(minutes=60)
"""A device batch whose punches go back in time by more than this has a reset clock."""
DEFAULT_FUTURE_TOLERANCE_MINUTES = 10
EARTH_RADIUS_M = 6_371_000.0
MAX_BATCH_ITEMS = 5000
CHECK_IN_SOURCES = (Punch.Source.WEB, Punch.Source.MOBILE)
PUNCH_AUDIT_FIELDS = ("employee", "at", "source", "source_id", "device_id", "flags", "voided")
PHOTO_MAX_BYTES = 5 * 1024 * 1024


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres on a sphere of the Earth's mean radius."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def future_tolerance(company: Company) -> dt.timedelta:
    policy = AttendancePolicy.objects.filter(company=company).first()
    minutes = (
        policy.future_punch_tolerance_minutes
        if policy is not None
        else DEFAULT_FUTURE_TOLERANCE_MINUTES
    )
    return dt.timedelta(minutes=minutes)


def employee_zone(employee: Employee) -> ZoneInfo:
    try:
        return ZoneInfo(employee.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def local_date(at: dt.datetime, zone: ZoneInfo) -> dt.date:
    return at.astimezone(zone).date()


def work_dates(at: dt.datetime, zone: ZoneInfo) -> set[dt.date]:
    """The local dates a punch can count for: its own, and the day before for a punch in
    the morning (an overnight shift that began the evening before)."""
    local = at.astimezone(zone)
    dates = {local.date()}
    if local.hour < 12:
        dates.add(local.date() - dt.timedelta(days=1))
    return dates


def locked_month_set(company: Company) -> set[tuple[int, int]]:
    """(year, month) of the company's locked attendance months: no punch may enter them."""
    return set(
        AttendanceMonth.objects.filter(
            company=company, status=AttendanceMonth.Status.LOCKED
        ).values_list("year", "month")
    )


def locked_message(day: dt.date) -> str:
    return _("%(y)d 年 %(m)d 月的考勤已锁定，请先由 HR 重新打开该月。") % {
        "y": day.year,
        "m": day.month,
    }


def recompute(
    *,
    company: Company,
    dates_by_employee: Mapping[Employee, Iterable[dt.date]],
    actor: User | None = None,
) -> None:
    """Recompute the daily results a punch change touches (RESULTS owns the computation).

    A punch's own date was checked against locked months before it was stored; the day
    before (for overnight shifts) is skipped when its month is locked."""
    from jixiao.attendance.services.results import daily_attendance_recompute

    locked = locked_month_set(company)
    for employee, dates in dates_by_employee.items():
        days = sorted(d for d in set(dates) if (d.year, d.month) not in locked)
        if days:
            daily_attendance_recompute(company=company, employee=employee, dates=days, actor=actor)


# --- Consent (PIPL Art. 28) --------------------------------------------------------------


def consent_active(*, employee: Employee, kind: str) -> CheckInConsent | None:
    return (
        CheckInConsent.objects.filter(
            company_id=employee.company_id, employee=employee, kind=kind, withdrawn_at=None
        )
        .order_by("-granted_at")
        .first()
    )


def _consent_kind(kind: str) -> str:
    if kind not in CheckInConsent.Kind.values:
        message = _("授权类型无效。")
        raise ServiceError(message, fields={"kind": [message]})
    return kind


@transaction.atomic
def consent_grant(*, employee: Employee, kind: str, actor: User | None) -> CheckInConsent:
    """Record the employee's own consent after the notice was shown; granting twice is a no-op."""
    _consent_kind(kind)
    existing = consent_active(employee=employee, kind=kind)
    if existing is not None:
        return existing
    consent = CheckInConsent.objects.create(
        company_id=employee.company_id,
        employee=employee,
        kind=kind,
        notice_version=NOTICE_VERSION,
        granted_at=timezone.now(),
    )
    audit_record(
        company=employee.company,
        actor=actor,
        action="attendance.consent.grant",
        obj=consent,
        changes={"kind": [None, kind], "notice_version": [None, NOTICE_VERSION]},
    )
    return consent


@transaction.atomic
def consent_withdraw(*, employee: Employee, kind: str, actor: User | None) -> int:
    """Withdraw consent: from now on no location/photo is accepted. Returns rows changed."""
    _consent_kind(kind)
    now = timezone.now()
    active = list(
        CheckInConsent.objects.filter(
            company_id=employee.company_id, employee=employee, kind=kind, withdrawn_at=None
        )
    )
    for consent in active:
        consent.withdrawn_at = now
        consent.save(update_fields=["withdrawn_at"])
        audit_record(
            company=employee.company,
            actor=actor,
            action="attendance.consent.withdraw",
            obj=consent,
            changes={"withdrawn_at": [None, now]},
        )
    return len(active)


# --- Web / phone check-in -----------------------------------------------------------------


def _network_matches(
    *, company_id: int, location: WorkLocation | None, ip_address: str | None, wifi_ssid: str
) -> NetworkRule | None:
    rules = NetworkRule.objects.filter(company_id=company_id)
    address = None
    if ip_address:
        try:
            address = ipaddress.ip_address(ip_address)
        except ValueError:
            address = None
    for rule in rules:
        if rule.work_location_id and (location is None or rule.work_location_id != location.pk):
            continue
        if address is not None and rule.ip_network:
            try:
                if address in ipaddress.ip_network(rule.ip_network, strict=False):
                    return rule
            except ValueError:
                continue
        if wifi_ssid and rule.wifi_ssid and rule.wifi_ssid == wifi_ssid:
            return rule
    return None


def _coordinate(value: Any, name: str, limit: int) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        message = _("坐标格式无效。")
        raise ServiceError(message, fields={name: [message]}) from exc
    if not number.is_finite() or abs(number) > limit:
        message = _("坐标超出范围。")
        raise ServiceError(message, fields={name: [message]})
    return number.quantize(Decimal("0.000001"))


def _check_future(at: dt.datetime, tolerance: dt.timedelta, now: dt.datetime) -> None:
    if at > now + tolerance:
        message = _("打卡时间 %(at)s 晚于当前时间超过 %(n)d 分钟，不能记录未来的打卡。") % {
            "at": at.isoformat(timespec="seconds"),
            "n": int(tolerance.total_seconds() // 60),
        }
        raise ServiceError(message, code="future_punch", fields={"at": [message]})


def _near_duplicate(employee: Employee, at: dt.datetime) -> bool:
    return Punch.objects.filter(
        company_id=employee.company_id,
        employee=employee,
        voided=False,
        at__gte=at - DUPLICATE_WINDOW,
        at__lte=at + DUPLICATE_WINDOW,
    ).exists()


def is_field_staff(employee: Employee) -> bool:
    return employee.position is not None and employee.position.job_family == JobFamily.FIELD


@transaction.atomic
def punch_record(
    *,
    employee: Employee,
    at: dt.datetime,
    source: str,
    actor: User | None,
    latitude: Any = None,
    longitude: Any = None,
    accuracy_m: int | None = None,
    ip_address: str | None = None,
    wifi_ssid: str = "",
    photo: UploadedFile | None = None,
    source_id: str = "",
    device_id: str = "",
    note: str = "",
) -> Punch:
    """Record one punch; web/phone check-ins are verified by geofence or office network."""
    if source not in Punch.Source.values:
        message = _("打卡来源无效。")
        raise ServiceError(message, fields={"source": [message]})
    if timezone.is_naive(at):
        at = at.replace(tzinfo=employee_zone(employee))
    now = timezone.now()
    _check_future(at, future_tolerance(employee.company), now)
    own_date = local_date(at, employee_zone(employee))
    if (own_date.year, own_date.month) in locked_month_set(employee.company):
        message = locked_message(own_date)
        raise ServiceError(message, code="month_locked", status=409, fields={"at": [message]})
    if source_id:
        existing = Punch.objects.filter(
            company_id=employee.company_id, source=source, source_id=source_id
        ).first()
        if existing is not None:
            return existing

    has_location = latitude is not None or longitude is not None
    if (
        has_location
        and consent_active(employee=employee, kind=CheckInConsent.Kind.LOCATION) is None
    ):
        message = _(
            "未授权位置信息：请先阅读打卡告知，并单独同意在打卡时采集位置后再打卡，"
            "或连接公司网络打卡。"
        )
        raise ServiceError(message, code="consent_required", fields={"latitude": [message]})
    if photo is not None:
        if consent_active(employee=employee, kind=CheckInConsent.Kind.PHOTO) is None:
            message = _("未授权照片：请先阅读打卡告知，并单独同意在打卡时拍照。")
            raise ServiceError(message, code="consent_required", fields={"photo": [message]})
        if photo.size is not None and photo.size > PHOTO_MAX_BYTES:
            message = _("照片不能超过 5 MB。")
            raise ServiceError(message, fields={"photo": [message]})
        content_type = getattr(photo, "content_type", "") or ""
        if content_type and not content_type.startswith("image/"):
            message = _("只能上传图片。")
            raise ServiceError(message, fields={"photo": [message]})

    flags: list[str] = []
    distance: int | None = None
    lat = lon = None
    if has_location:
        if latitude is None or longitude is None:
            message = _("位置需同时包含纬度和经度。")
            raise ServiceError(message, fields={"latitude": [message]})
        lat = _coordinate(latitude, "latitude", 90)
        lon = _coordinate(longitude, "longitude", 180)
    if source in CHECK_IN_SOURCES:
        location = employee.work_location
        network = _network_matches(
            company_id=employee.company_id,
            location=location,
            ip_address=ip_address,
            wifi_ssid=wifi_ssid,
        )
        fenced = (
            location is not None
            and location.latitude is not None
            and location.longitude is not None
        )
        inside = False
        if lat is not None and lon is not None and fenced:
            assert location is not None and location.latitude is not None
            assert location.longitude is not None
            exact = haversine_m(
                float(lat), float(lon), float(location.latitude), float(location.longitude)
            )
            distance = round(exact)
            inside = exact <= location.geofence_radius_m
        if network is not None:
            flags.append(FLAG_NETWORK)
        elif fenced and not inside:
            assert location is not None
            if distance is None:
                message = _(
                    "无法确认打卡地点：请同意使用位置信息后打卡，或连接公司网络（%(place)s）后打卡。"
                ) % {"place": location.name}
                raise ServiceError(message, code="location_required")
            if not is_field_staff(employee):
                message = _("不在打卡范围内：距“%(place)s” %(d)d 米，允许范围 %(r)d 米。") % {
                    "place": location.name,
                    "d": distance,
                    "r": location.geofence_radius_m,
                }
                raise ServiceError(message, code="outside_geofence", fields={"latitude": [message]})
            flags.append(FLAG_OUTSIDE_GEOFENCE)
        elif (
            not fenced
            and lat is None
            and NetworkRule.objects.filter(company_id=employee.company_id).exists()
        ):
            message = _("无法确认打卡地点：请连接公司网络后打卡。")
            raise ServiceError(message, code="location_required")
    if _near_duplicate(employee, at):
        flags.append(FLAG_DUPLICATE)

    punch = Punch(
        company_id=employee.company_id,
        employee=employee,
        at=at,
        source=source,
        source_id=source_id[:100],
        device_id=device_id[:100],
        latitude=lat,
        longitude=lon,
        accuracy_m=accuracy_m if has_location else None,
        distance_m=distance,
        ip_address=ip_address or None,
        flags=flags,
        note=note[:500],
        created_by=actor if actor is not None and actor.pk else None,
    )
    if photo is not None:
        punch.photo.save(f"{employee.pk}-{int(at.timestamp())}.jpg", photo, save=False)
    punch.save()
    audit_record(
        company=employee.company,
        actor=actor,
        action="attendance.punch.create",
        obj=punch,
        changes=diff({}, snapshot(punch, PUNCH_AUDIT_FIELDS)),
    )
    recompute(
        company=employee.company,
        dates_by_employee={employee: work_dates(at, employee_zone(employee))},
        actor=actor,
    )
    return punch


# --- Batches from the API and devices -----------------------------------------------------


@dataclass
class BatchOutcome:
    """One item's outcome: created, duplicate (already stored) or error (nothing stored)."""

    index: int
    status: str
    punch: Punch | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def duplicate(self) -> bool:
        return self.status == "duplicate"


def _item_time(value: Any, zone: ZoneInfo) -> dt.datetime:
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        value = dt.datetime.fromisoformat(text)
    if not isinstance(value, dt.datetime):
        raise ValueError(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.UTC)


def flag_duplicates_in_order(
    times: Sequence[dt.datetime], existing: Sequence[dt.datetime]
) -> list[bool]:
    """For sorted new punch times: is each within 60 s of an earlier stored or new punch,
    or of a later stored one?"""
    stored = sorted(existing)
    result: list[bool] = []
    previous: dt.datetime | None = None
    import bisect

    for at in times:
        near = previous is not None and at - previous <= DUPLICATE_WINDOW
        if not near and stored:
            i = bisect.bisect_left(stored, at - DUPLICATE_WINDOW)
            near = i < len(stored) and stored[i] <= at + DUPLICATE_WINDOW
        result.append(near)
        previous = at
    return result


@transaction.atomic
def punch_batch_record(
    *, company: Company, items: Sequence[Mapping[str, Any]], actor: User | None, source: str
) -> list[BatchOutcome]:
    """Record many punches at once; each item has ``employee_number`` or ``employee_id``,
    ``at`` and usually ``source_id``/``device_id``. Unknown employees and bad times are
    per-item errors; the valid items are stored."""
    if source not in Punch.Source.values or source in (Punch.Source.CORRECTION,):
        message = _("打卡来源无效。")
        raise ServiceError(message, fields={"source": [message]})
    if len(items) > MAX_BATCH_ITEMS:
        message = _("每批最多 %(n)d 条打卡。") % {"n": MAX_BATCH_ITEMS}
        raise ServiceError(message, code="too_large", status=413, fields={"items": [message]})
    now = timezone.now()
    tolerance = future_tolerance(company)
    locked = locked_month_set(company)
    numbers = {str(i.get("employee_number") or "").strip() for i in items} - {""}
    ids = {int(i["employee_id"]) for i in items if str(i.get("employee_id") or "").isdigit()}
    employees = list(
        Employee.objects.filter(company=company, employee_number__in=numbers).select_related(
            "work_location", "company"
        )
    ) + list(
        Employee.objects.filter(company=company, pk__in=ids).select_related(
            "work_location", "company"
        )
    )
    by_number = {e.employee_number: e for e in employees}
    by_id = {e.pk: e for e in employees}

    outcomes: list[BatchOutcome] = []
    accepted: list[tuple[BatchOutcome, Employee, dt.datetime, Mapping[str, Any]]] = []
    for index, item in enumerate(items):
        outcome = BatchOutcome(index, "error")
        outcomes.append(outcome)
        number = str(item.get("employee_number") or "").strip()
        raw_id = item.get("employee_id")
        employee = by_number.get(number) if number else None
        if employee is None and raw_id is not None and str(raw_id).isdigit():
            employee = by_id.get(int(raw_id))
        if employee is None:
            key = "employee_number" if number else "employee_id"
            if number:
                text = _("工号“%(n)s”在本公司不存在。") % {"n": number}
            elif raw_id is not None:
                text = _("员工不存在。")
            else:
                text = _("请提供工号或员工编号。")
            outcome.errors[key] = [text]
            continue
        try:
            at = _item_time(item.get("at"), employee_zone(employee))
        except (ValueError, TypeError):
            outcome.errors["at"] = [
                _("打卡时间无法识别，请使用 ISO 8601 格式，如 2026-11-02T08:57:13+08:00。")
            ]
            continue
        if at > now + tolerance:
            outcome.errors["at"] = [
                _("打卡时间晚于当前时间超过 %(n)d 分钟，不能记录未来的打卡。")
                % {"n": int(tolerance.total_seconds() // 60)}
            ]
            continue
        day = local_date(at, employee_zone(employee))
        if (day.year, day.month) in locked:
            outcome.errors["at"] = [locked_message(day)]
            continue
        accepted.append((outcome, employee, at, item))

    # Idempotency: (source, source_id) already stored, or repeated inside this batch.
    source_ids = {str(item.get("source_id") or "") for _o, _e, _a, item in accepted} - {""}
    stored = {
        p.source_id: p
        for p in Punch.objects.filter(company=company, source=source, source_id__in=source_ids)
    }
    seen_in_batch: dict[str, BatchOutcome] = {}
    fresh: list[tuple[BatchOutcome, Employee, dt.datetime, Mapping[str, Any]]] = []
    for outcome, employee, at, item in accepted:
        sid = str(item.get("source_id") or "")[:100]
        if sid and sid in stored:
            outcome.status, outcome.punch = "duplicate", stored[sid]
            continue
        if sid and sid in seen_in_batch:
            outcome.status = "duplicate"
            continue
        if sid:
            seen_in_batch[sid] = outcome
        fresh.append((outcome, employee, at, item))

    # Clock skew per device: ahead of receipt time, or jumping back in time in this batch.
    skewed: set[int] = set()
    by_device: dict[str, list[tuple[int, dt.datetime]]] = defaultdict(list)
    for position, (_o, _e, at, item) in enumerate(fresh):
        device = str(item.get("device_id") or "")
        if device:
            by_device[device].append((position, at))
    for entries in by_device.values():
        latest: dt.datetime | None = None
        device_skewed = any(at > now + CLOCK_SKEW_AHEAD for _p, at in entries)
        for _p, at in entries:
            if latest is not None and latest - at > OUT_OF_ORDER_TOLERANCE:
                device_skewed = True
            latest = at if latest is None else max(latest, at)
        if device_skewed:
            skewed.update(p for p, _at in entries)

    # Sorted storage per employee, duplicates within 60 s flagged.
    order = sorted(range(len(fresh)), key=lambda p: (fresh[p][1].pk, fresh[p][2]))
    per_employee: dict[int, list[int]] = defaultdict(list)
    for position in order:
        per_employee[fresh[position][1].pk].append(position)
    near: dict[int, bool] = {}
    for employee_id, positions in per_employee.items():
        times = [fresh[p][2] for p in positions]
        existing = list(
            Punch.objects.filter(
                company=company,
                employee_id=employee_id,
                voided=False,
                at__gte=times[0] - DUPLICATE_WINDOW,
                at__lte=times[-1] + DUPLICATE_WINDOW,
            ).values_list("at", flat=True)
        )
        for position, is_near in zip(
            positions, flag_duplicates_in_order(times, existing), strict=True
        ):
            near[position] = is_near

    punches: list[Punch] = []
    for position in order:
        outcome, employee, at, item = fresh[position]
        flags = []
        if position in skewed:
            flags.append(FLAG_CLOCK_SKEW)
        if near[position]:
            flags.append(FLAG_DUPLICATE)
        punch = Punch(
            company=company,
            employee=employee,
            at=at,
            source=source,
            source_id=str(item.get("source_id") or "")[:100],
            device_id=str(item.get("device_id") or "")[:100],
            flags=flags,
            note=str(item.get("note") or "")[:500],
            created_by=actor if actor is not None and actor.pk else None,
        )
        punches.append(punch)
        outcome.status, outcome.punch = "created", punch
    Punch.objects.bulk_create(punches)
    for outcome in outcomes:
        if outcome.status == "duplicate" and outcome.punch is None:
            sid = str(items[outcome.index].get("source_id") or "")[:100]
            outcome.punch = seen_in_batch[sid].punch
    audit_record_many(
        company=company,
        actor=actor,
        entries=[
            AuditEntry(
                "attendance.punch.create",
                "attendance.punch",
                str(p.pk),
                str(p),
                diff({}, snapshot(p, PUNCH_AUDIT_FIELDS)),
            )
            for p in punches
        ],
        reason=_("批量打卡（%(s)s）") % {"s": source},
    )
    touched: dict[Employee, set[dt.date]] = defaultdict(set)
    for punch in punches:
        touched[punch.employee] |= work_dates(punch.at, employee_zone(punch.employee))
    recompute(company=company, dates_by_employee=touched, actor=actor)
    return outcomes


# --- Voiding ---------------------------------------------------------------------------


@transaction.atomic
def punch_void(*, punch: Punch, actor: User | None, reason: str) -> Punch:
    """HR voids a wrong punch (kept for the record, no longer counted); a reason is required."""
    reason = (reason or "").strip()
    if not reason:
        message = _("请填写作废原因。")
        raise ServiceError(message, fields={"reason": [message]})
    punch = Punch.objects.select_for_update().select_related("employee").get(pk=punch.pk)
    if punch.voided:
        raise ServiceError(_("该打卡已作废。"), code="already_voided", status=409)
    employee = Employee.objects.select_related("work_location", "company").get(pk=punch.employee_id)
    day = local_date(punch.at, employee_zone(employee))
    if (day.year, day.month) in locked_month_set(employee.company):
        raise ServiceError(locked_message(day), code="month_locked", status=409)
    before = snapshot(punch, PUNCH_AUDIT_FIELDS)
    punch.voided = True
    punch.save(update_fields=["voided"])
    audit_record(
        company=employee.company,
        actor=actor,
        action="attendance.punch.void",
        obj=punch,
        changes=diff(before, snapshot(punch, PUNCH_AUDIT_FIELDS)),
        reason=reason[:500],
    )
    recompute(
        company=employee.company,
        dates_by_employee={employee: work_dates(punch.at, employee_zone(employee))},
        actor=actor,
    )
    return punch
