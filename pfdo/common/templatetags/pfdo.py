"""Template filters: money in kopecks shown as roubles."""

from django import template

from pfdo.common.money import format_kopecks

register = template.Library()


@register.filter
def money(kopecks):
    """{{ amount_kopecks|money }} → '1 234,56 ₽'."""
    if kopecks is None or kopecks == "":
        return "—"
    return format_kopecks(int(kopecks))
