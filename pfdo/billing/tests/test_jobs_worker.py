"""The month run as a job through a real Celery worker (local Redis, the test database), and
its faults: the worker's pool process killed, and its database connection terminated, in the
middle of the run. Afterwards every provider's document exists exactly once and whole, and
the ledger checks clean.

To catch the run in its middle, the test holds a row lock the run needs for the third of
four providers (that provider's October advance request, which its invoice withdraws): the
worker builds the first two invoices, commits them, then waits on the lock; the test then
kills or cuts it there.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import psycopg
import pytest
from django.db import connection
from django.db.models import Count

from pfdo.billing import services
from pfdo.billing.models import AdvanceRequest, Invoice, InvoiceLine
from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract
from pfdo.common import clock
from pfdo.common.tests import workers
from pfdo.jobs import services as jobs
from pfdo.jobs.models import Job
from pfdo.ledger.selectors import verify_ledger

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

OCT = dt.date(2026, 10, 1)
ADVANCE_DAY = dt.date(2026, 10, 20)
INVOICE_DAY = dt.date(2026, 11, 2)
PROVIDERS = 4


@pytest.fixture
def worker(tmp_path):
    """A worker whose clock is the invoice day, as this process's (frozen) one."""
    broker = workers.redis_url()
    workers.flush(broker)
    mail = tmp_path / "mail"
    mail.mkdir()
    worker = workers.Worker(
        broker, tmp_path / "worker.log", mail, extra_env={"PFDO_TODAY": INVOICE_DAY.isoformat()}
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        workers.flush(broker)


@pytest.fixture
def world(vorkuta, operator, make_user):
    approved_period(vorkuta)
    providers = []
    for weekday in range(1, PROVIDERS + 1):
        group = ready_group(vorkuta, weekday=weekday)
        signed_contract(vorkuta, operator, group)
        providers.append(group.module.program.provider)
    providers.sort(key=lambda p: p.pk)  # the run's order
    with clock.frozen(ADVANCE_DAY):
        held = services.build_advance(actor=None, provider=providers[2], month=OCT)
    return {"payer": make_user("payer", municipality=vorkuta), "held": held, "vorkuta": vorkuta}


def _start(world, worker) -> Job:
    with clock.frozen(INVOICE_DAY), worker.enqueueing():
        return services.start_month_run(
            actor=world["payer"], municipality=world["vorkuta"], month=OCT
        )


def _job(pk: int) -> Job:
    return Job.objects.get(pk=pk)


@contextlib.contextmanager
def _row_locked(table: str, pk: int):
    """Hold `SELECT … FOR UPDATE` on one row from a connection of our own."""
    with psycopg.connect(workers.database_url(), autocommit=False) as other:
        other.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [pk])  # noqa: S608 - table is a model's
        try:
            yield other
        finally:
            other.rollback()


def _waiting_backend(worker) -> int:
    """The pid of the worker's database connection once it waits on a lock."""
    found: list[int] = []

    def waiting() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            found[:] = [row[0] for row in cursor.fetchall()]
        return bool(found)

    worker.wait_until(waiting, timeout=60, what="the run to wait on the held row")
    return found[0]


def _backend_gone(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 0


def _assert_built_once_and_whole() -> None:
    invoices = list(Invoice.objects.filter(month=OCT))
    assert len(invoices) == PROVIDERS
    assert not (
        Invoice.objects.values("provider", "month", "kind").annotate(n=Count("pk")).filter(n__gt=1)
    )
    for invoice in invoices:  # no document half-built: its lines are all there
        assert invoice.contracts_count == 1
        assert InvoiceLine.objects.filter(invoice=invoice).count() == invoice.contracts_count
    assert AdvanceRequest.objects.get().status == "withdrawn"
    assert verify_ledger() == []


def test_a_month_run_over_the_broker_builds_every_document_once(world, worker):
    job = _start(world, worker)
    worker.wait_until(lambda: _job(job.pk).status == "done", timeout=60, what="the run")
    done = _job(job.pk)
    assert done.result["data"]["invoices_built"] == PROVIDERS
    assert (done.progress_done, done.progress_total, done.attempts) == (PROVIDERS, PROVIDERS, 1)
    _assert_built_once_and_whole()
    again = _start(world, worker)
    assert again.pk != job.pk
    worker.wait_until(lambda: _job(again.pk).status == "done", timeout=60, what="the repeat")
    assert _job(again.pk).result["data"]["already_there"] == PROVIDERS
    _assert_built_once_and_whole()
    assert "pfdo.jobs.run_job" in worker.output()


def test_the_worker_killed_in_the_middle_of_a_month_run(world, worker):
    with _row_locked("billing_advancerequest", world["held"].pk):
        job = _start(world, worker)
        orphan = _waiting_backend(worker)
        assert Invoice.objects.count() == 2  # the first two providers' invoices, committed
        assert _job(job.pk).status == "running"
        assert worker.kill_children(), "no pool process to kill"
    # Our lock released, the killed process's connection finds its client gone and ends,
    # rolling the third provider's invoice back and freeing the job's advisory lock.
    worker.wait_until(lambda: _backend_gone(orphan), what="the dead worker's connection to end")
    # The broker hands the task back (acks late, rejected on the lost worker); the sweep
    # hands over a job whose task was not: either way it runs once more and only once.
    with worker.enqueueing():
        jobs.sweep(now=_job(job.pk).heartbeat_at + jobs.LOST_AFTER * 2)
    worker.wait_until(lambda: _job(job.pk).status == "done", timeout=90, what="the run again")
    done = _job(job.pk)
    assert done.attempts >= 2
    assert done.result["data"]["invoices_built"] == 2  # the rest; the first two were there
    assert done.result["data"]["already_there"] == 2
    _assert_built_once_and_whole()


def test_the_database_connection_cut_in_the_middle_of_a_month_run(world, worker):
    with _row_locked("billing_advancerequest", world["held"].pk) as other:
        job = _start(world, worker)
        backend = _waiting_backend(worker)
        assert Invoice.objects.count() == 2
        other.execute("SELECT pg_terminate_backend(%s)", [backend])
    # The task meets the dropped connection, reconnects and runs the job again.
    worker.wait_until(lambda: _job(job.pk).status == "done", timeout=90, what="the retry")
    done = _job(job.pk)
    assert done.attempts == 2 and done.error == ""
    data = done.result["data"]
    assert (data["invoices_built"], data["already_there"], data["refused"]) == (2, 2, [])
    _assert_built_once_and_whole()
    assert "to be retried" in worker.output()
