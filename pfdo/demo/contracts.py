"""What the demo's bulk writers need to know of a contract's rows as enrolment writes them.

Enrolment gives no public name yet to the reservation key, the contract number and the
reservation text of a contract month (they live inside enrolment's services): this module
is the demo's one place that states them, so the generated contracts match what
`services.accept` writes. When enrolment exposes them, these become re-exports.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, LPad

from pfdo.common.months import month_label
from pfdo.enrolment import services
from pfdo.enrolment.models import Contract
from pfdo.financing.models import FinancingPeriod

CHUNK = 900


def reserve_key(contract: Contract, month: dt.date) -> str:
    """The idempotency key of the reservation of `contract`'s `month`."""
    return services._reserve_key(contract, month)


def reservation_description(contract: Contract, month: dt.date) -> str:
    return f"Резерв по договору № {contract.number} за {month_label(month)}"


def number_contracts(contracts: list[Contract], period: FinancingPeriod) -> None:
    """Numbers as an offer gets them: the period's year and the id, six digits."""
    year = f"{period.starts_on:%Y}"
    for contract in contracts:
        contract.number = f"{year}-{contract.pk:06d}"
    if any(c.pk >= 10**6 for c in contracts):  # LPAD would cut a seventh digit
        Contract.objects.bulk_update(contracts, ["number"], batch_size=500)
        return
    number = Concat(Value(f"{year}-"), LPad(Cast("pk", CharField()), 6, Value("0")))
    ids = [c.pk for c in contracts]
    for start in range(0, len(ids), CHUNK):
        Contract.objects.filter(pk__in=ids[start : start + CHUNK]).update(number=number)
