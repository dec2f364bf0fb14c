"""Checks of a provider's card and of a new staff member: every field message at once."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth import password_validation
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from pfdo.accounts.models import User
from pfdo.common import clock
from pfdo.common.choices import LegalForm
from pfdo.common.errors import ValidationFailed
from pfdo.common.validators import person_name_error
from pfdo.providers.models import PROFILE_FIELDS, Provider
from pfdo.providers.validators import (
    account_is_valid,
    correspondent_account_is_valid,
    inn_is_valid,
    ogrn_is_valid,
)

if TYPE_CHECKING:
    from pfdo.providers.services.staff import NewStaff

DUPLICATE_INN = "Поставщик с этим ИНН уже есть в реестре муниципалитета или подал заявку."
LOGIN_TAKEN = "Этот логин уже занят, выберите другой."


def only_error(errors: Mapping[str, list[str]], field: str, message: str) -> bool:
    """Whether `message` on `field` is the one problem of `errors`: a well-formed value that
    existing records refuse (already taken) is then a 409, not a form's 400."""
    return dict(errors) == {field: [message]}


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
EMPTY_PROFILE: dict[str, Any] = {
    name: (False if name == "licence_exempt" else None if name == "licence_issued_on" else "")
    for name in PROFILE_FIELDS
}


def normalise_profile(values: Mapping[str, Any]) -> dict[str, Any]:
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


def bank_errors(
    data: Mapping[str, Any], errors: dict[str, list[str]], *, required: bool = False
) -> None:
    """Bank name, БИК, settlement account (key against the БИК), correspondent account.
    Optional on a card until the first invoice; `required` on a request to change them."""
    bik, account, corr = data["bik"], data["settlement_account"], data["correspondent_account"]
    if not (required or bik or account or corr or data["bank_name"]):
        return
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
    elif corr and bik_ok and not correspondent_account_is_valid(corr, bik):
        errors["correspondent_account"].append(
            "Корреспондентский счёт не сходится с БИК (контрольный ключ): проверьте оба номера."
        )


def profile_errors(
    data: Mapping[str, Any],
    *,
    municipality,
    provider_pk: int | None = None,
    check_duplicate: bool = True,
) -> dict[str, list[str]]:
    """Every field message at once, so the applicant fixes the form in one pass.

    `check_duplicate=False` for the public application: a known ИНН is not the applicant's
    mistake to be told of (registry.apply_provider files it flagged instead)."""
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
    bank_errors(data, errors)
    if check_duplicate and data["inn"] and "inn" not in errors:
        duplicate = Provider.objects.filter(municipality=municipality, inn=data["inn"])
        if provider_pk is not None:
            duplicate = duplicate.exclude(pk=provider_pk)
        if duplicate.exists():
            errors["inn"].append(DUPLICATE_INN)
    return dict(errors)


def staff_errors(staff: NewStaff, *, prefix: str, require_email: bool) -> dict[str, list[str]]:
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
            errors[f"{prefix}login"].append(LOGIN_TAKEN)
    if not staff.last_name.strip():
        errors[f"{prefix}last_name"].append("Укажите фамилию.")
    if not staff.first_name.strip():
        errors[f"{prefix}first_name"].append("Укажите имя.")
    for name in ("last_name", "first_name", "patronymic"):
        if len(getattr(staff, name)) > 150:
            errors[f"{prefix}{name}"].append("Не длиннее 150 символов.")
        elif problem := person_name_error(getattr(staff, name).strip()):
            errors[f"{prefix}{name}"].append(problem)
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
