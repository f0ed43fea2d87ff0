"""``python -m bench [NAME ...]``: run benchmarks, each in its own process on a fresh database.

Without ``DATABASE_URL`` every benchmark gets a temporary var/ directory with a new
SQLite database; with it, the benchmark migrates and uses that database (generated
companies from an earlier run are removed first). Results are JSON files under
bench/results/: ``<name>-<timestamp>.json`` and ``<name>-latest.json``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.runner import BENCHMARKS, RESULTS_DIR

ROOT = Path(__file__).resolve().parent.parent


def available(name: str) -> bool:
    return importlib.util.find_spec(BENCHMARKS[name]) is not None


def _print_summary(path: Path) -> None:
    record = json.loads(path.read_text())
    figures: dict[str, Any] = record["figures"]
    print(f"  {record['benchmark']}: {record['duration_s']} s on {record['database']['vendor']}")
    for key, value in figures.items():
        if isinstance(value, dict) and "p50_ms" in value:
            print(
                f"    {key:<18} p50 {value['p50_ms']:>8} ms   p95 {value['p95_ms']:>8} ms"
                f"   max {value['max_ms']:>8} ms   ({value['requests']} requests)"
            )
        elif not isinstance(value, dict | list):
            print(f"    {key:<18} {value}")
    print(f"    → {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"of {sorted(BENCHMARKS)}")
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per measured URL set")
    parser.add_argument("--companies", type=int, default=1)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)

    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; known: {sorted(BENCHMARKS)}")
    names = args.names or sorted(BENCHMARKS)
    options = {
        "employees": args.employees,
        "requests": args.requests,
        "companies": args.companies,
        "seed": args.seed,
    }
    failed = []
    for name in names:
        if not available(name):
            print(f"✗ {name}: {BENCHMARKS[name]} does not exist yet", file=sys.stderr)
            failed.append(name)
            continue
        print(f"▶ {name} ({args.employees} employees)", flush=True)
        env = dict(os.environ)
        env.pop("JIXIAO_TESTING", None)
        with tempfile.TemporaryDirectory(prefix=f"jixiao-bench-{name}-") as scratch:
            if not env.get("DATABASE_URL"):
                env["JIXIAO_VAR_DIR"] = scratch
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.runner",
                    name,
                    "--options",
                    json.dumps(options),
                    "--results-dir",
                    str(args.results_dir.resolve()),
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
        if result.returncode != 0:
            print(f"✗ {name} failed:\n{result.stderr}", file=sys.stderr)
            failed.append(name)
            continue
        _print_summary(Path(result.stdout.strip().splitlines()[-1]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
