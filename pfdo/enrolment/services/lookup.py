"""Provider staff find a certificate by its number and the child's surname.

Certificate numbers are sequential, so a number alone would let any provider list the
municipality's children: the look-up answers only when the number is a certificate of the
provider's municipality AND the surname is its child's, and answers every other case with
the same "not found" (same error, same work: one query, one comparison, one insert). Each
attempt counts against the staff member's and the provider's rate limits before anything is
looked at, and each is recorded (`CertificateLookup`) for the municipality's operator.
Officials look up their own registry by number alone (certificates' `look_up_certificate`).
"""

from __future__ import annotations

from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import Certificate
from pfdo.common import context, ratelimit
from pfdo.common.authz import authorize, can
from pfdo.common.errors import AccessDenied, NotFound, ValidationFailed
from pfdo.enrolment.models import CertificateLookup
from pfdo.providers.models import Provider, staffed_provider_ids

MISS = certificate_services.LOOKUP_MISS
Outcome = CertificateLookup.Outcome
Purpose = CertificateLookup.Purpose


def _record(*, actor, provider: Provider, purpose: str, number: str, outcome: str) -> None:
    # Its own statement, committed at once (the callers hold no transaction): a miss, a
    # refusal or a filing that fails afterwards is still on the record.
    CertificateLookup.objects.create(
        actor=actor,
        provider=provider,
        municipality_id=provider.municipality_id,
        ip=context.current().ip,
        purpose=purpose,
        number=number,
        outcome=outcome,
    )


def look_up_for_provider(
    *, actor, provider: Provider, number: str, surname: str, purpose: str = Purpose.LOOKUP
) -> Certificate:
    """The certificate whose number and child's surname both match, among the certificates
    of `provider`'s municipality; else `NotFound(MISS)`, the same whatever did not match.

    Call it outside a transaction: the attempt is counted (`lookup_staff` per staff member,
    `lookup_provider` per provider; `RateLimited` over either) and recorded before it answers.
    """
    authorize(actor, "enrolment.look_up_certificate", provider)
    try:
        ratelimit.hit(
            ("lookup_staff", f"user:{actor.pk}"),
            ("lookup_provider", f"provider:{provider.pk}"),
            actor=actor,
            municipality=provider.municipality,
        )
    except ratelimit.RateLimited:
        _record(actor=actor, provider=provider, purpose=purpose, number="", outcome=Outcome.REFUSED)
        raise
    certificate, matched = certificate_selectors.match_for_lookup(
        number,
        surname,
        certificates=Certificate.objects.filter(municipality_id=provider.municipality_id),
    )
    if certificate is None:
        outcome = Outcome.UNKNOWN
    else:
        outcome = Outcome.MATCHED if matched else Outcome.WRONG_SURNAME
    _record(
        actor=actor,
        provider=provider,
        purpose=purpose,
        number=certificate.number if certificate is not None else "",
        outcome=outcome,
    )
    if outcome != Outcome.MATCHED:
        raise NotFound(MISS)
    return certificate


def lookup_provider(actor, provider_id: int | None = None) -> Provider:
    """The provider a staff member looks up for: the one they work for, or the one they name
    when they work for several."""
    ids = staffed_provider_ids(actor)
    if provider_id is not None:
        if provider_id not in ids:
            raise ValidationFailed(fields={"provider": "Вы не сотрудник этой организации."})
    elif len(ids) == 1:
        (provider_id,) = ids
    elif not ids:
        raise AccessDenied("Искать сертификаты могут сотрудники организаций-поставщиков.")
    else:
        raise ValidationFailed(
            fields={"provider": "Выберите организацию, для которой ищете сертификат."}
        )
    return Provider.objects.select_related("municipality").get(pk=provider_id)


def look_up(
    *, actor, number: str, surname: str, provider_id: int | None = None
) -> certificate_selectors.ProviderView:
    """The look-up page and API: officials search their registry (number alone), provider
    staff need the number and the surname (limited and recorded)."""
    if can(actor, "certificates.look_up_registry"):
        return certificate_services.look_up_certificate(actor=actor, number=number, surname=surname)
    provider = lookup_provider(actor, provider_id)
    if not (surname or "").strip():
        # A form error, not an attempt: nothing was looked at.
        raise ValidationFailed(fields={"surname": "Введите фамилию ребёнка."})
    certificate = look_up_for_provider(
        actor=actor, provider=provider, number=number, surname=surname
    )
    return certificate_selectors.provider_view(certificate)
