"""Turning an accounting certificate into a financing one: requests, the queue, withdrawal."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse
from django_fsm import can_proceed

from pfdo.accounts import services as accounts
from pfdo.audit import services as audit
from pfdo.certificates import selectors
from pfdo.certificates.models import Certificate, SwitchRequest
from pfdo.certificates.services._common import _lock_certificate
from pfdo.certificates.services.nominals import _financing_place, _grant
from pfdo.common import clock
from pfdo.common.authz import authorize
from pfdo.common.errors import Conflict
from pfdo.common.transactions import atomic_retry

NOT_FOUND = "Сертификат не найден."
WAITING_ALREADY = "Запрос на перевод уже подан и ожидает места в квоте."


def switch_refusal(certificate: Certificate) -> Conflict | None:
    """Why a switch to financing cannot be asked for now (None: it can); pages show it."""
    if certificate.is_financing:
        return Conflict("Это уже сертификат финансирования.", code="already_financing")
    if certificate.status != Certificate.Status.ACTIVE:
        return Conflict(f"Сертификат {certificate.get_status_display()}: перевод невозможен.")
    if certificate.switch_requests.filter(status=SwitchRequest.Status.WAITING).exists():
        return Conflict(WAITING_ALREADY, code="already_waiting")
    return None


@atomic_retry
def request_switch(*, actor, certificate: Certificate) -> SwitchRequest:
    """A parent asks for a financing certificate; fulfilled at once if the quota has room."""
    locked = _lock_certificate(certificate)
    authorize(actor, "certificates.request_switch", locked, hide=True, message=NOT_FOUND)
    refusal = switch_refusal(locked)
    if refusal is not None:
        raise refusal
    try:
        with transaction.atomic():
            request = SwitchRequest.objects.create(
                certificate=locked, municipality=locked.municipality
            )
    except IntegrityError as exc:
        # Two requests at once: the one-waiting-request constraint lets one through.
        raise Conflict(WAITING_ALREADY, code="already_waiting") from exc
    audit.record(
        actor=actor,
        action="certificates.switch_requested",
        obj=locked,
        municipality=locked.municipality,
    )
    fulfil_switch_requests(actor=actor, municipality=locked.municipality)
    request.refresh_from_db()
    if request.status == SwitchRequest.Status.WAITING:
        for guardian in locked.child.guardians.all():
            accounts.notify(
                user=guardian,
                subject="Запрос на перевод принят",
                body=f"Сертификат № {locked.number}: мест в квоте сейчас нет. Запрос в очереди; "
                "мы сообщим, когда место освободится.",
                link=reverse("family:certificate", args=[locked.pk]),
            )
    return request


@atomic_retry
def fulfil_switch_requests(*, actor, municipality) -> int:
    """Turn waiting requests into financing certificates, oldest first, while the period's
    quota and budget allow. Called wherever a place may free up: cancellation, expiry, the
    period's start, a raised quota or budget, a new request."""
    done = 0
    today = clock.today()
    for request in selectors.waiting_switches(municipality).select_related("certificate"):
        certificate = _lock_certificate(request.certificate)
        period, reason = _financing_place(
            municipality, wants=True, today=today, child=certificate.child, queued=True
        )
        if period is None:
            # The oldest request waits for the next place; no younger one jumps it.
            break
        # Locked after its certificate (the one lock order); a run that waited for these
        # locks finds the request already decided and leaves it.
        request = SwitchRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        if not can_proceed(request.fulfil):
            continue
        if certificate.status != Certificate.Status.ACTIVE or certificate.is_financing:
            request.reject(reason="Сертификат не действует или уже финансирования.")
            request.save(update_fields=["status", "reason", "decided_at"])
            continue
        certificate.type = Certificate.Type.FINANCING
        certificate.type_reason = (
            "Переведён в сертификат финансирования по запросу родителя: " + reason
        )
        certificate.save(update_fields=["type", "type_reason"])
        _grant(actor=actor, certificate=certificate, period=period, on=today)
        request.fulfil()
        request.save(update_fields=["status", "decided_at"])
        audit.record(
            actor=actor,
            action="certificates.switched_to_financing",
            obj=certificate,
            municipality=municipality,
        )
        for guardian in certificate.child.guardians.all():
            accounts.notify(
                user=guardian,
                subject="Сертификат переведён в сертификат финансирования",
                body=f"{certificate.child.short_name}: сертификат № {certificate.number} теперь "
                "сертификат финансирования; номинал начислен.",
                link=reverse("family:certificate", args=[certificate.pk]),
            )
        done += 1
    return done


@atomic_retry
def withdraw_switch(*, actor, request: SwitchRequest) -> SwitchRequest:
    """The parent (or an official) takes a waiting request back."""
    locked = (
        SwitchRequest.objects.select_for_update(of=("self",))
        .select_related("certificate")
        .get(pk=request.pk)
    )
    authorize(
        actor, "certificates.request_switch", locked.certificate, hide=True, message=NOT_FOUND
    )
    if not can_proceed(locked.withdraw):
        raise Conflict("Запрос уже не ожидает.")
    locked.withdraw()
    locked.save(update_fields=["status", "decided_at"])
    return locked
