"""The world of the billing service tests: one provider and group with contract A, dates,
row-count snapshots and the helpers that accept documents. (`payer` is in the conftest.)"""

from __future__ import annotations

import datetime as dt

from pfdo.audit.models import ActionLog
from pfdo.billing import services
from pfdo.billing.models import (
    AdvanceRequest,
    Attendance,
    Invoice,
    InvoiceLine,
    Payment,
)
from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract, staff_of
from pfdo.certificates import selectors as certificate_selectors
from pfdo.common import clock
from pfdo.ledger.models import Transfer

NOMINAL = 2_417_100
MONTH = 200_000  # 1 800 000 over the group's nine months (Sep 2026 – May 2027)
OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
DEC = dt.date(2026, 12, 1)
ADVANCE_DAY = dt.date(2026, 10, 5)  # after the 2nd working day of October (Fri 2 Oct)
INVOICE_DAY = dt.date(2026, 11, 2)  # November: the October invoice may be filed


def d(day: int, month: int = 10, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


def snapshot() -> dict[str, int]:
    """Row counts of everything a billing service may write."""
    return {
        "transfers": Transfer.objects.count(),
        "payments": Payment.objects.count(),
        "attendance": Attendance.objects.count(),
        "invoices": Invoice.objects.count(),
        "lines": InvoiceLine.objects.count(),
        "advances": AdvanceRequest.objects.count(),
        "actions": ActionLog.objects.count(),
    }


def balance(fam, period):
    return certificate_selectors.balance(fam.certificate, period)


def accepted_advance(staff, payer, provider, month=OCT, on=ADVANCE_DAY) -> AdvanceRequest:
    with clock.frozen(on):
        advance = services.build_advance(actor=staff, provider=provider, month=month)
        services.submit_advance(actor=staff, advance=advance)
        return services.accept_advance(actor=payer, advance=advance)


def accepted_invoice(staff, payer, provider, month=OCT, on=INVOICE_DAY) -> Invoice:
    with clock.frozen(on):
        invoice = services.build_invoice(actor=staff, provider=provider, month=month)
        services.submit_invoice(actor=staff, invoice=invoice)
        return services.accept_invoice(actor=payer, invoice=invoice)


def lines_of(invoice) -> dict[int, InvoiceLine]:
    return {line.contract_id: line for line in invoice.lines.all()}


class World:
    """One provider, one group (Tuesdays 16:00–17:30), contract A from 1 September."""

    def __init__(self, vorkuta, operator, **period_fields):
        self.period = approved_period(vorkuta, **period_fields)
        self.group = ready_group(vorkuta, price=1_800_000, normative=2_000_000)
        self.provider = self.group.module.program.provider
        self.staff = staff_of(self.provider)
        self.operator = operator
        self.municipality = vorkuta
        self.fam_a, self.a = signed_contract(vorkuta, operator, self.group)

    def sign(self, on):
        return signed_contract(self.municipality, self.operator, self.group, on=on)
