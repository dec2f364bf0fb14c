"""Write use-cases of certificates, one module per use case; the public names live here.

children (the child's card) · applications (filing, the parent's account) · public (the form
without an account, one answer for everyone) · status (an application's public status by
number and e-mail) · duplicates (a known child flagged, the one-click rejection) · decisions (verify, reject, issue) · nominals (quota place, nominal, grant) ·
period_start (the period's grants) · lifecycle (suspend, reactivate, cancel, expire) ·
switching (accounting → financing) · desk (passwords, the officials' look-up).
"""

from pfdo.certificates.services._common import Issued, can_manage
from pfdo.certificates.services.applications import (
    Registered,
    apply_for_certificate,
    apply_online,
    file_in_person_application,
    register_family,
    register_parent,
)
from pfdo.certificates.services.children import CHILD_FIELDS, clean_child
from pfdo.certificates.services.decisions import (
    approve_application,
    reject_application,
    verify_application,
)
from pfdo.certificates.services.desk import (
    LOOKUP_MISS,
    look_up_certificate,
    reissue_parent_password,
)
from pfdo.certificates.services.duplicates import (
    DUPLICATE_REJECTION,
    known_child,
    reject_duplicate,
)
from pfdo.certificates.services.lifecycle import (
    cancel_certificate,
    cancellation_text,
    certificate_ending,
    expire_certificates,
    reactivate_certificate,
    return_key,
    suspend_certificate,
)
from pfdo.certificates.services.nominals import (
    certificate_account,
    fund_period,
    grant_entry,
    grant_nominal_ahead,
    nominal_amount,
)
from pfdo.certificates.services.period_start import (
    RunningGrant,
    grant_period_nominals,
    grant_running_periods,
)
from pfdo.certificates.services.public import PublicApplication, register_and_apply
from pfdo.certificates.services.rekey import Rekeyed, rekey_pd_hashes
from pfdo.certificates.services.status import ApplicationStatus, application_status
from pfdo.certificates.services.switching import (
    fulfil_switch_requests,
    request_switch,
    switch_refusal,
    withdraw_switch,
)

__all__ = [
    "CHILD_FIELDS",
    "DUPLICATE_REJECTION",
    "LOOKUP_MISS",
    "ApplicationStatus",
    "Issued",
    "PublicApplication",
    "Registered",
    "Rekeyed",
    "RunningGrant",
    "application_status",
    "apply_for_certificate",
    "apply_online",
    "approve_application",
    "can_manage",
    "cancel_certificate",
    "cancellation_text",
    "certificate_account",
    "certificate_ending",
    "clean_child",
    "expire_certificates",
    "file_in_person_application",
    "fulfil_switch_requests",
    "fund_period",
    "grant_entry",
    "grant_nominal_ahead",
    "grant_period_nominals",
    "grant_running_periods",
    "known_child",
    "look_up_certificate",
    "nominal_amount",
    "reactivate_certificate",
    "register_and_apply",
    "register_family",
    "register_parent",
    "reissue_parent_password",
    "reject_application",
    "reject_duplicate",
    "rekey_pd_hashes",
    "request_switch",
    "return_key",
    "suspend_certificate",
    "switch_refusal",
    "verify_application",
    "withdraw_switch",
]
