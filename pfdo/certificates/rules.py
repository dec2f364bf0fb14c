"""Who may do what with children, certificate applications and certificates (django-rules).

Reading is scoped by each model's `for_user`; these predicates guard the actions.
"""

from __future__ import annotations

import rules

from pfdo.accounts.rules import is_operator, is_parent, is_provider_staff, is_regional_admin

# One definition of who runs a municipality's programme: its operator, its region, a superuser.
from pfdo.financing.rules import manages_municipality


@rules.predicate
def manages_object(user, obj) -> bool:
    # Without an object (the API's class-level check) the object-level check decides later.
    if obj is None:
        return True
    return manages_municipality(user, getattr(obj, "municipality", None))


@rules.predicate
def manages_the_municipality(user, municipality) -> bool:
    """For services handed a municipality itself (filing, import, the period's grants)."""
    return manages_municipality(user, municipality)


@rules.predicate
def is_guardian_of(user, obj) -> bool:
    if obj is None:
        return True
    child = getattr(obj, "child", obj)
    return child.guardianships.filter(user=user).exists()


is_certificate_official = is_operator | is_regional_admin | rules.is_superuser

rules.add_perm("certificates.view", rules.is_authenticated)
rules.add_perm("certificates.apply", is_parent | is_certificate_official)
rules.add_perm("certificates.manage", is_certificate_official & manages_object)
rules.add_perm("certificates.manage_municipality", manages_the_municipality)
rules.add_perm(
    "certificates.request_switch",
    (is_parent & is_guardian_of) | (is_certificate_official & manages_object),
)
# The look-up by number: provider staff (number and surname, limited, enrolment's service)
# and officials (their own registry, by number alone).
rules.add_perm("certificates.lookup", is_provider_staff | is_certificate_official)
rules.add_perm("certificates.look_up_registry", is_certificate_official)
