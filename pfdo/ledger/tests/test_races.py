"""Races on PostgreSQL: real threads, each with its own connection and committed transactions."""

import threading

import pytest
from django.db import connections

from pfdo.ledger import services
from pfdo.ledger.errors import InsufficientFunds
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.selectors import verify_ledger
from pfdo.ledger.tests.factories import grant, make_book, totals


def run_together(target, count):
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
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == count
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_reservations_never_overspend(vorkuta):
    book = make_book(vorkuta, budget_kopecks=100_000)
    grant(book, 3000)

    def reserve(index):
        return services.transfer(
            key=f"reserve:{index}",
            kind=Transfer.Kind.RESERVE,
            debit=Account.objects.get(pk=book.cert.pk),
            credit=Account.objects.get(pk=book.provider.pk),
            amount_kopecks=1000,
            pending=True,
        )

    outcomes = run_together(reserve, 20)
    made = [o for o in outcomes if isinstance(o, Transfer)]
    refused = [o for o in outcomes if isinstance(o, InsufficientFunds)]
    assert len(made) == 3 and len(refused) == 17, outcomes
    assert Transfer.objects.filter(kind=Transfer.Kind.RESERVE).count() == 3
    assert totals(book.cert) == (0, 3000, 3000, 0)
    assert book.cert.available_kopecks == 0
    assert totals(book.provider) == (0, 0, 0, 3000)
    assert verify_ledger() == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_key_count_once(vorkuta):
    book = make_book(vorkuta, budget_kopecks=100_000)

    def grant_once(_):
        return services.transfer(
            key="grant:same",
            kind=Transfer.Kind.GRANT,
            debit=Account.objects.get(pk=book.budget.pk),
            credit=Account.objects.get(pk=book.cert.pk),
            amount_kopecks=2500,
        )

    outcomes = run_together(grant_once, 10)
    assert all(isinstance(o, Transfer) for o in outcomes), outcomes
    assert len({o.pk for o in outcomes}) == 1
    assert Transfer.objects.filter(key="grant:same").count() == 1
    assert totals(book.cert) == (0, 2500, 0, 0)
    assert totals(book.budget) == (2500, 100_000, 0, 0)
    assert verify_ledger() == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_resolutions_of_one_reservation_resolve_it_once(vorkuta):
    book = make_book(vorkuta, budget_kopecks=100_000)
    grant(book, 3000)
    pending = services.transfer(
        key="r1",
        kind=Transfer.Kind.RESERVE,
        debit=book.cert,
        credit=book.provider,
        amount_kopecks=2000,
        pending=True,
    )

    def resolve(index):
        if index % 2:
            return services.void_pending(key=f"void:{index}", pending=pending)
        return services.post_pending(key=f"post:{index}", pending=pending, amount_kopecks=1500)

    outcomes = run_together(resolve, 8)
    done = [o for o in outcomes if isinstance(o, Transfer)]
    assert len(done) == 1, outcomes
    assert all(getattr(o, "code", None) == "already_resolved" for o in outcomes if o not in done)
    assert Transfer.objects.filter(pending=pending).count() == 1
    assert verify_ledger() == []


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_over_shared_accounts_do_not_deadlock(vorkuta):
    """Batches touch the same accounts in different orders; the lock order keeps them apart."""
    book = make_book(vorkuta, budget_kopecks=10_000_000)
    certs = services.ensure_accounts(
        kind=Account.Kind.CERTIFICATE, period=book.period, holder_ids=range(100, 140)
    )
    ids = [c.pk for c in certs.values()]

    def batch(index):
        order = ids if index % 2 else list(reversed(ids))
        return services.post_many(
            services.Entry(f"g:{index}:{pk}", Transfer.Kind.GRANT, book.budget.pk, pk, 1000)
            for pk in order
        )

    outcomes = run_together(batch, 6)
    assert outcomes == [40] * 6
    assert totals(book.budget)[0] == 6 * 40 * 1000
    assert verify_ledger() == []
