"""Write use-cases of the provider registry, one module per use case: the `registry`
(applications, decisions, whether a provider takes enrolments), the provider's own `profile`,
its `staff` and its enrolment `limits`; `validation` checks a card and a new staff member.

Callers import the public names from here (`from pfdo.providers import services`).
"""

from pfdo.providers.services.duplicates import DUPLICATE_REJECTION
from pfdo.providers.services.limits import MAX_ENROLMENT_LIMIT, set_enrolment_limit
from pfdo.providers.services.profile import update_profile
from pfdo.providers.services.registry import (
    ProviderNotActive,
    apply_provider,
    enrolment_refusal,
    ensure_accepts_enrolments,
    exclude,
    exclusion_errors,
    include,
    mark_needs_check,
    provider_excluded,
    reinstate,
    reject,
    reject_duplicate,
    resubmit,
)
from pfdo.providers.services.staff import (
    NewStaff,
    add_staff,
    attach_existing_user,
    deactivate_staff,
)
from pfdo.providers.services.validation import DUPLICATE_INN

__all__ = [
    "DUPLICATE_INN",
    "DUPLICATE_REJECTION",
    "MAX_ENROLMENT_LIMIT",
    "NewStaff",
    "ProviderNotActive",
    "add_staff",
    "apply_provider",
    "attach_existing_user",
    "deactivate_staff",
    "enrolment_refusal",
    "ensure_accepts_enrolments",
    "exclude",
    "exclusion_errors",
    "include",
    "mark_needs_check",
    "provider_excluded",
    "reinstate",
    "reject",
    "reject_duplicate",
    "resubmit",
    "set_enrolment_limit",
    "update_profile",
]
