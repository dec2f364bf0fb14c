"""Background jobs in this process (no broker: Celery runs the task eagerly after the commit):
one job per key, progress, how it ends, retries after a dropped connection, the sweep of
lost jobs, and who sees a job on its page and in the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import OperationalError
from django.test import Client

from pfdo.accounts.tests.factories import UserFactory
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.jobs import registry, services
from pfdo.jobs.models import Job

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

CALLS: list[int] = []
FAILS_LEFT = {"n": 0}


@registry.handler("tests.count", label="Тестовое задание")
def _count(job, progress):
    CALLS.append(job.pk)
    total = int(job.params.get("total", 3))
    for done in range(1, total + 1):
        progress(done, total)
    if job.params.get("refuse"):
        raise Conflict("Месяц уже закрыт.", code="closed")
    if job.params.get("crash"):
        raise RuntimeError("boom")
    if FAILS_LEFT["n"] > 0:
        FAILS_LEFT["n"] -= 1
        raise OperationalError("server closed the connection unexpectedly")
    return {"summary": f"Сделано {total}.", "lines": ["первая строка"]}


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    FAILS_LEFT["n"] = 0


def _start(user, django_capture_on_commit_callbacks, **params):
    with django_capture_on_commit_callbacks(execute=True):
        return services.start(kind="tests.count", actor=user, params=params, key=str(params))


def test_a_job_runs_after_the_commit_and_records_its_result(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.start(kind="tests.count", actor=user, params={"total": 4}, key="a")
    assert CALLS == []  # nothing runs before the commit
    assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert [job.pk] == CALLS
    assert job.status == Job.Status.DONE
    assert (job.progress_done, job.progress_total, job.percent) == (4, 4, 100)
    assert job.result == {"summary": "Сделано 4.", "lines": ["первая строка"]}
    assert job.attempts == 1 and job.finished_at is not None and job.created_by == user


def test_a_second_start_while_waiting_joins_the_same_job(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False):
        first = services.start(kind="tests.count", actor=user, key="same")
        second = services.start(kind="tests.count", actor=UserFactory(), key="same")
    assert first.pk == second.pk
    assert Job.objects.filter(key="same").count() == 1
    # Once finished, the same key may run again (next month's run is a new job).
    services.run(first.pk)
    third = _start(user, django_capture_on_commit_callbacks)
    assert third.pk != first.pk


def test_a_domain_refusal_ends_the_job_with_its_message(django_capture_on_commit_callbacks):
    job = _start(UserFactory(), django_capture_on_commit_callbacks, refuse=True)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "Месяц уже закрыт."
    assert job.result == {}


def test_an_unexpected_error_ends_the_job_without_details(django_capture_on_commit_callbacks):
    job = _start(UserFactory(), django_capture_on_commit_callbacks, crash=True)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == services.FAILED_UNEXPECTEDLY
    assert "boom" not in job.error


def test_a_dropped_connection_is_retried_until_it_succeeds(django_capture_on_commit_callbacks):
    FAILS_LEFT["n"] = 2
    job = _start(UserFactory(), django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.attempts == 3
    assert len(CALLS) == 3


def test_a_connection_that_never_comes_back_gives_up(django_capture_on_commit_callbacks):
    FAILS_LEFT["n"] = 100
    job = _start(UserFactory(), django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "База данных не отвечала" in job.error
    assert job.attempts == 6  # the first try and five retries


def test_a_finished_job_is_not_run_again():
    job = Job.objects.create(kind="tests.count", key="x", status=Job.Status.DONE)
    assert services.run(job.pk) is None
    assert CALLS == []


def test_the_sweep_hands_lost_jobs_to_a_worker_again(django_capture_on_commit_callbacks):
    now = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)
    old = now - dt.timedelta(minutes=5)
    waiting = Job.objects.create(kind="tests.count", key="w", created_at=old)
    stalled = Job.objects.create(
        kind="tests.count", key="s", status=Job.Status.RUNNING, created_at=old, heartbeat_at=old
    )
    fresh = Job.objects.create(kind="tests.count", key="f", created_at=now)
    done = Job.objects.create(kind="tests.count", key="d", status=Job.Status.DONE, created_at=old)
    assert services.lost(now) == sorted([waiting.pk, stalled.pk])
    with clock.frozen(now):
        assert services.sweep(now) == 2
    for job in (waiting, stalled):
        job.refresh_from_db()
        assert job.status == Job.Status.DONE
    fresh.refresh_from_db()
    done.refresh_from_db()
    assert fresh.status == Job.Status.QUEUED and sorted(CALLS) == sorted([waiting.pk, stalled.pk])


def test_an_unknown_kind_cannot_be_started():
    with pytest.raises(ValueError):
        services.start(kind="tests.nothing", actor=None)


def test_the_page_and_the_api_show_a_job_to_whoever_started_it(django_capture_on_commit_callbacks):
    owner, other = UserFactory(), UserFactory()
    job = _start(owner, django_capture_on_commit_callbacks, total=2)
    client = Client()
    client.force_login(owner)
    page = client.get(f"/cabinet/jobs/{job.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Тестовое задание" in text and "Сделано 2." in text and "первая строка" in text
    assert 'hx-trigger="every 1s"' not in text  # finished: no more polling
    api = client.get(f"/api/v1/jobs/{job.pk}/")
    assert api.status_code == 200
    body = api.json()
    assert body["status"] == "done" and body["progress"] == {"done": 2, "total": 2, "percent": 100}
    assert body["result"]["summary"] == "Сделано 2."
    stranger = Client()
    stranger.force_login(other)
    assert stranger.get(f"/cabinet/jobs/{job.pk}/").status_code == 404
    assert stranger.get(f"/api/v1/jobs/{job.pk}/").status_code == 404
    assert stranger.get("/api/v1/jobs/").json()["results"] == []
    assert Client().get(f"/api/v1/jobs/{job.pk}/").status_code == 401


def test_a_running_job_page_polls_and_shows_progress():
    owner = UserFactory()
    job = Job.objects.create(
        kind="tests.count",
        key="r",
        status=Job.Status.RUNNING,
        created_by=owner,
        progress_done=3,
        progress_total=12,
    )
    client = Client()
    client.force_login(owner)
    text = client.get(f"/cabinet/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in text
    assert "3 из 12 (25 %)" in text
    fragment = client.get(f"/cabinet/jobs/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith("<section") and "<h1>" not in fragment
