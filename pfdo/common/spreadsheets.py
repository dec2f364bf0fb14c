"""Text for spreadsheet cells: nothing an export writes may be read back as a formula.

A cell starting with = + - @ (or a tab or carriage return, which some spreadsheets skip before
reading the rest) is a formula to Excel and LibreOffice when the file is opened or re-saved:
`=cmd|' /C calc'!A0` in a programme name or a termination reason would run on the
accountant's computer. Every export (CSV and XLSX) passes each text cell through `safe_text`,
which puts an apostrophe in front of such text — the spreadsheet's own sign for "this is text",
and it stays in the value, so the cell remains inert when the XLSX is saved again as CSV.
"""

from __future__ import annotations

FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str | None) -> str | None:
    """`value`, with an apostrophe in front when it would start a formula."""
    if value and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value
