"""What every write use-case of the ledger shares: checks, the lock order, and the totals.

Account rows are locked in ascending id order, the one lock order of the ledger, and every
total changes by a conditional `UPDATE … SET x = x + d WHERE available >= need`, with CHECK
constraints behind it. Private to pfdo.ledger.services.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from pfdo.common.errors import ValidationFailed
from pfdo.ledger.errors import AlreadyResolved, InsufficientFunds, KeyReused
from pfdo.ledger.models import OVERDRAFT_KINDS, Account, Transfer, monthly_side

Kind = Transfer.Kind
Phase = Transfer.Phase

# A technical bound (BigInteger totals must never overflow), not a business rule.
MAX_AMOUNT_KOPECKS = 10**15
# Rows per IN (…) list: well under SQLite's limit of bound variables.
CHUNK = 900

TOTALS = (
    "debits_posted_kopecks",
    "credits_posted_kopecks",
    "debits_pending_kopecks",
    "credits_pending_kopecks",
)


# ---------------------------------------------------------------------------- checks


def check_key(key: object) -> None:
    if not isinstance(key, str) or not key.strip():
        raise ValidationFailed("У проводки должен быть ключ идемпотентности.")
    if len(key) > 200:
        raise ValidationFailed("Ключ проводки — не длиннее 200 символов.")


def check_kind(kind: object) -> None:
    if kind not in Kind.values:
        raise ValidationFailed(f"Неизвестный вид операции: {kind!r}.")


def check_amount(amount: object) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise ValidationFailed(
            "Сумма должна быть целым числом копеек.", fields={"amount_kopecks": "Целое число."}
        )
    if not 0 < amount <= MAX_AMOUNT_KOPECKS:
        raise ValidationFailed(
            "Сумма перевода должна быть больше нуля.",
            fields={"amount_kopecks": "Сумма — положительное число копеек."},
        )


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------------------- rows


def signature(t: Transfer) -> tuple:
    return (
        t.kind,
        t.debit_account_id,
        t.credit_account_id,
        t.amount_kopecks,
        t.phase,
        t.pending_id,
    )


def repeat(existing: Transfer, wanted: tuple) -> Transfer:
    if signature(existing) != wanted:
        raise KeyReused()
    return existing


def insert(row: Transfer) -> Transfer:
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


def lock_accounts(account_ids: Iterable[int]) -> dict[int, int]:
    """Lock the accounts in ascending id order; returns their municipality ids.

    One lock order for every service of the ledger, so two transfers over the same
    accounts wait for each other instead of deadlocking.
    """
    ids = sorted(set(account_ids))
    municipality_of: dict[int, int] = {}
    for chunk in chunks(ids):
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


# ---------------------------------------------------------------------------- totals


class Deltas:
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


# One statement adds a whole list of changes, each row guarded by its own condition: the
# account's available balance (posted credits less posted and pending debits) must cover
# what the change takes from it, unless the account may go into overdraft. The CHECK
# constraints of Account stand behind the condition.
# (A VALUES list in FROM names its columns column1… on PostgreSQL and SQLite alike; a
# statement opening with WITH would hide its row count from SQLite's driver.)
_ADD_TOTALS = """
UPDATE ledger_account
SET debits_posted_kopecks = ledger_account.debits_posted_kopecks + v.column2,
    credits_posted_kopecks = ledger_account.credits_posted_kopecks + v.column3,
    debits_pending_kopecks = ledger_account.debits_pending_kopecks + v.column4,
    credits_pending_kopecks = ledger_account.credits_pending_kopecks + v.column5
FROM (VALUES {rows}) AS v
WHERE ledger_account.id = v.column1
  AND (v.column6 <= 0
       OR ledger_account.kind IN ({overdraft})
       OR ledger_account.credits_posted_kopecks
          >= ledger_account.debits_posted_kopecks + ledger_account.debits_pending_kopecks
             + v.column6)
RETURNING ledger_account.id
"""
# Accounts per statement: the numbers go in as literals (integers the ledger computed, never
# text from outside), so SQLite's limit of 999 bound variables does not cut the list short.
ROWS_PER_UPDATE = 1_000


def apply(deltas: Deltas) -> None:
    """Add the deltas to the totals; InsufficientFunds if any account would go below zero.

    Set-based: one UPDATE joined to a list of (account, four changes, need) per thousand
    accounts, however different their changes, so a batch of a hundred thousand
    reservations costs a hundred statements. Every account of the batch is locked already
    (lock_accounts); accounts go in ascending id order.
    """
    changes = sorted((pk, c) for pk, c in deltas.by_account.items() if any(c))
    overdraft = ", ".join(f"'{kind}'" for kind in sorted(OVERDRAFT_KINDS))
    for part in chunks(changes, ROWS_PER_UPDATE):
        rows = ", ".join(
            # need: how much the account's available balance shrinks
            "({:d}, {:d}, {:d}, {:d}, {:d}, {:d})".format(pk, *c, c[0] + c[2] - c[1])
            for pk, c in part
        )
        statement = _ADD_TOTALS.format(rows=rows, overdraft=overdraft)
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement)
                updated = {pk for (pk,) in cursor.fetchall()}
        except IntegrityError as exc:
            # A CHECK constraint refused what the condition let through (the caller's
            # atomic block rolls the batch back).
            raise InsufficientFunds() from exc
        if len(updated) != len(part):
            raise _shortfall([(pk, c) for pk, c in part if pk not in updated])


def _shortfall(refused: Sequence[tuple[int, list[int]]]) -> InsufficientFunds:
    """The first refused account (by id), with what it lacks; its totals are unchanged."""
    pk, change = refused[0]
    account = Account.objects.filter(pk=pk).first()
    if account is None:
        return InsufficientFunds()
    need = change[0] + change[2] - change[1]
    return InsufficientFunds(account=account, shortfall_kopecks=need - account.available_kopecks)


# ---------------------------------------------------------------------------- monthly totals

_ADD_MONTHLY = """
INSERT INTO ledger_monthlytotal
    (account_id, month, kind, phase, amount_kopecks, resolved_kopecks, transfers)
VALUES {rows}
ON CONFLICT (account_id, month, kind, phase) DO UPDATE SET
    amount_kopecks = ledger_monthlytotal.amount_kopecks + excluded.amount_kopecks,
    resolved_kopecks = ledger_monthlytotal.resolved_kopecks + excluded.resolved_kopecks,
    transfers = ledger_monthlytotal.transfers + excluded.transfers
"""
# Rows per statement: 7 bound values each, well under SQLite's 999.
MONTHLY_ROWS = 100


def local_month(moment) -> str:
    """The first day of the local month of `moment`, as ISO text."""
    return timezone.localtime(moment).date().replace(day=1).isoformat()


def add_monthly(rows: Sequence[Transfer], reserved: dict[int, int] | None = None) -> None:
    """Add new transfers to the monthly totals (`reserved`: pending id → its amount, for
    resolutions). Called inside the transaction that inserted them, after their accounts were
    locked; the totals are upserted in a fixed order."""
    if not rows:
        return
    reserved = reserved or {}
    ids = sorted({t.credit_account_id for t in rows})
    kinds: dict[int, str] = {}
    for chunk in chunks(ids):
        kinds.update(Account.objects.filter(pk__in=chunk).values_list("pk", "kind"))
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for t in rows:
        side = monthly_side(kinds[t.credit_account_id])
        account = t.debit_account_id if side == "debit" else t.credit_account_id
        total = totals[(account, local_month(t.created_at), t.kind, t.phase)]
        total[0] += t.amount_kopecks
        total[1] += reserved.get(t.pending_id, 0) if t.pending_id else 0
        total[2] += 1
    items = sorted(totals.items())
    with connection.cursor() as cursor:
        for part in chunks(items, MONTHLY_ROWS):
            params: list = []
            for (account, month, kind, phase), (amount, resolved, count) in part:
                params += [account, month, kind, phase, amount, resolved, count]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(part))
            cursor.execute(_ADD_MONTHLY.format(rows=values), params)
