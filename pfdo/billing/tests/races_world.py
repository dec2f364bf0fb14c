"""What the billing race tests share: the checks each race ends with and the world they
race in (real threads on PostgreSQL; `payer` is in the conftest)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count

from pfdo.billing import selectors, services
from pfdo.billing.models import (
    DocumentStatus,
    Invoice,
)
from pfdo.billing.tests.factories import ready_group, signed_contract, staff_of
from pfdo.common import clock
from pfdo.ledger.models import Transfer

Status = DocumentStatus
SEP, OCT, NOV, DEC = (dt.date(2026, m, 1) for m in (9, 10, 11, 12))


# ----------------------------------------------------------------------------- machinery
# As in the enrolment races: a pool of threads, a barrier for the first wave.


def assert_each_reservation_resolved_at_most_once():
    doubled = (
        Transfer.objects.filter(phase=Transfer.Phase.PENDING)
        .annotate(n=Count("resolutions"))
        .filter(n__gt=1)
    )
    assert not doubled.exists()


def assert_reconciled(municipality, month):
    rec = selectors.reconciliation(municipality, month)
    assert rec.ok, (rec.checks, rec.ledger_problems)
    return rec


# ------------------------------------------------------------------------------ the world


def provider_with_contracts(vorkuta, operator, count, *, provider=None, on=SEP, **group):
    """A group of a provider with `count` contracts signed on `on`; (provider, staff, list)."""
    with clock.frozen(on):
        g = ready_group(vorkuta, provider=provider, **group)
    provider = g.module.program.provider
    contracts = [signed_contract(vorkuta, operator, g, on=on) for _ in range(count)]
    return provider, staff_of(provider), contracts


def submitted_invoice(provider, staff, month, on) -> Invoice:
    with clock.frozen(on):
        invoice = services.build_invoice(actor=staff, provider=provider, month=month)
        return services.submit_invoice(actor=staff, invoice=invoice)


def bill_keys(invoice: Invoice) -> set[str]:
    return {f"bill:{r}" for r in invoice.lines.values_list("reservation_id", flat=True)}
