"""Write use-cases of enrolment: apply, decide, offer, accept, waitlist, terminate, expire.

Concurrency: every service that can race locks rows in one order — the certificate, then
the application/contract, then the group — and seats and balances are also guarded by
conditional UPDATEs and CHECK/UNIQUE constraints (seats_taken ≤ capacity, available ≥ 0,
one live contract per child and group), so a forgotten lock cannot corrupt data.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from pfdo.accounts import services as accounts
from pfdo.audit import services as audit
from pfdo.catalog.models import Group, Program
from pfdo.catalog.schedule import lessons_overlap
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.common.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from pfdo.common.money import format_kopecks
from pfdo.enrolment.models import Application, Contract, ContractMonth
from pfdo.enrolment.selectors import month_label, waitlist_position
from pfdo.enrolment.terms import budget_split, prorate, split_contract
from pfdo.financing import services as financing
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.selectors import current_period
from pfdo.ledger import services as ledger
from pfdo.ledger.models import Account, Transfer
from pfdo.providers import services as providers
from pfdo.providers.models import EnrolmentLimit, Provider, ProviderStaff

Status = Application.Status


class EnrolmentRefused(Conflict):
    """A precondition of enrolment is not met; `code` says which one."""

    code = "enrolment_refused"


# ------------------------------------------------------------------------------ plumbing


def _retryable(exc: OperationalError) -> bool:
    cause = getattr(exc, "__cause__", None)
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return sqlstate in {"40001", "40P01"}  # serialization failure, deadlock


def atomic_retry(fn):
    """One transaction; on PostgreSQL a deadlock or serialization failure is retried twice.

    Inside a caller's transaction there is nothing to retry: the error goes up.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(3):
            try:
                with transaction.atomic():
                    return fn(*args, **kwargs)
            except OperationalError as exc:
                if connection.in_atomic_block or attempt == 2 or not _retryable(exc):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    out, cur = [], _month_start(start)
    while cur <= end:
        out.append(cur)
        cur = (cur.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def _staff_provider_ids(user) -> set[int]:
    if not user or not user.is_authenticated:
        return set()
    return set(
        ProviderStaff.objects.filter(user=user, is_active=True).values_list(
            "provider_id", flat=True
        )
    )


def _is_guardian(user, child_id: int) -> bool:
    return (
        bool(user and user.is_authenticated)
        and user.guardianships.filter(child_id=child_id).exists()
    )


def _is_official(user, municipality) -> bool:
    return certificate_services.can_manage(user, municipality)


# --------------------------------------------------------------------------------- terms


@dataclass(frozen=True)
class Terms:
    """What a contract for this certificate in this group would be, computed today."""

    period: FinancingPeriod
    funding: str
    starts_on: dt.date
    ends_on: dt.date
    months: tuple[dt.date, ...]
    price_kopecks: int
    normative_kopecks: int
    available_kopecks: int
    certificate_kopecks: int
    copay_kopecks: int
    certificate_months: tuple[int, ...]
    copay_months: tuple[int, ...]

    @property
    def remaining_kopecks(self) -> int:
        return self.available_kopecks - self.certificate_kopecks


def _refuse(code: str, message: str) -> EnrolmentRefused:
    return EnrolmentRefused(message, code=code)


def _group_months(group: Group) -> int:
    return len(_months(group.starts_on, group.ends_on))


def compute_terms(*, certificate: Certificate, group: Group, today: dt.date | None = None) -> Terms:
    """Dates clipped to the group and the period; price and normative cost for those months;
    certificate part = min(price, normative cost, available); the rest is the co-payment."""
    today = today or clock.today()
    period = current_period(certificate.municipality, today)
    if period is None:
        raise _refuse(
            "no_period", "Сейчас нет действующей программы персонифицированного финансирования."
        )
    program = group.module.program
    if group.starts_on is None or group.ends_on is None:
        raise _refuse("group_incomplete", "У группы не указаны даты занятий.")
    start = max(group.starts_on, period.starts_on, today)
    end = min(group.ends_on, period.ends_on)
    if end < start:
        raise _refuse("group_finished", "Занятия группы в этом периоде уже закончились.")
    months = _months(start, end)
    whole = _group_months(group)
    module = group.module
    if program.budget_registry != Program.BudgetRegistry.NONE:
        funding = Contract.Funding.BUDGET
        available = 0
        split = budget_split(len(months))
    else:
        funding = Contract.Funding.CERTIFICATE
        available = certificate_selectors.balance(certificate, period).available_kopecks
        split = split_contract(
            price_kopecks=prorate(module.price_kopecks, len(months), whole),
            normative_kopecks=prorate(module.normative_cost_kopecks, len(months), whole),
            available_kopecks=available,
            months=len(months),
        )
    return Terms(
        period=period,
        funding=funding,
        starts_on=start,
        ends_on=end,
        months=tuple(months),
        price_kopecks=split.price_kopecks,
        normative_kopecks=split.normative_kopecks,
        available_kopecks=available,
        certificate_kopecks=split.certificate_kopecks,
        copay_kopecks=split.copay_kopecks,
        certificate_months=split.certificate_months,
        copay_months=split.copay_months,
    )


def _refuse_if_frozen(period: FinancingPeriod, today: dt.date) -> None:
    """The closing freeze stops new contracts at every step: filing, offer, acceptance."""
    if period.is_frozen(today):
        raise _refuse(
            "period_frozen",
            f"Идёт закрытие периода «{period.name}»: новые договоры не заключаются до "
            "начала следующего.",
        )


def _clash(certificate: Certificate, group: Group) -> str | None:
    """A lesson of `group` at the same time as a lesson of another group of the child."""
    others = (
        Group.objects.filter(
            enrolment_applications__child_id=certificate.child_id,
            enrolment_applications__status__in=Application.HOLDING,
            starts_on__lte=group.ends_on,
            ends_on__gte=group.starts_on,
        )
        .exclude(pk=group.pk)
        .prefetch_related("schedule", "module__program")
        .distinct()
    )
    mine = list(group.schedule.all())
    for other in others:
        for a in mine:
            for b in other.schedule.all():
                if lessons_overlap(a, b):
                    return (
                        f"Занятия пересекаются с группой «{other.name}» программы "
                        f"«{other.module.program.name}»: {b.get_weekday_display()} "
                        f"{b.starts_at:%H:%M}–{b.ends_at:%H:%M}."
                    )
    return None


def check_preconditions(
    *, certificate: Certificate, group: Group, copay_agreed: bool, today: dt.date | None = None
) -> Terms:
    """Every precondition of domain.md §4 with its own message; returns the terms if all hold."""
    today = today or clock.today()
    program = group.module.program
    provider = program.provider
    if not (program.is_published and program.enrolment_open and group.enrolment_open):
        raise _refuse("enrolment_closed", "Запись в эту группу сейчас закрыта.")
    providers.ensure_accepts_enrolments(provider)
    if group.starts_on is None or group.ends_on is None or not group.schedule.exists():
        raise _refuse("group_incomplete", "У группы нет дат или расписания: запись невозможна.")
    if certificate.status != Certificate.Status.ACTIVE:
        raise _refuse(
            "certificate_not_active",
            f"Сертификат № {certificate.number} {certificate.get_status_display()}: "
            "записаться по нему нельзя.",
        )
    if certificate.municipality_id != provider.municipality_id:
        raise _refuse(
            "other_municipality",
            "Сертификат выдан в другом муниципалитете: запись к этому поставщику пока невозможна.",
        )
    child = certificate.child
    age = child.age_months(group.starts_on if group.starts_on > today else today)
    low, high = program.age_from_months, program.age_to_months
    if (low is not None and age < low) or (high is not None and age >= high):
        raise _refuse(
            "age_out_of_range",
            f"Программа для детей {program.age_display}; ребёнку на начало занятий "
            f"{age // 12} лет.",
        )
    in_budget = program.budget_registry != Program.BudgetRegistry.NONE
    if certificate.type == Certificate.Type.ACCOUNTING and not in_budget:
        raise _refuse(
            "certificate_type_mismatch",
            "Сертификат учёта даёт право только на бесплатные (бюджетные) программы; эта "
            "программа оплачивается сертификатом финансирования.",
        )
    if not in_budget and not program.is_certified:
        raise _refuse(
            "certificate_type_mismatch",
            "Программа не сертифицирована и не входит в бюджетный реестр: по сертификату на неё "
            "не записаться.",
        )
    terms = compute_terms(certificate=certificate, group=group, today=today)
    _refuse_if_frozen(terms.period, today)
    clash = _clash(certificate, group)
    if clash:
        raise _refuse("schedule_clash", clash)
    if certificate.type == Certificate.Type.ACCOUNTING and in_budget:
        limit = terms.period.accounting_program_limit
        used = (
            Application.objects.filter(certificate=certificate, status__in=Application.HOLDING)
            .exclude(group=group)
            .count()
        )
        if used >= limit:
            raise _refuse(
                "accounting_limit_reached",
                f"По сертификату учёта можно заниматься не более чем в {limit} бюджетных "
                "программах одновременно: все места использованы.",
            )
    limit = EnrolmentLimit.objects.filter(provider=provider, period=terms.period).first()
    if limit is not None:
        children = (
            Application.objects.filter(provider=provider, status__in=Application.HOLDING)
            .values("child_id")
            .distinct()
        )
        ids = set(children.values_list("child_id", flat=True))
        if child.pk not in ids and len(ids) >= limit.max_children:
            raise _refuse(
                "enrolment_limit_reached",
                f"У «{provider.short_name}» исчерпан лимит зачисления на период "
                f"({limit.max_children} детей).",
            )
    if terms.copay_kopecks > 0 and not copay_agreed:
        raise ValidationFailed(
            "Нужна доплата семьи.",
            code="copay_not_agreed",
            fields={
                "copay_agreed": (
                    f"Сертификат оплатит {format_kopecks(terms.certificate_kopecks)}, доплата "
                    f"семьи — {format_kopecks(terms.copay_kopecks)}. Подтвердите согласие на доплату."
                )
            },
        )
    return terms


# ----------------------------------------------------------------------------- seats


def _take_seat(group: Group) -> bool:
    """One place, if free: a conditional UPDATE, so concurrent takers never overbook."""
    return bool(
        Group.objects.filter(pk=group.pk, seats_taken__lt=F("capacity")).update(
            seats_taken=F("seats_taken") + 1
        )
    )


def _free_seat(group_id: int) -> None:
    Group.objects.filter(pk=group_id, seats_taken__gt=0).update(seats_taken=F("seats_taken") - 1)


def _lock_certificate(certificate_id: int) -> Certificate:
    # OF self: the joined child and municipality rows stay unlocked (locking the municipality
    # made every enrolment in it wait for every other).
    certificate = (
        Certificate.objects.select_for_update(of=("self",))
        .filter(pk=certificate_id)
        .select_related("child", "municipality")
        .first()
    )
    if certificate is None:
        raise NotFound("Сертификат не найден.")
    return certificate


def _load_group(group_id: int) -> Group:
    group = (
        Group.objects.select_related("module__program__provider")
        .prefetch_related("schedule")
        .filter(pk=group_id)
        .first()
    )
    if group is None:
        raise NotFound("Группа не найдена.")
    return group


def _notify_parent(application: Application, subject: str, body: str, link: str = "") -> None:
    accounts.notify(
        user=application.parent,
        subject=subject,
        body=body,
        link=link or f"/cabinet/parent/enrolment/{application.pk}/",
    )


def _set_status(application: Application, status: str, reason: str = "") -> None:
    application.status = status
    application.status_changed_at = clock.now()
    if reason:
        application.reason = reason
    application.save(update_fields=["status", "status_changed_at", "reason"])


# ------------------------------------------------------------------------------- apply


def _lock_limited_provider(group: Group) -> None:
    """A provider's enrolment limit counts children over all its groups: with a limit set,
    places at that provider are taken one at a time (its row locked after the certificate,
    before the group), so two children cannot both take the last one under the limit."""
    provider_id = group.module.program.provider_id
    if EnrolmentLimit.objects.filter(provider_id=provider_id).exists():
        Provider.objects.select_for_update().filter(pk=provider_id).first()


def _new_application(
    *, actor, certificate: Certificate, group: Group, parent, channel: str, copay_agreed: bool
) -> Application:
    """Checks, then a place or the waitlist. Caller holds the certificate lock."""
    if Application.objects.filter(
        child_id=certificate.child_id, group=group, status__in=Application.LIVE
    ).exists():
        raise _refuse("already_applied", "Ребёнок уже записан или ждёт места в этой группе.")
    _lock_limited_provider(group)
    terms = check_preconditions(certificate=certificate, group=group, copay_agreed=copay_agreed)
    locked_group = Group.objects.select_for_update().get(pk=group.pk)
    seated = _take_seat(locked_group)
    now = clock.now()
    if channel == Application.Channel.IN_PERSON:
        status = Status.AWAITING_PARENT if seated else Status.WAITLISTED
    else:
        status = Status.NEW if seated else Status.WAITLISTED
    try:
        with transaction.atomic():
            application = Application.objects.create(
                child_id=certificate.child_id,
                certificate=certificate,
                group=group,
                provider=group.module.program.provider,
                municipality=certificate.municipality,
                parent=parent,
                channel=channel,
                status=status,
                copay_agreed=copay_agreed,
                created_by=actor,
                created_at=now,
                status_changed_at=now,
                decide_by=now + dt.timedelta(days=terms.period.decision_days) if seated else None,
            )
    except IntegrityError as exc:
        raise _refuse(
            "already_applied", "Ребёнок уже записан или ждёт места в этой группе."
        ) from exc
    audit.record(
        actor=actor,
        action="enrolment.applied",
        obj=application,
        municipality=certificate.municipality,
        details={"group": group.pk, "status": status, "channel": channel},
    )
    return application


@atomic_retry
def apply(
    *, actor, certificate: Certificate, group: Group, copay_agreed: bool = False
) -> Application:
    """A parent applies online. A free place is held until the provider decides; a full group
    puts the application on the waitlist in order of arrival."""
    certificate = _lock_certificate(certificate.pk)
    if not _is_guardian(actor, certificate.child_id):
        raise NotFound("Сертификат не найден.")
    group = _load_group(group.pk)
    application = _new_application(
        actor=actor,
        certificate=certificate,
        group=group,
        parent=actor,
        channel=Application.Channel.ONLINE,
        copay_agreed=copay_agreed,
    )
    program = group.module.program
    if application.status == Status.WAITLISTED:
        position = waitlist_position(application)
        _notify_parent(
            application,
            "Заявка в листе ожидания",
            f"{certificate.child.short_name}: мест в группе «{group.name}» программы "
            f"«{program.name}» нет, заявка в листе ожидания ({position}-я). Когда место "
            "освободится, вам придёт предложение договора.",
        )
    else:
        _notify_parent(
            application,
            "Заявка на зачисление подана",
            f"{certificate.child.short_name}: заявка в группу «{group.name}» программы "
            f"«{program.name}» подана; место за ребёнком сохранено до решения поставщика.",
        )
    return application


def _hash_code(application_id: int, code: str) -> str:
    return hashlib.sha256(f"{application_id}:{code}".encode()).hexdigest()


@atomic_retry
def apply_in_person(*, actor, certificate_number: str, group: Group) -> Application:
    """Provider staff enrol a child who came in person, by certificate number. The parent
    confirms in the cabinet, or on the spot with the one-time code sent to them."""
    group = _load_group(group.pk)
    provider = group.module.program.provider
    if provider.pk not in _staff_provider_ids(actor):
        raise AccessDenied("Записывать детей в эту группу могут только сотрудники поставщика.")
    digits = "".join(ch for ch in (certificate_number or "") if ch.isdigit())
    found = Certificate.objects.filter(number=digits).values_list("pk", flat=True).first()
    if len(digits) != 10 or found is None:
        raise ValidationFailed(
            fields={"certificate_number": "Сертификат с таким номером не найден."}
        )
    certificate = _lock_certificate(found)
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
        code = f"{secrets.randbelow(1_000_000):06d}"
        application.confirm_code_hash = _hash_code(application.pk, code)
        application.save(update_fields=["confirm_code_hash"])
        _notify_parent(
            application,
            "Подтвердите запись ребёнка",
            f"{certificate.child.short_name}: «{provider.short_name}» записывает ребёнка в группу "
            f"«{group.name}». Подтвердите в личном кабинете или назовите сотруднику код {code}. "
            "Если вы не обращались к поставщику, не подтверждайте и сообщите оператору.",
        )
    return application


# ------------------------------------------------------------------------- decisions


def _lock_application(application_id: int) -> tuple[Certificate, Application]:
    """Lock in the fixed order: the certificate, then the application."""
    certificate_id = (
        Application.objects.filter(pk=application_id)
        .values_list("certificate_id", flat=True)
        .first()
    )
    if certificate_id is None:
        raise NotFound("Заявка не найдена.")
    certificate = _lock_certificate(certificate_id)
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("parent", "provider", "municipality")
        .get(pk=application_id)
    )
    return certificate, application


def _ensure_staff(actor, application: Application) -> None:
    if application.provider_id not in _staff_provider_ids(actor):
        raise NotFound("Заявка не найдена.")


def _offer(actor, certificate: Certificate, application: Application) -> Contract:
    """Turn an application holding a place into a contract offer (terms computed now)."""
    group = _load_group(application.group_id)
    terms = compute_terms(certificate=certificate, group=group)
    _refuse_if_frozen(terms.period, clock.today())
    now = clock.now()
    contract = Contract.objects.create(
        application=application,
        child_id=application.child_id,
        certificate=certificate,
        group=group,
        provider_id=application.provider_id,
        municipality_id=application.municipality_id,
        period=terms.period,
        parent=application.parent,
        funding=terms.funding,
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        price_kopecks=terms.price_kopecks,
        normative_kopecks=terms.normative_kopecks,
        certificate_kopecks=terms.certificate_kopecks,
        copay_kopecks=terms.copay_kopecks,
        offered_at=now,
        offer_expires_at=now + dt.timedelta(days=terms.period.offer_days),
    )
    contract.number = f"{terms.period.starts_on:%Y}-{contract.pk:06d}"
    contract.save(update_fields=["number"])
    ContractMonth.objects.bulk_create(
        [
            ContractMonth(contract=contract, month=m, certificate_kopecks=c, copay_kopecks=p)
            for m, c, p in zip(
                terms.months, terms.certificate_months, terms.copay_months, strict=True
            )
        ]
    )
    _set_status(application, Status.OFFERED)
    audit.record(
        actor=actor,
        action="enrolment.contract_offered",
        obj=contract,
        municipality=application.municipality,
        details={
            "price_kopecks": contract.price_kopecks,
            "certificate_kopecks": contract.certificate_kopecks,
            "copay_kopecks": contract.copay_kopecks,
        },
    )
    _notify_parent(
        application,
        f"Предложен договор № {contract.number}",
        f"{certificate.child.short_name}: «{application.provider.short_name}» предлагает договор "
        f"с {contract.starts_on:%d.%m.%Y} по {contract.ends_on:%d.%m.%Y}. Сертификат оплатит "
        f"{format_kopecks(contract.certificate_kopecks)}, доплата семьи — "
        f"{format_kopecks(contract.copay_kopecks)}. Примите договор до "
        f"{timezone.localtime(contract.offer_expires_at):%d.%m.%Y %H:%M}.",
        link=f"/cabinet/parent/contracts/{contract.pk}/",
    )
    return contract


@atomic_retry
def confirm(*, actor, application: Application) -> Contract:
    """The provider confirms an application: the contract is offered to the parent."""
    certificate, locked = _lock_application(application.pk)
    _ensure_staff(actor, locked)
    if locked.status != Status.NEW:
        raise Conflict(f"Заявка {locked.get_status_display()}: подтвердить её нельзя.")
    if certificate.status != Certificate.Status.ACTIVE:
        raise _refuse("certificate_not_active", f"Сертификат {certificate.get_status_display()}.")
    locked.decided_at = clock.now()
    locked.save(update_fields=["decided_at"])
    return _offer(actor, certificate, locked)


def _end_application(
    actor, application: Application, status: str, reason: str, action: str
) -> None:
    """An application ends without a contract: its place (if any) goes to the waitlist."""
    held = application.holds_place
    _set_status(application, status, reason)
    audit.record(
        actor=actor,
        action=action,
        obj=application,
        municipality=application.municipality,
        details={"reason": reason} if reason else None,
    )
    if held:
        release_place(actor=actor, group_id=application.group_id)


@atomic_retry
def reject(*, actor, application: Application, reason: str) -> Application:
    certificate, locked = _lock_application(application.pk)
    _ensure_staff(actor, locked)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину отказа."})
    if locked.status not in (Status.NEW, Status.WAITLISTED, Status.AWAITING_PARENT):
        raise Conflict(f"Заявка {locked.get_status_display()}: отклонить её нельзя.")
    locked.decided_at = clock.now()
    locked.save(update_fields=["decided_at"])
    _end_application(actor, locked, Status.REJECTED, reason, "enrolment.rejected")
    _notify_parent(
        locked,
        "Заявка отклонена",
        f"{certificate.child.short_name}: поставщик отклонил заявку. Причина: {reason}",
    )
    return locked


@atomic_retry
def cancel(*, actor, application: Application) -> Application:
    """The parent withdraws an application that has no contract yet."""
    certificate, locked = _lock_application(application.pk)
    if not _is_guardian(actor, locked.child_id):
        raise NotFound("Заявка не найдена.")
    if locked.status not in (Status.NEW, Status.WAITLISTED, Status.AWAITING_PARENT):
        raise Conflict(f"Заявка {locked.get_status_display()}: отозвать её нельзя.")
    _end_application(actor, locked, Status.CANCELLED, "", "enrolment.cancelled")
    _notify_parent(locked, "Заявка отозвана", f"{certificate.child.short_name}: заявка отозвана.")
    return locked


@atomic_retry
def confirm_by_parent(*, actor, application: Application) -> Contract:
    """The parent confirms an in-person enrolment: the contract is offered at once."""
    certificate, locked = _lock_application(application.pk)
    if not _is_guardian(actor, locked.child_id):
        raise NotFound("Заявка не найдена.")
    if locked.status != Status.AWAITING_PARENT:
        raise Conflict(f"Заявка {locked.get_status_display()}: подтверждение не требуется.")
    return _offer(actor, certificate, locked)


@atomic_retry
def confirm_with_code(*, actor, application: Application, code: str) -> Contract:
    """On the spot: the parent tells staff the code sent to them — their consent to the
    contract they were shown, so it is offered and accepted at once."""
    certificate, locked = _lock_application(application.pk)
    _ensure_staff(actor, locked)
    if locked.status != Status.AWAITING_PARENT:
        raise Conflict(f"Заявка {locked.get_status_display()}: подтверждение не требуется.")
    given = "".join(ch for ch in (code or "") if ch.isdigit())
    if not locked.confirm_code_hash or not secrets.compare_digest(
        _hash_code(locked.pk, given), locked.confirm_code_hash
    ):
        raise ValidationFailed(
            fields={"code": "Код не подходит. Проверьте код из уведомления родителя."}
        )
    contract = _offer(actor, certificate, locked)
    return _accept_locked(actor, certificate, contract)


# ------------------------------------------------------------------ offer → contract


def _lock_contract(contract_id: int) -> tuple[Certificate, Contract]:
    certificate_id = (
        Contract.objects.filter(pk=contract_id).values_list("certificate_id", flat=True).first()
    )
    if certificate_id is None:
        raise NotFound("Договор не найден.")
    certificate = _lock_certificate(certificate_id)
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("application", "provider", "period", "group", "parent")
        .get(pk=contract_id)
    )
    return certificate, contract


def _accept_locked(actor, certificate: Certificate, contract: Contract) -> Contract:
    if contract.status != Contract.Status.OFFERED:
        raise Conflict(
            f"Договор {contract.get_status_display()}: принять его нельзя.", code="not_offered"
        )
    if contract.offer_expires_at <= clock.now():
        raise Conflict("Срок принятия договора истёк.", code="offer_expired")
    if certificate.status != Certificate.Status.ACTIVE:
        raise _refuse("certificate_not_active", f"Сертификат {certificate.get_status_display()}.")
    _refuse_if_frozen(contract.period, clock.today())
    months = list(contract.months.order_by("month"))
    if contract.certificate_kopecks > 0:
        _reserve(certificate, contract, months)
    financing.mark_commitments_started(actor=actor, period=contract.period)
    contract.status = Contract.Status.ACTIVE
    contract.accepted_at = clock.now()
    contract.save(update_fields=["status", "accepted_at"])
    _set_status(contract.application, Status.ENROLLED)
    audit.record(
        actor=actor,
        action="enrolment.contract_accepted",
        obj=contract,
        municipality=contract.municipality,
        details={"reserved_kopecks": contract.certificate_kopecks},
    )
    _notify_parent(
        contract.application,
        f"Договор № {contract.number} заключён",
        f"{certificate.child.short_name}: договор заключён. На сертификате зарезервировано "
        f"{format_kopecks(contract.certificate_kopecks)} помесячно до {contract.ends_on:%d.%m.%Y}.",
        link=f"/cabinet/parent/contracts/{contract.pk}/",
    )
    return contract


def _reserve(
    certificate: Certificate,
    contract: Contract,
    months: list[ContractMonth],
    period: FinancingPeriod | None = None,
) -> None:
    """One pending transfer per month from the certificate to the provider's payable, in the
    accounts of `period` (the contract's own by default; the next one for continued months)."""
    period = period or contract.period
    source = certificate_services.certificate_account(certificate, period)
    payable = ledger.get_account(
        kind=Account.Kind.PROVIDER,
        municipality=contract.municipality,
        period=period,
        holder_id=contract.provider_id,
    )
    entries = [
        ledger.Entry(
            key=_reserve_key(contract, m.month),
            kind=Transfer.Kind.RESERVE,
            debit_id=source.pk,
            credit_id=payable.pk,
            amount_kopecks=m.certificate_kopecks,
            description=f"Резерв по договору № {contract.number} за {month_label(m.month)}",
            ref_type="contract",
            ref_id=contract.pk,
        )
        for m in months
        if m.certificate_kopecks > 0
    ]
    try:
        ledger.post_many(entries, pending=True)
    except ledger.InsufficientFunds as exc:
        available = certificate_selectors.balance(certificate, period).available_kopecks
        raise Conflict(
            f"На сертификате недостаточно средств: доступно {format_kopecks(available)}, "
            f"договор требует {format_kopecks(contract.certificate_kopecks)}.",
            code="insufficient_funds",
        ) from exc
    ids = dict(Transfer.objects.filter(key__in=[e.key for e in entries]).values_list("key", "pk"))
    for m in months:
        key = _reserve_key(contract, m.month)
        if key in ids:
            ContractMonth.objects.filter(pk=m.pk).update(reservation_id=ids[key])


def _reserve_key(contract: Contract, month: dt.date) -> str:
    return f"reserve:k{contract.pk}:{month:%Y-%m}"


@atomic_retry
def accept(*, actor, contract: Contract) -> Contract:
    """The parent accepts the offer: the certificate part is reserved month by month."""
    certificate, locked = _lock_contract(contract.pk)
    if not _is_guardian(actor, locked.child_id):
        raise NotFound("Договор не найден.")
    return _accept_locked(actor, certificate, locked)


def _end_offer(actor, contract: Contract, status: str, app_status: str, action: str) -> None:
    contract.status = status
    contract.ended_at = clock.now()
    contract.save(update_fields=["status", "ended_at"])
    _end_application(actor, contract.application, app_status, "", action)


@atomic_retry
def decline(*, actor, contract: Contract) -> Contract:
    certificate, locked = _lock_contract(contract.pk)
    if not _is_guardian(actor, locked.child_id):
        raise NotFound("Договор не найден.")
    if locked.status != Contract.Status.OFFERED:
        raise Conflict(f"Договор {locked.get_status_display()}: отказаться от него нельзя.")
    _end_offer(
        actor, locked, Contract.Status.DECLINED, Status.DECLINED, "enrolment.contract_declined"
    )
    _notify_parent(
        locked.application,
        f"Вы отказались от договора № {locked.number}",
        f"{certificate.child.short_name}: договор не заключён, место в группе освобождено.",
    )
    return locked


# ------------------------------------------------------------------------ termination


def _release_reservations(contract: Contract, *, after: dt.date | None) -> int:
    """Void the month reservations not yet billed (months after `after`; all if None)."""
    months = contract.months.filter(reservation_id__isnull=False)
    if after is not None:
        months = months.filter(month__gt=_month_start(after))
    pending_ids = list(months.values_list("reservation_id", flat=True))
    for attempt in range(3):
        open_ids = set(
            Transfer.objects.filter(pk__in=pending_ids, resolutions__isnull=True).values_list(
                "pk", flat=True
            )
        )
        resolutions = [
            ledger.Resolution(
                key=f"release:{pk}",
                pending_id=pk,
                amount_kopecks=0,
                description=f"Возврат резерва по договору № {contract.number}",
            )
            for pk in pending_ids
            if pk in open_ids
        ]
        if not resolutions:
            return 0
        try:
            with transaction.atomic():
                ledger.post_pending_many(resolutions)
            break
        except ledger.AlreadyResolved:
            # The month's invoice was accepted meanwhile and charged one of them: what is
            # still open is read again.
            if attempt == 2:
                raise
    return sum(
        Transfer.objects.filter(pk__in=[r.pending_id for r in resolutions]).values_list(
            "amount_kopecks", flat=True
        )
    )


@atomic_retry
def terminate(*, actor, contract: Contract, reason: str = "") -> Contract:
    """End a contract early — the parent (one step), the provider (expulsion, reason required)
    or the operator (reason required). The unbilled reservation returns at once and the place
    goes to the waitlist."""
    certificate, locked = _lock_contract(contract.pk)
    if _is_guardian(actor, locked.child_id):
        by = Contract.TerminatedBy.PARENT
    elif locked.provider_id in _staff_provider_ids(actor):
        by = Contract.TerminatedBy.PROVIDER
    elif _is_official(actor, locked.municipality):
        by = Contract.TerminatedBy.OPERATOR
    else:
        raise NotFound("Договор не найден.")
    reason = (reason or "").strip()
    if by != Contract.TerminatedBy.PARENT and not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину расторжения."})
    if locked.status != Contract.Status.ACTIVE:
        raise Conflict(
            f"Договор {locked.get_status_display()}: расторгнуть можно только действующий.",
            code="not_active",
        )
    today = clock.today()
    # The month in progress stays reserved for billing; a contract not begun releases all.
    released = _release_reservations(locked, after=None if today < locked.starts_on else today)
    locked.status = Contract.Status.TERMINATED
    locked.ended_at = clock.now()
    locked.terminated_by = by
    locked.termination_reason = reason or "по заявлению родителя"
    locked.save(update_fields=["status", "ended_at", "terminated_by", "termination_reason"])
    _end_application(
        actor,
        locked.application,
        Status.TERMINATED,
        locked.termination_reason,
        "enrolment.contract_terminated",
    )
    _notify_parent(
        locked.application,
        f"Договор № {locked.number} расторгнут",
        f"{certificate.child.short_name}: договор расторгнут ({locked.get_terminated_by_display()}"
        f"{': ' + reason if reason else ''}). На сертификат возвращено "
        f"{format_kopecks(released)}.",
        link=f"/cabinet/parent/contracts/{locked.pk}/",
    )
    return locked


# -------------------------------------------------------------------------- waitlist


def release_place(*, actor, group_id: int) -> None:
    """A place freed up: give it to the first in line (an offer), or leave it free."""
    _free_seat(group_id)
    promote_waitlist(actor=actor, group_id=group_id)


def promote_waitlist(*, actor, group_id: int) -> int:
    """Offer free places to waitlisted applications, oldest first. Returns offers made."""
    made = 0
    while True:
        first = (
            Application.objects.filter(group_id=group_id, status=Status.WAITLISTED)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)
            .first()
        )
        if first is None:
            return made
        certificate, application = _lock_application(first)
        if application.status != Status.WAITLISTED:
            continue
        group = _load_group(group_id)
        try:
            with transaction.atomic():
                _lock_limited_provider(group)
                check_preconditions(
                    certificate=certificate, group=group, copay_agreed=application.copay_agreed
                )
                if not _take_seat(Group.objects.select_for_update().get(pk=group_id)):
                    return made
                _offer(actor, certificate, application)
        except (EnrolmentRefused, ValidationFailed, Conflict) as exc:
            _set_status(application, Status.EXPIRED, f"Место освободилось, но: {exc.message}")
            _notify_parent(
                application,
                "Заявка из листа ожидания не может быть исполнена",
                f"{certificate.child.short_name}: место освободилось, но записаться нельзя: "
                f"{exc.message}",
            )
            continue
        made += 1


# ------------------------------------------------------------------------ timed jobs


@dataclass(frozen=True)
class JobResult:
    applications_expired: int
    offers_expired: int
    contracts_completed: int


def run_deadlines(
    *, now: dt.datetime | None = None, municipality_id: int | None = None
) -> JobResult:
    """Expire undecided applications and unaccepted offers; complete finished contracts
    (of one municipality if given, e.g. at its period close).

    Each item in its own transaction, so one failure does not block the rest and a re-run
    after a crash finds only what is left.
    """
    now = now or clock.now()
    where = {"municipality_id": municipality_id} if municipality_id else {}
    expired_apps = 0
    for pk in Application.objects.filter(
        status__in=[Status.NEW, Status.AWAITING_PARENT], decide_by__lt=now, **where
    ).values_list("pk", flat=True):
        expired_apps += _expire_application(pk, now)
    expired_offers = 0
    for pk in Contract.objects.filter(
        status=Contract.Status.OFFERED, offer_expires_at__lt=now, **where
    ).values_list("pk", flat=True):
        expired_offers += _expire_offer(pk, now)
    completed = 0
    today = timezone.localdate(now)
    # A contract that ends only because its period does, while its group goes on, waits for
    # the period close: it may continue against the next period's nominal.
    awaiting_close = Exists(
        FinancingPeriod.objects.filter(
            municipality_id=OuterRef("municipality_id"), ends_on=OuterRef("ends_on")
        ).exclude(status=FinancingPeriod.Status.CLOSED)
    )
    ended = (
        Contract.objects.filter(status=Contract.Status.ACTIVE, ends_on__lt=today, **where)
        .exclude(Q(group__ends_on__gt=F("ends_on")) & awaiting_close)
        .values_list("pk", flat=True)
    )
    for pk in ended:
        completed += _complete(pk, today)
    return JobResult(expired_apps, expired_offers, completed)


@atomic_retry
def _expire_application(pk: int, now: dt.datetime) -> int:
    certificate, application = _lock_application(pk)
    if (
        application.status not in (Status.NEW, Status.AWAITING_PARENT)
        or application.decide_by >= now
    ):
        return 0
    why = (
        "поставщик не принял решение в срок"
        if application.status == Status.NEW
        else "родитель не подтвердил запись в срок"
    )
    _end_application(None, application, Status.EXPIRED, why, "enrolment.expired")
    _notify_parent(
        application, "Заявка истекла", f"{certificate.child.short_name}: заявка истекла — {why}."
    )
    return 1


@atomic_retry
def _expire_offer(pk: int, now: dt.datetime) -> int:
    certificate, contract = _lock_contract(pk)
    if contract.status != Contract.Status.OFFERED or contract.offer_expires_at >= now:
        return 0
    _end_offer(None, contract, Contract.Status.EXPIRED, Status.EXPIRED, "enrolment.offer_expired")
    _notify_parent(
        contract.application,
        f"Срок принятия договора № {contract.number} истёк",
        f"{certificate.child.short_name}: договор не принят в срок, место передано следующему.",
    )
    return 1


@atomic_retry
def _complete(pk: int, today: dt.date) -> int:
    certificate, contract = _lock_contract(pk)
    if contract.status != Contract.Status.ACTIVE or contract.ends_on >= today:
        return 0
    _release_reservations(contract, after=contract.ends_on)
    contract.status = Contract.Status.COMPLETED
    contract.ended_at = clock.now()
    contract.save(update_fields=["status", "ended_at"])
    _set_status(contract.application, Status.COMPLETED)
    _free_seat(contract.group_id)
    audit.record(
        actor=None,
        action="enrolment.contract_completed",
        obj=contract,
        municipality=contract.municipality,
    )
    _notify_parent(
        contract.application,
        f"Договор № {contract.number} завершён",
        f"{certificate.child.short_name}: обучение по договору завершено. Оцените программу в "
        "личном кабинете.",
        link=f"/cabinet/parent/contracts/{contract.pk}/",
    )
    return 1


@atomic_retry
def continue_contract(*, actor, contract_id: int, period: FinancingPeriod) -> bool:
    """At a period close: a contract whose group goes on continues in `period` (the next one).

    Its remaining months in that period are priced like a new contract (price and normative
    cost by months, certificate part up to the available balance of the next period's
    nominal, the rest a co-payment) and reserved there. False if there is nothing to continue.
    """
    certificate, contract = _lock_contract(contract_id)
    group = contract.group
    if (
        contract.status != Contract.Status.ACTIVE
        or contract.ends_on >= period.starts_on
        or group.ends_on is None
        or group.ends_on <= contract.ends_on
        or certificate.status != Certificate.Status.ACTIVE
    ):
        return False
    start = max(period.starts_on, contract.ends_on + dt.timedelta(days=1))
    end = min(group.ends_on, period.ends_on)
    if end < start:
        return False
    months = _months(start, end)
    whole = _group_months(group)
    module = group.module
    if contract.funding == Contract.Funding.BUDGET:
        split = budget_split(len(months))
    else:
        split = split_contract(
            price_kopecks=prorate(module.price_kopecks, len(months), whole),
            normative_kopecks=prorate(module.normative_cost_kopecks, len(months), whole),
            available_kopecks=certificate_selectors.balance(certificate, period).available_kopecks,
            months=len(months),
        )
    price, normative = split.price_kopecks, split.normative_kopecks
    part, copay = split.certificate_kopecks, split.copay_kopecks
    rows = ContractMonth.objects.bulk_create(
        [
            ContractMonth(contract=contract, month=m, certificate_kopecks=c, copay_kopecks=p)
            for m, c, p in zip(months, split.certificate_months, split.copay_months, strict=True)
        ]
    )
    if part > 0:
        _reserve(
            certificate,
            contract,
            list(ContractMonth.objects.filter(pk__in=[r.pk for r in rows])),
            period,
        )
    financing.mark_commitments_started(actor=actor, period=period)
    contract.ends_on = end
    contract.price_kopecks += price
    contract.normative_kopecks += normative
    contract.certificate_kopecks += part
    contract.copay_kopecks += copay
    contract.save(
        update_fields=[
            "ends_on",
            "price_kopecks",
            "normative_kopecks",
            "certificate_kopecks",
            "copay_kopecks",
        ]
    )
    audit.record(
        actor=actor,
        action="enrolment.contract_continued",
        obj=contract,
        municipality=contract.municipality,
        details={"period": period.pk, "reserved_kopecks": part, "copay_kopecks": copay},
    )
    _notify_parent(
        contract.application,
        f"Договор № {contract.number} продолжается в новом периоде",
        f"{certificate.child.short_name}: обучение продолжается до {end:%d.%m.%Y}. Из номинала "
        f"«{period.name}» зарезервировано {format_kopecks(part)}"
        + (f", доплата семьи — {format_kopecks(copay)}." if copay else "."),
        link=f"/cabinet/parent/contracts/{contract.pk}/",
    )
    return True


# ------------------------------------------------------------------- API read helpers


def preview_terms(*, actor, certificate: Certificate, group: Group) -> Terms:
    """The terms a parent would be offered today for their child's certificate in `group`:
    the money shown before applying. Someone else's certificate is not found."""
    if not _is_guardian(actor, certificate.child_id):
        raise NotFound("Сертификат не найден.")
    return compute_terms(certificate=certificate, group=group)


# ------------------------------------------------------------- in-person preview (pages)


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


def preview_in_person(*, actor, certificate_number: str, group: Group) -> InPersonPreview:
    """Look the certificate up (the look-up is logged) and compute the terms for the group.

    Nothing is reserved or held: the same checks run again when the enrolment is filed.
    """
    group = _load_group(group.pk)
    if group.module.program.provider_id not in _staff_provider_ids(actor):
        raise AccessDenied("Записывать детей в эту группу могут только сотрудники поставщика.")
    try:
        view = certificate_services.look_up_certificate(actor=actor, number=certificate_number)
    except NotFound as exc:
        raise ValidationFailed(fields={"certificate_number": exc.message}) from exc
    certificate = Certificate.objects.select_related("child", "municipality").get(
        pk=view.certificate_id
    )
    terms, refusal = None, ""
    try:
        if Application.objects.filter(
            child_id=certificate.child_id, group=group, status__in=Application.LIVE
        ).exists():
            raise _refuse("already_applied", "Ребёнок уже записан или ждёт места в этой группе.")
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
