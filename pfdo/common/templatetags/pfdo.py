"""Template filters: money in kopecks shown as roubles, counts of ratings in Russian."""

from django import template

from pfdo.common.money import format_kopecks

register = template.Library()


@register.filter
def money(kopecks):
    """{{ amount_kopecks|money }} → '1 234,56 ₽'."""
    if kopecks is None or kopecks == "":
        return "—"
    return format_kopecks(int(kopecks))


@register.filter
def ratings_count(count):
    """{{ 1|ratings_count }} → '1 оценка', 3 → '3 оценки', 12 → '12 оценок'."""
    count = int(count or 0)
    if count % 10 == 1 and count % 100 != 11:
        word = "оценка"
    elif count % 10 in (2, 3, 4) and count % 100 not in (12, 13, 14):
        word = "оценки"
    else:
        word = "оценок"
    return f"{count} {word}"
