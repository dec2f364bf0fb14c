"""Benchmark of the monthly billing run at region scale (issue 6): wall time and peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pfdo_bench_billing .venv/bin/python scripts/bench_billing.py

Creates the database if it is missing, migrates it and seeds `seed_demo --scale region` once
(the region catalogue, and about 150,000 active certificate-paid contracts with their monthly
reservations; a re-run finds them and measures at once). Then runs the month run
(`manage.py bill_month --all --month 2026-10`) twice, each in its own process, and prints
for each its wall time, the peak resident memory of that process (its own rusage, read when
it exits) and the invoices and invoice lines it created; the second run must create none.
The target of issue 6: under 60 s and under 500 MB for 150,000 contracts on two cores.

The clock of every step is pinned at 28 November 2026 (`PFDO_TODAY`, see pfdo.common.clock),
so October 2026 is a whole past month and the figures do not depend on the day it runs; every
step runs with DEBUG off, as in production. A failing run is reported with its exit code and
the end of its error output, and verify_ledger checks the money at the end.

Refuses databases whose name does not contain "bench": it writes millions of rows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import benchdb  # scripts/benchdb.py: this folder is on sys.path when run as a script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

TODAY = "2026-11-28"
MONTH = "2026-10"
TARGET_SECONDS = 60
TARGET_MB = 500
# Only for the bench database: DEBUG off needs a key, and the personal-data hashes of the
# seeded children derive from it, so it stays the same from run to run.
BENCH_SECRET_KEY = "bench-billing-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105 - the throwaway bench key
REGION_PARENTS = "-region-"  # logins of the families pfdo.demo.enrolment_bulk writes
BILLING_TABLES = ("billing_invoice", "billing_invoiceline")


def _setup() -> None:
    benchdb.setup("bench_billing", "pfdo_bench_billing")


# ---------------------------------------------------------------------------- processes


@dataclass
class Run:
    code: int
    seconds: float
    peak_kib: int  # ru_maxrss of that process alone (KiB on Linux)
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0  # user + system time of that process (the database's is not in it)

    @property
    def peak_mb(self) -> float:
        return self.peak_kib / 1024

    def tail(self, lines: int = 15) -> str:
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return "\n".join("    " + line for line in text[-lines:])


def _manage(*args: str) -> Run:
    """`manage.py args` in a child process: its wall time and its own peak memory.

    os.wait4 reads the rusage of that one child; RUSAGE_CHILDREN would be the largest of all
    children so far (the seed's included).
    """
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err)  # noqa: S603 - this interpreter, fixed args
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped above
        out.seek(0)
        err.seek(0)
        return Run(
            code=process.returncode,
            seconds=seconds,
            peak_kib=usage.ru_maxrss,
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
            cpu_seconds=usage.ru_utime + usage.ru_stime,
        )


# -------------------------------------------------------------------------------- data


def _seeded() -> bool:
    from pfdo.accounts.models import User

    return User.objects.filter(username__contains=REGION_PARENTS).exists()


def _seed() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if _seeded():
        print("seed: the region is already seeded, nothing to do")
        return
    print("seed: seed_demo --scale region (a few minutes) …", flush=True)
    run = _manage("seed_demo", "--scale", "region")
    if run.code != 0:
        print(f"seed: FAILED, exit code {run.code}\n{run.tail(30)}")
        sys.exit(1)
    print(f"seed: done in {run.seconds:.1f} s, peak memory {run.peak_mb:.0f} MB")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _data_figures(month: str) -> None:
    from django.db.models import Count

    from pfdo.certificates.models import Certificate, Child
    from pfdo.enrolment.models import Contract, ContractMonth
    from pfdo.financing.models import FinancingPeriod
    from pfdo.ledger.models import Transfer

    active = Contract.objects.filter(status=Contract.Status.ACTIVE)
    by_funding = dict(
        active.order_by().values("funding").annotate(n=Count("pk")).values_list("funding", "n")
    )
    in_month = ContractMonth.objects.filter(
        month=f"{month}-01", contract__status=Contract.Status.ACTIVE, certificate_kopecks__gt=0
    )
    periods = FinancingPeriod.objects.filter(status=FinancingPeriod.Status.APPROVED).covering(
        _today()
    )
    print(
        f"data: {sum(by_funding.values()):,} active contracts "
        f"({by_funding.get('certificate', 0):,} paid by certificates, "
        f"{by_funding.get('budget', 0):,} in budget programmes) "
        f"over {active.values('municipality').distinct().count()} municipalities "
        f"with {periods.count()} running periods"
    )
    print(
        f"      {in_month.count():,} contract months of {month} to bill; "
        f"{Child.objects.count():,} children, "
        f"{Certificate.objects.filter(type='financing', status='active').count():,} active "
        f"financing certificates, {ContractMonth.objects.count():,} contract months, "
        f"{Transfer.objects.count():,} ledger transfers"
    )


def _today():
    from pfdo.common import clock

    return clock.today()


def _billing_counts() -> tuple[int, int] | None:
    """(invoices, invoice lines), or None while the billing tables do not exist."""
    from django.db import connection

    counts = []
    with connection.cursor() as cursor:
        for table in BILLING_TABLES:
            cursor.execute("SELECT to_regclass(%s)", [table])
            if cursor.fetchone()[0] is None:
                return None
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - a fixed name
            counts.append(cursor.fetchone()[0])
    return counts[0], counts[1]


def _bill(label: str, month: str, *, first: bool) -> Run:
    before = _billing_counts()
    run = _manage("bill_month", "--all", "--month", month)
    after = _billing_counts()
    verdict = "within" if run.seconds < TARGET_SECONDS and run.peak_mb < TARGET_MB else "OVER"
    print(f"\n{label}: bill_month --all --month {month}")
    if run.code != 0:
        print(f"  FAILED: exit code {run.code} after {run.seconds:.1f} s; the error output ends:")
        print(run.tail())
    print(f"  wall time: {run.seconds:.1f} s (target < {TARGET_SECONDS} s)")
    print(f"  peak memory of the process: {run.peak_mb:.0f} MB (target < {TARGET_MB} MB)")
    if after is None:
        print(f"  created: unknown — tables {', '.join(BILLING_TABLES)} do not exist yet")
    else:
        base = before or (0, 0)
        print(f"  created: {after[0] - base[0]:,} invoices, {after[1] - base[1]:,} invoice lines")
        print(f"  in the database: {after[0]:,} invoices, {after[1]:,} invoice lines")
        if first and base[0]:
            print("  (invoices were there before: an earlier bench billed; drop the database to")
            print("  measure a first run)")
    if run.code == 0:
        print(f"  targets: {verdict}")
    return run


def _verify() -> None:
    from pfdo.ledger.selectors import verify_ledger

    started = time.perf_counter()
    problems = verify_ledger()
    took = time.perf_counter() - started
    print(f"\nverify_ledger: {len(problems)} problems ({took:.1f} s)")
    for line in problems[:10]:
        print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--month", default=MONTH, help="the month to bill, YYYY-MM")
    parser.add_argument("--no-verify", action="store_true", help="skip verify_ledger at the end")
    parser.add_argument(
        "--seed-only", action="store_true", help="prepare the database, measure nothing"
    )
    args = parser.parse_args()
    # For this process and inherited by every child (seed, month runs): the pinned clock, and
    # DEBUG off as in production (with it on, Django keeps the text of recent queries, which
    # would count in the peak memory).
    os.environ["PFDO_TODAY"] = TODAY
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", BENCH_SECRET_KEY)
    _setup()
    from django.conf import settings

    print(f"clock: {TODAY} (PFDO_TODAY); DEBUG {'on' if settings.DEBUG else 'off'}")
    _seed()
    _data_figures(args.month)
    if args.seed_only:
        return
    first = _bill("1. the month run", args.month, first=True)
    second = _bill("2. the same month again (must create nothing)", args.month, first=False)
    if not args.no_verify:
        _verify()
    failed = [r for r in (first, second) if r.code != 0]
    if failed:
        print(f"\nbench_billing: {len(failed)} of 2 month runs failed (see above)")
        sys.exit(1)


if __name__ == "__main__":
    main()
