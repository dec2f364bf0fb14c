"""What the demo's bulk writers need to know of a contract's rows as enrolment writes them.

The key, the number and the reservation text come from enrolment's services, so the
generated contracts match what `services.accept` writes; the set-wise numbering below is
the same `contract_number` written as one SQL expression for thousands of rows.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, LPad

from pfdo.enrolment import services
from pfdo.enrolment.models import Contract
from pfdo.financing.models import FinancingPeriod

CHUNK = 900


def reserve_key(contract: Contract, month: dt.date) -> str:
    """The idempotency key of the reservation of `contract`'s `month`."""
    return services.reserve_key(contract.pk, month)


def reservation_description(contract: Contract, month: dt.date) -> str:
    return services.reservation_description(contract.number, month)


def number_contracts(contracts: list[Contract], period: FinancingPeriod) -> None:
    """Numbers as an offer gets them: the period's year and the id, six digits."""
    year = f"{period.starts_on:%Y}"
    for contract in contracts:
        contract.number = services.contract_number(period.starts_on, contract.pk)
    if any(c.pk >= 10**6 for c in contracts):  # LPAD would cut a seventh digit
        Contract.objects.bulk_update(contracts, ["number"], batch_size=500)
        return
    number = Concat(Value(f"{year}-"), LPad(Cast("pk", CharField()), 6, Value("0")))
    ids = [c.pk for c in contracts]
    for start in range(0, len(ids), CHUNK):
        Contract.objects.filter(pk__in=ids[start : start + CHUNK]).update(number=number)
