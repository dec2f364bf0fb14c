"""The attendance journal: a group's lessons of a month from its schedule, cancelling,
restoring and moving lessons, and marking who came."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pfdo.audit import services as audit
from pfdo.billing import calculation as calc
from pfdo.billing.models import Attendance, Lesson
from pfdo.billing.selectors import active_window, journal_locked_by
from pfdo.billing.services._common import _staff_only
from pfdo.catalog.models import Group
from pfdo.common import clock
from pfdo.common.errors import Conflict, ValidationFailed
from pfdo.common.months import month_end, month_start
from pfdo.common.transactions import atomic_retry
from pfdo.enrolment.models import Contract

__all__ = ["cancel_lesson", "ensure_lessons", "mark_attendance", "move_lesson", "restore_lesson"]


def _schedule_rows(group: Group, month: dt.date) -> list[Lesson]:
    """The lessons the group's schedule puts in `month`, inside the group's dates."""
    entries = list(group.schedule.order_by("weekday", "starts_at"))
    first = max(month, group.starts_on or month)
    last = min(month_end(month), group.ends_on or month_end(month))
    rows = []
    for day, index in calc.schedule_dates([(e.weekday, e.parity) for e in entries], first, last):
        entry = entries[index]
        rows.append(
            Lesson(
                group=group,
                scheduled_on=day,
                scheduled_at=entry.starts_at,
                held_on=day,
                starts_at=entry.starts_at,
                ends_at=entry.ends_at,
            )
        )
    return rows


def ensure_lessons(*, group: Group, month: dt.date) -> list[Lesson]:
    """The journal of a group for a month: lessons from the schedule, written once."""
    month = month_start(month)
    Lesson.objects.bulk_create(_schedule_rows(group, month), ignore_conflicts=True)
    return list(
        Lesson.objects.filter(
            group=group, held_on__gte=month, held_on__lte=month_end(month)
        ).order_by("held_on", "starts_at")
    )


def _lock_lesson(actor, lesson: Lesson) -> Lesson:
    locked = (
        Lesson.objects.select_for_update(of=("self",))
        .select_related("group__module__program")
        .get(pk=lesson.pk)
    )
    provider_id = locked.group.module.program.provider_id
    _staff_only(actor, "billing.keep_journal", locked, provider_id, "Вести журнал")
    return locked


def _ensure_month_open(lesson: Lesson, *days: dt.date) -> None:
    """Once the month's invoice is with the payer, its journal is evidence: no changes (a
    month billed ahead: once its correction is)."""
    provider_id = lesson.group.module.program.provider_id
    months = {month_start(d) for d in days}
    taken = journal_locked_by(provider_id, months)
    if taken is not None:
        raise Conflict(
            f"{taken.label} уже {'подана' if taken.is_correction else 'подан'}: журнал этого "
            "месяца изменить нельзя.",
            code="month_invoiced",
        )


@atomic_retry
def cancel_lesson(*, actor, lesson: Lesson, reason: str = "") -> Lesson:
    locked = _lock_lesson(actor, lesson)
    _ensure_month_open(locked, locked.held_on)
    if locked.attendance.filter(present=True).exists():
        raise Conflict(
            "На занятии уже отмечены присутствующие: сначала снимите отметки.",
            code="lesson_attended",
        )
    locked.cancel(reason=reason)
    locked.save(update_fields=["status", "note"])
    locked.attendance.all().delete()
    audit.record(actor=actor, action="billing.lesson_cancelled", obj=locked)
    return locked


@atomic_retry
def restore_lesson(*, actor, lesson: Lesson) -> Lesson:
    locked = _lock_lesson(actor, lesson)
    _ensure_month_open(locked, locked.held_on)
    locked.restore()
    locked.save(update_fields=["status", "note"])
    audit.record(actor=actor, action="billing.lesson_restored", obj=locked)
    return locked


@atomic_retry
def move_lesson(
    *, actor, lesson: Lesson, held_on: dt.date, starts_at: dt.time, ends_at: dt.time
) -> Lesson:
    locked = _lock_lesson(actor, lesson)
    if ends_at <= starts_at:
        # The body contradicts itself (400).
        raise ValidationFailed(
            fields={"ends_at": "Занятие должно заканчиваться позже, чем начинается."}
        )
    group = locked.group
    if (group.starts_on and held_on < group.starts_on) or (
        group.ends_on and held_on > group.ends_on
    ):
        # A well-formed date the group's stored dates refuse: its state (409).
        message = "Дата вне сроков занятий группы."
        raise Conflict(message, code="outside_group_dates", fields={"held_on": message})
    _ensure_month_open(locked, locked.held_on, held_on)
    if locked.attendance.exists() and month_start(held_on) != month_start(locked.held_on):
        raise Conflict(
            "По занятию уже отмечена посещаемость: перенести его в другой месяц нельзя.",
            code="lesson_attended",
        )
    old = f"{locked.held_on:%d.%m.%Y} {locked.starts_at:%H:%M}"
    locked.held_on, locked.starts_at, locked.ends_at = held_on, starts_at, ends_at
    locked.save(update_fields=["held_on", "starts_at", "ends_at"])
    audit.record(
        actor=actor,
        action="billing.lesson_moved",
        obj=locked,
        details={"from": old, "to": f"{held_on:%d.%m.%Y} {starts_at:%H:%M}"},
    )
    return locked


def _contracts_not_in_force(lesson: Lesson, contract_ids) -> list[str]:
    contracts = {
        c.pk: c
        for c in Contract.objects.filter(pk__in=list(contract_ids), group_id=lesson.group_id)
        .exclude(status__in=[Contract.Status.OFFERED, Contract.Status.DECLINED])
        .exclude(status=Contract.Status.EXPIRED)
    }
    month = month_start(lesson.held_on)
    bad = []
    for contract_id in contract_ids:
        contract = contracts.get(contract_id)
        window = active_window(contract, month) if contract else None
        if window is None or not window[0] <= lesson.held_on <= window[1]:
            bad.append(str(contract_id))
    return bad


@atomic_retry
def mark_attendance(*, actor, lesson: Lesson, marks: Mapping[int, bool]) -> int:
    """Set present/absent for children (by contract id) of the lesson's group. All or nothing.

    Only children whose contract was in force on the lesson's day; only lessons already held.
    """
    locked = _lock_lesson(actor, lesson)
    if locked.is_cancelled:
        raise Conflict("Занятие отменено: посещаемость не отмечается.", code="lesson_cancelled")
    today = clock.today()
    if locked.held_on > today:
        raise Conflict(
            f"Занятие {locked.held_on:%d.%m.%Y} ещё не прошло: отметить посещаемость нельзя.",
            code="future_lesson",
        )
    _ensure_month_open(locked, locked.held_on)
    if not marks:
        raise ValidationFailed(fields={"marks": "Отметьте хотя бы одного ребёнка."})
    bad = _contracts_not_in_force(locked, marks)
    if bad:
        raise ValidationFailed(
            f"Ребёнок не занимается в группе «{locked.group.name}» "
            f"на {locked.held_on:%d.%m.%Y} (договор: {', '.join(bad)}).",
            code="child_not_in_group",
            fields={
                "marks": "Этих договоров нет среди договоров группы на дату занятия: "
                f"{', '.join(bad)}."
            },
        )
    now = clock.now()
    existing = {a.contract_id: a for a in locked.attendance.filter(contract_id__in=list(marks))}
    changed = 0
    for contract_id, present in marks.items():
        row = existing.get(contract_id)
        if row is None:
            Attendance.objects.create(
                lesson=locked,
                contract_id=contract_id,
                present=bool(present),
                marked_by=actor,
                marked_at=now,
            )
            changed += 1
        elif row.present != bool(present):
            row.present, row.marked_by, row.marked_at = bool(present), actor, now
            row.save(update_fields=["present", "marked_by", "marked_at"])
            changed += 1
    audit.record(
        actor=actor,
        action="billing.attendance_marked",
        obj=locked,
        details={"marks": len(marks), "changed": changed},
    )
    return changed
