"""A child the region already knows: what an online application naming it is flagged with,
the letter to the guardians on file, and the operator's one-click rejection of the duplicate.

The public form answers a known child exactly as a new one (issue 13: it must not tell who is
registered). The application is filed on a card of its own, so nothing the applicant typed
touches the known child's card, and waits in the operator's queue with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse

from pfdo.accounts import services as accounts
from pfdo.certificates.models import Certificate, CertificateApplication, Child
from pfdo.certificates.services._common import _ensure_manager, _lock_application
from pfdo.certificates.services.decisions import reject_application
from pfdo.common.errors import Conflict
from pfdo.common.transactions import atomic_retry

# What the applicant of a rejected duplicate reads (cabinet and e-mail): neutral, so a stranger
# who typed another family's child learns nothing from the refusal either.
DUPLICATE_REJECTION = (
    "Заявление отклонено по итогам проверки сведений о ребёнке. Если вы считаете это ошибкой, "
    "обратитесь к оператору муниципалитета лично с документами ребёнка."
)


@dataclass(frozen=True)
class KnownChild:
    """A child of the region with a live certificate or an open application."""

    child: Child
    by_snils: bool  # matched by СНИЛС (else by the document only)
    reason: str  # for the operator: "ребёнок уже имеет сертификат № …"


def _holding(child: Child) -> str:
    certificate = (
        child.certificates.filter(status__in=Certificate.LIVE).order_by("issued_at", "pk").first()
    )
    if certificate is not None:
        return f"ребёнок уже имеет сертификат № {certificate.number_display}"
    application = (
        child.applications.filter(status__in=CertificateApplication.OPEN)
        .order_by("created_at", "pk")
        .first()
    )
    if application is not None:
        return f"на ребёнка уже подано заявление № {application.pk}"
    return ""


def known_child(municipality, *, snils_hash: str, document_hash: str) -> KnownChild | None:
    """The child of the region this СНИЛС (first) or document belongs to, if it already holds
    a live certificate or an open application; compared through the keyed hashes."""
    region = Child.objects.filter(municipality__region_id=municipality.region_id)
    live = Q(certificates__status__in=Certificate.LIVE) | Q(
        applications__status__in=CertificateApplication.OPEN
    )
    for by_snils, match, what in (
        (True, Q(snils_hash=snils_hash), "СНИЛС"),
        (False, Q(document_hash=document_hash), "документ"),
    ):
        child = region.filter(match).filter(live).distinct().order_by("created_at", "pk").first()
        if child is not None:
            return KnownChild(
                child=child, by_snils=by_snils, reason=f"{_holding(child)} (совпадает {what})"
            )
    return None


def tell_guardians(known: KnownChild, *, municipality, skip=None) -> None:
    """The guardians on file learn that someone filed for their child (after the commit);
    `skip` is the applicant when they are a guardian themselves."""
    what = "СНИЛС" if known.by_snils else "документ"
    body = (
        f"В системе персонифицированного финансирования ({municipality.name}) подано заявление "
        f"на сертификат, в котором указан {what} ребёнка {known.child.short_name}.\n\n"
        "В вашем личном кабинете ничего не изменилось: сертификат и записи ребёнка остаются "
        "за вами, второй сертификат на одного ребёнка не выдаётся. Заявление проверит оператор "
        "муниципалитета.\n\n"
        "Если заявление подали вы или другой законный представитель ребёнка — делать ничего "
        "не нужно. Если вы его не подавали, сообщите об этом оператору муниципалитета."
    )
    users = {
        g.user_id: g.user
        for g in known.child.guardianships.select_related("user").order_by("pk")
        if g.user.is_active and (skip is None or g.user_id != skip.pk)
    }
    for user in users.values():
        accounts.notify(
            user=user,
            subject="Подано заявление на сертификат для вашего ребёнка",
            body=body,
            link=reverse("family:home"),
        )


@atomic_retry
def reject_duplicate(*, actor, application: CertificateApplication) -> CertificateApplication:
    """One click: the flagged duplicate is rejected with the neutral reason (the applicant is
    told by the usual rejection notice)."""
    locked = _lock_application(application)
    _ensure_manager(actor, locked.municipality)
    if not locked.duplicate_reason:
        raise Conflict(
            "Заявление не отмечено как дубликат: откажите с причиной.", code="not_duplicate"
        )
    return reject_application(actor=actor, application=locked, reason=DUPLICATE_REJECTION)
