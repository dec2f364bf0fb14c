"""Short transactions that retry on PostgreSQL's deadlock or serialization failure."""

from __future__ import annotations

import functools

from django.db import OperationalError, connection, transaction

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock
ATTEMPTS = 3


def is_retryable(exc: OperationalError) -> bool:
    cause = getattr(exc, "__cause__", None)
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return sqlstate in RETRYABLE_SQLSTATES


def atomic_retry(fn):
    """One transaction; a deadlock or serialization failure is retried (ATTEMPTS in all).

    Inside a caller's transaction there is nothing to retry: the error goes up, and the
    outermost service that owns the transaction retries the whole of it.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(ATTEMPTS):
            try:
                with transaction.atomic():
                    return fn(*args, **kwargs)
            except OperationalError as exc:
                if connection.in_atomic_block or attempt == ATTEMPTS - 1 or not is_retryable(exc):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper
