"""Decisions on an application: the provider confirms or rejects it, the parent withdraws it
or confirms an in-person enrolment in the cabinet (with the code, on the spot: codes.py)."""

from __future__ import annotations

from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.authz import authorize
from pfdo.common.errors import ValidationFailed
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.services import steps
from pfdo.enrolment.services._common import (
    _lock_application,
    _notify_parent,
    _refuse,
)
from pfdo.enrolment.services.offers import _offer
from pfdo.enrolment.services.waitlist import _end_application

APPLICATION_NOT_FOUND = "Заявка не найдена."


def _ensure_staff(actor, application: Application) -> None:
    """Only the staff of the application's provider decide; to anyone else it is not there."""
    authorize(actor, "enrolment.decide", application, hide=True, message=APPLICATION_NOT_FOUND)


def _ensure_guardian(actor, application: Application) -> None:
    authorize(actor, "enrolment.accept", application, hide=True, message=APPLICATION_NOT_FOUND)


def _decided(application: Application) -> None:
    application.decided_at = clock.now()
    application.save(update_fields=["decided_at"])


@atomic_retry
def confirm(*, actor, application: Application) -> Contract:
    """The provider confirms an application: the contract is offered to the parent."""
    certificate, locked = _lock_application(application.pk)
    _ensure_staff(actor, locked)
    if refusal := steps.confirm_refusal(locked):
        raise refusal
    if certificate.status != Certificate.Status.ACTIVE:
        raise _refuse("certificate_not_active", f"Сертификат {certificate.get_status_display()}.")
    _decided(locked)
    return _offer(actor, certificate, locked)


@atomic_retry
def reject(*, actor, application: Application, reason: str) -> Application:
    """The provider refuses an application, saying why; its place goes to the waitlist."""
    certificate, locked = _lock_application(application.pk)
    _ensure_staff(actor, locked)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину отказа."})
    if refusal := steps.reject_refusal(locked):
        raise refusal
    _decided(locked)
    _end_application(actor, locked, locked.reject, reason, "enrolment.rejected")
    _notify_parent(
        locked,
        "Заявка отклонена",
        f"{certificate.child.short_name}: поставщик отклонил заявку. Причина: {reason}",
    )
    return locked


@atomic_retry
def cancel(*, actor, application: Application) -> Application:
    """The parent withdraws an application that has no contract yet."""
    certificate, locked = _lock_application(application.pk)
    _ensure_guardian(actor, locked)
    if refusal := steps.cancel_refusal(locked):
        raise refusal
    _end_application(actor, locked, locked.cancel, "", "enrolment.cancelled")
    _notify_parent(locked, "Заявка отозвана", f"{certificate.child.short_name}: заявка отозвана.")
    return locked


@atomic_retry
def confirm_by_parent(*, actor, application: Application) -> Contract:
    """The parent confirms an in-person enrolment: the contract is offered at once. The
    cabinet needs no code, so it stays open when the code was voided by wrong guesses."""
    certificate, locked = _lock_application(application.pk)
    _ensure_guardian(actor, locked)
    if refusal := steps.confirmation_refusal(locked):
        raise refusal
    return _offer(actor, certificate, locked)
