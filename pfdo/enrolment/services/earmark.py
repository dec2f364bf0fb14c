"""The next period's money a certificate keeps for its contracts continuing into it.

Continuing contracts take the next period's nominal before new enrolments of that period
(domain.md §4 "Period close"; decisions.md, issue 12): until the close settles them, a new
contract in that period sees the certificate's balance less what its continuations need,
and the close prices a certificate's continuations in the order its contracts started.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Sum

from pfdo.certificates.models import Certificate
from pfdo.common.months import months_between, months_touched
from pfdo.enrolment.models import ContinuationOffer, Contract
from pfdo.enrolment.terms import prorate
from pfdo.financing.models import FinancingPeriod


def _need(contract: Contract, period: FinancingPeriod) -> int:
    """The certificate part the contract's continuation into `period` would take in full:
    min(price, normative cost) of its months there (free programmes take nothing)."""
    group = contract.group
    start = max(period.starts_on, contract.ends_on + dt.timedelta(days=1))
    end = min(group.ends_on, period.ends_on)
    if end < start or contract.funding == Contract.Funding.BUDGET:
        return 0
    months = len(months_between(start, end))
    whole = months_touched(group.starts_on, group.ends_on)
    module = group.module
    return min(
        prorate(module.price_kopecks, months, whole),
        prorate(module.normative_cost_kopecks, months, whole),
    )


def continuation_earmark(
    certificate: Certificate, period: FinancingPeriod, *, offered_only: bool = False
) -> int:
    """Kopecks of `period`'s balance kept for the certificate's continuations into it: what
    its pending continuation offers were offered, and (unless `offered_only`) what its
    contracts still awaiting the close would need. Both come from its active contracts: a
    certificate without one (most, at filing) keeps nothing, found in one query."""
    active = Contract.objects.filter(certificate=certificate, status=Contract.Status.ACTIVE)
    if not active.exists():
        return 0
    offered = (
        ContinuationOffer.objects.filter(
            contract__certificate=certificate,
            contract__status=Contract.Status.ACTIVE,
            period=period,
            status=ContinuationOffer.Status.OFFERED,
        ).aggregate(total=Sum("certificate_kopecks"))["total"]
        or 0
    )
    if offered_only:
        return offered
    awaiting = (
        Contract.objects.filter(
            certificate=certificate,
            status=Contract.Status.ACTIVE,
            funding=Contract.Funding.CERTIFICATE,
            ends_on__lt=period.starts_on,
            group__ends_on__gt=F("ends_on"),
            group__ends_on__gte=period.starts_on,
        )
        .exclude(period__status=FinancingPeriod.Status.CLOSED)
        .exclude(continuations__period=period)
        .select_related("group__module")
    )
    return offered + sum(_need(contract, period) for contract in awaiting)
