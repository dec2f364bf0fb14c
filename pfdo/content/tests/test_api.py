"""API of public content: CRUD of the kinds, drafts hidden from the public, editors' scopes,
the one-per-place cards, the error body."""

from __future__ import annotations

import re

import pytest

from pfdo.accounts.tests.factories import PASSWORD
from pfdo.audit.models import ActionLog
from pfdo.common.tests.served_schema import body_is_valid, request_body_schema, served_schema
from pfdo.content import services
from pfdo.content.models import ExpertProfile, News, VideoInstruction

pytestmark = pytest.mark.django_db

NEWS = "/api/v1/content/news/"


def signed_in(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    return body["error"]


@pytest.fixture
def rows(admin, operator, region, vorkuta):
    published = services.create(
        actor=operator,
        kind="news",
        region=region,
        municipality=vorkuta,
        title="Открыта запись",
        body="Текст",
        is_published=True,
    )
    draft = services.create(
        actor=operator,
        kind="news",
        region=region,
        municipality=vorkuta,
        title="Черновик",
        body="Текст",
    )
    regional_draft = services.create(
        actor=admin, kind="news", region=region, title="Региональный черновик", body="Т"
    )
    return {"published": published, "draft": draft, "regional_draft": regional_draft}  # fmt: skip


def titles(response):
    assert response.status_code == 200, response.content
    return sorted(row["title"] for row in response.json()["results"])


def test_anonymous_sees_published_only_and_editors_their_drafts(
    api_client, rows, operator, inta_operator, admin
):
    assert titles(api_client.get(NEWS)) == ["Открыта запись"]
    assert titles(signed_in(api_client, inta_operator).get(NEWS)) == ["Открыта запись"]
    assert titles(signed_in(api_client, operator).get(NEWS)) == ["Открыта запись", "Черновик"]
    assert len(titles(signed_in(api_client, admin).get(NEWS))) == 3
    api_client.force_authenticate(None)
    assert_error(api_client.get(f"{NEWS}{rows['draft'].pk}/"), 404, "not_found")
    body = api_client.get(f"{NEWS}{rows['published'].pk}/").json()
    assert body["is_published"] and body["published_at"] and body["image_url"] is None


def test_filters_are_checked(api_client, rows, admin, vorkuta):
    client = signed_in(api_client, admin)
    assert titles(client.get(NEWS, {"region_wide": "true"})) == ["Региональный черновик"]
    assert titles(client.get(NEWS, {"is_published": "false", "municipality": vorkuta.pk})) == [
        "Черновик"
    ]
    error = assert_error(client.get(NEWS, {"region": "abc"}), 400, "validation_error")
    assert error["fields"]["region"] == ["Регион — целое положительное число (id)."]
    # One strict boolean for every FilterSet: true/false (or 1/0); empty is no filter.
    for value in ("maybe", "null", "yes"):
        error = assert_error(client.get(NEWS, {"region_wide": value}), 400, "validation_error")
        assert error["fields"] == {"region_wide": ["Укажите true или false."]}
    everything = titles(client.get(NEWS))
    assert titles(client.get(NEWS, {"region_wide": "", "is_published": "", "region": ""})) == (
        everything
    )


def test_an_operator_creates_changes_publishes_and_deletes(api_client, operator, vorkuta):
    client = signed_in(api_client, operator)
    response = client.post(
        NEWS,
        {"municipality": vorkuta.pk, "title": "Семинар", "body": "Текст"},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["region"], created["municipality"]) == (vorkuta.region_id, vorkuta.pk)
    assert created["is_published"] is False and created["published_at"] is None
    url = f"{NEWS}{created['id']}/"
    response = client.patch(url, {"summary": "Кратко"}, format="json")
    assert response.json()["summary"] == "Кратко"
    response = client.post(f"{url}publish/")
    assert response.status_code == 200 and response.json()["published_at"]
    response = client.put(
        url, {"municipality": vorkuta.pk, "title": "Семинар 2", "body": "Новый"}, format="json"
    )
    assert response.json()["title"] == "Семинар 2" and response.json()["summary"] == "Кратко"
    assert client.post(f"{url}unpublish/").json()["is_published"] is False
    assert client.delete(url).status_code == 204
    assert not News.objects.exists()
    assert ActionLog.objects.filter(action__startswith="content.").count() == 6


def test_a_materials_region_is_given_at_creation_and_a_change_does_not_take_it(
    api_client, operator, vorkuta, other_region
):
    """The stop CI's stateful run PUT a schema-valid body with another region and got 400: the
    schema cannot say "the current region", so a replace or a change does not declare `region`
    at all (additionalProperties: false) and refuses it with its own message."""
    schema = served_schema()
    for method in ("put", "patch"):
        body = request_body_schema(schema, method, "/api/v1/content/news/{id}/")
        assert "region" not in body["properties"] and body["additionalProperties"] is False
        assert not body_is_valid(
            schema, method, "/api/v1/content/news/{id}/", {"title": "Т", "region": 1}
        )
    assert "region" in request_body_schema(schema, "post", NEWS)["properties"]
    client = signed_in(api_client, operator)
    created = client.post(
        NEWS, {"municipality": vorkuta.pk, "title": "Семинар", "body": "Текст"}, format="json"
    ).json()
    url = f"{NEWS}{created['id']}/"
    for method, region in (
        ("put", other_region.pk),
        ("patch", other_region.pk),
        ("patch", vorkuta.region_id),
    ):
        error = assert_error(
            getattr(client, method)(
                url, {"title": "Новое", "body": "Т", "region": region}, format="json"
            ),
            400,
            "validation_error",
        )
        assert error["fields"] == {"region": [services.REGION_IS_FIXED]}
    news = News.objects.get(pk=created["id"])
    assert (news.title, news.region_id) == ("Семинар", vorkuta.region_id)
    replaced = client.put(
        url, {"municipality": vorkuta.pk, "title": "Новое", "body": "Т"}, format="json"
    )
    assert replaced.status_code == 200 and replaced.json()["region"] == vorkuta.region_id


def test_field_errors_come_in_the_error_body(api_client, operator, vorkuta, inta):
    client = signed_in(api_client, operator)
    error = assert_error(
        client.post(
            "/api/v1/content/videos/",
            {"municipality": vorkuta.pk, "title": "В", "links": ["ftp://x.org/a"], "x": 1},
            format="json",
        ),
        400,
        "validation_error",
    )
    assert error["fields"]["x"] == ["Это поле нельзя передать в этом запросе."]
    error = assert_error(
        client.post(
            "/api/v1/content/videos/",
            {"municipality": vorkuta.pk, "title": "В", "links": ["ftp://x.org/a"]},
            format="json",
        ),
        400,
        "validation_error",
    )
    assert "http" in error["fields"]["links.0"][0]
    error = assert_error(
        client.post(NEWS, {"title": "Т", "body": "Т"}, format="json"), 400, "validation_error"
    )
    assert "region" in error["fields"]
    error = assert_error(
        client.post(NEWS, {"municipality": 999999, "title": "Т", "body": "Т"}, format="json"),
        400,
        "validation_error",
    )
    assert error["fields"] == {"municipality": ["Такого муниципалитета нет."]}
    assert not VideoInstruction.objects.exists() and not News.objects.exists()


def test_another_municipalitys_operator_cannot_edit(api_client, rows, inta_operator, parent, inta):
    client = signed_in(api_client, inta_operator)
    # A published row it sees: forbidden; a draft it does not see: not found.
    published = f"{NEWS}{rows['published'].pk}/"
    assert_error(
        client.patch(published, {"title": "Взлом"}, format="json"), 403, "permission_denied"
    )
    assert_error(client.delete(published), 403, "permission_denied")
    assert_error(client.post(f"{NEWS}{rows['draft'].pk}/publish/"), 404, "not_found")
    # Moving its own row into another municipality is refused as well.
    error = assert_error(
        client.post(NEWS, {"municipality": rows["published"].municipality_id, "title": "Т",
                           "body": "Т"}, format="json"),
        403,
        "permission_denied",
    )  # fmt: skip
    assert error["message"]
    # A parent may not even try; anonymous is asked to sign in.
    assert_error(
        signed_in(api_client, parent).post(NEWS, {"municipality": inta.pk, "title": "Т",
                                                  "body": "Т"}, format="json"),
        403,
        "permission_denied",
    )  # fmt: skip
    api_client.force_authenticate(None)
    assert api_client.post(NEWS, {}, format="json").status_code == 401
    assert News.objects.get(pk=rows["published"].pk).title == "Открыта запись"


def test_portal_card_reads_empty_then_the_administrator_fills_it(
    api_client, region, admin, operator
):
    url = f"/api/v1/content/portal/{region.pk}/"
    body = api_client.get(url).json()
    assert body["region"] == region.pk and body["phone"] == "" and body["updated_at"] is None
    assert_error(api_client.get("/api/v1/content/portal/999999/"), 404, "not_found")
    assert_error(
        signed_in(api_client, operator).put(url, {"phone": "1"}, format="json"),
        403,
        "permission_denied",
    )
    client = signed_in(api_client, admin)
    error = assert_error(
        client.put(url, {"privacy_policy_url": "ftp://example.org/p"}, format="json"),
        400,
        "validation_error",
    )
    assert "privacy_policy_url" in error["fields"]
    response = client.put(
        url, {"operator_name": "МАУ «Центр»", "privacy_policy_url": "https://e.org/p"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    api_client.force_authenticate(None)
    body = api_client.get(url).json()
    assert (body["operator_name"], body["privacy_policy_url"]) == ("МАУ «Центр»", "https://e.org/p")


def test_municipality_page(api_client, vorkuta, operator, inta_operator):
    url = f"/api/v1/content/municipality-pages/{vorkuta.pk}/"
    assert api_client.get(url).json()["certificate_text"] == ""
    assert_error(
        signed_in(api_client, inta_operator).put(url, {"certificate_text": "Т"}, format="json"),
        403,
        "permission_denied",
    )
    response = signed_in(api_client, operator).put(
        url, {"certificate_text": "Первый абзац.\n\nВторой."}, format="json"
    )
    assert response.status_code == 200
    api_client.force_authenticate(None)
    assert api_client.get(url).json()["certificate_text"] == "Первый абзац.\n\nВторой."


def test_expert_card_me_and_public_list(api_client, expert, other_region, admin, make_user):
    # Only an expert has a card of their own: anyone else is refused the right (403).
    refused = assert_error(
        signed_in(api_client, admin).put(
            "/api/v1/content/expert-profiles/me/", {"post": "Методист"}, format="json"
        ),
        403,
        "permission_denied",
    )
    assert refused["message"] == "Карточку эксперта заводит и правит сам эксперт."
    client = signed_in(api_client, expert)
    assert_error(client.get("/api/v1/content/expert-profiles/me/"), 404, "not_found")
    error = assert_error(
        client.put("/api/v1/content/expert-profiles/me/", {"post": "Методист"}, format="json"),
        400,
        "validation_error",
    )
    assert "region" in error["fields"]
    response = client.put(
        "/api/v1/content/expert-profiles/me/",
        {"region": other_region.pk, "post": "Методист"},
        format="json",
    )
    assert response.status_code == 200, response.content
    card = response.json()
    assert (card["region"], card["name"], card["is_public"]) == (
        other_region.pk,
        "Васильев Игорь",
        False,
    )
    api_client.force_authenticate(None)
    assert api_client.get("/api/v1/content/expert-profiles/").json()["count"] == 0
    assert_error(api_client.get(f"/api/v1/content/expert-profiles/{card['id']}/"), 404, "not_found")
    # Another region's administrator sees nothing to edit; the card's own expert publishes it.
    assert_error(
        signed_in(api_client, admin).put(
            f"/api/v1/content/expert-profiles/{card['id']}/", {"post": "X"}, format="json"
        ),
        404,
        "not_found",
    )
    signed_in(api_client, expert).put(
        "/api/v1/content/expert-profiles/me/", {"is_public": True}, format="json"
    )
    api_client.force_authenticate(None)
    listed = api_client.get("/api/v1/content/expert-profiles/", {"region": other_region.pk})
    assert [row["post"] for row in listed.json()["results"]] == ["Методист"]
    assert ExpertProfile.objects.get().is_public


def test_bearer_token_writes_too(client, api_client, operator, vorkuta):
    # The session and the token both reach the same service; the token is what clients use.
    response = api_client.post(
        "/api/v1/auth/token/", {"login": operator.username, "password": PASSWORD}, format="json"
    )
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api_client.post(
        "/api/v1/content/contacts/", {"municipality": vorkuta.pk, "name": "Центр"}, format="json"
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("placed", "extra", "allowed", "fields"),
    [
        ({"municipality": True}, {}, True, set()),
        ({"region": True}, {}, True, set()),
        ({}, {}, False, {"region"}),
        ({"municipality": None}, {}, False, {"region"}),
        ({"municipality": True}, {"typo": 1}, False, {"typo"}),
    ],
)
def test_the_schema_states_a_new_rows_place_and_no_unknown_fields(
    api_client, admin, vorkuta, placed, extra, allowed, fields
):
    """Issue 18: a new row is placed by its region or its municipality (anyOf), and a field the
    body does not know is refused (additionalProperties: false)."""
    from pfdo.common.tests.served_schema import body_is_valid, served_schema

    ids = {"municipality": vorkuta.pk, "region": vorkuta.region_id}
    body = {name: (ids[name] if value else None) for name, value in placed.items()}
    body |= {"title": "Новость", "body": "Текст", **extra}
    assert body_is_valid(served_schema(), "POST", "/api/v1/content/news/", body) is allowed
    response = signed_in(api_client, admin).post("/api/v1/content/news/", body, format="json")
    if allowed:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == fields


@pytest.mark.parametrize(
    ("link", "accepted"),
    [
        ("https://rutube.ru/video/abc/", True),
        ("http://a", True),
        ("https://видео.рф/ролик", True),
        (" https://x.org/a", False),
        ("https://x.org/a b", False),
        ("javascript:alert(1)", False),
        ("ftp://x.org/a", False),
        ("", False),
    ],
)
def test_a_video_link_is_exactly_what_the_schema_states(
    api_client, operator, vorkuta, link, accepted
):
    from pfdo.content.services import LINK_PATTERN

    assert (re.search(LINK_PATTERN, link) is not None) is accepted
    response = signed_in(api_client, operator).post(
        "/api/v1/content/videos/",
        {"municipality": vorkuta.pk, "title": "Видео", "links": [link]},
        format="json",
    )
    assert response.status_code == (201 if accepted else 400), response.content
    if not accepted:
        assert set(response.json()["error"]["fields"]) == {"links.0"}  # the item at fault
