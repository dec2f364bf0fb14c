"""Read use-cases of the territory registry."""

from __future__ import annotations

from django.conf import settings

from pfdo.territory.models import Municipality, Region


def served_municipality() -> Municipality | None:
    """The municipality this installation serves (PFDO_MUNICIPALITY), if it exists."""
    code = settings.PFDO_MUNICIPALITY
    if not code:
        return None
    return Municipality.objects.select_related("region").filter(code=code).first()


def regions_with_municipalities():
    return Region.objects.prefetch_related("municipalities").order_by("name")
