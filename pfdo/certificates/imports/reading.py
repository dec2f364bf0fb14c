"""Reading an uploaded CSV or XLSX file into a header and rows, within the limits."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pfdo.certificates.imports.report import _BY_HEADER, COLUMNS, TITLES, _header_key
from pfdo.common.errors import DomainError, ValidationFailed

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# Wider sheets are cut here: a file of ours never has more, and a stray formatted column
# far to the right must not make the reader walk thousands of empty cells.
MAX_COLUMNS = 64


def file_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="import_file", fields={"file": message})


def file_kind(filename: str) -> str:
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".csv":
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
    name = getattr(upload, "name", "") or ""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise file_error(too_big())
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise file_error(too_big())
    return name, data


def too_big() -> str:
    return f"Файл больше {MAX_BYTES // (1024 * 1024)} МБ. Разделите его на части."


def _too_many_rows() -> str:
    return f"В файле больше {MAX_ROWS:,} строк с данными. Разделите его на части.".replace(
        ",", "\u00a0"
    )


def _blank(values: list[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
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
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise file_error(
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
        raise file_error(broken)
    # An uploaded file is untrusted: whatever the reader trips over becomes a message.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise file_error(broken) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        # The shared strings are read whole even in read-only mode: no zip bombs.
        raise file_error("Файл XLSX слишком велик в распакованном виде. Разделите его на части.")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise file_error(broken) from exc
    try:
        if not book.worksheets:
            raise file_error("В книге нет листов.")
        sheet = book.worksheets[0]
        try:
            for number, values in enumerate(
                sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1
            ):
                yield number, list(values)
        except DomainError:
            raise
        except Exception as exc:
            raise file_error(broken) from exc
    finally:
        book.close()


def table(kind: str, data: bytes) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
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
            raise file_error(_too_many_rows())
        body.append((number, values))
    if header is None:
        raise file_error("Файл пустой: нет ни строки заголовков, ни данных.")
    return header, body


def match_header(
    header: list[Any], *, by_header: dict[str, str], titles: dict[str, str]
) -> tuple[dict[str, int], list[str]]:
    """Column key → cell index for a header row whose titles `by_header` knows (case, ё/е,
    spaces and a trailing * or : do not matter), and the titles it does not know; a column
    named twice is a file error. Every import's header is read this way."""
    found: dict[str, int] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header):
        title = "" if cell is None else str(cell).strip()
        if not title:
            continue
        key = by_header.get(_header_key(title))
        if key is None:
            unknown.append(title[:60])
        elif key in found:
            raise file_error(f"Столбец «{titles[key]}» встречается в заголовке дважды.")
        else:
            found[key] = index
    return found, unknown


def columns(header: list[Any]) -> tuple[dict[str, int], list[str]]:
    """Column key → cell index, and the notes about columns that were not recognised."""
    found, unknown = match_header(header, by_header=_BY_HEADER, titles=TITLES)
    missing = [c.title for c in COLUMNS if c.required and c.key not in found]
    if missing:
        names = ", ".join(f"«{m}»" for m in missing)
        raise file_error(
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
