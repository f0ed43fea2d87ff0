"""The benchmark harness: measuring the employee list, percentiles, the results file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from bench import bench_employee_list
from bench.timing import percentile, summary_ms


def test_percentiles_use_the_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50
    assert percentile(values, 0.95) == 95
    assert percentile([3.0], 0.95) == 3.0
    summary = summary_ms([0.010, 0.020, 0.030, 0.040])
    assert summary == {
        "requests": 4,
        "p50_ms": 20.0,
        "p95_ms": 40.0,
        "p99_ms": 40.0,
        "max_ms": 40.0,
        "mean_ms": 25.0,
    }


@pytest.mark.django_db
def test_employee_list_benchmark_measures_page_and_api() -> None:
    figures = bench_employee_list.run(employees=240, seed=5, requests=12)
    assert figures["employees"] == 240
    for key in ("page_hr", "api_hr", "page_manager"):
        assert figures[key]["requests"] >= 10
        assert 0 < figures[key]["p50_ms"] <= figures[key]["p95_ms"] <= figures[key]["max_ms"]
    assert figures["queries"]["page_first"] > 0 and figures["queries"]["api_first"] > 0
    assert figures["urls_sample"]["api"][0].startswith("/api/v1/org/employees?")


def test_python_m_bench_writes_timestamped_and_latest_results(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "JIXIAO_TESTING"}}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "employee_list",
            "--employees",
            "150",
            "--requests",
            "6",
            "--results-dir",
            str(tmp_path),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "page_hr" in result.stdout
    files = sorted(p.name for p in tmp_path.glob("employee_list-*.json"))
    assert "employee_list-latest.json" in files and len(files) == 2
    record = json.loads((tmp_path / "employee_list-latest.json").read_text())
    assert record["benchmark"] == "employee_list"
    assert record["database"]["vendor"] == "sqlite"
    assert record["machine"]["cpu_count"] >= 1 and record["machine"]["python"].startswith("3.11")
    assert record["figures"]["employees"] == 150
    assert set(record["git"]) == {"commit", "dirty"}


def test_unknown_benchmark_names_are_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench", "nonsense", "--results-dir", str(tmp_path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "unknown benchmark" in result.stderr
    assert not list(tmp_path.iterdir())
