"""Issue 14 (item 5): the public registry of providers at /providers/ — search by name, filters
by form and by direction, pages, a constant number of queries — and /api/v1/providers/ with
?search= and the same filters, showing anonymous callers the public registry fields only."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from pfdo.catalog.tests.factories import ProgramFactory
from pfdo.providers.models import Provider
from pfdo.providers.tests.factories import VALID_ACCOUNT, ProviderFactory, add_staff

PAGE = "/providers/"
API = "/api/v1/providers/"
Status = Provider.Status

# Name search differs by database (ILIKE; a Python regex on SQLite): in the SQLite pass too.
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

# What an anonymous caller of the API may read: the public registry card.
PUBLIC_FIELDS = {
    "id",
    "municipality",
    "full_name",
    "short_name",
    "legal_form",
    "legal_form_display",
    "inn",
    "kpp",
    "ogrn",
    "licence_exempt",
    "licence_number",
    "licence_issued_on",
    "director_name",
    "legal_address",
    "actual_address",
    "phone",
    "email",
    "website",
    "description",
    "status",
    "status_display",
    "accepts_enrolments",
    "rating_avg",
    "rating_count",
    "confidential",
    "duplicate_reason",
}


@pytest.fixture
def registry(vorkuta, inta):
    robots = ProviderFactory(
        municipality=vorkuta,
        short_name="ООО «Робо-Арктика»",
        full_name="Общество с ограниченной ответственностью «Робо-Арктика»",
        legal_form="company",
        bank_name="Банк",
        bik="048702640",
        settlement_account=VALID_ACCOUNT,
    )
    ddt = ProviderFactory(
        municipality=vorkuta, short_name="МБУДО «ДДТ»", full_name="Дом детского творчества"
    )
    ip = ProviderFactory(
        municipality=vorkuta,
        short_name="ИП Сидорова А. В.",
        full_name="Индивидуальный предприниматель Сидорова Анна Викторовна",
        legal_form="ip",
        inn="110300000009",
    )
    checking = ProviderFactory(
        municipality=vorkuta, short_name="АНО «Север»", legal_form="ngo", status=Status.NEEDS_CHECK
    )
    hidden = [
        ProviderFactory(municipality=vorkuta, short_name=f"Скрытый {status}", status=status)
        for status in (Status.UNDER_REVIEW, Status.REJECTED, Status.EXCLUDED)
    ]
    foreign = ProviderFactory(municipality=inta, short_name="ООО «Инта-Робо»")
    ProgramFactory(provider=robots, direction="technical")
    ProgramFactory(provider=robots, direction="technical")
    ProgramFactory(provider=ddt, direction="arts")
    # Unpublished and archived programmes do not make a provider teach a direction.
    ProgramFactory(provider=ip, direction="sports", is_published=False)
    return {
        "robots": robots,
        "ddt": ddt,
        "ip": ip,
        "checking": checking,
        "hidden": hidden,
        "foreign": foreign,
    }


def page_names(client, **query) -> list[str]:
    response = client.get(PAGE, query)
    assert response.status_code == 200
    html = response.content.decode()
    return re.findall(r'data-testid="provider-row">\s*<h3><a href="[^"]+">([^<]+)</a>', html)


def api_names(**query) -> set[str]:
    response = APIClient().get(API, query)
    assert response.status_code == 200, response.content
    return {row["short_name"] for row in response.json()["results"]}


def test_the_page_lists_the_served_municipalitys_registry_by_name(client, registry):
    names = page_names(client)
    # Vorkuta served first; the public statuses only; by name.
    assert names == sorted(names)
    assert set(names) == {
        "ООО «Робо-Арктика»",
        "МБУДО «ДДТ»",
        "ИП Сидорова А. В.",
        "АНО «Север»",
    }
    html = client.get(PAGE).content.decode()
    assert "на проверке" in html  # the provider being checked says so
    assert "программ: 2" in html and f"?provider={registry['robots'].pk}" in html
    assert VALID_ACCOUNT not in html and "048702640" not in html
    # Every municipality when asked.
    assert "ООО «Инта-Робо»" in page_names(client, municipality="")


def test_search_by_name_and_filters_by_form_and_direction(client, registry):
    assert page_names(client, search="робо-арктика") == ["ООО «Робо-Арктика»"]
    assert page_names(client, search="Дом детского") == ["МБУДО «ДДТ»"]
    assert page_names(client, legal_form="ip") == ["ИП Сидорова А. В."]
    assert set(page_names(client, legal_form="private")) == {"ООО «Робо-Арктика»", "АНО «Север»"}
    assert page_names(client, direction="technical") == ["ООО «Робо-Арктика»"]
    assert page_names(client, direction="arts") == ["МБУДО «ДДТ»"]
    assert page_names(client, direction="sports") == []  # its programme is not published
    assert page_names(client, direction="technical", legal_form="ip") == []


def test_a_bad_filter_is_a_message_not_a_list(client, registry):
    response = client.get(PAGE, {"legal_form": "bogus", "direction": "x"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Проверьте фильтры" in html and "Неизвестное значение «bogus»" in html
    assert 'data-testid="provider-row"' not in html


def test_the_status_filter_does_not_open_hidden_providers(client, registry):
    assert "Скрытый" not in client.get(PAGE, {"status": "under_review"}).content.decode()


def test_pages_and_a_constant_number_of_queries(client, vorkuta, django_assert_max_num_queries):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE).status_code == 200
        return len(captured)

    for n in range(3):
        ProgramFactory(provider=ProviderFactory(municipality=vorkuta, short_name=f"А{n:02d}"))
    few = count_queries()
    for n in range(3, 40):
        ProgramFactory(provider=ProviderFactory(municipality=vorkuta, short_name=f"А{n:02d}"))
    with django_assert_max_num_queries(few):
        first = client.get(PAGE)
    html = first.content.decode()
    assert html.count('data-testid="provider-row"') == 30 and "Страница 1 из 2" in html
    second = client.get(PAGE, {"municipality": "vorkuta", "page": 2}).content.decode()
    assert second.count('data-testid="provider-row"') == 10


# ---------------------------------------------------------------------------- API


def test_api_search_by_name_and_the_same_filters(registry):
    assert api_names(search="робо") == {"ООО «Робо-Арктика»", "ООО «Инта-Робо»"}
    assert api_names(search="робо", municipality="vorkuta") == {"ООО «Робо-Арктика»"}
    assert api_names(search="Анна Викторовна") == {"ИП Сидорова А. В."}
    # `search` is by name only: an ИНН finds nothing there (`q` still finds it).
    assert api_names(search=registry["robots"].inn) == set()
    assert api_names(q=registry["robots"].inn) == {"ООО «Робо-Арктика»"}
    assert api_names(direction="technical") == {"ООО «Робо-Арктика»"}
    assert api_names(legal_form="private", municipality="vorkuta") == {
        "ООО «Робо-Арктика»",
        "АНО «Север»",
    }
    bad = APIClient().get(API, {"direction": "nope", "search": "x" * 201})
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["code"] == "validation_error" and set(error["fields"]) == {"direction", "search"}


def test_anonymous_callers_see_the_public_card_only(registry):
    response = APIClient().get(API, {"search": "Робо-Арктика", "municipality": "vorkuta"})
    (row,) = response.json()["results"]
    assert set(row) == PUBLIC_FIELDS
    assert row["confidential"] is None and row["duplicate_reason"] is None
    assert row["legal_address"] == registry["robots"].legal_address  # an organisation's: public
    text = response.content.decode()
    assert VALID_ACCOUNT not in text and "048702640" not in text and "staff" not in text
    ip = APIClient().get(f"{API}{registry['ip'].pk}/").json()
    assert ip["legal_address"] is None  # an ИП's home address is not public
    assert ip["actual_address"] == registry["ip"].actual_address


def test_staff_keep_their_view(registry):
    staff = add_staff(registry["robots"]).user
    client = APIClient()
    client.force_authenticate(staff)
    rows = client.get(API, {"search": "Робо-Арктика"}).json()["results"]
    own = next(row for row in rows if row["id"] == registry["robots"].pk)
    assert own["confidential"]["settlement_account"] == VALID_ACCOUNT
