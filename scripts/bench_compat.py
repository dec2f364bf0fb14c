"""The programme operations of the ПФДО API v2 compatibility layer at region scale (issue 16).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pfdo_bench .venv/bin/python scripts/bench_compat.py [--http]

The database (named *bench*) is migrated and seeded with the region catalogue of
scripts/bench_catalog.py if missing (358 providers, 5,614 programmes, 10,955 modules, 7,285
groups, 22,919 lessons; a re-run reuses it). Each URL is asked `--runs` times after
`--warmup` warm-up requests, one at a time, anonymously, and p50/p95/p99 are printed with the
number of SQL statements one request sends (and their time in the database).

By default the requests go through Django's WSGI handler in-process (the test client: no
network, no web server — Django + the database). With `--http` the project is served by
gunicorn with the production settings (benchdb.Served, 4 sync workers, Redis as the cache)
and asked over HTTP on a new connection per request.

Wall times include whatever else the machine runs; beside them the CPU a request costs —
in-process the p95 of each request's time.process_time, over HTTP the gunicorn workers' CPU
per request (from /proc) — and the load average before and after.

The issue's target: /main-page/search/programs with per-page=100 and /public/programs/{id}
with the full expand each under 50 ms p95, with a query count that does not grow with the page
size (the per-page=5 and per-page=100 counts are printed side by side).

Every request comes from another client address (REMOTE_ADDR in-process, X-Forwarded-For from
a trusted 127.0.0.1 over HTTP): the per-address limit `compat_ip` is counted as in production
but never trips.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

import benchdb
import benchtable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

PART = "compat API"
TARGET_MS = 50
CACHE_URL = os.environ.get("PFDO_BENCH_CACHE_URL", "redis://127.0.0.1:6379/9")
PUBLIC_EXPAND = (
    "address,program_image,registry,reestrs,direction,activity,is_open,available_groups,"
    "program_text,distance_technology,organization,images,interest,modules,rating,region,"
    "img_transparent,program_icons,program_nok_rating,phone"
)


def _scenarios() -> list[tuple[str, list[str], bool]]:
    """(label, URLs asked in turn, whether the 50 ms target applies), from the seeded data."""
    from django.conf import settings
    from django.db.models import Count

    from pfdo.compat import programs
    from pfdo.territory.models import Region

    prefix = "/" + settings.PFDO_COMPAT_API_PREFIX
    region = Region.objects.get(code="komi")
    visible = programs.visible_programs().filter(municipality__region=region)
    mun = visible.values_list("municipality_id", flat=True).order_by("municipality_id").first()
    # Cards: a hundred programmes with groups, spread over the catalogue (not one hot row),
    # and the programme with the most groups (the largest answer).
    with_groups = list(
        visible.annotate(groups=Count("modules__groups"))
        .filter(groups__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    step = max(1, len(with_groups) // 100)
    spread = with_groups[::step][:100]
    largest = visible.annotate(groups=Count("modules__groups")).order_by("-groups", "pk").first().pk
    search = f"{prefix}main-page/search/programs?operator={region.pk}"
    es = f"{prefix}main-page/search/es-programs?operator={region.pk}"
    # Pages over the whole region: page 1 and pages deeper in (OFFSET), in turn.
    return [
        ("search, per-page=100", [f"{search}&per-page=100&page={n}" for n in (1, 2, 10, 30)], True),
        ("search, per-page=5", [f"{search}&per-page=5&page={n}" for n in (1, 2, 10, 30)], False),
        ("search text, per-page=100", [f"{search}&per-page=100&search[name]=робототехника"], True),
        (
            "search filtered, per-page=100",
            [f"{search}&per-page=100&search[mun]={mun}&search[direction]=4&search[age]=108"],
            True,
        ),
        (
            "es-programs + expand, per-page=100",
            [f"{es}&per-page=100&expand=program_nok_rating,duration_string,kind"],
            True,
        ),
        (
            "public card, full expand (100 programmes)",
            [f"{prefix}public/programs/{pk}?expand={PUBLIC_EXPAND}" for pk in spread],
            True,
        ),
        (
            "public card, full expand (most groups)",
            [f"{prefix}public/programs/{largest}?expand={PUBLIC_EXPAND}"],
            True,
        ),
        (
            "showcase card (100 programmes)",
            [f"{prefix}main-page/search/programs/{pk}" for pk in spread],
            False,
        ),
    ]  # fmt: skip


def _address(index: int) -> str:
    return f"10.{(index >> 16) & 255}.{(index >> 8) & 255}.{index & 255}"


def _sql(client, url: str) -> tuple[int, float, int]:
    """Statements of one request, their time in ms, and the items answered."""
    from django.db import connection

    counter = benchdb.SqlCounter()
    with connection.execute_wrapper(counter):
        response = client.get(url, REMOTE_ADDR="192.0.2.1")
    if response.status_code != 200:
        sys.exit(f"bench_compat: {url} answered {response.status_code}: {response.content[:300]}")
    data = response.json()["data"]
    items = len(data) if isinstance(data, list) else len(data.get("available_groups", []))
    return counter.count, counter.seconds * 1000, items


def _time_in_process(
    client, urls: list[str], runs: int, warmup: int, counter: list
) -> tuple[list[float], list[float]]:
    """Wall times and this process's CPU times (ms) of the requests after the warm-up."""
    timings, cpu = [], []
    for index in range(warmup + runs):
        url = urls[index % len(urls)]
        counter[0] += 1
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, REMOTE_ADDR=_address(counter[0]))
        took = (time.perf_counter() - started) * 1000
        took_cpu = (time.process_time() - started_cpu) * 1000
        if response.status_code != 200:
            sys.exit(f"bench_compat: {url} answered {response.status_code}")
        if index >= warmup:
            timings.append(took)
            cpu.append(took_cpu)
    return timings, cpu


def _get(base: str, path: str, address: str) -> int:
    import http.client

    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(
            "GET",
            urllib.parse.quote(path, safe="/?&=:,[]"),
            headers={"X-Forwarded-For": address},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _time_http(base: str, urls: list[str], runs: int, warmup: int, counter: list) -> list[float]:
    timings = []
    for index in range(warmup + runs):
        url = urls[index % len(urls)]
        counter[0] += 1
        started = time.perf_counter()
        status = _get(base, url, _address(counter[0]))
        took = (time.perf_counter() - started) * 1000
        if status != 200:
            sys.exit(f"bench_compat: {url} answered {status} over HTTP")
        if index >= warmup:
            timings.append(took)
    return timings


def _quantiles(samples: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return statistics.median(samples), cuts[94], cuts[98]


def _explain(url: str) -> None:
    """EXPLAIN (ANALYZE) of the page query of a search URL (the statement that reads rows)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        Client().get(url, REMOTE_ADDR="192.0.2.2")
    page = max(captured.captured_queries, key=lambda q: len(q["sql"]))["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + page)
        print("\n".join(row[0] for row in cursor.fetchall()))


def measure(
    database_url: str | None = None,
    *,
    runs: int = 200,
    warmup: int = 20,
    http: bool = False,
    explain: bool = False,
) -> list[dict]:
    database_url = database_url or os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = database_url
    benchdb.setup("bench_compat", "pfdo_bench")
    import bench_catalog

    bench_catalog._seed()
    from django.conf import settings
    from django.test import Client

    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS.append("testserver")
    client = Client()
    scenarios = _scenarios()
    sql = {label: _sql(client, urls[0]) for label, urls, _ in scenarios}
    if explain:
        for label, urls, _ in scenarios[:4]:
            print(f"\nEXPLAIN ANALYZE — {label}:")
            _explain(urls[0])
    counter = [0]
    rows = []
    mode = "HTTP (gunicorn, 4 workers)" if http else "in-process WSGI"
    print(f"\n{runs} requests per line after {warmup} warm-up ones, {mode}, anonymous")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'operation':<42} {'p50':>7} {'p95':>7} {'p99':>7} {'CPU p95' if not http else 'CPU avg':>8}"
        f"  {'SQL':>3} {'SQL ms':>7}  items"
    )

    def report(label, timings, targeted, cpu=None, cpu_mean=None):
        """`cpu`: per-request CPU samples (in-process); `cpu_mean`: the workers' CPU per
        request (over HTTP, from /proc), shown in the same column."""
        p50, p95, p99 = _quantiles(timings)
        cpu95 = _quantiles(cpu)[1] if cpu else cpu_mean
        count, sql_ms, items = sql[label]
        cpu_text = f"{cpu95:>8.1f}" if cpu95 is not None else f"{'—':>8}"
        print(
            f"{label:<42} {p50:>7.1f} {p95:>7.1f} {p99:>7.1f} {cpu_text}"
            f"  {count:>3} {sql_ms:>7.1f}  {items}",
            flush=True,
        )
        figure = f"{p50:.1f} / {p95:.1f} / {p99:.1f} ms"
        if cpu is not None:
            figure += f" (Python CPU p95 {cpu95:.1f} ms)"
        elif cpu_mean is not None:
            figure += f" (worker CPU {cpu_mean:.1f} ms per request)"
        rows.append(
            benchtable.row(
                PART,
                f"{label}, p50 / p95 / p99",
                figure,
                f"{count} SQL statements, {sql_ms:.1f} ms in the database",
                "",
                f"p95 < {TARGET_MS} ms" if targeted else "",
                (p95 < TARGET_MS) if targeted else None,
            )
        )

    if http:
        from django.db import connections

        connections.close_all()
        served = benchdb.Served(
            database_url,
            workers=4,
            extra_env={"CACHE_URL": CACHE_URL, "PFDO_TRUSTED_PROXIES": "127.0.0.1"},
        )
        from bench_catalog_http import _workers_cpu_ms

        with served as base:
            for label, urls, targeted in scenarios:
                before = _workers_cpu_ms(served.process.pid)
                timings = _time_http(base, urls, runs, warmup, counter)
                spent = (_workers_cpu_ms(served.process.pid) - before) / (runs + warmup)
                report(label, timings, targeted, cpu_mean=spent)
    else:
        for label, urls, targeted in scenarios:
            timings, cpu = _time_in_process(client, urls, runs, warmup, counter)
            report(label, timings, targeted, cpu)
    five, hundred = sql["search, per-page=5"][0], sql["search, per-page=100"][0]
    same = "the same" if five == hundred else "NOT the same"
    print(f"\nSQL statements per search: per-page=5 → {five}, per-page=100 → {hundred} ({same})")
    print(f"load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--http", action="store_true", help="under gunicorn, over HTTP")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the searches")
    args = parser.parse_args()
    rows = measure(runs=args.runs, warmup=args.warmup, http=args.http, explain=args.explain)
    print()
    print(benchtable.text(rows))


if __name__ == "__main__":
    main()
