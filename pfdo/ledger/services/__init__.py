"""Write use-cases of the ledger: open accounts, transfer, reserve, post or void, in bulk too.

Every function is one `transaction.atomic()` (a savepoint inside a caller's transaction):
a refusal leaves nothing written. Account rows are locked in ascending id order, the one
lock order of the ledger, and every total changes by a conditional
`UPDATE … SET x = x + d WHERE available >= need`, with CHECK constraints behind it.
`accounts` opens accounts, `transfers` moves money one transfer at a time, `bulk` in
batches; `_common` holds what they share.
"""

from pfdo.ledger.errors import AlreadyResolved, InsufficientFunds, KeyReused
from pfdo.ledger.models import account_key
from pfdo.ledger.services._common import CHUNK
from pfdo.ledger.services.accounts import ensure_accounts, get_account
from pfdo.ledger.services.bulk import (
    Entry,
    Resolution,
    post_many,
    post_many_with_ids,
    post_pending_many,
)
from pfdo.ledger.services.transfers import post_pending, transfer, void_pending

__all__ = [
    "CHUNK",
    "AlreadyResolved",
    "Entry",
    "InsufficientFunds",
    "KeyReused",
    "Resolution",
    "account_key",
    "ensure_accounts",
    "get_account",
    "post_many",
    "post_many_with_ids",
    "post_pending",
    "post_pending_many",
    "transfer",
    "void_pending",
]
