"""Requests the contract test makes, one module per group of operations.

Each module's `cases()` runs inside the test (database access, the demo seeded) and returns
`Case`s: the operation, the path under the compatibility prefix (with its query), and the
status expected. Every operation of the description needs at least one 200 case, and every
`expand` value the description names for an operation needs a case asking for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    operation_id: str
    path: str  # under the prefix, e.g. "main-page/regions" or "public/programs/5?expand=modules"
    status: int = 200
    method: str = "GET"
    body: dict | None = None
    # The `expand` names this case checks come back as keys of `data` (or of each item).
    expands: frozenset[str] = field(default_factory=frozenset)
    # A 200 list answer that must not be empty on the demo.
    non_empty: bool = True


def all_cases() -> list[Case]:
    from pfdo.compat.tests.cases import (
        content,
        enrolment,
        experts,
        organizations,
        programs,
        region,
    )

    found: list[Case] = []
    for module in (region, content, programs, organizations, experts, enrolment):
        found.extend(module.cases())
    return found
