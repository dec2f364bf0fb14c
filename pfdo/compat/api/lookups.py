"""Look-ups the region and content operations share: a path's id, the operator behind an id,
the content rows the public sees."""

from __future__ import annotations

from django.db.models import Q

from pfdo.compat import selectors
from pfdo.compat.api.errors import BadRequest, NotFound
from pfdo.compat.api.params import MAX_INT, Params


def path_id(raw: str) -> int:
    """A path's numeric id; anything else (letters, a sign, too large) is the 404 envelope, as
    the original's routes match digits only."""
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_INT:
        raise NotFound()
    return int(raw)


def operator_region(operator_id: int | None):
    """The region behind an operator id, or the 404 envelope naming it."""
    region = selectors.region(operator_id)
    if region is None:
        raise NotFound(f"Региональный оператор {operator_id} не найден.")
    return region


def optional_operator(params: Params, name: str = "operator"):
    """The region of an optional operator parameter (None when not given; unknown → 404)."""
    operator_id = params.integer(name)
    return None if operator_id is None else operator_region(operator_id)


def published_of_active(queryset):
    """Published content rows of a whole region or of an active municipality (a municipality
    switched off is not public, nor is what its operators wrote)."""
    return queryset.published().filter(
        Q(municipality__isnull=True) | Q(municipality__is_active=True)
    )


def id_list(raw: str | None, name: str, allowed: range) -> list[int] | None:
    """A comma-separated list of ids from `allowed` (None when not given); anything else is a
    400 naming the parameter."""
    if raw is None:
        return None
    items = [item.strip() for item in raw.split(",")]
    ids = []
    for item in items:
        if not item.isascii() or not item.isdigit() or int(item) not in allowed:
            raise BadRequest(
                f"Параметр {name} — номера через запятую от {allowed.start} до "
                f"{allowed.stop - 1}, например 1,3."
            )
        ids.append(int(item))
    return ids
