"""Demo territory: the Komi Republic and its twenty municipalities (Vorkuta among them)."""

from __future__ import annotations

from pfdo.demo import literals
from pfdo.territory import services
from pfdo.territory.models import Municipality, Region


def komi_municipalities() -> list[dict]:
    """code, name, kind and official name of each municipality, in their official order."""
    return literals.load("territory")["municipalities"]


def seed_komi(*, actor=None) -> tuple[Region, Municipality]:
    """Create the Komi Republic and its municipalities; returns (region, Vorkuta)."""
    region = services.ensure_region(actor=actor, **literals.load("territory")["region"])
    by_code = {}
    for number, row in enumerate(komi_municipalities(), start=1):
        by_code[row["code"]] = services.ensure_municipality(
            actor=actor,
            region=region,
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            number=number,
            official_name=row["official_name"],
        )
    return region, by_code["vorkuta"]
