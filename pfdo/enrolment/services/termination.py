"""Ending a contract early: by the parent, by the provider (expulsion) or by the operator;
the unbilled months' reservations return to the certificate."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from pfdo.common import clock
from pfdo.common.authz import can
from pfdo.common.errors import NotFound, ValidationFailed
from pfdo.common.money import format_kopecks
from pfdo.common.months import month_start
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment.models import Contract
from pfdo.enrolment.services import steps
from pfdo.enrolment.services._common import _contract_link, _lock_contract, _notify_parent
from pfdo.enrolment.services.waitlist import _end_application
from pfdo.ledger import selectors as ledger_selectors
from pfdo.ledger import services as ledger

# A month's invoice may charge a reservation while we release: read again, up to this often.
RELEASE_ATTEMPTS = 3

# Who may terminate, asked in this order, and how the contract then ends.
TERMINATION_PERMISSIONS = (
    ("enrolment.terminate_as_parent", Contract.TerminatedBy.PARENT),
    ("enrolment.terminate_as_provider", Contract.TerminatedBy.PROVIDER),
    ("enrolment.terminate_as_operator", Contract.TerminatedBy.OPERATOR),
)


def _release_reservations(contract: Contract, *, after: dt.date | None) -> int:
    """Void the month reservations not yet billed (months after `after`; all if None)."""
    months = contract.months.filter(reservation_id__isnull=False)
    if after is not None:
        months = months.filter(month__gt=month_start(after))
    pending_ids = list(months.values_list("reservation_id", flat=True))
    for attempt in range(RELEASE_ATTEMPTS):
        open_ids = ledger_selectors.unresolved_pending_ids(pending_ids)
        resolutions = [
            ledger.Resolution(
                key=f"release:{pk}",
                pending_id=pk,
                amount_kopecks=0,
                description=f"Возврат резерва по договору № {contract.number}",
            )
            for pk in pending_ids
            if pk in open_ids
        ]
        if not resolutions:
            return 0
        try:
            with transaction.atomic():
                ledger.post_pending_many(resolutions)
            break
        except ledger.AlreadyResolved:
            # The month's invoice was accepted meanwhile and charged one of them: what is
            # still open is read again.
            if attempt == RELEASE_ATTEMPTS - 1:
                raise
    return ledger_selectors.amount_of(r.pending_id for r in resolutions)


def _terminated_by(actor, contract: Contract) -> str:
    for permission, by in TERMINATION_PERMISSIONS:
        if can(actor, permission, contract):
            return by
    raise NotFound("Договор не найден.")


@atomic_retry
def terminate(*, actor, contract: Contract, reason: str = "") -> Contract:
    """End a contract early — the parent (one step), the provider (expulsion, reason required)
    or the operator (reason required). The unbilled reservation returns at once and the place
    goes to the waitlist."""
    certificate, locked = _lock_contract(contract.pk)
    by = _terminated_by(actor, locked)
    reason = (reason or "").strip()
    if by != Contract.TerminatedBy.PARENT and not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину расторжения."})
    if refusal := steps.terminate_refusal(locked):
        raise refusal
    today = clock.today()
    # The month in progress stays reserved for billing; a contract not begun releases all.
    released = _release_reservations(locked, after=None if today < locked.starts_on else today)
    locked.terminate(by=by, reason=reason or "по заявлению родителя")
    locked.save(update_fields=["status", "ended_at", "terminated_by", "termination_reason"])
    _end_application(
        actor,
        locked.application,
        locked.application.terminate,
        locked.termination_reason,
        "enrolment.contract_terminated",
    )
    _notify_parent(
        locked.application,
        f"Договор № {locked.number} расторгнут",
        f"{certificate.child.short_name}: договор расторгнут ({locked.get_terminated_by_display()}"
        f"{': ' + reason if reason else ''}). На сертификат возвращено "
        f"{format_kopecks(released)}.",
        link=_contract_link(locked),
    )
    return locked
