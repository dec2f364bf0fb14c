"""Lessons of a group (its weekly schedule) and the room check: no two lessons in one room
at once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db.models import Q

from pfdo.catalog import schedule
from pfdo.catalog.models import Group, Program, ScheduleEntry
from pfdo.catalog.services._common import authorize, ensure_not_archived, record, touch
from pfdo.catalog.services.problems import ensure_still_publishable
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.transactions import atomic_retry


def _validate_entry(entry: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    errors: dict[str, str] = {}
    if entry.get("weekday") not in ScheduleEntry.Weekday.values:
        errors[f"{prefix}weekday"] = "Выберите день недели."
    starts, ends = entry.get("starts_at"), entry.get("ends_at")
    if not isinstance(starts, dt.time):
        errors[f"{prefix}starts_at"] = "Укажите время начала."
    if not isinstance(ends, dt.time):
        errors[f"{prefix}ends_at"] = "Укажите время окончания."
    elif isinstance(starts, dt.time) and ends <= starts:
        errors[f"{prefix}ends_at"] = "Занятие должно заканчиваться позже, чем начинается."
    if entry.get("parity", ScheduleEntry.Parity.EVERY) not in ScheduleEntry.Parity.values:
        errors[f"{prefix}parity"] = "Выберите, по каким неделям занятие."
    return errors


def find_clash(
    *,
    group: Group,
    weekday: int,
    starts_at: dt.time,
    ends_at: dt.time,
    parity: str = ScheduleEntry.Parity.EVERY,
    exclude_ids: Sequence[int] = (),
) -> ScheduleEntry | None:
    """Another lesson in the same address and room at an overlapping time of the same weekday,
    in weeks that can coincide, of a group whose dates overlap this group's dates.

    The query mirrors `catalog.schedule.lessons_overlap` and `dates_overlap` (the one statement
    of the rule) in SQL: same weekday, parities that meet, times that overlap with touching
    ends allowed, date ranges that share a day with an open end reaching forever.
    """
    meeting = [
        other for other in ScheduleEntry.Parity.values if schedule.parities_meet(parity, other)
    ]
    qs = ScheduleEntry.objects.filter(
        group__address=group.address,
        group__room=group.room,
        group__module__program__archived_at=None,
        weekday=weekday,
        parity__in=meeting,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).exclude(pk__in=list(exclude_ids))
    if group.ends_on:
        qs = qs.filter(Q(group__starts_on__isnull=True) | Q(group__starts_on__lte=group.ends_on))
    if group.starts_on:
        qs = qs.filter(Q(group__ends_on__isnull=True) | Q(group__ends_on__gte=group.starts_on))
    return qs.select_related("group__module__program").order_by("pk").first()


def _clash_message(other: ScheduleEntry, group: Group) -> str:
    where = group.address + (f", каб. {group.room}" if group.room else "")
    if other.group_id == group.pk:
        return (
            f"Занятия этой группы пересекаются между собой: {other.get_weekday_display()} "
            f"{other.starts_at:%H:%M}–{other.ends_at:%H:%M} уже есть в расписании."
        )
    program = other.group.module.program
    return (
        f"Помещение ({where}) в это время занято: группа «{other.group.name}» программы "
        f"«{program.name}», {other.get_weekday_display()} "
        f"{other.starts_at:%H:%M}–{other.ends_at:%H:%M} ({other.get_parity_display()})."
    )


def add_lesson(group: Group, entry: Mapping[str, Any], prefix: str = "") -> ScheduleEntry:
    errors = _validate_entry(entry, prefix)
    if errors:
        raise ValidationFailed(fields=errors)
    parity = entry.get("parity") or ScheduleEntry.Parity.EVERY
    other = find_clash(
        group=group,
        weekday=entry["weekday"],
        starts_at=entry["starts_at"],
        ends_at=entry["ends_at"],
        parity=parity,
    )
    if other is not None:
        message = "Расписание пересекается с другими занятиями в том же помещении."
        fields = {f"{prefix}starts_at": _clash_message(other, group)}
        if other.group_id == group.pk:
            # The group's own lessons: through the API always those of the same request's
            # schedule (a new group's, or a replaced one's) — the body contradicts itself (400).
            raise ValidationFailed(message, code="schedule_clash", fields=fields)
        # Another group's lesson holds the room: the world's state (409, as in enrolment).
        raise Conflict(message, code="schedule_clash", fields=fields)
    return ScheduleEntry.objects.create(
        group=group,
        weekday=entry["weekday"],
        starts_at=entry["starts_at"],
        ends_at=entry["ends_at"],
        parity=parity,
    )


def check_group_lessons(group: Group) -> None:
    """After a group moves (address, room, dates), its lessons must not clash anywhere."""
    own = list(group.schedule.all())
    own_ids = [e.pk for e in own]
    for entry in own:
        other = find_clash(
            group=group,
            weekday=entry.weekday,
            starts_at=entry.starts_at,
            ends_at=entry.ends_at,
            parity=entry.parity,
            exclude_ids=own_ids,
        )
        if other is not None:
            # Another group's lesson holds the room the group moves to: state (409).
            raise Conflict(
                "Расписание группы пересекается с занятиями другой группы в том же помещении.",
                code="schedule_clash",
                fields={"room": _clash_message(other, group)},
            )


@atomic_retry
def add_schedule_entry(
    *,
    actor,
    group: Group,
    weekday: int,
    starts_at: dt.time,
    ends_at: dt.time,
    parity: str = ScheduleEntry.Parity.EVERY,
) -> ScheduleEntry:
    program = group.module.program
    authorize(actor, "catalog.change_program", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_not_archived(program)
    entry = add_lesson(
        group, {"weekday": weekday, "starts_at": starts_at, "ends_at": ends_at, "parity": parity}
    )
    touch(program)
    record(actor, "catalog.lesson_added", program, obj=group, lesson=str(entry))
    return entry


@atomic_retry
def delete_schedule_entry(*, actor, entry: ScheduleEntry) -> None:
    group = entry.group
    program = group.module.program
    authorize(actor, "catalog.change_program", program)
    program = Program.objects.select_for_update().get(pk=program.pk)
    ensure_not_archived(program)
    text = str(entry)
    entry.delete()
    touch(program)
    ensure_still_publishable(program)
    record(actor, "catalog.lesson_deleted", program, obj=group, lesson=text)
