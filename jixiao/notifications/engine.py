"""Quiet hours: when a non-urgent message may go out, judged on the person's wall clock.

Pure: the instant, the zone name and the span come in; no clock, no settings, no ORM.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

UTC = dt.UTC


@dataclass(frozen=True)
class QuietSpan:
    """A daily span of wall-clock time; ``start > end`` crosses midnight, ``start == end`` is empty."""

    start: dt.time
    end: dt.time

    def contains(self, wall: dt.time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end


@dataclass(frozen=True)
class QuietDecision:
    """Whether the message waits, and the UTC instant it is released (explainable in the log)."""

    delayed: bool
    release_at: dt.datetime | None
    local_time: dt.datetime
    rule: str


def _wall(instant: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.time:
    return instant.astimezone(zone).time().replace(tzinfo=None)


def _wall_clock_reaches(day: dt.date, wall: dt.time, zone: zoneinfo.ZoneInfo) -> list[dt.datetime]:
    """The UTC instants on ``day`` when the zone's clock shows ``wall``, or first passes it.

    An ambiguous wall time (clocks set back) happens twice; a wall time inside a
    spring-forward gap never happens, and the clock passes it at the transition.
    """
    naive = dt.datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    exists = first.astimezone(zone).replace(tzinfo=None) == naive
    if exists:
        return sorted({first, second})
    # In a gap, fold=0 reads the wall time with the offset before the jump (an instant
    # after it) and fold=1 with the offset after (an instant before it): the
    # transition lies between; find the first instant whose wall clock is past ``wall``.
    low, high = min(first, second), max(first, second)
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return [high.replace(microsecond=0)]


def quiet_hours_release(
    *, at: dt.datetime, time_zone: str, span: QuietSpan, urgent: bool = False
) -> QuietDecision:
    """Decide whether a message created at ``at`` waits for the end of quiet hours.

    ``at`` must be aware. Urgent messages never wait. The release is the first
    instant after ``at`` at which the person's clock reaches ``span.end``.
    """
    if at.tzinfo is None:
        raise ValueError("at must be an aware datetime")
    zone = zoneinfo.ZoneInfo(time_zone)
    local = at.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    if urgent:
        return QuietDecision(False, None, local, "urgent")
    if not span.contains(wall):
        return QuietDecision(False, None, local, "outside_quiet_hours")
    for offset in range(3):
        day = local.date() + dt.timedelta(days=offset)
        for candidate in _wall_clock_reaches(day, span.end, zone):
            if candidate > at:
                return QuietDecision(True, candidate, local, "quiet_hours")
    raise AssertionError("quiet hours end within two days")  # pragma: no cover
