"""Batches: many transfers, reservations or resolutions in one statement per few thousand.

A batch is one `transaction.atomic()`: its accounts are locked in ascending id order, the
rows go in with `bulk_create`, and the four totals of every account change in a few
set-based conditional UPDATEs (_common.apply), so the seed of a whole region and a month
run over all its contracts cost a handful of statements per batch and still cannot take an
account below zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import transaction

from pfdo.common import clock
from pfdo.common.errors import ValidationFailed
from pfdo.ledger.errors import AlreadyResolved, KeyReused
from pfdo.ledger.models import Transfer
from pfdo.ledger.services._common import (
    CHUNK,
    Deltas,
    Kind,
    Phase,
    add_monthly,
    apply,
    check_amount,
    check_key,
    check_kind,
    chunks,
    lock_accounts,
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One transfer of a batch for `post_many`; accounts by id, so batches need no objects."""

    key: str
    kind: str
    debit_id: int
    credit_id: int
    amount_kopecks: int
    description: str = ""
    ref_type: str = ""
    ref_id: int | None = None
    # When the cause happened, for a batch that records past events in their order (the
    # demo's seed); None: now.
    at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """Posting (amount > 0) or voiding (amount 0) of one reservation, for `post_pending_many`."""

    key: str
    pending_id: int
    amount_kopecks: int
    description: str = ""


def post_many(entries: Iterable[Entry], *, pending: bool = False) -> int:
    """Post (or reserve) a batch of transfers at once; returns how many were new.

    Entries whose key already exists are skipped (the same parameters) or refused
    (KeyReused). One overspent account rolls back the whole batch (InsufficientFunds).
    Pass batches of up to some tens of thousands: the batch is held in memory.
    """
    created, _ = _post(entries, pending=pending)
    return len(created)


def post_many_with_ids(entries: Iterable[Entry], *, pending: bool = False) -> dict[str, int]:
    """As post_many; returns key → transfer id of every entry, new or there before."""
    created, existing = _post(entries, pending=pending)
    return {**existing, **{row.key: row.pk for row in created}}


def _post(entries: Iterable[Entry], *, pending: bool) -> tuple[list[Transfer], dict[str, int]]:
    """The transfers created, and key → id of those that were there before."""
    phase = Phase.PENDING if pending else Phase.POSTED
    batch = _unique_entries(entries)
    existing: dict[str, int] = {}
    if not batch:
        return [], existing
    with transaction.atomic():
        municipality_of = lock_accounts(
            {e.debit_id for e in batch.values()} | {e.credit_id for e in batch.values()}
        )
        for e in batch.values():
            if municipality_of[e.debit_id] != municipality_of[e.credit_id]:
                raise ValidationFailed("Перевод между счетами разных муниципалитетов невозможен.")
        for key, signature, pk in _existing_signatures(batch):
            e = batch.pop(key)
            if signature != (e.kind, e.debit_id, e.credit_id, e.amount_kopecks, phase, None):
                raise KeyReused(f"Ключ «{key}» уже использован для другой проводки.")
            existing[key] = pk
        if not batch:
            return [], existing
        now = clock.now()
        deltas = Deltas()
        rows = []
        for e in batch.values():
            deltas.add_transfer(e.debit_id, e.credit_id, e.amount_kopecks, pending=pending)
            rows.append(
                Transfer(
                    key=e.key,
                    kind=e.kind,
                    phase=phase,
                    debit_account_id=e.debit_id,
                    credit_account_id=e.credit_id,
                    amount_kopecks=e.amount_kopecks,
                    description=e.description,
                    ref_type=e.ref_type,
                    ref_id=e.ref_id,
                    created_at=e.at or now,
                )
            )
        Transfer.objects.bulk_create(rows, batch_size=CHUNK)
        apply(deltas)
        add_monthly(rows)
    return rows, existing


def post_pending_many(resolutions: Iterable[Resolution], *, kind: str = Kind.CHARGE) -> int:
    """Post or void a batch of reservations (amount 0 voids); returns how many were new.

    A repeat of a key with the same reservation and amount is skipped; a reservation
    already resolved under another key refuses the whole batch (AlreadyResolved), so a
    caller re-reads the open reservations and tries again.
    """
    check_kind(kind)
    items: dict[str, Resolution] = {}
    for r in resolutions:
        check_key(r.key)
        if isinstance(r.amount_kopecks, bool) or not isinstance(r.amount_kopecks, int):
            raise ValidationFailed("Сумма должна быть целым числом копеек.")
        if r.key in items:
            if items[r.key] != r:
                raise KeyReused(f"Ключ «{r.key}» повторён в пакете с другими параметрами.")
            continue
        items[r.key] = r
    if not items:
        return 0
    by_pending: dict[int, Resolution] = {}
    for r in items.values():
        if r.pending_id in by_pending:
            raise AlreadyResolved(f"Резерв {r.pending_id} указан в пакете дважды.")
        by_pending[r.pending_id] = r

    with transaction.atomic():
        pendings: dict[int, Transfer] = {}
        for chunk in chunks(sorted(by_pending)):
            pendings.update(Transfer.objects.filter(pk__in=chunk).in_bulk())
        for pending_id, r in by_pending.items():
            p = pendings.get(pending_id)
            if p is None or p.phase != Phase.PENDING:
                raise ValidationFailed(f"Проводка {pending_id} — не резерв.")
            if not 0 <= r.amount_kopecks <= p.amount_kopecks:
                raise ValidationFailed(f"Списать по резерву {pending_id} можно от 0 до его суммы.")
        lock_accounts(
            {p.debit_account_id for p in pendings.values()}
            | {p.credit_account_id for p in pendings.values()}
        )

        def wanted(r: Resolution) -> tuple:
            p = pendings[r.pending_id]
            if r.amount_kopecks == 0:
                return (
                    Kind.RELEASE,
                    p.debit_account_id,
                    p.credit_account_id,
                    p.amount_kopecks,
                    Phase.VOID_PENDING,
                    p.pk,
                )
            return (
                kind,
                p.debit_account_id,
                p.credit_account_id,
                r.amount_kopecks,
                Phase.POST_PENDING,
                p.pk,
            )

        for key, signature, _pk in _existing_signatures(items):
            r = items.pop(key)
            del by_pending[r.pending_id]
            if signature != wanted(r):
                raise KeyReused(f"Ключ «{key}» уже использован для другой проводки.")
        for chunk in chunks(sorted(by_pending)):
            if Transfer.objects.filter(pending_id__in=chunk).exists():
                raise AlreadyResolved()
        if not items:
            return 0

        now = clock.now()
        deltas = Deltas()
        rows = []
        for r in items.values():
            p = pendings[r.pending_id]
            k, debit_id, credit_id, amount, phase, _ = wanted(r)
            deltas.add_resolution(
                debit_id,
                credit_id,
                reserved=p.amount_kopecks,
                posted=r.amount_kopecks,
            )
            rows.append(
                Transfer(
                    key=r.key,
                    kind=k,
                    phase=phase,
                    debit_account_id=debit_id,
                    credit_account_id=credit_id,
                    amount_kopecks=amount,
                    pending_id=p.pk,
                    description=r.description,
                    ref_type=p.ref_type,
                    ref_id=p.ref_id,
                    created_at=now,
                )
            )
        Transfer.objects.bulk_create(rows, batch_size=CHUNK)
        apply(deltas)
        add_monthly(rows, {r.pending_id: pendings[r.pending_id].amount_kopecks for r in rows})
    return len(rows)


def _unique_entries(entries: Iterable[Entry]) -> dict[str, Entry]:
    batch: dict[str, Entry] = {}
    for e in entries:
        check_key(e.key)
        check_kind(e.kind)
        check_amount(e.amount_kopecks)
        if e.debit_id == e.credit_id:
            raise ValidationFailed(f"Проводка «{e.key}»: счета списания и зачисления совпадают.")
        if e.key in batch:
            if batch[e.key] != e:
                raise KeyReused(f"Ключ «{e.key}» повторён в пакете с другими параметрами.")
            continue
        batch[e.key] = e
    return batch


def _existing_signatures(batch: dict[str, object]) -> Iterator[tuple[str, tuple, int]]:
    """(key, signature, id) of the transfers that already exist under keys of `batch`."""
    fields = (
        "kind",
        "debit_account_id",
        "credit_account_id",
        "amount_kopecks",
        "phase",
        "pending_id",
    )
    found = []
    for chunk in chunks(list(batch)):
        found.extend(Transfer.objects.filter(key__in=chunk).values_list("key", "pk", *fields))
    for key, pk, *signature in found:
        yield key, tuple(signature), pk
