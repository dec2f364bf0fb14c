"""The child population from an XLSX file: read with the certificates import's reader (same size,
row and zip limits), every row checked, then written by the service all at once or not at all.

One file may hold one municipality or several: the column «Код муниципалитета» names each row's
municipality; without that column every row belongs to the municipality chosen on upload.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font

from pfdo.certificates.imports.reading import (
    file_error,
    file_kind,
    match_header,
    read_upload,
    table,
)
from pfdo.common import clock
from pfdo.common.errors import ValidationFailed
from pfdo.common.spreadsheets import safe_text
from pfdo.jobs import services as jobs
from pfdo.reports.models import MAX_AGE, MIN_AGE
from pfdo.reports.services import (
    MAX_YEAR,
    MIN_YEAR,
    PopulationRow,
    check_population_rows,
    import_population,
)

# The messages the page and the API show at most; the rest are counted.
MAX_MESSAGES = 50


@dataclass(frozen=True)
class ImportColumn:
    key: str
    title: str
    aliases: tuple[str, ...]


COLUMNS = (
    ImportColumn("municipality", "Код муниципалитета", ("код муниципалитета", "муниципалитет")),
    ImportColumn("year", "Год", ("год",)),
    ImportColumn("age", "Возраст", ("возраст", "возраст, лет", "возраст, полных лет")),
    ImportColumn(
        "children", "Численность", ("численность", "численность детей", "число детей", "детей")
    ),
)
TITLES = {column.key: column.title for column in COLUMNS}
_BY_HEADER = {alias: column.key for column in COLUMNS for alias in column.aliases}


def _columns(header: list) -> dict[str, int]:
    found, unknown = match_header(header, by_header=_BY_HEADER, titles=TITLES)
    problems = []
    missing = [TITLES[key] for key in ("year", "age", "children") if key not in found]
    if missing:
        problems.append("В файле нет столбцов: " + ", ".join(f"«{m}»" for m in missing) + ".")
    if unknown:
        problems.append("Неизвестные столбцы: " + ", ".join(f"«{u}»" for u in unknown) + ".")
    if problems:
        raise file_error(
            " ".join(problems) + " Первая строка — заголовки: «Код муниципалитета», «Год», "
            "«Возраст», «Численность»; скачайте образец."
        )
    return found


def _whole(value) -> int | None:
    """A whole number from a cell (int, a float without fraction, text of digits), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if re.fullmatch(r"-?[0-9]+", text):
            return int(text)
    return None


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse(data: bytes, filename: str, *, municipalities: dict, default=None) -> list[PopulationRow]:
    """Every row of the file checked; `municipalities` maps the codes the user may edit to
    municipalities, `default` is the one chosen on upload (for a file without the code column).
    Any problem: `ValidationFailed` listing them all ("Строка 5, «Возраст»: …"), nothing kept."""
    if file_kind(filename) != "xlsx":
        raise file_error("Загрузите файл XLSX (таблица Excel); образец можно скачать.")
    header, body = table("xlsx", data)
    found = _columns(header)
    if "municipality" not in found and default is None:
        raise file_error(
            "В файле нет столбца «Код муниципалитета»: добавьте его или выберите муниципалитет."
        )
    if not body:
        raise file_error("В файле нет строк с данными.")
    problems: list[str] = []
    rows: list[PopulationRow] = []
    seen: dict[tuple, int] = {}

    def cell(values, key):
        index = found.get(key)
        return values[index] if index is not None and index < len(values) else None

    for number, values in body:
        where = f"Строка {number}"
        row_problems = []
        municipality = default
        if "municipality" in found:
            code = cell(values, "municipality")
            text = "" if _blank(code) else str(code).strip()
            municipality = municipalities.get(text) if text else None
            if not text:
                row_problems.append(f"{where}, «{TITLES['municipality']}»: не заполнен.")
            elif municipality is None:
                row_problems.append(
                    f"{where}, «{TITLES['municipality']}»: муниципалитета «{text[:40]}» нет "
                    "или его данные вам недоступны."
                )
        numbers = {}
        for key, low, high, what in (
            ("year", MIN_YEAR, MAX_YEAR, f"год от {MIN_YEAR} до {MAX_YEAR}"),
            ("age", MIN_AGE, MAX_AGE, f"возраст от {MIN_AGE} до {MAX_AGE} лет"),
            ("children", 0, None, "неотрицательное целое число"),
        ):
            raw = cell(values, key)
            value = None if _blank(raw) else _whole(raw)
            if _blank(raw):
                row_problems.append(f"{where}, «{TITLES[key]}»: не заполнено.")
            elif value is None:
                row_problems.append(
                    f"{where}, «{TITLES[key]}»: «{str(raw)[:20]}» — не целое число; нужно {what}."
                )
            elif value < low or (high is not None and value > high):
                row_problems.append(f"{where}, «{TITLES[key]}»: {value} — нужно {what}.")
            else:
                numbers[key] = value
        if not row_problems and municipality is not None:
            key = (municipality.pk, numbers["year"], numbers["age"])
            if key in seen:
                row_problems.append(
                    f"{where}: повтор строки {seen[key]} (тот же муниципалитет, год и возраст)."
                )
            else:
                seen[key] = number
                rows.append(PopulationRow(municipality, **numbers))
        problems.extend(row_problems)
    if problems:
        shown = problems[:MAX_MESSAGES]
        if len(problems) > MAX_MESSAGES:
            shown.append(f"…и ещё ошибок: {len(problems) - MAX_MESSAGES}.")
        raise ValidationFailed(
            f"В файле ошибок: {len(problems)}. Ничего не сохранено — исправьте файл и загрузите "
            "его снова.",
            code="population_file",
            fields={"file": shown},
        )
    return rows


def import_upload(*, actor, upload, municipalities: dict, default=None) -> int:
    """Read, check and write an uploaded file; returns how many ages changed."""
    name, data = read_upload(upload)
    rows = parse(data, name, municipalities=municipalities, default=default)
    return import_population(actor=actor, rows=rows)


IMPORT_JOB = "reports.population_import"


def start_import(*, actor, upload, municipalities: dict, default=None, back: str = ""):
    """Read and check an uploaded file here (a bad file is refused at once, nothing kept),
    then write it as a background job (`reports/tasks.py`). The rows travel in the job's
    parameters (counts by age, no personal data); the same file from the same user while its
    job waits or runs is that job."""
    name, data = read_upload(upload)
    rows = parse(data, name, municipalities=municipalities, default=default)
    check_population_rows(actor=actor, rows=rows)
    cells = [[row.municipality.pk, row.year, row.age, row.children] for row in rows]
    digest = hashlib.sha256(json.dumps(cells).encode()).hexdigest()[:32]
    return jobs.start(
        kind=IMPORT_JOB,
        actor=actor,
        municipality=default,
        params={"rows": cells, "back": back},
        key=f"{getattr(actor, 'pk', '')}:{digest}",
    )


def template_xlsx(codes: list[str], year: int | None = None) -> bytes:
    """A file to fill in: the header and one row per age for each municipality given."""
    year = year or clock.today().year
    book = Workbook()
    sheet = book.active
    sheet.title = "Численность детей"
    sheet.append([column.title for column in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for code in codes:
        for age in range(MIN_AGE, MAX_AGE + 1):
            sheet.append([safe_text(code), year, age, None])
    for letter, width in zip("ABCD", (22, 8, 10, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
