"""The contract register as an XLSX file (openpyxl write-only: rows go to disk, not memory)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from pfdo.common.spreadsheets import safe_text
from pfdo.enrolment.selectors import ExportRow

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"

# (header, width); amounts are roubles with kopecks as numbers, so sums work in the sheet.
COLUMNS = [
    ("Номер договора", 16),
    ("Статус", 14),
    ("Ребёнок", 32),
    ("Возраст, лет", 8),
    ("Поставщик", 30),
    ("Программа", 36),
    ("Модуль", 24),
    ("Группа", 20),
    ("Начало", 12),
    ("Окончание", 12),
    ("Цена, руб.", 14),
    ("Оплачивается сертификатом, руб.", 16),
    ("Доплата родителя, руб.", 14),
    ("Договор принят", 17),
    ("Договор прекращён", 17),
    ("Кем расторгнут", 22),
    ("Причина расторжения", 40),
]
PROVIDER_COLUMN = 4


def _roubles(kopecks: int) -> Decimal:
    return (Decimal(kopecks) / 100).quantize(Decimal("0.01"))


def contracts_xlsx(rows: Iterable[ExportRow], *, with_provider: bool):
    """Write the register to a temporary file and return it open at the start.

    Text goes in as text: a programme's name or a reason starting with "=" (or + - @) is
    written by `safe_text` and never becomes a formula in the accountant's spreadsheet.
    """
    columns = [c for i, c in enumerate(COLUMNS) if with_provider or i != PROVIDER_COLUMN]
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Договоры")
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for index, (_, width) in enumerate(columns):
        sheet.column_dimensions[letters[index]].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for title, _ in columns:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    # Styled cells are written as soon as they are appended, so one per column is reused.
    dates = [WriteOnlyCell(sheet) for _ in range(2)]
    moments = [WriteOnlyCell(sheet) for _ in range(2)]
    amounts = [WriteOnlyCell(sheet) for _ in range(3)]
    for cell in dates:
        cell.number_format = DATE_FORMAT
    for cell in moments:
        cell.number_format = DATETIME_FORMAT
    for cell in amounts:
        cell.number_format = MONEY_FORMAT

    def styled(cell: WriteOnlyCell, value):
        if value is None:
            return None
        cell.value = value
        return cell

    for row in rows:
        sheet.append(
            [
                safe_text(row.number),
                safe_text(row.status),
                safe_text(row.child),
                row.age_years,
                *([safe_text(row.provider)] if with_provider else []),
                safe_text(row.program),
                safe_text(row.module),
                safe_text(row.group),
                styled(dates[0], row.starts_on),
                styled(dates[1], row.ends_on),
                styled(amounts[0], _roubles(row.price_kopecks)),
                styled(amounts[1], _roubles(row.certificate_kopecks)),
                styled(amounts[2], _roubles(row.copay_kopecks)),
                styled(moments[0], row.accepted_at),
                styled(moments[1], row.ended_at),
                safe_text(row.terminated_by),
                safe_text(row.reason),
            ]
        )
    out = tempfile.TemporaryFile()  # noqa: SIM115
    book.save(out)
    out.seek(0)
    return out
