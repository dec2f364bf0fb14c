"""Timing of the reports at region scale (issue 14, "Performance"): every dashboard page and
report endpoint, and the regional view, with their SQL query counts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pfdo_bench_reports .venv/bin/python scripts/bench_reports.py

Creates the database if it is missing, migrates it and seeds `seed_demo --scale region` once
(the Komi Republic: a region-scale catalogue, about 150,000 contracts with their monthly
reservations; a re-run finds them and measures at once — the database of `make bench-billing`
serves as well). The clock is pinned at 28 November 2026 (`PFDO_TODAY`), DEBUG off. Then asks
every section page and API endpoint of Vorkuta as its operator, the same of the largest
municipality (by contracts) as the regional administrator, and the regional view (page and
API) as the regional administrator, through Django's test client in-process (no web server):
median and 95th percentile over `--runs` requests after `--warmup`, and the SQL statements of
one request. The target: under 300 ms each.

Refuses databases whose name does not contain "bench": the seed writes millions of rows.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import benchdb  # scripts/benchdb.py: this folder is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TODAY = "2026-11-28"
TARGET_MS = 300
# Only for the bench database (as bench_billing's): DEBUG off needs a key, and the seeded
# children's hashes derive from it, so it stays the same from run to run.
BENCH_SECRET_KEY = "bench-billing-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105 - the throwaway bench key
REGION_PARENTS = "-region-"  # logins of the families pfdo.demo.enrolment_bulk writes


def _setup() -> None:
    os.environ["PFDO_TODAY"] = TODAY
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    benchdb.setup("bench_reports", "pfdo_bench_reports")
    from django.conf import settings

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS.append("testserver")


def _seed() -> None:
    from django.core.management import call_command

    from pfdo.accounts.models import User

    call_command("migrate", interactive=False, verbosity=0)
    if User.objects.filter(username__contains=REGION_PARENTS).exists():
        print("seed: the region is already seeded, nothing to do")
        _vacuum()
        return
    print("seed: seed_demo --scale region (several minutes) …", flush=True)
    started = time.perf_counter()
    command = [sys.executable, str(ROOT / "manage.py"), "seed_demo", "--scale", "region"]
    result = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True)  # noqa: S603 - this interpreter, fixed args
    if result.returncode != 0:
        print(f"seed: FAILED, exit code {result.returncode}\n{result.stderr[-3000:]}")
        sys.exit(1)
    print(f"seed: done in {time.perf_counter() - started:.0f} s")
    _vacuum()


def _vacuum() -> None:
    """VACUUM (ANALYZE), as a production server's autovacuum does after bulk writes: fresh
    statistics, and the visibility map that lets the reports' covering indexes answer from the
    index alone (the test server may run with autovacuum off). Quick when nothing changed."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def _measure(client, url: str, *, runs: int, warmup: int):
    from django.db import connection

    for _ in range(warmup):
        client.get(url)
    timings = []
    status = None
    for _ in range(runs):
        started = time.perf_counter()
        status = client.get(url).status_code
        timings.append((time.perf_counter() - started) * 1000)
    counter = benchdb.SqlCounter()
    with connection.execute_wrapper(counter):
        client.get(url)
    return status, timings, counter.count


def _urls():
    """(who, label, URL): Vorkuta as its operator, the largest municipality and the region as
    the regional administrator."""
    from django.db.models import Count

    from pfdo.enrolment.models import Contract
    from pfdo.reports import sections
    from pfdo.territory.models import Municipality

    largest = (
        Contract.objects.filter(status=Contract.Status.ACTIVE)
        .values("municipality_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    big = Municipality.objects.get(pk=largest["municipality_id"])
    yield "region", "regional view (page)", "/cabinet/reports/region/"
    yield "region", "regional view (API)", "/api/v1/reports/region/"
    for who, municipality in (("operator", "vorkuta"), ("region", big.code)):
        for section in sections.SECTIONS:
            yield (
                who,
                f"{municipality} {section.key} (page)",
                f"/cabinet/reports/municipalities/{municipality}/{section.key}/",
            )
        for section in sections.api_sections():
            yield (
                who,
                f"{municipality} {section.key} (API)",
                f"/api/v1/reports/{section.key}/?municipality={municipality}",
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    _setup()
    _seed()
    from django.test import Client

    from pfdo.accounts.models import User

    clients = {}
    for login in ("operator", "region"):
        clients[login] = Client()
        clients[login].force_login(User.objects.get(username=login))
    print(f"\n{args.runs} runs per URL after {args.warmup} warm-up requests; clock {TODAY}")
    print(f"{'who':<9} {'what':<34} {'HTTP':>4} {'median ms':>10} {'p95 ms':>8} {'SQL':>4}")
    over = []
    for who, label, url in _urls():
        status, timings, queries = _measure(clients[who], url, runs=args.runs, warmup=args.warmup)
        median = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
        flag = "  OVER" if p95 > TARGET_MS else ""
        print(f"{who:<9} {label:<34} {status:>4} {median:>10.1f} {p95:>8.1f} {queries:>4}{flag}")
        if p95 > TARGET_MS:
            over.append(label)
    print(f"\n{len(over)} over {TARGET_MS} ms at p95" + (f": {', '.join(over)}" if over else ""))


if __name__ == "__main__":
    main()
