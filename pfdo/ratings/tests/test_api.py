"""/api/v1/ratings/: scoped reads, the parent's rating and change, moderation, the reply;
the error body on bad input with nothing saved; the access matrix; Idempotency-Key."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from pfdo.common import clock
from pfdo.common.tests.worlds import copy_of, world_once
from pfdo.ratings import services
from pfdo.ratings.models import Rating, Reply
from pfdo.ratings.tests.world import SCORES, TODAY, build

pytestmark = pytest.mark.django_db
built = world_once(build)
URL = "/api/v1/ratings/"


@pytest.fixture
def w(built, db):
    return copy_of(built)


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


def client_of(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def body(contract, **scores):
    return {"contract": contract.pk, **SCORES, **scores}


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def published(w, key="a", text="Отличный кружок"):
    rating = services.rate(
        actor=w.fams[key].parent, contract=w.contracts[key], scores=SCORES, text=text
    )
    return services.publish(actor=w.operator, rating=rating)


def test_parent_rates_and_sees_the_own_rating(w):
    response = client_of(w.fams["a"].parent).post(
        URL, body(w.contracts["a"], text="Ребёнок доволен"), format="json"
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["author"] == "Родитель"
    assert data["contract"] == w.contracts["a"].pk
    assert data["overall"] == "4.33"
    assert (data["text"], data["text_status"]) == ("Ребёнок доволен", "pending")
    assert data["reply"] is None
    assert Rating.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"teacher_score": 0}, "teacher_score"),
        ({"learning_score": 6}, "learning_score"),
        ({"organisation_score": "пять"}, "organisation_score"),
        ({"organisation_score": None}, "organisation_score"),
        ({"text": "я" * 2001}, "text"),
        ({"contract": "x"}, "contract"),
    ],
)
def test_bad_input_is_400_with_a_russian_field_error_and_nothing_saved(w, change, field):
    response = client_of(w.fams["a"].parent).post(
        URL, {**body(w.contracts["a"]), **change}, format="json"
    )
    error = assert_error(response, 400, "validation_error")
    assert field in error["fields"]
    assert any(ch in error["fields"][field][0] for ch in "абвгдеёжзийклмнопрстуфхцчшщыэюя")
    assert not Rating.objects.exists()


def test_second_rating_is_409_already_rated(w):
    client = client_of(w.fams["a"].parent)
    assert client.post(URL, body(w.contracts["a"]), format="json").status_code == 201
    assert_error(
        client.post(URL, body(w.contracts["a"], teacher_score=1), format="json"),
        409,
        "already_rated",
    )
    assert Rating.objects.get().teacher_score == 5


def test_no_qualifying_contract_is_409_not_eligible(w):
    response = client_of(w.fams["e"].parent).post(URL, body(w.contracts["e"]), format="json")
    assert_error(response, 409, "not_eligible")
    assert not Rating.objects.exists()


def test_another_familys_contract_is_404(w):
    response = client_of(w.fams["c"].parent).post(URL, body(w.contracts["a"]), format="json")
    assert_error(response, 404, "not_found")
    assert not Rating.objects.exists()


@pytest.mark.parametrize("who", ["staff1", "operator", "payer", None])
def test_only_parents_rate(w, who):
    user = getattr(w, who) if who else None
    response = client_of(user).post(URL, body(w.contracts["a"]), format="json")
    assert response.status_code in (401, 403)
    assert "error" in response.json()
    assert not Rating.objects.exists()


def test_change_within_the_window_then_409(w):
    client = client_of(w.fams["a"].parent)
    pk = client.post(URL, body(w.contracts["a"]), format="json").json()["id"]
    response = client.patch(f"{URL}{pk}/", {"teacher_score": 2}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["teacher_score"] == 2
    assert response.json()["learning_score"] == 4
    assert_error(
        client.patch(f"{URL}{pk}/", {"teacher_score": 9}, format="json"), 400, "validation_error"
    )
    with clock.frozen(TODAY + dt.timedelta(days=31)):
        assert_error(
            client.patch(f"{URL}{pk}/", {"teacher_score": 5}, format="json"),
            409,
            "edit_window_closed",
        )
    assert Rating.objects.get().teacher_score == 2


def test_another_family_cannot_change_a_published_rating(w):
    rating = published(w)
    response = client_of(w.fams["c"].parent).patch(
        f"{URL}{rating.pk}/", {"teacher_score": 1}, format="json"
    )
    assert response.status_code in (403, 404)
    assert Rating.objects.get().teacher_score == 5


def test_anonymous_sees_published_reviews_of_published_programmes_without_names(w):
    from pfdo.catalog.models import Program

    rating = published(w)
    services.rate(actor=w.fams["b"].parent, contract=w.contracts["b"], scores=SCORES, text="Ждёт")
    Program.objects.filter(pk=w.program_a.pk).update(is_published=False)
    response = client_of(None).get(URL)
    assert response.json()["count"] == 0  # the programme is not in the catalogue
    Program.objects.filter(pk=w.program_a.pk).update(is_published=True)
    data = client_of(None).get(URL).json()
    assert [row["id"] for row in data["results"]] == [rating.pk]
    row = data["results"][0]
    assert (row["author"], row["contract"], row["hidden_reason"]) == ("Родитель", None, "")
    text = str(data)
    for person in (w.fams["a"].parent.last_name, w.fams["a"].child.first_name, "Иванова"):
        assert person not in text


def test_scoping_by_role(w):
    a = published(w)
    b = services.rate(
        actor=w.fams["b"].parent, contract=w.contracts["b"], scores=SCORES, text="Ждёт"
    )
    g = services.rate(actor=w.fams["g"].parent, contract=w.contracts["g"], scores=SCORES)

    def ids(user):
        return {row["id"] for row in client_of(user).get(URL).json()["results"]}

    # a is a published review of a published programme: everyone sees it.
    assert ids(w.fams["b"].parent) == {a.pk, b.pk}
    assert ids(w.fams["e"].parent) == {a.pk}
    assert ids(w.staff1) == {a.pk, b.pk}
    assert ids(w.staff2) == {a.pk, g.pk}
    assert ids(w.operator) == {a.pk, b.pk, g.pk}
    assert ids(w.inta_operator) == {a.pk}
    assert ids(None) == {a.pk}
    # the provider sees an unpublished text as empty, the family and the operator see it
    assert client_of(w.staff1).get(f"{URL}{b.pk}/").json()["text"] == ""
    assert client_of(w.operator).get(f"{URL}{b.pk}/").json()["text"] == "Ждёт"
    assert client_of(w.fams["c"].parent).get(f"{URL}{b.pk}/").status_code == 404
    assert client_of(w.inta_operator).get(f"{URL}{g.pk}/").status_code == 404


def test_operator_publishes_and_hides(w):
    rating = services.rate(
        actor=w.fams["a"].parent, contract=w.contracts["a"], scores=SCORES, text="Текст"
    )
    client = client_of(w.operator)
    response = client.post(f"{URL}{rating.pk}/publish/", format="json")
    assert response.status_code == 200 and response.json()["text_status"] == "published"
    error = assert_error(
        client.post(f"{URL}{rating.pk}/hide/", {}, format="json"), 400, "validation_error"
    )
    assert "reason" in error["fields"]
    response = client.post(f"{URL}{rating.pk}/hide/", {"reason": "Оскорбления"}, format="json")
    assert response.json()["hidden_reason"] == "Оскорбления"
    assert_error(
        client.post(f"{URL}{rating.pk}/hide/", {"reason": "ещё"}, format="json"),
        409,
        "not_moderatable",
    )
    # the author sees the reason
    mine = client_of(w.fams["a"].parent).get(f"{URL}{rating.pk}/").json()
    assert (mine["text_status"], mine["hidden_reason"]) == ("hidden", "Оскорбления")


def test_moderation_by_others_is_refused(w):
    rating = services.rate(
        actor=w.fams["a"].parent, contract=w.contracts["a"], scores=SCORES, text="Текст"
    )
    assert client_of(w.inta_operator).post(f"{URL}{rating.pk}/publish/").status_code == 404
    assert client_of(w.staff1).post(f"{URL}{rating.pk}/publish/").status_code == 403
    assert client_of(w.fams["a"].parent).post(f"{URL}{rating.pk}/publish/").status_code == 403
    assert Rating.objects.get().text_status == "pending"


def test_provider_replies_once_and_another_provider_cannot(w):
    rating = published(w)
    other = client_of(w.staff2).post(f"{URL}{rating.pk}/reply/", {"text": "Мы"}, format="json")
    assert other.status_code in (403, 404)
    assert "error" in other.json()
    client = client_of(w.staff1)
    assert_error(
        client.post(f"{URL}{rating.pk}/reply/", {"text": ""}, format="json"),
        400,
        "validation_error",
    )
    response = client.post(f"{URL}{rating.pk}/reply/", {"text": "Спасибо!"}, format="json")
    assert response.status_code == 201
    assert response.json()["reply"]["text"] == "Спасибо!"
    assert_error(
        client.post(f"{URL}{rating.pk}/reply/", {"text": "Ещё"}, format="json"),
        409,
        "already_replied",
    )
    assert Reply.objects.count() == 1


def test_idempotency_key_replays_the_first_answer(w):
    client = client_of(w.fams["a"].parent)
    first = client.post(URL, body(w.contracts["a"]), format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    again = client.post(URL, body(w.contracts["a"]), format="json", HTTP_IDEMPOTENCY_KEY="r-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = client.post(
        URL, body(w.contracts["a"], teacher_score=1), format="json", HTTP_IDEMPOTENCY_KEY="r-1"
    )
    assert other.status_code == 409
    assert Rating.objects.count() == 1


def test_programme_api_shows_the_count_and_no_average_below_three(w):
    from pfdo.catalog.models import Program

    Program.objects.filter(pk=w.program_a.pk).update(is_published=True)
    published(w, "a")
    data = client_of(None).get(f"/api/v1/programs/{w.program_a.pk}/").json()
    assert (data["rating_avg"], data["rating_count"]) == (None, 1)
    published(w, "b")
    published(w, "c")
    data = client_of(None).get(f"/api/v1/programs/{w.program_a.pk}/").json()
    assert (data["rating_avg"], data["rating_count"]) == ("4.33", 3)
