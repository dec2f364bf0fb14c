"""Catalogue search over HTTP at region scale, next to the raw SQL it sends (issue 15).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pfdo_bench .venv/bin/python scripts/bench_catalog_http.py

The database (named *bench*) is created, migrated and seeded with the region catalogue of
scripts/bench_catalog.py if missing (a re-run reuses it). The project is served by gunicorn
with the production settings (benchdb.Served, 4 sync workers, Redis as the cache) and one
client asks the public catalogue page — the page families use — for a filtered query, a text
query and text + filters, one request at a time on a new connection (a sync worker keeps none
alive); p50/p95 over 100 requests after 10 warm-up ones. The API's list answers the same
three queries too (its figures for comparison). Next to each figure: the CPU time the
gunicorn workers spent per request (from /proc), which other work on the machine does not
inflate the way it inflates wall time.

The ceiling of each URL is its own SQL: the statements the ORM sends for that request
(captured once in-process), run directly with psycopg on one
connection, one after the other, as many times; ratio = HTTP p95 / SQL p95.
"""

from __future__ import annotations

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

PART = "catalogue"
TARGET_MS = 50
CACHE_URL = os.environ.get("PFDO_BENCH_CACHE_URL", "redis://127.0.0.1:6379/8")
# (label, URL, whether the 50 ms target applies)
QUERIES = [
    ("page filtered", "/catalog/?municipality=vorkuta&direction=arts&age=9&free_places=true", True),
    ("page text", "/catalog/?municipality=&q=робототехника", True),
    ("page text+filters", "/catalog/?q=танец&municipality=syktyvkar&age=7&weekday=2&price=covered", False),
    ("API filtered", "/api/v1/programs/?municipality=vorkuta&direction=arts&age=9&free_places=true", False),
    ("API text", "/api/v1/programs/?q=робототехника", False),
    ("API text+filters", "/api/v1/programs/?q=танец&municipality=syktyvkar&age=7&weekday=2&price=covered", False),
]  # fmt: skip


def _quantiles(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), statistics.quantiles(samples, n=20)[-1]


def _captured_sql(url: str) -> list[str]:
    """The statements one anonymous request for `url` sends."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]):
        client.get(url)  # sessions, content types and the like are read once per process
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
    if response.status_code != 200:
        sys.exit(f"bench_catalog_http: {url} answered {response.status_code}")
    return [q["sql"] for q in captured.captured_queries]


def _time_sql(database_url: str, statements: list[str], runs: int) -> list[float]:
    import psycopg

    timings = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        for index in range(runs + 5):
            started = time.perf_counter()
            for sql in statements:
                conn.execute(sql.replace("%", "%%")).fetchall()
            if index >= 5:
                timings.append((time.perf_counter() - started) * 1000)
    return timings


def _get(base: str, path: str) -> tuple[int, bytes]:
    import http.client

    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", urllib.parse.quote(path, safe="/?&=:"))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _workers_cpu_ms(master_pid: int) -> float:
    """User + system time the gunicorn workers have used so far, in ms (Linux /proc)."""
    total = 0
    for task in Path(f"/proc/{master_pid}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a worker recycled meanwhile
            total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total * 1000 / os.sysconf("SC_CLK_TCK")


def _time_http(base: str, url: str, runs: int) -> list[float]:
    timings = []
    for index in range(runs + 10):
        started = time.perf_counter()
        status, _ = _get(base, url)
        took = (time.perf_counter() - started) * 1000
        if status != 200:
            sys.exit(f"bench_catalog_http: {url} answered {status} over HTTP")
        if index >= 10:
            timings.append(took)
    return timings


def measure(database_url: str | None = None, runs: int = 100) -> list[dict]:
    database_url = database_url or os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = database_url
    benchdb.setup("bench_catalog_http", "pfdo_bench")
    import bench_catalog

    bench_catalog._seed()
    statements = {url: _captured_sql(url) for _, url, _ in QUERIES}
    sql_ms = {url: _time_sql(database_url, statements[url], runs) for _, url, _ in QUERIES}
    from django.db import connections

    connections.close_all()
    rows = []
    served = benchdb.Served(database_url, workers=4, extra_env={"CACHE_URL": CACHE_URL})
    with served as base:
        for label, url, targeted in QUERIES:
            cpu = _workers_cpu_ms(served.process.pid)
            http50, http95 = _quantiles(_time_http(base, url, runs))
            cpu = (_workers_cpu_ms(served.process.pid) - cpu) / (runs + 10)
            sql50, sql95 = _quantiles(sql_ms[url])
            print(f"  {label}: HTTP p50 {http50:.1f} p95 {http95:.1f} ms, {cpu:.0f} ms CPU of a worker per request; SQL p50 {sql50:.1f} p95 {sql95:.1f} ms ({len(statements[url])} statements)  {url}", flush=True)  # fmt: skip
            rows.append(
                benchtable.row(
                    PART,
                    f"{label}, HTTP p50 / p95 (worker CPU per request)",
                    f"{http50:.1f} / {http95:.1f} ms ({cpu:.0f} ms CPU)",
                    f"raw SQL {sql50:.1f} / {sql95:.1f} ms ({len(statements[url])} statements)",
                    benchtable.times(http95, sql95),
                    f"p95 < {TARGET_MS} ms" if targeted else "",
                    (http95 < TARGET_MS) if targeted else None,
                )
            )
    return rows


if __name__ == "__main__":
    print(benchtable.text(measure()))
