"""The one way code asks who may do what: `authorize(actor, permission, obj)`.

Predicates live in each app's `rules.py` and are registered as `rules` permissions; services,
pages and the API ask them only through this function (or, in the API, through
`RulesPermission`, which asks the same permissions). A refusal is a `DomainError`, so pages
and the API render it the documented way.
"""

from __future__ import annotations

import rules

from pfdo.common.errors import AccessDenied, NotFound


def can(actor, permission: str, obj=None) -> bool:
    """Whether `actor` holds `permission` (on `obj`, if given), as the app's rule says.

    On an object the rule itself decides, not `User.has_perm`: Django's backend answers yes
    to any superuser for every permission, while a superuser is not every child's guardian nor
    every provider's staff — the rules admit superusers explicitly where they should
    (officials). A permission no rule defines is refused.
    """
    if actor is None or not rules.perm_exists(permission):
        return False
    if obj is None and getattr(actor, "is_active", False) and getattr(actor, "is_superuser", False):
        # A role gate (no object yet) admits a superuser, as Django does; what a superuser may
        # do to a given object is the rule's answer below.
        return True
    return bool(rules.has_perm(permission, actor, obj))


def authorize(actor, permission: str, obj=None, *, hide: bool = False, message: str | None = None):
    """Raise unless `actor` holds `permission` (on `obj`).

    `hide=True` answers not-found instead of forbidden: for objects the actor must not learn
    exist (another family's child, another provider's contract). Returns `obj` so a caller can
    write `contract = authorize(actor, "enrolment.terminate", contract)`.
    """
    if can(actor, permission, obj):
        return obj
    if hide:
        raise NotFound(message)
    raise AccessDenied(message)
