"""An individual entrepreneur's legal address is their home (down to the flat): the public
provider page and the public API show the address of activity instead; the operator, the
payer and the ИП's own staff still see it. An organisation's legal address stays public."""

import pytest

from pfdo.common.choices import LegalForm
from pfdo.providers.tests.factories import ProviderFactory, add_staff, ip_profile, make_inn10

HOME = "169900, Республика Коми, г. Воркута, ул. Пушкина, д. 7, кв. 12"
ACTIVITY = "169900, Республика Коми, г. Воркута, ул. Ленина, д. 50, каб. 3"
OFFICE = "169900, Республика Коми, г. Воркута, ул. Мира, д. 5, офис 4"


@pytest.fixture
def ip(vorkuta):
    card = ip_profile(legal_address=HOME, actual_address=ACTIVITY)
    return ProviderFactory(municipality=vorkuta, **card)


@pytest.fixture
def organisation(vorkuta):
    return ProviderFactory(
        municipality=vorkuta, legal_form=LegalForm.NGO, inn=make_inn10(77), legal_address=OFFICE
    )


@pytest.fixture
def stranger(vorkuta):
    """Staff of another provider: the public, as far as this ИП is concerned."""
    return add_staff(ProviderFactory(municipality=vorkuta), is_admin=True).user


def page(client, provider, user=None):
    if user is not None:
        client.force_login(user)
    response = client.get(f"/providers/{provider.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "parent", "stranger"])
def test_public_page_of_an_ip_shows_the_activity_address_not_the_home(
    client, request, ip, who, make_user, vorkuta
):
    user = {
        "anonymous": None,
        "parent": make_user("parent", municipality=vorkuta),
        "stranger": request.getfixturevalue("stranger"),
    }[who]
    text = page(client, ip, user)
    assert "кв. 12" not in text and "Пушкина" not in text
    assert "Адрес ведения деятельности" in text and ACTIVITY in text


@pytest.mark.parametrize("role", ["operator", "payer", "own staff"])
def test_those_who_deal_with_the_ip_see_its_legal_address(client, ip, role, make_user, vorkuta):
    user = add_staff(ip).user if role == "own staff" else make_user(role, municipality=vorkuta)
    assert HOME in page(client, ip, user)


def test_an_organisations_legal_address_stays_public(client, organisation):
    assert OFFICE in page(client, organisation)


def test_public_api_gives_no_home_address_of_an_ip(api_client, ip, organisation):
    listed = {row["id"]: row for row in api_client.get("/api/v1/providers/").json()["results"]}
    assert listed[ip.pk]["legal_address"] is None
    assert listed[ip.pk]["actual_address"] == ACTIVITY
    assert listed[organisation.pk]["legal_address"] == OFFICE
    detail = api_client.get(f"/api/v1/providers/{ip.pk}/")
    assert detail.status_code == 200
    assert detail.json()["legal_address"] is None
    assert "кв. 12" not in detail.content.decode()


def test_api_gives_the_home_address_to_the_operator_and_own_staff(
    api_client, ip, operator, stranger
):
    for user, expected in ((operator, HOME), (add_staff(ip).user, HOME), (stranger, None)):
        api_client.force_authenticate(user)
        assert api_client.get(f"/api/v1/providers/{ip.pk}/").json()["legal_address"] == expected
