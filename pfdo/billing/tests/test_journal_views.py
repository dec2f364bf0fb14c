"""Provider's billing pages: the attendance journal — marks, future lessons, the closed month,
cancelled, restored and moved lessons."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from pfdo.billing import services
from pfdo.billing.models import Attendance, Lesson
from pfdo.billing.tests.factories import ready_group, signed_contract
from pfdo.billing.tests.provider_pages import (
    BILLING_DAY,
    MID_OCTOBER,
    OCT,
    built_invoice,
    journal_url,
    lesson_on,
    mark_url,
    text,
)
from pfdo.common import clock

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------- journal


def test_journal_grid_marks_and_future_lessons(client, staff, group, signed):
    (_, first), (_, second) = signed
    client.force_login(staff)
    with clock.frozen(MID_OCTOBER):
        page = client.get(journal_url(group))
        assert page.status_code == 200
        held, future = (
            lesson_on(group, dt.date(2026, 10, 13)),
            lesson_on(group, OCT.replace(day=20)),
        )
        html = text(page)
        assert mark_url(held) in html
        assert mark_url(future) not in html  # not markable: no form, no checkboxes
        assert f'form="mark-{future.pk}"' not in html
        assert f'form="mark-{held.pk}"' in html

        done = client.post(mark_url(held), {"marks": [first.pk, second.pk], "present": [first.pk]})
        assert done.status_code == 302 and done["Location"] == journal_url(group)
        marks = dict(Attendance.objects.values_list("contract_id", "present"))
        assert marks == {first.pk: True, second.pk: False}
        page = client.get(journal_url(group))
        assert page.context["rows"][0].attended + page.context["rows"][1].attended == 1
        assert "присутствовали 1 из 2" in text(page)

        # htmx: the journal block comes back with the result, no page around it.
        first_lesson = lesson_on(group, dt.date(2026, 10, 6))
        block = client.post(
            mark_url(first_lesson),
            {"marks": [first.pk, second.pk], "present": [first.pk, second.pk]},
            HTTP_HX_REQUEST="true",
        )
        assert block.status_code == 200 and "<html" not in text(block)
        assert "Посещаемость за 06.10.2026 сохранена: присутствовали 2 из 2." in text(block)
        assert Attendance.objects.filter(lesson=first_lesson, present=True).count() == 2


def test_marking_future_lesson_or_foreign_child_shows_message_writes_nothing(
    client, vorkuta, operator, staff, provider, group, signed
):
    (_, first), _ = signed
    # A child of another group of the same provider.
    elsewhere = ready_group(vorkuta, provider=provider, weekday=4)
    _, stranger = signed_contract(vorkuta, operator, elsewhere, last_name="Чужова")
    client.force_login(staff)
    with clock.frozen(MID_OCTOBER):
        services.ensure_lessons(group=group, month=OCT)
        future = lesson_on(group, dt.date(2026, 10, 20))
        page = client.post(mark_url(future), {"marks": [first.pk], "present": [first.pk]})
        assert page.status_code == 200
        html = text(page)
        assert "Занятие 20.10.2026 ещё не прошло: отметить посещаемость нельзя." in html
        assert f'id="id_l{future.pk}_marks_errors"' in html  # next to its column

        held = lesson_on(group, dt.date(2026, 10, 13))
        page = client.post(
            mark_url(held), {"marks": [first.pk, stranger.pk], "present": [stranger.pk]}
        )
        assert page.status_code == 200
        html = text(page)
        assert f"Этих договоров нет среди договоров группы на дату занятия: {stranger.pk}." in html
        assert f'id="id_l{held.pk}_marks_errors"' in html
        assert "Чужова" not in html

        junk = client.post(mark_url(held), {"marks": ["abc"]})
        assert "Список детей передан неверно" in text(junk)
    assert not Attendance.objects.exists()


def test_journal_is_read_only_after_the_invoice_is_submitted(
    client, staff, provider, group, signed
):
    (_, first), (_, second) = signed
    held = None
    with clock.frozen(MID_OCTOBER):
        services.ensure_lessons(group=group, month=OCT)
        held = lesson_on(group, dt.date(2026, 10, 6))
        services.mark_attendance(actor=staff, lesson=held, marks={first.pk: True, second.pk: True})
    invoice = built_invoice(staff, provider)
    with clock.frozen(BILLING_DAY):
        services.submit_invoice(actor=staff, invoice=invoice)
        client.force_login(staff)
        page = client.get(journal_url(group))
        html = text(page)
        assert page.context["journal"].locked
        assert "журнал этого месяца только для просмотра" in html
        assert 'name="present"' not in html
        assert "/attendance/" not in html and "/cancel/" not in html and "/move/" not in html
        assert "✓" in html  # the marks are still shown
        refused = client.post(mark_url(held), {"marks": [first.pk], "present": []})
        assert refused.status_code == 200
        assert "Счёт за октябрь 2026 уже подан: журнал этого месяца изменить нельзя." in text(
            refused
        )
        cancel = client.post(
            reverse("billing:provider_lesson_cancel", args=[held.pk]), {"reason": "Карантин"}
        )
        assert "журнал этого месяца изменить нельзя" in text(cancel)
    assert set(Attendance.objects.values_list("present", flat=True)) == {True}
    assert lesson_on(group, dt.date(2026, 10, 6)).status == Lesson.Status.PLANNED


def test_cancel_restore_and_move_lessons(client, staff, group, signed):
    client.force_login(staff)
    with clock.frozen(MID_OCTOBER):
        services.ensure_lessons(group=group, month=OCT)
        lesson = lesson_on(group, dt.date(2026, 10, 20))
        cancel_url = reverse("billing:provider_lesson_cancel", args=[lesson.pk])
        empty = client.post(cancel_url, {"reason": " "})
        assert empty.status_code == 200 and "Укажите причину отмены." in text(empty)
        assert lesson_on(group, dt.date(2026, 10, 20)).status == Lesson.Status.PLANNED

        done = client.post(cancel_url, {"reason": "Учитель на курсах"})
        assert done.status_code == 302 and done["Location"] == journal_url(group)
        lesson.refresh_from_db()
        assert lesson.status == Lesson.Status.CANCELLED and lesson.note == "Учитель на курсах"
        html = text(client.get(journal_url(group)))
        assert "Учитель на курсах" in html and mark_url(lesson) not in html
        assert reverse("billing:provider_lesson_restore", args=[lesson.pk]) in html

        restored = client.post(
            reverse("billing:provider_lesson_restore", args=[lesson.pk]), HTTP_HX_REQUEST="true"
        )
        assert restored.status_code == 200
        fragment = text(restored)
        assert fragment.lstrip().startswith('<div id="journal" ') and "<html" not in fragment
        # The change is announced through base.html's #live-status (app.js reads data-announce).
        assert 'data-announce="Занятие ' in fragment and "data-results-heading" in fragment
        assert "Занятие 20.10.2026 восстановлено." in fragment
        lesson.refresh_from_db()
        assert lesson.status == Lesson.Status.PLANNED

        move_url = reverse("billing:provider_lesson_move", args=[lesson.pk])
        wrong = client.post(
            move_url, {"held_on": "2026-10-22", "starts_at": "18:00", "ends_at": "17:00"}
        )
        assert wrong.status_code == 200
        assert f'id="id_l{lesson.pk}_ends_at_error"' in text(wrong)
        assert "Занятие должно заканчиваться позже, чем начинается." in text(wrong)
        moved = client.post(
            move_url, {"held_on": "2026-10-22", "starts_at": "18:00", "ends_at": "19:30"}
        )
        assert moved.status_code == 302
        lesson.refresh_from_db()
        assert (lesson.held_on, lesson.starts_at, lesson.ends_at) == (
            dt.date(2026, 10, 22),
            dt.time(18, 0),
            dt.time(19, 30),
        )
        html = text(client.get(journal_url(group)))
        assert "22.10.2026, 18:00–19:30" in html and "по расписанию 20.10.2026 16:00" in html
