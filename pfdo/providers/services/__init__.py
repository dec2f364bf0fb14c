"""Write use-cases of the provider registry, one module per use case: the `registry`
(applications, decisions, whether a provider takes enrolments), the provider's own `profile`
and its `bank_details` change requests,
its `staff` and its enrolment `limits`; `validation` checks a card and a new staff member.

Callers import the public names from here (`from pfdo.providers import services`).
"""

from pfdo.providers.services.bank_details import (
    USE_A_REQUEST,
    approve_bank_change,
    bank_decision_refusal,
    bank_request_refusal,
    reject_bank_change,
    request_bank_change,
    withdraw_bank_change,
)
from pfdo.providers.services.duplicates import DUPLICATE_REJECTION
from pfdo.providers.services.limits import MAX_ENROLMENT_LIMIT, set_enrolment_limit
from pfdo.providers.services.profile import update_profile
from pfdo.providers.services.ratings import refresh_provider_rating
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
    "USE_A_REQUEST",
    "NewStaff",
    "ProviderNotActive",
    "add_staff",
    "apply_provider",
    "approve_bank_change",
    "attach_existing_user",
    "bank_decision_refusal",
    "bank_request_refusal",
    "deactivate_staff",
    "enrolment_refusal",
    "ensure_accepts_enrolments",
    "exclude",
    "exclusion_errors",
    "include",
    "mark_needs_check",
    "provider_excluded",
    "refresh_provider_rating",
    "reinstate",
    "reject",
    "reject_bank_change",
    "reject_duplicate",
    "request_bank_change",
    "resubmit",
    "set_enrolment_limit",
    "update_profile",
    "withdraw_bank_change",
]
