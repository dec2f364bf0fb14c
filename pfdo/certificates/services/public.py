"""The public application form, without an account: one answer whoever applies.

A new family, an e-mail that already has an account and a child the region already knows get
the same answer (issue 13): only the form's own mistakes are field errors. What differs goes by
letter to the address on file — the number and the login to a new family, how to sign in to the
owner of a known e-mail, a notice to the guardians of a known child (whose application waits in
the operator's queue flagged as a duplicate, see duplicates.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from pfdo.accounts import services as accounts
from pfdo.accounts.models import User
from pfdo.audit import services as audit
from pfdo.certificates.models import Certificate, CertificateApplication, Guardianship
from pfdo.certificates.services._common import _serialise_applications
from pfdo.certificates.services.applications import apply_for_certificate, register_parent
from pfdo.certificates.services.children import _child_errors
from pfdo.certificates.validators import normalize_snils, pd_hash
from pfdo.common import context, ratelimit
from pfdo.common.errors import ValidationFailed
from pfdo.common.transactions import atomic_retry


@dataclass(frozen=True)
class PublicApplication:
    """What the public form may show back: only what the applicant typed, the same whether
    the family is new, the e-mail known or the child known. The rest goes by letter."""

    email: str
    municipality: str
    child: str
    wants_financing: bool


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
) -> PublicApplication:
    """Online, without an account: the parent's account and the child's application at once.

    Counted per client address and per typed e-mail before the transaction (a refusal's row in
    the action history must survive); raises `RateLimited` over the limit.
    """
    email = (email or "").strip().lower()
    _count_attempt(municipality, email)
    _register_and_apply(
        municipality=municipality,
        parent_last_name=parent_last_name,
        parent_first_name=parent_first_name,
        email=email,
        child=child,
        parent_patronymic=parent_patronymic,
        phone=phone,
        relation=relation,
        wants_financing=wants_financing,
    )
    return PublicApplication(
        email=email,
        municipality=municipality.name,
        child=" ".join(str(child.get("first_name") or "").split()),
        wants_financing=bool(wants_financing),
    )


def _count_attempt(municipality, email: str) -> None:
    ip = context.current().ip
    if ip is None:
        return  # no client: the demo seed or a command acting for the system
    buckets = [("certificate_apply_ip", f"ip:{ip}")]
    if email:
        # Per typed e-mail whether or not an account has it, so a refusal tells nothing; it
        # also caps the letters one mailbox can be sent through this form.
        buckets.append(("certificate_apply_email", f"email:{email}"))
    ratelimit.hit(*buckets, municipality=municipality)


@atomic_retry
def _register_and_apply(
    *,
    municipality,
    parent_last_name: str,
    parent_first_name: str,
    email: str,
    child: dict[str, Any],
    parent_patronymic: str,
    phone: str,
    relation: str,
    wants_financing: bool,
) -> CertificateApplication | None:
    """One transaction, so a refused child leaves no account behind; the problems of both
    the parent's and the child's fields are reported together. None when nothing was filed
    (the e-mail has an account, or this application was already filed): a letter says why."""
    _serialise_applications(municipality)
    errors = _child_errors(child)
    if not (parent_last_name or "").strip():
        errors["parent_last_name"] = ["Укажите фамилию."]
    if not (parent_first_name or "").strip():
        errors["parent_first_name"] = ["Укажите имя."]
    if not email:
        errors["email"] = ["Укажите адрес электронной почты: на него придут логин и решение."]
    if errors:
        raise ValidationFailed(fields=errors)
    parent = _passwordless_parent(email, parent_last_name, parent_first_name)
    if parent is not None and _already_applied(municipality, parent, str(child.get("snils") or "")):
        _tell_already_applied(parent, municipality)
        return None
    if parent is None:
        holders = list(User.objects.filter(email__iexact=email).order_by("pk")[:3])
        if holders:
            _tell_known_email(holders, municipality)
            return None
        parent = register_parent(
            actor=None,
            municipality=municipality,
            last_name=parent_last_name,
            first_name=parent_first_name,
            patronymic=parent_patronymic or "",
            email=email,
            phone=phone or "",
        )
    application = apply_for_certificate(
        actor=parent,
        municipality=municipality,
        parent=parent,
        child=child,
        relation=relation,
        wants_financing=wants_financing,
        channel=CertificateApplication.Channel.ONLINE,
    )
    # A written record of the number and the login: the public page shows neither.
    accounts.notify(
        user=parent,
        subject=f"Заявление №{application.pk} на сертификат подано",
        body=f"{application.child.short_name}: заявление №{application.pk} подано и ждёт "
        f"проверки оператором (обычно несколько рабочих дней).\nЛогин для входа: "
        f"{parent.username}. Пароль выдаётся вместе с сертификатом; решение придёт на эту почту.",
    )
    return application


def _already_applied(municipality, parent: User, snils: str) -> bool:
    """The parent is already a guardian of this child (same СНИЛС), whose application is open
    or whose certificate is live: a repeat of the same form."""
    snils_hash = pd_hash("snils", normalize_snils(snils))
    region = {"municipality__region_id": municipality.region_id, "snils_hash": snils_hash}
    return (
        CertificateApplication.objects.filter(
            status__in=CertificateApplication.OPEN,
            child__guardianships__user=parent,
            **{f"child__{k}": v for k, v in region.items()},
        ).exists()
        or Certificate.objects.filter(
            status__in=Certificate.LIVE,
            child__guardianships__user=parent,
            **{f"child__{k}": v for k, v in region.items()},
        ).exists()
    )


def _passwordless_parent(email: str, last_name: str, first_name: str) -> User | None:
    """The account of an earlier online application that has no password yet, if the same
    person applies again (same e-mail and name): after a rejection, or for another child
    before the first certificate is issued. Without it they could neither sign in nor
    register again. The answer is the same either way, so nothing is revealed by it.
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


def _tell_already_applied(parent: User, municipality) -> None:
    audit.record(
        actor=None,
        action="certificates.public_application_repeated",
        obj=parent,
        municipality=municipality,
    )
    accounts.notify(
        user=parent,
        subject="Заявление на сертификат уже подано",
        body="С вашим адресом почты снова отправлено заявление на ребёнка, на которого "
        "заявление уже подано (или сертификат уже выдан). Второй раз подавать не нужно: "
        "решение по первому заявлению придёт на эту почту.\n\nЕсли вы ничего не отправляли, "
        "ничего делать не нужно — в вашем кабинете ничего не изменилось.",
    )


def _tell_known_email(holders: list[User], municipality) -> None:
    """The owner of the e-mail learns what happened and how to sign in; the applicant's page
    said nothing about it."""
    reset = reverse("accounts:password_reset")
    for user in holders:
        audit.record(
            actor=None,
            action="certificates.public_application_to_known_email",
            obj=user,
            municipality=municipality,
        )
        if not user.is_active:
            continue
        if not user.has_usable_password():
            how = (
                "Ваше первое заявление ещё рассматривается: пароль выдаётся вместе с "
                "сертификатом. Чтобы подать заявление ещё на одного ребёнка, заполните форму "
                "снова с теми же фамилией и именем, что и в первом заявлении."
            )
        else:
            how = (
                "Если это были вы, войдите в личный кабинет и подайте заявление на ребёнка там "
                "(«Подать заявление на ребёнка»). Забыли пароль — восстановите его по ссылке "
                "ниже, указав этот адрес почты."
            )
        accounts.notify(
            user=user,
            subject="Заявление на сертификат с вашим адресом почты",
            body=f"В форме заявления на сертификат ({municipality.name}) указан ваш адрес "
            f"почты. У вас уже есть личный кабинет (логин {user.username}), поэтому второй "
            f"кабинет не создан и заявление по этой форме не принято.\n\n{how}\n\nЕсли вы "
            "ничего не отправляли, ничего делать не нужно: в вашем кабинете ничего не "
            "изменилось. Если такие письма приходят снова, сообщите оператору муниципалитета.",
            link=reset,
        )
