"""The start of a financing period: every live financing certificate gets its nominal once."""

from __future__ import annotations

from pfdo.audit import services as audit
from pfdo.certificates.models import Certificate
from pfdo.certificates.services._common import _ensure_manager
from pfdo.certificates.services.nominals import _grant_batch, fund_period
from pfdo.certificates.services.switching import fulfil_switch_requests
from pfdo.common import clock
from pfdo.common.errors import Conflict
from pfdo.common.transactions import atomic_retry
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger.selectors import granted_holder_ids


@atomic_retry
def grant_period_nominals(*, actor, period: FinancingPeriod, batch_size: int = 2000) -> int:
    """Grant the period's nominal to every live financing certificate, once.

    Keys are `grant:p<period>:c<certificate>`, so a repeated run grants nothing more.
    Returns how many grants this run made.
    """
    if actor is not None:
        _ensure_manager(actor, period.municipality)
    period = FinancingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.status != FinancingPeriod.Status.APPROVED:
        raise Conflict("Номиналы начисляются только в утверждённом периоде.")
    budget = fund_period(actor=actor, period=period)
    certificates = (
        Certificate.objects.filter(
            municipality=period.municipality,
            type=Certificate.Type.FINANCING,
            status__in=Certificate.LIVE,
            valid_until__gte=period.starts_on,
        )
        .exclude(pk__in=granted_holder_ids(period))
        .select_related("child")
        .order_by("pk")
    )
    made = 0
    pending: list[Certificate] = []
    for certificate in certificates.iterator(chunk_size=batch_size):
        pending.append(certificate)
        if len(pending) >= batch_size:
            made += _grant_batch(period, budget, pending)
            pending = []
    if pending:
        made += _grant_batch(period, budget, pending)
    if period.starts_on <= clock.today() <= period.ends_on:
        # The period has begun: switch requests filed while no period ran get their places.
        fulfil_switch_requests(actor=actor, municipality=period.municipality)
    audit.record(
        actor=actor,
        action="certificates.period_nominals_granted",
        obj=period,
        municipality=period.municipality,
        details={"granted": made},
    )
    return made
