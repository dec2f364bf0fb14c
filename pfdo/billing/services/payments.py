"""Payments: a payment order against an accepted advance request or invoice, up to what is
owed, recorded with its ledger transfer."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F

from pfdo.audit import services as audit
from pfdo.billing.models import AdvanceRequest, Invoice, Payment
from pfdo.billing.services._common import (
    AccountKind,
    Status,
    TransferKind,
    _account,
    _lock_document,
    _payer_only,
)
from pfdo.common import clock
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.money import format_kopecks
from pfdo.common.months import month_label
from pfdo.common.transactions import atomic_retry
from pfdo.ledger import services as ledger

__all__ = ["payment_refusal", "record_payment"]


def _not_accepted(document) -> Conflict | None:
    if document.status == Status.ACCEPTED:
        return None
    return Conflict(
        f"Оплатить можно только принятый документ: он {document.get_status_display()}.",
        code="not_accepted",
    )


def payment_refusal(document: AdvanceRequest | Invoice) -> Conflict | None:
    """Why no payment can be recorded against the document now, or None."""
    refusal = _not_accepted(document)
    if refusal is None and document.payable_kopecks - document.paid_kopecks <= 0:
        refusal = Conflict("Документ оплачен полностью.", code="paid_in_full")
    return refusal


def _payment_errors(order_number: str, paid_on: dt.date | None, amount_kopecks) -> dict:
    errors: dict[str, str] = {}
    if not order_number:
        errors["order_number"] = "Укажите номер платёжного поручения."
    if paid_on is None:
        errors["paid_on"] = "Укажите дату платежа."
    elif paid_on > clock.today():
        errors["paid_on"] = "Дата платежа не может быть в будущем."
    if isinstance(amount_kopecks, bool) or not isinstance(amount_kopecks, int):
        errors["amount_kopecks"] = "Сумма — целое число копеек."
    elif amount_kopecks <= 0:
        errors["amount_kopecks"] = "Сумма платежа должна быть больше нуля."
    return errors


@atomic_retry
def record_payment(
    *,
    actor,
    document: AdvanceRequest | Invoice,
    order_number: str,
    paid_on: dt.date,
    amount_kopecks: int,
) -> Payment:
    """A payment order against an accepted advance request or invoice, up to what is owed."""
    model = type(document)
    locked = _lock_document(model, document.pk)
    _payer_only(actor, locked)
    order_number = (order_number or "").strip()
    errors = _payment_errors(order_number, paid_on, amount_kopecks)
    if errors:
        raise ValidationFailed(fields=errors)
    refusal = _not_accepted(locked)
    if refusal is not None:
        raise refusal
    # A document paid in full answers `overpayment` below, with what is left (nothing).
    owed = locked.payable_kopecks - locked.paid_kopecks
    if amount_kopecks > owed:
        raise ValidationFailed(
            f"Сумма платежа {format_kopecks(amount_kopecks)} больше задолженности "
            f"{format_kopecks(owed)}.",
            code="overpayment",
            fields={"amount_kopecks": f"Осталось оплатить {format_kopecks(owed)}."},
        )
    is_invoice = model is Invoice
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                provider_id=locked.provider_id,
                municipality_id=locked.municipality_id,
                invoice=locked if is_invoice else None,
                advance=None if is_invoice else locked,
                order_number=order_number,
                paid_on=paid_on,
                amount_kopecks=amount_kopecks,
                recorded_by=actor,
            )
    except IntegrityError:
        # The order is already recorded: another row refuses it (409), not the value.
        message = "Платёжное поручение с таким номером и датой уже записано."
        raise Conflict(message, code="duplicate_order", fields={"order_number": message}) from None
    period = locked.period
    kind = AccountKind.PROVIDER if is_invoice else AccountKind.ADVANCE
    what = "счёту" if is_invoice else "заявке на аванс"
    row = ledger.transfer(
        key=f"pay:y{payment.pk}",
        kind=TransferKind.PAY,
        debit=_account(kind, period, locked.provider_id),
        credit=_account(AccountKind.PAID, period, locked.provider_id),
        amount_kopecks=amount_kopecks,
        description=f"П/п № {order_number} от {paid_on:%d.%m.%Y} по {what} за "
        f"{month_label(locked.month)}",
        ref_type="payment",
        ref_id=payment.pk,
    )
    Payment.objects.filter(pk=payment.pk).update(transfer_id=row.pk)
    payment.transfer_id = row.pk
    # The row is locked; the CHECK paid ≤ payable is the backstop.
    model.objects.filter(pk=locked.pk).update(paid_kopecks=F("paid_kopecks") + amount_kopecks)
    audit.record(
        actor=actor,
        action="billing.payment_recorded",
        obj=locked,
        municipality=locked.municipality,
        details={"order": order_number, "amount_kopecks": amount_kopecks},
    )
    return payment
