"""The payment registry for the accountants: CSV (streamed) and XLSX (openpyxl write-only).

Rows come from `selectors.payment_registry`, which holds the provider and the document, never
a child: the registry carries no personal data.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from pfdo.billing.selectors import RegistryRow
from pfdo.common.spreadsheets import safe_text

MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "DD.MM.YYYY"
BOM = "\ufeff"

# (header, width)
COLUMNS = [
    ("Дата платежа", 12),
    ("Номер платёжного поручения", 16),
    ("Поставщик", 36),
    ("ИНН поставщика", 14),
    ("Документ", 26),
    ("Месяц", 16),
    ("Сумма, руб.", 16),
    # Where the money went: the document's own payee details, as it was issued with.
    ("Расчётный счёт получателя", 24),
    ("БИК банка получателя", 12),
]


def amount_text(kopecks: int) -> str:
    """123456 → '1234,56' (what a Russian spreadsheet reads as a number); integers only."""
    sign = "-" if kopecks < 0 else ""
    roubles, kop = divmod(abs(kopecks), 100)
    return f"{sign}{roubles},{kop:02d}"


def _roubles(kopecks: int) -> Decimal:
    return (Decimal(kopecks) / 100).quantize(Decimal("0.01"))


class _Line:
    """csv.writer writes into this and gets the line back, so the file is streamed."""

    def write(self, value: str) -> str:
        return value


def registry_csv(rows: Iterable[RegistryRow]) -> Iterator[str]:
    """The registry as CSV lines: UTF-8 with a BOM (Excel then reads Cyrillic), `;`-separated,
    dates ДД.ММ.ГГГГ, amounts «1234,56»."""
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield BOM + writer.writerow([title for title, _ in COLUMNS])
    for row in rows:
        yield writer.writerow(
            [
                f"{row.paid_on:%d.%m.%Y}",
                safe_text(row.order_number),
                safe_text(row.provider),
                safe_text(row.inn),
                safe_text(row.document),
                safe_text(row.month),
                amount_text(row.amount_kopecks),
                row.account,
                row.bik,
            ]
        )


def registry_xlsx(rows: Iterable[RegistryRow]):
    """Write the registry to a temporary file and return it open at the start.

    Amounts are numbers (roubles with kopecks) so the sheet can sum them; the last row is
    the total. Text goes in as text, never as a formula (`safe_text`).
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Реестр платежей")
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for index, (_, width) in enumerate(COLUMNS):
        sheet.column_dimensions[letters[index]].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)

    def header_cell(title: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        return cell

    sheet.append([header_cell(title) for title, _ in COLUMNS])

    # Styled cells are written as soon as they are appended, so one per column is reused.
    date_cell = WriteOnlyCell(sheet)
    date_cell.number_format = DATE_FORMAT
    amount_cell = WriteOnlyCell(sheet)
    amount_cell.number_format = MONEY_FORMAT

    def styled(cell: WriteOnlyCell, value):
        cell.value = value
        return cell

    total = count = 0
    for row in rows:
        sheet.append(
            [
                styled(date_cell, row.paid_on),
                safe_text(row.order_number),
                safe_text(row.provider),
                safe_text(row.inn),
                safe_text(row.document),
                safe_text(row.month),
                styled(amount_cell, _roubles(row.amount_kopecks)),
                row.account,
                row.bik,
            ]
        )
        total += row.amount_kopecks
        count += 1
    total_cell = WriteOnlyCell(sheet, value=_roubles(total))
    total_cell.number_format = MONEY_FORMAT
    total_cell.font = bold
    sheet.append([header_cell("Итого"), f"платежей: {count}", None, None, None, None, total_cell])
    out = tempfile.TemporaryFile()  # noqa: SIM115
    book.save(out)
    out.seek(0)
    return out
