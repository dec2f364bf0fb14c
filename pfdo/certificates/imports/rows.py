"""One data row of the import file: its cells cleaned into the child's and parent's fields."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from pfdo.certificates import services
from pfdo.certificates.imports.report import TITLES, ImportRow
from pfdo.certificates.models import Child, Guardianship
from pfdo.certificates.validators import pd_hash
from pfdo.common.errors import ValidationFailed
from pfdo.common.validators import person_name_error


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _birth_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 3_000 < value < 80_000:
        # A date cell formatted as a number in Excel: days since 30.12.1899.
        return _EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = _text(value)
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


_SEX = {
    "м": "m",
    "муж": "m",
    "мужской": "m",
    "m": "m",
    "ж": "f",
    "жен": "f",
    "женский": "f",
    "f": "f",
}
_YES = {"да", "д", "1", "+", "yes", "true", "истина"}
_NO = {"нет", "н", "0", "-", "no", "false", "ложь", ""}
_RELATIONS = {
    "мать": Guardianship.Relation.MOTHER,
    "мама": Guardianship.Relation.MOTHER,
    "отец": Guardianship.Relation.FATHER,
    "папа": Guardianship.Relation.FATHER,
    "опекун": Guardianship.Relation.GUARDIAN,
    "попечитель": Guardianship.Relation.GUARDIAN,
    "опекун (попечитель)": Guardianship.Relation.GUARDIAN,
}


def _document_type(text: str) -> str | None:
    word = text.lower().replace("ё", "е")
    if word.startswith(("свид", "св-во", "св.")) or word == Child.DocumentType.BIRTH_CERTIFICATE:
        return Child.DocumentType.BIRTH_CERTIFICATE
    if word.startswith("пасп") or word == Child.DocumentType.PASSPORT:
        return Child.DocumentType.PASSPORT
    return None


def _yes_no(text: str) -> bool | None:
    word = text.lower()
    if word in _YES:
        return True
    if word in _NO:
        return False
    return None


def _clean_row(number: int, cells: list[Any], columns: dict[str, int], today: dt.date) -> ImportRow:
    def raw(key: str) -> Any:
        index = columns.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    row = ImportRow(number=number)
    values: dict[str, Any] = {
        "last_name": _text(raw("last_name")),
        "first_name": _text(raw("first_name")),
        "patronymic": _text(raw("patronymic")),
        "document_number": _text(raw("document_number")),
        "birth_date": None,
    }
    snils_cell = raw("snils")
    snils = _text(snils_cell)
    if isinstance(snils_cell, int | float) and not isinstance(snils_cell, bool):
        snils = snils.zfill(11)  # a number cell lost the leading zeros
    values["snils"] = snils
    row.child = dict(values)

    birth_text = _text(raw("birth_date"))
    if birth_text:
        values["birth_date"] = _birth_date(raw("birth_date"))
        if values["birth_date"] is None:
            row.error(
                "birth_date", "Дата рождения: ДД.ММ.ГГГГ или ГГГГ-ММ-ДД, например 14.05.2016."
            )
    sex_text = _text(raw("sex"))
    values["sex"] = _SEX.get(sex_text.lower(), "")
    if sex_text and not values["sex"]:
        row.error("sex", "Пол: «м» или «ж».")
    doc_text = _text(raw("document_type"))
    values["document_type"] = _document_type(doc_text) if doc_text else None
    if not doc_text:
        row.error("document_type", "Укажите документ: «свидетельство» или «паспорт».")
    elif values["document_type"] is None:
        row.error("document_type", "Документ: «свидетельство» (о рождении) или «паспорт».")
    disability = _yes_no(_text(raw("has_disability")))
    if disability is None:
        row.error("has_disability", "ОВЗ: «да» или «нет».")
    values["has_disability"] = bool(disability)
    try:
        cleaned = services.clean_child(
            {
                **values,
                "document_type": values["document_type"] or Child.DocumentType.BIRTH_CERTIFICATE,
            },
            today=today,
        )
    except ValidationFailed as exc:
        for key, messages in exc.fields.items():
            if key in TITLES and not row.has_error(key):
                for message in messages:
                    row.error(key, message)
    else:
        row.child = cleaned
        row.snils_hash = pd_hash("snils", cleaned["snils"])
        row.document_hash = pd_hash("document", cleaned["document_number"])

    parent = {
        "last_name": _text(raw("parent_last_name")),
        "first_name": _text(raw("parent_first_name")),
        "patronymic": _text(raw("parent_patronymic")),
        "email": _text(raw("email")).lower(),
        "phone": _text(raw("phone")),
    }
    for key, name in (("email", "email"), ("phone", "phone")):
        if "\x00" in parent[name]:
            row.error(key, "Недопустимые символы.")
            parent[name] = ""
    for key, name, label in (
        ("parent_last_name", "last_name", "фамилию"),
        ("parent_first_name", "first_name", "имя"),
        ("parent_patronymic", "patronymic", ""),
    ):
        if "\x00" in parent[name]:
            row.error(key, "Недопустимые символы.")
        elif not parent[name] and label:
            row.error(key, f"Укажите {label} родителя.")
        elif len(parent[name]) > 150:
            row.error(key, "Не длиннее 150 символов.")
        elif problem := person_name_error(parent[name]):
            row.error(key, problem)
    if parent["email"]:
        try:
            validate_email(parent["email"])
        except ValidationError:
            row.error("email", "Неверный e-mail, пример: ivanova@example.org.")
    if parent["phone"]:
        digits = re.sub(r"\D", "", parent["phone"])
        if not 10 <= len(digits) <= 15 or len(parent["phone"]) > 32:
            row.error("phone", "Телефон: 10–15 цифр, например +7 912 345-67-89.")
    row.parent = parent
    if parent["email"]:
        row.parent_key = "email:" + parent["email"]
    else:
        who = "|".join(parent[n].lower() for n in ("last_name", "first_name", "patronymic"))
        phone_digits = re.sub(r"\D", "", parent["phone"])
        row.parent_key = f"name:{who}|{phone_digits}"

    relation_text = _text(raw("relation")).lower().replace("ё", "е")
    if relation_text:
        relation = _RELATIONS.get(relation_text)
        if relation is None:
            row.error("relation", "Кем приходится: «мать», «отец» или «опекун».")
        else:
            row.relation = relation
    wants = _text(raw("wants_financing"))
    if wants:
        choice = _yes_no(wants)
        if choice is None:
            row.error("wants_financing", "Сертификат финансирования: «да» или «нет».")
        else:
            row.wants_financing = choice
    return row
