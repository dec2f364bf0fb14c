"""Who may act on applications and contracts (django-rules); reading is scoped by `for_user`.

Object predicates take an application, a contract or a group (and for the provider a
provider). Without an object (the API's class-level check) they let the role through and
the object-level check decides later.
"""

from __future__ import annotations

import rules

from pfdo.accounts.rules import is_operator, is_parent, is_provider_staff, is_regional_admin
from pfdo.certificates.models import Guardianship
from pfdo.financing.rules import manages_municipality
from pfdo.providers.models import staffed_provider_ids


def _provider_id(obj) -> int | None:
    """The provider an application, contract, group or provider belongs to."""
    if hasattr(obj, "provider_id"):
        return obj.provider_id
    module = getattr(obj, "module", None)
    if module is not None:  # a group
        return module.program.provider_id
    if obj._meta.label_lower == "providers.provider":
        return obj.pk
    return None


@rules.predicate
def staffs_provider_of(user, obj) -> bool:
    """`user` is active staff of the object's provider."""
    if obj is None:
        return True
    provider_id = _provider_id(obj)
    return provider_id is not None and provider_id in staffed_provider_ids(user)


@rules.predicate
def is_guardian_of(user, obj) -> bool:
    """`user` is a legal guardian of the application's or contract's child. A yes is kept
    on the user object for its life (one request, as its memberships are): filing asks twice,
    the view before the service and the service under the certificate's lock, which does not
    lock the guardianship anyway."""
    if obj is None:
        return True
    if not user.is_authenticated:
        return False
    known = user.__dict__.setdefault("_pfdo_guardian_of", set())
    if obj.child_id in known:
        return True
    if Guardianship.objects.filter(user=user, child_id=obj.child_id).exists():
        known.add(obj.child_id)
        return True
    return False


@rules.predicate
def manages_municipality_of(user, obj) -> bool:
    """`user` is the operator (regional administrator) of the object's municipality."""
    if obj is None:
        return True
    return manages_municipality(user, obj.municipality)


is_enrolment_official = is_operator | is_regional_admin | rules.is_superuser

rules.add_perm("enrolment.view", rules.is_authenticated)
# Filing: a parent online or provider staff in person (each channel checks its own rule).
rules.add_perm("enrolment.apply", is_parent | is_provider_staff)
# The provider's decisions on an application: confirm, reject, take the parent's code.
rules.add_perm("enrolment.decide", is_provider_staff & staffs_provider_of)
# In person: the object is the group the child is enrolled in.
rules.add_perm("enrolment.enrol_in_person", is_provider_staff & staffs_provider_of)
# Who terminates decides how the contract ends (the parent's own step, an expulsion, the
# operator's decision): the service asks these in this order.
terminates_as_parent = is_parent & is_guardian_of
terminates_as_provider = is_provider_staff & staffs_provider_of
terminates_as_operator = is_enrolment_official & manages_municipality_of
rules.add_perm("enrolment.terminate_as_parent", terminates_as_parent)
rules.add_perm("enrolment.terminate_as_provider", terminates_as_provider)
rules.add_perm("enrolment.terminate_as_operator", terminates_as_operator)
rules.add_perm(
    "enrolment.terminate", terminates_as_parent | terminates_as_provider | terminates_as_operator
)
# The family's steps for their child (the object: a certificate, application or contract):
# apply online, see the terms, withdraw, confirm an in-person enrolment, accept or decline.
rules.add_perm("enrolment.accept", is_parent & is_guardian_of)
# Pages: the provider's registers and rosters, the officials' contract register.
rules.add_perm("enrolment.list_provider", is_provider_staff)
rules.add_perm("enrolment.view_roster", is_provider_staff & staffs_provider_of)
rules.add_perm("enrolment.list_official", is_enrolment_official)
# The look-up by certificate number and surname: provider staff for a provider they work for
# (the object: the provider); the record of look-ups is the officials' report.
rules.add_perm("enrolment.look_up_certificate", is_provider_staff & staffs_provider_of)
rules.add_perm("enrolment.view_lookups", is_enrolment_official)
