"""Punch services: check-in with consent, geofence and office network; batches; voiding.

王姐 checks in at 星海外贸's Shanghai office (a 300 m geofence); 李哥 is field staff
(外勤) and may punch outside it with a flag; a ZKTeco device sends batches.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope, scopes_disabled

from jixiao.attendance.models import AttendancePolicy, CheckInConsent, NetworkRule, Punch
from jixiao.attendance.services import punches as services
from jixiao.audit.models import AuditEvent
from jixiao.core.api_errors import ServiceError
from jixiao.org.models import Employee, JobFamily
from tests.conftest import World
from tests.factories import PositionFactory, WorkLocationFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
OFFICE = (Decimal("31.230400"), Decimal("121.473700"))


@pytest.fixture
def office(world: World) -> World:
    """王姐, 李哥 and 赵工 work at the Shanghai office with a 300 m geofence; 李哥 is 外勤."""
    with scopes_disabled():
        location = WorkLocationFactory(
            company=world.company,
            name="上海总部",
            latitude=OFFICE[0],
            longitude=OFFICE[1],
            geofence_radius_m=300,
        )
        field_position = PositionFactory(
            company=world.company, name="外勤业务员", job_family=JobFamily.FIELD
        )
        Employee.objects.filter(company=world.company).update(work_location=location)
        Employee.objects.filter(user=world.teammate).update(position=field_position)
    return world


def _employee(user: object) -> Employee:
    with scopes_disabled():
        return Employee.objects.select_related("work_location", "company", "position").get(
            user=user
        )


def _north(metres: float) -> Decimal:
    """The latitude ``metres`` north of the office, on the haversine sphere."""
    degrees = math.degrees(metres / services.EARTH_RADIUS_M)
    return (OFFICE[0] + Decimal(str(degrees))).quantize(Decimal("0.000001"))


# --- Haversine --------------------------------------------------------------------------


def test_haversine_one_degree_of_latitude_is_111195_metres() -> None:
    assert services.haversine_m(0, 0, 1, 0) == pytest.approx(111_194.93, abs=0.01)
    assert services.haversine_m(30, 121, 30, 121) == 0


def test_haversine_shanghai_to_beijing() -> None:
    # People's Square → Tiananmen: about 1,067 km on the mean-radius sphere.
    distance = services.haversine_m(31.2304, 121.4737, 39.9042, 116.4074)
    assert distance == pytest.approx(1_067_310, rel=1e-3)


def test_haversine_along_a_parallel_shrinks_with_cos_latitude() -> None:
    at_equator = services.haversine_m(0, 0, 0, 0.01)
    at_60 = services.haversine_m(60, 0, 60, 0.01)
    assert at_60 == pytest.approx(at_equator / 2, rel=1e-4)


# --- Check-in ---------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_location_without_consent_is_refused_with_422(office: World) -> None:
    wang = _employee(office.employee)
    with scope(company=office.company), pytest.raises(ServiceError) as caught:
        services.punch_record(
            employee=wang, at=NOW, source="web", actor=office.employee,
            latitude=OFFICE[0], longitude=OFFICE[1],
        )  # fmt: skip
    assert caught.value.status == 422
    assert caught.value.code == "consent_required"
    assert "未授权位置信息" in caught.value.message
    with scopes_disabled():
        assert not Punch.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_inside_geofence_is_stored_with_its_distance(office: World) -> None:
    wang = _employee(office.employee)
    with scope(company=office.company):
        services.consent_grant(employee=wang, kind="location", actor=office.employee)
        punch = services.punch_record(
            employee=wang, at=NOW, source="mobile", actor=office.employee,
            latitude=_north(250), longitude=OFFICE[1], accuracy_m=12,
        )  # fmt: skip
    assert punch.distance_m == 250
    assert punch.flags == []
    assert punch.accuracy_m == 12
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="attendance.punch.create").count() == 1


@time_machine.travel(NOW, tick=False)
def test_outside_geofence_is_refused_with_the_distance(office: World) -> None:
    wang = _employee(office.employee)
    with scope(company=office.company):
        services.consent_grant(employee=wang, kind="location", actor=office.employee)
        with pytest.raises(ServiceError) as caught:
            services.punch_record(
                employee=wang, at=NOW, source="web", actor=office.employee,
                latitude=_north(450), longitude=OFFICE[1],
            )  # fmt: skip
    assert caught.value.code == "outside_geofence"
    assert "450 米" in caught.value.message and "300 米" in caught.value.message


@time_machine.travel(NOW, tick=False)
def test_field_staff_outside_geofence_is_accepted_and_flagged(office: World) -> None:
    li = _employee(office.teammate)
    with scope(company=office.company):
        services.consent_grant(employee=li, kind="location", actor=office.teammate)
        punch = services.punch_record(
            employee=li, at=NOW, source="mobile", actor=office.teammate,
            latitude=_north(5000), longitude=OFFICE[1],
        )  # fmt: skip
    assert punch.flags == [services.FLAG_OUTSIDE_GEOFENCE]
    assert punch.distance_m == 5000


@time_machine.travel(NOW, tick=False)
def test_office_network_replaces_gps(office: World) -> None:
    wang = _employee(office.employee)
    with scope(company=office.company):
        NetworkRule.objects.create(company=office.company, ip_network="203.0.113.0/24")
        NetworkRule.objects.create(company=office.company, wifi_ssid="XingHai-Office")
        by_ip = services.punch_record(
            employee=wang, at=NOW, source="web", actor=office.employee, ip_address="203.0.113.77"
        )
        by_wifi = services.punch_record(
            employee=wang,
            at=NOW + dt.timedelta(hours=-1),
            source="mobile",
            actor=office.employee,
            wifi_ssid="XingHai-Office",
        )
        with pytest.raises(ServiceError) as caught:
            services.punch_record(
                employee=wang, at=NOW, source="web", actor=office.employee,
                ip_address="198.51.100.1",
            )  # fmt: skip
    assert services.FLAG_NETWORK in by_ip.flags
    assert by_ip.latitude is None
    assert services.FLAG_NETWORK in by_wifi.flags
    assert caught.value.code == "location_required"


@time_machine.travel(NOW, tick=False)
def test_future_punch_beyond_tolerance_is_refused(office: World) -> None:
    wang = _employee(office.employee)
    with scope(company=office.company):
        AttendancePolicy.objects.create(company=office.company, future_punch_tolerance_minutes=5)
        ok = services.punch_record(
            employee=wang, at=NOW + dt.timedelta(minutes=4), source="api", actor=office.hr
        )
        with pytest.raises(ServiceError) as caught:
            services.punch_record(
                employee=wang, at=NOW + dt.timedelta(minutes=6), source="api", actor=office.hr
            )
    assert ok.pk
    assert caught.value.code == "future_punch" and caught.value.status == 422


@time_machine.travel(NOW, tick=False)
def test_photo_needs_photo_consent(office: World) -> None:
    li = _employee(office.teammate)
    photo = SimpleUploadedFile("p.jpg", b"\xff\xd8\xff\xe0fake", content_type="image/jpeg")
    with scope(company=office.company):
        services.consent_grant(employee=li, kind="location", actor=office.teammate)
        with pytest.raises(ServiceError) as caught:
            services.punch_record(
                employee=li, at=NOW, source="mobile", actor=office.teammate,
                latitude=OFFICE[0], longitude=OFFICE[1], photo=photo,
            )  # fmt: skip
    assert caught.value.code == "consent_required"
    assert "photo" in caught.value.fields


@time_machine.travel(NOW, tick=False)
def test_withdrawn_consent_stops_location(office: World) -> None:
    wang = _employee(office.employee)
    with scope(company=office.company):
        services.consent_grant(employee=wang, kind="location", actor=office.employee)
        assert services.consent_withdraw(employee=wang, kind="location", actor=office.employee) == 1
        with pytest.raises(ServiceError):
            services.punch_record(
                employee=wang, at=NOW, source="web", actor=office.employee,
                latitude=OFFICE[0], longitude=OFFICE[1],
            )  # fmt: skip
        actions = list(
            AuditEvent.objects.filter(action__startswith="attendance.consent")
            .order_by("sequence")
            .values_list("action", flat=True)
        )
        assert CheckInConsent.objects.get().withdrawn_at is not None
    assert actions == ["attendance.consent.grant", "attendance.consent.withdraw"]


@time_machine.travel(NOW, tick=False)
def test_second_punch_within_a_minute_is_flagged_duplicate(office: World) -> None:
    wang = _employee(office.employee)
    with scope(company=office.company):
        first = services.punch_record(employee=wang, at=NOW, source="api", actor=office.hr)
        second = services.punch_record(
            employee=wang, at=NOW - dt.timedelta(seconds=30), source="api", actor=office.hr
        )
        third = services.punch_record(
            employee=wang, at=NOW - dt.timedelta(minutes=5), source="api", actor=office.hr
        )
    assert first.flags == []
    assert second.flags == [services.FLAG_DUPLICATE]
    assert third.flags == []


# --- Batches ------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_batch_is_idempotent_by_source_id(office: World) -> None:
    items = [
        {"employee_number": "A004", "at": "2026-11-02T08:57:13+08:00", "source_id": "zk-1"},
        {"employee_number": "A005", "at": "2026-11-02T08:58:00+08:00", "source_id": "zk-2"},
    ]
    with scope(company=office.company):
        first = services.punch_batch_record(
            company=office.company, items=items, actor=office.hr, source="device"
        )
        again = services.punch_batch_record(
            company=office.company, items=items, actor=office.hr, source="device"
        )
        assert Punch.objects.count() == 2
    assert [o.status for o in first] == ["created", "created"]
    assert [o.status for o in again] == ["duplicate", "duplicate"]
    assert all(o.duplicate for o in again)
    assert {o.punch.pk for o in again if o.punch} == {o.punch.pk for o in first if o.punch}


@time_machine.travel(NOW, tick=False)
def test_batch_reports_unknown_employee_and_bad_time_per_item(office: World) -> None:
    items = [
        {"employee_number": "A999", "at": "2026-11-02T08:57:13+08:00", "source_id": "x1"},
        {"employee_number": "A004", "at": "yesterday morning", "source_id": "x2"},
        {"employee_number": "A004", "at": "2026-11-03T08:57:13+08:00", "source_id": "x3"},
        {"employee_number": "A004", "at": "2026-11-02T08:57:13+08:00", "source_id": "x4"},
    ]
    with scope(company=office.company):
        outcomes = services.punch_batch_record(
            company=office.company, items=items, actor=office.hr, source="api"
        )
    assert [o.status for o in outcomes] == ["error", "error", "error", "created"]
    assert "A999" in outcomes[0].errors["employee_number"][0]
    assert "at" in outcomes[1].errors
    assert "未来" in outcomes[2].errors["at"][0]


@time_machine.travel(NOW, tick=False)
def test_out_of_order_batch_is_stored_sorted(office: World) -> None:
    times = ["18:05", "08:55", "12:01", "13:02"]
    items = [
        {"employee_number": "A004", "at": f"2026-11-01T{t}:00+08:00", "source_id": f"o{i}"}
        for i, t in enumerate(times)
    ]
    with scope(company=office.company):
        services.punch_batch_record(
            company=office.company, items=items, actor=office.hr, source="api"
        )
        stored = list(Punch.objects.order_by("pk").values_list("at", "flags"))
    local = [
        at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%H:%M") for at, _ in stored
    ]
    assert local == ["08:55", "12:01", "13:02", "18:05"]
    assert all(flags == [] for _, flags in stored)


@time_machine.travel(NOW, tick=False)
def test_batch_duplicates_within_60_seconds_are_kept_and_flagged(office: World) -> None:
    items = [
        {"employee_number": "A004", "at": "2026-11-01T08:57:40+08:00", "source_id": "d2"},
        {"employee_number": "A004", "at": "2026-11-01T08:57:00+08:00", "source_id": "d1"},
        {"employee_number": "A004", "at": "2026-11-01T18:00:00+08:00", "source_id": "d3"},
    ]
    with scope(company=office.company):
        services.punch_batch_record(
            company=office.company, items=items, actor=office.hr, source="device"
        )
        flags = dict(Punch.objects.values_list("source_id", "flags"))
    assert flags == {"d1": [], "d2": [services.FLAG_DUPLICATE], "d3": []}


@time_machine.travel(NOW, tick=False)
def test_device_ahead_of_receipt_time_is_flagged_clock_skew(office: World) -> None:
    ahead = (NOW + dt.timedelta(minutes=8)).isoformat()
    items = [
        {"employee_number": "A004", "at": "2026-11-01T09:00:00+08:00", "source_id": "s1",
         "device_id": "ZK-7"},
        {"employee_number": "A005", "at": ahead, "source_id": "s2", "device_id": "ZK-7"},
        {"employee_number": "A006", "at": "2026-11-01T09:00:00+08:00", "source_id": "s3",
         "device_id": "ZK-8"},
    ]  # fmt: skip
    with scope(company=office.company):
        services.punch_batch_record(
            company=office.company, items=items, actor=office.hr, source="device"
        )
        flags = dict(Punch.objects.values_list("source_id", "flags"))
    assert flags["s1"] == [services.FLAG_CLOCK_SKEW]
    assert flags["s2"] == [services.FLAG_CLOCK_SKEW]
    assert flags["s3"] == []


@time_machine.travel(NOW, tick=False)
def test_device_jumping_back_in_time_is_flagged_clock_skew(office: World) -> None:
    items = [
        {"employee_number": "A004", "at": "2026-11-01T18:00:00+08:00", "source_id": "j1",
         "device_id": "ZK-9"},
        {"employee_number": "A005", "at": "2026-11-01T09:00:00+08:00", "source_id": "j2",
         "device_id": "ZK-9"},
    ]  # fmt: skip
    with scope(company=office.company):
        services.punch_batch_record(
            company=office.company, items=items, actor=office.hr, source="device"
        )
        flags = list(Punch.objects.values_list("flags", flat=True))
    assert flags == [[services.FLAG_CLOCK_SKEW], [services.FLAG_CLOCK_SKEW]]


@time_machine.travel(NOW, tick=False)
def test_naive_batch_times_are_the_employees_local_time(office: World) -> None:
    with scope(company=office.company):
        services.punch_batch_record(
            company=office.company,
            items=[{"employee_number": "A004", "at": "2026-11-01T08:57:13", "source_id": "n1"}],
            actor=office.hr,
            source="api",
        )
        at = Punch.objects.get().at
    assert at == dt.datetime(2026, 11, 1, 0, 57, 13, tzinfo=dt.UTC)


# --- Voiding -------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_void_needs_a_reason_and_is_audited(office: World) -> None:
    wang = _employee(office.employee)
    with scope(company=office.company):
        punch = services.punch_record(employee=wang, at=NOW, source="api", actor=office.hr)
        with pytest.raises(ServiceError):
            services.punch_void(punch=punch, actor=office.hr, reason=" ")
        services.punch_void(punch=punch, actor=office.hr, reason="设备故障重复记录")
        with pytest.raises(ServiceError) as caught:
            services.punch_void(punch=punch, actor=office.hr, reason="again")
        event = AuditEvent.objects.get(action="attendance.punch.void")
    assert caught.value.status == 409
    assert event.reason == "设备故障重复记录"
    assert event.changes == {"voided": [False, True]}


@time_machine.travel(NOW, tick=False)
def test_a_punch_recomputes_the_day_and_a_locked_month_refuses_it(office: World) -> None:
    from jixiao.attendance.models import AttendanceMonth, DailyAttendance

    wang = _employee(office.employee)
    with scope(company=office.company):
        services.punch_record(employee=wang, at=NOW, source="api", actor=office.hr)
        day = DailyAttendance.objects.get(employee=wang, date=dt.date(2026, 11, 2))
        assert day.first_punch == NOW
        AttendanceMonth.objects.create(
            company=office.company, year=2026, month=10, status=AttendanceMonth.Status.LOCKED
        )
        with pytest.raises(ServiceError) as caught:
            services.punch_record(
                employee=wang, at=NOW - dt.timedelta(days=3), source="api", actor=office.hr
            )
        assert Punch.objects.count() == 1
    assert caught.value.status == 409
