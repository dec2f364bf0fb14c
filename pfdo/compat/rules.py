"""Who manages the table of old ПФДО programme ids (django-rules): the operator of the
programme's municipality, and a superuser.

Objects: a municipality (a batch of ids for its programmes), a programme, or an alias. Without
an object (the role gate of a page or an API action) the answer is whether the user operates
some municipality at all.
"""

from __future__ import annotations

import rules

from pfdo.accounts.rules import is_operator
from pfdo.catalog.models import Program
from pfdo.compat.models import ProgramAlias
from pfdo.territory.models import Municipality


def municipality_id_of(obj) -> int | None:
    if isinstance(obj, Municipality):
        return obj.pk
    if isinstance(obj, Program):
        return obj.municipality_id
    if isinstance(obj, ProgramAlias):
        return obj.program.municipality_id
    return None


@rules.predicate
def operates_municipality_of(user, obj) -> bool:
    if obj is None:
        return is_operator(user)
    municipality_id = municipality_id_of(obj)
    return municipality_id is not None and municipality_id in user.municipality_ids_for("operator")


rules.add_perm(
    "compat.manage_aliases",
    rules.is_authenticated & (rules.is_superuser | operates_municipality_of),
)
