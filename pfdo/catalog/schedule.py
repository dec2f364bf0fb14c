"""When two lessons clash: pure arithmetic over weekdays, week parity, times and dates.

The one statement of the rule, used by the room check of the catalogue, the child's
schedule check of enrolment and the demo's generator alike.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

EVERY = "every"


class LessonLike(Protocol):
    weekday: int
    parity: str
    starts_at: dt.time
    ends_at: dt.time


def parities_meet(a: str, b: str) -> bool:
    """Odd and even weeks never meet; every week meets both."""
    return EVERY in (a, b) or a == b


def lessons_overlap(a: LessonLike, b: LessonLike) -> bool:
    """Same weekday, weeks that can coincide, overlapping times (touching ends do not clash)."""
    return (
        a.weekday == b.weekday
        and parities_meet(a.parity, b.parity)
        and a.starts_at < b.ends_at
        and b.starts_at < a.ends_at
    )


def dates_overlap(
    a_start: dt.date | None, a_end: dt.date | None, b_start: dt.date | None, b_end: dt.date | None
) -> bool:
    """Two date ranges share a day; an open end (None) reaches forever."""
    if a_end is not None and b_start is not None and b_start > a_end:
        return False
    return not (b_end is not None and a_start is not None and a_start > b_end)
