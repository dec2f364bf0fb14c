"""The tasks of background jobs: run one job; find and re-run lost ones (celery beat)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection

from pfdo.jobs import services

GAVE_UP = (
    "База данных не отвечала при нескольких попытках подряд. Сделанное сохранено; "
    "запустите задание снова."
)


@shared_task(bind=True, max_retries=5, name=services.RUN_TASK)
def run_job(self, job_id: int) -> None:
    """Run the job; after a dropped database connection try again (backing off in a worker,
    at once in this process when there is no broker), then give up with a clear message."""
    tried = 0
    while True:
        try:
            services.run(job_id)
            return
        except (OperationalError, InterfaceError) as exc:
            # The next attempt opens a new connection (inside a test's transaction the
            # connection is the test's and stays).
            if not connection.in_atomic_block:
                connection.close()
            retries = self.request.retries + tried
            if retries >= self.max_retries:
                services.give_up(job_id, GAVE_UP)
                return
            if self.request.is_eager:
                tried += 1
                continue
            raise self.retry(exc=exc, countdown=min(60, 2**retries)) from exc


@shared_task(name="pfdo.jobs.sweep")
def sweep() -> int:
    """Every minute (celery beat): jobs waiting or running without a sign of life go to a
    worker again."""
    return services.sweep()
