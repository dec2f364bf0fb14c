"""Fixtures of the provider registry tests: the roles around a Vorkuta provider."""

import pytest

from pfdo.providers.models import Provider
from pfdo.providers.tests.factories import ProviderFactory, add_staff
from pfdo.territory.tests.factories import MunicipalityFactory


@pytest.fixture
def inta(region):
    """Another municipality of the same region."""
    return MunicipalityFactory(region=region, code="inta", name="Инта", number=3)


@pytest.fixture
def other_operator(make_user, inta):
    return make_user("operator", municipality=inta)


@pytest.fixture
def regional_admin(make_user, region):
    return make_user("regional_admin", region=region)


@pytest.fixture
def payer(make_user, vorkuta):
    return make_user("payer", municipality=vorkuta)


@pytest.fixture
def parent(make_user, vorkuta):
    return make_user("parent", municipality=vorkuta)


@pytest.fixture
def provider(vorkuta):
    return ProviderFactory(municipality=vorkuta, status=Provider.Status.ACTIVE)


@pytest.fixture
def pending(vorkuta):
    return ProviderFactory(municipality=vorkuta, status=Provider.Status.UNDER_REVIEW)


@pytest.fixture
def admin(provider):
    return add_staff(provider, is_admin=True).user


@pytest.fixture
def member(provider):
    """Staff of `provider` without the admin flag."""
    return add_staff(provider, is_admin=False).user


@pytest.fixture
def stranger_admin(vorkuta):
    """The admin of another provider of the same municipality."""
    return add_staff(ProviderFactory(municipality=vorkuta), is_admin=True).user
