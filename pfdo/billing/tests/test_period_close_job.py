"""The period close as a background job: refused at once, one job per period, and exactly once
when a run dies half-way and the job runs it again."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from pfdo.billing import services
from pfdo.billing.models import PeriodClosing
from pfdo.billing.services import period_close
from pfdo.billing.tests.test_period_close import CLOSE_DAY, OLD_END, Setup
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.enrolment.models import ContinuationOffer, Contract
from pfdo.jobs.models import Job
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import verify_ledger

pytestmark = pytest.mark.django_db


def test_the_close_is_refused_at_once_and_a_second_start_joins(
    vorkuta, operator, make_user, django_capture_on_commit_callbacks
):
    s = Setup(vorkuta, operator)
    with clock.frozen(OLD_END), pytest.raises(Conflict) as refused:
        services.start_period_close(actor=operator, period=s.old)
    assert refused.value.code == "period_not_ended" and not Job.objects.exists()
    other = make_user("operator", municipality=vorkuta)
    with clock.frozen(CLOSE_DAY), django_capture_on_commit_callbacks(execute=True):
        first = services.start_period_close(actor=operator, period=s.old, back="/x/")
        second = services.start_period_close(actor=other, period=s.old)
    assert first.pk == second.pk and Job.objects.count() == 1
    job = Job.objects.get()
    assert (job.kind, job.key, job.status) == ("billing.period_close", f"period:{s.old.pk}", "done")
    assert job.params == {"period": s.old.pk, "back": "/x/"}
    # Closed: a further start is the close's own answer, no job.
    with clock.frozen(CLOSE_DAY), pytest.raises(Conflict) as again:
        services.start_period_close(actor=operator, period=s.old)
    assert again.value.code == services.ALREADY_CLOSED and Job.objects.count() == 1


def test_a_close_that_dies_half_way_is_finished_once_by_the_retry(
    vorkuta, operator, monkeypatch, django_capture_on_commit_callbacks
):
    s = Setup(vorkuta, operator)
    real_lapse, calls = period_close._lapse, []

    def lapse_after_a_dropped_connection(period, **kwargs):
        calls.append(period.pk)
        if len(calls) == 1:  # contracts continued and completed, the period closed: then
            raise OperationalError("server closed the connection unexpectedly")
        return real_lapse(period, **kwargs)

    monkeypatch.setattr(period_close, "_lapse", lapse_after_a_dropped_connection)
    with clock.frozen(CLOSE_DAY), django_capture_on_commit_callbacks(execute=True):
        job = services.start_period_close(actor=operator, period=s.old)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.error) == ("done", 2, "")
    closing = PeriodClosing.objects.get(period=s.old)
    assert closing.finished_at is not None
    # Nothing twice: one lapse per certificate account, the figures of one close.
    lapses = Transfer.objects.filter(kind=Transfer.Kind.LAPSE)
    assert lapses.count() == closing.lapsed_certificates == 3
    assert sum(lapses.values_list("amount_kopecks", flat=True)) == closing.lapsed_kopecks
    assert closing.lapsed_kopecks == 4_851_300
    continued = closing.continued_contracts + ContinuationOffer.objects.count()
    assert continued == 1  # k1, continued or offered once
    assert closing.ended_contracts == Contract.objects.filter(status="completed").count() == 1
    data = job.result["data"]
    assert (data["lapsed_kopecks"], data["ended_contracts"]) == (4_851_300, 1)
    assert job.result["summary"].startswith(f"Период «{s.old.name}» закрыт")
    assert verify_ledger() == []
