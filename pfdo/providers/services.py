"""Write use-cases of the provider registry: applications, registry decisions, profile, staff,
enrolment limits, and the check that a provider may take new enrolments."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django_fsm import can_proceed

from pfdo.accounts import services as accounts
from pfdo.accounts.models import Membership, User
from pfdo.accounts.roles import Role
from pfdo.audit import services as audit
from pfdo.common import clock
from pfdo.common.choices import LegalForm
from pfdo.common.errors import AccessDenied, Conflict, ValidationFailed
from pfdo.financing.models import FinancingPeriod
from pfdo.providers.models import (
    LOCKED_AFTER_INCLUSION,
    PROFILE_FIELDS,
    EnrolmentLimit,
    Provider,
    ProviderStaff,
    forget_staffed_provider_ids,
)
from pfdo.providers.validators import account_is_valid, inn_is_valid, ogrn_is_valid

Status = Provider.Status

DUPLICATE_INN = "Поставщик с этим ИНН уже есть в реестре муниципалитета или подал заявку."
MAX_ENROLMENT_LIMIT = 1_000_000


class ProviderNotActive(Conflict):
    """The provider is not in the registry now (under review, needs check, excluded…)."""

    code = "provider_not_active"
    default_message = "Поставщик сейчас не принимает новых зачислений."


@dataclass(frozen=True)
class NewStaff:
    """A person to become provider staff. Without `password` a one-time one is issued."""

    login: str
    last_name: str
    first_name: str
    patronymic: str = ""
    email: str = ""
    phone: str = ""
    position: str = ""
    password: str | None = None


# ---------------------------------------------------------------- validation of the card

_DIGIT_FIELDS = ("inn", "kpp", "ogrn", "bik", "settlement_account", "correspondent_account")
_REQUIRED = {
    "full_name": "Укажите полное наименование.",
    "short_name": "Укажите краткое наименование.",
    "legal_form": "Выберите организационно-правовую форму.",
    "inn": "Укажите ИНН.",
    "ogrn": "Укажите ОГРН (для ИП — ОГРНИП).",
    "legal_address": "Укажите юридический адрес.",
    "actual_address": "Укажите фактический адрес, где проходят занятия.",
    "phone": "Укажите телефон для связи.",
    "email": "Укажите электронную почту.",
}
_EMPTY_PROFILE: dict[str, Any] = {
    name: (False if name == "licence_exempt" else None if name == "licence_issued_on" else "")
    for name in PROFILE_FIELDS
}


def _normalise(values: Mapping[str, Any]) -> dict[str, Any]:
    """Strip text; drop spaces and dashes people paste into ИНН, ОГРН, БИК and accounts."""
    unknown = [name for name in values if name not in PROFILE_FIELDS]
    if unknown:
        raise ValidationFailed(fields={name: "Это поле нельзя задать здесь." for name in unknown})
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name == "licence_exempt":
            value = bool(value)
        elif name == "licence_issued_on":
            value = value or None
        else:
            value = "" if value is None else str(value).strip()
            if name in _DIGIT_FIELDS:
                value = re.sub(r"[\s-]", "", value)
        out[name] = value
    return out


def _identity_errors(data: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    legal_form = data["legal_form"]
    is_ip = legal_form == LegalForm.IP
    known_form = legal_form in LegalForm.values
    if legal_form and not known_form:
        errors["legal_form"].append("Выберите организационно-правовую форму из списка.")

    inn = data["inn"]
    if inn:
        if not inn.isdigit():
            errors["inn"].append("ИНН состоит только из цифр.")
        elif is_ip and len(inn) != 12:
            errors["inn"].append("У индивидуального предпринимателя ИНН из 12 цифр.")
        elif known_form and not is_ip and len(inn) != 10:
            errors["inn"].append("У организации ИНН из 10 цифр (12 цифр — у ИП).")
        elif not inn_is_valid(inn):
            errors["inn"].append("Контрольные цифры ИНН не сходятся: проверьте номер.")

    ogrn = data["ogrn"]
    if ogrn:
        if not ogrn.isdigit():
            errors["ogrn"].append("ОГРН состоит только из цифр.")
        elif is_ip and len(ogrn) != 15:
            errors["ogrn"].append("У индивидуального предпринимателя ОГРНИП из 15 цифр.")
        elif known_form and not is_ip and len(ogrn) != 13:
            errors["ogrn"].append("У организации ОГРН из 13 цифр (15 цифр — ОГРНИП у ИП).")
        elif not ogrn_is_valid(ogrn):
            errors["ogrn"].append("Контрольная цифра ОГРН не сходится: проверьте номер.")

    kpp = data["kpp"]
    if kpp and is_ip:
        errors["kpp"].append("У индивидуального предпринимателя нет КПП: оставьте поле пустым.")
    elif kpp and not (kpp.isdigit() and len(kpp) == 9):
        errors["kpp"].append("КПП — 9 цифр.")


def _licence_errors(data: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    is_ip = data["legal_form"] == LegalForm.IP
    if data["licence_exempt"] and not is_ip:
        errors["licence_exempt"].append(
            "Без лицензии может работать только ИП, который ведёт занятия лично."
        )
    if not (data["licence_exempt"] and is_ip) and not data["licence_number"]:
        errors["licence_number"].append(
            "Укажите номер лицензии на образовательную деятельность "
            "(ИП, который ведёт занятия лично, может отметить, что лицензия не нужна)."
        )
    issued = data["licence_issued_on"]
    if issued and issued > clock.today():
        errors["licence_issued_on"].append("Дата лицензии не может быть в будущем.")


def _contact_errors(data: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    if data["email"]:
        try:
            validate_email(data["email"])
        except ValidationError:
            errors["email"].append("Введите правильный адрес электронной почты.")
    if data["website"]:
        try:
            URLValidator()(data["website"])
        except ValidationError:
            errors["website"].append("Введите адрес сайта целиком, например https://example.ru.")


def _bank_errors(data: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    bik, account, corr = data["bik"], data["settlement_account"], data["correspondent_account"]
    if not (bik or account or corr or data["bank_name"]):
        return  # bank details are optional until the first invoice
    if not data["bank_name"]:
        errors["bank_name"].append("Укажите банк.")
    bik_ok = bik.isdigit() and len(bik) == 9
    if not bik:
        errors["bik"].append("Укажите БИК банка.")
    elif not bik_ok:
        errors["bik"].append("БИК — 9 цифр.")
    if not account:
        errors["settlement_account"].append("Укажите расчётный счёт.")
    elif not (account.isdigit() and len(account) == 20):
        errors["settlement_account"].append("Расчётный счёт — 20 цифр.")
    elif bik_ok and not account_is_valid(account, bik):
        errors["settlement_account"].append(
            "Расчётный счёт не сходится с БИК (контрольный ключ): проверьте оба номера."
        )
    if corr and not (corr.isdigit() and len(corr) == 20):
        errors["correspondent_account"].append("Корреспондентский счёт — 20 цифр.")


def _profile_errors(
    data: Mapping[str, Any], *, municipality, provider_pk: int | None = None
) -> dict[str, list[str]]:
    """Every field message at once, so the applicant fixes the form in one pass."""
    errors: dict[str, list[str]] = defaultdict(list)
    for name, message in _REQUIRED.items():
        if not data[name]:
            errors[name].append(message)
    for name in PROFILE_FIELDS:
        max_length = Provider._meta.get_field(name).max_length
        if max_length and isinstance(data[name], str) and len(data[name]) > max_length:
            errors[name].append(f"Не длиннее {max_length} символов.")
    _identity_errors(data, errors)
    _licence_errors(data, errors)
    _contact_errors(data, errors)
    _bank_errors(data, errors)
    if data["inn"] and "inn" not in errors:
        duplicate = Provider.objects.filter(municipality=municipality, inn=data["inn"])
        if provider_pk is not None:
            duplicate = duplicate.exclude(pk=provider_pk)
        if duplicate.exists():
            errors["inn"].append(DUPLICATE_INN)
    return dict(errors)


def _staff_errors(staff: NewStaff, *, prefix: str, require_email: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = defaultdict(list)
    login = staff.login.strip()
    if not login:
        errors[f"{prefix}login"].append("Придумайте логин.")
    elif len(login) > 150:
        errors[f"{prefix}login"].append("Логин не длиннее 150 символов.")
    else:
        try:
            UnicodeUsernameValidator()(login)
        except ValidationError:
            errors[f"{prefix}login"].append("Логин: буквы, цифры и символы @ . + - _ без пробелов.")
        if User.objects.filter(username__iexact=login).exists():
            errors[f"{prefix}login"].append("Этот логин уже занят, выберите другой.")
    if not staff.last_name.strip():
        errors[f"{prefix}last_name"].append("Укажите фамилию.")
    if not staff.first_name.strip():
        errors[f"{prefix}first_name"].append("Укажите имя.")
    for name in ("last_name", "first_name", "patronymic"):
        if len(getattr(staff, name)) > 150:
            errors[f"{prefix}{name}"].append("Не длиннее 150 символов.")
    if len(staff.phone) > 32:
        errors[f"{prefix}phone"].append("Не длиннее 32 символов.")
    if len(staff.position) > 200:
        errors[f"{prefix}position"].append("Не длиннее 200 символов.")
    if staff.email:
        try:
            validate_email(staff.email)
        except ValidationError:
            errors[f"{prefix}email"].append("Введите правильный адрес электронной почты.")
    elif require_email:
        errors[f"{prefix}email"].append(
            "Укажите почту: на неё придёт ссылка, если забудете пароль."
        )
    if staff.password is not None:
        probe = User(
            username=login,
            email=staff.email,
            first_name=staff.first_name,
            last_name=staff.last_name,
        )
        try:
            password_validation.validate_password(staff.password, probe)
        except ValidationError as exc:
            errors[f"{prefix}password"].extend(exc.messages)
    return dict(errors)


# ---------------------------------------------------------------- helpers


def _require(actor, perm: str, obj, message: str) -> None:
    """`actor` None is the system itself (demo seeding, management commands)."""
    if actor is None:
        return
    if not actor.has_perm(perm, obj):
        raise AccessDenied(message)


def _lock(provider: Provider) -> Provider:
    """Take the provider's row lock and re-read it, so two decisions cannot cross."""
    list(Provider.objects.select_for_update().filter(pk=provider.pk).values_list("pk"))
    provider.refresh_from_db()
    return provider


def _create_staff(
    *, actor, provider: Provider, staff: NewStaff, is_admin: bool, prefix: str
) -> tuple[ProviderStaff, str | None]:
    try:
        user, issued = accounts.create_user(
            actor=actor,
            username=staff.login.strip(),
            password=staff.password,
            first_name=staff.first_name.strip(),
            last_name=staff.last_name.strip(),
            patronymic=staff.patronymic.strip(),
            email=staff.email.strip(),
            phone=staff.phone.strip(),
            municipality=provider.municipality,
        )
    except ValidationFailed as exc:  # a race on the login: same messages, our field names
        names = {"username": f"{prefix}login", "password": f"{prefix}password"}
        raise ValidationFailed(
            exc.message, fields={names.get(k, k): v for k, v in exc.fields.items()}
        ) from exc
    accounts.grant_role(
        actor=actor,
        user=user,
        role=Role.PROVIDER_STAFF,
        municipality=provider.municipality,
        is_provider_admin=is_admin,
    )
    row = ProviderStaff.objects.create(
        provider=provider, user=user, is_admin=is_admin, position=staff.position.strip()
    )
    _forget_staffed_providers(user)
    return row, issued


def _forget_staffed_providers(user) -> None:
    """Drop the per-user cache of `staffed_provider_ids` after a staff change."""
    forget_staffed_provider_ids(user)


# ---------------------------------------------------------------- application


@transaction.atomic
def apply_provider(
    *, actor, municipality, profile: Mapping[str, Any], first_staff: NewStaff
) -> Provider:
    """A provider asks to enter the registry; its first staff user becomes its admin.

    Anyone may apply (no login needed). The provider waits `under_review` for the operator.
    """
    if municipality is None or not municipality.is_active:
        raise ValidationFailed(
            fields={"municipality": "Выберите муниципалитет, подключённый к системе."}
        )
    data = {**_EMPTY_PROFILE, **_normalise(profile)}
    errors = _profile_errors(data, municipality=municipality)
    errors.update(_staff_errors(first_staff, prefix="staff_", require_email=True))
    if first_staff.password is None:
        errors.setdefault("staff_password", []).append("Придумайте пароль.")
    if errors:
        raise ValidationFailed(fields=errors)
    provider = Provider(
        municipality=municipality, status=Status.UNDER_REVIEW, applied_at=clock.now(), **data
    )
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError as exc:  # another application with this ИНН won the race
        raise ValidationFailed(fields={"inn": DUPLICATE_INN}) from exc
    applicant = actor if actor is not None and actor.is_authenticated else None
    row, _ = _create_staff(
        actor=applicant, provider=provider, staff=first_staff, is_admin=True, prefix="staff_"
    )
    audit.record(
        actor=applicant or row.user,
        action="providers.applied",
        obj=provider,
        municipality=municipality,
        details={
            "inn": provider.inn,
            "legal_form": provider.legal_form,
            "admin": row.user.username,
        },
    )
    return provider


@transaction.atomic
def resubmit(*, actor, provider: Provider) -> Provider:
    """After a refusal the provider admin fixes the card and asks again."""
    _require(
        actor, "providers.change_provider", provider, "Заявку подаёт администратор организации."
    )
    provider = _lock(provider)
    if not can_proceed(provider.resubmit):
        raise Conflict(
            "Подать заявку повторно можно только после отказа во включении; "
            f"сейчас поставщик {provider.get_status_display()}.",
            code="invalid_status",
        )
    previous = provider.status
    provider.resubmit()
    provider.applied_at = provider.status_changed_at = clock.now()
    provider.status_reason = ""
    provider.save(update_fields=["status", "applied_at", "status_changed_at", "status_reason"])
    audit.record(
        actor=actor,
        action="providers.resubmitted",
        obj=provider,
        municipality=provider.municipality,
        details={"from": previous, "to": provider.status},
    )
    return provider


# ---------------------------------------------------------------- registry decisions


@dataclass(frozen=True)
class _Move:
    action: str
    reason_required: bool
    wrong_state: str


_MOVES = {
    "include": _Move(
        "providers.included", False, "Включить в реестр можно только заявку на рассмотрении"
    ),
    "reject": _Move("providers.rejected", True, "Отказать можно только по заявке на рассмотрении"),
    "mark_needs_check": _Move(
        "providers.marked_needs_check",
        True,
        "Отправить на проверку можно только поставщика, который в реестре",
    ),
    "reinstate": _Move(
        "providers.reinstated",
        False,
        "Вернуть в реестр можно только поставщика, требующего проверки",
    ),
    "exclude": _Move(
        "providers.excluded",
        True,
        "Исключить можно только поставщика в реестре или требующего проверки",
    ),
}


def _decide(*, actor, provider: Provider, move: str, reason: str) -> Provider:
    spec = _MOVES[move]
    _require(
        actor,
        "providers.decide",
        provider,
        "Решения по реестру принимает оператор муниципалитета поставщика.",
    )
    provider = _lock(provider)
    transition = getattr(provider, move)
    if not can_proceed(transition):
        raise Conflict(
            f"{spec.wrong_state}; сейчас поставщик {provider.get_status_display()}.",
            code="invalid_status",
        )
    reason = (reason or "").strip()
    if spec.reason_required and not reason:
        raise ValidationFailed(fields={"reason": "Укажите причину: её увидит поставщик."})
    previous = provider.status
    transition()
    now = clock.now()
    provider.status_reason = reason
    provider.status_changed_at = now
    fields = ["status", "status_reason", "status_changed_at"]
    if move == "include":
        provider.included_at = now
        fields.append("included_at")
    provider.save(update_fields=fields)
    audit.record(
        actor=actor,
        action=spec.action,
        obj=provider,
        municipality=provider.municipality,
        details={"from": previous, "to": provider.status, "reason": reason},
    )
    return provider


@transaction.atomic
def include(*, actor, provider: Provider, reason: str = "") -> Provider:
    """The application is accepted: the provider enters the registry and may take children."""
    return _decide(actor=actor, provider=provider, move="include", reason=reason)


@transaction.atomic
def reject(*, actor, provider: Provider, reason: str) -> Provider:
    return _decide(actor=actor, provider=provider, move="reject", reason=reason)


@transaction.atomic
def mark_needs_check(*, actor, provider: Provider, reason: str) -> Provider:
    """Stays public, takes no new enrolments until reinstated."""
    return _decide(actor=actor, provider=provider, move="mark_needs_check", reason=reason)


@transaction.atomic
def reinstate(*, actor, provider: Provider, reason: str = "") -> Provider:
    return _decide(actor=actor, provider=provider, move="reinstate", reason=reason)


@transaction.atomic
def exclude(*, actor, provider: Provider, reason: str) -> Provider:
    """Out of the registry: no new enrolments; existing contracts are the operator's to settle."""
    return _decide(actor=actor, provider=provider, move="exclude", reason=reason)


def ensure_accepts_enrolments(provider: Provider) -> None:
    """Raise `ProviderNotActive` unless the provider is in the registry (status active)."""
    if provider.status != Status.ACTIVE:
        raise ProviderNotActive(
            f"«{provider.short_name}» сейчас не принимает новых зачислений: "
            f"поставщик {provider.get_status_display()}."
        )


# ---------------------------------------------------------------- the provider's own card


@transaction.atomic
def update_profile(*, actor, provider: Provider, changes: Mapping[str, Any]) -> Provider:
    """The provider admin edits the card. After inclusion the legal identity is locked."""
    _require(
        actor,
        "providers.change_provider",
        provider,
        "Карточку организации меняет её администратор.",
    )
    provider = _lock(provider)
    if provider.status == Status.EXCLUDED:
        raise Conflict(
            "Поставщик исключён из реестра: карточку изменить нельзя.", code="invalid_status"
        )
    data = _normalise(changes)
    changed = {k: v for k, v in data.items() if getattr(provider, k) != v}
    if not changed:
        return provider
    if provider.identity_locked:
        locked = {
            name: "После включения в реестр ИНН, ОГРН и организационно-правовая форма "
            "не меняются. Если они изменились, обратитесь к оператору."
            for name in LOCKED_AFTER_INCLUSION
            if name in changed
        }
        if locked:
            raise ValidationFailed("Эти сведения изменить нельзя.", fields=locked)
    merged = {name: getattr(provider, name) for name in PROFILE_FIELDS} | data
    errors = _profile_errors(merged, municipality=provider.municipality, provider_pk=provider.pk)
    if errors:
        raise ValidationFailed(fields=errors)
    for name, value in changed.items():
        setattr(provider, name, value)
    try:
        with transaction.atomic():
            provider.save(update_fields=list(changed))
    except IntegrityError as exc:
        raise ValidationFailed(fields={"inn": DUPLICATE_INN}) from exc
    audit.record(
        actor=actor,
        action="providers.profile_updated",
        obj=provider,
        municipality=provider.municipality,
        details={"fields": sorted(changed)},
    )
    return provider


# ---------------------------------------------------------------- staff


@transaction.atomic
def add_staff(
    *, actor, provider: Provider, staff: NewStaff, is_admin: bool = False
) -> tuple[ProviderStaff, str | None]:
    """A new staff user with a one-time password (returned once, changed at first login)."""
    _require(
        actor,
        "providers.manage_staff",
        provider,
        "Сотрудников добавляет администратор организации.",
    )
    provider = _lock(provider)
    if provider.status in (Status.REJECTED, Status.EXCLUDED):
        raise Conflict(
            f"Поставщик {provider.get_status_display()}: новых сотрудников добавить нельзя.",
            code="invalid_status",
        )
    staff = dataclasses.replace(staff, password=None)  # always issued, never chosen here
    errors = _staff_errors(staff, prefix="", require_email=False)
    if errors:
        raise ValidationFailed(fields=errors)
    row, issued = _create_staff(
        actor=actor, provider=provider, staff=staff, is_admin=is_admin, prefix=""
    )
    audit.record(
        actor=actor,
        action="providers.staff_added",
        obj=provider,
        municipality=provider.municipality,
        details={"login": row.user.username, "is_admin": is_admin, "staff_id": row.pk},
    )
    return row, issued


@transaction.atomic
def attach_existing_user(
    *, actor, provider: Provider, user: User, is_admin: bool = False
) -> ProviderStaff:
    """Make an existing user staff of the provider (demo logins, support). Idempotent."""
    _require(
        actor,
        "providers.manage_staff",
        provider,
        "Сотрудников добавляет администратор организации.",
    )
    row, created = ProviderStaff.objects.get_or_create(
        provider=provider, user=user, defaults={"is_admin": is_admin}
    )
    if not created and row.is_active and row.is_admin == is_admin:
        return row
    row.is_active, row.is_admin = True, is_admin
    row.save(update_fields=["is_active", "is_admin"])
    _forget_staffed_providers(user)
    accounts.grant_role(
        actor=actor,
        user=user,
        role=Role.PROVIDER_STAFF,
        municipality=provider.municipality,
        is_provider_admin=is_admin,
    )
    audit.record(
        actor=actor,
        action="providers.staff_added",
        obj=provider,
        municipality=provider.municipality,
        details={"login": user.username, "is_admin": is_admin, "staff_id": row.pk},
    )
    return row


@transaction.atomic
def deactivate_staff(*, actor, staff: ProviderStaff) -> ProviderStaff:
    """The person stops working for the provider and loses the staff role there."""
    provider = staff.provider
    _require(
        actor,
        "providers.manage_staff",
        provider,
        "Сотрудников отключает администратор организации.",
    )
    _lock(provider)
    staff.refresh_from_db()
    if not staff.is_active:
        raise Conflict("Сотрудник уже отключён.", code="invalid_status")
    if actor is not None and staff.user_id == actor.pk:
        raise Conflict(
            "Нельзя отключить самого себя: попросите другого администратора.", code="self_action"
        )
    other_admins = provider.staff.filter(is_admin=True, is_active=True).exclude(pk=staff.pk)
    if staff.is_admin and not other_admins.exists():
        raise Conflict("Нельзя отключить последнего администратора организации.")
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    _forget_staffed_providers(staff.user)
    still_staff_here = ProviderStaff.objects.filter(
        user=staff.user, is_active=True, provider__municipality=provider.municipality
    ).exists()
    if not still_staff_here:
        membership = Membership.objects.filter(
            user=staff.user,
            role=Role.PROVIDER_STAFF,
            municipality=provider.municipality,
            is_active=True,
        ).first()
        if membership is not None:
            accounts.revoke_role(actor=actor, membership=membership)
    audit.record(
        actor=actor,
        action="providers.staff_deactivated",
        obj=provider,
        municipality=provider.municipality,
        details={"login": staff.user.username, "staff_id": staff.pk},
    )
    return staff


# ---------------------------------------------------------------- enrolment limits


@transaction.atomic
def set_enrolment_limit(
    *, actor, provider: Provider, period: FinancingPeriod, max_children: int | None
) -> EnrolmentLimit | None:
    """At most `max_children` children of the period at this provider; None removes the limit."""
    _require(
        actor,
        "providers.set_enrolment_limit",
        provider,
        "Лимиты зачисления устанавливает оператор муниципалитета.",
    )
    provider = _lock(provider)
    if period.municipality_id != provider.municipality_id:
        raise ValidationFailed(fields={"period": "Это период другого муниципалитета."})
    if period.status != FinancingPeriod.Status.APPROVED:
        raise ValidationFailed(
            fields={"period": "Лимит задаётся для утверждённой программы ПФ на период."}
        )
    if max_children is not None and (
        isinstance(max_children, bool) or not isinstance(max_children, int)
    ):
        raise ValidationFailed(fields={"max_children": "Укажите целое число детей."})
    if max_children is not None and max_children < 0:
        raise ValidationFailed(fields={"max_children": "Лимит не может быть отрицательным."})
    if max_children is not None and max_children > MAX_ENROLMENT_LIMIT:
        raise ValidationFailed(
            fields={"max_children": f"Не больше {MAX_ENROLMENT_LIMIT:,} детей.".replace(",", " ")}
        )
    existing = EnrolmentLimit.objects.filter(provider=provider, period=period).first()
    previous = existing.max_children if existing else None
    if previous == max_children:
        return existing
    if max_children is None:
        existing.delete()
        limit = None
    elif existing is None:
        limit = EnrolmentLimit.objects.create(
            provider=provider, period=period, max_children=max_children
        )
    else:
        existing.max_children = max_children
        existing.save(update_fields=["max_children"])
        limit = existing
    audit.record(
        actor=actor,
        action="providers.enrolment_limit_set",
        obj=provider,
        municipality=provider.municipality,
        details={"period": period.pk, "max_children": max_children, "previous": previous},
    )
    return limit
