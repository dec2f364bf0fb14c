"""The Russian production calendar: which days are working days.

Public holidays and the government's yearly transfers (a Saturday worked, a holiday moved to a
Monday, the days off between New Year and Christmas) come from the `holidays` package, whose
Russia calendar ships inside the package: nothing is fetched at run time. The package is
updated when a new year's decree is published; until then, or for a regional day off, the
region's officials record overrides (financing.CalendarDay), and an override wins over the
package.

`WorkCalendar` is pure: it is built once per use case (or per month run) with the overrides
loaded in one query (`financing.selectors.work_calendar`), and then answers without the
database, so counting working days over 150,000 contracts costs no queries.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping

import holidays

from pfdo.common.months import month_end, month_start

_DAY = dt.timedelta(days=1)
# A payment term longer than this many days without a single working day is a broken
# calendar (an override marking a whole year off), not a term: refuse rather than loop.
_SEARCH_LIMIT = 400


@functools.cache
def _library_year(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(holidays, weekend days worked) of `year` by the package's Russia calendar.

    The neighbouring years are loaded too: a transfer may move a day across New Year.
    """
    calendar = holidays.country_holidays("RU", years=range(year - 1, year + 2))
    days_off = frozenset(d for d in calendar if d.year == year)
    worked = frozenset(d for d in calendar.weekend_workdays if d.year == year)
    return days_off, worked


def library_is_working_day(day: dt.date) -> bool:
    """Whether the package's calendar (without any override) has `day` as a working day."""
    days_off, worked = _library_year(day.year)
    if day.isoweekday() >= 6:
        return day in worked
    return day not in days_off


@functools.cache
def _names(year: int) -> dict[dt.date, str]:
    calendar = holidays.country_holidays("RU", years=year, language="ru")
    return {day: name for day, name in calendar.items() if day.year == year}


def library_holiday_name(day: dt.date) -> str:
    """The package's Russian name of the holiday on `day` ("" on an ordinary day)."""
    return _names(day.year).get(day, "")


def library_days(year: int) -> list[tuple[dt.date, bool, str]]:
    """(date, is working, what) of every exception the package knows in `year`: the public
    holidays and days off moved onto weekdays, and the weekend days worked instead."""
    _, worked = _library_year(year)
    days = [(day, False, name) for day, name in _names(year).items() if day.isoweekday() <= 5]
    days += [(day, True, "рабочий день (перенос выходного)") for day in worked]
    return sorted(days)


class WorkCalendar:
    """Working days by the production calendar, with overrides {date: is working} on top."""

    __slots__ = ("_overrides",)

    def __init__(self, overrides: Mapping[dt.date, bool] | None = None):
        self._overrides = dict(overrides or {})

    def is_working_day(self, day: dt.date) -> bool:
        override = self._overrides.get(day)
        if override is not None:
            return override
        return library_is_working_day(day)

    def working_day(self, month: dt.date, n: int) -> dt.date:
        """The n-th working day of the month (the last one if the month has fewer)."""
        day, seen, last = month_start(month), 0, None
        end = month_end(month)
        while day <= end:
            if self.is_working_day(day):
                seen += 1
                last = day
                if seen == n:
                    return day
            day += _DAY
        return last or month_start(month)

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The working day `n` working days after `day` (payment terms); `day` itself if n=0."""
        idle = 0
        while n > 0:
            day += _DAY
            if self.is_working_day(day):
                n -= 1
                idle = 0
            else:
                idle += 1
                if idle > _SEARCH_LIMIT:
                    raise ValueError(f"no working day in {_SEARCH_LIMIT} days after {day}")
        return day


# The package's calendar alone: for arithmetic that has no region (and for tests).
LIBRARY = WorkCalendar()
