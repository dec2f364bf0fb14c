"""Ledger services: transfers, reservations, idempotency, refusals, append-only, batches."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F

from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.financing.tests.factories import FinancingPeriodFactory
from pfdo.ledger import services
from pfdo.ledger.errors import AlreadyResolved, AppendOnlyViolation, InsufficientFunds, KeyReused
from pfdo.ledger.models import Account, Transfer, account_key
from pfdo.ledger.selectors import CertificateBalance, balance_of, verify_ledger
from pfdo.ledger.services import Entry, Resolution
from pfdo.ledger.tests.factories import grant, make_book, reserve, totals
from pfdo.territory.tests.factories import MunicipalityFactory

Kind = Transfer.Kind
Phase = Transfer.Phase

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


@pytest.fixture
def book(vorkuta):
    return make_book(vorkuta, budget_kopecks=1_000_000)


# ---------------------------------------------------------------------------- accounts


def test_account_keys():
    assert account_key("source", municipality_id=12) == "source:m12"
    assert account_key("budget", municipality_id=12, period_id=3) == "budget:p3"
    assert account_key("certificate", municipality_id=1, period_id=3, holder_id=45) == (
        "certificate:p3:h45"
    )
    assert account_key("provider", municipality_id=1, period_id=3, holder_id=7) == "provider:p3:h7"
    assert account_key("paid", municipality_id=1, period_id=3, holder_id=7) == "paid:p3:h7"
    for bad in (
        {"kind": "source", "municipality_id": 1, "period_id": 3},
        {"kind": "budget", "municipality_id": 1},
        {"kind": "budget", "municipality_id": 1, "period_id": 3, "holder_id": 4},
        {"kind": "certificate", "municipality_id": 1, "period_id": 3},
        {"kind": "wallet", "municipality_id": 1},
    ):
        kind = bad.pop("kind")
        with pytest.raises(ValueError):
            account_key(kind, **bad)


def test_get_account_opens_once(vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)
    first = services.get_account(
        kind=Account.Kind.CERTIFICATE, municipality=vorkuta, period=period, holder_id=45
    )
    again = services.get_account(
        kind=Account.Kind.CERTIFICATE, municipality=vorkuta, period=period, holder_id=45
    )
    assert first.pk == again.pk
    assert first.key == f"certificate:p{period.pk}:h45"
    assert (first.balance_kopecks, first.available_kopecks) == (0, 0)
    assert Account.objects.count() == 1


def test_get_account_refuses_bad_details(vorkuta, region):
    period = FinancingPeriodFactory(municipality=vorkuta)
    other = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
    with pytest.raises(ValidationFailed):
        services.get_account(kind=Account.Kind.BUDGET, municipality=other, period=period)
    with pytest.raises(ValidationFailed):
        services.get_account(kind=Account.Kind.CERTIFICATE, municipality=vorkuta, period=period)
    assert not Account.objects.exists()


def test_ensure_accounts_opens_in_bulk_and_reuses(vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)
    existing = services.get_account(
        kind=Account.Kind.CERTIFICATE, municipality=vorkuta, period=period, holder_id=2
    )
    accounts = services.ensure_accounts(
        kind=Account.Kind.CERTIFICATE, period=period, holder_ids=range(1, 501)
    )
    assert len(accounts) == 500
    assert accounts[2].pk == existing.pk
    assert accounts[300].key == f"certificate:p{period.pk}:h300"
    assert Account.objects.count() == 500
    again = services.ensure_accounts(
        kind=Account.Kind.CERTIFICATE, period=period, holder_ids=[1, 2, 501]
    )
    assert {h: a.pk for h, a in again.items() if h != 501} == {
        1: accounts[1].pk,
        2: accounts[2].pk,
    }
    assert Account.objects.count() == 501


# ---------------------------------------------------------------------------- transfer


def test_transfer_moves_money_between_two_accounts(book):
    book.refresh()
    assert book.source.balance_kopecks == -1_000_000  # the source alone may go below zero
    assert book.budget.balance_kopecks == 1_000_000
    grant(book, 300_000)
    assert totals(book.budget) == (300_000, 1_000_000, 0, 0)
    assert totals(book.cert) == (0, 300_000, 0, 0)
    assert book.cert.available_kopecks == 300_000
    assert verify_ledger() == []


def test_reservation_posted_for_less_returns_the_rest(book):
    grant(book, 3000)
    pending = reserve(book, 2000, "reserve:c17:m9")
    assert pending.phase == Phase.PENDING
    assert totals(book.cert) == (0, 3000, 2000, 0)
    assert book.cert.available_kopecks == 1000
    assert totals(book.provider) == (0, 0, 0, 2000)
    assert book.provider.balance_kopecks == 0

    posted = services.post_pending(key="charge:c17:m9", pending=pending, amount_kopecks=1500)
    assert (posted.phase, posted.kind, posted.amount_kopecks) == (
        Phase.POST_PENDING,
        "charge",
        1500,
    )
    assert posted.pending_id == pending.pk
    assert (posted.ref_type, posted.ref_id) == ("contract", 17)
    assert totals(book.cert) == (1500, 3000, 0, 0)
    assert book.cert.available_kopecks == 1500
    assert totals(book.provider) == (0, 1500, 0, 0)
    assert balance_of(book.cert) == CertificateBalance(3000, 0, 1500, 0, 1500)
    assert verify_ledger() == []


def test_post_pending_defaults_to_the_whole_reservation(book):
    grant(book, 3000)
    pending = reserve(book, 2000, "r1")
    posted = services.post_pending(key="c1", pending=pending)
    assert posted.amount_kopecks == 2000
    assert totals(book.cert) == (2000, 3000, 0, 0)


def test_void_releases_the_whole_reservation(book):
    grant(book, 3000)
    pending = reserve(book, 2000, "r1")
    void = services.void_pending(key="v1", pending=pending)
    assert (void.phase, void.kind, void.amount_kopecks) == (Phase.VOID_PENDING, "release", 2000)
    assert totals(book.cert) == (0, 3000, 0, 0)
    assert totals(book.provider) == (0, 0, 0, 0)
    assert verify_ledger() == []


def test_posting_zero_is_a_void(book):
    grant(book, 3000)
    pending = reserve(book, 2000, "r1")
    result = services.post_pending(key="c1", pending=pending, amount_kopecks=0)
    assert result.phase == Phase.VOID_PENDING
    assert result.amount_kopecks == 2000
    assert totals(book.cert) == (0, 3000, 0, 0)


def test_repeat_with_same_key_changes_nothing(book):
    first = grant(book, 3000)
    before = [totals(a) for a in (book.budget, book.cert)]
    again = grant(book, 3000)
    assert again.pk == first.pk
    assert [totals(a) for a in (book.budget, book.cert)] == before
    assert Transfer.objects.filter(kind=Kind.GRANT).count() == 1

    pending = reserve(book, 1000, "r1")
    assert reserve(book, 1000, "r1").pk == pending.pk
    posted = services.post_pending(key="c1", pending=pending, amount_kopecks=600)
    cert_totals = totals(book.cert)
    assert services.post_pending(key="c1", pending=pending, amount_kopecks=600).pk == posted.pk
    assert totals(book.cert) == cert_totals == (600, 3000, 0, 0)
    assert Transfer.objects.count() == 4


def test_same_key_with_other_parameters_is_refused(book):
    grant(book, 3000)
    with pytest.raises(KeyReused) as info:
        grant(book, 3001)
    assert info.value.code == "idempotency_key_reused"
    assert info.value.status == 409
    with pytest.raises(KeyReused):
        grant(book, 3000, cert=book.cert2, key=f"grant:p{book.period.pk}:c45")
    with pytest.raises(KeyReused):
        reserve(book, 3000, f"grant:p{book.period.pk}:c45")  # pending instead of posted
    pending = reserve(book, 1000, "r1")
    services.post_pending(key="c1", pending=pending, amount_kopecks=600)
    with pytest.raises(KeyReused):
        services.post_pending(key="c1", pending=pending, amount_kopecks=500)
    assert totals(book.cert) == (600, 3000, 0, 0)
    assert totals(book.cert2) == (0, 0, 0, 0)


def test_insufficient_funds_writes_nothing(book):
    grant(book, 1000)
    count = Transfer.objects.count()
    before = [totals(a) for a in (book.cert, book.provider)]
    with pytest.raises(InsufficientFunds) as info:
        reserve(book, 1500, "r1")
    assert info.value.code == "insufficient_funds"
    assert info.value.status == 409
    assert info.value.message == "Недостаточно средств на счёте."
    assert info.value.account.pk == book.cert.pk
    assert info.value.shortfall_kopecks == 500
    assert Transfer.objects.count() == count
    assert not Transfer.objects.filter(key="r1").exists()
    assert [totals(a) for a in (book.cert, book.provider)] == before
    # The key stays free: once the money is there, the same key goes through.
    grant(book, 500, key="top-up")
    assert reserve(book, 1500, "r1").amount_kopecks == 1500
    assert verify_ledger() == []


def test_insufficient_funds_inside_a_callers_transaction_keeps_it_usable(book):
    grant(book, 1000)
    with transaction.atomic():
        with pytest.raises(InsufficientFunds):
            grant(book, 2_000_000, cert=book.cert2)
        # The caller's transaction goes on: the ledger rolled back only its savepoint.
        reserve(book, 400, "r1")
    assert totals(book.cert) == (0, 1000, 400, 0)
    assert totals(book.cert2) == (0, 0, 0, 0)


def test_budget_cannot_be_over_granted_and_provider_not_overpaid(book):
    with pytest.raises(InsufficientFunds) as info:
        grant(book, 1_000_001)
    assert info.value.account.pk == book.budget.pk
    assert info.value.shortfall_kopecks == 1
    grant(book, 3000)
    services.post_pending(key="c1", pending=reserve(book, 2000, "r1"), amount_kopecks=2000)
    with pytest.raises(InsufficientFunds):
        services.transfer(
            key="pay1", kind=Kind.PAY, debit=book.provider, credit=book.paid, amount_kopecks=2001
        )
    services.transfer(
        key="pay1", kind=Kind.PAY, debit=book.provider, credit=book.paid, amount_kopecks=2000
    )
    assert totals(book.provider) == (2000, 2000, 0, 0)
    assert totals(book.paid) == (0, 2000, 0, 0)


def test_reserved_money_cannot_be_spent_twice(book):
    grant(book, 3000)
    reserve(book, 2000, "r1")
    with pytest.raises(InsufficientFunds) as info:
        reserve(book, 1001, "r2")
    assert info.value.shortfall_kopecks == 1
    with pytest.raises(InsufficientFunds):
        services.transfer(
            key="lapse", kind=Kind.LAPSE, debit=book.cert, credit=book.budget, amount_kopecks=1001
        )


@pytest.mark.parametrize("amount", [0, -1, True, 1.5, "100", Decimal("100"), None, 10**16])
def test_amount_must_be_positive_integer_kopecks(book, amount):
    with pytest.raises(ValidationFailed):
        grant(book, amount)
    assert not Transfer.objects.filter(kind=Kind.GRANT).exists()


def test_transfer_refuses_bad_requests(book, region):
    with pytest.raises(ValidationFailed):
        services.transfer(
            key="x", kind=Kind.GRANT, debit=book.cert, credit=book.cert, amount_kopecks=1
        )
    with pytest.raises(ValidationFailed):
        services.transfer(
            key="x", kind="gift", debit=book.budget, credit=book.cert, amount_kopecks=1
        )
    with pytest.raises(ValidationFailed):
        services.transfer(
            key="", kind=Kind.GRANT, debit=book.budget, credit=book.cert, amount_kopecks=1
        )
    other = make_book(MunicipalityFactory(region=region, code="inta", name="Инта", number=3))
    with pytest.raises(ValidationFailed):
        services.transfer(
            key="x", kind=Kind.GRANT, debit=book.budget, credit=other.cert, amount_kopecks=1
        )
    assert Transfer.objects.count() == 1  # the funding of `book`


# ---------------------------------------------------------------------------- resolutions


def test_resolved_reservation_cannot_be_resolved_again(book):
    grant(book, 3000)
    pending = reserve(book, 2000, "r1")
    services.void_pending(key="v1", pending=pending)
    with pytest.raises(AlreadyResolved) as info:
        services.post_pending(key="c1", pending=pending, amount_kopecks=1000)
    assert isinstance(info.value, Conflict)
    assert info.value.code == "already_resolved"
    assert info.value.message == "Резерв уже списан или возвращён."
    with pytest.raises(AlreadyResolved):
        services.void_pending(key="v2", pending=pending)
    assert services.void_pending(key="v1", pending=pending).key == "v1"  # a repeat is fine
    assert totals(book.cert) == (0, 3000, 0, 0)
    assert Transfer.objects.filter(pending=pending).count() == 1


def test_post_more_than_reserved_is_refused(book):
    grant(book, 3000)
    pending = reserve(book, 2000, "r1")
    for amount in (2001, -1, True):
        with pytest.raises(ValidationFailed):
            services.post_pending(key="c1", pending=pending, amount_kopecks=amount)
    assert not Transfer.objects.filter(pending=pending).exists()
    assert totals(book.cert) == (0, 3000, 2000, 0)


def test_only_a_reservation_can_be_posted(book):
    posted = grant(book, 3000)
    with pytest.raises(ValidationFailed):
        services.post_pending(key="c1", pending=posted, amount_kopecks=100)
    with pytest.raises(ValidationFailed):
        services.void_pending(key="v1", pending=posted)
    resolution = services.void_pending(key="v2", pending=reserve(book, 10, "r1"))
    with pytest.raises(ValidationFailed):
        services.void_pending(key="v3", pending=resolution)


# ---------------------------------------------------------------------------- append-only


def test_transfers_are_append_only_in_the_application(book):
    t = grant(book, 3000)
    t.description = "подправлено"
    with pytest.raises(AppendOnlyViolation):
        t.save()
    with pytest.raises(AppendOnlyViolation):
        t.delete()
    with pytest.raises(AppendOnlyViolation):
        Transfer.objects.filter(pk=t.pk).update(amount_kopecks=1)
    with pytest.raises(AppendOnlyViolation):
        Transfer.objects.update(amount_kopecks=1)
    with pytest.raises(AppendOnlyViolation):
        Transfer.objects.filter(pk=t.pk).delete()
    t.refresh_from_db()
    assert (t.description, t.amount_kopecks) == ("Начисление номинала", 3000)


def test_database_refuses_to_update_a_transfer(book):
    t = grant(book, 3000)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_transfer SET amount_kopecks = 1 WHERE id = %s", [t.pk])
    t.refresh_from_db()
    assert t.amount_kopecks == 3000


@pytest.mark.postgres_only
def test_database_refuses_to_delete_a_transfer(book):
    t = grant(book, 3000)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_transfer WHERE id = %s", [t.pk])
    assert Transfer.objects.filter(pk=t.pk).exists()


def test_database_check_stops_overspending_that_skips_the_services(book):
    grant(book, 3000)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=book.cert.pk).update(
            debits_posted_kopecks=F("debits_posted_kopecks") + 3001
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=book.cert.pk).update(debits_pending_kopecks=-1)
    # The source is the counterpart of funding: it alone goes below zero.
    Account.objects.filter(pk=book.source.pk).update(
        debits_posted_kopecks=F("debits_posted_kopecks") + 1
    )
    assert totals(book.cert) == (0, 3000, 0, 0)


# ---------------------------------------------------------------------------- batches


def _grants(book, certs, amount, prefix="grant"):
    return [
        Entry(
            key=f"{prefix}:{c.pk}",
            kind=Kind.GRANT,
            debit_id=book.budget.pk,
            credit_id=c.pk,
            amount_kopecks=amount,
            description="Начисление номинала",
            ref_type="certificate",
            ref_id=c.holder_id,
        )
        for c in certs
    ]


def test_post_many_posts_a_batch_and_skips_existing_keys(book):
    entries = _grants(book, [book.cert, book.cert2], 1000)
    assert services.post_many(entries[:1]) == 1
    assert services.post_many(entries) == 1
    assert services.post_many(entries) == 0
    assert totals(book.cert) == (0, 1000, 0, 0)
    assert totals(book.cert2) == (0, 1000, 0, 0)
    assert totals(book.budget) == (2000, 1_000_000, 0, 0)
    t = Transfer.objects.get(key=f"grant:{book.cert2.pk}")
    assert (t.phase, t.ref_type, t.ref_id) == (Phase.POSTED, "certificate", 46)
    assert verify_ledger() == []


def test_post_many_refuses_a_reused_key(book):
    services.post_many(_grants(book, [book.cert], 1000))
    with pytest.raises(KeyReused):
        services.post_many(_grants(book, [book.cert2, book.cert], 999))
    with pytest.raises(KeyReused):
        services.post_many(_grants(book, [book.cert2], 5) + _grants(book, [book.cert2], 6))
    assert totals(book.cert2) == (0, 0, 0, 0)
    assert Transfer.objects.filter(kind=Kind.GRANT).count() == 1


def test_post_many_rolls_back_the_whole_batch_on_overspend(book):
    before = Transfer.objects.count()
    with pytest.raises(InsufficientFunds) as info:
        services.post_many(_grants(book, [book.cert, book.cert2], 600_000))
    assert info.value.account.pk == book.budget.pk
    assert info.value.shortfall_kopecks == 200_000
    assert Transfer.objects.count() == before
    assert totals(book.budget) == (0, 1_000_000, 0, 0)
    assert totals(book.cert) == (0, 0, 0, 0)


def test_post_many_reserves_and_names_the_poor_account(book):
    grant(book, 1000)
    grant(book, 5000, cert=book.cert2)
    reservations = [
        Entry(
            f"r:{c.pk}", Kind.RESERVE, c.pk, book.provider.pk, 2000, ref_type="contract", ref_id=1
        )
        for c in (book.cert, book.cert2)
    ]
    with pytest.raises(InsufficientFunds) as info:
        services.post_many(reservations, pending=True)
    assert info.value.account.pk == book.cert.pk
    assert info.value.shortfall_kopecks == 1000
    assert totals(book.cert2) == (0, 5000, 0, 0)
    assert services.post_many(reservations[1:], pending=True) == 1
    assert totals(book.cert2) == (0, 5000, 2000, 0)
    assert totals(book.provider) == (0, 0, 0, 2000)


def test_post_many_handles_a_large_batch_in_few_queries(vorkuta, django_assert_max_num_queries):
    book = make_book(vorkuta, budget_kopecks=10**12)
    certs = services.ensure_accounts(
        kind=Account.Kind.CERTIFICATE, period=book.period, holder_ids=range(1000, 4000)
    )
    entries = _grants(book, certs.values(), 2_417_100)
    # Inserts go in batches (SQLite's bound-variable limit makes them small) and accounts
    # with the same change share an UPDATE: nowhere near one query per transfer.
    with django_assert_max_num_queries(80):
        assert services.post_many(entries) == 3000
    assert totals(book.budget)[0] == 3000 * 2_417_100
    assert (
        Account.objects.filter(
            pk__in=[c.pk for c in certs.values()], credits_posted_kopecks=2_417_100
        ).count()
        == 3000
    )
    with django_assert_max_num_queries(20):
        assert services.post_many(entries) == 0
    assert verify_ledger() == []


def test_post_pending_many_posts_and_voids(book):
    grant(book, 10_000)
    grant(book, 10_000, cert=book.cert2)
    p1 = reserve(book, 3000, "r1")
    p2 = reserve(book, 4000, "r2", cert=book.cert2)
    p3 = reserve(book, 2000, "r3")
    batch = [
        Resolution("c1", p1.pk, 2500, "Оплата за сентябрь"),
        Resolution("c2", p2.pk, 4000),
        Resolution("c3", p3.pk, 0),
    ]
    assert services.post_pending_many(batch) == 3
    assert totals(book.cert) == (2500, 10_000, 0, 0)
    assert totals(book.cert2) == (4000, 10_000, 0, 0)
    assert totals(book.provider) == (0, 6500, 0, 0)
    c1, c3 = Transfer.objects.get(key="c1"), Transfer.objects.get(key="c3")
    assert (c1.phase, c1.kind, c1.amount_kopecks, c1.ref_id) == ("post_pending", "charge", 2500, 17)
    assert (c3.phase, c3.kind, c3.amount_kopecks) == ("void_pending", "release", 2000)
    assert services.post_pending_many(batch) == 0
    assert totals(book.provider) == (0, 6500, 0, 0)
    assert verify_ledger() == []


def test_post_pending_many_refuses_wrong_batches(book):
    grant(book, 10_000)
    p1 = reserve(book, 3000, "r1")
    p2 = reserve(book, 3000, "r2")
    services.void_pending(key="v2", pending=p2)
    with pytest.raises(ValidationFailed):
        services.post_pending_many([Resolution("c1", p1.pk, 3001)])
    with pytest.raises(AlreadyResolved):
        services.post_pending_many([Resolution("c1", p1.pk, 100), Resolution("c2", p2.pk, 100)])
    with pytest.raises(AlreadyResolved):
        services.post_pending_many([Resolution("c1", p1.pk, 100), Resolution("c1b", p1.pk, 100)])
    with pytest.raises(KeyReused):
        services.post_pending_many([Resolution("v2", p2.pk, 100)])
    with pytest.raises(ValidationFailed):
        services.post_pending_many([Resolution("c9", Transfer.objects.get(key="v2").pk, 1)])
    assert not Transfer.objects.filter(pending=p1).exists()
    assert totals(book.cert) == (0, 10_000, 3000, 0)
