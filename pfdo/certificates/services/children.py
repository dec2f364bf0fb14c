"""The child's card: the fields an application carries, checked and normalised."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pfdo.certificates.models import (
    MAX_AGE_MONTHS,
    MIN_AGE_MONTHS,
    Child,
    age_in_months,
)
from pfdo.certificates.validators import normalize_document, normalize_snils, snils_error
from pfdo.common import clock
from pfdo.common.ages import years_word
from pfdo.common.errors import ValidationFailed
from pfdo.common.validators import person_name_error

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
        elif problem := person_name_error(text):
            errors[name] = problem
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
    return f"{n} {years_word(n)}"
