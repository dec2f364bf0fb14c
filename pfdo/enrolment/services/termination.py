"""Ending a contract: early by the parent, by the provider (expulsion) or by the operator
(also when its certificate ends or its provider is excluded), or at its end date; the unbilled
months' reservations return to the certificate."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from pfdo.audit import services as audit
from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.authz import can
from pfdo.common.errors import NotFound, ValidationFailed
from pfdo.common.money import format_kopecks
from pfdo.common.months import month_start
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment.models import Contract
from pfdo.enrolment.services import steps
from pfdo.enrolment.services._common import (
    _contract_link,
    _free_seat,
    _lock_contract,
    _notify_parent,
    _notify_provider,
    _save_status,
    rating_form_path,
)
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


def ended_at_of(last_day: dt.date) -> dt.datetime:
    """The moment stored as the end of a contract whose last day in force is `last_day`:
    now when that is today, else the last second of that day (billing reads its date)."""
    if last_day == clock.today():
        return clock.now()
    return timezone.make_aware(dt.datetime.combine(last_day, dt.time(23, 59, 59)))


def _terminate_locked(
    actor,
    certificate: Certificate,
    contract: Contract,
    *,
    by: str,
    reason: str,
    last_day: dt.date,
    tell_provider: bool = False,
) -> int:
    """Terminate a locked active contract whose last day in force is `last_day` — today, or
    a day already past (a certificate's `valid_until` when the expiry job runs late, an
    exclusion's date); callers never pass a later day, they wait for it.

    The month of `last_day` stays reserved for billing up to that day; later months are
    released (all of them when the contract had not begun). Returns the amount released.
    """
    released = _release_reservations(
        contract, after=None if last_day < contract.starts_on else last_day
    )
    contract.terminate(by=by, reason=reason, ended_at=ended_at_of(last_day))
    contract.save(update_fields=["status", "ended_at", "terminated_by", "termination_reason"])
    _end_application(
        actor,
        contract.application,
        contract.application.terminate,
        contract.termination_reason,
        "enrolment.contract_terminated",
    )
    where = (
        "они снова доступны на сертификате"
        if certificate.status in Certificate.LIVE
        else "сертификат больше не действует, средства возвращены в бюджет"
    )
    _notify_parent(
        contract.application,
        f"Договор № {contract.number} расторгнут",
        f"{certificate.child.short_name}: договор расторгнут ({contract.get_terminated_by_display()}"
        f"{': ' + reason if reason else ''}), последний день — {last_day:%d.%m.%Y}. Снят резерв "
        f"неоплаченных месяцев: {format_kopecks(released)}; {where}.",
        link=_contract_link(contract),
    )
    if tell_provider:
        _notify_provider(
            contract,
            f"Договор № {contract.number} расторгнут",
            f"Договор № {contract.number} ({certificate.child.short_name}) расторгнут: {reason}. "
            f"Последний день — {last_day:%d.%m.%Y}; месяцы после него не оплачиваются.",
        )
    return released


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
    _terminate_locked(
        actor,
        certificate,
        locked,
        by=by,
        reason=reason or "по заявлению родителя",
        last_day=clock.today(),
    )
    return locked


def _complete_locked(certificate: Certificate, contract: Contract) -> None:
    """A locked active contract whose end date has passed completes: months after it are
    released, its place freed."""
    _release_reservations(contract, after=contract.ends_on)
    contract.complete()
    contract.save(update_fields=["status", "ended_at"])
    contract.application.complete()
    _save_status(contract.application)
    _free_seat(contract.group_id)
    audit.record(
        actor=None,
        action="enrolment.contract_completed",
        obj=contract,
        municipality=contract.municipality,
    )
    _notify_parent(
        contract.application,
        f"Договор № {contract.number} завершён",
        f"{certificate.child.short_name}: обучение по договору завершено. Оцените программу в "
        "личном кабинете.",
        link=rating_form_path(contract),
    )
