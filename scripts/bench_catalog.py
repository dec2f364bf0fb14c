"""Benchmark of the public catalogue at region scale (issue 3's closing note).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pfdo_bench .venv/bin/python scripts/bench_catalog.py

Migrates the database if needed, seeds the Komi Republic and a catalogue the size of a large
real region (pfdo.demo.catalog_bulk; idempotent, so a second run measures at once), then
requests each URL through Django's test client in-process — no network, no web server: what
is measured is Django + the database — and prints the median and 95th percentile per URL.
Prints EXPLAIN (ANALYZE) of the full-text query to show the GIN index is used.

Refuses databases whose name does not contain "bench": it writes tens of thousands of rows.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

import benchdb  # scripts/benchdb.py: this folder is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

QUERIES = [
    # (label, URL) — the API first: the issue asks for its median.
    (
        "API filtered",
        "/api/v1/programs/?municipality=vorkuta&direction=arts&age=9&free_places=true",
    ),
    ("API text search", "/api/v1/programs/?q=робототехника"),
    (
        "API search+filters",
        "/api/v1/programs/?q=танец&municipality=syktyvkar&age=7&weekday=2&price=covered",
    ),
    ("API region, by price", "/api/v1/programs/?ordering=price"),
    (
        "page filtered",
        "/catalog/?municipality=vorkuta&direction=arts&age=9&free_places=true",
    ),
    ("page text search", "/catalog/?municipality=&q=робототехника"),
    ("page htmx", "/catalog/?municipality=&direction=sports&weekday=6&time_from=09:00"),
]


def _setup() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    name = connection.settings_dict["NAME"] or ""
    if connection.vendor != "postgresql":
        sys.exit("bench_catalog: needs PostgreSQL (DATABASE_URL=postgres://…/pfdo_bench)")
    if "bench" not in name:
        sys.exit(f"bench_catalog: refusing database {name!r}: its name must contain 'bench'")
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS.append("testserver")


def _seed() -> None:
    from django.core.management import call_command

    from pfdo.catalog.models import Group, Module, Program, ScheduleEntry
    from pfdo.demo.catalog_bulk import seed_region_catalog
    from pfdo.demo.territory import seed_komi
    from pfdo.providers.models import Provider

    call_command("migrate", interactive=False, verbosity=0)
    region, _ = seed_komi()
    started = time.perf_counter()
    report = seed_region_catalog(region=region)
    took = time.perf_counter() - started
    if report.skipped:
        print("seed: region catalogue already present, nothing written")
    else:
        print(
            f"seed: {report.providers} providers, {report.programs} programmes, "
            f"{report.modules} modules, {report.groups} groups, "
            f"{report.schedule_entries} schedule entries in {took:.1f} s"
        )
    print(
        "rows: "
        f"providers={Provider.objects.count()} programs={Program.objects.count()} "
        f"modules={Module.objects.count()} groups={Group.objects.count()} "
        f"schedule_entries={ScheduleEntry.objects.count()}"
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _measure(client, url: str, *, runs: int, warmup: int, htmx: bool):
    from django.db import connection

    headers = {"HX-Request": "true"} if htmx else {}
    for _ in range(warmup):
        client.get(url, headers=headers)
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        timings.append((time.perf_counter() - started) * 1000)
    counter = benchdb.SqlCounter()
    with connection.execute_wrapper(counter):
        response = client.get(url, headers=headers)
    return response, timings, counter


def _rows(response) -> str:
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        return f"count={body.get('count')} on page={len(body.get('results', []))}"
    match = re.search(r"Найдено программ: (\d+)", response.content.decode())
    cards = response.content.decode().count('class="program-card"')
    return f"count={match.group(1) if match else '?'} on page={cards}"


def _explain() -> None:
    from django.db import connection

    from pfdo.catalog import search
    from pfdo.catalog.filters import ProgramFilter
    from pfdo.catalog.selectors import catalog_programs

    filterset = ProgramFilter({"q": "робототехника"}, queryset=catalog_programs(None))
    queryset = search.search_programs(catalog_programs(None), "робототехника")
    print("\nEXPLAIN (ANALYZE) of the text search (catalogue query, first page):")
    plan = filterset.qs[:20].explain(analyze=True)
    print(plan)
    print("\nEXPLAIN (ANALYZE) of the bare text condition:")
    bare = queryset.model.objects.all()
    print(search.search_programs(bare, "робототехника").values("pk").explain(analyze=True))
    used = "catalog_program_search_ru" in plan
    print(f"\nGIN index catalog_program_search_ru used by the catalogue query: {used}")
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    _setup()
    _seed()
    from django.test import Client

    client = Client()
    print(f"\n{args.runs} runs per URL after {args.warmup} warm-up requests, anonymous visitor")
    print(f"{'query':<22} {'median ms':>10} {'p95 ms':>8} {'SQL':>4} {'SQL ms':>7}  rows / URL")
    for label, url in QUERIES:
        response, timings, sql = _measure(
            client, url, runs=args.runs, warmup=args.warmup, htmx=label == "page htmx"
        )
        median = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(
            f"{label:<22} {median:>10.1f} {p95:>8.1f} {sql.count:>4} {sql.seconds * 1000:>7.1f}"
            f"  {_rows(response)}"
        )
        print(f"{'':<23}{url}")
    _explain()


if __name__ == "__main__":
    main()
