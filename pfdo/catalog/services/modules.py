"""Modules of a programme: their hours, group sizes, price and normative cost."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pfdo.audit import services as audit
from pfdo.catalog.models import Group, Module, Program
from pfdo.catalog.services._common import (
    MAX_GROUP_SIZE,
    authorize,
    clean_text,
    ensure_content_editable,
    raise_edit_errors,
    record,
    touch,
    unknown_fields,
)
from pfdo.catalog.services.normative_cost import apply_normative, normative_period_for
from pfdo.catalog.services.problems import ensure_still_publishable
from pfdo.common.choices import TeacherQualification
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.transactions import atomic_retry

MODULE_FIELDS = (
    "name",
    "position",
    "duration_months",
    "hours",
    "min_children",
    "max_children",
    "teacher_qualification",
    "price_kopecks",
)
# Upper bounds far above any real module; they keep typos (and integers the database
# columns cannot hold) out, with a message instead of a database error.
MAX_MODULE_MONTHS = 120
MAX_MODULE_HOURS = 10_000
MAX_PRICE_KOPECKS = 10**12  # 10 000 000 000,00 ₽
# The relation of the two group sizes (refused by the sent one against the stored one: 409).
SIZES_ORDERED = "Наибольшее число детей не может быть меньше наименьшего."


def _validate_module(data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.get("name"):
        errors["name"] = "Укажите название модуля."
    months = data.get("duration_months")
    if months is None or months < 1:
        errors["duration_months"] = "Продолжительность — не меньше одного месяца."
    elif months > MAX_MODULE_MONTHS:
        errors["duration_months"] = f"Продолжительность — не больше {MAX_MODULE_MONTHS} месяцев."
    hours = data.get("hours")
    if hours is None or hours < 1:
        errors["hours"] = "Число часов — не меньше одного."
    elif hours > MAX_MODULE_HOURS:
        errors["hours"] = f"Число часов — не больше {MAX_MODULE_HOURS}."
    low, high = data.get("min_children"), data.get("max_children")
    if low is None or low < 1:
        errors["min_children"] = "В группе должен быть хотя бы один ребёнок."
    elif low > MAX_GROUP_SIZE:
        errors["min_children"] = f"Не больше {MAX_GROUP_SIZE} детей в группе."
    if high is None or high < 1:
        errors["max_children"] = "Укажите наибольшее число детей в группе."
    elif high > MAX_GROUP_SIZE:
        errors["max_children"] = f"Не больше {MAX_GROUP_SIZE} детей в группе."
    elif low is not None and high < low:
        errors["max_children"] = SIZES_ORDERED
    if data.get("teacher_qualification") not in TeacherQualification.values:
        errors["teacher_qualification"] = "Выберите квалификацию педагога из списка."
    price = data.get("price_kopecks")
    if price is not None and price < 0:
        errors["price_kopecks"] = "Цена не может быть отрицательной."
    elif price is not None and price > MAX_PRICE_KOPECKS:
        errors["price_kopecks"] = "Слишком большая цена: проверьте сумму."
    return errors


@atomic_retry
def add_module(
    *,
    actor,
    program: Program,
    name: str,
    duration_months: int,
    hours: int,
    max_children: int,
    min_children: int = 1,
    teacher_qualification: str = TeacherQualification.NONE,
    price_kopecks: int | None = None,
    position: int | None = None,
) -> Module:
    """A module with its normative cost computed from the period's parameters."""
    authorize(actor, "catalog.change_program", program)
    program = Program.objects.select_for_update().select_related("provider").get(pk=program.pk)
    ensure_content_editable(program)
    data = {
        "name": clean_text(name),
        "duration_months": duration_months,
        "hours": hours,
        "min_children": min_children,
        "max_children": max_children,
        "teacher_qualification": teacher_qualification,
        "price_kopecks": price_kopecks,
    }
    errors = _validate_module(data)
    if errors:
        raise ValidationFailed(fields=errors)
    if position is None:
        position = program.modules.count() + 1
    module = Module(program=program, position=position, **data)
    apply_normative(module, program, normative_period_for(program.municipality))
    module.save()
    touch(program)
    record(
        actor,
        "catalog.module_added",
        program,
        obj=module,
        price_kopecks=module.price_kopecks,
        normative_cost_kopecks=module.normative_cost_kopecks,
    )
    return module


@atomic_retry
def update_module(*, actor, module: Module, **changes: Any) -> Module:
    """Edit a module. Price and hours of a certified programme may change (the programme
    stays certified); the normative cost is recomputed from the current period."""
    program = module.program
    authorize(actor, "catalog.change_program", program)
    unknown_fields(changes, MODULE_FIELDS)
    program = Program.objects.select_for_update().select_related("provider").get(pk=program.pk)
    ensure_content_editable(program)
    module = Module.objects.get(pk=module.pk)
    if "name" in changes:
        changes["name"] = clean_text(changes["name"])
    merged = {name: getattr(module, name) for name in MODULE_FIELDS} | changes
    raise_edit_errors(
        _validate_module(merged),
        sent=changes,
        pair=("min_children", "max_children"),
        relations={SIZES_ORDERED},
    )
    changed = [name for name, value in changes.items() if getattr(module, name) != value]
    for name in changed:
        setattr(module, name, changes[name])
    # Always against the current period: a module edited after a new period is approved
    # gets that period's cost.
    apply_normative(module, program, normative_period_for(program.municipality))
    module.save()
    touch(program)
    ensure_still_publishable(program)
    record(
        actor,
        "catalog.module_updated",
        program,
        obj=module,
        fields=sorted(changed),
        price_kopecks=module.price_kopecks,
        normative_cost_kopecks=module.normative_cost_kopecks,
    )
    return module


@atomic_retry
def delete_module(*, actor, module: Module) -> None:
    program = module.program
    authorize(actor, "catalog.change_program", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_content_editable(program)
    if Group.objects.filter(module=module, seats_taken__gt=0).exists():
        raise Conflict(
            "В группах модуля есть зачисленные дети: модуль нельзя удалить.", code="module_in_use"
        )
    name, pk = module.name, module.pk
    module.delete()
    touch(program)
    ensure_still_publishable(program)
    audit.record(
        actor=actor,
        action="catalog.module_deleted",
        obj=program,
        municipality=program.municipality,
        details={"module": pk, "name": name},
    )
