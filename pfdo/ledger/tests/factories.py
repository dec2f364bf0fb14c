"""Ledger fixtures: the accounts of one financing period, and funding helpers."""

from __future__ import annotations

from dataclasses import dataclass

from pfdo.financing.tests.factories import FinancingPeriodFactory
from pfdo.ledger import services
from pfdo.ledger.models import Account, Transfer

Kind = Account.Kind


@dataclass
class Book:
    """The accounts of one period: source, budget, two certificates, a provider, paid."""

    period: object
    source: Account
    budget: Account
    cert: Account
    cert2: Account
    provider: Account
    paid: Account

    def refresh(self) -> None:
        for account in (self.source, self.budget, self.cert, self.cert2, self.provider, self.paid):
            account.refresh_from_db()


def make_book(municipality, *, period=None, budget_kopecks: int = 0) -> Book:
    period = period or FinancingPeriodFactory(municipality=municipality)
    book = Book(
        period=period,
        source=services.get_account(kind=Kind.SOURCE, municipality=municipality),
        budget=services.get_account(kind=Kind.BUDGET, municipality=municipality, period=period),
        cert=services.get_account(
            kind=Kind.CERTIFICATE, municipality=municipality, period=period, holder_id=45
        ),
        cert2=services.get_account(
            kind=Kind.CERTIFICATE, municipality=municipality, period=period, holder_id=46
        ),
        provider=services.get_account(
            kind=Kind.PROVIDER, municipality=municipality, period=period, holder_id=7
        ),
        paid=services.get_account(
            kind=Kind.PAID, municipality=municipality, period=period, holder_id=7
        ),
    )
    if budget_kopecks:
        fund(book, budget_kopecks)
    return book


def fund(book: Book, amount: int, key: str | None = None) -> Transfer:
    return services.transfer(
        key=key or f"fund:p{book.period.pk}:{amount}",
        kind=Transfer.Kind.FUND,
        debit=book.source,
        credit=book.budget,
        amount_kopecks=amount,
        description="Финансирование периода",
    )


def grant(book: Book, amount: int, *, cert: Account | None = None, key: str | None = None):
    cert = cert or book.cert
    return services.transfer(
        key=key or f"grant:p{book.period.pk}:c{cert.holder_id}",
        kind=Transfer.Kind.GRANT,
        debit=book.budget,
        credit=cert,
        amount_kopecks=amount,
        description="Начисление номинала",
    )


def reserve(book: Book, amount: int, key: str, *, cert: Account | None = None, ref_id=17):
    return services.transfer(
        key=key,
        kind=Transfer.Kind.RESERVE,
        debit=cert or book.cert,
        credit=book.provider,
        amount_kopecks=amount,
        description="Резерв по договору",
        ref_type="contract",
        ref_id=ref_id,
        pending=True,
    )


def totals(account: Account) -> tuple[int, int, int, int]:
    """(debits posted, credits posted, debits pending, credits pending) as stored now."""
    account.refresh_from_db()
    return (
        account.debits_posted_kopecks,
        account.credits_posted_kopecks,
        account.debits_pending_kopecks,
        account.credits_pending_kopecks,
    )
