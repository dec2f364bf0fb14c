"""Permission predicates of the catalogue (django-rules): who edits, assesses and decides.

Object permissions accept a programme or anything under it (module, group, lesson); the
programme's provider and municipality decide. Which objects a user can see at all is the
querysets' `for_user`.
"""

from __future__ import annotations

import rules

from pfdo.accounts.rules import is_expert, is_operator, is_provider_staff
from pfdo.catalog.models import Group, Module, Program, ScheduleEntry
from pfdo.providers.models import Provider, staffed_provider_ids


def program_of(obj) -> Program | None:
    if isinstance(obj, Program):
        return obj
    if isinstance(obj, Module):
        return obj.program
    if isinstance(obj, Group):
        return obj.module.program
    if isinstance(obj, ScheduleEntry):
        return obj.group.module.program
    return None


def _works_for(user, provider_id) -> bool:
    return provider_id is not None and provider_id in staffed_provider_ids(user)


@rules.predicate
def is_staff_of_provider(user, provider) -> bool:
    """`provider` is a provider the user works for (None: any provider they work for)."""
    if provider is None:
        return bool(staffed_provider_ids(user))
    return isinstance(provider, Provider) and _works_for(user, provider.pk)


# Called without an object (an API view's first check, before it loads the object) the
# predicates below answer whether the user could act on some programme at all.


@rules.predicate
def is_program_staff(user, obj) -> bool:
    if obj is None:
        return is_staff_of_provider(user, None)
    program = program_of(obj)
    return program is not None and _works_for(user, program.provider_id)


@rules.predicate
def is_program_operator(user, obj) -> bool:
    if not user.is_authenticated:
        return False
    if obj is None:
        return user.has_role("operator")
    program = program_of(obj)
    return program is not None and program.municipality_id in user.municipality_ids_for("operator")


@rules.predicate
def is_program_expert(user, obj) -> bool:
    if not user.is_authenticated or not user.has_role("expert"):
        return False
    if obj is None:
        return True
    program = program_of(obj)
    if program is None:
        return False
    ids = user.municipality_ids_for("expert")
    unbound = any(m.role == "expert" and not m.municipality_id for m in user.active_memberships)
    return unbound or not ids or program.municipality_id in ids


@rules.predicate
def is_own_program(user, obj) -> bool:
    """The programme is of the user's provider (object checks only)."""
    program = program_of(obj)
    return program is not None and _works_for(user, program.provider_id)


@rules.predicate
def is_municipality_operator(user, municipality) -> bool:
    """`municipality` is the operator's (None: the user is an operator anywhere)."""
    if not user.is_authenticated:
        return False
    if municipality is None:
        return user.has_role("operator")
    return getattr(municipality, "pk", None) in user.municipality_ids_for("operator")


is_catalog_official = is_operator | rules.is_superuser

# Provider staff: their own programmes.
rules.add_perm(
    "catalog.add_program", (is_provider_staff & is_staff_of_provider) | rules.is_superuser
)
rules.add_perm("catalog.change_program", is_program_staff | rules.is_superuser)
rules.add_perm("catalog.publish_program", is_program_staff | rules.is_superuser)
rules.add_perm("catalog.submit_program", is_program_staff | rules.is_superuser)
rules.add_perm("catalog.list_own_programs", is_provider_staff)
# Experts: programmes of their municipalities, never their own provider's.
rules.add_perm("catalog.assess_program", is_program_expert & ~is_own_program)
rules.add_perm("catalog.view_expert_queue", is_expert)
# Operators of the programme's municipality.
rules.add_perm("catalog.decide_certification", is_program_operator | rules.is_superuser)
rules.add_perm("catalog.set_registry", is_program_operator | rules.is_superuser)
rules.add_perm(
    "catalog.return_to_draft", is_program_staff | is_program_operator | rules.is_superuser
)
rules.add_perm("catalog.list_municipality_programs", is_catalog_official)
rules.add_perm("catalog.recompute_normative", is_municipality_operator | rules.is_superuser)
rules.add_perm(
    "catalog.view_program_management",
    is_program_staff | is_program_operator | is_program_expert | rules.is_superuser,
)
# Everyone reads what `for_user` lets them see; the action exists for the permission map.
rules.add_perm("catalog.view_program", rules.always_allow)
