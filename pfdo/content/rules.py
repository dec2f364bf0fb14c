"""Who edits which public content (django-rules); reading is scoped by `for_user`.

A regional administrator edits everything of the region: its rows (with or without a
municipality), its portal card, its municipalities' pages and the expert cards its portal
lists. A municipality's operator edits the rows of their municipality and its page, not the
region-wide rows. An expert edits their own card, and only an expert has a card of their own
(the cabinet's page and the API's `me`). Without an object (the API's class-level
gate) the predicates let the role through and the object-level check decides.
"""

from __future__ import annotations

import rules

from pfdo.accounts.rules import is_expert, is_operator, is_regional_admin


def _admin_of(user, region_id) -> bool:
    return region_id is not None and region_id in user.region_ids_for("regional_admin")


def _operator_of(user, municipality_id) -> bool:
    return municipality_id is not None and municipality_id in user.municipality_ids_for("operator")


def _signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


@rules.predicate
def edits_placed(user, obj) -> bool:
    """`obj` (a news item, question, instruction, video, contact — saved or about to be) is
    of the administrator's region or of the operator's municipality."""
    if obj is None:
        return True
    if not _signed_in(user):
        return False
    if user.is_superuser:
        return True
    return _admin_of(user, obj.region_id) or _operator_of(user, obj.municipality_id)


@rules.predicate
def edits_portal(user, obj) -> bool:
    """`obj`: a region or its portal card; only the region's administrators."""
    if obj is None:
        return True
    if not _signed_in(user):
        return False
    region_id = getattr(obj, "region_id", None) or obj.pk
    return user.is_superuser or _admin_of(user, region_id)


@rules.predicate
def edits_municipality_page(user, obj) -> bool:
    """`obj`: a municipality (or its page); its operators and its region's administrators."""
    if obj is None:
        return True
    if not _signed_in(user):
        return False
    municipality = getattr(obj, "municipality", obj)
    return (
        user.is_superuser
        or _operator_of(user, municipality.pk)
        or _admin_of(user, municipality.region_id)
    )


@rules.predicate
def edits_expert_profile(user, obj) -> bool:
    """`obj`: an expert's card (saved or about to be): the expert's own, or one listed on the
    portal of the administrator's region."""
    if obj is None:
        return True
    if not _signed_in(user):
        return False
    if user.is_superuser or _admin_of(user, obj.region_id):
        return True
    return obj.user_id == user.pk and user.has_role("expert")


@rules.predicate
def is_owner(user, owner) -> bool:
    """`owner`: the user whose own card is at stake; the actor themself."""
    return owner is not None and _signed_in(user) and owner.pk == user.pk


# Why a non-expert is refused a card of their own (the API's 403).
OWN_EXPERT_PROFILE_REFUSED = "Карточку эксперта заводит и правит сам эксперт."

is_content_official = is_operator | is_regional_admin | rules.is_superuser

rules.add_perm("content.view", rules.always_allow)
# The cabinet's «Материалы портала» and the API's writes: officials, then the object decides.
rules.add_perm("content.manage", is_content_official)
rules.add_perm("content.edit", is_content_official & edits_placed)
rules.add_perm("content.edit_portal", (is_regional_admin | rules.is_superuser) & edits_portal)
rules.add_perm("content.edit_municipality_page", is_content_official & edits_municipality_page)
rules.add_perm(
    "content.edit_expert_profile",
    (is_expert | is_regional_admin | rules.is_superuser) & edits_expert_profile,
)
# A card of one's own: only an expert has one, whatever else the user may edit. Asked with the
# actor as the object, so the role gate's superuser pass does not apply.
rules.add_perm("content.keep_own_expert_profile", is_expert & is_owner)
