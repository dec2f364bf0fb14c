"""Pure arithmetic of billing: lesson dates, what a contract month is billed.

Working days are the production calendar's (pfdo.common.calendar.WorkCalendar, built once per
use case with the region's overrides by financing.selectors.work_calendar).

No database here, so every setting of domain.md §6 can be checked by hand-computed examples.
Amounts are integer kopecks; every division rounds down, and what is not billed stays on the
certificate (the reservation is posted for less and the rest returns).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from pfdo.common.months import month_end, month_start

BASIS_CONTRACT_MONTHS = "contract_months"
BASIS_ATTENDED_HOURS = "attended_hours"
RULE_FULL = "full"
RULE_PRO_RATA_DAYS = "pro_rata_days"
RULE_PRO_RATA_LESSONS = "pro_rata_lessons"

ODD, EVEN = "odd", "even"


# ---------------------------------------------------------------------------- lessons


@dataclass(frozen=True, slots=True)
class Slot:
    """A lesson as billing sees it: when it is held, how long, whether it was cancelled."""

    day: dt.date
    minutes: int
    cancelled: bool = False
    lesson_id: int | None = None


def week_parity(day: dt.date) -> str:
    return ODD if day.isocalendar().week % 2 else EVEN


def schedule_dates(
    entries: Iterable[tuple[int, str]],
    first: dt.date,
    last: dt.date,
) -> list[tuple[dt.date, int]]:
    """(date, entry index) of every lesson the weekly schedule puts between first and last.

    `entries` are (ISO weekday, parity) pairs; parity is 'every', 'odd' or 'even' by the
    ISO week number.
    """
    entries = list(entries)
    out = []
    day = first
    while day <= last:
        for index, (weekday, parity) in enumerate(entries):
            if day.isoweekday() == weekday and parity in ("every", week_parity(day)):
                out.append((day, index))
        day += dt.timedelta(days=1)
    return out


# ---------------------------------------------------------------------------- billing


@dataclass(frozen=True, slots=True)
class Billed:
    amount_kopecks: int
    note: str


def _hours(minutes: int) -> str:
    whole, rest = divmod(minutes, 60)
    return f"{whole}" if not rest else f"{whole},{rest * 100 // 60:02d}".rstrip("0")


def billed_amount(
    planned_kopecks: int,
    *,
    basis: str,
    rule: str,
    month: dt.date,
    window: tuple[dt.date, dt.date] | None,
    lessons: Iterable[Slot] = (),
    attended_minutes: int = 0,
) -> Billed:
    """What the certificate pays for one contract month under the period's settings.

    `window` is the part of the month the contract was in force (None: not at all).
    Attended hours: planned × attended / scheduled minutes of the month's lessons (capped at
    the planned amount). Contract months: the whole month, or pro rata by calendar days or by
    scheduled lessons in the window; a month without any lessons falls back to days.
    """
    if window is None or planned_kopecks <= 0:
        return Billed(0, "договор не действовал в месяце")
    held = [s for s in lessons if not s.cancelled]
    if basis == BASIS_ATTENDED_HOURS:
        scheduled = sum(s.minutes for s in held)
        if scheduled <= 0:
            return Billed(0, "занятий в месяце не было")
        attended = max(min(attended_minutes, scheduled), 0)
        return Billed(
            planned_kopecks * attended // scheduled,
            f"посещено {_hours(attended)} из {_hours(scheduled)} ч",
        )
    start, end = window
    days_in_month = month_end(month).day
    full_month = start == month_start(month) and end == month_end(month)
    if rule == RULE_FULL or full_month:
        return Billed(planned_kopecks, "полный месяц")
    if rule == RULE_PRO_RATA_LESSONS and held:
        inside = sum(1 for s in held if start <= s.day <= end)
        return Billed(
            planned_kopecks * inside // len(held), f"{inside} из {len(held)} занятий по расписанию"
        )
    days = (end - start).days + 1
    return Billed(planned_kopecks * days // days_in_month, f"{days} из {days_in_month} дн.")


def advance_amount(base_kopecks: int, share_percent: int) -> int:
    return base_kopecks * share_percent // 100


@dataclass(frozen=True, slots=True)
class Settlement:
    """How an invoice's billed amount meets what was paid in advance."""

    offset_kopecks: int
    due_kopecks: int
    carry_out_kopecks: int


def settle(*, billed_kopecks: int, advance_kopecks: int, carry_in_kopecks: int) -> Settlement:
    """billed − advance − earlier overpayment; a negative result is carried to next month."""
    offset = min(billed_kopecks, advance_kopecks + carry_in_kopecks)
    return Settlement(
        offset_kopecks=offset,
        due_kopecks=billed_kopecks - offset,
        carry_out_kopecks=advance_kopecks + carry_in_kopecks - offset,
    )
