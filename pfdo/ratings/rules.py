"""Who may rate, moderate and reply (django-rules); reading is scoped by `for_user`.

Object predicates take a contract (rating it) or a rating. Without an object (the API's
class-level check) they let the role through and the object-level check decides.
"""

from __future__ import annotations

import rules

from pfdo.accounts.rules import is_operator, is_parent, is_provider_staff, is_regional_admin
from pfdo.certificates.models import Guardianship
from pfdo.financing.rules import manages_municipality
from pfdo.providers.models import staffed_provider_ids


def _child_id(obj) -> int | None:
    """The child of a contract or of a rating's contract."""
    if hasattr(obj, "child_id"):
        return obj.child_id
    return obj.contract.child_id


@rules.predicate
def is_family_of(user, obj) -> bool:
    """`user` is a legal guardian of the child of the contract (rated)."""
    if obj is None:
        return True
    if not user.is_authenticated:
        return False
    return Guardianship.objects.filter(user=user, child_id=_child_id(obj)).exists()


@rules.predicate
def staffs_provider_of(user, obj) -> bool:
    """`user` is active staff of the rated programme's provider."""
    if obj is None:
        return True
    return obj.provider_id in staffed_provider_ids(user)


@rules.predicate
def manages_municipality_of(user, obj) -> bool:
    """`user` is the operator (regional administrator) of the rating's municipality."""
    if obj is None:
        return True
    return manages_municipality(user, obj.municipality)


is_rating_official = is_operator | is_regional_admin | rules.is_superuser

rules.add_perm("ratings.view", rules.always_allow)
# The parent rates a contract of their child (the object: the contract) and changes it (the
# object: the rating); the service decides whether the contract qualifies and the window.
rules.add_perm("ratings.rate", is_parent & is_family_of)
rules.add_perm("ratings.change", is_parent & is_family_of)
rules.add_perm("ratings.list_own", is_parent)
rules.add_perm("ratings.moderate", is_rating_official & manages_municipality_of)
rules.add_perm("ratings.list_moderation", is_rating_official)
rules.add_perm("ratings.reply", is_provider_staff & staffs_provider_of)
rules.add_perm("ratings.list_provider", is_provider_staff)
