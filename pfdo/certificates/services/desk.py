"""The officials' desk services that change no certificate: passwords and the look-up."""

from __future__ import annotations

from django.db import transaction

from pfdo.accounts import services as accounts
from pfdo.accounts.models import User
from pfdo.audit import services as audit
from pfdo.certificates import selectors
from pfdo.certificates.models import Certificate
from pfdo.certificates.services._common import Issued, _ensure_manager
from pfdo.common.authz import authorize
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


LOOKUP_MISS = "Сертификат не найден: проверьте номер и фамилию ребёнка."


def look_up_certificate(*, actor, number: str, surname: str = "") -> selectors.ProviderView:
    """An official finds a certificate of their own registry by its number: the reduced view.

    Officials see their municipality's registry anyway, so the number alone answers and no
    rate limit applies; a surname, when given, must match too. Provider staff look up through
    enrolment's `look_up_for_provider` (number and surname, limited, recorded for the
    operator). Every look-up is in the action history, a miss too; only a number that is a
    certificate's is written (a miss may be a passport number typed into the wrong field).
    """
    authorize(actor, "certificates.look_up_registry")
    certificate, matched = selectors.match_for_lookup(
        number,
        surname,
        certificates=Certificate.objects.for_user(actor).select_related("municipality"),
    )
    if surname and not matched:
        certificate = None
    audit.record(
        actor=actor,
        action="certificates.looked_up",
        obj=certificate,
        municipality=certificate.municipality if certificate is not None else None,
        details={"number": certificate.number if certificate else "", "found": bool(certificate)},
    )
    if certificate is None:
        raise NotFound(LOOKUP_MISS)
    return selectors.provider_view(certificate)
