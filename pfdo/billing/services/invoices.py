"""Invoices: when one may be built, its lines from the contract months (or attended hours),
the settlement against the advance and earlier overpayment, submitting, and the payer's
decision — accepting posts every line's reservation in the ledger."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from pfdo.audit import services as audit
from pfdo.billing import calculation as calc
from pfdo.billing.models import (
    AdvanceRequest,
    Invoice,
    InvoiceKind,
    InvoiceLine,
)
from pfdo.billing.selectors import carry_candidate, period_of_month
from pfdo.billing.services import corrections, family_notices
from pfdo.billing.services._common import (
    LINE_CHUNK,
    AccountKind,
    Status,
    TransferKind,
    _account,
    _decide,
    _document_to_build,
    _lapse,
    _lock_document,
    _notify_staff,
    _open_months,
    _period_for,
    _staff_only,
    _submit,
    extra_invoice,
    invoice_opens_on,
    no_period,
)
from pfdo.billing.services._lines import MONTH_ROW_FIELDS, billed_rows
from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.common.money import format_kopecks
from pfdo.common.months import month_label, month_start
from pfdo.common.transactions import atomic_retry
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger import selectors as ledger_selectors
from pfdo.ledger import services as ledger
from pfdo.providers.models import Provider

__all__ = [
    "accept_invoice",
    "build_invoice",
    "invoice_refusal",
    "reject_invoice",
    "submit_invoice",
    "supplementary_refusal",
]

DETAIL_URL = "billing:provider_invoice"


# ------------------------------------------------------------------------ when to build


def _previous_open(period: FinancingPeriod) -> Conflict | None:
    """Invoices of a period wait for the close of the one before: the close is what continues
    contracts into this period, and an invoice built earlier would miss their months."""
    earlier = (
        FinancingPeriod.objects.filter(
            municipality_id=period.municipality_id,
            status=FinancingPeriod.Status.APPROVED,
            ends_on__lt=period.starts_on,
        )
        .order_by("-ends_on")
        .first()
    )
    if earlier is None:
        return None
    return Conflict(
        f"Сначала оператор должен закрыть период «{earlier.name}»: при закрытии договоры "
        "продолжаются в новом периоде и попадают в счета.",
        code="previous_period_open",
    )


def _too_early(period: FinancingPeriod, month: dt.date, today: dt.date) -> Conflict | None:
    opens = invoice_opens_on(period, month)
    if today >= opens:
        return None
    return Conflict(
        f"Счёт за {month_label(month)} можно сформировать с {opens:%d.%m.%Y}: "
        "месяц ещё не закончился.",
        code="month_not_ended",
    )


def _advance_undecided(advance: AdvanceRequest | None, month: dt.date) -> Conflict | None:
    if advance is None or advance.status != Status.SUBMITTED:
        return None
    return Conflict(
        f"Заявка на аванс за {month_label(month)} ждёт решения плательщика: "
        "счёт формируется после него.",
        code="advance_undecided",
    )


def invoice_refusal(
    *, provider: Provider, month: dt.date, today: dt.date | None = None
) -> Conflict | None:
    """Why the provider's invoice for `month` cannot be built `today`, or None.

    The same refusals, in the same order, as `build_invoice` raises them."""
    month = month_start(month)
    period = period_of_month(provider.municipality_id, month)
    if period is None:
        return no_period(month)
    advance = AdvanceRequest.objects.filter(provider=provider, month=month).first()
    return (
        _previous_open(period)
        or _too_early(period, month, today or clock.today())
        or _advance_undecided(advance, month)
    )


# ------------------------------------------------------------------------------ lines


def _invoice_lines(invoice: Invoice, period: FinancingPeriod) -> tuple[int, int, int]:
    """Write the invoice's lines from the open contract months; (count, planned, billed)."""
    month, provider_id = invoice.month, invoice.provider_id
    rows = _open_months(provider_id, month).values_list(*MONTH_ROW_FIELDS)
    count = planned = billed = 0
    batch: list[InvoiceLine] = []
    # Not a server-side cursor: PostgreSQL planned the cursor for a fast start and took
    # 4 s of 11 for one city; a provider's month is a few thousand rows at most.
    for row, window, result in billed_rows(provider_id, month, period, rows):
        pk, contract_id, amount, reservation_id = row[:4]
        active_from, active_to = window or (month, month)
        batch.append(
            InvoiceLine(
                invoice=invoice,
                contract_id=contract_id,
                contract_month_id=pk,
                reservation_id=reservation_id,
                active_from=active_from,
                active_to=active_to,
                planned_kopecks=amount,
                billed_kopecks=result.amount_kopecks,
                basis_note=result.note,
            )
        )
        count += 1
        planned += amount
        billed += result.amount_kopecks
        if len(batch) >= LINE_CHUNK:
            InvoiceLine.objects.bulk_create(batch)
            batch = []
    InvoiceLine.objects.bulk_create(batch)
    return count, planned, billed


def _apply_settlement(invoice: Invoice) -> None:
    """Advance of the month (accepted) and the oldest unused overpayment, against billed.

    A supplementary invoice has neither: the month's advance and the overpayment carried in
    were settled on the month's invoice, so it is due in full."""
    if invoice.kind == InvoiceKind.SUPPLEMENTARY:
        invoice.advance_kopecks = invoice.carry_in_kopecks = invoice.offset_kopecks = 0
        invoice.carry_from = None
        invoice.due_kopecks = invoice.billed_kopecks
        invoice.carry_out_kopecks = 0
        return
    advance = (
        AdvanceRequest.objects.filter(
            provider_id=invoice.provider_id, month=invoice.month, status=Status.ACCEPTED
        )
        .values_list("amount_kopecks", flat=True)
        .first()
        or 0
    )
    source = carry_candidate(invoice)
    carry = source.carry_out_kopecks if source else 0
    settlement = calc.settle(
        billed_kopecks=invoice.billed_kopecks, advance_kopecks=advance, carry_in_kopecks=carry
    )
    invoice.advance_kopecks = advance
    invoice.carry_in_kopecks = carry
    invoice.carry_from = source
    invoice.offset_kopecks = settlement.offset_kopecks
    invoice.due_kopecks = settlement.due_kopecks
    invoice.carry_out_kopecks = settlement.carry_out_kopecks


# ------------------------------------------------------------------------------ steps


@atomic_retry
def build_invoice(*, actor, provider: Provider, month: dt.date) -> Invoice:
    """The invoice for `month` from the contracts (or attended hours); lines per contract.

    A draft or rejected invoice is rebuilt; a submitted one is refused (409). An advance
    request of the month still waiting for the payer blocks the invoice; a draft one is
    withdrawn (the month is now billed in full). Once the month's invoice is accepted, contract
    months that joined later (a contract accepted after it) go onto a supplementary invoice
    of the month (built, or rebuilt while a draft); with none left, 409 `invoice_exists`.
    """
    month = month_start(month)
    _staff_only(actor, "billing.build_document", provider, provider.pk, "Сформировать счёт")
    period = _period_for(provider, month)
    refusal = _previous_open(period) or _too_early(period, month, clock.today())
    if refusal is not None:
        raise refusal
    main = Invoice.objects.filter(provider=provider, month=month, kind=InvoiceKind.MAIN).first()
    if main is not None and main.status == Status.ACCEPTED:
        return _build_supplementary(actor, provider, period, month)
    advance = AdvanceRequest.objects.filter(provider=provider, month=month).first()
    if advance is not None:
        # Locked: the payer may be accepting (and paying) it at this very moment.
        advance = _lock_document(AdvanceRequest, advance.pk)
    refusal = _advance_undecided(advance, month)
    if refusal is not None:
        raise refusal
    if advance is not None and advance.status in (Status.DRAFT, Status.REJECTED):
        advance.withdraw()
        advance.save(update_fields=["status"])
    invoice = _document_to_build(
        Invoice,
        provider,
        month,
        what=f"Счёт за {month_label(month)}",
        code="invoice_exists",
        lookup={"kind": InvoiceKind.MAIN},
        period=period,
        basis=period.billing_basis,
        boundary_rule=period.boundary_month_rule,
    )
    return _fill(actor, invoice, period)


def _fill(actor, invoice: Invoice, period: FinancingPeriod) -> Invoice:
    count, planned, billed = _invoice_lines(invoice, period)
    invoice.basis = period.billing_basis
    invoice.boundary_rule = period.boundary_month_rule
    invoice.contracts_count = count
    invoice.planned_kopecks = planned
    invoice.billed_kopecks = billed
    _apply_settlement(invoice)
    invoice.redraft()
    invoice.save()
    audit.record(
        actor=actor,
        action="billing.invoice_built",
        obj=invoice,
        municipality=invoice.municipality,
        details={"billed_kopecks": billed, "lines": count, "kind": invoice.kind},
    )
    return invoice


def supplementary_refusal(*, provider: Provider, month: dt.date) -> Conflict | None:
    """Why no supplementary invoice of `month` can be built now, or None: the month's invoice
    must be accepted, no supplementary one may be with the payer, and some contract month
    of the provider must still hold an unbilled reservation."""
    month = month_start(month)
    label = month_label(month)
    main = Invoice.objects.filter(provider=provider, month=month, kind=InvoiceKind.MAIN).first()
    if main is None or main.status != Status.ACCEPTED:
        return Conflict(
            f"Дополнительный счёт за {label} формируется после того, как счёт за месяц принят.",
            code="invoice_not_accepted",
        )
    waiting = Invoice.objects.filter(
        provider=provider,
        month=month,
        kind=InvoiceKind.SUPPLEMENTARY,
        status=Status.SUBMITTED,
    ).first()
    if waiting is not None:
        return Conflict(
            f"{waiting.title} ждёт решения плательщика.", code="supplementary_submitted"
        )
    if not _open_months(provider.pk, month).exists():
        return Conflict(
            f"Счёт за {label} уже принят, и все договоры этого месяца в нём оплачены.",
            code="invoice_exists",
        )
    return None


def _build_supplementary(actor, provider: Provider, period, month: dt.date) -> Invoice:
    refusal = supplementary_refusal(provider=provider, month=month)
    if refusal is not None:
        raise refusal
    invoice = extra_invoice(
        InvoiceKind.SUPPLEMENTARY,
        provider,
        period,
        month,
        busy=Conflict(
            f"Дополнительный счёт за {month_label(month)} уже формируется.", code="invoice_exists"
        ),
    )
    return _fill(actor, invoice, period)


@atomic_retry
def submit_invoice(*, actor, invoice: Invoice) -> Invoice:
    return _submit(actor, Invoice, invoice, "счёт", "billing.invoice_submitted")


@atomic_retry
def reject_invoice(*, actor, invoice: Invoice, reason: str) -> Invoice:
    locked = _decide(
        actor, Invoice, invoice, accept=False, reason=reason, action="billing.invoice_rejected"
    )
    _notify_staff(
        locked.provider_id,
        f"{locked.label} {'отклонена' if locked.is_correction else 'отклонён'}",
        f"Причина: {locked.reject_reason}. Исправьте данные и сформируйте счёт заново.",
        DETAIL_URL,
        locked.pk,
    )
    return locked


def _settle_before_accepting(invoice: Invoice) -> None:
    """The settlement is final now: the advance is decided and earlier carries are known."""
    current = _lock_document(Invoice, invoice.pk)
    if current.status != Status.SUBMITTED:
        return
    _apply_settlement(current)
    try:
        with transaction.atomic():
            current.save(
                update_fields=[
                    "advance_kopecks",
                    "carry_in_kopecks",
                    "carry_from",
                    "offset_kopecks",
                    "due_kopecks",
                    "carry_out_kopecks",
                ]
            )
    except IntegrityError:
        # Another invoice of the provider took the same overpayment a moment ago.
        raise Conflict(
            "Переплата прошлого месяца только что зачтена в другом счёте: повторите.",
            code="carry_taken",
        ) from None


def _charge_lines(invoice: Invoice) -> set[int]:
    """Post each line's reservation for its billed amount; the reservations touched."""
    label = month_label(invoice.month)
    lines = invoice.lines.select_related("contract").order_by("pk")
    touched: set[int] = set()
    batch: list[ledger.Resolution] = []

    def flush() -> None:
        try:
            ledger.post_pending_many(batch, kind=TransferKind.CHARGE)
        except ledger.AlreadyResolved as exc:
            raise Conflict(
                "Резерв по одному из договоров уже списан или возвращён: сформируйте счёт заново.",
                code="reservation_resolved",
            ) from exc
        batch.clear()

    for line in lines.iterator(chunk_size=LINE_CHUNK):
        batch.append(
            ledger.Resolution(
                key=f"bill:{line.reservation_id}",
                pending_id=line.reservation_id,
                amount_kopecks=line.billed_kopecks,
                description=f"Оплата за {label} по договору № {line.contract.number} "
                f"({line.basis_note})",
            )
        )
        touched.add(line.reservation_id)
        if len(batch) >= LINE_CHUNK:
            flush()
    if batch:
        flush()
    return touched


def _offset(invoice: Invoice) -> None:
    """The advance and the earlier overpayment are settled against the provider's payable."""
    period, label = invoice.period, month_label(invoice.month)
    payable = _account(AccountKind.PROVIDER, period, invoice.provider_id)
    advance_part = min(invoice.offset_kopecks, invoice.advance_kopecks)
    carry_part = invoice.offset_kopecks - advance_part
    if advance_part:
        ledger.transfer(
            key=f"offset:i{invoice.pk}",
            kind=TransferKind.OFFSET,
            debit=payable,
            credit=_account(AccountKind.ADVANCE, period, invoice.provider_id),
            amount_kopecks=advance_part,
            description=f"Зачёт аванса за {label}",
            ref_type="invoice",
            ref_id=invoice.pk,
        )
    if carry_part:
        source = invoice.carry_from
        ledger.transfer(
            key=f"offset-carry:i{invoice.pk}",
            kind=TransferKind.OFFSET,
            debit=payable,
            credit=_account(AccountKind.ADVANCE, source.period, invoice.provider_id),
            amount_kopecks=carry_part,
            description=f"Зачёт переплаты за {month_label(source.month)}",
            ref_type="invoice",
            ref_id=invoice.pk,
        )


def _ended_certificate_accounts(invoice: Invoice) -> list[int]:
    """The period accounts of the invoice's certificates that have ended."""
    ended = (
        InvoiceLine.objects.filter(invoice=invoice)
        .exclude(contract__certificate__status__in=Certificate.LIVE)
        .values_list("contract__certificate_id", flat=True)
        .distinct()
    )
    return list(ledger_selectors.certificate_account_ids(invoice.period, ended))


@atomic_retry
def accept_invoice(*, actor, invoice: Invoice) -> Invoice:
    """The payer accepts: each line's reservation is posted for the billed amount (the rest
    returns to the certificate), and the advance and earlier overpayment are offset. A
    correction instead returns each line's difference to its certificate (see
    `corrections`). Each family is told of its line."""
    if invoice.kind == InvoiceKind.CORRECTION:
        locked = _decide(
            actor, Invoice, invoice, accept=True, reason="", action="billing.correction_accepted"
        )
        touched = corrections.return_lines(locked)
        body = (
            f"Возвращено на сертификаты {format_kopecks(locked.carry_out_kopecks)}: "
            "сумма будет зачтена в следующем счёте."
        )
    else:
        _settle_before_accepting(invoice)
        locked = _decide(
            actor, Invoice, invoice, accept=True, reason="", action="billing.invoice_accepted"
        )
        touched = _charge_lines(locked)
        _offset(locked)
        body = f"К перечислению {format_kopecks(locked.due_kopecks)} до {locked.pay_by:%d.%m.%Y}."
    if locked.period.status == FinancingPeriod.Status.CLOSED:
        # What a closed period's certificates got back (billed for less, corrected) lapses.
        _lapse(
            locked.period,
            account_ids=ledger_selectors.debit_account_ids(touched)
            if locked.kind != InvoiceKind.CORRECTION
            else touched,
            suffix=f":i{locked.pk}",
        )
    elif ended := _ended_certificate_accounts(locked):
        # A certificate that ended keeps nothing: what its last month was billed for less
        # (or a correction returned) goes back to the budget at once, not at the close.
        _lapse(
            locked.period,
            account_ids=ended,
            suffix=f":i{locked.pk}",
            description="Возврат в бюджет: сертификат прекращён",
        )
    subject = f"{locked.label} {locked.accepted_word}"
    _notify_staff(locked.provider_id, subject, body, DETAIL_URL, locked.pk)
    family_notices.tell_families(locked)
    return locked
