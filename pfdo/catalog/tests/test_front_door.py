"""Issue 14 (item 5), the front door: "Получить сертификат" on the home page, the login page and
every programme page for visitors without a login; the public pages linked from the footer;
the catalogue's provider field and its search by a provider's name."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from pfdo.catalog.tests.factories import ProgramFactory
from pfdo.catalog.tests.test_filters import make_provider
from pfdo.catalog.tests.test_public_views import _queries

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]

APPLY = reverse("family:apply")
LIST = reverse("catalog:list")
GET_CERTIFICATE = re.compile(
    rf'<a href="{APPLY}"[^>]*data-testid="get-certificate"[^>]*>Получить сертификат</a>'
)


@pytest.fixture
def robo(vorkuta):
    provider = make_provider(
        vorkuta,
        short_name="ООО «Робо-Арктика»",
        full_name="Общество с ограниченной ответственностью «Робо-Арктика»",
    )
    return ProgramFactory(provider=provider, name="Дроны", description="Полёты.")


@pytest.mark.parametrize("page", ["territory:home", "accounts:login"])
def test_visitors_find_get_a_certificate(client, page, robo):
    html = client.get(reverse(page)).content.decode()
    assert GET_CERTIFICATE.search(html), html


def test_every_programme_page_offers_it_to_visitors_without_a_login(
    client, robo, make_user, vorkuta
):
    url = reverse("catalog:program_detail", args=[robo.pk])
    html = client.get(url).content.decode()
    assert GET_CERTIFICATE.search(html)
    assert 'data-testid="get-certificate-note"' in html
    client.force_login(make_user("parent", municipality=vorkuta))
    signed_in = client.get(url).content.decode()
    assert 'data-testid="get-certificate-note"' not in signed_in
    assert (
        'data-testid="get-certificate"'
        not in client.get(reverse("territory:home")).content.decode()
    )


def test_the_footer_links_the_public_pages(client, robo):
    html = client.get(LIST).content.decode()
    footer = html[html.index('<footer class="site-footer') :]
    for url in (
        APPLY,
        reverse("family:application_status"),
        reverse("enrolment:check"),
        reverse("providers:public_list"),
    ):
        assert f'href="{url}"' in footer, url
        assert client.get(url).status_code == 200, url


def test_the_catalogue_finds_programmes_by_their_providers_name(client, robo, vorkuta):
    other = make_provider(vorkuta, short_name="ДДТ «Радуга»")
    ProgramFactory(provider=other, name="Рисование", description="Гуашь.")
    html = client.get(LIST, {"q": "Робо-Арктика"}).content.decode()
    assert "Дроны" in html and "Рисование" not in html


def test_the_catalogue_form_has_the_provider_field(client, robo, vorkuta):
    other = make_provider(vorkuta, short_name="ДДТ «Радуга»")
    ProgramFactory(provider=other, name="Рисование")
    silent = make_provider(vorkuta, short_name="Без программ")
    ProgramFactory(provider=silent, name="Черновик", is_published=False)
    html = client.get(LIST).content.decode()
    select = re.search(r'<select name="provider".*?</select>', html, re.S).group(0)
    assert "ООО «Робо-Арктика»" in select and "ДДТ «Радуга»" in select
    assert "Без программ" not in select  # no published programme
    chosen = client.get(LIST, {"provider": robo.provider_id}).content.decode()
    assert f'<option value="{robo.provider_id}" selected>' in chosen
    assert "Дроны" in chosen and "Рисование" not in chosen
    bad = client.get(LIST, {"provider": "abc"}).content.decode()
    assert "Поставщик — целое положительное число (id)." in bad


def test_the_provider_field_and_the_name_search_keep_the_query_count(client, vorkuta, robo):
    params = {"q": "Робо-Арктика"}
    few = _queries(client, LIST, params)
    for n in range(10):
        provider = make_provider(vorkuta, short_name=f"Робо-Арктика {n}")
        ProgramFactory(provider=provider, name=f"Программа {n}")
    assert _queries(client, LIST, params) == few


def test_the_provider_field_lists_each_provider_once_and_only_of_the_municipality(
    client, robo, vorkuta
):
    from pfdo.territory.tests.factories import MunicipalityFactory

    inta = MunicipalityFactory(region=vorkuta.region, code="inta", name="Инта", number=3)
    ProgramFactory(provider=robo.provider, name="Ещё робототехника")  # a second programme
    far = make_provider(inta, short_name="ДЮЦ «Инта»")
    ProgramFactory(provider=far, name="Лыжи")
    archived = make_provider(vorkuta, short_name="Архивный")
    ProgramFactory(provider=archived, name="Старое", archived_at="2026-01-01T00:00:00Z")

    def options(municipality: str) -> list[str]:
        html = client.get(LIST, {"municipality": municipality}).content.decode()
        select = re.search(r'<select name="provider".*?</select>', html, re.S).group(0)
        return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)

    assert options("vorkuta") == ["ООО «Робо-Арктика»"]
    assert sorted(options("")) == sorted(["ДЮЦ «Инта»", "ООО «Робо-Арктика»"])


def test_the_provider_field_escapes_names(client, robo, vorkuta):
    # The options are built in Python (pfdo.common.forms.select_options), not by the template:
    # a provider's name is still escaped as the template would.
    odd = make_provider(vorkuta, short_name='Клуб <b>"А&Б"</b>')
    ProgramFactory(provider=odd, name="Шахматы")
    html = client.get(LIST).content.decode()
    select = re.search(r'<select name="provider".*?</select>', html, re.S).group(0)
    assert "Клуб &lt;b&gt;&quot;А&amp;Б&quot;&lt;/b&gt;" in select
    assert "<b>" not in select
