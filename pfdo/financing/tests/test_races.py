"""Races on PostgreSQL: real threads, real connections, committed transactions."""

import datetime as dt
import threading

import pytest
from django.db import connection

from pfdo.audit.models import ActionLog
from pfdo.common.errors import Conflict
from pfdo.financing import services
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.tests.factories import FinancingPeriodFactory

THREADS = 6


def run_together(target, count=THREADS):
    """Start `count` threads at one barrier; returns what each returned or raised."""
    barrier = threading.Barrier(count)
    outcomes: list = []
    lock = threading.Lock()

    def worker(index):
        try:
            barrier.wait(timeout=10)
            result = target(index)
        except Exception as exc:
            result = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == count
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_contracts_mark_the_period_once(vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)

    def mark(_):
        return services.mark_commitments_started(period=FinancingPeriod.objects.get(pk=period.pk))

    outcomes = run_together(mark)
    assert sorted(outcomes) == [False] * (THREADS - 1) + [True]
    assert ActionLog.objects.filter(action="financing.commitments_started").count() == 1
    period.refresh_from_db()
    assert period.is_locked


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_periods_only_one_wins(make_user, vorkuta):
    operator = make_user("operator", municipality=vorkuta)
    operator.active_memberships  # noqa: B018 - load the roles before the threads share the user

    def create(index):
        return services.create_period(
            actor=operator,
            municipality=vorkuta,
            name=f"Период {index}",
            starts_on=dt.date(2026, 9, 1) + dt.timedelta(days=index),
            ends_on=dt.date(2027, 8, 31),
        )

    outcomes = run_together(create)
    created = [o for o in outcomes if isinstance(o, FinancingPeriod)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(created) == 1 and len(refused) == THREADS - 1, outcomes
    assert all(e.code == "period_overlap" and "пересекается" in str(e.fields) for e in refused)
    assert FinancingPeriod.objects.filter(municipality=vorkuta).count() == 1
