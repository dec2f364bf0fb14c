"""Organisations and events of the compatibility API: who is listed, what of them leaves, the
search, the operator's checks, and a query count that does not grow with the page."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pfdo.catalog.tests.factories import ProgramFactory
from pfdo.compat.tests.conftest import CompatClient
from pfdo.providers.models import Provider
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.territory.tests.factories import MunicipalityFactory, RegionFactory

SEARCH = "main-page/search/organizations"


@pytest.fixture
def api(db) -> CompatClient:
    return CompatClient()


@pytest.fixture
def world(region, vorkuta):
    other_region = RegionFactory(code="nenets", name="Ненецкий АО", okato="83")
    closed = MunicipalityFactory(region=region, code="closed", name="Закрытый", is_active=False)
    elsewhere = MunicipalityFactory(region=other_region, code="naryan", name="Нарьян-Мар")
    listed = ProviderFactory(
        municipality=vorkuta,
        short_name="Дом творчества «Радуга»",
        full_name="Муниципальное учреждение дополнительного образования «Дом творчества»",
        director_name="Иванова Мария Петровна",
        website="https://raduga.example.org",
        bank_name="Банк «Секрет»",
        bik="048702640",
        settlement_account="40701810000000000001",
        kpp="110301001",
    )
    checked = ProviderFactory(
        municipality=vorkuta,
        short_name="Станция юных техников",
        status=Provider.Status.NEEDS_CHECK,
        website="",
        director_name="",
    )
    ProviderFactory(municipality=vorkuta, short_name="Отказано", status=Provider.Status.REJECTED)
    ProviderFactory(municipality=vorkuta, short_name="Исключено", status=Provider.Status.EXCLUDED)
    ProviderFactory(municipality=closed, short_name="В закрытом муниципалитете")
    foreign = ProviderFactory(municipality=elsewhere, short_name="Ненецкий центр")
    ProgramFactory(provider=listed)
    ProgramFactory(provider=listed)
    ProgramFactory(provider=listed, is_published=False)
    return {
        "region": region,
        "other_region": other_region,
        "listed": listed,
        "checked": checked,
        "foreign": foreign,
    }


def _data(response, status=200):
    assert response.status_code == status, response.json()
    return response.json()["data"]


def test_lists_public_providers_of_the_regions_active_municipalities_by_name(api, world):
    items = _data(api.get(f"{SEARCH}?operator={world['region'].pk}"))
    assert [item["id"] for item in items] == [world["listed"].pk, world["checked"].pk]
    assert items[0] == {
        "id": world["listed"].pk,
        "name": "Дом творчества «Радуга»",
        "address": world["listed"].actual_address,
        "image_url": None,
        "fio_contact": "Иванова Мария Петровна",
        "site": "https://raduga.example.org",
    }
    # Blank public fields are null, as the description allows.
    assert items[1]["fio_contact"] is None and items[1]["site"] is None


def test_the_other_region_sees_only_its_own(api, world):
    items = _data(api.get(f"{SEARCH}?operator={world['other_region'].pk}"))
    assert [item["id"] for item in items] == [world["foreign"].pk]


@pytest.mark.parametrize("text", ["радуга", "РАДУГА", "дом ТВОРЧЕСТВА", "образования «ДОМ"])
def test_search_name_matches_short_or_full_name_whatever_the_case(api, world, text):
    items = _data(api.get(f"{SEARCH}?operator={world['region'].pk}&search[name]={quote(text)}"))
    assert [item["id"] for item in items] == [world["listed"].pk]


def test_search_name_finding_nothing_is_an_empty_page(api, world):
    assert _data(api.get(f"{SEARCH}?operator={world['region'].pk}&search[name]=zzz")) == []


def test_paging_a_shorter_page_is_the_last(api, world):
    base = f"{SEARCH}?operator={world['region'].pk}&per-page=1"
    first = _data(api.get(base + "&page=1"))
    second = _data(api.get(base + "&page=2"))
    third = _data(api.get(base + "&page=3"))
    assert [first[0]["id"], second[0]["id"]] == [world["listed"].pk, world["checked"].pk]
    assert third == []


def test_no_bank_details_nor_registry_numbers_leave(api, world):
    listed = world["listed"]
    for path in (f"{SEARCH}?operator={world['region'].pk}", f"{SEARCH}/{listed.pk}"):
        text = api.get(path).content.decode()
        for secret in (
            listed.bank_name,
            listed.bik,
            listed.settlement_account,
            listed.inn,
            listed.kpp,
            listed.ogrn,
        ):
            assert secret not in text, (path, secret)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),  # operator is required
        ("?operator=abc", 400),
        ("?operator=-1", 400),
        ("?operator={region}&operator={region}", 400),
        ("?operator=999999", 400),
        ("?operator={region}&per-page=0", 400),
        ("?operator={region}&per-page=-5", 400),
        ("?operator={region}&per-page=10000", 400),
        ("?operator={region}&page=0", 400),
        ("?operator={region}&search[name=x", 400),
        ("?operator={region}&search[name]=" + "я" * 201, 400),
        ("?operator={region}&search[name]=%01", 400),
        ("?operator={region}&expand=bad%20name", 400),
    ],
)
def test_bad_input_is_the_envelope_never_a_500(api, world, query, status):
    response = api.get(SEARCH + query.format(region=world["region"].pk))
    assert response.status_code == status
    body = response.json()
    assert body["status"] == status and body["code"] == 0 and body["message"]


def test_unknown_expand_and_search_keys_are_ignored(api, world):
    query = f"?operator={world['region'].pk}&expand=whatever&search[mun]=1"
    assert len(_data(api.get(SEARCH + query))) == 2


def test_query_count_does_not_grow_with_the_page(api, world):
    for index in range(30):
        ProviderFactory(municipality=world["listed"].municipality, short_name=f"Клуб {index:02d}")
    counts = {}
    for size in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            items = _data(api.get(f"{SEARCH}?operator={world['region'].pk}&per-page={size}"))
        assert len(items) == min(size, 32)
        counts[size] = len(queries)
    assert counts[1] == counts[100] <= 3, counts


def test_detail_card_with_the_public_extras(api, world):
    listed = world["listed"]
    data = _data(api.get(f"{SEARCH}/{listed.pk}"))
    assert data == {
        "id": listed.pk,
        "name": listed.short_name,
        "address": listed.actual_address,
        "image_url": None,
        "image_color": None,
        "fio_contact": "Иванова Мария Петровна",
        "site": "https://raduga.example.org",
        "director_name": "Иванова Мария Петровна",
        "full_name": listed.full_name,
        "phone": listed.phone,
        "email": listed.email,
        "municipality_id": listed.municipality_id,
        "operator_id": world["region"].pk,
        "programs_count": 2,  # the unpublished one is not counted
    }


def test_detail_with_the_right_operator_and_with_another(api, world):
    listed = world["listed"]
    assert _data(api.get(f"{SEARCH}/{listed.pk}?operator={world['region'].pk}"))["id"] == listed.pk
    response = api.get(f"{SEARCH}/{listed.pk}?operator={world['other_region'].pk}")
    assert response.status_code == 404
    assert api.get(f"{SEARCH}/{listed.pk}?operator=999999").status_code == 404
    assert api.get(f"{SEARCH}/{listed.pk}?operator=abc").status_code == 400


@pytest.mark.parametrize("status", [Provider.Status.REJECTED, Provider.Status.EXCLUDED])
def test_detail_of_a_provider_not_in_public_status_is_404(api, world, status):
    hidden = Provider.objects.get(short_name="Отказано" if status == "rejected" else "Исключено")
    assert api.get(f"{SEARCH}/{hidden.pk}").status_code == 404


def test_detail_of_a_provider_of_an_inactive_municipality_is_404(api, world):
    hidden = Provider.objects.get(short_name="В закрытом муниципалитете")
    assert api.get(f"{SEARCH}/{hidden.pk}").status_code == 404


@pytest.mark.parametrize("raw", ["abc", "-1", "1.5", "%201", "99999999999", "0x10", "2147483648"])
def test_detail_with_a_non_numeric_or_huge_id_is_404(api, world, raw):
    response = api.get(f"{SEARCH}/{raw}")
    assert response.status_code == 404
    assert response.json()["name"] == "Not Found"


def test_events_search_is_an_empty_list_but_checks_its_parameters(api, world):
    events = "main-page/search/events"
    assert _data(api.get(f"{events}?operator={world['region'].pk}&search[name]=x")) == []
    assert api.get(events).status_code == 400
    assert api.get(f"{events}?operator=999999").status_code == 400
    assert api.get(f"{events}?operator={world['region'].pk}&per-page=0").status_code == 400


@pytest.mark.parametrize("raw", ["1", "12345", "abc"])
def test_every_event_card_is_404(api, world, raw):
    response = api.get(f"main-page/search/events/{raw}")
    assert response.status_code == 404
    assert response.json()["status"] == 404
