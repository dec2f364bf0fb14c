"""Demo financing period of Vorkuta (ПФДО 2026/27), created through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from pfdo.demo import literals
from pfdo.financing import services
from pfdo.financing.models import FinancingPeriod

_DATA = literals.load("financing")

NAME: str = _DATA["name"]
STARTS_ON = dt.date.fromisoformat(_DATA["starts_on"])
ENDS_ON = dt.date.fromisoformat(_DATA["ends_on"])
# Coefficients are exact decimals, kept as text in the data file.
SETTINGS = {
    field: Decimal(value) if field.startswith("k_") else value
    for field, value in _DATA["settings"].items()
}
QUOTA: int = SETTINGS["certificate_quota"]
# Covers quota × the largest nominal (90 641 250,00 ₽) with a small reserve.
BUDGET_KOPECKS: int = SETTINGS["budget_kopecks"]
CATEGORIES: list[dict] = _DATA["categories"]
NOMINAL_KOPECKS: int = CATEGORIES[0]["nominal_kopecks"]  # 24 171,00 ₽ — Vorkuta's nominal
NOMINAL_DISABILITY_KOPECKS: int = CATEGORIES[1]["nominal_kopecks"]  # × 1.5 with ОВЗ


@transaction.atomic
def seed_period(*, municipality, actor=None) -> FinancingPeriod:
    """The approved 2026/27 period of `municipality`. A re-run finds it and changes nothing."""
    # Any period already covering these dates (the demo's, or one an operator made) is kept.
    existing = (
        FinancingPeriod.objects.filter(municipality=municipality)
        .overlapping(STARTS_ON, ENDS_ON)
        .order_by("starts_on")
        .first()
    )
    if existing is not None:
        return existing
    period = services.create_period(
        actor=actor,
        municipality=municipality,
        name=NAME,
        starts_on=STARTS_ON,
        ends_on=ENDS_ON,
        **SETTINGS,
    )
    for category in CATEGORIES:
        services.add_nominal_category(actor=actor, period=period, **category)
    return services.approve_period(actor=actor, period=period)
