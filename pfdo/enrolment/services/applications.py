"""Filing an application: a parent online, or provider staff for a child who came in person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError

from pfdo.accounts import services as accounts
from pfdo.audit import services as audit
from pfdo.catalog.models import Group
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.authz import authorize
from pfdo.common.batch import insert_rows
from pfdo.common.errors import Conflict, NotFound, ValidationFailed
from pfdo.common.history import created_row, insert_without_history
from pfdo.common.money import format_kopecks
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment import selectors
from pfdo.enrolment.models import Application, CertificateLookup, Contract
from pfdo.enrolment.selectors import waitlist_position
from pfdo.enrolment.services._common import (
    Status,
    _group_of,
    _load_group,
    _lock_certificate,
    _lock_limited_provider,
    _notify_parent,
    _parent_notice,
    _refuse,
    _take_seat,
)
from pfdo.enrolment.services.codes import issue_code
from pfdo.enrolment.services.lookup import look_up_for_provider
from pfdo.enrolment.services.preconditions import Terms, check_preconditions

Purpose = CertificateLookup.Purpose
IN_PERSON_ONLY_STAFF = "Записывать детей в эту группу могут только сотрудники поставщика."


def _refuse_if_applied(certificate: Certificate, group: Group) -> list[int]:
    """Refuse a second live application of the child to `group`; else the ids of the child's
    other groups whose places it holds over `group`'s dates, for the schedule clash — one read
    of the child's live applications serves both checks."""
    live = Application.objects.filter(
        child_id=certificate.child_id, status__in=Application.LIVE
    ).values_list("group_id", "status", "group__starts_on", "group__ends_on")
    others = []
    for group_id, status, starts_on, ends_on in live:
        if group_id == group.pk:
            raise _refuse("already_applied", "Ребёнок уже записан или ждёт места в этой группе.")
        if (
            status in Application.HOLDING
            and None not in (starts_on, ends_on, group.starts_on, group.ends_on)
            and starts_on <= group.ends_on
            and ends_on >= group.starts_on
        ):
            others.append(group_id)
    return others


def _new_application(
    *,
    actor,
    certificate: Certificate,
    group: Group,
    parent,
    channel: str,
    copay_agreed: bool,
    notice=None,
) -> Application:
    """Checks, then a place or the waitlist. Caller holds the certificate lock. `notice`
    makes the parent's notice of the filed application (unsaved), written with its other
    rows in one round trip; without it the caller tells the parent."""
    others = _refuse_if_applied(certificate, group)
    limited = _lock_limited_provider(group)
    terms = check_preconditions(
        certificate=certificate,
        group=group,
        copay_agreed=copay_agreed,
        has_limits=None if limited else False,
        other_groups=others,
    )
    # Everything that does not depend on the seat is made before the group's row is locked:
    # every applicant to the group waits for that lock, so after it come only the decision
    # and the writes that carry it (docs/decisions.md, "the rush, round 3").
    application = Application(
        child_id=certificate.child_id,
        certificate=certificate,
        group=group,
        provider=group.module.program.provider,
        municipality=certificate.municipality,
        parent=parent,
        channel=channel,
        copay_agreed=copay_agreed,
        created_by=actor,
    )
    decision_days = dt.timedelta(days=terms.period.decision_days)
    # The group's locked read says whether a place is free (the conditional UPDATE stays the
    # guard); a full group is not updated at all.
    seats = (
        Group.objects.select_for_update()
        .filter(pk=group.pk)
        .values_list("seats_taken", "capacity")
        .get()
    )
    seated = seats[0] < seats[1] and _take_seat(group)
    now = clock.now()
    # The state the filing reaches (a new row, so no transition): a held place or the line.
    if channel == Application.Channel.IN_PERSON:
        status = Status.AWAITING_PARENT if seated else Status.WAITLISTED
    else:
        status = Status.NEW if seated else Status.WAITLISTED
    application.status = status
    application.created_at = application.status_changed_at = now
    application.decide_by = now + decision_days if seated else None
    # No savepoint: a duplicate (the UNIQUE constraint) ends the whole filing, its seat too.
    try:
        insert_without_history(application)
    except IntegrityError as exc:
        raise _refuse(
            "already_applied", "Ребёнок уже записан или ждёт места в этой группе."
        ) from exc
    application.filed_terms = terms  # what the family is told it agrees to (not stored)
    # Its history row, the action log's and the parent's notice: one round trip.
    rows = [
        created_row(application, user=actor),
        audit.entry(
            actor=actor,
            action="enrolment.applied",
            obj=application,
            municipality=certificate.municipality,
            details={"group": group.pk, "status": status, "channel": channel},
        ),
    ]
    note = notice(application) if notice else None
    insert_rows(rows + ([note] if note else []))
    if note:
        accounts.deliver_after_commit(note)
    return application


def _filed_notice(application: Application):
    """The parent's notice of an online filing: the place held, or the waitlist's place."""
    group = application.group
    program = group.module.program
    child = application.certificate.child.short_name
    if application.status == Status.WAITLISTED:
        position = waitlist_position(application)
        application.waitlist_position = position  # as `with_waitlist_position` annotates
        return _parent_notice(
            application,
            "Заявка в листе ожидания",
            f"{child}: мест в группе «{group.name}» программы «{program.name}» нет, заявка в "
            f"листе ожидания ({position}-я). Когда место освободится, вам придёт предложение "
            "договора.",
        )
    return _parent_notice(
        application,
        "Заявка на зачисление подана",
        f"{child}: заявка в группу «{group.name}» программы «{program.name}» подана; место за "
        "ребёнком сохранено до решения поставщика.",
    )


@atomic_retry
def apply(
    *, actor, certificate: Certificate, group: Group, copay_agreed: bool = False
) -> Application:
    """A parent applies online. A free place is held until the provider decides; a full group
    puts the application on the waitlist in order of arrival."""
    certificate = _lock_certificate(certificate.pk)
    authorize(actor, "enrolment.accept", certificate, hide=True, message="Сертификат не найден.")
    group = _group_of(group)
    application = _new_application(
        actor=actor,
        certificate=certificate,
        group=group,
        parent=actor,
        channel=Application.Channel.ONLINE,
        copay_agreed=copay_agreed,
        notice=_filed_notice,
    )
    return application


def apply_in_person(*, actor, certificate_number: str, surname: str, group: Group) -> Application:
    """Provider staff enrol a child who came in person, by certificate number and the
    child's surname (the look-up: limited and recorded, so call it outside a transaction).
    The parent confirms in the cabinet, or on the spot with the one-time code sent to them.

    A number or surname that does not match answers as an unknown number does, before any
    check of the group: a refusal must not tell the child is there (already applied, age)."""
    group = _load_group(group.pk)
    authorize(actor, "enrolment.enrol_in_person", group, message=IN_PERSON_ONLY_STAFF)
    certificate = _look_up(actor, group, certificate_number, surname, Purpose.ENROL)
    return _file_in_person(actor=actor, certificate_id=certificate.pk, group=group)


def _look_up(actor, group: Group, number: str, surname: str, purpose: str) -> Certificate:
    try:
        return look_up_for_provider(
            actor=actor,
            provider=group.module.program.provider,
            number=number,
            surname=surname,
            purpose=purpose,
        )
    except NotFound as exc:
        raise ValidationFailed(fields={"certificate_number": exc.message}) from exc


@atomic_retry
def _file_in_person(*, actor, certificate_id: int, group: Group) -> Application:
    group = _load_group(group.pk)
    provider = group.module.program.provider
    certificate = _lock_certificate(certificate_id)
    guardian = certificate.child.guardians.order_by("pk").first()
    if guardian is None:
        raise _refuse("no_guardian", "У ребёнка нет законного представителя в системе.")
    application = _new_application(
        actor=actor,
        certificate=certificate,
        group=group,
        parent=guardian,
        channel=Application.Channel.IN_PERSON,
        copay_agreed=True,  # the parent sees the co-payment before confirming
    )
    if application.status == Status.AWAITING_PARENT:
        code = issue_code(application, copay_kopecks=application.filed_terms.copay_kopecks)
        _notify_parent(
            application,
            "Подтвердите запись ребёнка",
            f"{certificate.child.short_name}: «{provider.short_name}» записывает ребёнка в группу "
            f"«{group.name}».\n\n{_terms_text(provider, group, application.filed_terms)}\n\n"
            f"Назвать сотруднику код {code} — значит согласиться с этими условиями и заключить "
            "договор. Можно и подтвердить запись в личном кабинете. Если вы не обращались к "
            "поставщику, не называйте код, не подтверждайте и сообщите оператору.",
        )
    return application


def _terms_text(provider, group: Group, terms: Terms) -> str:
    """The contract's terms in the in-person code's notice: telling the code concludes it."""
    program = group.module.program
    lines = [
        f"Условия договора: программа «{program.name}», модуль «{group.module.name}», группа "
        f"«{group.name}»; исполнитель — {provider.full_name or provider.short_name}; занятия с "
        f"{terms.starts_on:%d.%m.%Y} по {terms.ends_on:%d.%m.%Y} ({len(terms.months)} мес.)."
    ]
    if terms.funding == Contract.Funding.BUDGET:
        lines.append(
            "Обучение бесплатно: программа в бюджетном реестре, деньги сертификата не "
            "расходуются, доплаты нет."
        )
        return "\n".join(lines)
    lines.append(
        f"Цена за этот срок — {format_kopecks(terms.price_kopecks)}; сертификат оплатит "
        f"{format_kopecks(terms.certificate_kopecks)}; доплата семьи — "
        + (format_kopecks(terms.copay_kopecks) if terms.copay_kopecks else "нет")
        + "."
    )
    if terms.copay_kopecks:
        lines.append(selectors.copay_payment_text(provider))
    return "\n".join(lines)


@dataclass(frozen=True)
class InPersonPreview:
    """What staff and the parent see before an in-person enrolment is filed.

    `certificate` is the provider's reduced view (name, age, type, active); `terms` are the
    contract's dates and money if enrolment is possible now, else `refusal` says why not.
    """

    certificate: certificate_selectors.ProviderView
    group: Group
    terms: Terms | None
    refusal: str
    group_full: bool


def preview_in_person(
    *, actor, certificate_number: str, surname: str, group: Group
) -> InPersonPreview:
    """Look the certificate up by number and surname (limited and recorded) and compute the
    terms for the group.

    Nothing is reserved or held: the same checks run again when the enrolment is filed.
    """
    group = _load_group(group.pk)
    authorize(actor, "enrolment.enrol_in_person", group, message=IN_PERSON_ONLY_STAFF)
    certificate = _look_up(actor, group, certificate_number, surname, Purpose.ENROL_PREVIEW)
    view = certificate_selectors.provider_view(certificate)
    certificate = Certificate.objects.select_related("child", "municipality").get(pk=certificate.pk)
    terms, refusal = None, ""
    try:
        _refuse_if_applied(certificate, group)
        terms = check_preconditions(certificate=certificate, group=group, copay_agreed=True)
    except (ValidationFailed, Conflict) as exc:  # refusals, incl. an excluded provider
        refusal = exc.message
    return InPersonPreview(
        certificate=view,
        group=group,
        terms=terms,
        refusal=refusal,
        group_full=group.seats_taken >= group.capacity,
    )
