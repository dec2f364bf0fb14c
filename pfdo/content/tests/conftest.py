"""The people of the content tests: Komi's administrator, Vorkuta's and Inta's operators, an
expert, a parent; another region with its own administrator."""

from __future__ import annotations

import pytest

from pfdo.territory.tests.factories import MunicipalityFactory, RegionFactory


@pytest.fixture
def inta(region):
    return MunicipalityFactory(region=region, code="inta", name="Инта")


@pytest.fixture
def other_region(db):
    return RegionFactory(code="arkh", name="Архангельская область", okato="11")


@pytest.fixture
def other_municipality(other_region):
    return MunicipalityFactory(region=other_region, code="kotlas", name="Котлас")


@pytest.fixture
def admin(make_user, region):
    return make_user("regional_admin", region=region)


@pytest.fixture
def other_admin(make_user, other_region):
    return make_user("regional_admin", region=other_region)


@pytest.fixture
def inta_operator(make_user, inta):
    return make_user("operator", municipality=inta)


@pytest.fixture
def expert(make_user):
    return make_user("expert", last_name="Васильев", first_name="Игорь")


@pytest.fixture
def parent(make_user, vorkuta):
    return make_user("parent", municipality=vorkuta)
