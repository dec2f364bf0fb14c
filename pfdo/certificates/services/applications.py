"""Filing certificate applications: online, at the operator's desk, and the parent's account."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from pfdo.accounts import services as accounts
from pfdo.accounts.models import User
from pfdo.accounts.roles import Role
from pfdo.audit import services as audit
from pfdo.certificates.models import CertificateApplication, Child, Guardianship
from pfdo.certificates.services._common import (
    Issued,
    _ensure_manager,
    _serialise_applications,
)
from pfdo.certificates.services.children import _child_errors, clean_child
from pfdo.certificates.services.decisions import approve_application
from pfdo.certificates.services.duplicates import known_child, tell_guardians
from pfdo.certificates.validators import child_check_hash, pd_hash
from pfdo.common import clock
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.transactions import atomic_retry
from pfdo.common.validators import person_name_error


@atomic_retry
def apply_for_certificate(
    *,
    actor,
    municipality,
    parent: User,
    child: dict[str, Any],
    relation: str = Guardianship.Relation.MOTHER,
    wants_financing: bool = True,
    channel: str = CertificateApplication.Channel.ONLINE,
) -> CertificateApplication:
    """File the one application of a child; `parent` becomes (or stays) their representative.

    A child the region already knows (a live certificate or an open application with the same
    СНИЛС or document) is told apart by channel. At the operator's desk and in the import, and
    for the child's own guardian online, a СНИЛС match is refused outright: they may know.
    Anyone else applying online is answered as for a new child — the form must not tell who
    is registered — and the application is filed on a card of its own, flagged for the
    operator with the reason, and the guardians on file get a letter. A match by document
    only (typos in СНИЛС are common) is accepted and flagged in every channel.
    """
    if channel != CertificateApplication.Channel.ONLINE:
        _ensure_manager(actor, municipality)
    elif actor is not None and actor.pk != parent.pk:
        # Online, the representative applies for themselves; only an official for another.
        _ensure_manager(actor, municipality, "Заявление подаёт законный представитель.")
    if not municipality.is_active:
        raise ValidationFailed(fields={"municipality": "Муниципалитет не подключён к системе."})
    if relation not in Guardianship.Relation.values:
        raise ValidationFailed(fields={"relation": "Укажите, кем вы приходитесь ребёнку."})
    data = clean_child(child, today=clock.today())
    # Every channel serialises on the municipality row: two copies of one form must not both
    # pass the duplicate check before either commits.
    _serialise_applications(municipality)
    snils_hash = pd_hash("snils", data["snils"])
    document_hash = pd_hash("document", data["document_number"])
    online = channel == CertificateApplication.Channel.ONLINE
    known = known_child(municipality, snils_hash=snils_hash, document_hash=document_hash)
    own = known is not None and known.child.guardianships.filter(user=parent).exists()
    if known is not None and known.by_snils and (not online or own):
        # Well-formed data the region's records refuse: 409, as the race below answers.
        raise Conflict(
            "Этот ребёнок уже есть в системе.",
            code="duplicate_child",
            fields={
                "snils": "Ребёнок с этим СНИЛС уже получил сертификат или заявление уже подано. "
                "Если сертификат или пароль потерян, обратитесь к оператору."
            },
        )
    record = None
    if known is None or not known.by_snils:
        # The card of a child whose earlier application was refused or whose certificate
        # ended is reused (the oldest card: a refused duplicate's card never wins over it).
        record = (
            Child.objects.select_for_update()
            .filter(municipality__region_id=municipality.region_id, snils_hash=snils_hash)
            .order_by("created_at", "pk")
            .first()
        )
    if record is None:
        record = Child(created_at=clock.now())
    for name, value in data.items():
        setattr(record, name, value)
    record.snils_hash = snils_hash
    record.document_hash = document_hash
    record.check_hash = child_check_hash(record)
    record.municipality = municipality
    record.save()
    Guardianship.objects.get_or_create(child=record, user=parent, defaults={"relation": relation})
    flagged = known.reason if known is not None else ""
    try:
        with transaction.atomic():
            application = CertificateApplication.objects.create(
                child=record,
                municipality=municipality,
                parent=parent,
                channel=channel,
                wants_financing=bool(wants_financing),
                duplicate_reason=flagged,
                created_by=actor if actor is not None and actor.is_authenticated else parent,
            )
    except IntegrityError as exc:  # a concurrent application for the same child
        raise Conflict("Заявление на этого ребёнка уже подано.", code="duplicate_child") from exc
    audit.record(
        actor=actor,
        action="certificates.application_filed",
        obj=application,
        municipality=municipality,
        details={
            "channel": channel,
            "wants_financing": bool(wants_financing),
            "flagged_duplicate": bool(flagged),
        },
    )
    if known is not None and online and not own:
        tell_guardians(known, municipality=municipality, skip=parent)
    return application


EMAIL_TAKEN = (
    "Этот e-mail уже зарегистрирован. Войдите в личный кабинет и подайте заявление "
    "оттуда или восстановите пароль."
)


def _new_login(municipality) -> str:
    for _ in range(20):
        login = f"{municipality.code}-{secrets.randbelow(900_000) + 100_000}"
        if not User.objects.filter(username__iexact=login).exists():
            return login
    raise Conflict("Не удалось подобрать логин, повторите попытку.")


@transaction.atomic
def register_parent(
    *,
    actor,
    municipality,
    last_name: str,
    first_name: str,
    patronymic: str = "",
    email: str = "",
    phone: str = "",
) -> User:
    """A parent's account without a password yet: it is issued when a certificate is."""
    errors: dict[str, str] = {}
    if not last_name.strip():
        errors["parent_last_name"] = "Укажите фамилию."
    if not first_name.strip():
        errors["parent_first_name"] = "Укажите имя."
    for field, value in (
        ("parent_last_name", last_name),
        ("parent_first_name", first_name),
        ("parent_patronymic", patronymic),
    ):
        if field not in errors and (problem := person_name_error(" ".join(value.split()))):
            errors[field] = problem
    email = email.strip().lower()
    if email and User.objects.filter(email__iexact=email).exists():
        errors["email"] = EMAIL_TAKEN
    if errors:
        if list(errors) == ["email"] and errors["email"] == EMAIL_TAKEN:
            # The address is well-formed; an existing account refuses it (409).
            raise Conflict(EMAIL_TAKEN, code="email_taken", fields=errors)
        raise ValidationFailed(fields=errors)
    user, _ = accounts.create_user(
        actor=actor,
        username=_new_login(municipality),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        patronymic=patronymic.strip(),
        email=email,
        phone=phone.strip(),
        municipality=municipality,
        usable_password=False,
    )
    accounts.grant_role(actor=actor, user=user, role=Role.PARENT, municipality=municipality)
    return user


@atomic_retry
def file_in_person_application(
    *,
    actor,
    municipality,
    child: dict[str, Any],
    parent: User | None = None,
    new_parent: dict[str, str] | None = None,
    relation: str = Guardianship.Relation.MOTHER,
    wants_financing: bool = True,
) -> CertificateApplication:
    """The operator files a family's application in person: for an existing parent, or
    registers the new parent (no password yet; it is issued with the certificate) in the
    same transaction. Errors of the child's card and of the new parent come together."""
    _ensure_manager(actor, municipality)
    if (parent is None) == (new_parent is None):
        raise ValidationFailed(
            fields={"parent": "Укажите существующего родителя или данные нового, одно из двух."}
        )
    errors = _child_errors(child)
    if parent is None:
        try:
            parent = register_parent(actor=actor, municipality=municipality, **new_parent)
        except (ValidationFailed, Conflict) as exc:
            if not errors and isinstance(exc, Conflict):
                raise  # the taken e-mail alone: 409 email_taken
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(fields=errors)
    return apply_for_certificate(
        actor=actor,
        municipality=municipality,
        parent=parent,
        child=child,
        relation=relation,
        wants_financing=wants_financing,
        channel=CertificateApplication.Channel.IN_PERSON,
    )


@dataclass(frozen=True)
class Registered:
    """A family registered at the operator's desk: the application, and the issue if approved."""

    application: CertificateApplication
    issued: Issued | None


@atomic_retry
def register_family(
    *,
    actor,
    municipality,
    child: dict[str, Any],
    parent: User | None = None,
    new_parent: dict[str, str] | None = None,
    relation: str = Guardianship.Relation.MOTHER,
    wants_financing: bool = True,
    approve: bool = False,
) -> Registered:
    """A family came in person: the parent (existing or new), the application and, with
    `approve`, the certificate — all or nothing, so bad data leaves no parent account behind."""
    application = file_in_person_application(
        actor=actor,
        municipality=municipality,
        child=child,
        parent=parent,
        new_parent=new_parent,
        relation=relation,
        wants_financing=wants_financing,
    )
    issued = approve_application(actor=actor, application=application) if approve else None
    return Registered(application=application, issued=issued)


@atomic_retry
def apply_online(
    *,
    actor: User,
    municipality,
    child: dict[str, Any],
    relation: str = Guardianship.Relation.MOTHER,
    wants_financing: bool = True,
) -> CertificateApplication:
    """A signed-in parent applies for one more child."""
    return apply_for_certificate(
        actor=actor,
        municipality=municipality,
        parent=actor,
        child=child,
        relation=relation,
        wants_financing=wants_financing,
        channel=CertificateApplication.Channel.ONLINE,
    )
