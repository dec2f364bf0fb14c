"""The operator places a programme in a budget registry or marks it paid-only."""

from __future__ import annotations

from pfdo.catalog.models import Program
from pfdo.catalog.services._common import authorize, ensure_not_archived, locked, record
from pfdo.catalog.services.problems import ensure_still_publishable
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.transactions import atomic_retry


@atomic_retry
def set_registries(
    *,
    actor,
    program: Program,
    budget_registry: str | None = None,
    paid_only: bool | None = None,
) -> Program:
    """The operator places the programme in a budget registry and/or marks it paid-only
    (None keeps the current value)."""
    authorize(actor, "catalog.set_registry", program)
    program = locked(program)
    ensure_not_archived(program)
    registry_sent, paid_only_sent = budget_registry is not None, paid_only is not None
    if budget_registry is None:
        budget_registry = program.budget_registry
    if paid_only is None:
        paid_only = program.paid_only
    if budget_registry not in Program.BudgetRegistry.values:
        raise ValidationFailed(fields={"budget_registry": "Выберите реестр из списка."})
    if paid_only and budget_registry != Program.BudgetRegistry.NONE:
        message = "Программа бюджетного реестра не может быть только платной."
        if registry_sent and paid_only_sent:
            # Both in the body: the request contradicts itself (400).
            raise ValidationFailed(fields={"paid_only": message})
        # One sent, refused by the other's stored value: the programme's state (409).
        field = "paid_only" if paid_only_sent else "budget_registry"
        raise Conflict(message, code="paid_only_refused", fields={field: message})
    if paid_only and program.certification_status in (
        Program.Certification.SUBMITTED,
        Program.Certification.CERTIFIED,
    ):
        # Refused by the programme's certification, whatever the body: its state (409).
        message = (
            "Сертифицированная программа (или программа на сертификации) "
            "не может быть только платной."
        )
        raise Conflict(message, code="paid_only_refused", fields={"paid_only": message})
    before = {"budget_registry": program.budget_registry, "paid_only": program.paid_only}
    program.budget_registry = budget_registry
    program.paid_only = paid_only
    program.save(update_fields=["budget_registry", "paid_only"])
    ensure_still_publishable(program)
    record(
        actor,
        "catalog.registry_set",
        program,
        before=before,
        budget_registry=budget_registry,
        paid_only=paid_only,
    )
    return program
