"""The month run at region scale next to one set-based SQL statement (issue 15).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pfdo_bench_billing .venv/bin/python scripts/bench_month.py

The world of scripts/bench_billing.py (about 150,000 certificate-paid contracts; seeded once,
a re-run reuses it). The month's main invoices left by an earlier run (drafts only) are
removed first, so every run measures a first month run: `manage.py bill_month --all` in its
own process, its wall time and peak resident memory.

The ceiling is one statement — CREATE TEMP TABLE … AS SELECT — computing the same invoice
lines from the same rows (the provider's open contract months of the month, the window the
contract was in force, the period's boundary-month rule) in the database alone. Both answers
are compared: number of lines, total billed kopecks, and line by line.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import benchdb
import benchtable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

PART = "month run"
TARGET_SECONDS = 30
TARGET_MB = 300

# The lines of the month: _open_months (billing.services._common), window_of
# (billing.selectors) and calculation.billed_amount for the contract-months basis, in SQL.
# The period is the provider's municipality's (not draft) covering the month's first day.
LINES_SQL = """
CREATE TEMP TABLE bench_month_lines AS
SELECT w.contract_month_id, w.contract_id, w.provider_id, w.planned_kopecks,
       w.basis, w.rule,
       CASE
         WHEN w.never_in_force OR w.active_from > w.active_to OR w.planned_kopecks <= 0 THEN 0
         WHEN w.basis <> 'contract_months' THEN NULL  -- attended hours: not in this world
         WHEN w.rule = 'full' OR (w.active_from = %(first)s AND w.active_to = %(last)s)
           THEN w.planned_kopecks
         WHEN w.rule = 'pro_rata_days'
           THEN w.planned_kopecks * (w.active_to - w.active_from + 1) / %(days)s
         ELSE NULL  -- pro rata by lessons: needs the schedule, not in this world
       END AS billed_kopecks
FROM (
  SELECT cm.id AS contract_month_id, cm.contract_id, c.provider_id,
         cm.certificate_kopecks AS planned_kopecks,
         p.billing_basis AS basis, p.boundary_month_rule AS rule,
         c.status IN ('offered', 'declined', 'expired') AS never_in_force,
         GREATEST(c.starts_on, %(first)s) AS active_from,
         LEAST(
           CASE WHEN c.status = 'terminated' AND c.ended_at IS NOT NULL
                THEN LEAST(c.ends_on, (c.ended_at AT TIME ZONE %(tz)s)::date)
                ELSE c.ends_on END,
           %(last)s) AS active_to
  FROM enrolment_contractmonth cm
  JOIN enrolment_contract c ON c.id = cm.contract_id
  JOIN providers_provider pr ON pr.id = c.provider_id
  JOIN financing_financingperiod p
    ON p.municipality_id = pr.municipality_id AND p.status <> 'draft'
   AND p.starts_on <= %(first)s AND p.ends_on >= %(first)s
  WHERE cm.month = %(first)s AND c.funding = 'certificate' AND cm.reservation_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM ledger_transfer t WHERE t.pending_id = cm.reservation_id)
) w
"""

SERVICE_LINES = """
SELECT l.contract_month_id, l.billed_kopecks FROM billing_invoiceline l
JOIN billing_invoice i ON i.id = l.invoice_id WHERE i.month = %(first)s AND i.kind = 'main'
"""


def _month(month: str):
    import calendar
    import datetime as dt

    first = dt.date.fromisoformat(month + "-01")
    days = calendar.monthrange(first.year, first.month)[1]
    return first, first.replace(day=days), days


def _clear_month(first) -> int:
    """Remove the month's main invoices an earlier run built (drafts only: nothing decided)."""
    from django.db import transaction

    from pfdo.billing.models import Invoice, InvoiceLine

    invoices = Invoice.objects.filter(month=first, kind=Invoice.Kind.MAIN)
    if invoices.exclude(status="draft").exists():
        sys.exit("bench_month: the month's invoices went further than drafts; drop the database")
    with transaction.atomic():
        InvoiceLine.objects.filter(invoice__in=invoices).delete()
        removed, _ = invoices.delete()
    return removed


def _sql_lines(database_url: str, params: dict) -> tuple[float, int, int, int]:
    """(seconds, lines, billed kopecks, lines that differ from the service's) of one run."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute(LINES_SQL, params)
        seconds = time.perf_counter() - started
        lines, billed, unknown = conn.execute(
            "SELECT count(*), coalesce(sum(billed_kopecks), 0), count(*) - count(billed_kopecks)"
            " FROM bench_month_lines"
        ).fetchone()
        if unknown:
            print(f"  SQL: {unknown} lines under a lesson-based rule it does not compute")
        differ = conn.execute(
            f"SELECT count(*) FROM bench_month_lines b FULL JOIN ({SERVICE_LINES}) s"  # noqa: S608 - fixed text
            " ON s.contract_month_id = b.contract_month_id"
            " WHERE s.billed_kopecks IS DISTINCT FROM b.billed_kopecks",
            params,
        ).fetchone()[0]
    return seconds, lines, int(billed), differ


def measure(database_url: str | None = None, month: str = "2026-10") -> list[dict]:
    import bench_billing

    database_url = database_url or os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = database_url
    os.environ["PFDO_TODAY"] = bench_billing.TODAY
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", bench_billing.BENCH_SECRET_KEY)
    benchdb.setup("bench_month", "pfdo_bench_billing")
    bench_billing._seed()
    bench_billing._data_figures(month)
    from django.conf import settings
    from django.db import connection

    first, last, days = _month(month)
    removed = _clear_month(first)
    if removed:
        print(f"  removed {removed} invoices of {month} an earlier run built")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE billing_invoice")
        cursor.execute("VACUUM ANALYZE billing_invoiceline")
    connection.close()
    run = bench_billing._manage("bill_month", "--all", "--month", month)
    if run.code != 0:
        print(f"  bill_month FAILED, exit code {run.code}\n{run.tail()}")
        return [benchtable.row(PART, "bill_month --all", f"failed ({run.code})", met=False)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(sum(billed_kopecks), 0) FROM ({SERVICE_LINES}) s",  # noqa: S608 - fixed text
            {"first": first},
        )
        service_lines, service_billed = cursor.fetchone()
    connection.close()
    params = {"first": first, "last": last, "days": days, "tz": settings.TIME_ZONE}
    runs = [_sql_lines(database_url, params) for _ in range(3)]
    sql_seconds = statistics.median(r[0] for r in runs)
    _, sql_lines, sql_billed, differ = runs[0]
    same = sql_lines == service_lines and sql_billed == service_billed and differ == 0
    print(f"  bill_month --all: {run.seconds:.1f} s ({run.cpu_seconds:.1f} s CPU of its own), peak {run.peak_mb:.0f} MB, {service_lines:,} lines, {service_billed:,} kopecks")  # fmt: skip
    print(f"  one SQL statement: {sql_seconds:.2f} s (median of 3), {sql_lines:,} lines, {sql_billed:,} kopecks; lines that differ: {differ}")  # fmt: skip
    lines_note = f"{service_lines:,} lines, {service_billed:,} kop."
    return [
        benchtable.row(
            PART,
            f"bill_month --all, 150k contracts: time ({lines_note})",
            f"{run.seconds:.1f} s ({run.cpu_seconds:.1f} s CPU in Python)",
            f"one SQL statement {sql_seconds:.2f} s ({sql_lines:,} lines, {sql_billed:,} kop.)",
            benchtable.times(run.seconds, sql_seconds),
            f"< {TARGET_SECONDS} s",
            run.seconds < TARGET_SECONDS,
        ),
        benchtable.row(
            PART,
            "bill_month --all: peak memory of the process",
            f"{run.peak_mb:.0f} MB",
            target=f"< {TARGET_MB} MB",
            met=run.peak_mb < TARGET_MB,
        ),
        benchtable.row(
            PART,
            "SQL lines = service lines (count, kopecks, line by line)",
            "same" if same else f"DIFFER: {differ} lines",
            target="same",
            met=same,
        ),
    ]


if __name__ == "__main__":
    print(benchtable.text(measure()))
