"""Who may do what with a period: has_perm on real objects, per role and scope."""

import pytest
from django.contrib.auth.models import AnonymousUser

from pfdo.financing.models import FinancingPeriod
from pfdo.financing.tests.factories import FinancingPeriodFactory
from pfdo.territory.tests.factories import MunicipalityFactory, RegionFactory

WRITE_PERMS = ["financing.change_period", "financing.approve_period", "financing.change_nominals"]


@pytest.fixture
def period(vorkuta):
    return FinancingPeriodFactory(municipality=vorkuta, status=FinancingPeriod.Status.DRAFT)


@pytest.mark.parametrize("perm", WRITE_PERMS)
def test_officials_of_the_municipality_may_write(make_user, vorkuta, region, period, perm):
    assert make_user("operator", municipality=vorkuta).has_perm(perm, period)
    assert make_user("regional_admin", region=region).has_perm(perm, period)
    assert make_user(is_superuser=True).has_perm(perm, period)


@pytest.mark.parametrize("perm", WRITE_PERMS)
@pytest.mark.parametrize("role", ["parent", "provider_staff", "payer", "expert"])
def test_other_roles_may_not_write(make_user, vorkuta, period, perm, role):
    user = make_user(role, municipality=vorkuta)
    assert not user.has_perm(perm, period)
    assert not user.has_perm(perm)
    assert not user.has_perm("financing.add_period")


@pytest.mark.parametrize("perm", WRITE_PERMS)
def test_officials_elsewhere_may_not_write(make_user, region, period, perm):
    other = MunicipalityFactory(region=region)
    assert not make_user("operator", municipality=other).has_perm(perm, period)
    far = RegionFactory()
    assert not make_user("regional_admin", region=far).has_perm(perm, period)


def test_anonymous_may_only_read(period):
    anonymous = AnonymousUser()
    assert anonymous.has_perm("financing.view_period", period)
    for perm in [*WRITE_PERMS, "financing.add_period", "financing.list_scope_periods"]:
        assert not anonymous.has_perm(perm, period)


def test_cabinet_list_for_officials_and_payers(make_user, vorkuta, region):
    assert make_user("operator", municipality=vorkuta).has_perm("financing.list_scope_periods")
    assert make_user("payer", municipality=vorkuta).has_perm("financing.list_scope_periods")
    assert make_user("regional_admin", region=region).has_perm("financing.list_scope_periods")
    assert not make_user("parent", municipality=vorkuta).has_perm("financing.list_scope_periods")
