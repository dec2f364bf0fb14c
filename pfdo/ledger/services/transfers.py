"""One transfer at a time: move, reserve, post a reservation (perhaps for less) or void it.

Each function is one `transaction.atomic()` (a savepoint inside a caller's transaction): a
refusal leaves nothing written.
"""

from __future__ import annotations

from django.db import transaction

from pfdo.common.errors import ValidationFailed
from pfdo.ledger.errors import AlreadyResolved
from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.services._common import (
    Deltas,
    Kind,
    Phase,
    add_monthly,
    apply,
    check_amount,
    check_key,
    check_kind,
    insert,
    lock_accounts,
    repeat,
)


def transfer(
    *,
    key: str,
    kind: str,
    debit: Account,
    credit: Account,
    amount_kopecks: int,
    description: str = "",
    ref_type: str = "",
    ref_id: int | None = None,
    pending: bool = False,
) -> Transfer:
    """Move `amount_kopecks` from `debit` to `credit` (or reserve it, `pending=True`).

    Idempotent by `key`: a repeat with the same parameters returns the first transfer and
    changes nothing; the same key with other parameters raises KeyReused.
    """
    check_key(key)
    check_kind(kind)
    check_amount(amount_kopecks)
    if debit.pk == credit.pk:
        raise ValidationFailed("Счета списания и зачисления совпадают.")
    if debit.municipality_id != credit.municipality_id:
        raise ValidationFailed("Перевод между счетами разных муниципалитетов невозможен.")
    phase = Phase.PENDING if pending else Phase.POSTED
    wanted = (kind, debit.pk, credit.pk, amount_kopecks, phase, None)

    with transaction.atomic():
        existing = Transfer.objects.filter(key=key).first()
        if existing is not None:
            return repeat(existing, wanted)
        lock_accounts([debit.pk, credit.pk])
        row = Transfer(
            key=key,
            kind=kind,
            phase=phase,
            debit_account_id=debit.pk,
            credit_account_id=credit.pk,
            amount_kopecks=amount_kopecks,
            description=description,
            ref_type=ref_type,
            ref_id=ref_id,
        )
        created = insert(row)
        if created is not row:
            return repeat(created, wanted)
        deltas = Deltas()
        deltas.add_transfer(debit.pk, credit.pk, amount_kopecks, pending=pending)
        apply(deltas)
        add_monthly([row])
    return row


def post_pending(
    *,
    key: str,
    pending: Transfer,
    amount_kopecks: int | None = None,
    description: str = "",
    kind: str = Kind.CHARGE,
) -> Transfer:
    """Post a reservation for `amount_kopecks` (default: all of it); the rest returns.

    0 means nothing is charged: the reservation is voided and the void transfer returned.
    """
    amount = pending.amount_kopecks if amount_kopecks is None else amount_kopecks
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationFailed("Сумма должна быть целым числом копеек.")
    if not 0 <= amount <= pending.amount_kopecks:
        raise ValidationFailed(
            "Списать можно не больше зарезервированного.",
            fields={"amount_kopecks": "Сумма — от 0 до суммы резерва."},
        )
    if amount == 0:
        return void_pending(key=key, pending=pending, description=description)
    check_kind(kind)
    return _resolve(
        key=key,
        pending=pending,
        amount=amount,
        phase=Phase.POST_PENDING,
        kind=kind,
        text=description,
    )


def void_pending(*, key: str, pending: Transfer, description: str = "") -> Transfer:
    """Cancel a reservation: its whole amount becomes available to the debit account again."""
    return _resolve(
        key=key,
        pending=pending,
        amount=pending.amount_kopecks,
        phase=Phase.VOID_PENDING,
        kind=Kind.RELEASE,
        text=description,
    )


def _resolve(
    *, key: str, pending: Transfer, amount: int, phase: str, kind: str, text: str
) -> Transfer:
    check_key(key)
    # The caller's object may be stale or made up: the stored row decides.
    pending = Transfer.objects.filter(pk=pending.pk).first() if pending.pk else None
    if pending is None or pending.phase != Phase.PENDING:
        raise ValidationFailed("Списать или вернуть можно только резерв.")
    wanted = (kind, pending.debit_account_id, pending.credit_account_id, amount, phase, pending.pk)

    with transaction.atomic():
        existing = Transfer.objects.filter(key=key).first()
        if existing is not None:
            return repeat(existing, wanted)
        lock_accounts([pending.debit_account_id, pending.credit_account_id])
        if Transfer.objects.filter(pending_id=pending.pk).exists():
            raise AlreadyResolved()
        row = Transfer(
            key=key,
            kind=kind,
            phase=phase,
            debit_account_id=pending.debit_account_id,
            credit_account_id=pending.credit_account_id,
            amount_kopecks=amount,
            pending_id=pending.pk,
            description=text,
            # The resolution answers the same cause, so statements and look-ups by cause
            # find both halves.
            ref_type=pending.ref_type,
            ref_id=pending.ref_id,
        )
        created = insert(row)
        if created is not row:
            return repeat(created, wanted)
        deltas = Deltas()
        deltas.add_resolution(
            pending.debit_account_id,
            pending.credit_account_id,
            reserved=pending.amount_kopecks,
            posted=amount if phase == Phase.POST_PENDING else 0,
        )
        apply(deltas)
        add_monthly([row], {pending.pk: pending.amount_kopecks})
    return row
