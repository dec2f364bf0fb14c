"""The officials' desk services that change no certificate: passwords and the look-up."""

from __future__ import annotations

from django.db import transaction

from pfdo.accounts import services as accounts
from pfdo.accounts.models import User
from pfdo.audit import services as audit
from pfdo.certificates import selectors
from pfdo.certificates.models import Certificate
from pfdo.certificates.services._common import Issued, _ensure_manager
from pfdo.common.errors import NotFound, ValidationFailed


@transaction.atomic
def reissue_parent_password(
    *, actor, certificate: Certificate, parent: User | None = None
) -> Issued:
    """A lost password: the operator gives the representative a new one-time password."""
    _ensure_manager(actor, certificate.municipality)
    guardians = list(certificate.child.guardians.all())
    if parent is None:
        parent = certificate.application.parent if certificate.application else None
        parent = parent or (guardians[0] if guardians else None)
    if parent is None or parent not in guardians:
        raise ValidationFailed(fields={"parent": "Выберите законного представителя ребёнка."})
    password = accounts.issue_password(actor=actor, user=parent)
    return Issued(certificate=certificate, login=parent.username, password=password)


def look_up_certificate(*, actor, number: str) -> selectors.ProviderView:
    """A provider (or an official) finds a certificate by its number: the reduced view only.

    Every look-up is written to the action history, a failed one too (someone guessing
    numbers shows up there). Only a number that is a real certificate's is logged: a miss
    may be a passport number (also 10 digits) or a СНИЛС typed into the wrong field. One
    insert, committed before the miss is answered, so no transaction of its own.
    """
    view = selectors.lookup_for_provider(number)
    certificate = None
    if view is not None:
        certificate = (
            Certificate.objects.select_related("municipality")
            .filter(pk=view.certificate_id)
            .first()
        )
    audit.record(
        actor=actor,
        action="certificates.looked_up",
        obj=certificate,
        municipality=certificate.municipality if certificate is not None else None,
        details={"number": view.number if view is not None else "", "found": view is not None},
    )
    if view is None:
        raise NotFound("Сертификат с таким номером не найден.")
    return view
