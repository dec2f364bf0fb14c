"""`run_enrolment_deadlines`: the deadline job from the command line, as cron runs it."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from pfdo.catalog.models import Group
from pfdo.common import clock
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.ledger.selectors import verify_ledger

TODAY = dt.date(2026, 11, 28)
# Four days on: past the three-day terms to decide and to accept (financing period defaults).
LATER = "2026-12-02T12:00"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


def run(*args) -> str:
    out = StringIO()
    call_command("run_enrolment_deadlines", *args, stdout=out)
    return out.getvalue().strip()


def test_deadlines_expire_complete_and_give_the_place_to_the_first_in_line(
    vorkuta, operator, period
):
    # A full group: one application the provider never decides, two waiting in line.
    full = ready_group(vorkuta, capacity=1, weekday=1)
    undecided, first, second = (family(vorkuta, operator) for _ in range(3))
    stale = services.apply(actor=undecided.parent, certificate=undecided.certificate, group=full)
    with clock.frozen(clock.now() + dt.timedelta(minutes=5)):
        in_line = services.apply(actor=first.parent, certificate=first.certificate, group=full)
    with clock.frozen(clock.now() + dt.timedelta(minutes=10)):
        behind = services.apply(actor=second.parent, certificate=second.certificate, group=full)
    assert [a.status for a in (stale, in_line, behind)] == ["new", "waitlisted", "waitlisted"]

    # An offer the parent never accepts.
    other = ready_group(vorkuta, weekday=3)
    idle = family(vorkuta, operator)
    application = services.apply(actor=idle.parent, certificate=idle.certificate, group=other)
    offer = services.confirm(actor=staff_of(other.module.program.provider), application=application)

    # A contract whose group ends on 30 November.
    short = ready_group(vorkuta, weekday=5, ends_on=dt.date(2026, 11, 30))
    pupil = family(vorkuta, operator)
    application = services.apply(actor=pupil.parent, certificate=pupil.certificate, group=short)
    contract = services.confirm(
        actor=staff_of(short.module.program.provider), application=application
    )
    services.accept(actor=pupil.parent, contract=contract)

    # Nothing is due yet.
    assert run() == (
        "Истекло заявок: 0, предложений: 0, завершено договоров: 0, "
        "расторгнуто по исключению поставщиков: 0."
    )

    assert run("--now", LATER) == (
        "Истекло заявок: 1, предложений: 1, завершено договоров: 1, "
        "расторгнуто по исключению поставщиков: 0."
    )
    stale.refresh_from_db()
    assert stale.status == Application.Status.EXPIRED
    assert "не принял решение" in stale.reason
    # The place went to the first in line, as an offer with its own fresh term to accept.
    in_line.refresh_from_db()
    behind.refresh_from_db()
    assert in_line.status == Application.Status.OFFERED
    assert behind.status == Application.Status.WAITLISTED
    promoted = in_line.contract
    assert promoted.offer_expires_at > timezone.make_aware(dt.datetime.fromisoformat(LATER))
    assert Group.objects.get(pk=full.pk).seats_taken == 1
    offer.refresh_from_db()
    assert offer.status == Contract.Status.EXPIRED
    assert offer.application.status == Application.Status.EXPIRED
    assert Group.objects.get(pk=other.pk).seats_taken == 0
    contract.refresh_from_db()
    assert contract.status == Contract.Status.COMPLETED
    assert contract.application.status == Application.Status.COMPLETED
    assert Group.objects.get(pk=short.pk).seats_taken == 0
    assert verify_ledger() == []

    # A second run at the same moment finds nothing left to do.
    assert run("--now", LATER) == (
        "Истекло заявок: 0, предложений: 0, завершено договоров: 0, "
        "расторгнуто по исключению поставщиков: 0."
    )
    in_line.refresh_from_db()
    assert in_line.status == Application.Status.OFFERED


def test_a_moment_in_another_format_is_refused(db):
    with pytest.raises(CommandError, match="ГГГГ-ММ-ДДTЧЧ:ММ"):
        run("--now", "02.12.2026 12:00")
