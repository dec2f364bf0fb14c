"""Import of children from a CSV or XLSX file: every row checked first, then filed at once."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import secrets
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower

from pfdo.accounts import services as accounts
from pfdo.accounts.models import Membership, User
from pfdo.accounts.roles import Role
from pfdo.audit import services as audit
from pfdo.certificates import services
from pfdo.certificates.models import Certificate, CertificateApplication, Child, Guardianship
from pfdo.certificates.validators import pd_hash
from pfdo.common import clock
from pfdo.common.errors import AccessDenied, Conflict, DomainError, ValidationFailed

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# Wider sheets are cut here: a file of ours never has more, and a stray formatted column
# far to the right must not make the reader walk thousands of empty cells.
MAX_COLUMNS = 64
# A checked file waits for the operator's decision this long, then it is swept away.
STASH_TTL_SECONDS = 2 * 60 * 60
_CHUNK = 500


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    aliases: tuple[str, ...] = ()
    required: bool = True


COLUMNS: tuple[Column, ...] = (
    Column("last_name", "фамилия", ("фамилия ребенка",)),
    Column("first_name", "имя", ("имя ребенка",)),
    Column("patronymic", "отчество", ("отчество ребенка",)),
    Column("birth_date", "дата рождения", ("дата рождения ребенка",)),
    Column("sex", "пол", ("пол ребенка",)),
    Column("document_type", "документ", ("вид документа", "тип документа")),
    Column("document_number", "номер документа", ("серия и номер документа",)),
    Column("snils", "СНИЛС", ("снилс ребенка",)),
    Column("has_disability", "ОВЗ", ("овз (да/нет)",)),
    Column("parent_last_name", "фамилия родителя"),
    Column("parent_first_name", "имя родителя"),
    Column("parent_patronymic", "отчество родителя"),
    Column(
        "email",
        "e-mail родителя",
        ("email родителя", "эл. почта родителя", "электронная почта родителя"),
    ),
    Column("phone", "телефон родителя"),
    Column("relation", "кем приходится", ("кем приходится ребенку",), required=False),
    Column(
        "wants_financing",
        "нужен сертификат финансирования",
        ("сертификат финансирования",),
        required=False,
    ),
)
TITLES = {c.key: c.title for c in COLUMNS}


def _header_key(text: str) -> str:
    return " ".join(str(text).lower().replace("ё", "е").strip(" *:").split())


_BY_HEADER = {
    _header_key(name): column.key for column in COLUMNS for name in (column.title, *column.aliases)
}


def template_csv() -> str:
    """The header row operators fill in (UTF-8 with a BOM, so Excel shows the Cyrillic)."""
    return "\ufeff" + ";".join(c.title for c in COLUMNS) + "\r\n"


# ----------------------------------------------------------------------------- the report


@dataclass
class ImportRow:
    """One data row of the file: its cleaned values, or what is wrong with it."""

    number: int
    child: dict[str, Any] = field(default_factory=dict)
    parent: dict[str, str] = field(default_factory=dict)
    relation: str = Guardianship.Relation.MOTHER
    wants_financing: bool = True
    errors: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    parent_key: str = ""
    existing_parent_id: int | None = None
    snils_hash: str = ""
    document_hash: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.child.get("last_name"), self.child.get("first_name")) if p)

    def has_error(self, key: str) -> bool:
        return any(title == TITLES[key] for title, _ in self.errors)

    def error(self, key: str, message: str) -> None:
        if (TITLES[key], message) not in self.errors:
            self.errors.append((TITLES[key], message))


@dataclass
class ImportReport:
    filename: str
    kind: str
    municipality_id: int
    rows: list[ImportRow]
    notes: list[str] = field(default_factory=list)
    token: str = ""

    @property
    def good_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if r.ok]

    @property
    def bad_rows(self) -> list[ImportRow]:
        return [r for r in self.rows if not r.ok]

    @property
    def good_count(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    @property
    def bad_count(self) -> int:
        return len(self.rows) - self.good_count


@dataclass(frozen=True)
class ImportResult:
    imported: int
    skipped: int
    parents_created: int
    parents_existing: int
    approved: bool
    financing: int
    accounting: int
    notified: int


# ------------------------------------------------------------------------ reading the file


def _file_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="import_file", fields={"file": message})


def _kind(filename: str) -> str:
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    if suffix == ".xls":
        raise _file_error(
            "Формат XLS (Excel 97–2003) не поддерживается. Сохраните таблицу как "
            "«Книга Excel (.xlsx)» или «CSV UTF-8»."
        )
    raise _file_error("Загрузите файл CSV или XLSX (таблица Excel).")


def read_upload(upload) -> tuple[str, bytes]:
    """(file name, content) of an uploaded file, refusing one larger than the limit."""
    name = getattr(upload, "name", "") or ""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise _file_error(_too_big())
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _file_error(_too_big())
    return name, data


def _too_big() -> str:
    return f"Файл больше {MAX_BYTES // (1024 * 1024)} МБ. Разделите его на части."


def _too_many_rows() -> str:
    return f"В файле больше {MAX_ROWS:,} строк с данными. Разделите его на части.".replace(
        ",", "\u00a0"
    )


def _blank(values: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    if b"\x00" in data:
        raise _file_error(
            "Файл не похож на текстовый CSV (возможно, кодировка UTF-16 или это другой "
            "формат). Сохраните таблицу как «CSV UTF-8»."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error(
            "Файл не в кодировке UTF-8. В Excel выберите «Сохранить как» → «CSV UTF-8», "
            "в LibreOffice — кодировку «Юникод (UTF-8)»."
        ) from None
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise _file_error(
            f"Не удалось разобрать CSV около строки {reader.line_num}: проверьте кавычки и "
            "разделители."
        ) from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    broken = (
        "Не удалось прочитать XLSX: файл повреждён или это другой формат. Сохраните таблицу "
        "как «Книга Excel (.xlsx)» или «CSV UTF-8»."
    )
    if not data.startswith(b"PK"):
        raise _file_error(broken)
    # An uploaded file is untrusted: whatever the reader trips over becomes a message.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _file_error(broken) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        # The shared strings are read whole even in read-only mode: no zip bombs.
        raise _file_error("Файл XLSX слишком велик в распакованном виде. Разделите его на части.")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise _file_error(broken) from exc
    try:
        if not book.worksheets:
            raise _file_error("В книге нет листов.")
        sheet = book.worksheets[0]
        try:
            for number, values in enumerate(
                sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
            ):
                yield number, list(values)
        except DomainError:
            raise
        except Exception as exc:
            raise _file_error(broken) from exc
    finally:
        book.close()


def _table(kind: str, data: bytes) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    """(header cells, [(row number, cells)]) of the first sheet, blank rows dropped."""
    rows = _csv_rows(data) if kind == "csv" else _xlsx_rows(data)
    header: list[Any] | None = None
    body: list[tuple[int, list[Any]]] = []
    for number, values in rows:
        if _blank(values):
            continue
        if header is None:
            header = values
            continue
        if len(body) >= MAX_ROWS:
            raise _file_error(_too_many_rows())
        body.append((number, values))
    if header is None:
        raise _file_error("Файл пустой: нет ни строки заголовков, ни данных.")
    return header, body


def _columns(header: list[Any]) -> tuple[dict[str, int], list[str]]:
    """Column key → cell index, and the notes about columns that were not recognised."""
    found: dict[str, int] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header):
        title = "" if cell is None else str(cell).strip()
        if not title:
            continue
        key = _BY_HEADER.get(_header_key(title))
        if key is None:
            unknown.append(title[:60])
        elif key in found:
            raise _file_error(f"Столбец «{TITLES[key]}» встречается в заголовке дважды.")
        else:
            found[key] = index
    missing = [c.title for c in COLUMNS if c.required and c.key not in found]
    if missing:
        names = ", ".join(f"«{m}»" for m in missing)
        raise _file_error(
            f"В файле нет столбцов: {names}. Первая строка файла — заголовки столбцов; "
            "скачайте образец и сверьте названия."
        )
    notes = []
    if unknown:
        notes.append(
            "Не распознаны и пропущены столбцы: " + ", ".join(f"«{u}»" for u in unknown) + "."
        )
    if "relation" not in found:
        notes.append(
            "Столбца «кем приходится» нет: все родители будут записаны как «мать». "
            "Добавьте столбец (мать/отец/опекун), если это не так."
        )
    return found, notes


# ------------------------------------------------------------------------- cleaning a row


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


# --------------------------------------------------------------------- checks across rows


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _rows_list(numbers: Iterable[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def _check_within_file(rows: list[ImportRow]) -> None:
    by_snils: dict[str, list[ImportRow]] = defaultdict(list)
    by_document: dict[str, list[ImportRow]] = defaultdict(list)
    for row in rows:
        if row.snils_hash:
            by_snils[row.snils_hash].append(row)
            by_document[row.document_hash].append(row)
    for same in by_snils.values():
        if len(same) > 1:
            numbers = [r.number for r in same]
            for row in same:
                row.error("snils", f"СНИЛС повторяется в файле: строки {_rows_list(numbers)}.")
    for same in by_document.values():
        if len(same) > 1:
            for row in same:
                others = [r.number for r in same if r is not row]
                row.notes.append(
                    f"Номер документа совпадает со строкой {_rows_list(others)}: проверьте, "
                    "не один ли это ребёнок."
                )
    first_of_parent: dict[str, ImportRow] = {}
    for row in rows:
        first = first_of_parent.setdefault(row.parent_key, row)
        if first is row:
            continue
        if row.parent_key.startswith("name:"):
            row.notes.append(
                f"Родитель без e-mail: по ФИО и телефону это тот же родитель, что в строке "
                f"{first.number} (одна учётная запись)."
            )
        elif _parent_name(row) != _parent_name(first):
            row.notes.append(
                f"Этот e-mail родителя уже был в строке {first.number} с другим ФИО; "
                f"учётная запись создаётся по строке {first.number}."
            )


def _parent_name(row: ImportRow) -> tuple[str, ...]:
    return tuple(row.parent.get(n, "").lower() for n in ("last_name", "first_name", "patronymic"))


def _check_against_database(rows: list[ImportRow], municipality) -> None:
    region_id = municipality.region_id
    snils_hashes = sorted({r.snils_hash for r in rows if r.snils_hash})
    live: set[str] = set()
    known_documents: dict[str, set[str]] = defaultdict(set)
    for chunk in _chunks(snils_hashes):
        live.update(
            Child.objects.filter(municipality__region_id=region_id, snils_hash__in=chunk)
            .filter(
                Q(certificates__status__in=Certificate.LIVE)
                | Q(applications__status__in=CertificateApplication.OPEN)
            )
            .values_list("snils_hash", flat=True)
        )
    document_hashes = sorted({r.document_hash for r in rows if r.document_hash})
    for chunk in _chunks(document_hashes):
        for document_hash, snils_hash in Child.objects.filter(
            municipality__region_id=region_id, document_hash__in=chunk
        ).values_list("document_hash", "snils_hash"):
            known_documents[document_hash].add(snils_hash)
    for row in rows:
        if row.snils_hash in live:
            row.error(
                "snils",
                "Ребёнок с этим СНИЛС уже есть в системе: сертификат выдан или заявление подано.",
            )
        elif known_documents.get(row.document_hash, set()) - {row.snils_hash}:
            row.notes.append(
                "Документ совпадает с другим ребёнком, уже внесённым в систему: заявление "
                "будет помечено как возможный дубликат."
            )
    _match_parents(rows, municipality)


def _match_parents(rows: list[ImportRow], municipality) -> None:
    emails = sorted({r.parent["email"] for r in rows if r.parent.get("email")})
    users: dict[str, list[User]] = defaultdict(list)
    for chunk in _chunks(emails):
        for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk):
            users[user.email_lower].append(user)
    parents_here = set(
        Membership.objects.filter(
            user__in=[u for found in users.values() for u in found],
            role=Role.PARENT,
            municipality=municipality,
            is_active=True,
        ).values_list("user_id", flat=True)
    )
    for row in rows:
        found = users.get(row.parent.get("email", ""), [])
        if not found:
            continue
        usable = [u for u in found if u.is_active and u.pk in parents_here]
        if len(usable) == 1:
            row.existing_parent_id = usable[0].pk
            row.notes.append(
                f"Родитель уже зарегистрирован (логин {usable[0].username}): ребёнок будет "
                "привязан к этой учётной записи."
            )
        elif len(usable) > 1:
            row.error("email", "Этот e-mail у нескольких учётных записей; укажите другой.")
        else:
            row.error(
                "email",
                "Этот e-mail принадлежит пользователю, который не зарегистрирован как родитель "
                "в этом муниципалитете. Укажите другой e-mail или оставьте поле пустым.",
            )


def parse_bytes(filename: str, data: bytes, *, municipality) -> ImportReport:
    """Check every row of the file's content; a problem of the whole file is ValidationFailed."""
    kind = _kind(filename)
    if not data.strip():
        raise _file_error("Файл пустой.")
    if len(data) > MAX_BYTES:
        raise _file_error(_too_big())
    header, body = _table(kind, data)
    columns, notes = _columns(header)
    if not body:
        raise _file_error("В файле только заголовки: нет ни одной строки с данными.")
    today = clock.today()
    rows = [_clean_row(number, cells, columns, today) for number, cells in body]
    _check_within_file(rows)
    _check_against_database(rows, municipality)
    return ImportReport(
        filename=Path(filename).name[:200],
        kind=kind,
        municipality_id=municipality.pk,
        rows=rows,
        notes=notes,
    )


def parse_file(upload, *, municipality) -> ImportReport:
    """Check an uploaded file (CSV or XLSX) row by row for `municipality`; nothing is written."""
    name, data = read_upload(upload)
    return parse_bytes(name, data, municipality=municipality)


# ------------------------------------------------------------------------------ importing


def _row_error(row: ImportRow, exc: DomainError) -> ValidationFailed:
    messages = [m for msgs in exc.fields.values() for m in msgs] or [exc.message]
    return ValidationFailed(
        f"Строка {row.number}: {' '.join(messages)} Ничего не загружено.", code=exc.code
    )


@transaction.atomic
def import_rows(
    *, actor, municipality, report: ImportReport, only_good: bool, approve: bool
) -> ImportResult:
    """File the report's rows as applications (channel «import») in one transaction.

    With a bad row in the report nothing is imported unless `only_good`. Parents are created
    once per distinct e-mail (or name and phone) of the file, or an existing parent account
    is used. With `approve` the certificates are issued too; issued passwords are shown to
    nobody: parents get their login by notification and a password from the operator.
    """
    if not services.can_manage(actor, municipality):
        raise AccessDenied("Загружать детей может только оператор муниципалитета.")
    if report.municipality_id != municipality.pk:
        raise Conflict("Файл проверялся для другого муниципалитета. Загрузите его заново.")
    if report.bad_count and not only_good:
        raise ValidationFailed(
            f"В файле есть строки с ошибками ({report.bad_count}): ничего не загружено. "
            "Исправьте их или загрузите только корректные строки.",
            code="import_has_errors",
        )
    rows = report.good_rows
    if not rows:
        raise ValidationFailed(
            "В файле нет корректных строк: загружать нечего.", code="import_empty"
        )
    existing = User.objects.in_bulk({r.existing_parent_id for r in rows if r.existing_parent_id})
    parents: dict[str, User] = {}
    created = financing = accounting = 0
    with_password: dict[int, User] = {}
    for row in rows:
        try:
            parent = parents.get(row.parent_key)
            if parent is None:
                if row.existing_parent_id:
                    parent = existing.get(row.existing_parent_id)
                    if parent is None:
                        raise Conflict("Учётная запись родителя не найдена.")
                else:
                    parent = services.register_parent(
                        actor=actor, municipality=municipality, **row.parent
                    )
                    created += 1
                parents[row.parent_key] = parent
            application = services.apply_for_certificate(
                actor=actor,
                municipality=municipality,
                parent=parent,
                child=row.child,
                relation=row.relation,
                wants_financing=row.wants_financing,
                channel=CertificateApplication.Channel.IMPORT,
            )
            if approve:
                issued = services.approve_application(actor=actor, application=application)
                if issued.password:
                    with_password[parent.pk] = parent
                if issued.certificate.is_financing:
                    financing += 1
                else:
                    accounting += 1
        except DomainError as exc:
            raise _row_error(row, exc) from exc
    for parent in with_password.values():
        # The password itself is never sent: the operator hands it over or the parent resets it.
        how = (
            "Пароль выдаёт оператор при личном обращении; его можно также задать самому через "
            "«Забыли пароль?» на странице входа по этому e-mail."
            if parent.email
            else "Пароль выдаёт оператор при личном обращении."
        )
        accounts.notify(
            user=parent,
            subject="Доступ в личный кабинет",
            body=f"Для входа в личный кабинет ваш логин: {parent.username}. {how}",
            link="/login/",
        )
    result = ImportResult(
        imported=len(rows),
        skipped=report.bad_count,
        parents_created=created,
        parents_existing=len(parents) - created,
        approved=approve,
        financing=financing,
        accounting=accounting,
        notified=len(with_password),
    )
    audit.record(
        actor=actor,
        action="certificates.children_imported",
        municipality=municipality,
        details={
            "format": report.kind,
            "rows": len(report.rows),
            "imported": result.imported,
            "skipped": result.skipped,
            "parents_created": result.parents_created,
            "parents_existing": result.parents_existing,
            "approved": approve,
            "financing": financing,
            "accounting": accounting,
        },
    )
    return result


# ------------------------------------------------- the checked file between the two steps


def _stash_dir() -> Path:
    configured = getattr(settings, "PFDO_IMPORT_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "imports"


_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _sweep(directory: Path) -> None:
    """Checked files nobody decided on within the TTL hold children's data: remove them."""
    limit = time.time() - STASH_TTL_SECONDS
    for path in directory.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


def _stash(kind: str, data: bytes) -> str:
    directory = _stash_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    _sweep(directory)
    token = secrets.token_urlsafe(32)
    fd = os.open(directory / f"{token}.{kind}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return token


def _claim(token: str) -> tuple[str, bytes] | None:
    """Take the stashed file once: the rename is atomic, so a second submit finds nothing."""
    if not _TOKEN.match(token or ""):
        return None
    directory = _stash_dir()
    for kind in ("csv", "xlsx"):
        path = directory / f"{token}.{kind}"
        taken = directory / f"{token}.{kind}.taken-{secrets.token_hex(4)}"
        try:
            path.rename(taken)
        except FileNotFoundError:
            continue
        try:
            return kind, taken.read_bytes()
        finally:
            taken.unlink(missing_ok=True)
    return None


def discard(token: str) -> None:
    """The operator cancelled: the checked file goes away."""
    if _TOKEN.match(token or ""):
        for kind in ("csv", "xlsx"):
            (_stash_dir() / f"{token}.{kind}").unlink(missing_ok=True)


def check_upload(*, actor, municipality, upload) -> ImportReport:
    """Step one: check the file; if any row is good, keep it for step two (`report.token`)."""
    if not services.can_manage(actor, municipality):
        raise AccessDenied("Загружать детей может только оператор муниципалитета.")
    name, data = read_upload(upload)
    report = parse_bytes(name, data, municipality=municipality)
    if report.good_count:
        report.token = _stash(report.kind, data)
    return report


def import_stashed(
    *, actor, municipality, token: str, only_good: bool, approve: bool
) -> ImportResult:
    """Step two: the file checked in step one is checked again and imported — once.

    The stashed file is taken before anything is written, so a repeated or concurrent
    submit of the same step finds nothing and imports nothing.
    """
    if not services.can_manage(actor, municipality):
        raise AccessDenied("Загружать детей может только оператор муниципалитета.")
    taken = _claim(token)
    if taken is None:
        raise Conflict(
            "Этот файл уже загружен или проверка устарела. Загрузите файл заново.",
            code="import_stale",
        )
    kind, data = taken
    report = parse_bytes(f"import.{kind}", data, municipality=municipality)
    return import_rows(
        actor=actor, municipality=municipality, report=report, only_good=only_good, approve=approve
    )
