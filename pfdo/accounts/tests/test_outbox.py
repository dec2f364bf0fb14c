"""The notification row as the e-mail's outbox: pending on commit, sent once by the task, put
off after a refusal of the mail server, swept when its task is lost."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from pfdo.accounts import services
from pfdo.accounts.models import Notification
from pfdo.common import clock

# Also in the SQLite pass: `make run` sends its mail through the same outbox.
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

RESET = reverse("accounts:password_reset")
REFUSING = "pfdo.accounts.tests.mailbackends.RefusingBackend"
State = Notification.EmailState


@pytest.fixture
def mother(make_user):
    return make_user(email="olga@example.org")


def test_a_notification_is_a_pending_letter_until_its_task_runs_after_the_commit(
    mother, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note = services.notify(user=mother, subject="Договор предложен", body="Текст", link="/x/")
    # Written, not sent: the letter waits for the commit, and the call did not send it.
    note.refresh_from_db()
    assert note.email_state == State.PENDING and note.email == "olga@example.org"
    assert note.email_attempts == 0 and note.email_sent_at is None
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()  # the commit: the task runs (in this process: no broker in the tests)
    note.refresh_from_db()
    assert note.email_state == State.SENT and note.email_attempts == 1
    assert note.email_sent_at is not None
    assert [(m.subject, m.to) for m in mail.outbox] == [("Договор предложен", [mother.email])]
    body = mail.outbox[0].body
    assert body.startswith("Текст\n\nhttp") and body.endswith("/x/")


def test_a_user_without_email_gets_a_cabinet_row_and_no_letter(
    make_user, django_capture_on_commit_callbacks
):
    user = make_user(email="")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note = services.notify(user=user, subject="Без почты")
    assert note.email_state == State.NONE and callbacks == [] and mail.outbox == []


def test_a_refused_letter_stays_pending_with_the_error_then_goes_and_is_given_up_after_five(
    mother, make_user, settings
):
    note = services.notify(user=mother, subject="Повтор")
    settings.EMAIL_BACKEND = REFUSING
    result = services.deliver([note.pk])
    note.refresh_from_db()
    assert result.sent == 0 and result.retry == [note.pk]
    assert note.email_state == State.PENDING and note.email_attempts == 1
    assert "SMTPDataError" in note.email_error and "try again later" in note.email_error
    # Backing off: not due for the sweep yet, due again after a minute (+ the sweep's grace).
    assert note.email_due_at > clock.now()
    assert services.lost_letters() == []
    assert services.lost_letters(clock.now() + dt.timedelta(minutes=3)) == [note.pk]
    # The mail server is back: the retry sends it.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.deliver([note.pk]).sent == 1
    note.refresh_from_db()
    assert note.email_state == State.SENT and note.email_attempts == 2 and note.email_error == ""
    assert len(mail.outbox) == 1
    # A server that never takes it: given up after five attempts, the error kept.
    other = services.notify(user=make_user(), subject="Никогда")
    settings.EMAIL_BACKEND = REFUSING
    for _ in range(services.EMAIL_MAX_ATTEMPTS):
        services.deliver([other.pk])
    other.refresh_from_db()
    assert other.email_state == State.FAILED and other.email_attempts == 5
    assert "SMTPDataError" in other.email_error
    assert services.deliver([other.pk]).sent == 0 and len(mail.outbox) == 1


def test_the_sweep_sends_what_a_lost_task_left_once(mother, make_user):
    # Notified without its on-commit task ever running: the task was lost.
    with clock.frozen(clock.now() - dt.timedelta(minutes=5)):
        lost = services.notify(user=mother, subject="Потерянное")
    fresh = services.notify(user=make_user(), subject="Свежее")
    unsent = Notification.objects.create(user=mother, subject="Старое, без письма")
    result = services.sweep_outbox()
    assert result.sent == 1 and [m.subject for m in mail.outbox] == ["Потерянное"]
    # The fresh one is its task's for a minute yet; the old row never had a letter.
    fresh.refresh_from_db()
    unsent.refresh_from_db()
    assert fresh.email_state == State.PENDING and unsent.email_state == State.NONE
    # Running again (the next minute, a second beat) sends nothing twice.
    assert services.sweep_outbox().sent == 0
    out = io.StringIO()
    call_command("send_outbox", stdout=out)
    assert "Отправлено писем: 0" in out.getvalue()
    lost.refresh_from_db()
    assert lost.email_state == State.SENT and len(mail.outbox) == 1


def test_a_duplicate_task_skips_what_is_sent(mother):
    note = services.notify(user=mother, subject="Один раз")
    assert services.deliver([note.pk, note.pk]).sent == 1
    assert services.deliver([note.pk]).sent == 0
    assert len(mail.outbox) == 1


def test_notify_many_writes_pending_rows_and_hands_them_over_in_one_task(
    make_user, django_capture_on_commit_callbacks, monkeypatch
):
    users = [make_user() for _ in range(3)] + [make_user(email="")]
    handed = []
    real = services.enqueue_delivery
    monkeypatch.setattr(services, "enqueue_delivery", lambda ids: handed.append(ids) or real(ids))
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_many(
            [services.Notice(user_id=u.pk, email=u.email, subject="Счёт") for u in users]
        )
    rows = Notification.objects.filter(subject="Счёт")
    assert len(handed) == 1 and len(handed[0]) == 3
    assert sorted(rows.values_list("email_state", flat=True)) == ["", "sent", "sent", "sent"]
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users[:3])


def test_reminders_are_written_once_per_key(mother, django_capture_on_commit_callbacks):
    notice = services.Notice(user_id=mother.pk, email=mother.email, subject="Напоминание", key="k1")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind([notice]) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind([notice]) == 0
        # Written meanwhile by another run: skipped by the unique key, not an error.
        services.notify_many([notice])
    assert Notification.objects.filter(key="k1").count() == 1 and len(mail.outbox) == 1


def test_a_letter_to_an_address_without_an_account_goes_through_the_outbox(
    django_capture_on_commit_callbacks, make_user
):
    with django_capture_on_commit_callbacks(execute=True):
        note = services.mail_to_address(email="school@example.org", subject="ИНН", body="Текст")
    note.refresh_from_db()
    assert note.user_id is None and note.email_state == State.SENT
    assert [m.to for m in mail.outbox] == [["school@example.org"]]
    # Never in anyone's cabinet.
    assert not Notification.objects.for_user(make_user()).exists()


def test_the_password_reset_letter_goes_through_a_task_and_rests_in_no_row(client, mother):
    response = client.post(RESET, {"email": mother.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [mother.email]
    assert RESET in mail.outbox[0].body
    assert not Notification.objects.exists()


def test_a_refused_reset_letter_does_not_break_the_page(client, mother, settings):
    settings.EMAIL_BACKEND = REFUSING
    response = client.post(RESET, {"email": mother.email})
    assert response.status_code == 302 and mail.outbox == []
