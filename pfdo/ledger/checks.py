"""The domain checks `verify_ledger` runs beside the ledger's own.

The ledger sits below the apps whose rules these checks state (billing, enrolment,
certificates) and must not import them; each of those apps connects its checks to
`domain_checks` from its `AppConfig.ready`. A check takes an optional municipality id and
returns problems as Russian sentences (empty: the rule holds).
"""

from __future__ import annotations

from pfdo.common.hooks import Hook

domain_checks = Hook(
    "ledger.domain_checks",
    "check(municipality_id=None) -> list[str]: the problems of one rule of the apps above.",
)


def run_checks(*, municipality_id: int | None = None) -> list[str]:
    """Problems found by every connected check, in the order they were connected."""
    return [
        problem
        for problems in domain_checks.collect(municipality_id=municipality_id)
        for problem in problems
    ]
