"""Look-ups every compatibility operation shares: a path's id, the operator behind an id, the
content rows the public sees.

One rule for ids that name nothing: in the PATH (`/main-page/muns/999`) it is the 404 envelope,
as an address that does not exist; in the QUERY (`?operator=999`) it is a 400 naming the
parameter, as any other bad parameter value — the description declares 400, not 404, for the
searches that take `operator`."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter

from pfdo.compat import selectors
from pfdo.compat.api.errors import BadRequest, NotFound
from pfdo.compat.api.params import MAX_INT, Params

# The largest id a path may carry: a programme's old ПФДО id is a bigint, the rest int.
MAX_BIGINT = 2**63 - 1


def path_id(raw: str, *, maximum: int = MAX_INT) -> int:
    """A path's numeric id; anything else (letters, a sign, too large) is the 404 envelope, as
    the original's routes match digits only."""
    if not raw or len(raw) > 19 or not raw.isascii() or not raw.isdigit() or int(raw) > maximum:
        raise NotFound()
    return int(raw)


def id_parameter(description: str, name: str = "id") -> OpenApiParameter:
    """A path id as the schema declares it (the original's integer; anything else is a 404)."""
    return OpenApiParameter(
        name=name,
        type=int,
        location=OpenApiParameter.PATH,
        description=f"{description} Целое число; иное — ответ 404.",
    )


def region_of_path(raw: str):
    """The region behind an operator id in the path, or the 404 envelope naming it."""
    operator_id = path_id(raw)
    region = selectors.region(operator_id)
    if region is None:
        raise NotFound(f"Региональный оператор {operator_id} не найден.")
    return region


def operator_param(
    params: Params, name: str = "operator", *, required: bool = True, of_object: bool = False
):
    """The region of an operator query parameter (None when optional and absent); an id of no
    operator is a 400 naming the parameter — except beside a path id (`of_object`), where it
    only narrows which object is found: no such object under that operator, the 404."""
    operator_id = params.integer(name, required=required, minimum=1)
    if operator_id is None:
        return None
    region = selectors.region(operator_id)
    if region is None and of_object:
        raise NotFound()
    if region is None:
        raise BadRequest(f"Параметр {name}: регионального оператора {operator_id} нет.")
    return region


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
