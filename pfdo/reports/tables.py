"""A report table: what a page renders (with its chart), the API returns as JSON and the XLSX
export writes — one description, so the three never disagree.

Values stay raw in rows: counts as int, money as integer kopecks, shares as `Decimal` percent
(25.00 = 25 %), other fractional figures (an average rating) as `Decimal` of kind "decimal",
dates and months as `datetime.date`. Formatting belongs to the page and to the
spreadsheet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

KINDS = ("text", "int", "money", "percent", "date", "month", "decimal")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class Chart:
    """How to draw a table: `kind` bar (vertical, one group per row), hbar (horizontal bars,
    for rankings and long labels) or line (month by month); `label` is the column that names a
    row, `series` the numeric columns drawn; `target` a horizontal (or vertical, for hbar)
    reference line in the series' unit, e.g. 25 for a 25 % target."""

    kind: str
    label: str
    series: tuple[str, ...]
    target: Decimal | int | None = None
    target_label: str = ""

    def __post_init__(self):
        if self.kind not in ("bar", "hbar", "line"):
            raise ValueError(f"unknown chart kind {self.kind!r}")


@dataclass(frozen=True)
class Figure:
    """A headline number a page shows large above a table (e.g. today's coverage against its
    target). The same figure is also a row of the table, so the API and the XLSX hold it."""

    label: str
    value: object
    kind: str = "int"
    note: str = ""
    status: str = ""  # "met", "missed" or "" — colours the note on the page


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    chart: Chart | None = None
    note: str = ""
    figures: list[Figure] = field(default_factory=list)

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def as_json(self) -> dict:
        """The table for the API: columns with kinds, rows with JSON-safe raw values (money in
        kopecks as integers, percents as strings with two decimals, dates ISO)."""
        return {
            "key": self.key,
            "title": self.title,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [
                {c.key: json_value(row.get(c.key), c.kind) for c in self.columns}
                for row in self.rows
            ],
            "note": self.note,
        }


def json_value(value, kind: str):
    if value is None:
        return None
    if kind in ("percent", "decimal"):
        return f"{Decimal(value):.2f}"
    if kind == "month" and isinstance(value, dt.date):
        return f"{value:%Y-%m}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` in percent with two decimals, half up; None when `whole` is 0 (a share
    of nothing is unknown, not zero)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
