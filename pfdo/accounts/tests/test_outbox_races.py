"""Two deliveries of the same letters at the same moment (a redelivered task, the sweep) send
each letter once: real threads, each with its own PostgreSQL connection."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from pfdo.accounts import services
from pfdo.accounts.models import Notification
from pfdo.common import clock
from pfdo.common.tests.races import errors_of, run_at_once

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_deliveries_and_sweeps_at_once_send_each_letter_once(make_user, settings):
    settings.EMAIL_BACKEND = "pfdo.accounts.tests.mailbackends.SlowLocmemBackend"
    users = [make_user() for _ in range(5)]
    with clock.frozen(clock.now() - dt.timedelta(minutes=5)):
        # Written and committed (each notify's task ran at once: no broker in the tests)...
        notes = [services.notify(user=u, subject=f"Письмо {n}") for n, u in enumerate(users)]
    # ...and made pending again, as if their tasks were lost and redelivered at once.
    mail.outbox.clear()
    Notification.objects.update(
        email_state=Notification.EmailState.PENDING,
        email_attempts=0,
        email_sent_at=None,
        email_due_at=clock.now() - dt.timedelta(minutes=5),
    )
    ids = [n.pk for n in notes]
    outcomes = run_at_once(
        [lambda: services.deliver(ids).sent for _ in range(3)]
        + [lambda: services.sweep_outbox().sent for _ in range(3)]
    )
    assert errors_of(outcomes) == []
    assert sum(outcomes) == 5
    assert sorted(m.subject for m in mail.outbox) == sorted(f"Письмо {n}" for n in range(5))
    assert set(Notification.objects.values_list("email_state", "email_attempts")) == {("sent", 1)}
