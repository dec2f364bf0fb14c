"""The notifications page: own notifications only, newest first, pages, marking read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from pfdo.accounts import services
from pfdo.accounts.models import Notification
from pfdo.common import clock

LIST = reverse("accounts:notifications")
MARK = reverse("accounts:notifications_mark_read")


def note(user, subject, *, at=None, **fields):
    with clock.frozen(at or dt.datetime(2026, 11, 1, 12, 0)):
        return services.notify(user=user, subject=subject, **fields)


@pytest.fixture
def mother(make_user, vorkuta):
    return make_user("parent", municipality=vorkuta)


@pytest.fixture
def stranger(make_user, vorkuta):
    return make_user("parent", municipality=vorkuta)


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert client.post(MARK).status_code == 302
    assert not Notification.objects.exists()


def test_list_shows_own_notifications_newest_first_unread_highlighted(client, mother, stranger):
    note(mother, "Сертификат выдан", at=dt.datetime(2026, 11, 1, 9), body="Номер 1102000001")
    note(mother, "Запрос на перевод принят", at=dt.datetime(2026, 11, 3, 9), link="/catalog/")
    read = note(mother, "Прочитанное", at=dt.datetime(2026, 10, 1, 9))
    Notification.objects.filter(pk=read.pk).update(read_at=clock.now())
    note(stranger, "Чужое уведомление")
    client.force_login(mother)
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Чужое уведомление" not in html
    newer, older = html.index("Запрос на перевод принят"), html.index("Сертификат выдан")
    assert newer < older < html.index("Прочитанное")
    assert html.count('class="notification unread"') == 2
    assert html.count("новое</span>") == 2
    assert "Номер 1102000001" in html
    assert 'href="/catalog/"' in html
    assert "Непрочитанных: 2" in html
    # Opening the list marks nothing read.
    assert Notification.objects.filter(user=mother, read_at__isnull=True).count() == 2


def test_list_is_paginated(client, mother):
    for n in range(25):
        note(mother, f"Уведомление {n:02d}", at=dt.datetime(2026, 11, 1, 0, n))
    client.force_login(mother)
    first = client.get(LIST).content.decode()
    second = client.get(LIST, {"page": 2}).content.decode()
    assert first.count('data-testid="notification"') == 20
    assert second.count('data-testid="notification"') == 5
    assert "Уведомление 24" in first and "Уведомление 04" not in first
    assert "Уведомление 04" in second and "Уведомление 00" in second
    assert "Страница 1 из 2" in first


def test_mark_all_read_touches_only_own(client, mother, stranger):
    note(mother, "Первое")
    note(mother, "Второе")
    theirs = note(stranger, "Чужое")
    client.force_login(mother)
    response = client.post(MARK, follow=True)
    assert response.redirect_chain[-1][0] == LIST
    html = response.content.decode()
    assert "Все уведомления отмечены прочитанными." in html
    assert 'class="notification unread"' not in html
    assert not Notification.objects.filter(user=mother, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_one_read_and_never_someone_elses(client, mother, stranger):
    first = note(mother, "Первое")
    second = note(mother, "Второе")
    theirs = note(stranger, "Чужое")
    client.force_login(mother)
    client.post(MARK, {"id": [first.pk, theirs.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    theirs.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None
    assert theirs.read_at is None


def test_malformed_ids_are_refused_without_marking(client, mother):
    kept = note(mother, "Первое")
    client.force_login(mother)
    response = client.post(MARK, {"id": ["abc"]}, follow=True)
    assert response.status_code == 200
    assert "обновите страницу" in response.content.decode()
    kept.refresh_from_db()
    assert kept.read_at is None


def test_any_signed_in_user_may_open_it(client, make_user, vorkuta):
    operator = make_user("operator", municipality=vorkuta)
    note(operator, "Новое заявление")
    client.force_login(operator)
    assert "Новое заявление" in client.get(LIST).content.decode()


def test_parent_home_shows_the_unread_count_and_the_cabinet_links(client, mother):
    note(mother, "Сертификат выдан")
    client.force_login(mother)
    html = client.get(reverse("accounts:home_parent")).content.decode()
    assert "Личный кабинет родителя" in html
    assert "Уведомления (новых: 1)" in html
    assert reverse("family:home") in html
    assert reverse("family:add_child") in html


def test_mail_links_to_the_configured_site(
    mother, settings, mailoutbox, django_capture_on_commit_callbacks
):
    # make run passes PFDO_SITE_URL for its PORT; the link follows it, not a fixed :8000.
    settings.SITE_URL = "http://127.0.0.1:8123/"
    mother.email = "mother@example.org"
    mother.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        note(mother, "Договор заключён", link="/cabinet/parent/")
    assert mailoutbox[0].body.endswith("\n\nhttp://127.0.0.1:8123/cabinet/parent/")
