"""Quiet hours on the person's own wall clock, across zones, midnight and DST changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jixiao.notifications.engine import QuietSpan, quiet_hours_release

UTC = dt.UTC
ZONES = [
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "America/Sao_Paulo",
    "Australia/Lord_Howe",  # half-hour DST shift
    "Pacific/Chatham",
    "Asia/Kolkata",
    "UTC",
]


def local(zone: str, *args: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zoneinfo.ZoneInfo(zone), fold=fold)  # type: ignore[misc]


def wall(instant: dt.datetime, zone: str) -> dt.time:
    return instant.astimezone(zoneinfo.ZoneInfo(zone)).time()


# --- worked examples -------------------------------------------------------------------


def test_wang_jie_late_message_waits_until_seven_next_morning() -> None:
    # 王姐 in Shanghai keeps 22:00–07:00 quiet; a reminder at 23:30 waits for 07:00.
    decision = quiet_hours_release(
        at=local("Asia/Shanghai", 2026, 3, 10, 23, 30),
        time_zone="Asia/Shanghai",
        span=QuietSpan(dt.time(22), dt.time(7)),
    )
    assert decision.delayed
    assert decision.rule == "quiet_hours"
    assert decision.release_at == dt.datetime(2026, 3, 10, 23, 0, tzinfo=UTC)


def test_after_midnight_part_of_span_releases_same_morning() -> None:
    decision = quiet_hours_release(
        at=local("Asia/Shanghai", 2026, 3, 11, 5, 0),
        time_zone="Asia/Shanghai",
        span=QuietSpan(dt.time(22), dt.time(7)),
    )
    assert decision.release_at == local("Asia/Shanghai", 2026, 3, 11, 7, 0)


def test_outside_quiet_hours_goes_now() -> None:
    decision = quiet_hours_release(
        at=local("Asia/Shanghai", 2026, 3, 10, 7, 0),
        time_zone="Asia/Shanghai",
        span=QuietSpan(dt.time(22), dt.time(7)),
    )
    assert not decision.delayed
    assert decision.release_at is None
    assert decision.rule == "outside_quiet_hours"


def test_urgent_never_waits() -> None:
    decision = quiet_hours_release(
        at=local("Asia/Shanghai", 2026, 3, 10, 23, 30),
        time_zone="Asia/Shanghai",
        span=QuietSpan(dt.time(22), dt.time(7)),
        urgent=True,
    )
    assert not decision.delayed
    assert decision.rule == "urgent"


def test_equal_start_and_end_is_no_quiet_time() -> None:
    decision = quiet_hours_release(
        at=local("Asia/Shanghai", 2026, 3, 10, 9, 0),
        time_zone="Asia/Shanghai",
        span=QuietSpan(dt.time(9), dt.time(9)),
    )
    assert not decision.delayed


def test_li_ge_in_berlin_across_spring_forward() -> None:
    # 李哥 calls German customers late and sleeps 01:00–09:00 Berlin time. On
    # 2026-03-29 clocks jump 02:00 CET → 03:00 CEST: his 09:00 is 07:00 UTC.
    decision = quiet_hours_release(
        at=local("Europe/Berlin", 2026, 3, 29, 1, 30),
        time_zone="Europe/Berlin",
        span=QuietSpan(dt.time(1), dt.time(9)),
    )
    assert decision.release_at == dt.datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_end_inside_the_spring_gap_releases_at_the_jump() -> None:
    # 02:30 never happens in Berlin on 2026-03-29: the clock reaches it at the jump,
    # 01:00 UTC (shown as 03:00 CEST).
    decision = quiet_hours_release(
        at=local("Europe/Berlin", 2026, 3, 29, 1, 15),
        time_zone="Europe/Berlin",
        span=QuietSpan(dt.time(1), dt.time(2, 30)),
    )
    assert decision.release_at == dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert wall(decision.release_at, "Europe/Berlin") == dt.time(3, 0)


def test_end_in_the_repeated_autumn_hour() -> None:
    # 2026-10-25 Berlin: 03:00 CEST → 02:00 CET, so 02:30 happens twice.
    span = QuietSpan(dt.time(1), dt.time(2, 30))
    first = quiet_hours_release(
        at=local("Europe/Berlin", 2026, 10, 25, 1, 45), time_zone="Europe/Berlin", span=span
    )
    assert first.release_at == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    # At 02:10 on the second pass (CET) the wall clock is inside the span again.
    second = quiet_hours_release(
        at=local("Europe/Berlin", 2026, 10, 25, 2, 10, fold=1),
        time_zone="Europe/Berlin",
        span=span,
    )
    assert second.release_at == dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        quiet_hours_release(
            at=dt.datetime(2026, 1, 1, 0, 0),
            time_zone="UTC",
            span=QuietSpan(dt.time(22), dt.time(7)),
        )


# --- properties --------------------------------------------------------------------------

instants = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(UTC)
)
times = st.times().map(lambda t: t.replace(microsecond=0))
zones = st.sampled_from(ZONES)


@settings(max_examples=400, deadline=None)
@given(at=instants, zone=zones, start=times, end=times)
def test_release_is_the_first_moment_the_quiet_span_is_over(
    at: dt.datetime, zone: str, start: dt.time, end: dt.time
) -> None:
    span = QuietSpan(start, end)
    decision = quiet_hours_release(at=at, time_zone=zone, span=span)
    assert decision.delayed == span.contains(wall(at, zone))
    if not decision.delayed:
        assert decision.release_at is None
        return
    release = decision.release_at
    assert release is not None
    assert release > at
    # It waits at most a day (plus a DST shift).
    assert release - at <= dt.timedelta(hours=25)
    # When released, the person's clock is out of quiet hours …
    assert not span.contains(wall(release, zone))
    # … and it never was before: every moment in between is still quiet.
    steps = 48
    for i in range(1, steps):
        moment = at + (release - at) * i / steps
        assert span.contains(wall(moment, zone)), (moment, wall(moment, zone))
    just_before = release - dt.timedelta(seconds=1)
    if just_before > at:
        assert span.contains(wall(just_before, zone))


@settings(max_examples=200, deadline=None)
@given(at=instants, zone=zones, start=times, end=times)
def test_urgent_messages_are_never_held(
    at: dt.datetime, zone: str, start: dt.time, end: dt.time
) -> None:
    decision = quiet_hours_release(at=at, time_zone=zone, span=QuietSpan(start, end), urgent=True)
    assert not decision.delayed and decision.release_at is None


@settings(max_examples=200, deadline=None)
@given(at=instants, zone=zones, start=times, end=times)
def test_release_does_not_depend_on_the_offset_at_is_given_in(
    at: dt.datetime, zone: str, start: dt.time, end: dt.time
) -> None:
    span = QuietSpan(start, end)
    in_utc = quiet_hours_release(at=at, time_zone=zone, span=span)
    in_local = quiet_hours_release(
        at=at.astimezone(zoneinfo.ZoneInfo(zone)), time_zone=zone, span=span
    )
    assert in_utc.release_at == in_local.release_at


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)),
    minute=st.integers(min_value=0, max_value=24 * 60 - 1),
    zone=zones,
)
def test_overnight_span_releases_at_seven_on_the_local_clock(
    day: dt.date, minute: int, zone: str
) -> None:
    # The usual 22:00–07:00: every quiet moment is released at 07:00 local, whatever the DST.
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minute)
    at = naive.replace(tzinfo=zoneinfo.ZoneInfo(zone)).astimezone(UTC)
    decision = quiet_hours_release(at=at, time_zone=zone, span=QuietSpan(dt.time(22), dt.time(7)))
    if decision.release_at is not None:
        assert wall(decision.release_at, zone) == dt.time(7)
