"""The columns of the import file and the report of its check: rows, problems, the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pfdo.certificates.models import Guardianship


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
