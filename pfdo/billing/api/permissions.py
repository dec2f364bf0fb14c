"""Which roles may call each billing API operation at all (django-rules).

Only the role is checked here; which objects a user sees comes from `for_user` (a foreign
object answers 404), and whose document a user may act on is decided by the services
(another provider's or municipality's — 403).
"""

from __future__ import annotations

import rules

from pfdo.accounts.rules import (
    is_operator,
    is_parent,
    is_payer,
    is_provider_staff,
    is_regional_admin,
)

is_billing_official = is_operator | is_payer | is_regional_admin | rules.is_superuser

# The journal: lessons and attendance marks of the provider's own groups.
KEEP_JOURNAL = "billing.api_keep_journal"
# Attendance marks: the provider, the officials, the child's parents.
VIEW_ATTENDANCE = "billing.api_view_attendance"
# Advance requests, invoices, payments.
VIEW_DOCUMENTS = "billing.api_view_documents"
# Build a document: the provider's staff or the payer.
BUILD_DOCUMENT = "billing.api_build_document"
SUBMIT_DOCUMENT = "billing.api_submit_document"
# Accept, reject, record a payment, run the month: the payer.
DECIDE = "billing.api_decide"
RECONCILE = "billing.api_reconcile"

rules.add_perm(KEEP_JOURNAL, is_provider_staff | rules.is_superuser)
rules.add_perm(VIEW_ATTENDANCE, is_parent | is_provider_staff | is_billing_official)
rules.add_perm(VIEW_DOCUMENTS, is_provider_staff | is_billing_official)
rules.add_perm(BUILD_DOCUMENT, is_provider_staff | is_payer | rules.is_superuser)
rules.add_perm(SUBMIT_DOCUMENT, is_provider_staff | rules.is_superuser)
rules.add_perm(DECIDE, is_payer | rules.is_superuser)
rules.add_perm(RECONCILE, is_billing_official)
