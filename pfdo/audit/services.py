"""Writing audit rows. Called by other apps' services inside their transactions."""

from __future__ import annotations

from typing import Any

from django.db import models

from pfdo.audit.models import ActionLog, PersonalDataAccess
from pfdo.common import context

# Raw personal identifiers and secrets must never reach a log.
FORBIDDEN_DETAIL_KEYS = frozenset(
    {"snils", "document", "document_number", "passport", "birth_certificate", "password", "token"}
)


class UnsafeAuditDetails(ValueError):
    """A caller tried to log a raw identifier or secret."""


def _check_details(details: dict[str, Any]) -> None:
    for key, value in details.items():
        if key.lower() in FORBIDDEN_DETAIL_KEYS:
            raise UnsafeAuditDetails(f"audit details may not contain {key!r}")
        if isinstance(value, dict):
            _check_details(value)


def _object_ref(obj: models.Model | None) -> dict[str, str]:
    if obj is None:
        return {"object_type": "", "object_id": "", "object_repr": ""}
    return {
        "object_type": obj._meta.label_lower,
        "object_id": str(obj.pk),
        "object_repr": str(obj)[:200],
    }


def _actor(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    on_behalf_of=None,
    municipality=None,
    details: dict[str, Any] | None = None,
) -> ActionLog:
    """Append one row to the action history (actor None = the system itself)."""
    row = entry(
        actor=actor,
        action=action,
        obj=obj,
        on_behalf_of=on_behalf_of,
        municipality=municipality,
        details=details,
    )
    row.save(force_insert=True)
    return row


def entry(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    on_behalf_of=None,
    municipality=None,
    details: dict[str, Any] | None = None,
) -> ActionLog:
    """`record`'s row, unsaved: for a caller that writes it with others in one round trip
    (`common.batch.insert_rows`) inside the same transaction."""
    details = details or {}
    _check_details(details)
    return ActionLog(
        actor=_actor(actor),
        on_behalf_of=_actor(on_behalf_of),
        action=action,
        municipality=municipality,
        ip=context.current().ip,
        details=details,
        **_object_ref(obj),
    )


def log_personal_data_access(
    *, actor, subject: models.Model, purpose: str, municipality=None
) -> PersonalDataAccess:
    """Append one row to the personal-data access log: `actor` read `subject`'s card."""
    return PersonalDataAccess.objects.create(
        actor=_actor(actor),
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        purpose=purpose,
        municipality=municipality,
        ip=context.current().ip,
    )


def record_rate_limited(*, actor, municipality, limit: str, scope: str, wait: int) -> None:
    """The audit app's handler of `common.ratelimit.refused`: one row per refusal, with the
    actor and address (the key counted is not written: it may be an e-mail or a login)."""
    record(
        actor=actor,
        action="rate_limited",
        municipality=municipality,
        details={"limit": limit, "scope": scope, "wait_seconds": wait},
    )
