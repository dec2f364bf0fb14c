"""Money invariants under random sequences of grants, reservations, posts, voids and lapses.

A plain Python model keeps the four totals of every account; after each step the stored
totals must equal it, no non-source account may be below zero, the balances must sum to
zero and `verify_ledger()` must find nothing. A transfer must be refused exactly when the
model says the money is not there.
"""

import pytest
from django.db import transaction
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from pfdo.common.tests.examples import examples
from pfdo.financing.tests.factories import FinancingPeriodFactory
from pfdo.ledger import services
from pfdo.ledger.errors import InsufficientFunds
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.selectors import verify_ledger
from pfdo.ledger.services import Entry, Resolution
from pfdo.territory.tests.factories import MunicipalityFactory

Kind = Transfer.Kind
DP, CP, DPEND, CPEND = range(4)

amounts = st.integers(min_value=1, max_value=30_000)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Each example runs in its own savepoint and rolls back, so examples never leak.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        municipality = MunicipalityFactory()
        period = FinancingPeriodFactory(municipality=municipality)

        def account(kind, holder_id=None):
            return services.get_account(
                kind=kind,
                municipality=municipality,
                period=None if kind == Account.Kind.SOURCE else period,
                holder_id=holder_id,
            )

        self.source = account(Account.Kind.SOURCE)
        self.budget = account(Account.Kind.BUDGET)
        self.certs = [account(Account.Kind.CERTIFICATE, h) for h in (1, 2, 3)]
        self.providers = [account(Account.Kind.PROVIDER, h) for h in (1, 2)]
        self.paid = [account(Account.Kind.PAID, h) for h in (1, 2)]
        self.all = [self.source, self.budget, *self.certs, *self.providers, *self.paid]
        self.model = {a.pk: [0, 0, 0, 0] for a in self.all}
        self.open: list[Transfer] = []
        self.last = None  # the last successful call, to repeat it with the same key
        self.counter = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # ------------------------------------------------------------------ the model

    def key(self) -> str:
        self.counter += 1
        return f"k{self.counter}"

    def available(self, account: Account) -> int:
        t = self.model[account.pk]
        return t[CP] - t[DP] - t[DPEND]

    def can_give(self, account: Account, amount: int) -> bool:
        return account.kind == Account.Kind.SOURCE or self.available(account) >= amount

    def do_transfer(self, kind, debit, credit, amount, *, pending=False):
        call = {
            "key": self.key(),
            "kind": kind,
            "debit": debit,
            "credit": credit,
            "amount_kopecks": amount,
            "pending": pending,
        }
        if not self.can_give(debit, amount):
            with pytest.raises(InsufficientFunds):
                services.transfer(**call)
            return None
        result = services.transfer(**call)
        offset = 2 if pending else 0
        self.model[debit.pk][DP + offset] += amount
        self.model[credit.pk][CP + offset] += amount
        self.last = (services.transfer, call, result.pk)
        return result

    def resolve_model(self, pending: Transfer, posted: int) -> None:
        self.model[pending.debit_account_id][DPEND] -= pending.amount_kopecks
        self.model[pending.credit_account_id][CPEND] -= pending.amount_kopecks
        self.model[pending.debit_account_id][DP] += posted
        self.model[pending.credit_account_id][CP] += posted

    # ------------------------------------------------------------------ rules

    @rule(amount=st.integers(min_value=1, max_value=100_000))
    def fund(self, amount):
        self.do_transfer(Kind.FUND, self.source, self.budget, amount)

    @rule(cert=st.integers(0, 2), amount=amounts)
    def grant(self, cert, amount):
        self.do_transfer(Kind.GRANT, self.budget, self.certs[cert], amount)

    @rule(amounts=st.lists(st.integers(1, 20_000), min_size=3, max_size=3))
    def grant_in_batch(self, amounts):
        entries = [
            Entry(self.key(), Kind.GRANT, self.budget.pk, c.pk, a)
            for c, a in zip(self.certs, amounts, strict=True)
        ]
        if self.available(self.budget) < sum(amounts):
            with pytest.raises(InsufficientFunds):
                services.post_many(entries)
            return
        assert services.post_many(entries) == 3
        assert services.post_many(entries) == 0
        for c, a in zip(self.certs, amounts, strict=True):
            self.model[self.budget.pk][DP] += a
            self.model[c.pk][CP] += a

    @rule(cert=st.integers(0, 2), provider=st.integers(0, 1), amount=amounts)
    def reserve(self, cert, provider, amount):
        pending = self.do_transfer(
            Kind.RESERVE, self.certs[cert], self.providers[provider], amount, pending=True
        )
        if pending is not None:
            self.open.append(pending)

    @rule(cert=st.integers(0, 2), provider=st.integers(0, 1))
    def overspend(self, cert, provider):
        account = self.certs[cert]
        with pytest.raises(InsufficientFunds):
            services.transfer(
                key=self.key(),
                kind=Kind.RESERVE,
                debit=account,
                credit=self.providers[provider],
                amount_kopecks=self.available(account) + 1,
                pending=True,
            )

    @precondition(lambda self: self.open)
    @rule(which=st.integers(0, 1000), amount=st.integers(0, 30_000))
    def post(self, which, amount):
        pending = self.open.pop(which % len(self.open))
        amount = amount % (pending.amount_kopecks + 1)  # 0 voids
        call = {"key": self.key(), "pending": pending, "amount_kopecks": amount}
        result = services.post_pending(**call)
        assert result.phase == ("post_pending" if amount else "void_pending")
        self.resolve_model(pending, amount)
        self.last = (services.post_pending, call, result.pk)

    @precondition(lambda self: self.open)
    @rule(which=st.integers(0, 1000))
    def void(self, which):
        pending = self.open.pop(which % len(self.open))
        call = {"key": self.key(), "pending": pending}
        result = services.void_pending(**call)
        self.resolve_model(pending, 0)
        self.last = (services.void_pending, call, result.pk)

    @precondition(lambda self: len(self.open) >= 2)
    @rule(amount=st.integers(0, 30_000))
    def resolve_in_batch(self, amount):
        batch, self.open = self.open[:2], self.open[2:]
        resolutions = [Resolution(self.key(), p.pk, amount % (p.amount_kopecks + 1)) for p in batch]
        assert services.post_pending_many(resolutions) == 2
        assert services.post_pending_many(resolutions) == 0
        for p, r in zip(batch, resolutions, strict=True):
            self.resolve_model(p, r.amount_kopecks)

    @rule(cert=st.integers(0, 2))
    def lapse(self, cert):
        account = self.certs[cert]
        if self.available(account) > 0:
            self.do_transfer(Kind.LAPSE, account, self.budget, self.available(account))

    @rule(provider=st.integers(0, 1), amount=amounts)
    def pay(self, provider, amount):
        self.do_transfer(Kind.PAY, self.providers[provider], self.paid[provider], amount)

    @precondition(lambda self: self.last is not None)
    @rule()
    def repeat_last(self):
        function, call, pk = self.last
        assert function(**call).pk == pk  # the model is unchanged: the invariants check it

    # ------------------------------------------------------------------ invariants

    @invariant()
    def stored_totals_match_the_model(self):
        stored = {
            pk: list(rest)
            for pk, *rest in Account.objects.filter(pk__in=self.model).values_list(
                "pk",
                "debits_posted_kopecks",
                "credits_posted_kopecks",
                "debits_pending_kopecks",
                "credits_pending_kopecks",
            )
        }
        assert stored == self.model

    @invariant()
    def money_is_conserved_and_never_overspent(self):
        for account in self.all[1:]:
            assert self.available(account) >= 0
        assert sum(t[CP] - t[DP] for t in self.model.values()) == 0
        assert sum(t[DPEND] for t in self.model.values()) == sum(
            t[CPEND] for t in self.model.values()
        )
        assert verify_ledger() == []


@pytest.mark.django_db
def test_ledger_invariants_hold_for_random_histories():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(max_examples=examples(30), stateful_step_count=25, deadline=None),
    )
