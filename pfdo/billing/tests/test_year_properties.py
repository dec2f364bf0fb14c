"""A whole year under random sequences (issue 12): certificates issued, enrolled, cancelled
and expiring at 18, a provider excluded, months billed including December and January, the
next period approved or left a draft, the close — and after every step the checks that
would have caught the year's wrong money: no charge after a certificate's end or before a
contract's acceptance, nothing reserved past a contract's end, no more financing places
funded in a period than its quota, the ledger sound (with every registered domain check).

The world is built once per test; each example runs in its own transaction, rolled back.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant, run_state_machine_as_test

from pfdo.billing.models import DocumentStatus, Invoice, InvoiceLine
from pfdo.billing.tests.year_machine import World, YearRules
from pfdo.certificates.models import Certificate
from pfdo.common.months import month_start
from pfdo.common.tests.examples import examples
from pfdo.enrolment.models import ContinuationOffer, Contract, ContractMonth
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.selectors import verify_ledger

pytestmark = pytest.mark.django_db


def certificate_last_day(certificate: Certificate) -> dt.date | None:
    """The last day a certificate could pay for: None while it lives."""
    if certificate.status == Certificate.Status.EXPIRED:
        return certificate.valid_until
    if certificate.status == Certificate.Status.CANCELLED:
        return timezone.localdate(certificate.status_changed_at)
    return None


class YearMachine(YearRules):
    """The rules, and the year's checks after each step."""

    @invariant()
    def ledger_is_sound(self):
        assert verify_ledger() == []

    @invariant()
    def nothing_charged_after_the_certificate_or_before_the_contract(self):
        lines = InvoiceLine.objects.filter(billed_kopecks__gt=0).select_related(
            "contract__certificate"
        )
        for line in lines:
            contract = line.contract
            accepted = timezone.localdate(contract.accepted_at)
            assert line.active_from >= accepted, (line.pk, line.active_from, accepted)
            last = certificate_last_day(contract.certificate)
            if last is not None:
                assert line.active_to <= last, (line.pk, line.active_to, last)

    @invariant()
    def nothing_reserved_past_a_contracts_end(self):
        ended = Contract.objects.filter(
            status__in=[Contract.Status.TERMINATED, Contract.Status.COMPLETED]
        )
        for contract in ended:
            last = timezone.localdate(contract.ended_at) if contract.ended_at else contract.ends_on
            last = min(last, contract.ends_on)
            ids = list(
                ContractMonth.objects.filter(
                    contract=contract, month__gt=month_start(last), reservation_id__isnull=False
                ).values_list("reservation_id", flat=True)
            )
            open_ids = set(ids) - set(
                Transfer.objects.filter(pending_id__in=ids).values_list("pending_id", flat=True)
            )
            assert not open_ids, (contract.number, last, open_ids)
        # An offer never accepted holds nothing.
        never = ContractMonth.objects.filter(
            contract__status__in=[Contract.Status.DECLINED, Contract.Status.EXPIRED],
            reservation_id__isnull=False,
        )
        assert not never.exists()

    @invariant()
    def financing_places_within_each_periods_quota(self):
        for period in FinancingPeriod.objects.exclude(status=FinancingPeriod.Status.DRAFT):
            funded = Account.objects.filter(
                kind=Account.Kind.CERTIFICATE,
                period=period,
                credits_posted_kopecks__gt=0,
                holder_id__in=Certificate.objects.filter(
                    status__in=Certificate.LIVE, type=Certificate.Type.FINANCING
                ).values("pk"),
            ).aggregate(n=Count("pk"))["n"]
            assert funded <= period.certificate_quota, (period.name, funded)

    @invariant()
    def certificates_never_overspent(self):
        for account in Account.objects.filter(kind=Account.Kind.CERTIFICATE):
            assert account.available_kopecks >= 0, account.pk


@pytest.fixture
def year_world(vorkuta, operator, payer):
    return World(vorkuta, operator, payer)


def test_year_machine_keeps_the_money_right_all_year(year_world):
    YearMachine.world = year_world
    run_state_machine_as_test(
        YearMachine,
        settings=settings(
            max_examples=examples(6),
            stateful_step_count=60,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    reached = year_world.reached
    # The sequences got far: contracts signed, certificates ended, months billed.
    assert reached["accept:ok"] > 0, reached
    assert reached["cancel:ok"] > 0, reached
    assert reached["invoice_accept:ok"] > 0 and reached["expired"] > 0, reached
    assert reached["close:ok"] > 0 and reached["exclude:ok"] > 0, reached


def test_year_a_scripted_year(year_world):
    """One sequence told in order, so the world's story is checked, not only drawn: enrol
    in September, the 18th birthday in November, a cancellation, December billed within
    December and corrected in January, the close refused while the next year is a draft,
    then approved and closed."""
    m = YearMachine()
    YearMachine.world = year_world
    try:
        m.enrol(f=0, g=0)  # turns 18 on 15.11
        m.enrol(f=1, g=0)
        m.enrol(f=2, g=2)
        m.enrol(f=3, g=1)
        m.step_to(dt.date(2026, 10, 1))
        m.month_billed_and_accepted(this_month=False)  # September
        m.operator_cancels_certificate(f=1)
        m.step_to(dt.date(2026, 10, 31))
        m.step_to(dt.date(2026, 11, 16))  # f=0 expired
        assert m._certificate(0).status == Certificate.Status.EXPIRED
        assert not Contract.objects.filter(
            certificate=m._certificate(0), status=Contract.Status.ACTIVE
        ).exists()
        m.month_billed_and_accepted(this_month=False)  # October
        m.step_to(dt.date(2026, 12, 2))
        m.month_billed_and_accepted(this_month=False)  # November
        m.month_billed_and_accepted(this_month=True)  # December, within December
        m.parent_terminates(i=1)  # the autumn group's contract, on 2 December
        m.step_to(dt.date(2027, 1, 1))
        m.operator_closes_this_year()
        assert year_world.reached["close:next_period_not_approved"] == 1, year_world.reached
        m.operator_approves_next_year()
        m.time_passes(to="tomorrow")
        m.month_billed_and_accepted(this_month=False)  # December corrected
        correction = Invoice.objects.get(month=dt.date(2026, 12, 1), kind=Invoice.Kind.CORRECTION)
        # Terminated on 2 December, billed in full within December: 2 days of 31 are due.
        assert correction.status == DocumentStatus.ACCEPTED
        assert correction.billed_kopecks < correction.planned_kopecks
        m.operator_closes_this_year()
        assert year_world.reached["close:ok"] == 1, year_world.reached
        crossing = Contract.objects.get(certificate=m._certificate(2))
        # Approving next year recomputed the normative from its base costs: the certificate
        # pays less, a co-payment appears, so the family is asked before it continues.
        offer = ContinuationOffer.objects.get(contract=crossing)
        assert offer.copay_kopecks > offer.previous_copay_kopecks == 0
        assert crossing.ends_on == dt.date(2026, 12, 31)
        m.family_decides_continuation(i=0, accept=True)
        crossing.refresh_from_db()
        assert crossing.status == Contract.Status.ACTIVE
        assert crossing.ends_on == dt.date(2027, 5, 31)  # continued into the next year
        # The expired child's contract ended with the certificate, nothing billed after it.
        ended = Contract.objects.get(certificate=m._certificate(0))
        assert ended.status != Contract.Status.ACTIVE
        assert ended.ends_on <= m._certificate(0).valid_until
        for check in (
            m.ledger_is_sound,
            m.nothing_charged_after_the_certificate_or_before_the_contract,
            m.nothing_reserved_past_a_contracts_end,
            m.financing_places_within_each_periods_quota,
            m.certificates_never_overspent,
        ):
            check()
    finally:
        m.teardown()
