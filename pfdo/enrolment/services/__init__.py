"""Write use-cases of enrolment: apply, decide, offer, accept, waitlist, terminate, expire,
what ends with a certificate or an excluded provider (`endings`), and the provider's look-up
of a certificate by number and surname (`lookup`), and the public enrolment check (`check`).

One module per use case; callers import the public names from here. Locks, seats and
notices shared by the modules are in `_common`.
"""

from pfdo.enrolment.services._common import EnrolmentRefused
from pfdo.enrolment.services.applications import (
    InPersonPreview,
    apply,
    apply_in_person,
    preview_in_person,
)
from pfdo.enrolment.services.check import EnrolmentCheck, check_enrolment
from pfdo.enrolment.services.codes import attempts as code_attempts
from pfdo.enrolment.services.codes import attempts_left, confirm_with_code
from pfdo.enrolment.services.contracts import accept, decline
from pfdo.enrolment.services.deadlines import JobResult, run_deadlines
from pfdo.enrolment.services.decisions import (
    cancel,
    confirm,
    confirm_by_parent,
    reject,
)
from pfdo.enrolment.services.earmark import continuation_earmark
from pfdo.enrolment.services.endings import (
    end_certificate_contracts,
    end_provider_enrolments,
    terminate_excluded_contracts,
)
from pfdo.enrolment.services.lookup import (
    look_up,
    look_up_for_provider,
    lookup_provider,
)
from pfdo.enrolment.services.offers import (
    AcceptanceTerms,
    acceptance_terms,
    contract_number,
    reservation_description,
    reserve_key,
)
from pfdo.enrolment.services.period import (
    accept_continuation,
    continuation_refusal,
    continue_contract,
    decline_continuation,
)
from pfdo.enrolment.services.preconditions import (
    Terms,
    check_preconditions,
    compute_terms,
    family_group_terms,
    preview_terms,
    schedule_clash,
)
from pfdo.enrolment.services.reminders import send_reminders
from pfdo.enrolment.services.steps import (
    accept_refusal,
    cancel_refusal,
    code_refusal,
    confirm_refusal,
    confirmation_refusal,
    decline_refusal,
    offer_expired,
    reject_refusal,
    terminate_refusal,
)
from pfdo.enrolment.services.termination import terminate
from pfdo.enrolment.services.waitlist import promote_waitlist, release_place

__all__ = [
    "AcceptanceTerms",
    "EnrolmentCheck",
    "EnrolmentRefused",
    "InPersonPreview",
    "JobResult",
    "Terms",
    "accept",
    "accept_continuation",
    "accept_refusal",
    "acceptance_terms",
    "apply",
    "apply_in_person",
    "attempts_left",
    "cancel",
    "cancel_refusal",
    "check_enrolment",
    "check_preconditions",
    "code_attempts",
    "code_refusal",
    "compute_terms",
    "confirm",
    "confirm_by_parent",
    "confirm_refusal",
    "confirm_with_code",
    "confirmation_refusal",
    "continuation_earmark",
    "continuation_refusal",
    "continue_contract",
    "contract_number",
    "decline",
    "decline_continuation",
    "decline_refusal",
    "end_certificate_contracts",
    "end_provider_enrolments",
    "family_group_terms",
    "look_up",
    "look_up_for_provider",
    "lookup_provider",
    "offer_expired",
    "preview_in_person",
    "preview_terms",
    "promote_waitlist",
    "reject",
    "reject_refusal",
    "release_place",
    "reservation_description",
    "reserve_key",
    "run_deadlines",
    "schedule_clash",
    "send_reminders",
    "terminate",
    "terminate_excluded_contracts",
    "terminate_refusal",
]
