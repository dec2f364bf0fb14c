"""Contract cases of this group (filled by the issue-16 work on it)."""

from __future__ import annotations

from pfdo.compat.tests.cases import Case


def cases() -> list[Case]:
    return []
