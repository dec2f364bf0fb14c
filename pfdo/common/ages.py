"""Russian plurals and ages in years: the one implementation pages, notices and exports use."""

from __future__ import annotations


def plural(n: int, one: str, few: str, many: str) -> str:
    """The form of a word that goes with the number `n`: 1 программа, 2 программы, 5 программ."""
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return few
    return many


def years_word(n: int) -> str:
    return plural(n, "год", "года", "лет")


def age_range_years(from_months: int | None, to_months: int | None) -> str:
    """An age band kept in months, in years: (84, 168) → '7–14 лет', (60, 216) → '5–18 лет';
    open ends read 'от 7 лет' / 'до 14 лет'."""
    low = None if from_months is None else from_months // 12
    high = None if to_months is None else to_months // 12
    if low is None and high is None:
        return "любой возраст"
    if high is None:
        return f"от {low} {years_word(low)}"
    if low is None:
        return f"до {high} {years_word(high)}"
    if low == high:
        return f"{low} {years_word(low)}"
    return f"{low}–{high} {years_word(high)}"
