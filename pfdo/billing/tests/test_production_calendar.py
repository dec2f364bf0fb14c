"""Billing by the production calendar: advance filing days and payment terms skip public
holidays and follow the transfers; a region's override wins (scenario 14 of issue 12)."""

from __future__ import annotations

import pytest

from pfdo.billing import services
from pfdo.billing.tests.services_world import DEC, World, accepted_invoice, d
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.financing import services as financing

pytestmark = [pytest.mark.django_db]

JAN = d(1, 1, 2027)


def test_year_14_billing_follows_production_calendar(vorkuta, operator, payer):
    w = World(vorkuta, operator)
    # January 2027's advance opens on its 2nd working day, Tue 12 January (not Mon 4 January).
    assert services.advance_opens_on(w.period, JAN) == d(12, 1, 2027)
    with clock.frozen(d(11, 1, 2027)), pytest.raises(Conflict) as early:
        services.build_advance(actor=w.staff, provider=w.provider, month=JAN)
    assert early.value.code == "advance_too_early" and "12.01.2027" in early.value.message
    # December's invoice accepted on Wed 30 December 2026 is to be paid within 5 working
    # days: 31 December and 1–10 January are days off, so by Fri 15 January 2027.
    invoice = accepted_invoice(w.staff, payer, w.provider, month=DEC, on=d(30, 12))
    assert invoice.pay_by == d(15, 1, 2027)


def test_a_regional_override_moves_the_filing_day(vorkuta, operator, make_user):
    w = World(vorkuta, operator)
    admin = make_user("regional_admin", region=vorkuta.region)
    # Suppose a decree the package does not know makes Fri 8 January 2027 a working day: it
    # becomes January's 1st working day and Mon 11 January its 2nd.
    financing.add_calendar_day(
        actor=admin, region=vorkuta.region, day=d(8, 1, 2027), is_working=True, note="Указ"
    )
    assert services.advance_opens_on(w.period, JAN) == d(11, 1, 2027)
    with clock.frozen(d(11, 1, 2027)):
        assert services.build_advance(actor=w.staff, provider=w.provider, month=JAN).pk
