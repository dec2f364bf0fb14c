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
from pfdo.certificates.services.children import _child_errors, _live_duplicate, clean_child
from pfdo.certificates.services.decisions import approve_application
from pfdo.certificates.validators import normalize_snils, pd_hash
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

    A child with the same СНИЛС who already has a live certificate or an open application
    in the region is refused; a child matching only by document is accepted and shown to the
    operator as a possible duplicate.
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
    if _live_duplicate(municipality, snils_hash) is not None:
        raise ValidationFailed(
            "Этот ребёнок уже есть в системе.",
            code="duplicate_child",
            fields={
                "snils": "Ребёнок с этим СНИЛС уже получил сертификат или заявление уже подано. "
                "Если сертификат или пароль потерян, обратитесь к оператору."
            },
        )
    record = (
        Child.objects.select_for_update()
        .filter(municipality__region_id=municipality.region_id, snils_hash=snils_hash)
        .first()
    )
    if record is None:
        record = Child(created_at=clock.now())
    for name, value in data.items():
        setattr(record, name, value)
    record.snils_hash = snils_hash
    record.document_hash = document_hash
    record.municipality = municipality
    record.save()
    Guardianship.objects.get_or_create(child=record, user=parent, defaults={"relation": relation})
    try:
        with transaction.atomic():
            application = CertificateApplication.objects.create(
                child=record,
                municipality=municipality,
                parent=parent,
                channel=channel,
                wants_financing=bool(wants_financing),
                created_by=actor if actor is not None and actor.is_authenticated else parent,
            )
    except IntegrityError as exc:  # a concurrent application for the same child
        raise Conflict("Заявление на этого ребёнка уже подано.", code="duplicate_child") from exc
    audit.record(
        actor=actor,
        action="certificates.application_filed",
        obj=application,
        municipality=municipality,
        details={"channel": channel, "wants_financing": bool(wants_financing)},
    )
    return application


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
        errors["email"] = (
            "Этот e-mail уже зарегистрирован. Войдите в личный кабинет и подайте заявление "
            "оттуда или восстановите пароль."
        )
    if errors:
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
        except ValidationFailed as exc:
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


def _already_applied(municipality, email: str, snils: str) -> bool:
    """An open application for this child filed by the holder of this e-mail (a repeat)."""
    return CertificateApplication.objects.filter(
        municipality__region_id=municipality.region_id,
        parent__email__iexact=email,
        child__snils_hash=pd_hash("snils", normalize_snils(snils)),
        status__in=CertificateApplication.OPEN,
    ).exists()


def _passwordless_parent(email: str, last_name: str, first_name: str) -> User | None:
    """The account of an earlier online application that has no password yet, if the same
    person applies again (same e-mail and name): after a rejection, or for another child
    before the first certificate is issued. Without it they could neither sign in nor
    register again. Nothing is revealed that the "e-mail already registered" error does not.
    """
    if not email:
        return None
    found = list(User.objects.filter(email__iexact=email, is_active=True)[:2])
    if len(found) != 1 or found[0].has_usable_password():
        return None
    user = found[0]
    same = user.last_name.strip().casefold() == (last_name or "").strip().casefold() and (
        user.first_name.strip().casefold() == (first_name or "").strip().casefold()
    )
    return user if same else None


@atomic_retry
def register_and_apply(
    *,
    municipality,
    parent_last_name: str,
    parent_first_name: str,
    email: str,
    child: dict[str, Any],
    parent_patronymic: str = "",
    phone: str = "",
    relation: str = Guardianship.Relation.MOTHER,
    wants_financing: bool = True,
) -> CertificateApplication:
    """Online, without an account: the parent's account and the child's application at once.

    One transaction, so a refused child leaves no account behind; the problems of both the
    parent's and the child's fields are reported together. The account gets a password only
    when the certificate is issued (approve_application); until then the same person (same
    e-mail and name) applying again reuses it (see _passwordless_parent).
    """
    _serialise_applications(municipality)
    email = (email or "").strip().lower()
    errors = _child_errors(child)
    if not email:
        errors["email"] = ["Укажите адрес электронной почты: на него придут логин и решение."]
    if (
        email
        and "snils" not in errors
        and _already_applied(municipality, email, str(child.get("snils") or ""))
    ):
        raise Conflict(
            "Заявление на этого ребёнка с этим адресом почты уже подано — второй раз подавать "
            "не нужно. Решение придёт на почту.",
            code="already_applied",
        )
    parent = _passwordless_parent(email, parent_last_name, parent_first_name)
    if parent is None:
        try:
            parent = register_parent(
                actor=None,
                municipality=municipality,
                last_name=parent_last_name or "",
                first_name=parent_first_name or "",
                patronymic=parent_patronymic or "",
                email=email,
                phone=phone or "",
            )
        except ValidationFailed as exc:
            raise ValidationFailed(fields={**exc.fields, **errors}) from exc
    if errors:
        raise ValidationFailed(fields=errors)  # rolls the new account back
    application = apply_for_certificate(
        actor=parent,
        municipality=municipality,
        parent=parent,
        child=child,
        relation=relation,
        wants_financing=wants_financing,
        channel=CertificateApplication.Channel.ONLINE,
    )
    # A written record of the number and the login: the page that showed them may be lost.
    accounts.notify(
        user=parent,
        subject=f"Заявление №{application.pk} на сертификат подано",
        body=f"{application.child.short_name}: заявление №{application.pk} подано и ждёт "
        f"проверки оператором (обычно несколько рабочих дней).\nЛогин для входа: "
        f"{parent.username}. Пароль выдаётся вместе с сертификатом; решение придёт на эту почту.",
    )
    return application


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
