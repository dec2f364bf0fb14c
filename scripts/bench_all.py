"""`make bench`: every benchmark of issue 15 in one run, one table, docs/benchmarks.md.

    .venv/bin/python scripts/bench_all.py [--only rush,catalogue,month,compat]

Each part runs in its own process against its own PostgreSQL database (named *bench*; created
and seeded when missing, reused by a re-run) and hands back rows (scripts/benchtable.py):

- rush       the September rush over HTTP and its ceilings (scripts/bench_rush.py);
- catalogue  catalogue search over HTTP at region scale against its raw SQL
             (scripts/bench_catalog_http.py);
- month      the month run over 150,000 contracts against one set-based SQL statement
             (scripts/bench_month.py);
- compat     the ПФДО API v2 programme search (per-page=100) and full programme card over
             HTTP, on the catalogue's database (scripts/bench_compat.py).

The table is printed and written, with the machine it ran on, to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchtable

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
PG = "postgres://postgres@127.0.0.1:5432/"
# part → (module, its database's environment variable, default database)
PARTS = {
    "rush": ("bench_rush", "PFDO_BENCH_RUSH_DATABASE_URL", None),
    "catalogue": ("bench_catalog_http", "PFDO_BENCH_DATABASE_URL", PG + "pfdo_bench"),
    "month": ("bench_month", "PFDO_BENCH_BILLING_DATABASE_URL", PG + "pfdo_bench_billing"),
    # The same region-scale catalogue as the catalogue part.
    "compat": ("bench_compat", "PFDO_BENCH_DATABASE_URL", PG + "pfdo_bench"),
}
DOC = ROOT / "docs" / "benchmarks.md"


def _child(part: str, database_url: str | None, out: str) -> None:
    """In the part's own process: its measure(), rows written to `out` as JSON."""
    sys.path.insert(0, str(SCRIPTS))
    if part == "rush":
        import bench_rush

        rows = bench_rush.measure(database_url)
    elif part == "catalogue":
        import bench_catalog_http

        rows = bench_catalog_http.measure(database_url)
    elif part == "compat":
        import bench_compat

        rows = bench_compat.measure(database_url, http=True)
    else:
        import bench_month

        rows = bench_month.measure(database_url)
    Path(out).write_text(json.dumps(rows, ensure_ascii=False))


def _run(part: str) -> list[dict]:
    module, variable, default = PARTS[part]
    if importlib.util.find_spec(module) is None:
        print(f"{part}: scripts/{module}.py missing", flush=True)
        return [benchtable.row(part, f"scripts/{module}.py missing", "not measured")]
    database_url = os.environ.get(variable) or default
    print(f"\n== {part} ({database_url or 'its default database'})", flush=True)
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        started = time.perf_counter()
        command = [sys.executable, __file__, "--child", part, "--rows", out.name]
        if database_url:
            command += ["--database-url", database_url]
        done = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603 - this interpreter, this script
        took = time.perf_counter() - started
        rows = json.loads(Path(out.name).read_text() or "[]") if done.returncode == 0 else []
    print(f"== {part}: {took:.0f} s", flush=True)
    if done.returncode != 0:
        return [
            benchtable.row(part, "the benchmark", f"failed (exit {done.returncode})", met=False)
        ]
    return rows


def _write_doc(rows: list[dict], machine: dict[str, str], parts: list[str]) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (scripts/bench_all.py); every figure is printed next to its",
        "ceiling measured in the same run on the same machine. Re-run it to refresh this file.",
        "",
        "## The machine",
        "",
        *(f"- {key}: {value}" for key, value in machine.items()),
        f"- parts run: {', '.join(parts)}",
        "",
        "## The table",
        "",
        benchtable.markdown(rows),
        "Wall-clock figures rise when other work shares the machine (a load average above the",
        "number of cores): compare the load above. The CPU figures — a gunicorn worker's CPU per",
        "catalogue request, the month run's own CPU — are the cost of the code itself.",
        "",
        "## How to reproduce",
        "",
        "With the local PostgreSQL and Redis running (`.ci/run` starts both), from a fresh clone:",
        "",
        "    make bench",
        "",
        "Each part builds its own database the first time (named *bench*: `pfdo_bench` for the",
        "catalogue, `pfdo_bench_billing` for the month run; seeding the month run's world takes",
        "several minutes) and reuses it afterwards. Set PFDO_BENCH_DATABASE_URL,",
        "PFDO_BENCH_BILLING_DATABASE_URL or PFDO_BENCH_RUSH_DATABASE_URL for other databases,",
        "PFDO_BENCH_CACHE_URL for another Redis database of the served app's cache, and",
        "`BENCH_ONLY=catalogue,month` to run some parts only. What each part measures, and what",
        "its ceiling is, is written at the top of its script: scripts/bench_rush.py,",
        "scripts/bench_catalog_http.py, scripts/bench_month.py, scripts/bench_compat.py.",
        "",
    ]
    DOC.write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""))
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--child", choices=sorted(PARTS), help=argparse.SUPPRESS)
    parser.add_argument("--rows", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.database_url, args.rows)
        return
    parts = [p.strip() for p in args.only.split(",") if p.strip()] or list(PARTS)
    unknown = set(parts) - set(PARTS)
    if unknown:
        sys.exit(f"bench_all: unknown parts {', '.join(sorted(unknown))} (of {', '.join(PARTS)})")
    load_before = benchtable.load()
    rows = [r for part in parts for r in _run(part)]
    database_url = os.environ.get("PFDO_BENCH_DATABASE_URL") or PG + "pfdo_bench"
    machine = benchtable.machine(database_url, load_before)
    print("\n" + "\n".join(f"{key}: {value}" for key, value in machine.items()))
    print("\n" + benchtable.text(rows))
    if not args.no_doc:
        _write_doc(rows, machine, parts)
        print(f"\nwritten to {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
