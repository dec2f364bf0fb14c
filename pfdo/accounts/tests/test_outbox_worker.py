"""Letters delivered by a real Celery worker (local Redis, the test database, file mail), and
a worker killed while it sends: the letter is not lost, and not sent twice when the sweep and
the redelivered task race for it."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection

from pfdo.accounts import services
from pfdo.accounts.models import Notification
from pfdo.accounts.tests.mailbackends import letters
from pfdo.common import clock
from pfdo.common.tests.workers import celery_worker, running_worker  # noqa: F401 - the fixture

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _state(pk: int) -> str:
    return Notification.objects.get(pk=pk).email_state


def test_a_notification_committed_here_is_delivered_by_the_worker(celery_worker, make_user):  # noqa: F811
    user = make_user(email="worker@example.org")
    with celery_worker.enqueueing():
        note = services.notify(user=user, subject="outbox by worker", body="Hello")
    # Committed (no atomic block around it: the enqueue ran on commit) and handed over.
    celery_worker.wait_until(lambda: _state(note.pk) == "sent", what="the letter to be sent")
    assert letters(celery_worker.mail_dir, "outbox by worker") == 1
    assert mail.outbox == []  # not sent by this process
    assert "pfdo.accounts.deliver" in celery_worker.output()


@pytest.fixture
def slow_worker(tmp_path):
    """A worker whose mail takes 3 s per letter, so it can be killed while sending."""
    slow = {
        "EMAIL_BACKEND": "pfdo.accounts.tests.mailbackends.SlowFileBackend",
        "PFDO_TEST_MAIL_DELAY": "3",
    }
    with running_worker(tmp_path, slow) as worker:
        yield worker


def test_a_worker_killed_while_sending_loses_nothing_and_sends_once(slow_worker, make_user):
    user = make_user(email="killed@example.org")
    with slow_worker.enqueueing():
        note = services.notify(user=user, subject="outbox killed", body="Hello")
    sending = lambda: list(slow_worker.mail_dir.glob("sending-*"))  # noqa: E731
    slow_worker.wait_until(sending, what="the worker to start sending")
    # Killed mid-send: its transaction dies with its connection, the row stays pending.
    assert slow_worker.kill_children()
    # The broker gives the task back (acks late, reject on worker lost) while the sweep, a
    # minute on, runs here again and again: both go for the same letter.
    swept = []
    stop = threading.Event()

    def sweep():
        later = clock.now() + dt.timedelta(minutes=2)
        try:
            while not stop.is_set():
                swept.append(services.sweep_outbox(later).sent)
        finally:
            connection.close()

    thread = threading.Thread(target=sweep)
    with slow_worker.enqueueing():
        thread.start()
        try:
            slow_worker.wait_until(lambda: _state(note.pk) == "sent", what="the letter", timeout=60)
        finally:
            stop.set()
            thread.join(timeout=30)
    # The redelivered task ends too: it sent the letter, or found it sent (or being sent).
    slow_worker.wait_until(
        lambda: "succeeded" in slow_worker.output().split("WorkerLostError")[-1],
        what="the redelivered task to end",
        timeout=30,
    )
    by_worker = letters(slow_worker.mail_dir, "outbox killed")
    by_sweep = len([m for m in mail.outbox if m.subject == "outbox killed"])
    assert by_worker + by_sweep == 1, (by_worker, by_sweep, slow_worker.output()[-3000:])
    note.refresh_from_db()
    assert note.email_state == "sent" and note.email_attempts == 1
