"""What may be done next with an application or a contract, and if not, why.

Each function returns the refusal the service raises (None when the step is open), so a page
that must say why a step is unavailable shows the service's own reason. The state part is
the transitions declared on the models (`can_proceed`).
"""

from __future__ import annotations

from django_fsm import can_proceed

from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.enrolment.models import Application, Contract
from pfdo.providers import services as providers

Status = Application.Status


def _application_refusal(application: Application, what: str) -> Conflict:
    return Conflict(f"Заявка {application.get_status_display()}: {what}.")


def confirm_refusal(application: Application) -> Conflict | None:
    """The provider confirms only a new application (an in-person one waits for the parent),
    and only while it is in the registry (not needs-check or excluded)."""
    if application.status != Status.NEW:
        return _application_refusal(application, "подтвердить её нельзя")
    return providers.enrolment_refusal(application.provider)


def reject_refusal(application: Application) -> Conflict | None:
    if not can_proceed(application.reject):
        return _application_refusal(application, "отклонить её нельзя")
    return None


def cancel_refusal(application: Application) -> Conflict | None:
    if not can_proceed(application.cancel):
        return _application_refusal(application, "отозвать её нельзя")
    return None


def confirmation_refusal(application: Application) -> Conflict | None:
    """An in-person enrolment waits for the parent's confirmation (in the cabinet or by code)."""
    if application.status != Status.AWAITING_PARENT:
        return _application_refusal(application, "подтверждение не требуется")
    return providers.enrolment_refusal(application.provider)


CODE_VOID = "confirmation_code_void"


def code_refusal(application: Application) -> Conflict | None:
    """Staff confirm with the parent's code only while the application waits for the parent
    and its code still works (services/codes.py voids it after too many wrong codes)."""
    if refusal := confirmation_refusal(application):
        return refusal
    if application.code_voided_at is not None:
        return Conflict(
            "Код подтверждения больше не действует: его слишком много раз ввели неверно. "
            "Родитель должен подтвердить запись в своём личном кабинете.",
            code=CODE_VOID,
        )
    if not application.confirm_code_hash:
        return Conflict(
            "Для этой заявки нет кода подтверждения: родитель подтверждает запись в своём "
            "личном кабинете.",
            code="no_confirmation_code",
        )
    return None


def offer_expired(contract: Contract) -> bool:
    """The offer's time to accept is over (the timed job ends it soon after)."""
    return contract.offer_expires_at <= clock.now()


def accept_refusal(contract: Contract) -> Conflict | None:
    if not can_proceed(contract.accept):
        return Conflict(
            f"Договор {contract.get_status_display()}: принять его нельзя.", code="not_offered"
        )
    if offer_expired(contract):
        return Conflict("Срок принятия договора истёк.", code="offer_expired")
    # A provider sent for a check or excluded after its offer signs nothing (domain.md §4).
    return providers.enrolment_refusal(contract.provider)


def decline_refusal(contract: Contract) -> Conflict | None:
    if not can_proceed(contract.decline):
        return Conflict(f"Договор {contract.get_status_display()}: отказаться от него нельзя.")
    return None


def terminate_refusal(contract: Contract) -> Conflict | None:
    if not can_proceed(contract.terminate):
        return Conflict(
            f"Договор {contract.get_status_display()}: расторгнуть можно только действующий.",
            code="not_active",
        )
    return None
