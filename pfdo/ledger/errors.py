"""Errors of the ledger: refusals a caller can show, and the append-only guard."""

from __future__ import annotations

from django.db.models import Model

from pfdo.common.errors import Conflict


class InsufficientFunds(Conflict):
    """A transfer would take an account's available balance below zero; nothing was written.

    `account` is the ledger Account that lacks the money (typed loosely: the models import
    this module).
    """

    code = "insufficient_funds"
    status = 409
    default_message = "Недостаточно средств на счёте."

    def __init__(
        self,
        message: str | None = None,
        *,
        account: Model | None = None,
        shortfall_kopecks: int | None = None,
        **kwargs,
    ) -> None:
        super().__init__(message, **kwargs)
        self.account = account
        self.shortfall_kopecks = shortfall_kopecks


class KeyReused(Conflict):
    """An idempotency key already names a transfer with other parameters."""

    code = "idempotency_key_reused"
    status = 409
    default_message = "Ключ операции уже использован для другой проводки."


class AlreadyResolved(Conflict):
    """A reservation was already posted or voided (under another key)."""

    code = "already_resolved"
    status = 409
    default_message = "Резерв уже списан или возвращён."


class AppendOnlyViolation(PermissionError):
    """Code tried to change or delete a transfer: corrections are new transfers."""

    def __init__(self, what: str = "change") -> None:
        super().__init__(
            f"ledger transfers are append-only: refusing to {what} one; post a correcting transfer"
        )
