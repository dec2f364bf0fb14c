"""Who the demo's people are: names, patronymics, surnames, ages, СНИЛС, and their moments."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from pfdo.certificates.validators import snils_check_digits
from pfdo.demo import literals

_PEOPLE = literals.load("people")

BOYS: list[str] = _PEOPLE["boys"]
GIRLS: list[str] = _PEOPLE["girls"]
MOTHERS: list[str] = _PEOPLE["mothers"]
# A father's name and the patronymics it gives a son and a daughter.
FATHERS: list[tuple[str, str, str]] = [
    (f["name"], f["son"], f["daughter"]) for f in _PEOPLE["fathers"]
]
# Male forms; the female form is derived (Иванов → Иванова, Вишневский → Вишневская).
SURNAMES: list[str] = _PEOPLE["surnames"]
# Relative number of children of each age, 5 to 17 (more in primary school).
AGE_WEIGHTS: dict[int, int] = {int(age): w for age, w in _PEOPLE["age_weights"].items()}


def female_surname(male: str) -> str:
    if male.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return male + "а"
    if male.endswith("ий"):
        return male[:-2] + "ая"
    return male  # Шевченко, Ковальчук


def snils(body: int) -> str:
    """The 11 digits of a valid СНИЛС with this 9-digit body (the certificates' own check)."""
    digits = f"{body:09d}"
    return digits + snils_check_digits(digits)


def moment(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """That local time of that day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
