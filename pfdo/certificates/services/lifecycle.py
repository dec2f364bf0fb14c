"""A certificate's status: suspended, reactivated, cancelled, expired at 18."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django_fsm import can_proceed

from pfdo.accounts import services as accounts
from pfdo.audit import services as audit
from pfdo.certificates.models import Certificate
from pfdo.certificates.services._common import _ensure_manager, _lock_certificate
from pfdo.certificates.services.switching import fulfil_switch_requests
from pfdo.common import clock
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.hooks import Hook
from pfdo.common.transactions import atomic_retry
from pfdo.ledger import services as ledger
from pfdo.ledger.selectors import AccountKind, TransferKind, certificate_accounts_of

# A certificate that ends ends its contracts on the same day (domain.md §4). Contracts live
# in enrolment, above this app: enrolment connects its handler here in its AppConfig.ready().
# Called with `actor`, `certificate` (locked, its ended status saved), `on` (the certificate's
# last day: the cancellation's date, or `valid_until` at expiry) and `reason` (what the family
# and the provider are told), before the unreserved money returns to the budget, so the
# months the contracts release return with it.
certificate_ending = Hook(
    "certificates.certificate_ending", "A certificate was cancelled or expired: end its contracts."
)


def _save_status(certificate: Certificate) -> None:
    certificate.save(update_fields=["status", "status_reason", "status_changed_at"])


def _end(actor, certificate: Certificate, *, on: dt.date, reason: str) -> None:
    """The certificate's ended status is stored, then what hangs on it ends (hooks)."""
    _save_status(certificate)
    certificate_ending.send(actor=actor, certificate=certificate, on=on, reason=reason)


def _announce(actor, certificate: Certificate, action: str) -> None:
    """Save the status a transition just set, record it and tell the child's representatives."""
    _save_status(certificate)
    reason = certificate.status_reason
    audit.record(
        actor=actor,
        action=action,
        obj=certificate,
        municipality=certificate.municipality,
        details={"status": certificate.status, "reason": reason},
    )
    for guardian in certificate.child.guardians.all():
        accounts.notify(
            user=guardian,
            subject=f"Сертификат № {certificate.number}: {certificate.get_status_display()}",
            body=f"{certificate.child.short_name}: сертификат {certificate.get_status_display()}."
            + (f" Причина: {reason}" if reason else ""),
            link=reverse("family:certificate", args=[certificate.pk]),
        )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину."})
    return reason[:300]


@atomic_retry
def suspend_certificate(*, actor, certificate: Certificate, reason: str) -> Certificate:
    locked = _lock_certificate(certificate)
    _ensure_manager(actor, locked.municipality)
    reason = _reason(reason)
    if not can_proceed(locked.suspend):
        raise Conflict(
            f"Приостановить можно только действующий сертификат; он {locked.get_status_display()}."
        )
    locked.suspend(reason=reason)
    _announce(actor, locked, "certificates.suspended")
    return locked


@atomic_retry
def reactivate_certificate(*, actor, certificate: Certificate, reason: str = "") -> Certificate:
    locked = _lock_certificate(certificate)
    _ensure_manager(actor, locked.municipality)
    if not can_proceed(locked.reactivate):
        raise Conflict(
            f"Возобновить можно только приостановленный сертификат; он {locked.get_status_display()}."
        )
    if locked.valid_until < clock.today():
        raise Conflict("Ребёнку исполнилось 18 лет: сертификат не возобновляется.")
    locked.reactivate(reason=(reason or "").strip()[:300])
    _announce(actor, locked, "certificates.reactivated")
    return locked


def return_key(kind: str, period_id: int, certificate_id: int) -> str:
    """The idempotency key of a certificate's unreserved money returned to a period's budget."""
    return f"{kind}:p{period_id}:c{certificate_id}"


def cancellation_text(reason: str) -> str:
    """What the family's statement says of the money returned at a cancellation."""
    return f"Возврат в бюджет: сертификат аннулирован ({reason})"


def _return_balances(actor, certificate: Certificate, kind: str, why: str) -> int:
    """Give the certificate's unreserved money back to each period's budget."""
    returned = 0
    for account in certificate_accounts_of(certificate.pk).order_by("pk"):
        available = account.available_kopecks
        if available <= 0:
            continue
        budget = ledger.get_account(
            kind=AccountKind.BUDGET, municipality=account.municipality, period=account.period
        )
        ledger.transfer(
            key=return_key(kind, account.period_id, certificate.pk),
            kind=kind,
            debit=account,
            credit=budget,
            amount_kopecks=available,
            description=why,
            ref_type="certificate",
            ref_id=certificate.pk,
        )
        returned += available
    return returned


@atomic_retry
def cancel_certificate(*, actor, certificate: Certificate, reason: str) -> Certificate:
    """Cancel (duplicate, moved away, request): its contracts end today (`certificate_ending`)
    and the unreserved balance, with what they release, returns to the budget.

    The place in the quota frees up, so the first waiting switch request is fulfilled.
    """
    locked = _lock_certificate(certificate)
    _ensure_manager(actor, locked.municipality)
    reason = _reason(reason)
    if not can_proceed(locked.cancel):
        raise Conflict(f"Сертификат уже {locked.get_status_display()}.")
    locked.cancel(reason=reason)
    _end(
        actor,
        locked,
        on=clock.today(),
        reason=f"сертификат № {locked.number} аннулирован: {reason}",
    )
    _return_balances(actor, locked, TransferKind.REVOKE, cancellation_text(reason))
    _announce(actor, locked, "certificates.cancelled")
    if locked.is_financing:
        fulfil_switch_requests(actor=actor, municipality=locked.municipality)
    return locked


@atomic_retry
def expire_certificates(*, actor=None, today: dt.date | None = None) -> int:
    """Certificates of children who turned 18: expired, their contracts ended on the last
    valid day (`valid_until`, even when the job runs late), unreserved money back to the budget.
    A re-run finds nothing left to do."""
    today = today or clock.today()
    done = 0
    for certificate in Certificate.objects.filter(
        status__in=Certificate.LIVE, valid_until__lt=today
    ).order_by("pk"):
        locked = _lock_certificate(certificate)
        if not can_proceed(locked.expire):
            continue
        locked.expire(reason="Ребёнку исполнилось 18 лет")
        _end(
            actor,
            locked,
            on=locked.valid_until,
            reason=f"сертификат № {locked.number} истёк: ребёнку исполнилось 18 лет",
        )
        _return_balances(
            actor, locked, TransferKind.REVOKE, "Возврат в бюджет: ребёнку исполнилось 18 лет"
        )
        _announce(actor, locked, "certificates.expired")
        if locked.is_financing:
            # The freed place goes to the oldest waiting switch request (as at cancellation).
            fulfil_switch_requests(actor=actor, municipality=locked.municipality)
        done += 1
    return done
