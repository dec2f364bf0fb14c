"""Fixtures of the management tests (imported by them, so other catalogue tests keep the real clock)."""

import datetime as dt
from decimal import Decimal

import pytest

from pfdo.common import clock
from pfdo.financing.tests.factories import FinancingPeriodFactory
from pfdo.providers.tests.factories import ProviderFactory, add_staff, make_inn10

TODAY = dt.date(2026, 10, 1)


@pytest.fixture(autouse=True)
def _today():
    """Inside the factories' period 2026/27, whatever the machine's date."""
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def provider(vorkuta):
    return ProviderFactory(municipality=vorkuta, short_name="ДДТ Воркуты", inn=make_inn10(510))


@pytest.fixture
def staff(provider):
    return add_staff(provider, is_admin=True).user


@pytest.fixture
def other_provider(vorkuta):
    return ProviderFactory(municipality=vorkuta, short_name="Студия «Робот»", inn=make_inn10(520))


@pytest.fixture
def other_staff(other_provider):
    return add_staff(other_provider, is_admin=True).user


@pytest.fixture
def expert(make_user, vorkuta):
    return make_user("expert", municipality=vorkuta)


@pytest.fixture
def period(vorkuta):
    """2026/27 with a technical base of 150 ₽ per person-hour and the Far North coefficient."""
    return FinancingPeriodFactory(
        municipality=vorkuta,
        base_technical_kopecks=15000,
        k_org_municipal=Decimal("1.100"),
        k_qualification_highest=Decimal("1.200"),
        k_north=Decimal("1.800"),
    )
