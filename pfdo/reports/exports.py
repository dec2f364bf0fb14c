"""Report tables as XLSX: one sheet per table, a header row, raw values with number formats —
money in roubles (from kopecks, exact), shares as percentages, dates as dates — so the
accountant's spreadsheet can sum and chart them. Text goes through `safe_text`."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from django.http import Http404, HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font

from pfdo.common.spreadsheets import safe_text
from pfdo.reports.tables import Table

FORMATS = {
    "int": "#,##0",
    "money": "#,##0.00",
    "percent": "0.00%",
    "date": "DD.MM.YYYY",
    "month": "MM.YYYY",
    "decimal": "0.00",
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell_value(value, kind: str):
    """What a cell holds for a raw table value of `kind`."""
    if value is None:
        return None
    if kind == "money":
        return Decimal(value) / 100
    if kind == "percent":
        return Decimal(value) / 100
    if kind in ("int", "date", "month", "decimal"):
        return value
    return safe_text(str(value))


def _sheet_title(title: str, used: set[str]) -> str:
    # Excel: at most 31 characters, none of []:*?/\ ; unique in the book.
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Лист"
    name, n = base, 2
    while name in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


def tables_xlsx(tables: list[Table], *, heading: str = "") -> bytes:
    """The workbook bytes: a sheet per table; `heading` (the municipality and the filters) goes
    above each table so a printed sheet says what it counts."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        row = 1
        for line in filter(None, [table.title, heading, table.note]):
            sheet.cell(row=row, column=1, value=safe_text(line))
            row += 1
        row += 1 if row > 1 else 0
        for index, column in enumerate(table.columns, start=1):
            cell = sheet.cell(row=row, column=index, value=safe_text(column.label))
            cell.font = bold
            sheet.column_dimensions[cell.column_letter].width = max(
                12, min(48, len(column.label) + 4)
            )
        sheet.freeze_panes = sheet.cell(row=row + 1, column=1)
        for record in table.rows:
            row += 1
            for index, column in enumerate(table.columns, start=1):
                cell = sheet.cell(
                    row=row, column=index, value=cell_value(record.get(column.key), column.kind)
                )
                if column.kind in FORMATS:
                    cell.number_format = FORMATS[column.kind]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(tables: list[Table], *, only: str | None, heading: str, stem: str):
    """The workbook of `tables` — or of the one keyed `only` (404 if there is none) — as a
    download named `<stem>[-<only>].xlsx`: every report page exports this way."""
    if only:
        tables = [table for table in tables if table.key == only]
        if not tables:
            raise Http404("Нет такой таблицы.")
    response = HttpResponse(tables_xlsx(tables, heading=heading), content_type=XLSX_TYPE)
    name = f"{stem}{'-' + only if only else ''}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
