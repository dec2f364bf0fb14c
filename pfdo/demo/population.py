"""Demo child population (the denominator of coverage) for every Komi municipality, entered
through the reports' service by the regional administrator — re-running changes nothing."""

from __future__ import annotations

from pfdo.demo import literals
from pfdo.demo.catalog_bulk import MUNICIPALITY_WEIGHTS
from pfdo.reports import services


def profile(code: str) -> dict[int, int]:
    """Children by age of one municipality: Vorkuta's profile scaled by the weights."""
    data = literals.load("population")
    base = MUNICIPALITY_WEIGHTS[data["base_municipality"]]
    weight = MUNICIPALITY_WEIGHTS.get(code, 1)
    return {age: count * weight // base for age, count in enumerate(data["by_age"])}


def seed_population(*, region, actor, years) -> int:
    """Population of every municipality of `region` for each of `years`; returns how many ages
    were written (0 on a re-run)."""
    written = 0
    for municipality in region.municipalities.order_by("number"):
        for year in years:
            written += services.save_population(
                actor=actor,
                municipality=municipality,
                year=year,
                children=profile(municipality.code),
                source="demo",
            )
    return written
