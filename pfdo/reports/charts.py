"""Charts drawn on the server as inline SVG from a `Table` — nothing to download, nothing to
run in the browser, and nothing the Content-Security-Policy blocks (colours come from classes in
static/css/reports.css, never from `style`). The table beside each chart carries the exact
figures; the chart is there to be read at a glance, and says so to screen readers (role="img",
a title naming what it shows)."""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from pfdo.common.months import month_label
from pfdo.reports.tables import Table

WIDTH = 640
BAR_HEIGHT = 22
PLOT_HEIGHT = 220
LEFT = 56
LEFT_HBAR = 200
RIGHT = 16
TOP = 16
BOTTOM = 44
# Labels left of horizontal bars: what fits in LEFT_HBAR at the ticks' font (≈ 6.5 units a
# character); below the vertical charts, what fits the slot (a month is «сен 26»).
MAX_LABEL = 26
CHAR_WIDTH = 6.5


def _number(value) -> float:
    if value is None:
        return 0.0
    return float(value)


def _nice_max(value: float) -> float:
    """The axis end: 1, 2, 2.5 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop ends at 10


def axis_text(value: float, kind: str) -> str:
    """A tick label: percent as '25 %', money (kopecks) in roubles with 'тыс.'/'млн', counts whole."""
    if kind == "percent":
        return f"{value:g} %"
    if kind == "money":
        roubles = value / 100
        if abs(roubles) >= 1_000_000:
            return f"{roubles / 1_000_000:.1f} млн".replace(".", ",").replace(",0 ", " ")
        if abs(roubles) >= 1_000:
            return f"{roubles / 1_000:.0f} тыс."
        return f"{roubles:.0f}"
    if value >= 1000:
        return f"{value:,.0f}".replace(",", "\u00a0")
    return f"{value:g}"


def _short(text) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _label(row, table: Table) -> str:
    column = table.column(table.chart.label)
    value = row.get(column.key)
    if column.kind == "month" and value is not None:
        return short_month(value)
    return "" if value is None else str(value)


def short_month(month) -> str:
    """«сен 26»: a month under a chart's column, where «сентябрь 2026» would not fit."""
    return f"{month_label(month)[:3]} {month:%y}"


def render(table: Table) -> SafeString:
    """The table's chart as an <svg> element, or '' when it has none or nothing to draw."""
    chart = table.chart
    if chart is None or not table.rows:
        return mark_safe("")
    if chart.kind == "hbar":
        body, height = _hbar(table)
    else:
        body, height = _vertical(table)
    title = escape(f"График: {table.title}")
    legend = _legend(table)
    svg = (
        f'<svg class="report-chart chart-{chart.kind}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{title}" focusable="false" preserveAspectRatio="xMinYMin meet">'
        f"<title>{title}</title>{body}</svg>{legend}"
    )
    return mark_safe(svg)  # noqa: S308 - every text above went through escape()


def _legend(table: Table) -> str:
    chart = table.chart
    items = [
        f'<li><span class="swatch s{i}" aria-hidden="true"></span>{escape(table.column(key).label)}</li>'
        for i, key in enumerate(chart.series)
    ]
    if chart.target is not None:
        items.append(
            '<li><span class="swatch target" aria-hidden="true"></span>'
            f"{escape(chart.target_label or 'цель')}</li>"
        )
    if len(items) < 2:
        return ""
    return f'<ul class="chart-legend" aria-hidden="true">{"".join(items)}</ul>'


def _value_kind(table: Table) -> str:
    return table.column(table.chart.series[0]).kind


def _vertical(table: Table) -> tuple[str, int]:
    chart = table.chart
    kind = _value_kind(table)
    values = [_number(row.get(key)) for row in table.rows for key in chart.series]
    top = _nice_max(max([*values, _number(chart.target)]))
    bottom = min(0.0, min(values))
    span = top - bottom or 1.0
    height = TOP + PLOT_HEIGHT + BOTTOM
    plot_w = WIDTH - LEFT - RIGHT

    def y(value: float) -> float:
        return TOP + PLOT_HEIGHT * (top - value) / span

    parts = []
    for i in range(5):
        tick = bottom + span * i / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{escape(axis_text(tick, kind))}</text>"
        )
    n = len(table.rows)
    slot = plot_w / n
    labels = [_short(_label(row, table))[:14] for row in table.rows]
    widest = max(len(label) for label in labels) * CHAR_WIDTH + 4
    every = max(1, math.ceil(widest / slot))  # no label runs into the next one
    for index, label in enumerate(labels):
        x0 = LEFT + slot * index
        if index % every == 0:
            parts.append(
                f'<text class="tick" x="{x0 + slot / 2:.1f}" y="{TOP + PLOT_HEIGHT + 18}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if chart.kind == "bar":
        width = slot * 0.8 / len(chart.series)
        for index, row in enumerate(table.rows):
            for s, key in enumerate(chart.series):
                value = _number(row.get(key))
                x = LEFT + slot * index + slot * 0.1 + width * s
                y0, y1 = sorted((y(0), y(value)))
                parts.append(
                    f'<rect class="s{s}" x="{x:.1f}" y="{y0:.1f}" width="{width:.1f}" '
                    f'height="{max(y1 - y0, 0.5):.1f}"/>'
                )
    else:
        for s, key in enumerate(chart.series):
            points = [
                (LEFT + slot * i + slot / 2, y(_number(row.get(key))))
                for i, row in enumerate(table.rows)
                if row.get(key) is not None
            ]
            if points:
                path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
                parts.append(f'<polyline class="line s{s}" points="{path}"/>')
                parts.extend(
                    f'<circle class="s{s}" cx="{px:.1f}" cy="{py:.1f}" r="3"/>' for px, py in points
                )
    if chart.target is not None:
        ty = y(_number(chart.target))
        parts.append(
            f'<line class="target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}"/>'
            f'<text class="target-label" x="{WIDTH - RIGHT}" y="{ty - 4:.1f}" text-anchor="end">'
            f"{escape(chart.target_label or axis_text(_number(chart.target), kind))}</text>"
        )
    parts.append(
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>'
    )
    return "".join(parts), height


def _hbar(table: Table) -> tuple[str, int]:
    chart = table.chart
    kind = _value_kind(table)
    key = chart.series[0]
    values = [_number(row.get(key)) for row in table.rows]
    top = _nice_max(max([*values, _number(chart.target)]))
    plot_w = WIDTH - LEFT_HBAR - RIGHT - 48
    height = TOP + BAR_HEIGHT * len(table.rows) + 24

    def x(value: float) -> float:
        return LEFT_HBAR + plot_w * max(value, 0) / top

    parts = []
    for index, row in enumerate(table.rows):
        y0 = TOP + BAR_HEIGHT * index
        value = row.get(key)
        parts.append(
            f'<text class="tick" x="{LEFT_HBAR - 6}" y="{y0 + 15}" text-anchor="end">'
            f"{escape(_short(_label(row, table)))}</text>"
            f'<rect class="s0" x="{LEFT_HBAR}" y="{y0 + 3}" width="{max(x(_number(value)) - LEFT_HBAR, 0.5):.1f}" '
            f'height="{BAR_HEIGHT - 6}"/>'
            f'<text class="value" x="{x(_number(value)) + 4:.1f}" y="{y0 + 15}">'
            f"{escape('—' if value is None else axis_text(_number(value), kind))}</text>"
        )
    if chart.target is not None:
        tx = x(_number(chart.target))
        bottom = TOP + BAR_HEIGHT * len(table.rows)
        parts.append(
            f'<line class="target" x1="{tx:.1f}" x2="{tx:.1f}" y1="{TOP - 4}" y2="{bottom + 4}"/>'
            f'<text class="target-label" x="{tx:.1f}" y="{bottom + 18}" text-anchor="middle">'
            f"{escape(chart.target_label or axis_text(_number(chart.target), kind))}</text>"
        )
    return "".join(parts), height
