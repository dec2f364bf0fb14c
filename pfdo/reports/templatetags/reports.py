"""Formatting of report cells and charts in templates."""

from __future__ import annotations

from decimal import Decimal

from django import template

from pfdo.common.money import format_kopecks
from pfdo.common.months import month_label
from pfdo.reports import charts

register = template.Library()


@register.filter
def report_cell(row: dict, column) -> str:
    """The row's value of `column`, formatted by its kind; '—' for an unknown figure."""
    value = row.get(column.key)
    if value is None:
        return "—"
    kind = column.kind
    if kind == "int":
        return f"{value:,}".replace(",", "\u00a0")
    if kind == "money":
        return format_kopecks(value)
    if kind == "percent":
        return f"{Decimal(value):.2f}".replace(".", ",") + "\u00a0%"
    if kind == "decimal":
        return f"{Decimal(value):.2f}".replace(".", ",")
    if kind == "date":
        return f"{value:%d.%m.%Y}"
    if kind == "month":
        return month_label(value)
    return str(value)


@register.filter
def report_figure(figure) -> str:
    """A headline figure formatted as a cell of its kind."""
    return report_cell({"value": figure.value}, _FigureColumn(figure.kind))


class _FigureColumn:
    key = "value"

    def __init__(self, kind: str):
        self.kind = kind


@register.simple_tag
def report_chart(table):
    return charts.render(table)
