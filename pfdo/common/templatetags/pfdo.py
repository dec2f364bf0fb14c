"""Template filters: money in kopecks shown as roubles, Russian plurals (ratings too), ages in
years."""

from django import template

from pfdo.common import ages
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
    return f"{count} {ages.plural(count, 'оценка', 'оценки', 'оценок')}"


@register.filter
def plural_ru(n, forms: str) -> str:
    """{{ 2|plural_ru:"программа,программы,программ" }} → 'программы'."""
    one, few, many = forms.split(",")
    return ages.plural(int(n or 0), one, few, many)


@register.simple_tag
def age_years(from_months, to_months) -> str:
    """{% age_years c.age_from_months c.age_to_months %} → '5–18 лет'."""
    return ages.age_range_years(from_months, to_months)
