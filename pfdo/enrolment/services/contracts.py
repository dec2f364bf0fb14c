"""The parent's answer to a contract offer: accept (the money is reserved) or decline."""

from __future__ import annotations

from collections.abc import Callable

from pfdo.common.authz import authorize
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment.models import Contract
from pfdo.enrolment.services import steps
from pfdo.enrolment.services._common import _lock_contract, _notify_parent
from pfdo.enrolment.services.offers import _accept_locked
from pfdo.enrolment.services.waitlist import _end_application

CONTRACT_NOT_FOUND = "Договор не найден."


@atomic_retry
def accept(*, actor, contract: Contract, copay_kopecks: int | None = None) -> Contract:
    """The parent accepts the offer on the terms of today (`acceptance_terms`): the
    certificate part is reserved month by month.

    `copay_kopecks` is the family's co-payment the parent saw and agrees to; without it the
    offer's own. A recomputed co-payment that differs is refused (409 `terms_changed`, the new
    figures in the message) and nothing changes."""
    certificate, locked = _lock_contract(contract.pk)
    authorize(actor, "enrolment.accept", locked, hide=True, message=CONTRACT_NOT_FOUND)
    return _accept_locked(actor, certificate, locked, agreed_copay_kopecks=copay_kopecks)


def _end_offer(
    actor,
    contract: Contract,
    end_contract: Callable[[], None],
    end_application: Callable[[str], None],
    action: str,
    reason: str = "",
) -> None:
    """An offer ends unaccepted (the transitions given, bound to the contract and its
    application; `reason` kept on the application): the place goes to the waitlist."""
    end_contract()
    contract.save(update_fields=["status", "ended_at"])
    _end_application(actor, contract.application, end_application, reason, action)


@atomic_retry
def decline(*, actor, contract: Contract) -> Contract:
    """The parent declines the offer: nothing is reserved, the place goes to the next."""
    certificate, locked = _lock_contract(contract.pk)
    authorize(actor, "enrolment.accept", locked, hide=True, message=CONTRACT_NOT_FOUND)
    if refusal := steps.decline_refusal(locked):
        raise refusal
    _end_offer(
        actor, locked, locked.decline, locked.application.decline, "enrolment.contract_declined"
    )
    _notify_parent(
        locked.application,
        f"Вы отказались от договора № {locked.number}",
        f"{certificate.child.short_name}: договор не заключён, место в группе освобождено.",
    )
    return locked
