"""Who sees ledger accounts and transfers: officials of the municipality, never families."""

import pytest

from pfdo.ledger.models import Account, Transfer
from pfdo.ledger.tests.factories import grant, make_book
from pfdo.territory.tests.factories import MunicipalityFactory, RegionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def books(vorkuta, region):
    inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
    ours, theirs = make_book(vorkuta, budget_kopecks=1000), make_book(inta, budget_kopecks=2000)
    grant(ours, 100)
    return ours, theirs


def _keys(qs):
    return sorted(qs.values_list("key", flat=True))


def test_officials_of_the_municipality_see_its_ledger(books, make_user, vorkuta):
    own_accounts = _keys(Account.objects.filter(municipality=vorkuta))
    own_transfers = _keys(Transfer.objects.filter(debit_account__municipality=vorkuta))
    assert len(own_accounts) == 6 and len(own_transfers) == 2
    for role in ("operator", "payer"):
        user = make_user(role, municipality=vorkuta)
        assert _keys(Account.objects.for_user(user)) == own_accounts
        assert _keys(Transfer.objects.for_user(user)) == own_transfers


def test_officials_of_another_municipality_see_nothing(books, make_user, region):
    other = MunicipalityFactory(region=region, code="usinsk", name="Усинск", number=4)
    user = make_user("operator", municipality=other)
    assert not Account.objects.for_user(user).exists()
    assert not Transfer.objects.for_user(user).exists()


def test_regional_admin_sees_the_region(books, make_user, region):
    admin = make_user("regional_admin", region=region)
    assert Account.objects.for_user(admin).count() == 12
    assert Transfer.objects.for_user(admin).count() == 3
    stranger = make_user("regional_admin", region=RegionFactory(code="nao", name="НАО"))
    assert not Account.objects.for_user(stranger).exists()


def test_families_and_providers_list_no_accounts(books, make_user, vorkuta):
    for role in ("parent", "provider_staff", "expert", None):
        user = make_user(role, municipality=vorkuta if role else None)
        assert not Account.objects.for_user(user).exists(), role
        assert not Transfer.objects.for_user(user).exists(), role


def test_superuser_sees_everything_and_anonymous_nothing(books, make_user):
    from django.contrib.auth.models import AnonymousUser

    root = make_user(is_superuser=True)
    assert Account.objects.for_user(root).count() == 12
    assert not Account.objects.for_user(AnonymousUser()).exists()
    assert not Transfer.objects.for_user(None).exists()


def test_admin_is_read_only(books, admin_client):
    assert admin_client.get("/admin/ledger/account/").status_code == 200
    assert admin_client.get("/admin/ledger/transfer/").status_code == 200
    assert admin_client.get("/admin/ledger/transfer/add/").status_code == 403
    transfer = Transfer.objects.first()
    page = admin_client.get(f"/admin/ledger/transfer/{transfer.pk}/change/")
    assert page.status_code == 200  # view permission only: no save button
    assert b'name="_save"' not in page.content
    response = admin_client.post(f"/admin/ledger/transfer/{transfer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert Transfer.objects.filter(pk=transfer.pk).exists()
