"""Groups of a module: where and when they study, how many places they have."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from pfdo.catalog.models import Group, Module, Program
from pfdo.catalog.services._common import (
    MAX_GROUP_SIZE,
    authorize,
    clean_text,
    ensure_not_archived,
    raise_edit_errors,
    record,
    touch,
    unknown_fields,
)
from pfdo.catalog.services.lessons import add_lesson, check_group_lessons
from pfdo.catalog.services.problems import ensure_still_publishable
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.times import YEARS_2000_2100
from pfdo.common.transactions import atomic_retry

GROUP_FIELDS = (
    "name",
    "teacher_name",
    "address",
    "room",
    "starts_on",
    "ends_on",
    "capacity",
    "enrolment_open",
)
MAX_GROUP_SPAN_DAYS = 3 * 366


# The relations of the two dates (refused by the sent one against the stored one: 409).
BOTH_DATES = "Укажите обе даты: начало и окончание."
START_YEAR = "Проверьте год начала занятий."
DATES_ORDERED = "Окончание занятий должно быть позже начала."
SPAN_TOO_LONG = "Группа не может заниматься дольше трёх лет: проверьте даты."
DATE_RELATIONS = frozenset({BOTH_DATES, DATES_ORDERED, SPAN_TOO_LONG})


def _validate_group(data: Mapping[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not data.get("name"):
        errors["name"] = "Укажите название группы."
    if not data.get("address"):
        errors["address"] = "Укажите адрес занятий."
    capacity = data.get("capacity")
    if capacity is None or capacity < 1:
        errors["capacity"] = "В группе должно быть хотя бы одно место."
    elif capacity > MAX_GROUP_SIZE:
        errors["capacity"] = f"Не больше {MAX_GROUP_SIZE} мест в группе."
    starts, ends = data.get("starts_on"), data.get("ends_on")
    if (starts is None) != (ends is None):
        errors["ends_on" if ends is None else "starts_on"] = BOTH_DATES
    elif starts and ends:
        if ends <= starts:
            errors["ends_on"] = DATES_ORDERED
        elif (ends - starts).days > MAX_GROUP_SPAN_DAYS:
            errors["ends_on"] = SPAN_TOO_LONG
        elif not YEARS_2000_2100[0] <= starts.year <= YEARS_2000_2100[1]:
            errors["starts_on"] = START_YEAR
    return errors


def _group_data(data: dict[str, Any], program: Program) -> dict[str, Any]:
    for name in ("name", "teacher_name", "address", "room"):
        if name in data:
            data[name] = clean_text(data[name])
    if "address" in data and not data["address"]:
        data["address"] = program.address
    return data


@atomic_retry
def add_group(
    *,
    actor,
    module: Module,
    name: str,
    capacity: int,
    address: str = "",
    room: str = "",
    teacher_name: str = "",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    enrolment_open: bool = True,
    schedule: Sequence[Mapping[str, Any]] = (),
) -> Group:
    """A group of a module (address defaults to the programme's), with its lessons."""
    program = module.program
    authorize(actor, "catalog.change_program", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_not_archived(program)
    data = _group_data(
        {
            "name": name,
            "teacher_name": teacher_name,
            "address": address,
            "room": room,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "capacity": capacity,
            "enrolment_open": enrolment_open,
        },
        program,
    )
    errors = _validate_group(data)
    if errors:
        raise ValidationFailed(fields=errors)
    group = Group.objects.create(module=module, **data)
    for index, entry in enumerate(schedule):
        add_lesson(group, entry, prefix=f"schedule.{index}.")
    touch(program)
    record(actor, "catalog.group_added", program, obj=group, lessons=len(schedule))
    return group


@atomic_retry
def update_group(
    *,
    actor,
    group: Group,
    schedule: Sequence[Mapping[str, Any]] | None = None,
    **changes: Any,
) -> Group:
    """Edit a group; `schedule` given replaces all its lessons (checked for clashes)."""
    program = group.module.program
    authorize(actor, "catalog.change_program", program)
    unknown_fields(changes, GROUP_FIELDS)
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_not_archived(program)
    group = Group.objects.select_for_update().get(pk=group.pk)
    data = _group_data(dict(changes), program)
    merged = {name: getattr(group, name) for name in GROUP_FIELDS} | data
    raise_edit_errors(
        _validate_group(merged),
        sent=data,
        pair=("starts_on", "ends_on"),
        relations=DATE_RELATIONS,
    )
    if merged["capacity"] < group.seats_taken:
        # A well-formed number below the children already enrolled: the group's state (409).
        message = f"В группе уже занято мест: {group.seats_taken}. Мест не может быть меньше."
        raise Conflict(message, code="seats_taken", fields={"capacity": message})
    changed = [name for name, value in data.items() if getattr(group, name) != value]
    for name in changed:
        setattr(group, name, data[name])
    if changed:
        group.save(update_fields=changed)
    if schedule is not None:
        group.schedule.all().delete()
        for index, entry in enumerate(schedule):
            add_lesson(group, entry, prefix=f"schedule.{index}.")
    elif {"address", "room", "starts_on", "ends_on"}.intersection(changed):
        check_group_lessons(group)
    touch(program)
    ensure_still_publishable(program)
    record(
        actor,
        "catalog.group_updated",
        program,
        obj=group,
        fields=sorted(changed),
        schedule_replaced=schedule is not None,
    )
    return group
