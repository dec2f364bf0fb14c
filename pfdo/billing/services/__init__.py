"""Write use-cases of billing: lessons and attendance, advance requests, invoices, payments,
the month run and the period close. Money moves only through the ledger.

Locks: a document row (select_for_update) before the ledger's accounts; a payment locks
its document, so two payments cannot together exceed what is owed (the CHECK
`paid ≤ payable` is the backstop). Advance requests are unique per provider and month, invoices per provider, month and
sequence (supplementary invoices and corrections follow the month's invoice), and every
ledger transfer has a key derived from its cause, so repeats create nothing.

One module per use case; callers import the public names from here.
"""

from __future__ import annotations

from pfdo.billing.services._common import (
    advance_opens_on,
    decide_refusal,
    invoice_opens_on,
    rebuild_refusal,
    submit_refusal,
)
from pfdo.billing.services.advances import (
    accept_advance,
    advance_refusal,
    build_advance,
    reject_advance,
    submit_advance,
)
from pfdo.billing.services.corrections import build_correction, correction_refusal
from pfdo.billing.services.documents import ADVANCE, INVOICE, DocumentKind
from pfdo.billing.services.invoices import (
    accept_invoice,
    build_invoice,
    invoice_refusal,
    reject_invoice,
    submit_invoice,
    supplementary_refusal,
)
from pfdo.billing.services.jobs import (
    MONTH_RUN,
    PERIOD_CLOSE,
    closing_summary,
    month_run_result,
    period_close_result,
    start_month_run,
    start_period_close,
)
from pfdo.billing.services.journal import (
    cancel_lesson,
    ensure_lessons,
    mark_attendance,
    move_lesson,
    restore_lesson,
)
from pfdo.billing.services.month_run import RunResult, bill_month, check_month_run
from pfdo.billing.services.payments import payment_refusal, record_payment
from pfdo.billing.services.period_close import (
    ALREADY_CLOSED,
    close_period,
    close_refusal,
    continuations_offered,
)

__all__ = [
    "ADVANCE",
    "ALREADY_CLOSED",
    "INVOICE",
    "MONTH_RUN",
    "PERIOD_CLOSE",
    "DocumentKind",
    "RunResult",
    "accept_advance",
    "accept_invoice",
    "advance_opens_on",
    "advance_refusal",
    "bill_month",
    "build_advance",
    "build_correction",
    "build_invoice",
    "cancel_lesson",
    "check_month_run",
    "close_period",
    "close_refusal",
    "closing_summary",
    "continuations_offered",
    "correction_refusal",
    "decide_refusal",
    "ensure_lessons",
    "invoice_opens_on",
    "invoice_refusal",
    "mark_attendance",
    "month_run_result",
    "move_lesson",
    "payment_refusal",
    "period_close_result",
    "rebuild_refusal",
    "record_payment",
    "reject_advance",
    "reject_invoice",
    "restore_lesson",
    "start_month_run",
    "start_period_close",
    "submit_advance",
    "submit_invoice",
    "submit_refusal",
    "supplementary_refusal",
]
