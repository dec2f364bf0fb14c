"""The schedule (celery beat): every entry names a registered task, and the enrolment tasks run
their services — twice in a row they do nothing twice."""

from __future__ import annotations

import datetime as dt

import pytest
from celery import current_app
from django.conf import settings
from django.core import mail

from pfdo.accounts.models import Notification
from pfdo.common import clock
from pfdo.enrolment import services, tasks
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of

TODAY = dt.date(2026, 11, 28)

pytestmark = pytest.mark.django_db


def test_every_entry_of_the_schedule_names_a_registered_task():
    current_app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert names >= {
        "pfdo.accounts.sweep_outbox",
        "pfdo.enrolment.run_deadlines",
        "pfdo.enrolment.send_reminders",
        "pfdo.certificates.expire_certificates",
        "pfdo.certificates.grant_period_nominals",
    }
    assert sorted(names - set(current_app.tasks)) == []


def test_reminders_then_deadlines_each_once_however_often_they_run(
    vorkuta, operator, django_capture_on_commit_callbacks
):
    with clock.frozen(TODAY):
        approved_period(vorkuta)
        group = ready_group(vorkuta)
        offered, waiting = (family(vorkuta, operator, email=f"f{n}@example.org") for n in (1, 2))
        first = services.apply(actor=offered.parent, certificate=offered.certificate, group=group)
        staff = staff_of(group.module.program.provider)
        contract = services.confirm(actor=staff, application=first)
        undecided = services.apply(
            actor=waiting.parent, certificate=waiting.certificate, group=group
        )
    # A day before the terms: nothing to remind of yet.
    with clock.frozen(contract.offer_expires_at - dt.timedelta(hours=40)):
        assert tasks.send_reminders.apply().get() == 0
    # Within 36 hours of the terms: the parent of the offer, the provider's staff of the
    # undecided application — once, however often the morning job runs.
    soon = contract.offer_expires_at - dt.timedelta(hours=20)
    with clock.frozen(soon), django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_reminders.apply().get() == 2
        assert tasks.send_reminders.apply().get() == 0
    reminders = Notification.objects.exclude(key="").order_by("key")
    assert [(r.user_id, r.key) for r in reminders] == [
        (staff.pk, f"remind:decide:{undecided.pk}"),
        (offered.parent.pk, f"remind:offer:{contract.pk}"),
    ]
    assert {r.email_state for r in reminders} == {"sent"}
    reminded = [m for m in mail.outbox if m.subject.startswith(("Примите", "Решите"))]
    assert sorted(m.to[0] for m in reminded) == sorted([offered.parent.email, staff.email])
    # Past the terms: the deadline task expires both, and a second run finds nothing.
    with clock.frozen(contract.offer_expires_at + dt.timedelta(minutes=10)):
        done = tasks.run_deadlines.apply().get()
        assert done["applications_expired"] == 1 and done["offers_expired"] == 1
        again = tasks.run_deadlines.apply().get()
        assert again == dict.fromkeys(done, 0)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.EXPIRED
    assert Application.objects.get(pk=undecided.pk).status == Application.Status.EXPIRED
