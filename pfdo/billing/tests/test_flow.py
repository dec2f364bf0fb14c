"""The month's money end to end: invoice → acceptance → payment → reconciliation."""

from __future__ import annotations

import datetime as dt

import pytest

from pfdo.billing import selectors, services
from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract, staff_of
from pfdo.certificates import selectors as certificate_selectors
from pfdo.common import clock
from pfdo.ledger.selectors import verify_ledger

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


@pytest.fixture
def payer(make_user, vorkuta):
    return make_user("payer", municipality=vorkuta)


def test_invoice_accept_pay_reconcile(vorkuta, operator, payer):
    period = approved_period(vorkuta)
    group = ready_group(vorkuta, price=1_800_000, normative=2_000_000)
    fam, _contract = signed_contract(vorkuta, operator, group)
    staff = staff_of(group.module.program.provider)
    provider = group.module.program.provider
    with clock.frozen(dt.date(2026, 11, 2)):
        invoice = services.build_invoice(actor=staff, provider=provider, month=OCT)
        assert invoice.billed_kopecks == 200_000  # 1 800 000 over nine months
        assert invoice.due_kopecks == 200_000
        services.submit_invoice(actor=staff, invoice=invoice)
        invoice = services.accept_invoice(actor=payer, invoice=invoice)
        before = certificate_selectors.balance(fam.certificate, period)
        services.record_payment(
            actor=payer,
            document=invoice,
            order_number="101",
            paid_on=dt.date(2026, 11, 2),
            amount_kopecks=150_000,
        )
        rec = selectors.reconciliation(vorkuta, OCT)
    assert before.spent_kopecks == 200_000
    assert rec.ok, (rec.checks, rec.ledger_problems)
    assert rec.providers[0].outstanding_kopecks == 50_000
    assert verify_ledger() == []
