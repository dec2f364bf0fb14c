"""Re-key the stored keyed hashes of children's СНИЛС and documents (and the enrolment check's
hash of the name and the document's last digits) after PFDO_PD_HASH_KEY changes.

A keyed hash cannot be converted from one key to another: only the raw value can be hashed
again. The raw СНИЛС and document number are stored on the child's card (`Child.snils`,
`Child.document_number`, for the operator), so every child's hashes are recomputed from them
with the key in force now; the old key is not needed. The card's history keeps the hashes it
had at each change but not the raw numbers (they are excluded from history): a history hash
that equals the card's hash before the re-key is replaced with the card's new one; one of a
former number cannot be recomputed and is cleared — under a retired key it matches nothing,
and an HMAC of a short number under a key that may leak is better not kept.

Only the children's table and its history hold these hashes: imports hash the uploaded file
when it is checked and again when it is imported, and applications point at the child.
"""

from __future__ import annotations

from dataclasses import dataclass

from pfdo.audit import services as audit
from pfdo.certificates.models import Child
from pfdo.certificates.validators import child_check_hash, pd_hash
from pfdo.common.transactions import atomic_retry
from pfdo.territory.models import Municipality

_CHUNK = 2_000
# What the hashes are computed from, and the hashes: the duplicate search's two and the
# public enrolment check's (surname, first name, last 4 digits of the document).
_CARD_FIELDS = ("pk", "snils", "document_number", "last_name", "first_name")
_HASHES = ("snils_hash", "document_hash", "check_hash")


@dataclass(frozen=True, slots=True)
class Rekeyed:
    children: int
    children_changed: int
    history_rows: int
    history_changed: int
    history_cleared: int


@atomic_retry
def rekey_pd_hashes(*, actor=None, dry_run: bool = False) -> Rekeyed:
    """Recompute every stored СНИЛС/document/enrolment-check hash with the current key; one
    transaction.

    Idempotent: a second run with the same key changes nothing (and audits nothing). Every municipality row is
    locked first, the lock applications take, so no application files a hash meanwhile.
    `dry_run` counts what would change and writes nothing.
    """
    list(Municipality.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    renamed: dict[str, str] = {}  # old hash → new hash, for the history rows
    children = children_changed = 0
    changed: list[Child] = []
    rows = Child.objects.select_for_update().order_by("pk")
    for child in rows.only(*_CARD_FIELDS, *_HASHES):
        children += 1
        snils_hash = pd_hash("snils", child.snils)
        document_hash = pd_hash("document", child.document_number)
        check_hash = child_check_hash(child)
        renamed[child.snils_hash] = snils_hash
        renamed[child.document_hash] = document_hash
        if (child.snils_hash, child.document_hash, child.check_hash) != (
            snils_hash,
            document_hash,
            check_hash,
        ):
            child.snils_hash, child.document_hash = snils_hash, document_hash
            child.check_hash = check_hash
            changed.append(child)
            children_changed += 1
            if len(changed) >= _CHUNK and not dry_run:
                Child.objects.bulk_update(changed, list(_HASHES))
                changed = []
    if changed and not dry_run:
        Child.objects.bulk_update(changed, list(_HASHES))

    history = Child.history.model
    history_rows = history_changed = history_cleared = 0
    stale: list = []
    for row in (
        history.objects.order_by("pk")
        .only("pk", "snils_hash", "document_hash")
        .iterator(chunk_size=_CHUNK)
    ):
        history_rows += 1
        new = (renamed.get(row.snils_hash, ""), renamed.get(row.document_hash, ""))
        if new == (row.snils_hash, row.document_hash):
            continue
        if "" in new and (row.snils_hash or row.document_hash):
            history_cleared += 1
        else:
            history_changed += 1
        row.snils_hash, row.document_hash = new
        stale.append(row)
        if len(stale) >= _CHUNK and not dry_run:
            history.objects.bulk_update(stale, ["snils_hash", "document_hash"])
            stale = []
    if stale and not dry_run:
        history.objects.bulk_update(stale, ["snils_hash", "document_hash"])

    result = Rekeyed(children, children_changed, history_rows, history_changed, history_cleared)
    if not dry_run and (children_changed or history_changed or history_cleared):
        audit.record(
            actor=actor,
            action="certificates.pd_hashes_rekeyed",
            details={
                "children": children,
                "children_changed": children_changed,
                "history_changed": history_changed,
                "history_cleared": history_cleared,
            },
        )
    return result
