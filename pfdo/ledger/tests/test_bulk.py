"""The ledger's batch path: set-based totals, moments of causes, ids back, refusals."""

import datetime as dt

import pytest
from django.utils import timezone

from pfdo.ledger import services
from pfdo.ledger.errors import InsufficientFunds
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.selectors import verify_ledger
from pfdo.ledger.services import Entry
from pfdo.ledger.tests.factories import grant, make_book, totals

Kind = Transfer.Kind

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(vorkuta):
    return make_book(vorkuta, budget_kopecks=10**9)


def _reserve(cert, provider, amount, key):
    return Entry(key, Kind.RESERVE, cert.pk, provider.pk, amount, ref_type="contract", ref_id=1)


def test_different_changes_of_many_accounts_share_few_statements(
    book, django_assert_max_num_queries
):
    certs = services.ensure_accounts(
        kind=Account.Kind.CERTIFICATE, period=book.period, holder_ids=range(1000, 3500)
    )
    # Every certificate gets its own amount: no two accounts change alike.
    grants = [
        Entry(f"g:{c.pk}", Kind.GRANT, book.budget.pk, c.pk, 10_000 + i)
        for i, c in enumerate(certs.values())
    ]
    with django_assert_max_num_queries(60):
        assert services.post_many(grants) == 2500
    reservations = [
        _reserve(c, book.provider, 5_000 + i, f"r:{c.pk}") for i, c in enumerate(certs.values())
    ]
    with django_assert_max_num_queries(60):
        ids = services.post_many_with_ids(reservations, pending=True)
    assert len(ids) == 2500
    assert ids == dict(
        Transfer.objects.filter(key__in=list(ids)).values_list("key", "pk").order_by()
    )
    last = list(certs.values())[-1]
    assert totals(last) == (0, 10_000 + 2499, 5_000 + 2499, 0)
    assert totals(book.provider) == (0, 0, 0, sum(5_000 + i for i in range(2500)))
    assert verify_ledger() == []


def test_with_ids_answers_for_transfers_already_there(book):
    grant(book, 10_000)
    first = services.post_many_with_ids(
        [_reserve(book.cert, book.provider, 100, "r1")], pending=True
    )
    again = services.post_many_with_ids(
        [
            _reserve(book.cert, book.provider, 100, "r1"),
            _reserve(book.cert, book.provider, 200, "r2"),
        ],
        pending=True,
    )
    assert again["r1"] == first["r1"]
    assert set(again) == {"r1", "r2"}
    assert totals(book.cert) == (0, 10_000, 300, 0)


def test_entries_carry_the_moment_of_their_cause(book):
    then = timezone.make_aware(dt.datetime(2026, 9, 14, 10, 30))
    services.post_many(
        [
            Entry("g1", Kind.GRANT, book.budget.pk, book.cert.pk, 500, at=then),
            Entry("g2", Kind.GRANT, book.budget.pk, book.cert2.pk, 500),
        ]
    )
    assert Transfer.objects.get(key="g1").created_at == then
    assert Transfer.objects.get(key="g2").created_at > then


def test_one_poor_account_among_many_refuses_the_batch_and_is_named(book):
    grant(book, 1_000)
    grant(book, 5_000, cert=book.cert2)
    batch = [
        _reserve(book.cert2, book.provider, 4_000, "ok"),
        _reserve(book.cert, book.provider, 1_500, "too-much"),
    ]
    with pytest.raises(InsufficientFunds) as info:
        services.post_many(batch, pending=True)
    assert info.value.account.pk == book.cert.pk
    assert info.value.shortfall_kopecks == 500
    assert totals(book.cert) == (0, 1_000, 0, 0)
    assert totals(book.cert2) == (0, 5_000, 0, 0)
    assert not Transfer.objects.filter(key__in=["ok", "too-much"]).exists()
    assert verify_ledger() == []
