"""Who may do what in billing (django-rules): the journal and the provider's documents are its
staff's, decisions and payments the municipality's payer's, reading the officials', the
period close the operator's, a child's attendance the family's.

Object predicates take a billing object (lesson, document, payment), a group, a provider, a
municipality, a financing period or a contract. Without an object (the API's class-level
check, a page's entry) they let the role through and the object-level check decides later;
which rows a user sees at all comes from `for_user`.
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
from pfdo.certificates.models import Guardianship
from pfdo.financing.rules import manages_municipality
from pfdo.providers.models import staffed_provider_ids


def _label(obj) -> str:
    return obj._meta.label_lower


def _provider_id(obj) -> int | None:
    """The provider a document, payment, lesson, group or provider belongs to."""
    if hasattr(obj, "provider_id"):
        return obj.provider_id
    if _label(obj) == "providers.provider":
        return obj.pk
    group = getattr(obj, "group", None) if _label(obj) == "billing.lesson" else obj
    module = getattr(group, "module", None)
    if module is not None:
        return module.program.provider_id
    return None


def _municipality(obj):
    """The municipality a document, payment, provider or period belongs to (or itself)."""
    if _label(obj) == "territory.municipality":
        return obj
    return getattr(obj, "municipality", None)


@rules.predicate
def staffs_provider_of(user, obj) -> bool:
    """`user` is active staff of the object's provider."""
    if obj is None:
        return True
    provider_id = _provider_id(obj)
    return provider_id is not None and provider_id in staffed_provider_ids(user)


@rules.predicate
def pays_for_municipality_of(user, obj) -> bool:
    """`user` is the payer of the object's municipality."""
    if obj is None:
        return True
    municipality = _municipality(obj)
    return municipality is not None and municipality.pk in user.municipality_ids_for("payer")


@rules.predicate
def reads_municipality_of(user, obj) -> bool:
    """`user` is an operator or payer of the object's municipality, or its region's admin."""
    if obj is None:
        return True
    municipality = _municipality(obj)
    if municipality is None:
        return False
    return municipality.pk in user.municipality_ids_for(
        "operator", "payer"
    ) or municipality.region_id in user.region_ids_for("regional_admin")


@rules.predicate
def manages_municipality_of(user, obj) -> bool:
    """`user` is the operator (regional administrator) of the object's municipality."""
    if obj is None:
        return True
    return manages_municipality(user, _municipality(obj))


@rules.predicate
def is_guardian_of(user, contract) -> bool:
    """`user` is a legal guardian of the contract's child."""
    if contract is None:
        return True
    return Guardianship.objects.filter(user=user, child_id=contract.child_id).exists()


is_billing_official = is_operator | is_payer | is_regional_admin
is_provider = is_provider_staff & staffs_provider_of
is_the_payer = is_payer & pays_for_municipality_of
# A superuser acts for any provider and any payer in billing (support and corrections);
# not as a family: the child's page stays the guardians'.
is_superuser = rules.is_superuser

# Pages: the provider's billing, the officials' billing, the payer's month run.
rules.add_perm("billing.provider_pages", is_provider_staff | is_superuser)
rules.add_perm("billing.official_pages", is_billing_official | is_superuser)
rules.add_perm("billing.payer_pages", is_payer | is_superuser)
# The journal: lessons and attendance marks of the provider's own groups.
rules.add_perm("billing.keep_journal", is_provider | is_superuser)
# Attendance marks: the provider, the officials, the child's parents (rows by `for_user`).
rules.add_perm(
    "billing.view_attendance", (is_parent | is_provider_staff | is_billing_official) | is_superuser
)
# A child's marks and charges on the family's page.
rules.add_perm("billing.view_child_billing", is_parent & is_guardian_of)
# Advance requests, invoices, payments.
rules.add_perm(
    "billing.view_documents",
    (is_provider | (is_billing_official & reads_municipality_of)) | is_superuser,
)
# Build a document: the provider's staff or the payer of its municipality.
rules.add_perm("billing.build_document", (is_provider | is_the_payer) | is_superuser)
rules.add_perm("billing.submit_document", is_provider | is_superuser)
# Accept, reject, record a payment, run the month: the payer of the municipality.
rules.add_perm("billing.decide", is_the_payer | is_superuser)
rules.add_perm("billing.reconcile", (is_billing_official & reads_municipality_of) | is_superuser)
rules.add_perm(
    "billing.close_period",
    ((is_operator | is_regional_admin) & manages_municipality_of) | is_superuser,
)
