"""Timing helpers: percentiles of a list of durations."""

from __future__ import annotations

import math
import os
import statistics


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (the value below which ``fraction`` of samples fall)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float | int]:
    ms = [s * 1000 for s in seconds]
    return {
        "requests": len(ms),
        "p50_ms": round(percentile(ms, 0.50), 2),
        "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2),
        "max_ms": round(max(ms), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def server_cpu_s() -> float:
    """CPU seconds used so far by this connection's PostgreSQL backend (a local server),
    0 for SQLite (it runs in this process, counted by ``process_time``)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
