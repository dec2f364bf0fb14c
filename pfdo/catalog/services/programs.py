"""The programme card: a provider creates a draft and edits it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pfdo.catalog.models import Program
from pfdo.catalog.services._common import (
    authorize,
    clean_text,
    ensure_content_editable,
    raise_edit_errors,
    record,
    unknown_fields,
)
from pfdo.catalog.services.normative_cost import recompute_program_modules
from pfdo.catalog.services.problems import ensure_still_publishable
from pfdo.common import clock
from pfdo.common.choices import Direction, StudyForm
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.transactions import atomic_retry
from pfdo.providers.models import Provider

MAX_AGE_MONTHS = 18 * 12 + 11  # "до 18 лет включительно"
# The relations of the two age bounds (refused by the sent one against the stored one: 409).
BOTH_AGES = "Укажите обе границы возраста."
AGES_ORDERED = "Верхняя граница возраста не может быть меньше нижней."
AGE_RELATIONS = frozenset({BOTH_AGES, AGES_ORDERED})

# Fields of the programme card a provider edits.
PROGRAM_FIELDS = (
    "name",
    "direction",
    "kind",
    "level",
    "form",
    "age_from_months",
    "age_to_months",
    "description",
    "goals",
    "expected_results",
    "address",
    "district",
    "medical_certificate_required",
    "for_disabled",
    "network_form",
)
# Changing these changes the normative cost of every module of the programme.
NORMATIVE_PROGRAM_FIELDS = frozenset({"direction", "form", "for_disabled", "network_form"})
# A provider out of the registry (or never let in) starts no new programmes.
CLOSED_PROVIDER_STATUSES = (Provider.Status.EXCLUDED, Provider.Status.REJECTED)


def _validate_program(data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if "name" in data and not data["name"]:
        errors["name"] = "Укажите название программы."
    choices = {
        "direction": (Direction.values, "Выберите направленность из списка."),
        "kind": (Program.Kind.values, "Выберите вид программы из списка."),
        "level": (Program.Level.values, "Выберите уровень из списка."),
        "form": (StudyForm.values, "Выберите форму обучения из списка."),
    }
    for name, (values, message) in choices.items():
        if name in data and data[name] not in values:
            errors[name] = message
    low, high = data.get("age_from_months"), data.get("age_to_months")
    for name, value in (("age_from_months", low), ("age_to_months", high)):
        if value is not None and not 0 <= value <= MAX_AGE_MONTHS:
            errors[name] = "Возраст указывается от 0 до 18 лет включительно."
    if (low is None) != (high is None):
        missing = "age_to_months" if high is None else "age_from_months"
        errors.setdefault(missing, BOTH_AGES)
    if low is not None and high is not None and "age_to_months" not in errors and high < low:
        errors["age_to_months"] = AGES_ORDERED
    return errors


def _normalise_program(data: dict[str, Any]) -> dict[str, Any]:
    for name in ("name", "address", "district"):
        if name in data:
            data[name] = clean_text(data[name])
    for name in ("description", "goals", "expected_results"):
        if name in data:
            data[name] = (data[name] or "").strip()
    return data


@atomic_retry
def create_program(
    *,
    actor,
    provider,
    name: str,
    direction: str,
    kind: str = Program.Kind.GENERAL,
    level: str = Program.Level.STARTING,
    form: str = StudyForm.FULL_TIME,
    age_from_months: int | None = None,
    age_to_months: int | None = None,
    description: str = "",
    goals: str = "",
    expected_results: str = "",
    address: str = "",
    district: str = "",
    medical_certificate_required: bool = False,
    for_disabled: bool = False,
    network_form: bool = False,
) -> Program:
    """A draft programme of `provider`, in the provider's municipality."""
    authorize(actor, "catalog.add_program", provider)
    if provider.status in CLOSED_PROVIDER_STATUSES:
        raise Conflict(
            "Поставщик исключён из реестра или не включён в него: новые программы недоступны.",
            code="provider_inactive",
        )
    data = _normalise_program(
        {
            "name": name,
            "direction": direction,
            "kind": kind,
            "level": level,
            "form": form,
            "age_from_months": age_from_months,
            "age_to_months": age_to_months,
            "description": description,
            "goals": goals,
            "expected_results": expected_results,
            "address": address,
            "district": district,
            "medical_certificate_required": medical_certificate_required,
            "for_disabled": for_disabled,
            "network_form": network_form,
        }
    )
    errors = _validate_program(data)
    if errors:
        raise ValidationFailed(fields=errors)
    now = clock.now()
    program = Program.objects.create(
        provider=provider,
        municipality=provider.municipality,
        created_at=now,
        updated_at=now,
        **data,
    )
    record(actor, "catalog.program_created", program, name=program.name)
    return program


@atomic_retry
def update_program(*, actor, program: Program, **changes: Any) -> Program:
    """Edit the card. A certified programme stays certified; its modules' normative costs are
    recomputed when a factor of the cost changes. A published one must stay complete."""
    authorize(actor, "catalog.change_program", program)
    unknown_fields(changes, PROGRAM_FIELDS)
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_content_editable(program)
    data = _normalise_program(dict(changes))
    merged = {
        "age_from_months": program.age_from_months,
        "age_to_months": program.age_to_months,
        **data,
    }
    raise_edit_errors(
        _validate_program(merged),
        sent=data,
        pair=("age_from_months", "age_to_months"),
        relations=AGE_RELATIONS,
    )
    changed = [name for name, value in data.items() if getattr(program, name) != value]
    if not changed:
        return program
    for name in changed:
        setattr(program, name, data[name])
    program.updated_at = clock.now()
    program.save(update_fields=[*changed, "updated_at"])
    if NORMATIVE_PROGRAM_FIELDS.intersection(changed):
        recompute_program_modules(program)
    ensure_still_publishable(program)
    record(
        actor,
        "catalog.program_updated",
        program,
        fields=sorted(changed),
        certified=program.is_certified,
    )
    return program
