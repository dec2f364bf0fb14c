"""The September rush over HTTP, next to its ceilings, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pfdo_bench_rush .venv/bin/python scripts/bench_rush.py

The world is bench_enrolment's (built once, found on a re-run): Vorkuta's approved 2026/27
period, one provider, one group of 10 places and 20 more groups of 10, 200 families with
financing certificates. Each parent gets an API token (as an integration or the family's app
has), and one staff member of the provider gets one.

The project is served as `make serve` serves it: gunicorn, 4 sync workers, production
settings, Redis cache (CACHE_URL, DB 6 by default), a Celery worker beside gunicorn on a
broker of its own (RUSH_BROKER_URL, Redis DB 9 by default) so the e-mail of each notification
is delivered by the worker after the commit, not in the request (letters are files in
var/mail-bench-rush), the clock pinned to 28 November 2026
(PFDO_TODAY) so the figures do not depend on the day. 200 asyncio clients (aiohttp, one
connection each) are released together through the real API, the flow a family follows:

1. apply — `POST /api/v1/applications/` (certificate, group, copay_agreed): all 200 parents
   at once to the one group of 10 places: 10 places held, 190 waitlisted in positions 1..190;
2. the same 200 spread over the 20 groups (each gets a place);
3. the offer — the provider's staff confirms the 200 held applications
   (`POST /api/v1/applications/{id}/confirm/`, 200 requests at once with the staff's token);
4. accept — the 200 parents accept their contracts at once
   (`POST /api/v1/contracts/{id}/accept/`): the certificate's money is reserved.

Each row prints completed operations per second (the wall time from the release to the last
answer), p50/p95/p99 latency and errors by status. Afterwards: no group over capacity, places
held = seats taken, the waitlist exactly 1..190, no certificate's balance negative, and
`verify_ledger` clean. Then the world is reset through the services (contracts terminated by
the parent, applications withdrawn), so a re-run starts from free groups again; a terminated
contract leaves its current month reserved, so each run uses up a month of a certificate.

Ceilings in the same run, at the same concurrency: the same row locks, check and insert
(scripts/bench_wsgi_ceiling.py, on the bench's own `rush_*` tables) under pgbench, and behind
a bare WSGI app under the same gunicorn; for those the 200 clients loop for a few seconds.
PostgreSQL allows 100 connections by default: pgbench takes the highest concurrency of
200, 100, 90, … that connects, and prints it.

`measure()` runs this script in a process of its own and returns its table's rows (the
`make bench` orchestrator imports it); run alone it prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))
sys.path.insert(0, str(ROOT))
import bench_http  # noqa: E402 - scripts/ is on sys.path just above
from benchtable import row  # noqa: E402 - the one row format of make bench

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pfdo_bench_rush"
CLIENTS = 200
CAPACITY = 10
TODAY = "2026-11-28T10:00"
CACHE_URL = "redis://127.0.0.1:6379/6"
BROKER_URL = "redis://127.0.0.1:6379/9"
TARGET_OPS, TARGET_P99_MS = 150.0, 500.0
CEILING_SECONDS = 5.0
PGBENCH_CONCURRENCY = (200, 100, 90, 80, 64, 50, 32)
STAFF_LOGIN = "bench-rush-staff"

CEILING_TABLES = """
CREATE TABLE IF NOT EXISTS rush_certificate (id integer PRIMARY KEY, status text NOT NULL);
CREATE TABLE IF NOT EXISTS rush_group (
    id integer PRIMARY KEY, capacity integer NOT NULL, seats_taken integer NOT NULL,
    CHECK (seats_taken <= capacity));
CREATE TABLE IF NOT EXISTS rush_application (
    id bigserial PRIMARY KEY, certificate_id integer NOT NULL, group_id integer NOT NULL,
    status text NOT NULL, created_at timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS rush_application_cert_group
    ON rush_application (certificate_id, group_id);
"""


# ------------------------------------------------------------------------------- world


def _setup_world():
    import bench_enrolment
    import benchdb

    benchdb.setup("bench_rush", "pfdo_bench_rush")
    world = bench_enrolment._world()
    return world, bench_enrolment


def _staff(world):
    """The provider's staff member of the bench (found on a re-run)."""
    from pfdo.accounts.models import User
    from pfdo.providers.services._common import create_staff
    from pfdo.providers.services.staff import NewStaff

    user = User.objects.filter(username=STAFF_LOGIN).first()
    if user is not None:
        return user
    provider = world.one.module.program.provider
    row, _ = create_staff(
        actor=None,
        provider=provider,
        staff=NewStaff(
            login=STAFF_LOGIN,
            last_name="Бенчмарков",
            first_name="Сотрудник",
            password="Bench-rush-" + "9" * 12,
        ),
        is_admin=True,
        prefix="",
    )
    User.objects.filter(pk=row.user_id).update(must_change_password=False)
    return User.objects.get(pk=row.user_id)


def _tokens(users) -> dict[int, str]:
    from pfdo.accounts import services as accounts

    return {user.pk: accounts.issue_api_token(user=user)[1] for user in users}


def _revoke_tokens(users) -> None:
    from pfdo.accounts.models import ApiToken

    ApiToken.objects.filter(user__in=users).delete()


def _reset(world, bench_enrolment) -> int:
    """Contracts of the bench groups ended by their parents (declined if only offered), then
    every live application withdrawn: the groups are free again."""
    from pfdo.enrolment import services
    from pfdo.enrolment.models import Contract

    groups = [world.one, *world.spread]
    done = 0
    for contract in Contract.objects.filter(
        group__in=groups, status__in=Contract.LIVE
    ).select_related("parent"):
        if contract.status == Contract.Status.OFFERED:
            services.decline(actor=contract.parent, contract=contract)
        else:
            services.terminate(actor=contract.parent, contract=contract)
        done += 1
    return done + bench_enrolment._withdraw(groups)


def _check(world, groups, *, held: int, waitlisted: int, positions: list | None) -> list[str]:
    """What must hold after a burst; the problems found (empty: exactly right)."""
    from pfdo.catalog.models import Group
    from pfdo.certificates import selectors as certificate_selectors
    from pfdo.enrolment import selectors
    from pfdo.enrolment.models import Application
    from pfdo.ledger.selectors import verify_ledger

    problems = []
    rows = Group.objects.filter(pk__in=[g.pk for g in groups])
    if rows.filter(seats_taken__gt=CAPACITY).exists():
        problems.append("a group over capacity")
    seats = sum(rows.values_list("seats_taken", flat=True))
    live = Application.objects.filter(group__in=groups)
    holding = live.filter(status__in=Application.HOLDING).count()
    line = selectors.with_waitlist_position(live.filter(status=Application.Status.WAITLISTED))
    got = sorted(line.values_list("waitlist_position", flat=True))
    if seats != holding or holding != held:
        problems.append(f"seats taken {seats}, places held {holding}, expected {held}")
    if got != list(range(1, waitlisted + 1)):
        problems.append(f"waitlist positions {got[:5]}… ({len(got)}), expected 1..{waitlisted}")
    if positions is not None and sorted(positions) != list(range(1, waitlisted + 1)):
        problems.append("the positions answered to the clients are not 1..N")
    period = world.one.module.normative_period
    balances = certificate_selectors.balances([c.certificate for c in world.clients], period)
    negative = [pk for pk, b in balances.items() if b.available_kopecks < 0]
    if negative:
        problems.append(f"{len(negative)} certificates negative")
    problems += [f"verify_ledger: {p}" for p in verify_ledger()]
    return problems


# ------------------------------------------------------------------------------- ceilings


def _ceiling_tables(groups: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CEILING_TABLES)
        cursor.execute(
            "INSERT INTO rush_certificate SELECT n, 'active' FROM generate_series(1, %s) n "
            "ON CONFLICT DO NOTHING",
            [CLIENTS],
        )
        cursor.execute(
            "INSERT INTO rush_group SELECT n, %s, 0 FROM generate_series(1, %s) n "
            "ON CONFLICT DO NOTHING",
            [CAPACITY, groups],
        )
        cursor.execute("TRUNCATE rush_application")
        cursor.execute("UPDATE rush_group SET seats_taken = 0")


def _pgbench_script() -> str:
    import bench_wsgi_ceiling as sql

    statements = [
        sql.LOCK_CERTIFICATE,
        sql.CHECK_APPLIED,
        sql.LOCK_GROUP,
        sql.TAKE_SEAT_AND_INSERT,
    ]
    body = "\n".join(s.replace("%(c)s", ":c").replace("%(g)s", ":g") + ";" for s in statements)
    return f"\\set c random(1, {CLIENTS})\n\\set g 1\nBEGIN;\n{body}\nCOMMIT;\n"


def _pgbench(database_url: str) -> tuple[bench_http.Run | None, str]:
    """pgbench at the highest concurrency that connects; (figures, what happened)."""
    from urllib.parse import urlparse

    url = urlparse(database_url)
    base = ["pgbench", "-n", "-j", "2", "-T", str(int(CEILING_SECONDS)), "-r"]
    base += ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432)]
    base += ["-U", url.username or "postgres", url.path.lstrip("/")]
    env = dict(os.environ, PGPASSWORD=url.password or "")
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(_pgbench_script())
    notes = []
    try:
        for clients in PGBENCH_CONCURRENCY:
            _ceiling_tables(1)
            done = subprocess.run(  # noqa: S603 - pgbench with fixed arguments
                [*base[:1], "-c", str(clients), "-f", script.name, *base[1:]],
                capture_output=True,
                text=True,
                env=env,
            )
            out = done.stdout + done.stderr
            tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
            if done.returncode == 0 and tps:
                run = bench_http.Run(f"pgbench, {clients} connections", clients=clients)
                run.wall = 1.0
                run.statuses[200] = round(float(tps.group(1)))
                average = re.search(r"latency average = ([\d.]+) ms", out)
                run.seconds = [float(average.group(1)) / 1000] if average else [0.0]
                return run, "; ".join(notes)
            reason = "too many clients" if "too many clients" in out else out.strip()[-200:]
            notes.append(f"{clients} connections refused ({reason})")
    finally:
        os.unlink(script.name)
    return None, "; ".join(notes)


# ------------------------------------------------------------------------------- the run


def _apply_calls(pairs, tokens):
    return [
        (
            "POST",
            "/api/v1/applications/",
            tokens[client.parent.pk],
            {"certificate": client.certificate.pk, "group": group.pk, "copay_agreed": True},
        )
        for client, group in pairs
    ]


def _race(world, bench_enrolment, database_url: str) -> dict:
    import benchdb

    from pfdo.enrolment.models import Application, Contract

    staff = _staff(world)
    parents = [c.parent for c in world.clients]
    _revoke_tokens([*parents, staff])
    tokens = _tokens([*parents, staff])
    figures: dict = {"problems": {}}
    env = {
        "PFDO_TODAY": TODAY,
        "CACHE_URL": os.environ.get("RUSH_CACHE_URL", CACHE_URL),
        "CELERY_BROKER_URL": os.environ.get("RUSH_BROKER_URL", BROKER_URL),
        "EMAIL_URL": f"filemail://{ROOT / 'var' / 'mail-bench-rush'}",
        "CELERY_LOG_LEVEL": "warning",
    }
    print(
        "serving the project: gunicorn, 4 sync workers, a Celery worker (2 processes), "
        f"production settings, {env}"
    )
    with benchdb.Served(database_url, workers=4, extra_env=env, worker=True) as base:
        one = asyncio.run(
            bench_http.burst(
                base,
                f"1. {CLIENTS} parents apply at once to one group of {CAPACITY}",
                _apply_calls([(c, world.one) for c in world.clients], tokens),
            )
        )
        print(one.line())
        if one.per_second:
            # Little's law: all clients arrive at once, so the last waits for everyone's turn.
            print(
                f"  (a burst of {one.clients} served at {one.per_second:.0f}/s: the last answer "
                f"waits ≥ {one.clients / one.per_second:.2f} s; p99 < {TARGET_P99_MS:.0f} ms for "
                f"{one.clients} at once needs ≥ {one.clients / TARGET_P99_MS * 1000:.0f}/s)"
            )
        positions = [
            b["waitlist_position"]
            for b in one.bodies
            if isinstance(b, dict) and b.get("status") == Application.Status.WAITLISTED
        ]
        figures["one"] = one
        figures["problems"]["one"] = _check(
            world,
            [world.one],
            held=CAPACITY,
            waitlisted=CLIENTS - CAPACITY,
            positions=positions,
        )
        print(f"  check: {figures['problems']['one'] or 'exactly right'}")
        _reset(world, bench_enrolment)

        spread = world.spread
        pairs = [(c, spread[i % len(spread)]) for i, c in enumerate(world.clients)]
        two = asyncio.run(
            bench_http.burst(
                base,
                f"2. {CLIENTS} parents apply at once over {len(spread)} groups of {CAPACITY}",
                _apply_calls(pairs, tokens),
            )
        )
        print(two.line())
        figures["spread"] = two
        held = list(
            Application.objects.filter(group__in=spread, status=Application.Status.NEW)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        offers = asyncio.run(
            bench_http.burst(
                base,
                f"3. the provider offers contracts for {len(held)} applications at once",
                [
                    ("POST", f"/api/v1/applications/{pk}/confirm/", tokens[staff.pk], None)
                    for pk in held
                ],
            )
        )
        print(offers.line())
        figures["offer"] = offers
        contracts = list(
            Contract.objects.filter(group__in=spread, status=Contract.Status.OFFERED).values_list(
                "pk", "parent_id"
            )
        )
        accepts = asyncio.run(
            bench_http.burst(
                base,
                f"4. {len(contracts)} parents accept their contracts at once",
                [
                    ("POST", f"/api/v1/contracts/{pk}/accept/", tokens[parent], {})
                    for pk, parent in contracts
                ],
            )
        )
        print(accepts.line())
        figures["accept"] = accepts
        active = Contract.objects.filter(group__in=spread, status=Contract.Status.ACTIVE).count()
        problems = _check(world, spread, held=CLIENTS, waitlisted=0, positions=None)
        if active != CLIENTS:
            problems.append(f"{active} contracts active, expected {CLIENTS}")
        figures["problems"]["accept"] = problems
        print(f"  check: {problems or 'exactly right'} ({active} contracts active)")
    started = time.perf_counter()
    done = _reset(world, bench_enrolment)
    _revoke_tokens([*parents, staff])
    print(
        f"reset: {done} contracts and applications ended in {time.perf_counter() - started:.1f} s"
    )
    return figures


def _ceilings(database_url: str) -> dict:
    import benchdb

    figures = {}
    pgbench, notes = _pgbench(database_url)
    figures["pgbench"] = pgbench
    if pgbench is None:
        print(f"  pgbench: did not run ({notes})")
    else:
        print(
            f"  {pgbench.name}: {pgbench.per_second:.0f}/s, latency average "
            f"{pgbench.pct(0.5):.1f} ms" + (f" ({notes})" if notes else "")
        )
    _ceiling_tables(1)
    with benchdb.Served(database_url, workers=4, app="scripts.bench_wsgi_ceiling:application") as b:
        wsgi = asyncio.run(
            bench_http.loop(
                b,
                f"bare WSGI app, 4 sync workers, {CLIENTS} clients for {CEILING_SECONDS:.0f} s",
                CLIENTS,
                lambda index, count: {"certificate": 1 + index % CLIENTS, "group": 1},
                CEILING_SECONDS,
            )
        )
    print(wsgi.line())
    figures["wsgi"] = wsgi
    _ceiling_tables(1)
    return figures


def _rows(race: dict, ceilings: dict) -> list[dict]:
    wsgi, pgbench = ceilings["wsgi"], ceilings["pgbench"]

    one = race["one"]
    rows = [
        row(
            "rush",
            f"apply, {CLIENTS} clients, one group of {CAPACITY}: ops/s",
            f"{one.per_second:.0f}/s",
            f"WSGI {wsgi.per_second:.0f}/s",
            f"{one.per_second / wsgi.per_second:.2f}" if wsgi.per_second else "",
            f"≥ {TARGET_OPS:.0f}/s",
            one.per_second >= TARGET_OPS and not one.errors,
        )
    ]
    if pgbench is not None:
        rows.append(
            row(
                "rush",
                f"apply vs pgbench ({pgbench.clients} connections)",
                f"{one.per_second:.0f}/s",
                f"pgbench {pgbench.per_second:.0f}/s",
                f"{one.per_second / pgbench.per_second:.3f}",
            )
        )
    rows.append(
        row(
            "rush",
            "apply, one group: p50 / p95 / p99",
            f"{one.pct(0.5):.0f} / {one.pct(0.95):.0f} / {one.pct(0.99):.0f} ms",
            f"WSGI {wsgi.pct(0.5):.0f} / {wsgi.pct(0.95):.0f} / {wsgi.pct(0.99):.0f} ms",
            f"{one.pct(0.99) / wsgi.pct(0.99):.1f}" if wsgi.pct(0.99) else "",
            f"p99 < {TARGET_P99_MS:.0f} ms",
            one.pct(0.99) < TARGET_P99_MS,
        )
    )
    problems = race["problems"]["one"]
    rows.append(
        row(
            "rush",
            "one group: places held / waitlist / ledger",
            f"{CAPACITY} held, 1..{CLIENTS - CAPACITY} waitlisted, clean"
            if not problems
            else "; ".join(problems),
            target="exact",
            met=not problems,
        )
    )
    for key, label in (
        ("spread", "apply, 20 groups"),
        ("offer", "offer (provider confirms)"),
        ("accept", "accept (reserve the money)"),
    ):
        run = race[key]
        rows.append(
            row(
                "rush",
                f"{label}: ops/s, p50/p95/p99",
                f"{run.per_second:.0f}/s; {run.pct(0.5):.0f}/{run.pct(0.95):.0f}/"
                f"{run.pct(0.99):.0f} ms; errors {run.errors or 0}",
            )
        )
    problems = race["problems"]["accept"]
    rows.append(
        row(
            "rush",
            "after accepting: capacity, balances, ledger",
            "clean" if not problems else "; ".join(problems),
            target="exact",
            met=not problems,
        )
    )
    return rows


def run_here() -> list[dict]:
    """The whole benchmark in this process (Django set up on DATABASE_URL)."""
    database_url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ["PFDO_TODAY"] = TODAY  # the world and the checks on the served clock
    world, bench_enrolment = _setup_world()
    left = _reset(world, bench_enrolment)
    if left:
        print(f"ended {left} contracts and applications left by an interrupted run")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print("\nthe rush over HTTP")
    race = _race(world, bench_enrolment, database_url)
    print("\nceilings: the same locks, check and insert")
    ceilings = _ceilings(database_url)
    return _rows(race, ceilings)


def measure(database_url: str | None = None) -> list[dict]:
    """The table's rows, from a run of this script in a process of its own (Django is set up
    once per process, on one database); its printout goes to this process's output."""
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url or os.environ.get(
        "PFDO_BENCH_RUSH_DATABASE_URL", DEFAULT_URL
    )
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    try:
        subprocess.run(  # noqa: S603 - this script, by the running interpreter
            [sys.executable, str(Path(__file__).resolve()), "--json", path],
            cwd=ROOT,
            env=env,
            check=True,
        )
        return json.loads(Path(path).read_text())
    finally:
        os.unlink(path)


def print_table(rows: list[dict]) -> None:
    keys = ["part", "measure", "figure", "ceiling", "ratio", "target", "met"]
    cells = [
        [
            ("" if r[k] is None else ("yes" if r[k] is True else "NO" if r[k] is False else r[k]))
            for k in keys
        ]
        for r in rows
    ]
    widths = [max(len(k), *(len(str(c[i])) for c in cells)) for i, k in enumerate(keys)]
    print("\n" + "  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True)))
    for c in cells:
        print("  ".join(str(v).ljust(w) for v, w in zip(c, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write the table's rows to this file as JSON")
    args = parser.parse_args()
    rows = run_here()
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False))


if __name__ == "__main__":
    main()
