"""What the certificates use-case modules share: the access checks, row locks and the issue."""

from __future__ import annotations

from dataclasses import dataclass

from pfdo.certificates.models import Certificate, CertificateApplication
from pfdo.common.authz import authorize, can
from pfdo.common.errors import NotFound
from pfdo.territory.models import Municipality

MANAGER_ONLY = "Это может сделать только оператор муниципалитета."


def can_manage(user, municipality) -> bool:
    """An operator of `municipality`, the administrator of its region, or a superuser."""
    return can(user, "certificates.manage_municipality", municipality)


def _ensure_manager(actor, municipality, message: str = MANAGER_ONLY) -> None:
    authorize(actor, "certificates.manage_municipality", municipality, message=message)


@dataclass(frozen=True)
class Issued:
    """What the operator hands over: the certificate and, for a new account, the password."""

    certificate: Certificate
    login: str
    password: str | None


def _lock_application(application: CertificateApplication) -> CertificateApplication:
    locked = (
        CertificateApplication.objects.select_for_update(of=("self",))
        .filter(pk=application.pk)
        .select_related("child", "municipality__region", "parent")
        .first()
    )
    if locked is None:
        raise NotFound("Заявление не найдено.")
    return locked


def _lock_certificate(certificate: Certificate) -> Certificate:
    locked = (
        Certificate.objects.select_for_update(of=("self",))
        .filter(pk=certificate.pk)
        .select_related("child", "municipality__region")
        .first()
    )
    if locked is None:
        raise NotFound("Сертификат не найден.")
    return locked


def _serialise_applications(municipality) -> None:
    """Lock the municipality row: two copies of one form (a double click, any channel) must
    not both pass the e-mail and СНИЛС checks before either commits. Applications are rare
    and short, so serialising them per municipality costs nothing."""
    Municipality.objects.select_for_update().get(pk=municipality.pk)
