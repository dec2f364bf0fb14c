"""Old ПФДО programme ids from a file: CSV (`;` or `,`) or XLSX, two columns — this system's
programme id and the old ПФДО id — with an optional header row ("program_id;pfdo_id").

Every line is read and checked for numbers here; the rules (whose programme, which ids are
free) are the service's (`services.aliases.set_aliases`), all lines or none.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pfdo.common.errors import DomainError, ValidationFailed
from pfdo.compat.services.aliases import (
    MAX_FILE_BYTES,
    MAX_MESSAGES,
    MAX_ROWS,
    AliasResult,
    AliasRow,
    set_aliases,
)

MAX_BYTES = MAX_FILE_BYTES
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_COLUMNS = 16

PROGRAM, PFDO = "program", "pfdo_id"
TITLES = {PROGRAM: "program_id", PFDO: "pfdo_id"}
# Header titles, compared without case, ё/е, spaces, "_", "-", "№" and a trailing * or :.
_HEADERS = {
    PROGRAM: {
        "programid",
        "program",
        "id",
        "номерпрограммы",
        "idпрограммы",
        "программа",
        "номерпрограммывсистеме",
    },
    PFDO: {
        "pfdoid",
        "pfdo",
        "legacyid",
        "oldid",
        "номерпфдо",
        "idпфдо",
        "номервпфдо",
        "номерпрограммывпфдо",
        "старыйномер",
        "idпрограммывпфдо",
    },
}
_BY_HEADER = {title: key for key, titles in _HEADERS.items() for title in titles}
HINT = (
    "Два столбца: номер программы в этой системе и её номер в ПФДО; первая строка может быть "
    "заголовком «program_id;pfdo_id»."
)


def file_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="import_file", fields={"file": message})


def _kind(filename: str) -> str:
    suffix = Path(filename or "").suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix == ".xlsx":
        return "xlsx"
    if suffix == ".xls":
        raise file_error(
            "Формат XLS (Excel 97–2003) не поддерживается. Сохраните таблицу как "
            "«Книга Excel (.xlsx)» или «CSV UTF-8»."
        )
    raise file_error("Загрузите файл CSV или XLSX (таблица Excel).")


def read_upload(upload) -> tuple[str, bytes]:
    """(file name, content) of an uploaded file, refusing one larger than the limit."""
    too_big = f"Файл больше {MAX_BYTES // (1024 * 1024)} МБ. Разделите его на части."
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise file_error(too_big)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise file_error(too_big)
    return getattr(upload, "name", "") or "", data


def _csv_lines(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    if b"\x00" in data:
        raise file_error(
            "Файл не похож на текстовый CSV (возможно, кодировка UTF-16 или это другой "
            "формат). Сохраните таблицу как «CSV UTF-8»."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise file_error(
            "Файл не в кодировке UTF-8. В Excel выберите «Сохранить как» → «CSV UTF-8», "
            "в LibreOffice — кодировку «Юникод (UTF-8)»."
        ) from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if ";" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for values in reader:
            # The line the row ends on: a quoted value may span lines, and the user counts them.
            yield reader.line_num, values[:MAX_COLUMNS]
    except csv.Error as exc:
        raise file_error(
            f"Не удалось разобрать CSV около строки {reader.line_num}: проверьте кавычки и "
            "разделители."
        ) from exc


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    broken = (
        "Не удалось прочитать XLSX: файл повреждён или это другой формат. Сохраните таблицу "
        "как «Книга Excel (.xlsx)» или «CSV UTF-8»."
    )
    if not data.startswith(b"PK"):
        raise file_error(broken)
    # An uploaded file is untrusted: whatever the reader trips over becomes a message.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise file_error(broken) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise file_error("Файл XLSX слишком велик в распакованном виде. Разделите его на части.")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise file_error(broken) from exc
    try:
        if not book.worksheets:
            raise file_error("В книге нет листов.")
        rows = book.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True)
        try:
            for number, values in enumerate(rows, start=1):
                yield number, list(values)
        except DomainError:
            raise
        except Exception as exc:
            raise file_error(broken) from exc
    finally:
        book.close()


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


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
        if re.fullmatch(r"[0-9]{1,18}", text):
            return int(text)
    return None


def _header_key(value) -> str:
    text = str(value).strip().lower().replace("ё", "е").rstrip("*:")
    return re.sub(r"[\s_\-№#]+", "", text)


def _columns(header: list[Any]) -> dict[str, int] | None:
    """Column key → index if `header` is a header row; None if it is a row of data."""
    cells = [c for c in header if not _blank(c)]
    if not cells or any(_whole(c) is not None for c in cells):
        return None
    found: dict[str, int] = {}
    unknown = []
    for index, cell in enumerate(header):
        if _blank(cell):
            continue
        key = _BY_HEADER.get(_header_key(cell))
        if key is None:
            unknown.append(str(cell).strip()[:40])
        elif key in found:
            raise file_error(f"Столбец «{TITLES[key]}» встречается в заголовке дважды.")
        else:
            found[key] = index
    if unknown or len(found) != 2:
        named = ", ".join(f"«{u}»" for u in unknown)
        raise file_error(
            (f"Неизвестные столбцы: {named}. " if unknown else "В заголовке не хватает столбцов. ")
            + HINT
        )
    return found


def parse(data: bytes, filename: str) -> list[AliasRow]:
    """The rows of a file with their line numbers; any unreadable line: `ValidationFailed`
    listing them all ("Строка 5: …"), nothing kept."""
    lines = _csv_lines(data) if _kind(filename) == "csv" else _xlsx_lines(data)
    columns: dict[str, int] | None = None
    seen_first = False
    rows: list[AliasRow] = []
    problems: list[str] = []
    for number, values in lines:
        if all(_blank(v) for v in values):
            continue
        if not seen_first:
            seen_first = True
            columns = _columns(values)
            if columns is not None:
                continue
        if len(rows) + len(problems) >= MAX_ROWS:
            raise file_error(f"В файле больше {MAX_ROWS} строк с данными. Разделите его на части.")
        row, row_problems = _row(number, values, columns)
        if row_problems:
            problems.extend(row_problems)
        else:
            rows.append(row)
    if problems:
        shown = problems[:MAX_MESSAGES]
        if len(problems) > MAX_MESSAGES:
            shown.append(f"…и ещё ошибок: {len(problems) - MAX_MESSAGES}.")
        raise ValidationFailed(
            f"В файле ошибок: {len(problems)}. Ничего не сохранено — исправьте файл и загрузите "
            "его снова.",
            code="import_file",
            fields={"file": shown},
        )
    if not rows:
        raise file_error("В файле нет строк с номерами. " + HINT)
    return rows


def _row(number: int, values: list[Any], columns: dict[str, int] | None):
    where = f"Строка {number}"
    if columns is None:
        filled = [v for v in values if not _blank(v)]
        if len([v for v in values[2:] if not _blank(v)]):
            return None, [
                f"{where}: значений больше двух ({len(filled)}); нужны только номер программы "
                "и номер в ПФДО."
            ]
        columns = {PROGRAM: 0, PFDO: 1}
    numbers = {}
    problems = []
    for key, what in ((PROGRAM, "номер программы"), (PFDO, "номер в ПФДО")):
        index = columns[key]
        raw = values[index] if index < len(values) else None
        value = None if _blank(raw) else _whole(raw)
        if _blank(raw):
            problems.append(f"{where}: не заполнен {what}.")
        elif value is None:
            problems.append(
                f"{where}: {what} «{str(raw).strip()[:20]}» — не целое положительное число."
            )
        else:
            numbers[key] = value
    if problems:
        return None, problems
    return AliasRow(numbers[PROGRAM], numbers[PFDO], number), []


def import_upload(*, actor, municipality, upload) -> AliasResult:
    """Read, check and write an uploaded file: all its lines or none."""
    name, data = read_upload(upload)
    return set_aliases(actor=actor, municipality=municipality, rows=parse(data, name))


def import_path(*, actor, municipality, path: Path) -> AliasResult:
    """The same for a file on disk (the management command)."""
    if path.stat().st_size > MAX_BYTES:
        raise file_error(f"Файл больше {MAX_BYTES // (1024 * 1024)} МБ. Разделите его на части.")
    return set_aliases(
        actor=actor, municipality=municipality, rows=parse(path.read_bytes(), path.name)
    )
