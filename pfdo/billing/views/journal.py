"""Pages of the provider's attendance journal: choosing a group and month, the sheet of a
group's month, and the changes to one lesson (marks, cancel, restore, move)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from pfdo.billing import selectors, services
from pfdo.billing.forms.provider import (
    CancelLessonForm,
    JournalPickForm,
    MarkForm,
    MoveLessonForm,
)
from pfdo.billing.models import Lesson
from pfdo.billing.views.provider import TEMPLATES, StaffMixin
from pfdo.common import clock
from pfdo.common.errors import DomainError
from pfdo.common.months import (
    format_month,
    month_label,
    month_start,
    next_month,
    parse_month_or_raise,
    previous_month,
)
from pfdo.common.views import apply_domain_error
from pfdo.enrolment import selectors as enrolment_selectors


def journal_url(group, month: dt.date) -> str:
    return reverse("billing:provider_journal", args=[group.pk]) + f"?month={format_month(month)}"


class JournalPickView(StaffMixin, View):
    """Choose a group and a month; the journal itself is at the group's address."""

    def get(self, request):
        groups = enrolment_selectors.provider_groups(request.user)
        current = month_start(clock.today())
        form = JournalPickForm(request.GET or None, groups=groups, initial={"month": current})
        if form.is_bound and form.is_valid():
            return redirect(journal_url(form.cleaned_data["group"], form.cleaned_data["month"]))
        ctx = {"form": form, "groups": groups, "month": current}
        return render(request, TEMPLATES + "journal_pick.html", ctx)


@dataclass
class Cell:
    lesson: Lesson
    contract_id: int
    mark: bool | None  # came / did not / not marked
    in_force: bool
    editable: bool
    checked: bool


@dataclass
class Row:
    name: str
    number: str
    cells: list[Cell]
    attended: int


@dataclass
class Column:
    lesson: Lesson
    markable: bool
    future: bool
    mark_form: forms.Form | None = None
    cancel_form: forms.Form | None = None
    move_form: forms.Form | None = None
    restore_form: forms.Form | None = None
    children: int = 0
    present: int = 0

    @property
    def action_errors(self) -> list[str]:
        """Refusals of a change to the lesson, shown even where its forms are not."""
        out: list[str] = []
        for form in (self.cancel_form, self.move_form, self.restore_form):
            if form is not None and form.is_bound:
                out.extend(str(e) for errors in form.errors.values() for e in errors)
        return out


def _lesson_forms(lesson: Lesson, bound: dict) -> dict:
    prefix = f"id_l{lesson.pk}_%s"
    return {
        "mark": bound.get("mark") or MarkForm(auto_id=prefix),
        "cancel": bound.get("cancel") or CancelLessonForm(auto_id=prefix),
        "move": bound.get("move")
        or MoveLessonForm(auto_id=prefix, initial=MoveLessonForm.initial_for(lesson)),
        "restore": bound.get("restore") or forms.Form(auto_id=prefix),
    }


def journal_context(group, month: dt.date, *, bound=None, notice: str = "") -> dict:
    """The sheet of a group's month: columns per lesson, rows per child, the lessons' forms.

    `bound` holds the forms of one lesson that failed ({lesson id: {"mark": form, …}}), so
    their messages show where they were typed.
    """
    bound = bound or {}
    lessons = services.ensure_lessons(group=group, month=month)
    sheet = selectors.journal(group, month, lessons)
    today = clock.today()
    columns = []
    for lesson in sheet.lessons:
        in_force = [r for r in sheet.rows if r.in_force[lesson.pk]]
        own = _lesson_forms(lesson, bound.get(lesson.pk, {}))
        columns.append(
            Column(
                lesson=lesson,
                markable=not sheet.locked
                and not lesson.is_cancelled
                and lesson.held_on <= today
                and bool(in_force),
                future=lesson.held_on > today,
                mark_form=own["mark"],
                cancel_form=own["cancel"],
                move_form=own["move"],
                restore_form=own["restore"],
                children=len(in_force),
                present=sum(1 for r in in_force if r.marks[lesson.pk]),
            )
        )
    rows = []
    for r in sheet.rows:
        cells = []
        for column in columns:
            pk = column.lesson.pk
            mark = r.marks[pk]
            form = column.mark_form
            checked = bool(mark)
            if form.is_bound:
                # Show what was just sent, not what is stored, next to its message.
                checked = str(r.contract.pk) in form.data.getlist("present")
            cells.append(
                Cell(
                    lesson=column.lesson,
                    contract_id=r.contract.pk,
                    mark=mark,
                    in_force=r.in_force[pk],
                    editable=column.markable and r.in_force[pk],
                    checked=checked,
                )
            )
        rows.append(
            Row(
                name=r.name,
                number=r.contract.number or "",
                cells=cells,
                attended=sum(1 for c in cells if c.mark),
            )
        )
    return {
        "group": group,
        "month": month,
        "month_label": month_label(month),
        "journal": sheet,
        "columns": columns,
        "rows": rows,
        "notice": notice,
        # A lesson's change refused: the journal announces it (its errors are by the lesson).
        "refused": bool(bound),
        "prev_url": journal_url(group, previous_month(month)),
        "next_url": journal_url(group, next_month(month)),
        "today": today,
    }


def _journal_response(request, group, month, *, bound=None, notice: str = ""):
    ctx = journal_context(group, month, bound=bound, notice=notice)
    template = TEMPLATES + "journal.html"
    if request.htmx:
        template += "#journal"
    return render(request, template, ctx)


class JournalView(StaffMixin, View):
    def get(self, request, group_id):
        group = get_object_or_404(enrolment_selectors.provider_groups(request.user), pk=group_id)
        month = month_start(clock.today())
        raw = request.GET.get("month", "")
        if raw:
            try:
                month = parse_month_or_raise(raw)
            except DomainError as exc:
                messages.error(request, exc.message)
        return _journal_response(request, group, month)


class _LessonActionView(StaffMixin, View):
    """A change to one lesson; on success back to the journal (or its block for htmx), on a
    refusal the journal with the message next to the lesson and nothing written."""

    http_method_names = ["post"]
    key = ""

    def make_form(self, data, lesson):
        return forms.Form(data, auto_id=f"id_l{lesson.pk}_%s")

    def perform(self, request, lesson, form) -> tuple[str, dt.date]:  # pragma: no cover
        raise NotImplementedError

    def apply_error(self, form, exc: DomainError) -> None:
        apply_domain_error(form, exc)

    def post(self, request, pk):
        lesson = get_object_or_404(
            Lesson.objects.for_user(request.user)
            .filter(group__module__program__provider_id__in=self.provider_ids)
            .select_related("group__module__program"),
            pk=pk,
        )
        month = month_start(lesson.held_on)
        form = self.make_form(request.POST, lesson)
        if form.is_valid():
            try:
                notice, month = self.perform(request, lesson, form)
            except DomainError as exc:
                self.apply_error(form, exc)
            else:
                if request.htmx:
                    return _journal_response(request, lesson.group, month, notice=notice)
                messages.success(request, notice)
                return redirect(journal_url(lesson.group, month))
        return _journal_response(request, lesson.group, month, bound={lesson.pk: {self.key: form}})


class LessonMarkView(_LessonActionView):
    key = "mark"

    def make_form(self, data, lesson):
        return MarkForm(data, auto_id=f"id_l{lesson.pk}_%s")

    def apply_error(self, form, exc):
        # A refusal of the column (future lesson, cancelled, month invoiced) belongs to it.
        if exc.fields:
            apply_domain_error(form, exc)
        else:
            form.add_error("marks", exc.message)

    def perform(self, request, lesson, form):
        marks = form.as_marks()
        services.mark_attendance(actor=request.user, lesson=lesson, marks=marks)
        came = sum(1 for present in marks.values() if present)
        notice = (
            f"Посещаемость за {lesson.held_on:%d.%m.%Y} сохранена: "
            f"присутствовали {came} из {len(marks)}."
        )
        return notice, month_start(lesson.held_on)


class LessonCancelView(_LessonActionView):
    key = "cancel"

    def make_form(self, data, lesson):
        return CancelLessonForm(data, auto_id=f"id_l{lesson.pk}_%s")

    def perform(self, request, lesson, form):
        done = services.cancel_lesson(
            actor=request.user, lesson=lesson, reason=form.cleaned_data["reason"]
        )
        return (
            f"Занятие {done.held_on:%d.%m.%Y} отменено.",
            month_start(done.held_on),
        )


class LessonRestoreView(_LessonActionView):
    key = "restore"

    def perform(self, request, lesson, form):
        done = services.restore_lesson(actor=request.user, lesson=lesson)
        return (
            f"Занятие {done.held_on:%d.%m.%Y} восстановлено.",
            month_start(done.held_on),
        )


class LessonMoveView(_LessonActionView):
    key = "move"

    def make_form(self, data, lesson):
        return MoveLessonForm(data, auto_id=f"id_l{lesson.pk}_%s")

    def perform(self, request, lesson, form):
        data = form.cleaned_data
        done = services.move_lesson(
            actor=request.user,
            lesson=lesson,
            held_on=data["held_on"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
        )
        return (
            f"Занятие перенесено на {done.held_on:%d.%m.%Y} "
            f"{done.starts_at:%H:%M}–{done.ends_at:%H:%M}.",
            month_start(done.held_on),
        )
