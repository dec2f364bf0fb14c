"""Invoices: when one may be built, its lines from the contract months (or attended hours),
the settlement against the advance and earlier overpayment, submitting, and the payer's
decision — accepting posts every line's reservation in the ledger."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import IntegrityError, transaction

from pfdo.audit import services as audit
from pfdo.billing import calculation as calc
from pfdo.billing.models import AdvanceRequest, Attendance, Invoice, InvoiceLine, Lesson
from pfdo.billing.selectors import carry_candidate, month_slots, period_of_month, window_of
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
    invoice_opens_on,
    no_period,
)
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.common.money import format_kopecks
from pfdo.common.months import month_end, month_label, month_start
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


def _attended_minutes(provider_id: int, month: dt.date) -> dict[int, int]:
    minutes: dict[int, int] = defaultdict(int)
    rows = Attendance.objects.filter(
        contract__provider_id=provider_id,
        present=True,
        lesson__status=Lesson.Status.PLANNED,
        lesson__held_on__gte=month,
        lesson__held_on__lte=month_end(month),
    ).values_list("contract_id", "lesson__starts_at", "lesson__ends_at")
    for contract_id, starts, ends in rows.iterator(chunk_size=LINE_CHUNK):
        minutes[contract_id] += (ends.hour * 60 + ends.minute) - (starts.hour * 60 + starts.minute)
    return minutes


def _invoice_lines(invoice: Invoice, period: FinancingPeriod) -> tuple[int, int, int]:
    """Write the invoice's lines from the open contract months; (count, planned, billed)."""
    month, provider_id = invoice.month, invoice.provider_id
    basis, rule = period.billing_basis, period.boundary_month_rule
    needs_lessons = basis == calc.BASIS_ATTENDED_HOURS or rule == calc.RULE_PRO_RATA_LESSONS
    attended = _attended_minutes(provider_id, month) if basis == calc.BASIS_ATTENDED_HOURS else {}
    today = clock.today()
    # December billed within December: lessons still ahead count as planned attendance.
    ahead = basis == calc.BASIS_ATTENDED_HOURS and today <= month_end(month)
    slots_of: dict[int, list[calc.Slot]] = {}
    rows = _open_months(provider_id, month).values_list(
        "pk",
        "contract_id",
        "certificate_kopecks",
        "reservation_id",
        "contract__group_id",
        "contract__starts_on",
        "contract__ends_on",
        "contract__status",
        "contract__ended_at",
    )
    count = planned = billed = 0
    batch: list[InvoiceLine] = []
    # Not a server-side cursor: PostgreSQL planned the cursor for a fast start and took
    # 4 s of 11 for one city; a provider's month is a few thousand rows at most.
    for pk, contract_id, amount, reservation_id, group_id, starts, ends, status, ended in rows:
        window = window_of(starts, ends, status, ended, month)
        slots = ()
        if needs_lessons:
            if group_id not in slots_of:
                slots_of[group_id] = month_slots(group_id, month)
            slots = slots_of[group_id]
        minutes = attended.get(contract_id, 0)
        if ahead and window is not None:
            minutes += sum(
                s.minutes
                for s in slots
                if not s.cancelled and s.day > today and window[0] <= s.day <= window[1]
            )
        result = calc.billed_amount(
            amount,
            basis=basis,
            rule=rule,
            month=month,
            window=window,
            lessons=slots,
            attended_minutes=minutes,
        )
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
    """Advance of the month (accepted) and the oldest unused overpayment, against billed."""
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

    A draft or rejected invoice is rebuilt; a submitted or accepted one is refused (409).
    An advance request of the month still waiting for the payer blocks the invoice; a draft
    one is withdrawn (the month is now billed in full).
    """
    month = month_start(month)
    _staff_only(actor, "billing.build_document", provider, provider.pk, "Сформировать счёт")
    period = _period_for(provider, month)
    refusal = _previous_open(period) or _too_early(period, month, clock.today())
    if refusal is not None:
        raise refusal
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
        period=period,
        basis=period.billing_basis,
        boundary_rule=period.boundary_month_rule,
    )
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
        municipality=provider.municipality,
        details={"billed_kopecks": billed, "lines": count},
    )
    return invoice


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
        f"Счёт за {month_label(locked.month)} отклонён",
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


@atomic_retry
def accept_invoice(*, actor, invoice: Invoice) -> Invoice:
    """The payer accepts: each line's reservation is posted for the billed amount (the rest
    returns to the certificate), and the advance and earlier overpayment are offset."""
    _settle_before_accepting(invoice)
    locked = _decide(
        actor, Invoice, invoice, accept=True, reason="", action="billing.invoice_accepted"
    )
    touched = _charge_lines(locked)
    _offset(locked)
    if locked.period.status == FinancingPeriod.Status.CLOSED:
        # What a closed period's reservation returned (billed for less) lapses at once.
        _lapse(
            locked.period,
            account_ids=ledger_selectors.debit_account_ids(touched),
            suffix=f":i{locked.pk}",
        )
    _notify_staff(
        locked.provider_id,
        f"Счёт за {month_label(locked.month)} принят",
        f"К перечислению {format_kopecks(locked.due_kopecks)} до {locked.pay_by:%d.%m.%Y}.",
        DETAIL_URL,
        locked.pk,
    )
    return locked
