"""Starting, running and finishing background jobs.

`start` writes the row and enqueues its task once the caller's transaction commits; `run` is
what the task does. On PostgreSQL a running job holds a session advisory lock on its id, so
one job never runs twice at once, while a worker that dies (its connection closes) frees it
at once for the sweep to hand the job to another worker.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Iterator

from django.db import IntegrityError, connection, transaction

from pfdo.common import clock
from pfdo.common.errors import DomainError
from pfdo.jobs import registry
from pfdo.jobs.models import Job

log = logging.getLogger(__name__)

RUN_TASK = "pfdo.jobs.run_job"
# The advisory lock's first key: this application's jobs (the second is the job's id).
_LOCK_CLASS = 15_001
# A waiting job not picked up, or a running one without a sign of life, for this long is
# handed to a worker again by the sweep.
LOST_AFTER = dt.timedelta(minutes=2)
# Progress is written at most this often (and always at the end).
_PROGRESS_EVERY = 0.5

FAILED_UNEXPECTEDLY = (
    "Задание остановлено из-за внутренней ошибки. Сделанное сохранено; запустите его снова "
    "или сообщите администратору."
)


def start(*, kind: str, actor, municipality=None, params: dict | None = None, key: str = "") -> Job:
    """The job of `kind` and `key`: a new one enqueued after the commit, or the one already
    waiting or running (a second click, a retried request), never two."""
    if registry.get(kind) is None:
        raise ValueError(f"no handler registered for job kind {kind!r}")
    existing = Job.objects.active().filter(kind=kind, key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind,
                key=key,
                params=params or {},
                municipality=municipality,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError:  # started by someone else between the look-up and the insert
        return Job.objects.active().get(kind=kind, key=key)
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def enqueue(job_id: int) -> None:
    """Hand the job to a worker (in this process without a broker). A broker that does not
    answer leaves the job waiting: the sweep hands it over once the broker is back."""
    from celery import current_app

    # By name: the task module is an entry point above the services (tasks.py).
    run_job = current_app.tasks[RUN_TASK]
    try:
        run_job.apply_async(args=[job_id])
    except DomainError:
        raise
    except Exception:
        if run_job.app.conf.task_always_eager:
            raise
        log.warning("job %s: the broker did not take it; the sweep will retry", job_id)


@contextlib.contextmanager
def _exclusive(job_id: int) -> Iterator[bool]:
    """True while this connection alone runs the job (PostgreSQL); always True elsewhere."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_CLASS, job_id])
        got = cursor.fetchone()[0]
    try:
        yield got
    finally:
        if got and connection.is_usable():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_CLASS, job_id])


class Progress:
    """`progress(done, total)` for a handler: written to the row now and then, and at the end
    (each write its own statement, so the job's page sees it while the job runs)."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < _PROGRESS_EVERY and done < total:
            return
        self._last = now
        done, total = max(0, int(done)), max(0, int(total))
        Job.objects.filter(pk=self.job.pk).update(
            progress_done=min(done, total) if total else 0,
            progress_total=total,
            heartbeat_at=clock.now(),
        )
        self.job.progress_done, self.job.progress_total = min(done, total), total


def run(job_id: int) -> Job | None:
    """Run the job once: claim it, call its handler, record how it ended.

    Returns None when it is not for this call: unknown, finished already, or running in
    another worker. A database error the handler meets (a dropped connection) propagates,
    with the job left waiting, for the task to retry; any other error ends it as failed.
    """
    with _exclusive(job_id) as mine:
        if not mine:
            return None
        with transaction.atomic():
            job = Job.objects.select_for_update().filter(pk=job_id).first()
            if job is None or not job.is_active:
                return None
            now = clock.now()
            job.status = Job.Status.RUNNING
            job.attempts += 1
            job.started_at = job.started_at or now
            job.heartbeat_at = now
            job.error = ""
            job.save(update_fields=["status", "attempts", "started_at", "heartbeat_at", "error"])
        handler = registry.get(job.kind)
        if handler is None:
            return _finish(job, Job.Status.FAILED, error=f"Неизвестный вид задания: {job.kind}.")
        try:
            result = handler.run(job, Progress(job))
        except DomainError as exc:
            return _finish(job, Job.Status.FAILED, error=exc.message)
        except _retryable() as exc:
            log.warning("job %s (%s): %s; to be retried", job.pk, job.kind, exc)
            raise
        except Exception:
            log.exception("job %s (%s) failed", job.pk, job.kind)
            return _finish(job, Job.Status.FAILED, error=FAILED_UNEXPECTEDLY)
        return _finish(job, Job.Status.DONE, result=result or {})


def _retryable() -> tuple[type[BaseException], ...]:
    from django.db import InterfaceError, OperationalError

    return (OperationalError, InterfaceError)


def _finish(job: Job, status: str, *, result: dict | None = None, error: str = "") -> Job:
    now = clock.now()
    job.status = status
    job.result = result or {}
    job.error = error
    job.finished_at = now
    job.heartbeat_at = now
    if status == Job.Status.DONE and job.progress_total:
        job.progress_done = job.progress_total
    job.save(
        update_fields=[
            "status",
            "result",
            "error",
            "finished_at",
            "heartbeat_at",
            "progress_done",
        ]
    )
    return job


def remember(job: Job, **values) -> None:
    """Merge `values` into the job's params, in the caller's transaction: a handler records a
    step done in the same commit as the step, so its next run (after a crash) skips it."""
    job.params = {**job.params, **values}
    Job.objects.filter(pk=job.pk).update(params=job.params)


def give_up(job_id: int, message: str) -> None:
    """After the task's last retry: the job ends as failed with `message`."""
    job = Job.objects.filter(pk=job_id).first()
    if job is not None and job.is_active:
        _finish(job, Job.Status.FAILED, error=message)


def lost(now: dt.datetime | None = None) -> list[int]:
    """Ids of jobs a worker should have but does not: waiting, or running with no sign of
    life, for longer than LOST_AFTER (a task lost with its broker or its worker)."""
    since = (now or clock.now()) - LOST_AFTER
    waiting = Job.objects.filter(status=Job.Status.QUEUED, created_at__lt=since).filter(
        heartbeat_at__isnull=True
    )
    stale = Job.objects.active().filter(heartbeat_at__lt=since)
    return sorted(
        set(waiting.values_list("pk", flat=True)) | set(stale.values_list("pk", flat=True))
    )


def sweep(now: dt.datetime | None = None) -> int:
    """Hand every lost job to a worker again; `run` skips one that is in fact running."""
    ids = lost(now)
    for job_id in ids:
        enqueue(job_id)
    return len(ids)
