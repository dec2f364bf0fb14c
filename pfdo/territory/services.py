"""Write use-cases of the territory registry (used by the demo and by administrators)."""

from __future__ import annotations

from django.db import transaction

from pfdo.audit import services as audit
from pfdo.territory.models import Municipality, Region


@transaction.atomic
def ensure_region(*, actor, code: str, name: str, okato: str = "") -> Region:
    """Create the region if missing; an existing one is kept as it is (safe to re-run)."""
    region, created = Region.objects.get_or_create(
        code=code, defaults={"name": name, "okato": okato}
    )
    if created:
        audit.record(actor=actor, action="territory.region_created", obj=region)
    return region


@transaction.atomic
def ensure_municipality(
    *, actor, region: Region, code: str, name: str, kind: str, number: int, official_name: str = ""
) -> Municipality:
    """Create the municipality if missing; an existing one is kept (safe to re-run)."""
    municipality, created = Municipality.objects.get_or_create(
        code=code,
        defaults={
            "region": region,
            "name": name,
            "kind": kind,
            "number": number,
            "official_name": official_name,
        },
    )
    if created:
        audit.record(
            actor=actor,
            action="territory.municipality_created",
            obj=municipality,
            municipality=municipality,
        )
    return municipality
