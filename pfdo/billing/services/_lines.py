"""How the contract months of a provider's month are billed under the period's settings:
shared by invoices (the lines) and corrections (the same lines recomputed later)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from pfdo.billing import calculation as calc
from pfdo.billing.models import Attendance, Lesson
from pfdo.billing.selectors import month_slots, window_of
from pfdo.billing.services._common import LINE_CHUNK
from pfdo.common import clock
from pfdo.common.months import month_end
from pfdo.financing.models import FinancingPeriod


def _attended_minutes(provider_id: int, month: dt.date) -> dict[int, int]:
    minutes: dict[int, int] = defaultdict(int)
    rows = Attendance.objects.filter(
        contract__provider_id=provider_id,
        present=True,
        lesson__status=Lesson.Status.PLANNED,
        lesson__held_on__gte=month,
        lesson__held_on__lte=month_end(month),
    ).values_list("contract_id", "lesson__starts_at", "lesson__ends_at")
    for contract_id, starts, ends in rows.iterator(chunk_size=LINE_CHUNK):
        minutes[contract_id] += (ends.hour * 60 + ends.minute) - (starts.hour * 60 + starts.minute)
    return minutes


MONTH_ROW_FIELDS = (
    "pk",
    "contract_id",
    "certificate_kopecks",
    "reservation_id",
    "contract__group_id",
    "contract__starts_on",
    "contract__ends_on",
    "contract__status",
    "contract__ended_at",
)


def billed_rows(provider_id: int, month: dt.date, period: FinancingPeriod, rows):
    """(row, window, calc.Billed) for each contract-month row (`MONTH_ROW_FIELDS`) under the
    period's settings, as of today: lessons still ahead in the month count as planned
    attendance (December billed within December). Shared by invoices and corrections."""
    basis, rule = period.billing_basis, period.boundary_month_rule
    needs_lessons = basis == calc.BASIS_ATTENDED_HOURS or rule == calc.RULE_PRO_RATA_LESSONS
    attended = _attended_minutes(provider_id, month) if basis == calc.BASIS_ATTENDED_HOURS else {}
    today = clock.today()
    ahead = basis == calc.BASIS_ATTENDED_HOURS and today <= month_end(month)
    slots_of: dict[int, list[calc.Slot]] = {}
    for row in rows:
        _pk, contract_id, amount, _res, group_id, starts, ends, status, ended = row
        window = window_of(starts, ends, status, ended, month)
        slots = ()
        if needs_lessons:
            if group_id not in slots_of:
                slots_of[group_id] = month_slots(group_id, month)
            slots = slots_of[group_id]
        minutes = attended.get(contract_id, 0)
        if ahead and window is not None:
            minutes += sum(
                s.minutes
                for s in slots
                if not s.cancelled and s.day > today and window[0] <= s.day <= window[1]
            )
        result = calc.billed_amount(
            amount,
            basis=basis,
            rule=rule,
            month=month,
            window=window,
            lessons=slots,
            attended_minutes=minutes,
        )
        yield row, window, result
