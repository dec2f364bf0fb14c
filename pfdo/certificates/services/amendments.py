"""What a financing period's quota and budget already bear, and the ledger following a change.

Registered with financing at start-up (financing sits below certificates and the ledger, so
it cannot ask them itself; see the hooks `financing.services.period_floors` and `period_amended`).
"""

from __future__ import annotations

from pfdo.certificates import selectors
from pfdo.certificates.services.nominals import sync_period_budget
from pfdo.certificates.services.switching import fulfil_switch_requests
from pfdo.common import clock
from pfdo.financing.models import FinancingPeriod
from pfdo.ledger import selectors as ledger_selectors


def period_floors(*, period: FinancingPeriod) -> dict[str, int]:
    """The quota may not go below the financing places used in the period (before it starts:
    the certificates already funded in it); the budget not below what has left it for the
    certificates' nominals (funded less what is still available in it)."""
    if period.starts_on <= clock.today():
        used = selectors.financing_count(period.municipality, period)
    else:
        used = selectors.funded_count(period)
    funded, _ = ledger_selectors.period_funding(period)
    account = ledger_selectors.budget_account_of(period)
    available = account.available_kopecks if account is not None else 0
    return {"certificate_quota": used, "budget_kopecks": max(funded - available, 0)}


def period_amended(*, actor, period: FinancingPeriod, changes: dict) -> None:
    """A changed budget moves money between the appropriation and the period's budget (once
    it was funded; before, the first grant funds the new amount); a raise frees places,
    which go to the switch queue at once while the period runs."""
    if "budget_kopecks" in changes:
        _, moves = ledger_selectors.period_funding(period)
        if moves:
            sync_period_budget(period=period)
    raised = any(new > old for old, new in changes.values())
    today = clock.today()
    if (
        raised
        and period.status == FinancingPeriod.Status.APPROVED
        and period.starts_on <= today <= period.ends_on
    ):
        fulfil_switch_requests(actor=actor, municipality=period.municipality)
