"""The production calendar by hand: public holidays, the yearly transfers, overrides.

The expected dates are those of the government's production calendars for 2026 and 2027
(Постановления Правительства РФ о переносе выходных дней) as the `holidays` package knows them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pfdo.common.calendar import LIBRARY, WorkCalendar, library_holiday_name


def d(day: int, month: int = 10, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


def test_year_14_working_days_follow_production_calendar():
    # 1–8 January 2027 are the New Year holidays and Christmas, 9–10 January a weekend:
    # Mon 11 January is the first working day, Tue 12 January the second (not Mon 4 January).
    assert LIBRARY.working_day(d(1, 1, 2027), 1) == d(11, 1, 2027)
    assert LIBRARY.working_day(d(1, 1, 2027), 2) == d(12, 1, 2027)
    # Wed 30 December 2026 + 5 working days: Thu 31 December 2026 is a day off (moved from
    # Sun 4 January), then the holidays to 10 January: 11, 12, 13, 14, 15 January —
    # Fri 15 January 2027 (not 6 January).
    assert not LIBRARY.is_working_day(d(31, 12, 2026))
    assert LIBRARY.add_working_days(d(30, 12, 2026), 5) == d(15, 1, 2027)


def test_second_working_day_of_november_2026():
    # 1 Nov 2026 is a Sunday: Mon 2 Nov is the 1st working day, Tue 3 Nov the 2nd; Wed 4 Nov
    # (Unity Day) is not the 3rd.
    assert LIBRARY.working_day(d(1, 11), 1) == d(2, 11)
    assert LIBRARY.working_day(d(1, 11), 2) == d(3, 11)
    assert LIBRARY.working_day(d(1, 11), 3) == d(5, 11)


def test_second_working_day_of_a_month_starting_on_saturday():
    # 1 May 2027 is a Saturday and a holiday, moved to Mon 3 May: Tue 4 May is the 1st
    # working day, Wed 5 May the 2nd. (Before the calendar: Mon 3 and Tue 4 May.)
    assert d(1, 5, 2027).isoweekday() == 6
    assert LIBRARY.working_day(d(1, 5, 2027), 1) == d(4, 5, 2027)
    assert LIBRARY.working_day(d(1, 5, 2027), 2) == d(5, 5, 2027)
    # Any day of the month names the month: 20 May gives the same answer.
    assert LIBRARY.working_day(d(20, 5, 2027), 2) == d(5, 5, 2027)


def test_a_saturday_worked_by_transfer_counts_and_the_last_one_caps_the_count():
    # February 2027: Sat 20 Feb is worked, Mon 22 (moved from it) and Tue 23 Feb are off:
    # 1–19 Feb (15), Sat 20 Feb (16th), 24, 25, 26 Feb (17th–19th) — 19 working days.
    assert LIBRARY.is_working_day(d(20, 2, 2027))
    assert not LIBRARY.is_working_day(d(22, 2, 2027))
    assert LIBRARY.working_day(d(1, 2, 2027), 16) == d(20, 2, 2027)
    assert LIBRARY.working_day(d(1, 2, 2027), 19) == d(26, 2, 2027)
    assert LIBRARY.working_day(d(1, 2, 2027), 25) == d(26, 2, 2027)


def test_add_working_days_skips_weekends_and_holidays():
    # Fri 2 Oct + 5 working days: Mon 5, Tue 6, Wed 7, Thu 8, Fri 9 Oct.
    assert LIBRARY.add_working_days(d(2), 5) == d(9)
    # Sat 31 Oct + 1: Sunday is skipped, Mon 2 Nov.
    assert LIBRARY.add_working_days(d(31), 1) == d(2, 11)
    # Mon 2 Nov + 2: Tue 3 Nov, then Unity Day (Wed 4 Nov) is skipped: Thu 5 Nov.
    assert LIBRARY.add_working_days(d(2, 11), 2) == d(5, 11)
    assert LIBRARY.add_working_days(d(29), 0) == d(29)


def test_an_override_wins_over_the_package():
    # A decree the package does not know yet: Fri 26 Feb 2027 off, Sat 27 Feb worked.
    calendar = WorkCalendar({d(26, 2, 2027): False, d(27, 2, 2027): True})
    assert not calendar.is_working_day(d(26, 2, 2027))
    assert calendar.is_working_day(d(27, 2, 2027))
    assert calendar.add_working_days(d(25, 2, 2027), 1) == d(27, 2, 2027)
    # And back the other way: 11 January 2027 made a working day moves the 2nd working day.
    assert WorkCalendar({d(8, 1, 2027): True}).working_day(d(1, 1, 2027), 2) == d(11, 1, 2027)
    assert LIBRARY.is_working_day(d(26, 2, 2027))  # the package's calendar is untouched


def test_holiday_names_come_in_russian():
    assert library_holiday_name(d(4, 11)) == "День народного единства"
    assert library_holiday_name(d(5, 10)) == ""


def test_a_calendar_without_working_days_is_refused_not_looped():
    everything_off = {d(1, 1, 2027) + dt.timedelta(days=i): False for i in range(800)}
    with pytest.raises(ValueError):
        WorkCalendar(everything_off).add_working_days(d(31, 12, 2026), 1)
