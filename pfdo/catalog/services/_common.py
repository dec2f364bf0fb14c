"""Helpers shared by the catalogue's use cases: access, audit, locks and edit guards."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pfdo.audit import services as audit
from pfdo.catalog.models import Program
from pfdo.common import authz, clock
from pfdo.common.errors import Conflict, ValidationFailed

# An upper bound far above any real group; it keeps typos (and integers the database
# columns cannot hold) out, with a message instead of a database error.
MAX_GROUP_SIZE = 1_000


def authorize(actor, permission: str, obj=None) -> None:
    """`authz.authorize` for services; actor None is the system itself (demo seeding,
    management commands)."""
    if actor is not None:
        authz.authorize(actor, permission, obj)


def record(actor, action: str, program: Program, obj=None, **details: Any) -> None:
    audit.record(
        actor=actor,
        action=action,
        obj=obj if obj is not None else program,
        municipality=program.municipality,
        details={"program": program.pk, **details} if obj is not None else details,
    )


def clean_text(value: Any) -> str:
    return " ".join(str(value or "").split())


def locked(program: Program) -> Program:
    """The programme re-read under its row lock (with its provider)."""
    return Program.objects.select_for_update().select_related("provider").get(pk=program.pk)


def ensure_not_archived(program: Program) -> None:
    if program.archived_at is not None:
        raise Conflict("Программа в архиве: изменения недоступны.", code="program_archived")


def ensure_content_editable(program: Program) -> None:
    ensure_not_archived(program)
    if program.certification_status == Program.Certification.SUBMITTED:
        raise Conflict(
            "Программа на сертификации: эксперты оценивают отправленную версию. Чтобы внести "
            "изменения, верните программу в черновик.",
            code="program_under_certification",
        )


def touch(program: Program) -> None:
    program.updated_at = clock.now()
    program.save(update_fields=["updated_at"])


def unknown_fields(changes: Mapping[str, Any], allowed: Sequence[str]) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValidationFailed(fields={name: "Это поле нельзя изменить." for name in unknown})


def raise_edit_errors(
    errors: Mapping[str, str],
    *,
    sent: Collection[str],
    pair: tuple[str, str],
    relations: Collection[str],
) -> None:
    """Refuse an edit checked as a whole (the sent fields over the stored ones).

    What the body alone earns is a 400: a value refused in itself, or a relation of the `pair`
    (dates, bounds) when both of its fields were sent. What only the stored values earn — the
    pair's relation broken by the one field sent against the other's stored value, a stored
    value refused as it is — is the object's state: 409 `conflicts_with_current` (a schema
    cannot say "the value it has now"). The 400 comes first: the client's own mistake is named
    before the state.
    """
    own, state = {}, {}
    both_sent = set(pair) <= set(sent)
    for name, message in errors.items():
        in_body = both_sent if message in relations else name in sent
        (own if in_body else state)[name] = message
    if own:
        raise ValidationFailed(fields=own)
    if state:
        raise Conflict(next(iter(state.values())), code="conflicts_with_current", fields=state)
