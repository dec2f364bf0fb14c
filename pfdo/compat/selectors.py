"""Identifiers of the public ПФДО API v2 and the look-ups every compatibility view shares.

- The regional operator ("operator", "operatorId", "operator_id") is a region of this system:
  its id is the region's id.
- Municipalities and organisations keep this system's ids.
- Programmes keep theirs, except one that has an old ПФДО id (ProgramAlias): it is shown and
  found under the old id, so links of old portals keep working. `pfdo.compat.services.aliases`
  keeps the two kinds apart (an old id never equals a programme's own id in use).
- Directions have the small integer ids below (ПФДО's numbering of the six directions).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.db.models import Q

from pfdo.common.choices import Direction
from pfdo.compat.models import ProgramAlias

DIRECTION_IDS: dict[str, int] = {
    Direction.TECHNICAL: 1,
    Direction.NATURAL_SCIENCE: 2,
    Direction.SPORTS: 3,
    Direction.ARTS: 4,
    Direction.TOURISM: 5,
    Direction.SOCIAL: 6,
}
DIRECTION_CODES: dict[int, str] = {number: code for code, number in DIRECTION_IDS.items()}


def direction(code: str) -> dict:
    """The `Direction` object of the original: {"id", "name", "icon"}."""
    return {
        "id": DIRECTION_IDS[code],
        "name": Direction(code).label.capitalize(),
        "icon": None,
    }


def region(operator_id: int | None):
    """The region with this operator id, or None."""
    if operator_id is None:
        return None
    Region = apps.get_model("territory", "Region")
    return Region.objects.filter(pk=operator_id).first()


def active_municipality(municipality_id: int | None):
    """An active municipality with this id (its region loaded), or None."""
    if municipality_id is None:
        return None
    Municipality = apps.get_model("territory", "Municipality")
    return Municipality.objects.active().select_related("region").filter(pk=municipality_id).first()


def public_program_ids(program_ids: Iterable[int]) -> dict[int, int]:
    """programme pk → the id the compatibility API shows (its old ПФДО id, or the pk); one
    query for any number of programmes."""
    program_ids = list(program_ids)
    old = dict(
        ProgramAlias.objects.filter(program_id__in=program_ids).values_list(
            "program_id", "legacy_id"
        )
    )
    return {pk: old.get(pk, pk) for pk in program_ids}


def program_pk(public_id: int) -> int | None:
    """The programme pk behind an id of the compatibility API: an old ПФДО id first, then a
    programme's own id if that programme has no old id (one query)."""
    Program = apps.get_model("catalog", "Program")
    row = (
        Program.objects.filter(
            Q(pfdo_alias__legacy_id=public_id) | Q(pk=public_id, pfdo_alias=None)
        )
        .order_by()
        .values_list("pk", flat=True)
        .first()
    )
    return row
