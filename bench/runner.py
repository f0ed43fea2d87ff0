"""Runs one benchmark in this process: set up Django on a scratch database, migrate, measure.

``bench.__main__`` starts one of these per benchmark so every run has a fresh
database (a temporary var/ directory) unless ``DATABASE_URL`` points elsewhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import inspect
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

BENCHMARKS = {
    "import": "bench.bench_import",
    "employee_list": "bench.bench_employee_list",
    "punch_import": "bench.bench_punch_import",
    "attendance_month": "bench.bench_attendance_month",
    "day_recompute": "bench.bench_day_recompute",
    "metric_import": "bench.bench_metric_import",
    "metric_push": "bench.bench_metric_push",
    "metric_aggregate": "bench.bench_metric_aggregate",
}
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jixiao.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    call_command("migrate", "--noinput", verbosity=0)
    # Pages link static files through the manifest storage in production, which needs
    # collectstatic; the plain storage gives the same URLs without touching var/staticfiles.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    override_settings(STORAGES=storages, AXES_ENABLED=False).enable()


def write_results(name: str, record: dict[str, Any], results_dir: Path) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = results_dir / f"{name}-{stamp}.json"
    text = json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    latest = results_dir / f"{name}-latest.json"
    tmp.write_text(text)
    tmp.replace(latest)
    return path


def run_one(name: str, options: dict[str, Any], results_dir: Path) -> Path:
    _django_setup()
    from bench.environment import database_info, git_info, machine_info

    module = importlib.import_module(BENCHMARKS[name])
    accepted = inspect.signature(module.run).parameters
    kwargs = {k: v for k, v in options.items() if k in accepted and v is not None}
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    figures = module.run(**kwargs)
    record = {
        "benchmark": name,
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - started, 2),
        "parameters": kwargs,
        "figures": figures,
        "machine": machine_info(),
        "database": database_info(),
        "git": git_info(),
    }
    return write_results(name, record, results_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.runner")
    parser.add_argument("name", choices=sorted(BENCHMARKS))
    parser.add_argument("--options", default="{}", help="JSON of keyword arguments for run()")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    path = run_one(args.name, json.loads(args.options), args.results_dir)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
