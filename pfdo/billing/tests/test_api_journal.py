"""Billing API, the journal: lessons of a group's month and attendance marks — happy paths and
every refusal as the error body with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest

from pfdo.billing import services
from pfdo.billing.models import Attendance, Lesson
from pfdo.billing.tests.api_world import (
    ATTENDANCE,
    LESSONS,
    NOV,
    assert_error,
    ids,
    lesson_on,
    lessons_of,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_today")]


# -------------------------------------------------------------------------------- lessons


def test_get_lists_stored_lessons_only_and_generate_writes_the_month(as_user, w):
    client = as_user(w.staff)
    query = {"group": w.group.pk, "month": "2026-11"}
    response = client.get(LESSONS, query)
    assert response.status_code == 200 and response.json()["count"] == 0
    assert Lesson.objects.count() == 0  # a GET writes nothing

    generated = client.post(
        f"{LESSONS}generate/", {"group": w.group.pk, "month": "2026-11"}, format="json"
    )
    assert generated.status_code == 200, generated.content
    days = [row["held_on"] for row in generated.json()]
    assert days == ["2026-11-03", "2026-11-10", "2026-11-17", "2026-11-24"]
    first = generated.json()[0]
    assert first["starts_at"] == "16:00:00" and first["minutes"] == 90
    assert first["group"]["id"] == w.group.pk and first["status"] == "planned"

    again = client.post(
        f"{LESSONS}generate/", {"group": w.group.pk, "month": "2026-11"}, format="json"
    )
    assert [row["id"] for row in again.json()] == [row["id"] for row in generated.json()]
    assert Lesson.objects.count() == 4
    assert ids(client.get(LESSONS, query)) == [row["id"] for row in generated.json()]
    assert ids(client.get(LESSONS, {"month": "2026-12"})) == []
    card = client.get(f"{LESSONS}{first['id']}/")
    assert card.status_code == 200 and card.json()["held_on"] == "2026-11-03"


def test_generate_refuses_another_providers_group_and_bad_input(as_user, w):
    client = as_user(w.staff_q)
    response = client.post(
        f"{LESSONS}generate/", {"group": w.group.pk, "month": "2026-11"}, format="json"
    )
    assert_error(response, 403, "permission_denied")
    assert Lesson.objects.count() == 0
    error = assert_error(
        client.post(f"{LESSONS}generate/", {"group": w.q_group.pk, "month": "11.2026"}),
        400,
        "validation_error",
    )
    assert set(error["fields"]) == {"month"}
    error = assert_error(
        client.post(f"{LESSONS}generate/", {"group": 10**12, "month": "2026-11"}), 400
    )
    assert set(error["fields"]) == {"group"}
    assert Lesson.objects.count() == 0


def test_officials_and_parents_do_not_keep_the_journal(as_user, w):
    lessons_of(w)
    for user in (w.operator, w.payer, w.fam_a.parent):
        assert_error(as_user(user).get(LESSONS), 403, "permission_denied")


def test_cancel_restore_and_move_a_lesson(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 17))
    client = as_user(w.staff)
    url = f"{LESSONS}{lesson.pk}/"
    cancelled = client.post(f"{url}cancel/", {"reason": "Карантин"}, format="json")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["note"] == "Карантин"
    assert ids(client.get(LESSONS, {"status": "cancelled"})) == [lesson.pk]
    restored = client.post(f"{url}restore/")
    assert restored.status_code == 200 and restored.json()["status"] == "planned"
    assert restored.json()["note"] == ""

    moved = client.post(
        f"{url}move/",
        {"held_on": "2026-11-19", "starts_at": "15:00", "ends_at": "16:30"},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    body = moved.json()
    assert (body["held_on"], body["starts_at"], body["is_moved"]) == (
        "2026-11-19",
        "15:00:00",
        True,
    )
    assert body["scheduled_on"] == "2026-11-17"

    error = assert_error(
        client.post(
            f"{url}move/",
            {"held_on": "2026-11-20", "starts_at": "15:00", "ends_at": "14:00"},
            format="json",
        ),
        400,
        "validation_error",
    )
    assert error["fields"] == {"ends_at": ["Занятие должно заканчиваться позже, чем начинается."]}
    # A well-formed day outside the group's stored dates: the group's state (409).
    error = assert_error(
        client.post(
            f"{url}move/",
            {"held_on": "2027-07-01", "starts_at": "15:00", "ends_at": "16:00"},
            format="json",
        ),
        409,
        "outside_group_dates",
    )
    assert error["fields"] == {"held_on": ["Дата вне сроков занятий группы."]}
    # Both at once: the body's own mistake is named first.
    error = assert_error(
        client.post(
            f"{url}move/",
            {"held_on": "2027-07-01", "starts_at": "15:00", "ends_at": "14:00"},
            format="json",
        ),
        400,
        "validation_error",
    )
    assert set(error["fields"]) == {"ends_at"}
    lesson.refresh_from_db()
    assert lesson.held_on == dt.date(2026, 11, 19)


def test_a_lesson_with_children_present_is_not_cancelled(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 3))
    services.mark_attendance(actor=w.staff, lesson=lesson, marks={w.contract.pk: True})
    response = as_user(w.staff).post(f"{LESSONS}{lesson.pk}/cancel/", {}, format="json")
    assert_error(response, 409, "lesson_attended")
    lesson.refresh_from_db()
    assert lesson.status == Lesson.Status.PLANNED


def test_another_providers_lesson_answers_404(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 17))
    client = as_user(w.staff_q)
    assert_error(client.get(f"{LESSONS}{lesson.pk}/"), 404, "not_found")
    assert_error(client.post(f"{LESSONS}{lesson.pk}/cancel/", {}, format="json"), 404)
    assert ids(client.get(LESSONS)) == []
    lesson.refresh_from_db()
    assert lesson.status == Lesson.Status.PLANNED


# ----------------------------------------------------------------------------- attendance


def test_staff_mark_attendance_and_the_family_sees_it(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 3))
    client = as_user(w.staff)
    response = client.post(
        ATTENDANCE,
        {"lesson": lesson.pk, "marks": [{"contract": w.contract.pk, "present": True}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lesson"] == lesson.pk and body["changed"] == 1
    [mark] = body["marks"]
    assert mark["present"] is True and mark["contract"]["id"] == w.contract.pk
    assert mark["contract"]["child"]["name"] == w.fam_a.child.full_name
    assert mark["lesson"]["held_on"] == "2026-11-03"

    # The same marks again change nothing; a change is counted.
    same = client.post(
        ATTENDANCE,
        {"lesson": lesson.pk, "marks": [{"contract": w.contract.pk, "present": True}]},
        format="json",
    )
    assert same.json()["changed"] == 0
    absent = client.post(
        ATTENDANCE,
        {"lesson": lesson.pk, "marks": [{"contract": w.contract.pk, "present": False}]},
        format="json",
    )
    assert absent.json()["changed"] == 1 and absent.json()["marks"][0]["present"] is False
    assert Attendance.objects.count() == 1

    for user in (w.staff, w.operator, w.payer, w.fam_a.parent):
        rows = as_user(user).get(ATTENDANCE).json()["results"]
        assert [row["id"] for row in rows] == [mark["id"]], user
    for user in (w.fam_b.parent, w.staff_q):
        assert ids(as_user(user).get(ATTENDANCE)) == []
    parent = as_user(w.fam_a.parent)
    assert parent.get(f"{ATTENDANCE}{mark['id']}/").json()["present"] is False
    assert_error(as_user(w.fam_b.parent).get(f"{ATTENDANCE}{mark['id']}/"), 404, "not_found")


def test_attendance_filters(as_user, w):
    nov3 = lesson_on(w, dt.date(2026, 11, 3))
    oct27 = lesson_on(w, dt.date(2026, 10, 27))
    b_lesson = next(
        x
        for x in services.ensure_lessons(group=w.q_group, month=NOV)
        if x.held_on == dt.date(2026, 11, 3)
    )
    services.mark_attendance(actor=w.staff, lesson=nov3, marks={w.contract.pk: True})
    services.mark_attendance(actor=w.staff, lesson=oct27, marks={w.contract.pk: False})
    services.mark_attendance(actor=w.staff_q, lesson=b_lesson, marks={w.contract_b.pk: True})
    client = as_user(w.operator)
    mark = {a.lesson_id: a.pk for a in Attendance.objects.all()}
    assert len(ids(client.get(ATTENDANCE))) == 3
    assert ids(client.get(ATTENDANCE, {"lesson": nov3.pk})) == [mark[nov3.pk]]
    assert ids(client.get(ATTENDANCE, {"month": "2026-10"})) == [mark[oct27.pk]]
    assert ids(client.get(ATTENDANCE, {"group": w.q_group.pk})) == [mark[b_lesson.pk]]
    assert set(ids(client.get(ATTENDANCE, {"contract": w.contract.pk}))) == {
        mark[nov3.pk],
        mark[oct27.pk],
    }
    assert_error(client.get(ATTENDANCE, {"month": "2026-13"}), 400)
    assert_error(client.get(ATTENDANCE, {"group": "x"}), 400)


def test_attendance_for_a_child_not_in_the_group_is_400_and_writes_nothing(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 3))
    response = as_user(w.staff).post(
        ATTENDANCE,
        {
            "lesson": lesson.pk,
            "marks": [
                {"contract": w.contract.pk, "present": True},  # in the group
                {"contract": w.contract_b.pk, "present": True},  # another provider's group
            ],
        },
        format="json",
    )
    error = assert_error(response, 400, "child_not_in_group")
    # Says the ids name nothing usable here («нет среди»: what only the world can refuse, as
    # the API contract reads it), like an unknown id.
    assert error["fields"] == {
        "marks": [f"Этих договоров нет среди договоров группы на дату занятия: {w.contract_b.pk}."]
    }
    assert Attendance.objects.count() == 0


def test_attendance_for_a_future_lesson_is_409_and_writes_nothing(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 17))
    response = as_user(w.staff).post(
        ATTENDANCE,
        {"lesson": lesson.pk, "marks": [{"contract": w.contract.pk, "present": True}]},
        format="json",
    )
    error = assert_error(response, 409, "future_lesson")
    assert "17.11.2026" in error["message"]
    assert Attendance.objects.count() == 0


def test_attendance_input_errors(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 3))
    client = as_user(w.staff)
    twice = [{"contract": w.contract.pk, "present": True}] * 2
    error = assert_error(
        client.post(ATTENDANCE, {"lesson": lesson.pk, "marks": twice}, format="json"), 400
    )
    assert set(error["fields"]) == {"marks"}
    error = assert_error(
        client.post(ATTENDANCE, {"lesson": lesson.pk, "marks": []}, format="json"), 400
    )
    assert set(error["fields"]) == {"marks"}
    # Another provider's lesson is not found for them.
    response = as_user(w.staff_q).post(
        ATTENDANCE,
        {"lesson": lesson.pk, "marks": [{"contract": w.contract.pk, "present": True}]},
        format="json",
    )
    error = assert_error(response, 400)
    assert set(error["fields"]) == {"lesson"}
    assert Attendance.objects.count() == 0
    # Officials and parents read; they do not mark.
    for user in (w.operator, w.payer, w.fam_a.parent):
        response = as_user(user).post(
            ATTENDANCE,
            {"lesson": lesson.pk, "marks": [{"contract": w.contract.pk, "present": True}]},
            format="json",
        )
        assert_error(response, 403, "permission_denied")
    assert Attendance.objects.count() == 0
