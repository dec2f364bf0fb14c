"""Corrections: a month invoiced before it ended (December within December) is recomputed
once it has — pro rata by the boundary rule, terminations, attendance actually marked — and
what was charged too much returns to the certificates and is offset against the provider's
next invoice, as an overpayment is."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from pfdo.audit import services as audit
from pfdo.billing.models import Invoice, InvoiceKind, InvoiceLine
from pfdo.billing.selectors import period_of_month
from pfdo.billing.services._common import (
    LINE_CHUNK,
    AccountKind,
    Status,
    TransferKind,
    _account,
    _period_for,
    _staff_only,
    extra_invoice,
    no_period,
)
from pfdo.billing.services._lines import MONTH_ROW_FIELDS, billed_rows
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.common.months import month_end, month_label, month_start, next_month
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment.models import ContractMonth
from pfdo.ledger import selectors as ledger_selectors
from pfdo.ledger import services as ledger
from pfdo.providers.models import Provider

__all__ = ["build_correction", "correction_refusal", "return_lines"]

BILLED_KINDS = (InvoiceKind.MAIN, InvoiceKind.SUPPLEMENTARY)


def _billed_ahead(provider_id: int, month: dt.date):
    """Accepted lines of the month's invoices built before the month ended, not yet on an
    accepted correction: the lines a correction may change."""
    first_after = timezone.make_aware(dt.datetime.combine(next_month(month), dt.time.min))
    corrected = InvoiceLine.objects.filter(
        invoice__provider_id=provider_id,
        invoice__month=month,
        invoice__kind=InvoiceKind.CORRECTION,
        invoice__status=Status.ACCEPTED,
    ).values("reservation_id")
    return (
        InvoiceLine.objects.filter(
            invoice__provider_id=provider_id,
            invoice__month=month,
            invoice__kind__in=BILLED_KINDS,
            invoice__status=Status.ACCEPTED,
            invoice__built_at__lt=first_after,
        )
        .exclude(reservation_id__in=corrected)
        .order_by("contract_id")
    )


def _corrected_lines(provider_id: int, month: dt.date, period) -> list[InvoiceLine]:
    """Unsaved correction lines: each line billed ahead whose amount is lower today.

    A correction only ever returns money: a month billed ahead counted every day and lesson
    still to come, so what really happened can only be less (capped at what was charged)."""
    charged = {
        line.contract_month_id: line
        for line in _billed_ahead(provider_id, month).select_related("contract")
    }
    rows = (
        ContractMonth.objects.filter(pk__in=list(charged))
        .order_by("contract_id")
        .values_list(*MONTH_ROW_FIELDS)
    )
    out = []
    for row, window, result in billed_rows(provider_id, month, period, rows):
        line = charged[row[0]]
        amount = min(result.amount_kopecks, line.billed_kopecks)
        if amount >= line.billed_kopecks:
            continue
        active_from, active_to = window or (month, month)
        out.append(
            InvoiceLine(
                contract_id=line.contract_id,
                contract_month_id=line.contract_month_id,
                reservation_id=line.reservation_id,
                active_from=active_from,
                active_to=active_to,
                planned_kopecks=line.billed_kopecks,
                billed_kopecks=amount,
                basis_note=f"пересчёт: {result.note}"[:200],
            )
        )
    return out


def correction_refusal(
    *, provider: Provider, month: dt.date, today: dt.date | None = None
) -> Conflict | None:
    """Why no correction of `month` can be built `today`, or None (there may still be
    nothing to correct: `build_correction` then answers `nothing_to_correct`)."""
    month = month_start(month)
    label = month_label(month)
    if period_of_month(provider.municipality_id, month) is None:
        return no_period(month)
    today = today or clock.today()
    if today <= month_end(month):
        return Conflict(
            f"Корректировку за {label} можно сформировать с {next_month(month):%d.%m.%Y}: "
            "месяц ещё не закончился.",
            code="month_not_ended",
        )
    accepted = Invoice.objects.filter(
        provider=provider, month=month, kind=InvoiceKind.MAIN, status=Status.ACCEPTED
    ).exists()
    if not accepted:
        return Conflict(
            f"Корректировка за {label} возможна только после того, как счёт за месяц принят.",
            code="invoice_not_accepted",
        )
    if Invoice.objects.filter(
        provider=provider, month=month, kind=InvoiceKind.CORRECTION, status=Status.SUBMITTED
    ).exists():
        return Conflict(
            f"Корректировка за {label} ждёт решения плательщика.", code="correction_submitted"
        )
    return None


@atomic_retry
def build_correction(*, actor, provider: Provider, month: dt.date) -> Invoice:
    """The correction of a month invoiced before it ended: a document of the month
    (`kind=correction`) whose lines say what each contract was charged and what it owes now.
    A draft or rejected correction is rebuilt; 409 `nothing_to_correct` when every line
    still holds."""
    month = month_start(month)
    _staff_only(
        actor, "billing.build_document", provider, provider.pk, "Сформировать корректировку"
    )
    period = _period_for(provider, month)
    refusal = correction_refusal(provider=provider, month=month)
    if refusal is not None:
        raise refusal
    lines = _corrected_lines(provider.pk, month, period)
    if not lines:
        raise Conflict(
            f"Пересчитывать нечего: за {month_label(month)} всё начислено по фактическим данным.",
            code="nothing_to_correct",
        )
    correction = extra_invoice(
        InvoiceKind.CORRECTION,
        provider,
        period,
        month,
        busy=Conflict(
            f"Корректировка за {month_label(month)} уже формируется.", code="correction_exists"
        ),
    )
    for line in lines:
        line.invoice = correction
    InvoiceLine.objects.bulk_create(lines, batch_size=LINE_CHUNK)
    correction.basis = period.billing_basis
    correction.boundary_rule = period.boundary_month_rule
    correction.contracts_count = len(lines)
    correction.planned_kopecks = sum(line.planned_kopecks for line in lines)
    correction.billed_kopecks = sum(line.billed_kopecks for line in lines)
    correction.carry_out_kopecks = correction.planned_kopecks - correction.billed_kopecks
    correction.redraft()
    correction.save()
    audit.record(
        actor=actor,
        action="billing.correction_built",
        obj=correction,
        municipality=correction.municipality,
        details={"returned_kopecks": correction.carry_out_kopecks, "lines": len(lines)},
    )
    return correction


def return_lines(correction: Invoice) -> set[int]:
    """On acceptance: each line's difference goes from the provider (its advance account, as
    an overpayment does, to be offset against its next invoice) back to the certificate
    account the month was charged from. Keyed by the reservation: a month is returned once.
    Returns the certificate accounts credited."""
    label = month_label(correction.month)
    owed = _account(AccountKind.ADVANCE, correction.period, correction.provider_id)
    lines = list(
        correction.lines.filter(billed_kopecks__lt=F("planned_kopecks"))
        .select_related("contract")
        .order_by("pk")
    )
    accounts = ledger_selectors.debit_accounts_of(line.reservation_id for line in lines)
    entries = [
        ledger.Entry(
            key=f"correct:{line.reservation_id}",
            kind=TransferKind.ADJUST,
            debit_id=owed.pk,
            credit_id=accounts[line.reservation_id],
            amount_kopecks=line.planned_kopecks - line.billed_kopecks,
            description=f"Корректировка за {label} по договору № {line.contract.number}: "
            f"возврат на сертификат ({line.basis_note})"[:300],
            ref_type="invoice",
            ref_id=correction.pk,
        )
        for line in lines
    ]
    for start in range(0, len(entries), LINE_CHUNK):
        ledger.post_many(entries[start : start + LINE_CHUNK])
    return set(accounts.values())
