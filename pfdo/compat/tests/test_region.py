"""The region, operator and municipality operations of the compatibility API, on rows each
test makes (the contract test covers the shapes on the demo)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pfdo.compat.tests.conftest import CompatClient
from pfdo.content.models import MunicipalityPage, PortalSettings, UsefulContact
from pfdo.territory.tests.factories import MunicipalityFactory, RegionFactory

NOT_FOUND = {"name": "Not Found", "code": 0, "status": 404}


@pytest.fixture
def client(db) -> CompatClient:
    return CompatClient()


def _data(response, status: int = 200):
    assert response.status_code == status, response.content
    body = response.json()
    if status == 200:
        assert body["result_code"] == "FLSCS"
        return body["data"]
    assert body["status"] == status and body["name"]
    return body


def _card(region, **fields) -> PortalSettings:
    card, _ = PortalSettings.objects.update_or_create(region=region, defaults=fields)
    return card


# ------------------------------------------------------------------ regions


def test_regions_read_the_portal_addresses_in_one_query_for_any_number(client, region):
    _card(region, site_url="https://komi.example.org/")
    with CaptureQueriesContext(connection) as few:
        data = _data(client.get("main-page/regions"))
    assert {"id": region.pk, "name": region.name, "url": "https://komi.example.org/"} == {
        key: data[0][key] for key in ("id", "name", "url")
    }
    for _ in range(6):
        RegionFactory()
    with CaptureQueriesContext(connection) as many:
        data = _data(client.get("main-page/regions"))
    assert len(data) == 7
    other = next(row for row in data if row["id"] != region.pk)
    assert other["url"] == "http://testserver/"
    assert len(many) == len(few)


def test_map_regions_carry_okato_the_operator_and_whether_any_municipality_is_active(
    client, vorkuta
):
    empty = RegionFactory(code="empty", name="Пустой", okato="")
    MunicipalityFactory(region=empty, is_active=False)
    data = _data(client.get("operator/regions?expand=certificate_source"))
    by_id = {row["id"]: row for row in data}
    komi = by_id[vorkuta.region_id]
    assert komi["reg_id"] == "11"
    assert komi["operator_id"] == vorkuta.region_id
    assert komi["enabled"] is True
    assert komi["certificate_source"] == 1
    assert by_id[empty.pk]["enabled"] is False
    assert by_id[empty.pk]["reg_id"] == ""
    # Always there, asked or not.
    assert all("certificate_source" in row for row in _data(client.get("operator/regions")))


# ------------------------------------------------------------------ the operator


def test_operator_info_from_the_card_blank_fields_null(client, region):
    _card(
        region,
        operator_name="ГАУ «Региональный оператор»",
        phone="+7 8212 00-00-00",
        email="op@example.org",
        address_actual="Сыктывкар, ул. Первая, 1",
    )
    data = _data(client.get(f"main-page/operator-info/{region.pk}"))
    assert data["id"] == region.pk
    assert data["name"] == "ГАУ «Региональный оператор»"
    assert data["region"] == data["full_region_name"] == "Республика Коми"
    assert data["phone"] == "+7 8212 00-00-00"
    assert data["email_operator"] == "op@example.org"
    assert data["address_actual"] == "Сыктывкар, ул. Первая, 1"
    assert data["phone_extra"] is None and data["address_legal"] is None
    assert data["url"] == "http://testserver/" and data["external"] is False
    for name in (
        "authorized_organization",
        "region_password_security_policy",
        "create_pdf_on_certificate_user_change",
    ):
        assert name not in data


def test_operator_info_without_a_card_names_the_region(client, region):
    data = _data(client.get(f"main-page/operator-info/{region.pk}"))
    assert data["name"] == "Республика Коми"
    assert data["phone"] is None and data["email_operator"] is None


def test_operator_info_expands_say_what_this_system_does(client, region, settings):
    settings.AUTH_PASSWORD_VALIDATORS = [
        {
            "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
            "OPTIONS": {"min_length": 11},
        },
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]
    data = _data(
        client.get(
            f"main-page/operator-info/{region.pk}?expand=authorized_organization,"
            "region_password_security_policy,create_pdf_on_certificate_user_change,unknown"
        )
    )
    assert data["authorized_organization"] is None
    assert data["create_pdf_on_certificate_user_change"] is False
    assert data["region_password_security_policy"] == {
        "min_length": 11,
        "not_only_digits": True,
        "not_common": False,
        "not_similar_to_user": False,
    }
    assert "unknown" not in data


@pytest.mark.parametrize(
    "path",
    [
        "main-page/operator-info/{missing}",
        "main-page/operator-info/abc",
        "main-page/operator-info/-1",
        "main-page/operator-info/99999999999",
        "main-page/muns/{missing}",
        "main-page/muns/1e3",
        "main-page/certificate-ways/{missing}",
        "main-page/certificate-ways/%D0%B0",
    ],
)
def test_unknown_or_malformed_operator_ids_are_the_404_envelope(client, region, path):
    body = _data(client.get(path.format(missing=region.pk + 1000)), 404)
    assert {key: body[key] for key in NOT_FOUND} == NOT_FOUND


@pytest.mark.parametrize(
    "query",
    ["", "?operator_id=", "?operator_id=x", "?operator_id=1&operator_id=2", "?operator_id=99999"],
)
def test_main_page_settings_needs_one_numeric_known_operator_id(client, region, query):
    body = _data(client.get("main-page-settings" + query), 400)
    assert "operator_id" in body["message"]


def test_main_page_settings_titles_from_the_card(client, region):
    _card(region, navigator_title="Навигатор Коми", news_title="")
    data = _data(client.get(f"main-page-settings?operator_id={region.pk}"))
    assert data == {
        "operator_id": region.pk,
        "blocks_arrangement": [],
        "navigator_title": "Навигатор Коми",
        "news_title": None,
        "login_form_title": None,
        "certificate_info_cards": [],
    }


def test_certificate_ways_are_the_online_application_and_the_operator(client, region):
    data = _data(client.get(f"main-page/certificate-ways/{region.pk}"))
    assert [way["id"] for way in data] == [1, 2]
    assert "http://testserver/certificates/apply/" in data[0]["description"]


# ------------------------------------------------------------------ municipalities


def test_operator_municipalities_are_its_active_ones(client, vorkuta):
    MunicipalityFactory(region=vorkuta.region, name="Ухта")
    MunicipalityFactory(region=vorkuta.region, name="Закрытый", is_active=False)
    MunicipalityFactory(region=RegionFactory(), name="Чужой")
    data = _data(client.get(f"main-page/muns/{vorkuta.region_id}"))
    assert [row["name"] for row in data] == ["Воркута", "Ухта"]
    assert data[0] == {"id": vorkuta.pk, "name": "Воркута"}


def test_municipality_info_escapes_the_text_into_paragraphs(client, vorkuta):
    MunicipalityPage.objects.create(
        municipality=vorkuta,
        certificate_text="Приходите <b>в понедельник</b> & вторник.\n\nС паспортом.",
    )
    data = _data(client.get(f"main-page/info-mun/{vorkuta.pk}"))
    assert data == {
        "name": "Воркута",
        "text": "<p>Приходите &lt;b&gt;в понедельник&lt;/b&gt; &amp; вторник.</p>\n\n"
        "<p>С паспортом.</p>",
        "create-certificate-link": "http://testserver/certificates/apply/",
        "statement_example": None,
    }


def test_municipality_info_without_a_page_has_empty_text(client, vorkuta):
    assert _data(client.get(f"main-page/info-mun/{vorkuta.pk}"))["text"] == ""


def test_an_inactive_or_unknown_municipality_is_not_found(client, vorkuta):
    closed = MunicipalityFactory(region=vorkuta.region, is_active=False)
    _data(client.get(f"main-page/info-mun/{closed.pk}"), 404)
    _data(client.get(f"main-page/info-mun/{closed.pk + 1000}"), 404)
    _data(client.get("main-page/info-mun/vorkuta"), 404)


def test_public_municipalities_search_the_name_ignoring_case(client, vorkuta):
    MunicipalityFactory(region=RegionFactory(), name="Усинск")
    MunicipalityFactory(region=vorkuta.region, name="Воркутинский закрытый", is_active=False)
    assert {row["name"] for row in _data(client.get("public/municipalities"))} == {
        "Воркута",
        "Усинск",
    }
    found = _data(client.get("public/municipalities?search[name]=ВОРКУТ"))
    assert found == [{"id": vorkuta.pk, "name": "Воркута"}]
    assert _data(client.get("public/municipalities?search[name]=нет такого")) == []


def test_public_municipalities_refuse_a_malformed_search(client, vorkuta):
    _data(client.get("public/municipalities?search[Name!]=x"), 400)


# ------------------------------------------------------------------ useful contacts


def _contact(region, municipality=None, *, published=True, **fields):
    return UsefulContact.objects.create(
        region=region,
        municipality=municipality,
        is_published=published,
        name=fields.pop("name", "Управление образования"),
        **fields,
    )


def test_useful_contacts_are_the_published_ones_of_active_municipalities(client, vorkuta):
    shown = _contact(vorkuta.region, vorkuta, phone="+7 82151 0-00-00", position=2)
    region_wide = _contact(vorkuta.region, name="Региональный оператор", position=1)
    _contact(vorkuta.region, vorkuta, published=False)
    closed = MunicipalityFactory(region=vorkuta.region, is_active=False)
    _contact(vorkuta.region, closed)
    other = _contact(RegionFactory())
    data = _data(
        client.get(f"public/municipality-useful-contact?search[operator_id]={vorkuta.region_id}")
    )
    assert [row["id"] for row in data] == [region_wide.pk, shown.pk]
    assert data[1] == {
        "id": shown.pk,
        "operator_id": vorkuta.region_id,
        "municipality_id": vorkuta.pk,
        "name": "Управление образования",
        "phone": "+7 82151 0-00-00",
        "email": None,
        "address": None,
    }
    assert data[0]["municipality_id"] is None
    everyone = _data(client.get("public/municipality-useful-contact"))
    assert other.pk in {row["id"] for row in everyone}


def test_useful_contacts_page_and_query_count_does_not_grow(client, vorkuta):
    for number in range(3):
        _contact(vorkuta.region, vorkuta, name=f"Контакт {number}", position=number)
    with CaptureQueriesContext(connection) as few:
        first = _data(client.get("public/municipality-useful-contact?per-page=2"))
    second = _data(client.get("public/municipality-useful-contact?per-page=2&page=2"))
    assert [row["name"] for row in first + second] == ["Контакт 0", "Контакт 1", "Контакт 2"]
    for number in range(3, 40):
        _contact(vorkuta.region, vorkuta, name=f"Контакт {number}", position=number)
    with CaptureQueriesContext(connection) as many:
        assert len(_data(client.get("public/municipality-useful-contact?per-page=30"))) == 30
    assert len(many) == len(few)


@pytest.mark.parametrize(
    "query",
    ["per-page=0", "per-page=-1", "per-page=10000", "page=0", "search[operator_id]=komi"],
)
def test_useful_contacts_refuse_bad_paging_and_filters(client, region, query):
    _data(client.get(f"public/municipality-useful-contact?{query}"), 400)


def test_useful_contacts_of_an_unknown_operator_are_a_bad_parameter(client, region):
    body = _data(
        client.get(f"public/municipality-useful-contact?search[operator_id]={region.pk + 1000}"),
        400,
    )
    assert "search[operator_id]" in body["message"]
