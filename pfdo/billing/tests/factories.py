"""Builders for billing tests: contracts signed on a given day, a payer."""

from __future__ import annotations

import datetime as dt

from pfdo.common import clock
from pfdo.enrolment import services as enrolment
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of

__all__ = ["approved_period", "family", "ready_group", "signed_contract", "staff_of"]


def signed_contract(municipality, operator, group, *, on=dt.date(2026, 9, 1), **child):
    """A family applies on `on`, the provider confirms, the parent accepts: an active contract.

    The certificate is issued on `on` too (the nominal is granted in the period running then).
    """
    with clock.frozen(on):
        fam = family(municipality, operator, **child)
        staff = staff_of(group.module.program.provider)
        application = enrolment.apply(
            actor=fam.parent, certificate=fam.certificate, group=group, copay_agreed=True
        )
        contract = enrolment.confirm(actor=staff, application=application)
        contract = enrolment.accept(actor=fam.parent, contract=contract)
    return fam, contract
