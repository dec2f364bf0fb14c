"""Jobs run by a real Celery worker on the local Redis, against the test database."""

from __future__ import annotations

import pytest

from pfdo.common.tests.workers import celery_worker  # noqa: F401 - the fixture
from pfdo.jobs import services
from pfdo.jobs.models import Job

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _status(pk: int) -> str:
    return Job.objects.get(pk=pk).status


def test_a_worker_runs_a_job_enqueued_on_commit_and_the_sweep_finds_a_lost_one(celery_worker):  # noqa: F811
    # A kind this worker knows no handler for ends as failed, with the reason: the whole way
    # through the broker, the worker process and the database, nothing of it faked.
    with celery_worker.enqueueing():
        job = Job.objects.create(kind="tests.no_such_kind", key="a")
        services.enqueue(job.pk)
    celery_worker.wait_until(lambda: _status(job.pk) == "failed", what="the job to end")
    job.refresh_from_db()
    assert job.error == "Неизвестный вид задания: tests.no_such_kind."
    assert job.attempts == 1
    assert "pfdo.jobs.run_job" in celery_worker.output()
