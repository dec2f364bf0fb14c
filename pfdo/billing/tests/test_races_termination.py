"""Billing races on PostgreSQL: a parent terminates while the invoice of that month is being
built or accepted; an advance is accepted while the invoice is built. Each race ends with
the ledger verified and the month reconciled.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from django.db import connection, connections, transaction

from pfdo.billing import services
from pfdo.billing.models import (
    AdvanceRequest,
    Invoice,
)
from pfdo.billing.tests.factories import approved_period
from pfdo.billing.tests.races_world import (
    DEC,
    NOV,
    OCT,
    Status,
    assert_each_reservation_resolved_at_most_once,
    assert_reconciled,
    provider_with_contracts,
    submitted_invoice,
)
from pfdo.common import clock
from pfdo.common.errors import DomainError
from pfdo.common.tests.races import as_user, codes, errors_of, run_at_once
from pfdo.enrolment import services as enrolment
from pfdo.enrolment.models import Contract
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.selectors import verify_ledger

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


# ---------------------------------------------------------------- termination vs. invoice


def test_terminations_while_the_previous_month_is_accepted_both_happen(vorkuta, operator, payer):
    """Parents terminate on 5 November while October's invoice is accepted: October is
    charged, November stays reserved for its own invoice, December onwards comes back."""
    approved_period(vorkuta)
    provider, staff, signed = provider_with_contracts(vorkuta, operator, 4)
    invoice = submitted_invoice(provider, staff, OCT, dt.date(2026, 11, 5))

    with clock.frozen(dt.date(2026, 11, 5)):
        outcomes = run_at_once(
            [
                lambda: services.accept_invoice(
                    actor=as_user(payer.pk), invoice=Invoice.objects.get(pk=invoice.pk)
                )
            ]
            + [
                lambda fam=fam, c=c: enrolment.terminate(
                    actor=as_user(fam.parent.pk), contract=Contract.objects.get(pk=c.pk)
                )
                for fam, c in signed
            ]
        )

    assert errors_of(outcomes) == [], codes(outcomes)
    assert_each_reservation_resolved_at_most_once()
    for _, contract in signed:
        contract.refresh_from_db()
        assert contract.status == Contract.Status.TERMINATED
        months = {m.month: m.reservation_id for m in contract.months.all()}
        resolution = dict(
            Transfer.objects.filter(pending_id__in=months.values()).values_list(
                "pending_id", "kind"
            )
        )
        assert resolution[months[OCT]] == Transfer.Kind.CHARGE
        assert months[NOV] not in resolution
        later = [r for m, r in months.items() if m > NOV]
        assert len(later) == 6 and all(resolution[r] == Transfer.Kind.RELEASE for r in later)
    assert verify_ledger() == []
    assert_reconciled(vorkuta, OCT)


@dataclass
class DecemberRace:
    """December invoiced within December, before the group's lessons begin on the 15th:
    terminating a contract not begun yet releases December too, so a termination and the
    acceptance of December's invoice compete for the same reservations."""

    municipality: object
    payer: object
    provider: object
    staff: object
    signed: list
    invoice: Invoice
    december: dict[int, int]  # contract id → its December reservation

    @classmethod
    def build(cls, vorkuta, operator, payer) -> DecemberRace:
        approved_period(vorkuta)
        provider, staff, signed = provider_with_contracts(
            vorkuta, operator, 4, on=dt.date(2026, 12, 1), starts_on=dt.date(2026, 12, 15)
        )
        invoice = submitted_invoice(provider, staff, DEC, RACE_DAY)
        december = {c.pk: c.months.get(month=DEC).reservation_id for _, c in signed}
        assert set(invoice.lines.values_list("reservation_id", flat=True)) == set(december.values())
        return cls(vorkuta, payer, provider, staff, signed, invoice, december)

    @property
    def terminating(self) -> list:
        return self.signed[:3]  # the fourth contract goes on

    def terminate(self, fam, contract):
        return lambda: enrolment.terminate(
            actor=as_user(fam.parent.pk), contract=Contract.objects.get(pk=contract.pk)
        )

    def accept(self):
        return services.accept_invoice(
            actor=as_user(self.payer.pk), invoice=Invoice.objects.get(pk=self.invoice.pk)
        )

    def check_race(self, terminations: list, acceptance) -> None:
        """Whichever came first resolved a reservation; the other side was refused whole
        (a termination that found December gone, or the acceptance that found a line's
        reservation released), and nothing was resolved twice."""
        outcomes = [*terminations, acceptance]
        assert all(isinstance(e, DomainError) for e in errors_of(outcomes)), outcomes
        assert set(codes(outcomes)) <= {"already_resolved", "reservation_resolved"}
        assert_each_reservation_resolved_at_most_once()
        assert verify_ledger() == []
        self.invoice.refresh_from_db()
        keys = dict(
            Transfer.objects.filter(pending_id__in=self.december.values()).values_list(
                "pending_id", "key"
            )
        )
        if isinstance(acceptance, Invoice):
            assert self.invoice.status == Status.ACCEPTED
            assert set(keys.values()) == {f"bill:{r}" for r in self.december.values()}
        else:
            assert acceptance.code == "reservation_resolved"
            assert self.invoice.status == Status.SUBMITTED
            assert not any(key.startswith("bill:") for key in keys.values())
            assert any(isinstance(o, Contract) for o in terminations)
        for (_, contract), outcome in zip(self.terminating, terminations, strict=True):
            contract.refresh_from_db()
            if isinstance(outcome, Contract):
                assert contract.status == Contract.Status.TERMINATED
                assert keys[self.december[contract.pk]] in (
                    f"release:{self.december[contract.pk]}",
                    f"bill:{self.december[contract.pk]}",
                )
            else:
                # Refused: nothing of it happened; the parent may simply try again.
                assert outcome.code == "already_resolved"
                assert contract.status == Contract.Status.ACTIVE

    def finish_and_check(self, terminations: list) -> None:
        """The refused side is done again, one after the other; then December reconciles:
        every reservation resolved once, billed or released."""
        for (fam, contract), outcome in zip(self.terminating, terminations, strict=True):
            if not isinstance(outcome, Contract):
                enrolment.terminate(actor=fam.parent, contract=contract)
        invoice = self.invoice
        if invoice.status == Status.SUBMITTED:
            services.reject_invoice(actor=self.payer, invoice=invoice, reason="Расторжения")
            invoice = services.build_invoice(actor=self.staff, provider=self.provider, month=DEC)
            services.submit_invoice(actor=self.staff, invoice=invoice)
            invoice = services.accept_invoice(actor=self.payer, invoice=invoice)
        assert invoice.status == Status.ACCEPTED
        assert_each_reservation_resolved_at_most_once()
        resolved = dict(
            Transfer.objects.filter(pending_id__in=self.december.values()).values_list(
                "pending_id", "key"
            )
        )
        assert set(resolved) == set(self.december.values())
        billed = set(invoice.lines.values_list("reservation_id", flat=True))
        for pending_id, key in resolved.items():
            expected = f"bill:{pending_id}" if pending_id in billed else f"release:{pending_id}"
            assert key == expected
        assert self.december[self.signed[3][1].pk] in billed
        for _, contract in self.terminating:
            contract.refresh_from_db()
            assert contract.status == Contract.Status.TERMINATED
            # Nothing of a terminated contract is left reserved.
            ids = contract.months.exclude(reservation_id=None).values_list("reservation_id")
            assert not Transfer.objects.filter(pk__in=ids, resolutions__isnull=True).exists()
        assert verify_ledger() == []
        assert_reconciled(self.municipality, DEC)


RACE_DAY = dt.date(2026, 12, 3)


def test_terminations_and_the_acceptance_of_the_same_month_all_at_once(vorkuta, operator, payer):
    race = DecemberRace.build(vorkuta, operator, payer)
    with clock.frozen(RACE_DAY):
        outcomes = run_at_once([race.terminate(*s) for s in race.terminating] + [race.accept])
        race.check_race(outcomes[:-1], outcomes[-1])
        race.finish_and_check(outcomes[:-1])


class HeldRow:
    """A row locked FOR UPDATE by a connection of its own until the block ends: whoever
    needs it queues behind, in the order they come, so a test can decide that order."""

    def __init__(self, model, pk: int):
        self.model, self.pk = model, pk
        self._locked, self._release = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._hold)

    def _hold(self):
        try:
            with transaction.atomic():
                self.model.objects.select_for_update().get(pk=self.pk)
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    self.pid = cursor.fetchone()[0]
                self._locked.set()
                self._release.wait(timeout=120)
        finally:
            connections.close_all()

    def __enter__(self):
        self._thread.start()
        assert self._locked.wait(timeout=30)
        return self

    def __exit__(self, *exc):
        self._release.set()
        self._thread.join(timeout=30)


def start(pool: ThreadPoolExecutor, call: Callable[[], object]):
    """`call` in a thread of `pool` with its own connection; the future holds its result or
    the exception it raised."""

    def task():
        try:
            return call()
        except Exception as exc:
            return exc
        finally:
            connections.close_all()

    return pool.submit(task)


def wait_until_waiting(held: HeldRow, count: int) -> None:
    """Until `count` sessions queue behind `held`: blocked by its session, or by one that is
    (a row's first waiter holds the tuple lock the next ones wait for). Counting every session
    of the database that waits for some lock would also count one waiting for another thing,
    and let the next call start before this one has queued."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "WITH RECURSIVE behind(pid) AS (SELECT %s UNION SELECT a.pid "
                "FROM pg_stat_activity a JOIN behind b ON b.pid = ANY(pg_blocking_pids(a.pid)) "
                "WHERE a.datname = current_database()) SELECT count(*) - 1 FROM behind",
                [held.pid],
            )
            if cursor.fetchone()[0] >= count:
                return
        time.sleep(0.02)
    raise AssertionError(f"{count} sessions never queued for the lock")


@pytest.mark.parametrize("first", ["termination", "acceptance"])
def test_termination_racing_the_acceptance_of_the_same_month(vorkuta, operator, payer, first):
    """Both orders for certain: the provider's payable account (which every one of these
    transactions locks after reading what it will resolve) is held, the side that should win
    queues first, then the other; released, they run in that order."""
    race = DecemberRace.build(vorkuta, operator, payer)
    payable = Transfer.objects.get(pk=next(iter(race.december.values()))).credit_account
    terminations = [race.terminate(*s) for s in race.terminating]
    with clock.frozen(RACE_DAY), ThreadPoolExecutor(max_workers=4) as pool:
        run = lambda call: start(pool, call)  # noqa: E731
        with HeldRow(Account, payable.pk) as held:
            # Each call reads what it will resolve, then queues for the held account.
            if first == "acceptance":
                accepting = run(race.accept)
                wait_until_waiting(held, 1)
                terminating = [run(t) for t in terminations]
                wait_until_waiting(held, 4)
            else:
                terminating = [run(t) for t in terminations]
                wait_until_waiting(held, 3)
                accepting = run(race.accept)
                wait_until_waiting(held, 4)
        outcomes = [f.result(timeout=120) for f in terminating]
        acceptance = accepting.result(timeout=120)

        race.check_race(outcomes, acceptance)
        if first == "acceptance":
            assert isinstance(acceptance, Invoice)
        else:
            assert acceptance.code == "reservation_resolved"
            assert all(isinstance(o, Contract) for o in outcomes)
        race.finish_and_check(outcomes)


def test_an_advance_accepted_while_the_invoice_is_built_is_not_withdrawn(vorkuta, operator, payer):
    """December is invoiced within December: a draft advance for December is submitted,
    accepted and paid on 11 December while the month's invoice is being built (the run). Whatever
    the order, the payer's decision must stand: an accepted (and paid) advance is never
    turned into a withdrawn one, and the invoice offsets it.

    The invoice build reads the advance (a draft), then withdraws it with an UPDATE by id
    alone; here the submission, acceptance and payment, one after another, queue for the
    advance's row first and the build behind them, so it may run between any two of them.

    The three steps run in one thread: queued as three sessions they would not keep their
    order, as PostgreSQL hands an updated row to whichever waiter reaches its new version
    first, not to the next in the queue (CI saw the payment before the acceptance)."""
    approved_period(vorkuta)
    provider, staff, _ = provider_with_contracts(vorkuta, operator, 2)
    with clock.frozen(dt.date(2026, 12, 10)):
        advance = services.build_advance(actor=staff, provider=provider, month=DEC)
    today = dt.date(2026, 12, 11)

    def fresh():
        return AdvanceRequest.objects.get(pk=advance.pk)

    def submit_accept_pay():
        steps = [
            lambda: services.submit_advance(actor=as_user(staff.pk), advance=fresh()),
            lambda: services.accept_advance(actor=as_user(payer.pk), advance=fresh()),
            lambda: services.record_payment(
                actor=as_user(payer.pk),
                document=fresh(),
                order_number="11",
                paid_on=today,
                amount_kopecks=advance.amount_kopecks,
            ),
        ]
        outcomes = []
        for step in steps:
            try:
                outcomes.append(step())
            except DomainError as exc:
                outcomes.append(exc)
        return outcomes

    with clock.frozen(today), ThreadPoolExecutor(max_workers=2) as pool:
        with HeldRow(AdvanceRequest, advance.pk) as held:
            deciding = start(pool, submit_accept_pay)
            wait_until_waiting(held, 1)
            building = start(
                pool,
                lambda: services.build_invoice(
                    actor=as_user(staff.pk), provider=provider, month=DEC
                ),
            )
            wait_until_waiting(held, 2)
        outcomes = [*deciding.result(timeout=120), building.result(timeout=120)]

    assert errors_of(outcomes[:3]) == [], outcomes
    advance.refresh_from_db()
    assert advance.paid_kopecks == advance.amount_kopecks > 0
    assert advance.status == Status.ACCEPTED, advance.get_status_display()
    invoice = outcomes[3]
    if isinstance(invoice, Invoice):
        assert invoice.advance_kopecks == advance.amount_kopecks
    else:
        assert invoice.code == "advance_undecided"
    assert verify_ledger() == []
