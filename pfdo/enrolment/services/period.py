"""At a period close: a contract whose group goes on continues against the next period."""

from __future__ import annotations

import datetime as dt

from pfdo.audit import services as audit
from pfdo.certificates import selectors as certificate_selectors
from pfdo.certificates.models import Certificate
from pfdo.common.money import format_kopecks
from pfdo.common.months import months_between
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment.models import Contract, ContractMonth
from pfdo.enrolment.services._common import _contract_link, _lock_contract, _notify_parent
from pfdo.enrolment.services.offers import _reserve
from pfdo.enrolment.services.preconditions import _split
from pfdo.financing import services as financing
from pfdo.financing.models import FinancingPeriod


@atomic_retry
def continue_contract(*, actor, contract_id: int, period: FinancingPeriod) -> bool:
    """At a period close: a contract whose group goes on continues in `period` (the next one).

    Its remaining months in that period are priced like a new contract (price and normative
    cost by months, certificate part up to the available balance of the next period's
    nominal, the rest a co-payment) and reserved there. False if there is nothing to continue.
    """
    certificate, contract = _lock_contract(contract_id)
    group = contract.group
    if (
        contract.status != Contract.Status.ACTIVE
        or contract.ends_on >= period.starts_on
        or group.ends_on is None
        or group.ends_on <= contract.ends_on
        or certificate.status != Certificate.Status.ACTIVE
    ):
        return False
    start = max(period.starts_on, contract.ends_on + dt.timedelta(days=1))
    end = min(group.ends_on, period.ends_on)
    if end < start:
        return False
    months = months_between(start, end)
    budget = contract.funding == Contract.Funding.BUDGET
    split = _split(
        group,
        len(months),
        budget=budget,
        available_kopecks=(
            0 if budget else certificate_selectors.balance(certificate, period).available_kopecks
        ),
    )
    price, normative = split.price_kopecks, split.normative_kopecks
    part, copay = split.certificate_kopecks, split.copay_kopecks
    rows = ContractMonth.objects.bulk_create(
        [
            ContractMonth(contract=contract, month=m, certificate_kopecks=c, copay_kopecks=p)
            for m, c, p in zip(months, split.certificate_months, split.copay_months, strict=True)
        ]
    )
    if part > 0:
        _reserve(
            certificate,
            contract,
            list(ContractMonth.objects.filter(pk__in=[r.pk for r in rows])),
            period,
        )
    financing.mark_commitments_started(actor=actor, period=period)
    contract.ends_on = end
    contract.price_kopecks += price
    contract.normative_kopecks += normative
    contract.certificate_kopecks += part
    contract.copay_kopecks += copay
    contract.save(
        update_fields=[
            "ends_on",
            "price_kopecks",
            "normative_kopecks",
            "certificate_kopecks",
            "copay_kopecks",
        ]
    )
    audit.record(
        actor=actor,
        action="enrolment.contract_continued",
        obj=contract,
        municipality=contract.municipality,
        details={"period": period.pk, "reserved_kopecks": part, "copay_kopecks": copay},
    )
    _notify_parent(
        contract.application,
        f"Договор № {contract.number} продолжается в новом периоде",
        f"{certificate.child.short_name}: обучение продолжается до {end:%d.%m.%Y}. Из номинала "
        f"«{period.name}» зарезервировано {format_kopecks(part)}"
        + (f", доплата семьи — {format_kopecks(copay)}." if copay else "."),
        link=_contract_link(contract),
    )
    return True
