"""Contract cases: regions, the regional operator, municipalities."""

from __future__ import annotations

from pfdo.compat.tests.cases import Case


def cases() -> list[Case]:
    return [
        Case("getMainPageRegions", "main-page/regions"),
    ]
