"""Write use-cases of the ledger: open accounts, transfer, reserve, post or void, in bulk too.

Every function here is one `transaction.atomic()` (a savepoint inside a caller's
transaction): a refusal leaves nothing written. Account rows are locked in ascending id
order, the one lock order of the ledger, and every total changes by a conditional
`UPDATE … SET x = x + d WHERE available >= need`, with CHECK constraints behind it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from pfdo.common import clock
from pfdo.common.errors import ValidationFailed
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger.errors import AlreadyResolved, InsufficientFunds, KeyReused
from pfdo.ledger.models import OVERDRAFT_KINDS, Account, Transfer, account_key
from pfdo.territory.models import Municipality

__all__ = [
    "AlreadyResolved",
    "Entry",
    "InsufficientFunds",
    "KeyReused",
    "Resolution",
    "account_key",
    "ensure_accounts",
    "get_account",
    "post_many",
    "post_pending",
    "post_pending_many",
    "transfer",
    "void_pending",
]

Kind = Transfer.Kind
Phase = Transfer.Phase

# A technical bound (BigInteger totals must never overflow), not a business rule.
MAX_AMOUNT_KOPECKS = 10**15
# Rows per IN (…) list: well under SQLite's limit of bound variables.
CHUNK = 900

_TOTALS = (
    "debits_posted_kopecks",
    "credits_posted_kopecks",
    "debits_pending_kopecks",
    "credits_pending_kopecks",
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


@dataclass(frozen=True, slots=True)
class Resolution:
    """Posting (amount > 0) or voiding (amount 0) of one reservation, for `post_pending_many`."""

    key: str
    pending_id: int
    amount_kopecks: int
    description: str = ""


# ---------------------------------------------------------------------------- accounts


def get_account(
    *,
    kind: str,
    municipality: Municipality,
    period: FinancingPeriod | None = None,
    holder_id: int | None = None,
) -> Account:
    """The account of that kind, municipality, period and holder; opened on first use."""
    _check_period(municipality, period)
    try:
        key = account_key(
            kind,
            municipality_id=municipality.pk,
            period_id=period.pk if period else None,
            holder_id=holder_id,
        )
    except ValueError as exc:
        raise ValidationFailed(f"Неверные реквизиты счёта: {exc}.") from exc
    account = Account.objects.filter(key=key).first()
    if account is not None:
        return account
    try:
        # Its own savepoint: a concurrent first use may win the unique key.
        with transaction.atomic():
            return Account.objects.create(
                key=key, kind=kind, municipality=municipality, period=period, holder_id=holder_id
            )
    except IntegrityError:
        return Account.objects.get(key=key)


def ensure_accounts(
    *, kind: str, period: FinancingPeriod, holder_ids: Iterable[int]
) -> dict[int, Account]:
    """The accounts of many holders in one period (e.g. every certificate), opened in bulk."""
    wanted: dict[str, int] = {}
    for holder_id in holder_ids:
        try:
            key = account_key(
                kind,
                municipality_id=period.municipality_id,
                period_id=period.pk,
                holder_id=holder_id,
            )
        except ValueError as exc:
            raise ValidationFailed(f"Неверные реквизиты счёта: {exc}.") from exc
        wanted[key] = holder_id
    with transaction.atomic():
        found = _accounts_by_key(wanted)
        missing = [k for k in wanted if k not in found]
        if missing:
            now = clock.now()
            # A concurrent opener may have created some meanwhile: skip those, re-read all.
            Account.objects.bulk_create(
                [
                    Account(
                        key=k,
                        kind=kind,
                        municipality_id=period.municipality_id,
                        period=period,
                        holder_id=wanted[k],
                        created_at=now,
                    )
                    for k in missing
                ],
                batch_size=CHUNK,
                ignore_conflicts=True,
            )
            found.update(_accounts_by_key(missing))
    return {wanted[k]: account for k, account in found.items()}


def _accounts_by_key(keys: Iterable[str]) -> dict[str, Account]:
    found: dict[str, Account] = {}
    for chunk in _chunks(list(keys)):
        found.update({a.key: a for a in Account.objects.filter(key__in=chunk)})
    return found


def _check_period(municipality: Municipality, period: FinancingPeriod | None) -> None:
    if period is not None and period.municipality_id != municipality.pk:
        raise ValidationFailed("Период финансирования относится к другому муниципалитету.")


# ---------------------------------------------------------------------------- one transfer


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
    _check_key(key)
    _check_kind(kind)
    _check_amount(amount_kopecks)
    if debit.pk == credit.pk:
        raise ValidationFailed("Счета списания и зачисления совпадают.")
    if debit.municipality_id != credit.municipality_id:
        raise ValidationFailed("Перевод между счетами разных муниципалитетов невозможен.")
    phase = Phase.PENDING if pending else Phase.POSTED
    wanted = (kind, debit.pk, credit.pk, amount_kopecks, phase, None)

    with transaction.atomic():
        existing = Transfer.objects.filter(key=key).first()
        if existing is not None:
            return _repeat(existing, wanted)
        _lock_accounts([debit.pk, credit.pk])
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
        created = _insert(row)
        if created is not row:
            return _repeat(created, wanted)
        deltas = _Deltas()
        deltas.add_transfer(debit.pk, credit.pk, amount_kopecks, pending=pending)
        _apply(deltas)
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
    _check_kind(kind)
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
    _check_key(key)
    # The caller's object may be stale or made up: the stored row decides.
    pending = Transfer.objects.filter(pk=pending.pk).first() if pending.pk else None
    if pending is None or pending.phase != Phase.PENDING:
        raise ValidationFailed("Списать или вернуть можно только резерв.")
    wanted = (kind, pending.debit_account_id, pending.credit_account_id, amount, phase, pending.pk)

    with transaction.atomic():
        existing = Transfer.objects.filter(key=key).first()
        if existing is not None:
            return _repeat(existing, wanted)
        _lock_accounts([pending.debit_account_id, pending.credit_account_id])
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
        created = _insert(row)
        if created is not row:
            return _repeat(created, wanted)
        deltas = _Deltas()
        deltas.add_resolution(
            pending.debit_account_id,
            pending.credit_account_id,
            reserved=pending.amount_kopecks,
            posted=amount if phase == Phase.POST_PENDING else 0,
        )
        _apply(deltas)
    return row


def _insert(row: Transfer) -> Transfer:
    """Insert `row`; if its key or its reservation was taken meanwhile, the row that won."""
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        winner = Transfer.objects.filter(key=row.key).first()
        if winner is not None:
            return winner
        if row.pending_id and Transfer.objects.filter(pending_id=row.pending_id).exists():
            raise AlreadyResolved() from None
        raise
    return row


def _signature(t: Transfer) -> tuple:
    return (
        t.kind,
        t.debit_account_id,
        t.credit_account_id,
        t.amount_kopecks,
        t.phase,
        t.pending_id,
    )


def _repeat(existing: Transfer, wanted: tuple) -> Transfer:
    if _signature(existing) != wanted:
        raise KeyReused()
    return existing


# ---------------------------------------------------------------------------- batches


def post_many(entries: Iterable[Entry], *, pending: bool = False) -> int:
    """Post (or reserve) a batch of transfers at once; returns how many were new.

    Entries whose key already exists are skipped (the same parameters) or refused
    (KeyReused). One overspent account rolls back the whole batch (InsufficientFunds).
    Pass batches of a few thousand: the batch is held in memory.
    """
    phase = Phase.PENDING if pending else Phase.POSTED
    batch = _unique_entries(entries)
    if not batch:
        return 0
    with transaction.atomic():
        municipality_of = _lock_accounts(
            {e.debit_id for e in batch.values()} | {e.credit_id for e in batch.values()}
        )
        for e in batch.values():
            if municipality_of[e.debit_id] != municipality_of[e.credit_id]:
                raise ValidationFailed("Перевод между счетами разных муниципалитетов невозможен.")
        for key, signature in _existing_signatures(batch):
            e = batch.pop(key)
            if signature != (e.kind, e.debit_id, e.credit_id, e.amount_kopecks, phase, None):
                raise KeyReused(f"Ключ «{key}» уже использован для другой проводки.")
        if not batch:
            return 0
        now = clock.now()
        deltas = _Deltas()
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
                    created_at=now,
                )
            )
        Transfer.objects.bulk_create(rows, batch_size=CHUNK)
        _apply(deltas)
    return len(rows)


def post_pending_many(resolutions: Iterable[Resolution], *, kind: str = Kind.CHARGE) -> int:
    """Post or void a batch of reservations (amount 0 voids); returns how many were new.

    A repeat of a key with the same reservation and amount is skipped; a reservation
    already resolved under another key refuses the whole batch (AlreadyResolved), so a
    caller re-reads the open reservations and tries again.
    """
    _check_kind(kind)
    items: dict[str, Resolution] = {}
    for r in resolutions:
        _check_key(r.key)
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
        for chunk in _chunks(sorted(by_pending)):
            pendings.update(Transfer.objects.filter(pk__in=chunk).in_bulk())
        for pending_id, r in by_pending.items():
            p = pendings.get(pending_id)
            if p is None or p.phase != Phase.PENDING:
                raise ValidationFailed(f"Проводка {pending_id} — не резерв.")
            if not 0 <= r.amount_kopecks <= p.amount_kopecks:
                raise ValidationFailed(f"Списать по резерву {pending_id} можно от 0 до его суммы.")
        _lock_accounts(
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

        for key, signature in _existing_signatures(items):
            r = items.pop(key)
            del by_pending[r.pending_id]
            if signature != wanted(r):
                raise KeyReused(f"Ключ «{key}» уже использован для другой проводки.")
        for chunk in _chunks(sorted(by_pending)):
            if Transfer.objects.filter(pending_id__in=chunk).exists():
                raise AlreadyResolved()
        if not items:
            return 0

        now = clock.now()
        deltas = _Deltas()
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
        _apply(deltas)
    return len(rows)


def _unique_entries(entries: Iterable[Entry]) -> dict[str, Entry]:
    batch: dict[str, Entry] = {}
    for e in entries:
        _check_key(e.key)
        _check_kind(e.kind)
        _check_amount(e.amount_kopecks)
        if e.debit_id == e.credit_id:
            raise ValidationFailed(f"Проводка «{e.key}»: счета списания и зачисления совпадают.")
        if e.key in batch:
            if batch[e.key] != e:
                raise KeyReused(f"Ключ «{e.key}» повторён в пакете с другими параметрами.")
            continue
        batch[e.key] = e
    return batch


def _existing_signatures(batch: dict[str, object]) -> Iterator[tuple[str, tuple]]:
    """(key, signature) of the transfers that already exist under keys of `batch`."""
    fields = (
        "kind",
        "debit_account_id",
        "credit_account_id",
        "amount_kopecks",
        "phase",
        "pending_id",
    )
    found = []
    for chunk in _chunks(list(batch)):
        found.extend(Transfer.objects.filter(key__in=chunk).values_list("key", *fields))
    for key, *signature in found:
        yield key, tuple(signature)


# ---------------------------------------------------------------------------- totals


class _Deltas:
    """Changes of the four totals per account, summed over a batch."""

    def __init__(self) -> None:
        self.by_account: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])

    def add_transfer(self, debit_id: int, credit_id: int, amount: int, *, pending: bool) -> None:
        offset = 2 if pending else 0
        self.by_account[debit_id][offset] += amount
        self.by_account[credit_id][offset + 1] += amount

    def add_resolution(self, debit_id: int, credit_id: int, *, reserved: int, posted: int) -> None:
        debit, credit = self.by_account[debit_id], self.by_account[credit_id]
        debit[2] -= reserved
        credit[3] -= reserved
        debit[0] += posted
        credit[1] += posted


def _apply(deltas: _Deltas) -> None:
    """Add the deltas to the totals; InsufficientFunds if any account would go below zero.

    Accounts with the same change (a grant of one nominal to ten thousand certificates)
    share one UPDATE, so a large batch costs a handful of statements.
    """
    groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for account_id, change in deltas.by_account.items():
        if any(change):
            groups[tuple(change)].append(account_id)
    for change, account_ids in groups.items():
        # How much the available balance shrinks: posted and pending debits less credits.
        need = change[0] + change[2] - change[1]
        values = {field: F(field) + d for field, d in zip(_TOTALS, change, strict=True) if d}
        for chunk in _chunks(sorted(account_ids)):
            rows = Account.objects.filter(pk__in=chunk)
            if need > 0:
                rows = rows.filter(_can_give(need))
            try:
                with transaction.atomic():
                    updated = rows.update(**values)
            except IntegrityError as exc:
                # A CHECK constraint refused what the condition let through.
                raise InsufficientFunds() from exc
            if updated != len(chunk):
                raise _shortfall(chunk, need)


def _can_give(need: int) -> Q:
    return Q(kind__in=sorted(OVERDRAFT_KINDS)) | Q(
        credits_posted_kopecks__gte=F("debits_posted_kopecks") + F("debits_pending_kopecks") + need
    )


def _shortfall(account_ids: Sequence[int], need: int) -> InsufficientFunds:
    poor = (
        Account.objects.filter(pk__in=account_ids).exclude(_can_give(need)).order_by("pk").first()
    )
    if poor is None:
        return InsufficientFunds()
    return InsufficientFunds(account=poor, shortfall_kopecks=need - poor.available_kopecks)


def _lock_accounts(account_ids: Iterable[int]) -> dict[int, int]:
    """Lock the accounts in ascending id order; returns their municipality ids.

    One lock order for every service of the ledger, so two transfers over the same
    accounts wait for each other instead of deadlocking.
    """
    ids = sorted(set(account_ids))
    municipality_of: dict[int, int] = {}
    for chunk in _chunks(ids):
        municipality_of.update(
            Account.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", "municipality_id")
        )
    if len(municipality_of) != len(ids):
        missing = sorted(set(ids) - set(municipality_of))
        raise ValidationFailed(f"Счета не найдены: {', '.join(map(str, missing[:10]))}.")
    return municipality_of


# ---------------------------------------------------------------------------- checks


def _check_key(key: object) -> None:
    if not isinstance(key, str) or not key.strip():
        raise ValidationFailed("У проводки должен быть ключ идемпотентности.")
    if len(key) > 200:
        raise ValidationFailed("Ключ проводки — не длиннее 200 символов.")


def _check_kind(kind: object) -> None:
    if kind not in Kind.values:
        raise ValidationFailed(f"Неизвестный вид операции: {kind!r}.")


def _check_amount(amount: object) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationFailed(
            "Сумма должна быть целым числом копеек.", fields={"amount_kopecks": "Целое число."}
        )
    if not 0 < amount <= MAX_AMOUNT_KOPECKS:
        raise ValidationFailed(
            "Сумма перевода должна быть больше нуля.",
            fields={"amount_kopecks": "Сумма — положительное число копеек."},
        )


def _chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
