"""Ratings pages: the family's list and form (Russian errors, nothing saved on bad input, the
edit window), the operator's moderation, the provider's reply; who may open what; the
programme page, catalogue card and provider page showing the figures and reviews."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from pfdo.catalog.models import Program
from pfdo.common import clock
from pfdo.common.tests.worlds import copy_of, world_once
from pfdo.enrolment.services._common import rating_form_path
from pfdo.ratings import services
from pfdo.ratings.models import Rating, Reply
from pfdo.ratings.tests.world import SCORES, TODAY, build

pytestmark = pytest.mark.django_db
built = world_once(build)
FORM = {"teacher_score": "5", "learning_score": "4", "organisation_score": "4", "text": ""}


@pytest.fixture
def w(built, db):
    return copy_of(built)


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        type(user).objects.filter(pk=user.pk).update(must_change_password=False)
        client.force_login(user)
    return client


def rate_url(contract) -> str:
    return f"/cabinet/parent/ratings/contracts/{contract.pk}/"


def test_completion_notice_links_to_the_form(w):
    assert rating_form_path(w.contracts["g"]) == rate_url(w.contracts["g"])
    from pfdo.accounts.models import Notification

    note = Notification.objects.filter(user=w.fams["g"].parent, subject__contains="завершён").get()
    assert "Оцените программу" in note.body
    assert note.link == rate_url(w.contracts["g"])
    page = client_of(w.fams["g"].parent).get(note.link)
    assert page.status_code == 200
    assert "rating-form" in page.content.decode()


def test_family_list_offers_rate_only_where_it_qualifies(w):
    page = client_of(w.fams["a"].parent).get("/cabinet/parent/ratings/")
    assert page.status_code == 200
    assert rate_url(w.contracts["a"]) in page.content.decode()
    page = client_of(w.fams["e"].parent).get("/cabinet/parent/ratings/").content.decode()
    assert 'data-testid="rate-link"' not in page
    assert "после первого оплаченного месяца" in page


def test_contract_page_shows_the_rating_entry(w):
    page = client_of(w.fams["a"].parent).get(f"/cabinet/parent/contracts/{w.contracts['a'].pk}/")
    assert 'data-testid="contract-rating"' in page.content.decode()
    page = client_of(w.fams["e"].parent).get(f"/cabinet/parent/contracts/{w.contracts['e'].pk}/")
    assert 'data-testid="contract-rating"' not in page.content.decode()


def test_parent_rates_through_the_form(w):
    client = client_of(w.fams["a"].parent)
    response = client.post(rate_url(w.contracts["a"]), {**FORM, "text": "Очень понравилось"})
    assert response.status_code == 302
    rating = Rating.objects.get()
    assert (rating.teacher_score, rating.text_status) == (5, "pending")
    page = client.get(rate_url(w.contracts["a"])).content.decode()
    assert "Отзыв на проверке у модератора" in page
    assert "Сохранить изменения" in page


@pytest.mark.parametrize(
    "change",
    [
        {"teacher_score": "0"},
        {"learning_score": "6"},
        {"organisation_score": ""},
        {"text": "я" * 2001},
    ],
)
def test_bad_input_shows_a_russian_error_and_saves_nothing(w, change):
    response = client_of(w.fams["a"].parent).post(rate_url(w.contracts["a"]), {**FORM, **change})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Поставьте оценку от 1 до 5." in page or "Отзыв — не длиннее 2000 символов." in page
    assert not Rating.objects.exists()


def test_an_unqualified_contract_shows_why_and_saves_nothing(w):
    client = client_of(w.fams["e"].parent)
    page = client.get(rate_url(w.contracts["e"])).content.decode()
    assert 'data-testid="not-eligible"' in page
    assert 'data-testid="rating-form"' not in page
    response = client.post(rate_url(w.contracts["e"]), FORM)
    assert "первого оплаченного месяца" in response.content.decode()
    assert not Rating.objects.exists()


def test_after_30_days_the_rating_is_locked(w):
    services.rate(actor=w.fams["a"].parent, contract=w.contracts["a"], scores=SCORES)
    client = client_of(w.fams["a"].parent)
    with clock.frozen(TODAY + dt.timedelta(days=31)):
        page = client.get(rate_url(w.contracts["a"])).content.decode()
        assert 'data-testid="locked"' in page
        assert 'data-testid="rating-form"' not in page
        response = client.post(rate_url(w.contracts["a"]), {**FORM, "teacher_score": "1"})
        assert "закреплена" in response.content.decode()
    assert Rating.objects.get().teacher_score == 5


@pytest.mark.parametrize("who", ["other_family", "staff1", "operator"])
def test_others_cannot_open_the_form(w, who):
    user = w.fams["c"].parent if who == "other_family" else getattr(w, who)
    response = client_of(user).get(rate_url(w.contracts["a"]))
    assert response.status_code in (403, 404)
    response = client_of(user).post(rate_url(w.contracts["a"]), FORM)
    assert response.status_code in (403, 404)
    assert not Rating.objects.exists()


def test_anonymous_goes_to_login(w):
    response = client_of(None).get(rate_url(w.contracts["a"]))
    assert response.status_code == 302
    assert "/login" in response["Location"] or "login" in response["Location"]


def _with_text(w, key="a", text="Отличный кружок"):
    return services.rate(
        actor=w.fams[key].parent, contract=w.contracts[key], scores=SCORES, text=text
    )


def test_operator_moderates_in_the_queue(w):
    rating = _with_text(w)
    client = client_of(w.operator)
    page = client.get("/cabinet/ratings/moderation/").content.decode()
    assert "Отличный кружок" in page
    response = client.post(f"/cabinet/ratings/{rating.pk}/hide/?status=pending", {"reason": ""})
    assert "Укажите причину" in response.content.decode()
    assert Rating.objects.get().text_status == "pending"
    client.post(f"/cabinet/ratings/{rating.pk}/publish/")
    assert Rating.objects.get().text_status == "published"
    client.post(f"/cabinet/ratings/{rating.pk}/hide/", {"reason": "Не по теме"})
    assert Rating.objects.get().hidden_reason == "Не по теме"
    page = client_of(w.fams["a"].parent).get(rate_url(w.contracts["a"])).content.decode()
    assert "Модератор скрыл отзыв. Причина: Не по теме" in page


def test_another_municipality_neither_sees_nor_moderates(w):
    rating = _with_text(w)
    client = client_of(w.inta_operator)
    assert "Отличный кружок" not in client.get("/cabinet/ratings/moderation/").content.decode()
    assert client.post(f"/cabinet/ratings/{rating.pk}/publish/").status_code == 404
    assert client_of(w.staff1).get("/cabinet/ratings/moderation/").status_code == 403
    assert (
        client_of(w.fams["a"].parent).post(f"/cabinet/ratings/{rating.pk}/publish/").status_code
        == 403
    )
    assert Rating.objects.get().text_status == "pending"


def test_provider_replies_once_through_its_list(w):
    rating = _with_text(w)
    client = client_of(w.staff1)
    page = client.get("/cabinet/provider/ratings/").content.decode()
    assert 'data-testid="provider-rating"' in page
    assert "Отличный кружок" not in page  # not published yet
    response = client.post(f"/cabinet/provider/ratings/{rating.pk}/reply/", {"text": ""})
    assert "Напишите ответ." in response.content.decode()
    assert not Reply.objects.exists()
    client.post(f"/cabinet/provider/ratings/{rating.pk}/reply/", {"text": "Спасибо!"})
    assert Reply.objects.get().text == "Спасибо!"
    response = client.post(f"/cabinet/provider/ratings/{rating.pk}/reply/", {"text": "Ещё"})
    assert "уже ответил" in response.content.decode()
    assert Reply.objects.count() == 1


def test_another_provider_cannot_reply(w):
    rating = _with_text(w)
    client = client_of(w.staff2)
    assert "Отличный кружок" not in client.get("/cabinet/provider/ratings/").content.decode()
    response = client.post(f"/cabinet/provider/ratings/{rating.pk}/reply/", {"text": "Мы"})
    assert response.status_code == 404
    assert not Reply.objects.exists()


def test_programme_page_card_and_provider_page_show_the_figures(w):
    Program.objects.filter(pk=w.program_a.pk).update(is_published=True)
    rating = _with_text(w)
    services.publish(actor=w.operator, rating=rating)
    services.reply(actor=w.staff1, rating=rating, text="Ждём снова!")
    anon = client_of(None)
    page = anon.get(f"/catalog/{w.program_a.pk}/").content.decode()
    assert "1 оценка — средний балл покажем с трёх оценок" in page
    assert "Отличный кружок" in page and "Ждём снова!" in page
    assert "Родитель" in page
    assert w.fams["a"].parent.last_name not in page
    for key in ("b", "c"):
        _with_text(w, key, text=f"Отзыв {key}")
    page = anon.get(f"/catalog/{w.program_a.pk}/").content.decode()
    assert "<strong>4,3</strong> из 5 · 3 оценки" in page
    assert "Отзыв b" not in page  # not published
    card = anon.get("/catalog/", {"ordering": "-rating_avg"}).content.decode()
    assert "<strong>4,3</strong> из 5 · 3 оценки" in card
    provider_page = anon.get(f"/providers/{w.p1.pk}/").content.decode()
    assert "<strong>4,3</strong> из 5 · 3 оценки" in provider_page


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_moderation_and_provider_lists_cost_the_same_queries_for_one_or_many(w):
    # Contracts a, b, c, d qualify (October billed; b terminated after it). One rating first,
    # then four: the lists' query counts must not grow with their rows.
    _with_text(w, "a", "Первый")
    operator, staff = client_of(w.operator), client_of(w.staff1)
    one = (
        _queries(operator, "/cabinet/ratings/moderation/"),
        _queries(staff, "/cabinet/provider/ratings/"),
    )
    for key in ("b", "c", "d"):
        _with_text(w, key, f"Отзыв {key}")
    many = (
        _queries(operator, "/cabinet/ratings/moderation/"),
        _queries(staff, "/cabinet/provider/ratings/"),
    )
    assert Rating.objects.count() == 4
    assert many == one


def test_the_lists_are_paged(w, monkeypatch):
    from pfdo.ratings import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    for key in ("a", "b", "c", "d"):
        _with_text(w, key, f"Отзыв {key}")
    for client, url in (
        (client_of(w.operator), "/cabinet/ratings/moderation/"),
        (client_of(w.staff1), "/cabinet/provider/ratings/"),
    ):
        first = client.get(url).content.decode()
        second = client.get(url, {"page": 2}).content.decode()
        assert "Страница 1 из 2" in first and "Страница 2 из 2" in second
        shown = (
            [f"Отзыв {key}" in first for key in "abcd"],
            [f"Отзыв {key}" in second for key in "abcd"],
        )
        # on the provider's list unpublished texts are blank: count the rows instead
        if "moderation" in url:
            assert sum(shown[0]) == 3 and sum(shown[1]) == 1
        else:
            assert first.count('data-testid="provider-rating"') == 3
            assert second.count('data-testid="provider-rating"') == 1
