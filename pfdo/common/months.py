"""Calendar months: the one home of month arithmetic, parsing and labels, and their fields.

A month is represented by the `datetime.date` of its first day everywhere in the code, in
storage (`month` columns), in services and in URLs/API as the text `YYYY-MM`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterator

# Years 2000–2099: what a financing period can cover, and nothing a date cannot hold.
MONTH_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"
MONTH_MESSAGE = "Месяц указывается как ГГГГ-ММ, например 2026-10."
MONTH_SCHEMA = {"type": "string", "pattern": MONTH_PATTERN, "example": "2026-10"}

MONTHS_RU = [
    "январь", "февраль", "март", "апрель", "май", "июнь",
    "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь",
]  # fmt: skip


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def days_in_month(month: dt.date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months after (before, if negative) `month`'s."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def iter_months(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """First days of every month from `start`'s to `end`'s, both included."""
    cur, last = month_start(start), month_start(end)
    while cur <= last:
        yield cur
        cur = next_month(cur)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return list(iter_months(start, end))


def months_touched(start: dt.date, end: dt.date) -> int:
    """Calendar months from the month of `start` to the month of `end`, both included."""
    if end < start:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def month_label(month: dt.date) -> str:
    """«сентябрь 2026»."""
    return f"{MONTHS_RU[month.month - 1]} {month.year}"


def format_month(month: dt.date) -> str:
    """The `YYYY-MM` text of a month, as URLs, forms and the API carry it."""
    return f"{month:%Y-%m}"


def parse_month(text: str | None) -> dt.date | None:
    """'YYYY-MM' (2000–2099) → the first day of the month; None if it is not one."""
    text = (text or "").strip()
    if not re.fullmatch(MONTH_PATTERN, text):
        return None
    return dt.date(int(text[:4]), int(text[5:7]), 1)


def parse_month_or_raise(text: str | None, *, field: str = "month") -> dt.date:
    """Like `parse_month`, but a wrong text is a `ValidationFailed` on `field`."""
    from pfdo.common.errors import ValidationFailed

    month = parse_month(text)
    if month is None:
        raise ValidationFailed(MONTH_MESSAGE, fields={field: "Месяц в формате ГГГГ-ММ."})
    return month
