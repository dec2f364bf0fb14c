"""A registry of domain checks that `verify_ledger` runs beside the ledger's own.

The ledger sits below the apps whose rules these checks state (billing, enrolment,
certificates) and must not import them; each of those apps registers its checks here from
its `AppConfig.ready`. A check takes an optional municipality id and returns problems as
Russian sentences (empty: the rule holds).
"""

from __future__ import annotations

from collections.abc import Callable

Check = Callable[..., list[str]]

_CHECKS: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """Add (or replace, on a repeated `ready`) the check called `name`."""
    _CHECKS[name] = check


def registered() -> dict[str, Check]:
    return dict(_CHECKS)


def run_checks(*, municipality_id: int | None = None) -> list[str]:
    """Problems found by every registered check, in the order they were registered."""
    problems: list[str] = []
    for check in _CHECKS.values():
        problems += check(municipality_id=municipality_id)
    return problems
