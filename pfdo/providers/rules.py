"""Who may act on providers: officials decide on the registry, the provider admin runs the card.

Each predicate takes an optional provider. Without one it answers for the role (so an API
action can be refused before the object is looked up); with one it answers for that provider.
"""

from __future__ import annotations

import rules

from pfdo.common.choices import LegalForm
from pfdo.providers.models import (
    BankDetailsChange,
    Provider,
    ProviderStaff,
    staffed_provider_ids,
)


def _authenticated(user) -> bool:
    return bool(user and user.is_authenticated)


def _in_official_scope(user, provider: Provider, *roles: str) -> bool:
    if provider.municipality_id in user.municipality_ids_for(*roles):
        return True
    regions = user.region_ids_for("regional_admin")
    return bool(regions) and provider.municipality.region_id in regions


@rules.predicate
def is_registry_official(user, provider: Provider | None = None) -> bool:
    """The operator of the provider's municipality, its regional administrator, a superuser."""
    if not _authenticated(user):
        return False
    if user.is_superuser:
        return True
    if provider is None:
        return user.has_role("operator", "regional_admin")
    return _in_official_scope(user, provider, "operator")


@rules.predicate
def is_payer_of(user, provider: Provider | None = None) -> bool:
    """The payer of the provider's municipality (pays it, so sees its bank details)."""
    if not _authenticated(user):
        return False
    if provider is None:
        return user.has_role("payer")
    return provider.municipality_id in user.municipality_ids_for("payer")


@rules.predicate
def is_staff_of(user, provider: Provider | None = None) -> bool:
    if not _authenticated(user):
        return False
    if not user.has_role("provider_staff"):
        return False  # no query for everyone else (lists check this per row)
    if provider is None:
        return True
    return provider.pk in staffed_provider_ids(user)


@rules.predicate
def is_admin_of(user, provider: Provider | None = None) -> bool:
    if not _authenticated(user):
        return False
    if not any(m.is_provider_admin for m in user.active_memberships):
        return False
    if provider is None:
        return True
    return ProviderStaff.objects.filter(
        provider=provider, user=user, is_active=True, is_admin=True
    ).exists()


@rules.predicate
def is_operator_of(user, provider: Provider | None = None) -> bool:
    """The operator of the provider's municipality only: not the regional administrator, not
    a superuser. A change of bank details is the municipality's own decision on its money."""
    if not _authenticated(user):
        return False
    if provider is None:
        return user.has_role("operator")
    return provider.municipality_id in user.municipality_ids_for("operator")


def _of_change(predicate):
    """The predicate asked of the request's provider (or of the role, without a request)."""

    def test(user, change: BankDetailsChange | None = None) -> bool:
        return predicate.test(user, change.provider if change is not None else None)

    return rules.predicate(test, name=f"{predicate.name}_of_change")


@rules.predicate
def is_organisation(user, provider: Provider | None = None) -> bool:
    """A legal person: its legal address is public registry data. An ИП's legal address is
    where the entrepreneur lives (down to the flat); only those who deal with the ИП see it,
    the public sees its address of activity."""
    return provider is not None and provider.legal_form != LegalForm.IP


rules.add_perm("providers.apply", rules.always_allow)
rules.add_perm("providers.list_registry", is_registry_official)
rules.add_perm("providers.decide", is_registry_official)
rules.add_perm("providers.set_enrolment_limit", is_registry_official)
rules.add_perm("providers.view_confidential", is_registry_official | is_payer_of | is_staff_of)
rules.add_perm(
    "providers.view_legal_address",
    is_organisation | is_registry_official | is_payer_of | is_staff_of,
)
rules.add_perm("providers.view_own_organisation", is_staff_of)
rules.add_perm("providers.change_provider", is_admin_of)
rules.add_perm("providers.view_staff", is_admin_of | is_registry_official)
rules.add_perm("providers.manage_staff", is_admin_of)
# Bank details: the admin asks (on a provider), the operator decides (on a request).
rules.add_perm("providers.request_bank_change", is_admin_of)
rules.add_perm("providers.list_bank_changes", is_registry_official | is_payer_of | is_admin_of)
rules.add_perm("providers.review_bank_changes", is_registry_official | is_payer_of)
rules.add_perm(
    "providers.view_bank_change",
    _of_change(is_registry_official) | _of_change(is_payer_of) | _of_change(is_admin_of),
)
rules.add_perm("providers.decide_bank_change", _of_change(is_operator_of))
rules.add_perm("providers.withdraw_bank_change", _of_change(is_admin_of))
