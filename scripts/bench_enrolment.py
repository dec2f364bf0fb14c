"""Benchmark of enrolment under concurrency: many parents applying at the same moment.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pfdo_bench_enrol .venv/bin/python scripts/bench_enrolment.py

Creates the database if it is missing, migrates it, and builds a small world once: the Komi
Republic, Vorkuta's approved 2026/27 period (funded), one provider with one programme, one
group of 10 places and 20 more groups of 10, and 200 families with financing certificates
(the bulk writer of pfdo.demo.certificates, then one child of each of 200 families). A re-run
finds the world and measures at once.

Each scenario runs 200 clients — threads, each with its own database connection — through
a pool of 40 threads (PostgreSQL allows 100 connections by default); the first 40 start
together at a barrier and each next one starts the moment a thread is free. Each client
calls `enrolment.services.apply` once; its latency is that call (the connection is opened
before, and not counted), waiting for locks and for the interpreter included: the threads
share one Python process, as requests share a worker process, so the figures are those of
one worker; more worker processes add CPU until the group's row lock is what limits.
Scenario 0: 20 parents one after another, the cost of one call without competition.
Scenario 1: all 200 apply to the one group of 10 places. Scenario 2: the 200 spread over the
20 groups. Afterwards every application is withdrawn
through the services, so the next run starts from free groups again.

The clock is frozen at 28 November 2026, 10:00 (inside the period), so the figures do not
depend on the day the benchmark runs.

Refuses databases whose name does not contain "bench": it writes thousands of rows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import benchdb  # scripts/benchdb.py: this folder is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

CLIENTS = 200
WORKERS = 40
CAPACITY = 10
SPREAD_GROUPS = 20
# Enough generated children for 200 families with a live financing certificate.
GENERATED_CHILDREN = 600
PROVIDER_INN_SERIAL = 990_001  # a number no demo provider uses
BENCH_PROGRAM = "Бенчмарк записи: робототехника"


def _setup() -> None:
    benchdb.setup("bench_enrolment", "pfdo_bench_enrol")


# ---------------------------------------------------------------------------------- world


@dataclass
class Client:
    parent: object  # User
    certificate: object  # Certificate


@dataclass
class World:
    one: object  # Group of 10 places
    spread: list  # 20 Groups of 10 places
    clients: list[Client]


def _world() -> World:
    from django.core.management import call_command
    from django.db import transaction

    from pfdo.demo import certificates as certificates_demo
    from pfdo.demo import financing as financing_demo
    from pfdo.demo.territory import seed_komi

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    _, vorkuta = seed_komi()
    period = financing_demo.seed_period(municipality=vorkuta)
    certificates_demo.fund_period(period)
    made = certificates_demo.seed_generated(
        municipality=vorkuta, period=period, operator=None, children=GENERATED_CHILDREN
    )
    with transaction.atomic():
        one, spread = _groups(vorkuta, period)
    clients = _clients(vorkuta)
    took = time.perf_counter() - started
    print(
        f"world: {'built' if made else 'found'} in {took:.1f} s — {len(clients)} families with "
        f"financing certificates, 1 + {len(spread)} groups of {CAPACITY} places"
    )
    if len(clients) < CLIENTS:
        sys.exit(f"bench_enrolment: only {len(clients)} families fit, {CLIENTS} needed")
    return World(one=one, spread=spread, clients=clients[:CLIENTS])


def _groups(municipality, period):
    """The bench provider, programme and groups (found on a re-run)."""
    from pfdo.catalog.models import Group, Module, Program, ScheduleEntry
    from pfdo.common import clock
    from pfdo.common.choices import Direction, LegalForm
    from pfdo.demo.identifiers import inn10, ogrn13
    from pfdo.providers.models import Provider

    program = Program.objects.filter(name=BENCH_PROGRAM, municipality=municipality).first()
    if program is None:
        address = "169900, Республика Коми, г. Воркута, ул. Ленина, д. 50"
        provider = Provider.objects.create(
            municipality=municipality,
            full_name="Муниципальное учреждение дополнительного образования «Бенчмарк»",
            short_name="МУДО «Бенчмарк»",
            legal_form=LegalForm.MUNICIPAL,
            inn=inn10(PROVIDER_INN_SERIAL),
            ogrn=ogrn13(PROVIDER_INN_SERIAL),
            licence_number="Л035-01999999",
            legal_address=address,
            actual_address=address,
            phone="+7 82151 00000",
            email="bench@bench.pfdo.example",
            status=Provider.Status.ACTIVE,
            included_at=clock.now(),
        )
        program = Program.objects.create(
            provider=provider,
            municipality=municipality,
            name=BENCH_PROGRAM,
            direction=Direction.TECHNICAL,
            age_from_months=5 * 12,
            age_to_months=18 * 12,
            description="Программа для измерения записи под нагрузкой.",
            address=address,
            certification_status=Program.Certification.CERTIFIED,
            is_published=True,
            enrolment_open=True,
            published_at=clock.now(),
        )
        module = Module.objects.create(
            program=program,
            name="Основной модуль",
            duration_months=9,
            hours=72,
            min_children=5,
            max_children=CAPACITY,
            price_kopecks=1_800_000,
            normative_cost_kopecks=2_000_000,
            normative_period=period,
        )
        for number in range(1 + SPREAD_GROUPS):
            group = Group.objects.create(
                module=module,
                name=f"Бенчмарк {number:02d}",
                address=address,
                room=str(number),
                starts_on=period.starts_on,
                ends_on=dt.date(period.starts_on.year + 1, 5, 31),
                capacity=CAPACITY,
            )
            # The one group on Mondays, the others on Wednesdays: a child in both never
            # clashes (each child applies to one of the twenty).
            ScheduleEntry.objects.create(
                group=group,
                weekday=1 if number == 0 else 3,
                starts_at=dt.time(16, 0),
                ends_at=dt.time(17, 30),
            )
    groups = list(Group.objects.filter(module__program=program).order_by("name"))
    return groups[0], groups[1:]


def _clients(municipality) -> list[Client]:
    """One child with a live financing certificate from each generated family."""
    from pfdo.accounts.models import User
    from pfdo.certificates.models import Certificate, Guardianship
    from pfdo.demo.certificates import generated_prefix

    certificates = {
        c.child_id: c
        for c in Certificate.objects.filter(
            municipality=municipality,
            type=Certificate.Type.FINANCING,
            status=Certificate.Status.ACTIVE,
            child__guardianships__user__username__startswith=generated_prefix(municipality),
        ).select_related("child", "municipality")
    }
    parents = {}
    for child_id, user_id in (
        Guardianship.objects.filter(child_id__in=list(certificates))
        .order_by("user_id", "child_id")
        .values_list("child_id", "user_id")
    ):
        parents.setdefault(user_id, child_id)
    users = User.objects.in_bulk(list(parents))
    return [Client(parent=users[u], certificate=certificates[c]) for u, c in parents.items()]


# ------------------------------------------------------------------------------- the race


@dataclass
class Outcome:
    status: str  # the application's status, or the refusal's code, or the error's class
    seconds: float


def _race(calls, workers: int) -> tuple[list[Outcome], float]:
    """Run every call on its own connection through a pool; the first wave starts together."""
    from django.db import connection, connections

    workers = min(workers, len(calls))
    barrier = threading.Barrier(workers + 1)

    def client(index: int) -> Outcome:
        try:
            connection.ensure_connection()
            if index < workers:
                barrier.wait(timeout=60)
            started = time.perf_counter()
            try:
                application = calls[index]()
                status = application.status
            except Exception as exc:
                status = getattr(exc, "code", type(exc).__name__)
            return Outcome(status, time.perf_counter() - started)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(client, i) for i in range(len(calls))]
        barrier.wait(timeout=60)
        started = time.perf_counter()
        outcomes = [f.result() for f in futures]
        wall = time.perf_counter() - started
    return outcomes, wall


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _scenario(title: str, world: World, groups: list, workers: int) -> None:
    from pfdo.catalog.models import Group
    from pfdo.enrolment import services
    from pfdo.enrolment.models import Application
    from pfdo.ledger.selectors import verify_ledger

    clients = world.clients
    pairs = [(c, groups[i % len(groups)]) for i, c in enumerate(clients)]
    calls = [
        lambda c=c, g=g: services.apply(actor=c.parent, certificate=c.certificate, group=g)
        for c, g in pairs
    ]
    outcomes, wall = _race(calls, workers)
    by_status = Counter(o.status for o in outcomes)
    placed = by_status.pop(Application.Status.NEW, 0)
    waitlisted = by_status.pop(Application.Status.WAITLISTED, 0)
    refused = sum(by_status.values())
    ms = [o.seconds * 1000 for o in outcomes]
    print(f"\n{title}")
    print(f"  clients: {len(clients)}, threads: {workers}, groups: {len(groups)}")
    print(f"  total wall time: {wall:.2f} s")
    print(f"  applications per second: {len(clients) / wall:.1f}")
    print(
        f"  got places: {placed}, waitlisted: {waitlisted}, refused: {refused}"
        + (f" ({dict(by_status)})" if by_status else "")
    )
    print(
        f"  apply latency: p50 {statistics.median(ms):.1f} ms, p95 {_percentile(ms, 0.95):.1f} ms,"
        f" max {max(ms):.1f} ms"
    )
    rows = Group.objects.filter(pk__in=[g.pk for g in groups])
    seats = sum(rows.values_list("seats_taken", flat=True))
    holding = Application.objects.filter(group__in=groups, status__in=Application.HOLDING)
    over = rows.filter(seats_taken__gt=CAPACITY).count()
    print(
        f"  check: seats taken {seats} = applications holding places {holding.count()}, "
        f"groups over capacity {over}, verify_ledger problems {len(verify_ledger())}"
    )


def _withdraw(groups: list) -> int:
    """Every live application in the bench groups withdrawn by its parent (waitlist first,
    so no freed place is offered to anyone)."""
    from pfdo.enrolment import services
    from pfdo.enrolment.models import Application

    done = 0
    for statuses in ([Application.Status.WAITLISTED], list(Application.HOLDING)):
        for application in Application.objects.filter(
            group__in=groups, status__in=statuses
        ).select_related("parent"):
            services.cancel(actor=application.parent, application=application)
            done += 1
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=WORKERS)
    args = parser.parse_args()
    _setup()
    from django.db import connection
    from django.utils import timezone

    from pfdo.common import clock

    with clock.frozen(timezone.make_aware(dt.datetime(2026, 11, 28, 10, 0))):
        world = _world()
        everything = [world.one, *world.spread]
        left = _withdraw(everything)
        if left:
            print(f"withdrew {left} applications left by an interrupted run")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        # The cost of one call without competition, for scale: 20 parents one after another.
        baseline = World(one=world.one, spread=world.spread, clients=world.clients[:20])
        _scenario(
            "0. 20 parents apply one after another (no concurrency)", baseline, world.spread, 1
        )
        _withdraw(everything)
        _scenario(
            f"1. {CLIENTS} parents apply at once to one group of {CAPACITY} places",
            world,
            [world.one],
            args.workers,
        )
        _scenario(
            f"2. {CLIENTS} parents apply at once, spread over {SPREAD_GROUPS} groups of "
            f"{CAPACITY} places",
            world,
            world.spread,
            args.workers,
        )
        started = time.perf_counter()
        done = _withdraw(everything)
        print(f"\ncleanup: {done} applications withdrawn in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
