"""Demo financing period of Vorkuta (ПФДО 2026/27), created through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from pfdo.financing import services
from pfdo.financing.models import FinancingPeriod

NAME = "ПФДО 2026/27"
STARTS_ON = dt.date(2026, 9, 1)
ENDS_ON = dt.date(2027, 8, 31)
NOMINAL_KOPECKS = 2_417_100  # 24 171,00 ₽ — Vorkuta's nominal
NOMINAL_DISABILITY_KOPECKS = 3_625_650  # × 1.5 for children with ОВЗ
QUOTA = 2_500
# Covers quota × the largest nominal (90 641 250,00 ₽) with a small reserve.
BUDGET_KOPECKS = 9_100_000_000

SETTINGS = {
    "certificate_quota": QUOTA,
    "budget_kopecks": BUDGET_KOPECKS,
    "accounting_program_limit": 2,
    "base_technical_kopecks": 16_000,
    "base_natural_science_kopecks": 15_000,
    "base_sports_kopecks": 12_000,
    "base_arts_kopecks": 13_000,
    "base_tourism_kopecks": 12_500,
    "base_social_kopecks": 11_000,
    "k_form_mixed": Decimal("0.900"),
    "k_form_distance": Decimal("0.700"),
    "k_org_company": Decimal("0.950"),
    "k_org_ip": Decimal("0.900"),
    "k_disability": Decimal("1.300"),
    "k_network": Decimal("1.100"),
    "k_qualification_highest": Decimal("1.200"),
    "k_qualification_first": Decimal("1.100"),
    "k_north": Decimal("1.600"),
}
CATEGORIES = [
    ("Дети 5–18 лет", 60, 216, False, NOMINAL_KOPECKS),
    ("Дети 5–18 лет с ОВЗ", 60, 216, True, NOMINAL_DISABILITY_KOPECKS),
]


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
    for name, age_from, age_to, disability_only, nominal in CATEGORIES:
        services.add_nominal_category(
            actor=actor,
            period=period,
            name=name,
            age_from_months=age_from,
            age_to_months=age_to,
            disability_only=disability_only,
            nominal_kopecks=nominal,
        )
    return services.approve_period(actor=actor, period=period)
