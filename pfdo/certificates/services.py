"""Write use-cases of certificates: applications, issue, grants, status changes, switches."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from pfdo.accounts import services as accounts
from pfdo.accounts.models import User
from pfdo.accounts.roles import Role
from pfdo.audit import services as audit
from pfdo.certificates import selectors
from pfdo.certificates.models import (
    MAX_AGE_MONTHS,
    MIN_AGE_MONTHS,
    Certificate,
    CertificateApplication,
    Child,
    Guardianship,
    NumberSequence,
    SwitchRequest,
    age_in_months,
    eighteenth_birthday,
)
from pfdo.certificates.rules import manages_municipality
from pfdo.certificates.validators import normalize_document, normalize_snils, pd_hash, snils_error
from pfdo.common import clock
from pfdo.common.errors import AccessDenied, Conflict, NotFound, ValidationFailed
from pfdo.financing import services as financing
from pfdo.financing.models import FinancingPeriod
from pfdo.financing.selectors import current_period, nominal_for
from pfdo.ledger import services as ledger
from pfdo.ledger.models import Account, Transfer
from pfdo.territory.models import Municipality

CHILD_FIELDS = (
    "last_name",
    "first_name",
    "patronymic",
    "birth_date",
    "sex",
    "document_type",
    "document_number",
    "snils",
    "has_disability",
)

# --------------------------------------------------------------------------------- access


def can_manage(user, municipality) -> bool:
    """An operator of `municipality`, the administrator of its region, or a superuser."""
    return manages_municipality(user, municipality)


def _ensure_manager(actor, municipality) -> None:
    if not can_manage(actor, municipality):
        raise AccessDenied("Это может сделать только оператор муниципалитета.")


def _ensure_guardian(actor, certificate: Certificate) -> None:
    if not Guardianship.objects.filter(child_id=certificate.child_id, user=actor).exists():
        raise NotFound("Сертификат не найден.")


# --------------------------------------------------------------------------- the child card


def clean_child(values: dict[str, Any], *, today: dt.date) -> dict[str, Any]:
    """Validated child fields (normalised), or ValidationFailed naming every bad field."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    for name in ("last_name", "first_name", "patronymic"):
        text = " ".join(str(values.get(name) or "").split())
        if "\x00" in text:
            errors[name] = "Недопустимые символы."
        elif not text and name != "patronymic":
            errors[name] = "Заполните поле."
        elif len(text) > 150:
            errors[name] = "Не длиннее 150 символов."
        data[name] = text
    birth = values.get("birth_date")
    if isinstance(birth, str):
        try:
            birth = dt.date.fromisoformat(birth.strip())
        except ValueError:
            birth = None
            errors["birth_date"] = "Укажите дату рождения в формате ГГГГ-ММ-ДД."
    if isinstance(birth, dt.datetime):
        birth = birth.date()
    if birth is None and "birth_date" not in errors:
        errors["birth_date"] = "Укажите дату рождения."
    elif isinstance(birth, dt.date):
        if birth > today:
            errors["birth_date"] = "Дата рождения не может быть в будущем."
        else:
            months = age_in_months(birth, today)
            if not MIN_AGE_MONTHS <= months < MAX_AGE_MONTHS:
                errors["birth_date"] = (
                    "Сертификат выдаётся детям от 5 до 18 лет; "
                    f"на {today:%d.%m.%Y} ребёнку {_years(months // 12)}."
                )
    data["birth_date"] = birth
    sex = values.get("sex") or ""
    if sex not in Child.Sex.values:
        errors["sex"] = "Укажите пол ребёнка."
    data["sex"] = sex
    doc_type = values.get("document_type") or Child.DocumentType.BIRTH_CERTIFICATE
    if doc_type not in Child.DocumentType.values:
        errors["document_type"] = "Выберите свидетельство о рождении или паспорт."
        doc_type = Child.DocumentType.BIRTH_CERTIFICATE
    data["document_type"] = doc_type
    number, problem = normalize_document(doc_type, str(values.get("document_number") or ""))
    if problem:
        errors["document_number"] = problem
    data["document_number"] = number
    snils = str(values.get("snils") or "")
    problem = snils_error(snils)
    if problem:
        errors["snils"] = problem
    data["snils"] = normalize_snils(snils)
    data["has_disability"] = bool(values.get("has_disability"))
    if errors:
        raise ValidationFailed(fields=errors)
    return data


def _child_errors(child: dict[str, Any]) -> dict[str, list[str]]:
    """The child's field problems, for forms that also check other fields before failing."""
    try:
        clean_child(child, today=clock.today())
    except ValidationFailed as exc:
        return dict(exc.fields)
    return {}


def _years(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        word = "год"
    elif n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        word = "года"
    else:
        word = "лет"
    return f"{n} {word}"


def _live_duplicate(municipality, snils_hash: str):
    """A child of the region with this СНИЛС who already has a live certificate or application."""
    same = Child.objects.filter(
        municipality__region_id=municipality.region_id, snils_hash=snils_hash
    )
    return same.filter(
        Q(certificates__status__in=Certificate.LIVE)
        | Q(applications__status__in=CertificateApplication.OPEN)
    ).first()


# ----------------------------------------------------------------------------- applications


@transaction.atomic
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
    elif actor is not None and actor.pk != parent.pk and not can_manage(actor, municipality):
        raise AccessDenied("Заявление подаёт законный представитель.")
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


@transaction.atomic
def verify_application(*, actor, application: CertificateApplication) -> CertificateApplication:
    """The operator has checked the documents; the application waits for the decision."""
    locked = _lock_application(application)
    _ensure_manager(actor, locked.municipality)
    if locked.status != CertificateApplication.Status.APPLIED:
        raise Conflict(f"Заявление уже {locked.get_status_display()}.")
    locked.status = CertificateApplication.Status.VERIFIED
    locked.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="certificates.application_verified",
        obj=locked,
        municipality=locked.municipality,
    )
    return locked


@transaction.atomic
def reject_application(
    *, actor, application: CertificateApplication, reason: str
) -> CertificateApplication:
    locked = _lock_application(application)
    _ensure_manager(actor, locked.municipality)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину отказа."})
    if not locked.is_open:
        raise Conflict(f"Заявление уже {locked.get_status_display()}.")
    locked.status = CertificateApplication.Status.REJECTED
    locked.reason = reason
    locked.decided_at = clock.now()
    locked.decided_by = actor
    locked.save(update_fields=["status", "reason", "decided_at", "decided_by"])
    audit.record(
        actor=actor,
        action="certificates.application_rejected",
        obj=locked,
        municipality=locked.municipality,
        details={"reason": reason},
    )
    accounts.notify(
        user=locked.parent,
        subject="Заявление на сертификат отклонено",
        body=f"{locked.child.short_name}: заявление отклонено. Причина: {reason}",
        link="/cabinet/parent/",
    )
    return locked


@dataclass(frozen=True)
class Issued:
    """What the operator hands over: the certificate and, for a new account, the password."""

    certificate: Certificate
    login: str
    password: str | None


def _next_number(municipality) -> str:
    okato = municipality.region.okato
    if not (okato and okato.isdigit() and len(okato) == 2):
        raise Conflict("У региона не указан двузначный код: номер сертификата не составить.")
    seq, _ = NumberSequence.objects.get_or_create(municipality=municipality)
    NumberSequence.objects.filter(pk=seq.pk).select_for_update().first()
    try:
        with transaction.atomic():
            NumberSequence.objects.filter(pk=seq.pk).update(last_value=F("last_value") + 1)
    except IntegrityError as exc:
        raise Conflict("Номера сертификатов этого муниципалитета исчерпаны.") from exc
    value = NumberSequence.objects.values_list("last_value", flat=True).get(pk=seq.pk)
    return f"{okato}{municipality.number:02d}{value:06d}"


@transaction.atomic
def approve_application(*, actor, application: CertificateApplication) -> Issued:
    """Issue the certificate: number, type, nominal, and the parent's login if new.

    Type financing while the period's quota allows (the period row is locked so two
    approvals cannot both take the last place), accounting otherwise, with the reason.
    """
    locked = _lock_application(application)
    _ensure_manager(actor, locked.municipality)
    if not locked.is_open:
        raise Conflict(f"Заявление уже {locked.get_status_display()}.")
    child = locked.child
    today = clock.today()
    if eighteenth_birthday(child.birth_date) <= today:
        raise Conflict("Ребёнку уже исполнилось 18 лет: сертификат не выдаётся.", code="too_old")
    if child.certificates.filter(status__in=Certificate.LIVE).exists():
        raise Conflict("У ребёнка уже есть действующий сертификат.", code="duplicate_child")
    municipality = locked.municipality
    running = current_period(municipality, today)
    if running is not None and running.is_frozen(today):
        raise Conflict(
            f"Идёт закрытие периода «{running.name}»: выдача сертификатов приостановлена с "
            f"{running.frozen_from():%d.%m.%Y} до начала следующего периода.",
            code="period_frozen",
        )
    certificate = Certificate(
        number=_next_number(municipality),
        child=child,
        municipality=municipality,
        application=locked,
        valid_until=eighteenth_birthday(child.birth_date) - dt.timedelta(days=1),
        issued_at=clock.now(),
    )
    period, reason = _financing_place(municipality, wants=locked.wants_financing, today=today)
    certificate.type = Certificate.Type.FINANCING if period else Certificate.Type.ACCOUNTING
    certificate.type_reason = reason
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError as exc:
        raise Conflict(
            "У ребёнка уже есть действующий сертификат.", code="duplicate_child"
        ) from exc
    if period is not None:
        _grant(actor=actor, certificate=certificate, period=period, on=today)
    locked.status = CertificateApplication.Status.APPROVED
    locked.decided_at = clock.now()
    locked.decided_by = actor
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    parent = locked.parent
    password = None
    if not parent.has_usable_password():
        password = accounts.issue_password(actor=actor, user=parent)
    if not parent.has_role(Role.PARENT):
        accounts.grant_role(actor=actor, user=parent, role=Role.PARENT, municipality=municipality)
    audit.record(
        actor=actor,
        action="certificates.certificate_issued",
        obj=certificate,
        municipality=municipality,
        details={"number": certificate.number, "type": certificate.type},
    )
    body = (
        f"{child.short_name}: выдан {certificate.get_type_display()} № {certificate.number}."
        f" {certificate.type_reason}"
    )
    if password:
        body += (
            f"\nЛогин для входа: {parent.username}. Одноразовый пароль напечатан на сертификате "
            "у оператора; при первом входе его нужно сменить. Можно и не ждать распечатки: "
            "на странице входа нажмите «Забыли пароль?» и укажите этот e-mail."
        )
    accounts.notify(
        user=parent,
        subject="Сертификат выдан",
        body=body,
        link=f"/cabinet/parent/certificates/{certificate.pk}/",
    )
    return Issued(certificate=certificate, login=parent.username, password=password)


def _financing_place(municipality, *, wants: bool, today: dt.date):
    """(locked period, reason) when a financing certificate may be issued, else (None, reason)."""
    if not wants:
        return (
            None,
            "Выдан сертификат учёта по заявлению родителя (нужны только бесплатные программы).",
        )
    period = current_period(municipality, today)
    if period is None:
        return None, (
            "Сертификат учёта: на сегодня нет утверждённой программы персонифицированного "
            "финансирования. Когда она начнётся, можно будет запросить перевод."
        )
    period = FinancingPeriod.objects.select_for_update().get(pk=period.pk)
    issued = selectors.financing_count(municipality)
    if issued >= period.certificate_quota:
        return None, (
            f"Сертификат учёта: квота сертификатов финансирования на период исчерпана "
            f"(выдано {issued} из {period.certificate_quota}). Когда место освободится, "
            "можно запросить перевод в сертификат финансирования."
        )
    return period, (f"Сертификат финансирования: есть место в квоте периода «{period.name}».")


def _budget_account(actor, period: FinancingPeriod) -> Account:
    """The period's budget account, funded once from the municipality's appropriation."""
    source = ledger.get_account(kind=Account.Kind.SOURCE, municipality=period.municipality)
    budget = ledger.get_account(
        kind=Account.Kind.BUDGET, municipality=period.municipality, period=period
    )
    if period.budget_kopecks > 0:
        ledger.transfer(
            key=f"fund:p{period.pk}",
            kind=Transfer.Kind.FUND,
            debit=source,
            credit=budget,
            amount_kopecks=period.budget_kopecks,
            description=f"Бюджет периода «{period.name}»",
            ref_type="period",
            ref_id=period.pk,
        )
    financing.mark_commitments_started(actor=actor, period=period)
    return budget


def certificate_account(certificate: Certificate, period: FinancingPeriod) -> Account:
    return ledger.get_account(
        kind=Account.Kind.CERTIFICATE,
        municipality=certificate.municipality,
        period=period,
        holder_id=certificate.pk,
    )


def nominal_amount(period: FinancingPeriod, child: Child, on: dt.date) -> tuple[int, str]:
    """(kopecks, explanation) of the nominal granted on `on`, scaled by months left if set."""
    category = nominal_for(
        period,
        age_months=child.age_months(max(on, period.starts_on)),
        has_disability=child.has_disability,
    )
    if category is None:
        return 0, "Нет категории номинала для возраста ребёнка."
    amount = category.nominal_kopecks
    note = f"номинал «{category.name}»"
    if period.scale_nominal_by_months and on > period.starts_on:
        total = selectors.months_touched(period.starts_on, period.ends_on)
        left = selectors.months_touched(on, period.ends_on)
        amount = amount * left // total
        note += f", пропорционально оставшимся месяцам ({left} из {total})"
    return amount, note


def _grant(*, actor, certificate: Certificate, period: FinancingPeriod, on: dt.date) -> int:
    amount, note = nominal_amount(period, certificate.child, on)
    if amount <= 0:
        return 0
    budget = _budget_account(actor, period)
    account = certificate_account(certificate, period)
    try:
        ledger.transfer(
            key=f"grant:p{period.pk}:c{certificate.pk}",
            kind=Transfer.Kind.GRANT,
            debit=budget,
            credit=account,
            amount_kopecks=amount,
            description=f"Начисление на период «{period.name}»: {note}",
            ref_type="certificate",
            ref_id=certificate.pk,
        )
    except ledger.InsufficientFunds as exc:
        raise Conflict(
            "Бюджет периода исчерпан: номинал начислить нельзя. Увеличьте бюджет нового периода "
            "или выдайте сертификат учёта.",
            code="budget_exhausted",
        ) from exc
    return amount


# -------------------------------------------------------------------------- period start


@transaction.atomic
def grant_period_nominals(*, actor, period: FinancingPeriod, batch_size: int = 2000) -> int:
    """Grant the period's nominal to every live financing certificate, once.

    Keys are `grant:p<period>:c<certificate>`, so a repeated run grants nothing more.
    Returns how many grants this run made.
    """
    if actor is not None:
        _ensure_manager(actor, period.municipality)
    period = FinancingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.status != FinancingPeriod.Status.APPROVED:
        raise Conflict("Номиналы начисляются только в утверждённом периоде.")
    budget = _budget_account(actor, period)
    certificates = (
        Certificate.objects.filter(
            municipality=period.municipality,
            type=Certificate.Type.FINANCING,
            status__in=Certificate.LIVE,
            valid_until__gte=period.starts_on,
        )
        .exclude(
            pk__in=Transfer.objects.filter(
                kind=Transfer.Kind.GRANT, credit_account__period=period
            ).values("credit_account__holder_id")
        )
        .select_related("child")
        .order_by("pk")
    )
    made = 0
    pending: list[Certificate] = []
    for certificate in certificates.iterator(chunk_size=batch_size):
        pending.append(certificate)
        if len(pending) >= batch_size:
            made += _grant_batch(period, budget, pending)
            pending = []
    if pending:
        made += _grant_batch(period, budget, pending)
    if period.starts_on <= clock.today() <= period.ends_on:
        # The period has begun: switch requests filed while no period ran get their places.
        fulfil_switch_requests(actor=actor, municipality=period.municipality)
    audit.record(
        actor=actor,
        action="certificates.period_nominals_granted",
        obj=period,
        municipality=period.municipality,
        details={"granted": made},
    )
    return made


def _grant_batch(period: FinancingPeriod, budget: Account, certificates: list[Certificate]) -> int:
    accounts_by_cert = ledger.ensure_accounts(
        kind=Account.Kind.CERTIFICATE, period=period, holder_ids=[c.pk for c in certificates]
    )
    entries = []
    for certificate in certificates:
        amount, note = nominal_amount(period, certificate.child, period.starts_on)
        if amount <= 0:
            continue
        entries.append(
            ledger.Entry(
                key=f"grant:p{period.pk}:c{certificate.pk}",
                kind=Transfer.Kind.GRANT,
                debit_id=budget.pk,
                credit_id=accounts_by_cert[certificate.pk].pk,
                amount_kopecks=amount,
                description=f"Начисление на период «{period.name}»: {note}",
                ref_type="certificate",
                ref_id=certificate.pk,
            )
        )
    try:
        return ledger.post_many(entries)
    except ledger.InsufficientFunds as exc:
        raise Conflict(
            "Бюджета периода не хватает на номиналы всех сертификатов финансирования.",
            code="budget_exhausted",
        ) from exc


# -------------------------------------------------------------------------- status changes


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


def _set_status(actor, certificate: Certificate, status: str, reason: str, action: str) -> None:
    certificate.status = status
    certificate.status_reason = reason
    certificate.status_changed_at = clock.now()
    certificate.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit.record(
        actor=actor,
        action=action,
        obj=certificate,
        municipality=certificate.municipality,
        details={"status": status, "reason": reason},
    )
    for guardian in certificate.child.guardians.all():
        accounts.notify(
            user=guardian,
            subject=f"Сертификат № {certificate.number}: {certificate.get_status_display()}",
            body=f"{certificate.child.short_name}: сертификат {certificate.get_status_display()}."
            + (f" Причина: {reason}" if reason else ""),
            link=f"/cabinet/parent/certificates/{certificate.pk}/",
        )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину."})
    return reason[:300]


@transaction.atomic
def suspend_certificate(*, actor, certificate: Certificate, reason: str) -> Certificate:
    locked = _lock_certificate(certificate)
    _ensure_manager(actor, locked.municipality)
    reason = _reason(reason)
    if locked.status != Certificate.Status.ACTIVE:
        raise Conflict(
            f"Приостановить можно только действующий сертификат; он {locked.get_status_display()}."
        )
    _set_status(actor, locked, Certificate.Status.SUSPENDED, reason, "certificates.suspended")
    return locked


@transaction.atomic
def reactivate_certificate(*, actor, certificate: Certificate, reason: str = "") -> Certificate:
    locked = _lock_certificate(certificate)
    _ensure_manager(actor, locked.municipality)
    if locked.status != Certificate.Status.SUSPENDED:
        raise Conflict(
            f"Возобновить можно только приостановленный сертификат; он {locked.get_status_display()}."
        )
    if locked.valid_until < clock.today():
        raise Conflict("Ребёнку исполнилось 18 лет: сертификат не возобновляется.")
    _set_status(
        actor,
        locked,
        Certificate.Status.ACTIVE,
        (reason or "").strip()[:300],
        "certificates.reactivated",
    )
    return locked


def _return_balances(actor, certificate: Certificate, kind: str, why: str) -> int:
    """Give the certificate's unreserved money back to each period's budget."""
    returned = 0
    for account in Account.objects.filter(
        kind=Account.Kind.CERTIFICATE, holder_id=certificate.pk
    ).select_related("period"):
        available = account.available_kopecks
        if available <= 0:
            continue
        budget = ledger.get_account(
            kind=Account.Kind.BUDGET, municipality=account.municipality, period=account.period
        )
        ledger.transfer(
            key=f"{kind}:p{account.period_id}:c{certificate.pk}",
            kind=kind,
            debit=account,
            credit=budget,
            amount_kopecks=available,
            description=why,
            ref_type="certificate",
            ref_id=certificate.pk,
        )
        returned += available
    return returned


@transaction.atomic
def cancel_certificate(*, actor, certificate: Certificate, reason: str) -> Certificate:
    """Cancel (duplicate, moved away, request): the unreserved balance returns to the budget.

    The place in the quota frees up, so the first waiting switch request is fulfilled.
    """
    locked = _lock_certificate(certificate)
    _ensure_manager(actor, locked.municipality)
    reason = _reason(reason)
    if not locked.is_live:
        raise Conflict(f"Сертификат уже {locked.get_status_display()}.")
    _return_balances(
        actor, locked, Transfer.Kind.REVOKE, f"Возврат в бюджет: сертификат аннулирован ({reason})"
    )
    _set_status(actor, locked, Certificate.Status.CANCELLED, reason, "certificates.cancelled")
    if locked.is_financing:
        fulfil_switch_requests(actor=actor, municipality=locked.municipality)
    return locked


@transaction.atomic
def expire_certificates(*, actor=None, today: dt.date | None = None) -> int:
    """Certificates of children who turned 18: expired, unreserved money back to the budget."""
    today = today or clock.today()
    done = 0
    for certificate in Certificate.objects.filter(
        status__in=Certificate.LIVE, valid_until__lt=today
    ).order_by("pk"):
        locked = _lock_certificate(certificate)
        if not locked.is_live:
            continue
        _return_balances(
            actor, locked, Transfer.Kind.REVOKE, "Возврат в бюджет: ребёнку исполнилось 18 лет"
        )
        _set_status(
            actor,
            locked,
            Certificate.Status.EXPIRED,
            "Ребёнку исполнилось 18 лет",
            "certificates.expired",
        )
        done += 1
    return done


# ------------------------------------------------------------------------------- passwords


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


# ----------------------------------------------------------------------- switch to financing


@transaction.atomic
def request_switch(*, actor, certificate: Certificate) -> SwitchRequest:
    """A parent asks for a financing certificate; fulfilled at once if the quota has room."""
    locked = _lock_certificate(certificate)
    if not can_manage(actor, locked.municipality):
        _ensure_guardian(actor, locked)
    if locked.is_financing:
        raise Conflict("Это уже сертификат финансирования.", code="already_financing")
    if locked.status != Certificate.Status.ACTIVE:
        raise Conflict(f"Сертификат {locked.get_status_display()}: перевод невозможен.")
    try:
        with transaction.atomic():
            request = SwitchRequest.objects.create(
                certificate=locked, municipality=locked.municipality
            )
    except IntegrityError as exc:
        raise Conflict(
            "Запрос на перевод уже подан и ожидает места в квоте.", code="already_waiting"
        ) from exc
    audit.record(
        actor=actor,
        action="certificates.switch_requested",
        obj=locked,
        municipality=locked.municipality,
    )
    fulfil_switch_requests(actor=actor, municipality=locked.municipality)
    request.refresh_from_db()
    if request.status == SwitchRequest.Status.WAITING:
        for guardian in locked.child.guardians.all():
            accounts.notify(
                user=guardian,
                subject="Запрос на перевод принят",
                body=f"Сертификат № {locked.number}: мест в квоте сейчас нет. Запрос в очереди; "
                "мы сообщим, когда место освободится.",
                link=f"/cabinet/parent/certificates/{locked.pk}/",
            )
    return request


@transaction.atomic
def fulfil_switch_requests(*, actor, municipality) -> int:
    """Turn waiting requests into financing certificates, oldest first, while the quota allows."""
    done = 0
    today = clock.today()
    for request in (
        SwitchRequest.objects.filter(municipality=municipality, status=SwitchRequest.Status.WAITING)
        .select_related("certificate")
        .order_by("created_at", "pk")
    ):
        period, reason = _financing_place(municipality, wants=True, today=today)
        if period is None:
            break
        certificate = _lock_certificate(request.certificate)
        if certificate.status != Certificate.Status.ACTIVE or certificate.is_financing:
            SwitchRequest.objects.filter(pk=request.pk).update(
                status=SwitchRequest.Status.REJECTED,
                reason="Сертификат не действует или уже финансирования.",
                decided_at=clock.now(),
            )
            continue
        certificate.type = Certificate.Type.FINANCING
        certificate.type_reason = (
            "Переведён в сертификат финансирования по запросу родителя: " + reason
        )
        certificate.save(update_fields=["type", "type_reason"])
        _grant(actor=actor, certificate=certificate, period=period, on=today)
        SwitchRequest.objects.filter(pk=request.pk).update(
            status=SwitchRequest.Status.FULFILLED, decided_at=clock.now()
        )
        audit.record(
            actor=actor,
            action="certificates.switched_to_financing",
            obj=certificate,
            municipality=municipality,
        )
        for guardian in certificate.child.guardians.all():
            accounts.notify(
                user=guardian,
                subject="Сертификат переведён в сертификат финансирования",
                body=f"{certificate.child.short_name}: сертификат № {certificate.number} теперь "
                "сертификат финансирования; номинал начислен.",
                link=f"/cabinet/parent/certificates/{certificate.pk}/",
            )
        done += 1
    return done


@transaction.atomic
def withdraw_switch(*, actor, request: SwitchRequest) -> SwitchRequest:
    locked = (
        SwitchRequest.objects.select_for_update(of=("self",))
        .select_related("certificate")
        .get(pk=request.pk)
    )
    if not can_manage(actor, locked.municipality):
        _ensure_guardian(actor, locked.certificate)
    if locked.status != SwitchRequest.Status.WAITING:
        raise Conflict("Запрос уже не ожидает.")
    locked.status = SwitchRequest.Status.WITHDRAWN
    locked.decided_at = clock.now()
    locked.save(update_fields=["status", "decided_at"])
    return locked


# --------------------------------------------------------- appended for the certificates API


@transaction.atomic
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


# ------------------------------------------------------ appended for the operator's pages


@dataclass(frozen=True)
class Registered:
    """A family registered at the operator's desk: the application, and the issue if approved."""

    application: CertificateApplication
    issued: Issued | None


@transaction.atomic
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


# ------------------------------------------------------------------- online registration


def _serialise_applications(municipality) -> None:
    """Lock the municipality row: two copies of one form (a double click, any channel) must
    not both pass the e-mail and СНИЛС checks before either commits. Applications are rare
    and short, so serialising them per municipality costs nothing."""
    Municipality.objects.select_for_update().get(pk=municipality.pk)


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


@transaction.atomic
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


@transaction.atomic
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
