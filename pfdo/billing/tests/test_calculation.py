"""Billing arithmetic by hand: lesson dates, what a month is billed, settlement."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pfdo.billing import calculation as calc
from pfdo.billing.calculation import Slot
from pfdo.common import months

OCT = dt.date(2026, 10, 1)
MONTH = 200_000  # one month of a 1 800 000 kopeck, nine-month contract


def d(day: int, month: int = 10, year: int = 2026) -> dt.date:
    return dt.date(year, month, day)


# Working days are the production calendar's: pfdo/common/tests/test_calendar.py.


def test_month_helpers():
    assert months.month_end(d(15, 2, 2028)) == d(29, 2, 2028)  # leap year
    assert months.next_month(d(1, 12)) == d(1, 1, 2027)
    assert months.previous_month(d(1, 1, 2027)) == d(1, 12)


# --------------------------------------------------------------------------- lessons


def test_schedule_dates_odd_even_and_every_week():
    # October 2026: Tuesdays 6 (ISO week 41, odd), 13 (42, even), 20 (43, odd), 27 (44, even);
    # Thursdays 1, 8, 15, 22, 29.
    entries = [(2, calc.ODD), (2, calc.EVEN), (4, "every")]
    got = calc.schedule_dates(entries, d(1), d(31))
    odd = [day for day, index in got if index == 0]
    even = [day for day, index in got if index == 1]
    thursdays = [day for day, index in got if index == 2]
    assert odd == [d(6), d(20)]
    assert even == [d(13), d(27)]
    assert thursdays == [d(1), d(8), d(15), d(22), d(29)]
    assert [day for day, _ in got] == sorted(day for day, _ in got)


def test_schedule_dates_clip_to_the_window():
    # Odd Tuesdays from 7 Oct: only the 20th (the 6th is before the window).
    assert calc.schedule_dates([(2, calc.ODD)], d(7), d(31)) == [(d(20), 0)]
    assert calc.schedule_dates([(2, "every")], d(21), d(26)) == []


def test_week_parity_follows_the_iso_week_number():
    # ISO 2026 has 53 weeks: Tue 29 Dec 2026 is week 53 and Tue 5 Jan 2027 week 1, both odd,
    # so an odd-week lesson happens two weeks running at the turn of the year.
    assert calc.week_parity(d(29, 12)) == calc.ODD
    assert calc.week_parity(d(5, 1, 2027)) == calc.ODD
    got = calc.schedule_dates([(2, calc.ODD)], d(22, 12), d(12, 1, 2027))
    assert [day for day, _ in got] == [d(29, 12), d(5, 1, 2027)]


# ---------------------------------------------------------------------------- billing


def billed(planned=MONTH, *, basis=calc.BASIS_CONTRACT_MONTHS, rule, window, **kw):
    return calc.billed_amount(planned, basis=basis, rule=rule, month=OCT, window=window, **kw)


def tuesdays(cancelled=()):
    return [Slot(day, 90, day in cancelled) for day in (d(6), d(13), d(20), d(27))]


@pytest.mark.parametrize(
    "rule", [calc.RULE_FULL, calc.RULE_PRO_RATA_DAYS, calc.RULE_PRO_RATA_LESSONS]
)
def test_a_whole_month_is_billed_in_full_under_every_rule(rule):
    result = billed(rule=rule, window=(d(1), d(31)), lessons=tuesdays())
    assert result.amount_kopecks == MONTH
    assert result.note == "полный месяц"


def test_full_rule_bills_a_partial_month_in_full():
    assert billed(rule=calc.RULE_FULL, window=(d(15), d(31))).amount_kopecks == MONTH


def test_pro_rata_by_days_contract_from_15_october():
    # 15–31 October = 17 of 31 days: 200 000 × 17 // 31 = 3 400 000 // 31 = 109 677
    # (31 × 109 677 = 3 399 987, the 13 kopecks left stay on the certificate).
    result = billed(rule=calc.RULE_PRO_RATA_DAYS, window=(d(15), d(31)))
    assert result.amount_kopecks == 109_677
    assert result.note == "17 из 31 дн."


def test_pro_rata_by_days_contract_ending_9_october():
    # 1–9 October = 9 of 31 days: 200 000 × 9 // 31 = 1 800 000 // 31 = 58 064.
    assert billed(rule=calc.RULE_PRO_RATA_DAYS, window=(d(1), d(9))).amount_kopecks == 58_064


def test_pro_rata_by_lessons_counts_held_lessons_where_they_are_held():
    # Tuesdays 6, 13, 20, 27; the 13th moved to Fri 16th, the 27th cancelled.
    # Held: 6, 16, 20 = 3 lessons; in the window 15–31: 16 and 20 = 2.
    # 200 000 × 2 // 3 = 133 333.
    lessons = [
        Slot(d(6), 90),
        Slot(d(16), 90),  # moved from the 13th: counted on the 16th, inside the window
        Slot(d(20), 90),
        Slot(d(27), 90, cancelled=True),
    ]
    result = billed(rule=calc.RULE_PRO_RATA_LESSONS, window=(d(15), d(31)), lessons=lessons)
    assert result.amount_kopecks == 133_333
    assert result.note == "2 из 3 занятий по расписанию"


def test_pro_rata_by_lessons_without_changes():
    # 20 and 27 of 6, 13, 20, 27: 200 000 × 2 // 4 = 100 000.
    result = billed(rule=calc.RULE_PRO_RATA_LESSONS, window=(d(15), d(31)), lessons=tuesdays())
    assert result.amount_kopecks == 100_000


def test_pro_rata_by_lessons_without_lessons_falls_back_to_days():
    # Every lesson cancelled: 17 of 31 days as with the days rule = 109 677.
    lessons = tuesdays(cancelled=(d(6), d(13), d(20), d(27)))
    result = billed(rule=calc.RULE_PRO_RATA_LESSONS, window=(d(15), d(31)), lessons=lessons)
    assert result.amount_kopecks == 109_677


def test_attended_hours_attended_over_scheduled_minutes():
    # 4 lessons × 90 min = 360 scheduled; 3 attended = 270: 200 000 × 270 // 360 = 150 000.
    result = billed(
        basis=calc.BASIS_ATTENDED_HOURS,
        rule=calc.RULE_FULL,
        window=(d(1), d(31)),
        lessons=tuesdays(),
        attended_minutes=270,
    )
    assert result.amount_kopecks == 150_000
    assert result.note == "посещено 4,5 из 6 ч"


def test_attended_hours_cancelled_lessons_are_not_scheduled_and_round_down():
    # The 27th cancelled: 3 × 90 = 270 scheduled; 1 attended: 200 000 × 90 // 270 = 66 666.
    result = billed(
        basis=calc.BASIS_ATTENDED_HOURS,
        rule=calc.RULE_FULL,
        window=(d(1), d(31)),
        lessons=tuesdays(cancelled=(d(27),)),
        attended_minutes=90,
    )
    assert result.amount_kopecks == 66_666


def test_attended_hours_capped_at_the_month_and_zero_without_lessons():
    kw = {"basis": calc.BASIS_ATTENDED_HOURS, "rule": calc.RULE_FULL, "window": (d(1), d(31))}
    assert billed(lessons=tuesdays(), attended_minutes=999, **kw).amount_kopecks == MONTH
    assert billed(lessons=(), attended_minutes=90, **kw).amount_kopecks == 0


def test_no_window_bills_nothing():
    assert billed(rule=calc.RULE_FULL, window=None).amount_kopecks == 0
    assert billed(0, rule=calc.RULE_FULL, window=(d(1), d(31))).amount_kopecks == 0


# --------------------------------------------------------------------------- advance


def test_advance_share():
    # 80 % of 200 000 = 160 000.
    assert calc.advance_amount(200_000, 80) == 160_000
    # 33 % of 109 677 = 36 193,41 → 36 193 (rounded down).
    assert calc.advance_amount(109_677, 33) == 36_193
    assert calc.advance_amount(109_677, 0) == 0
    assert calc.advance_amount(109_677, 100) == 109_677


# --------------------------------------------------------------------------- settle


def test_settle_normal_month():
    # 200 000 billed − 160 000 advance = 40 000 due.
    s = calc.settle(billed_kopecks=200_000, advance_kopecks=160_000, carry_in_kopecks=0)
    assert s == calc.Settlement(offset_kopecks=160_000, due_kopecks=40_000, carry_out_kopecks=0)


def test_settle_advance_bigger_than_billed_carries_out():
    # 58 064 billed against 160 000 paid in advance: nothing due, 101 936 carried out.
    s = calc.settle(billed_kopecks=58_064, advance_kopecks=160_000, carry_in_kopecks=0)
    assert s == calc.Settlement(58_064, 0, 160_000 - 58_064)
    assert s.carry_out_kopecks == 101_936


def test_settle_carry_consumed_next_month():
    # Next month: 200 000 billed, no advance, 101 936 carried in → 98 064 due.
    s = calc.settle(billed_kopecks=200_000, advance_kopecks=0, carry_in_kopecks=101_936)
    assert s == calc.Settlement(101_936, 98_064, 0)


def test_settle_carry_bigger_than_the_next_month_carries_on():
    # 50 000 billed, 40 000 advance + 101 936 carried in = 141 936 → 91 936 carried on.
    s = calc.settle(billed_kopecks=50_000, advance_kopecks=40_000, carry_in_kopecks=101_936)
    assert s == calc.Settlement(50_000, 0, 91_936)


@given(
    billed_kopecks=st.integers(0, 10**12),
    advance_kopecks=st.integers(0, 10**12),
    carry_in_kopecks=st.integers(0, 10**12),
)
def test_settle_always_balances(billed_kopecks, advance_kopecks, carry_in_kopecks):
    s = calc.settle(
        billed_kopecks=billed_kopecks,
        advance_kopecks=advance_kopecks,
        carry_in_kopecks=carry_in_kopecks,
    )
    assert s.offset_kopecks + s.due_kopecks == billed_kopecks
    assert s.carry_out_kopecks == advance_kopecks + carry_in_kopecks - s.offset_kopecks
    assert min(s.offset_kopecks, s.due_kopecks, s.carry_out_kopecks) >= 0
    # Never both owed and overpaid.
    assert s.due_kopecks == 0 or s.carry_out_kopecks == 0
