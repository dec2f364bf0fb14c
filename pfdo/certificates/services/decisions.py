"""The operator's decision on an application: documents verified, rejected, or the issue."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django_fsm import can_proceed

from pfdo.accounts import services as accounts
from pfdo.accounts.roles import Role
from pfdo.audit import services as audit
from pfdo.certificates.models import (
    Certificate,
    CertificateApplication,
    NumberSequence,
    eighteenth_birthday,
)
from pfdo.certificates.services._common import Issued, _ensure_manager, _lock_application
from pfdo.certificates.services.nominals import _financing_place, _grant
from pfdo.certificates.services.switching import fulfil_switch_requests
from pfdo.common import clock
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.transactions import atomic_retry
from pfdo.financing.selectors import current_period


@atomic_retry
def verify_application(*, actor, application: CertificateApplication) -> CertificateApplication:
    """The operator has checked the documents; the application waits for the decision."""
    locked = _lock_application(application)
    _ensure_manager(actor, locked.municipality)
    if not can_proceed(locked.verify):
        raise Conflict(f"Заявление уже {locked.get_status_display()}.")
    locked.verify()
    locked.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="certificates.application_verified",
        obj=locked,
        municipality=locked.municipality,
    )
    return locked


@atomic_retry
def reject_application(
    *, actor, application: CertificateApplication, reason: str
) -> CertificateApplication:
    """The operator refuses, with the reason the parent is told."""
    locked = _lock_application(application)
    _ensure_manager(actor, locked.municipality)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину отказа."})
    if not can_proceed(locked.reject):
        raise Conflict(f"Заявление уже {locked.get_status_display()}.")
    locked.reject(reason=reason, by=actor)
    locked.save(update_fields=["status", "reason", "decided_at", "decided_by"])
    audit.record(
        actor=actor,
        action="certificates.application_rejected",
        obj=locked,
        municipality=locked.municipality,
        details={"reason": reason},
    )
    accounts.notify(
        user=locked.parent,
        subject="Заявление на сертификат отклонено",
        body=f"{locked.child.short_name}: заявление отклонено. Причина: {reason}",
        link=reverse("accounts:home_parent"),
    )
    return locked


def _next_number(municipality) -> str:
    okato = municipality.region.okato
    if not (okato and okato.isdigit() and len(okato) == 2):
        raise Conflict("У региона не указан двузначный код: номер сертификата не составить.")
    seq, _ = NumberSequence.objects.get_or_create(municipality=municipality)
    NumberSequence.objects.filter(pk=seq.pk).select_for_update().first()
    try:
        with transaction.atomic():
            NumberSequence.objects.filter(pk=seq.pk).update(last_value=F("last_value") + 1)
    except IntegrityError as exc:
        raise Conflict("Номера сертификатов этого муниципалитета исчерпаны.") from exc
    value = NumberSequence.objects.values_list("last_value", flat=True).get(pk=seq.pk)
    return f"{okato}{municipality.number:02d}{value:06d}"


@atomic_retry
def approve_application(*, actor, application: CertificateApplication) -> Issued:
    """Issue the certificate: number, type, nominal, and the parent's login if new.

    Type financing while the period's quota allows (the period row is locked so two
    approvals cannot both take the last place), accounting otherwise, with the reason.
    """
    locked = _lock_application(application)
    _ensure_manager(actor, locked.municipality)
    if not can_proceed(locked.approve):
        raise Conflict(f"Заявление уже {locked.get_status_display()}.")
    child = locked.child
    today = clock.today()
    if eighteenth_birthday(child.birth_date) <= today:
        raise Conflict("Ребёнку уже исполнилось 18 лет: сертификат не выдаётся.", code="too_old")
    if child.certificates.filter(status__in=Certificate.LIVE).exists():
        raise Conflict("У ребёнка уже есть действующий сертификат.", code="duplicate_child")
    # A flagged duplicate sits on a card of its own: one live certificate per СНИЛС in the
    # region is checked across cards.
    twin = (
        Certificate.objects.filter(
            status__in=Certificate.LIVE,
            child__snils_hash=child.snils_hash,
            child__municipality__region_id=locked.municipality.region_id,
        )
        .exclude(child=child)
        .first()
    )
    if twin is not None:
        raise Conflict(
            f"Ребёнок с этим СНИЛС уже имеет действующий сертификат № {twin.number_display}: "
            "второй не выдаётся. Отклоните заявление как дубликат.",
            code="duplicate_child",
        )
    municipality = locked.municipality
    running = current_period(municipality, today)
    if running is not None and running.is_frozen(today):
        raise Conflict(
            f"Идёт закрытие периода «{running.name}»: выдача сертификатов приостановлена с "
            f"{running.frozen_from():%d.%m.%Y} до начала следующего периода.",
            code="period_frozen",
        )
    certificate = Certificate(
        number=_next_number(municipality),
        child=child,
        municipality=municipality,
        application=locked,
        valid_until=eighteenth_birthday(child.birth_date) - dt.timedelta(days=1),
        issued_at=clock.now(),
    )
    if locked.wants_financing:
        # Places already free go to the switch queue first; a new applicant comes after it.
        fulfil_switch_requests(actor=actor, municipality=municipality)
    period, reason = _financing_place(
        municipality, wants=locked.wants_financing, today=today, child=child
    )
    certificate.type = Certificate.Type.FINANCING if period else Certificate.Type.ACCOUNTING
    certificate.type_reason = reason
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError as exc:
        raise Conflict(
            "У ребёнка уже есть действующий сертификат.", code="duplicate_child"
        ) from exc
    if period is not None:
        _grant(actor=actor, certificate=certificate, period=period, on=today)
    locked.approve(by=actor)
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    parent = locked.parent
    password = None
    if not parent.has_usable_password():
        password = accounts.issue_password(actor=actor, user=parent)
    if not parent.has_role(Role.PARENT):
        accounts.grant_role(actor=actor, user=parent, role=Role.PARENT, municipality=municipality)
    audit.record(
        actor=actor,
        action="certificates.certificate_issued",
        obj=certificate,
        municipality=municipality,
        details={"number": certificate.number, "type": certificate.type},
    )
    body = (
        f"{child.short_name}: выдан {certificate.get_type_display()} № {certificate.number}."
        f" {certificate.type_reason}"
    )
    if password:
        body += (
            f"\nЛогин для входа: {parent.username}. Одноразовый пароль напечатан на сертификате "
            "у оператора; при первом входе его нужно сменить. Можно и не ждать распечатки: "
            "на странице входа нажмите «Забыли пароль?» и укажите этот e-mail."
        )
    accounts.notify(
        user=parent,
        subject="Сертификат выдан",
        body=body,
        link=reverse("family:certificate", args=[certificate.pk]),
    )
    return Issued(certificate=certificate, login=parent.username, password=password)
