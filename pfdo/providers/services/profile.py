"""The provider's own card: its admin edits it; after inclusion the legal identity is locked
and the bank details change only through a request the operator approves (`bank_details`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from pfdo.audit import services as audit
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.transactions import atomic_retry
from pfdo.providers.models import (
    BANK_FIELDS,
    LOCKED_AFTER_INCLUSION,
    PROFILE_FIELDS,
    Provider,
)
from pfdo.providers.services._common import authorize, lock
from pfdo.providers.services.bank_details import USE_A_REQUEST
from pfdo.providers.services.validation import (
    DUPLICATE_INN,
    normalise_profile,
    only_error,
    profile_errors,
)

Status = Provider.Status


@atomic_retry
def update_profile(*, actor, provider: Provider, changes: Mapping[str, Any]) -> Provider:
    """The provider admin edits the card. After inclusion the legal identity is locked."""
    authorize(
        actor,
        "providers.change_provider",
        provider,
        "Карточку организации меняет её администратор.",
    )
    provider = lock(provider)
    if provider.status == Status.EXCLUDED:
        raise Conflict(
            "Поставщик исключён из реестра: карточку изменить нельзя.", code="invalid_status"
        )
    data = normalise_profile(changes)
    changed = {k: v for k, v in data.items() if getattr(provider, k) != v}
    if not changed:
        return provider
    if provider.identity_locked:
        locked = {
            name: "После включения в реестр ИНН, ОГРН и организационно-правовая форма "
            "не меняются. Если они изменились, обратитесь к оператору."
            for name in LOCKED_AFTER_INCLUSION
            if name in changed
        }
        # A change the provider's state refuses, whatever the value: 409 with the fields, as a
        # locked period's money fields (a schema cannot say "the value it has now"). Before the
        # checks of the card as a whole, which read the stored fields beside the sent ones.
        if locked:
            raise Conflict("Эти сведения изменить нельзя.", code="identity_locked", fields=locked)
    if provider.bank_details_locked:
        bank = {name: USE_A_REQUEST for name in BANK_FIELDS if name in changed}
        if bank:
            raise Conflict(USE_A_REQUEST, code="bank_details_locked", fields=bank)
    merged = {name: getattr(provider, name) for name in PROFILE_FIELDS} | data
    errors = profile_errors(merged, municipality=provider.municipality, provider_pk=provider.pk)
    if only_error(errors, "inn", DUPLICATE_INN):
        # A well-formed ИНН another provider of the municipality holds: 409, as the race below.
        raise Conflict(DUPLICATE_INN, code="duplicate_inn", fields=errors)
    if errors:
        raise ValidationFailed(fields=errors)
    old_bank = provider.bank_details
    for name, value in changed.items():
        setattr(provider, name, value)
    try:
        with transaction.atomic():
            provider.save(update_fields=list(changed))
    except IntegrityError as exc:
        raise Conflict(DUPLICATE_INN, code="duplicate_inn", fields={"inn": DUPLICATE_INN}) from exc
    audit.record(
        actor=actor,
        action="providers.profile_updated",
        obj=provider,
        municipality=provider.municipality,
        details={"fields": sorted(changed), **_bank_change(old_bank, provider.bank_details)},
    )
    return provider


def _bank_change(old: dict[str, str], new: dict[str, str]) -> dict:
    """Old and new bank details for the history when an applicant edits them before
    inclusion (bank details are the organisation's, not personal data)."""
    return {"bank": {"old": old, "new": new}} if old != new else {}
