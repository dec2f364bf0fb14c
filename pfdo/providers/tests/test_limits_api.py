"""Enrolment limits over the API: the operator sets and removes them; others only read or nothing."""

import pytest

from pfdo.financing.tests.factories import FinancingPeriodFactory
from pfdo.providers.models import EnrolmentLimit
from pfdo.providers.tests.factories import ProviderFactory, add_staff
from pfdo.territory.tests.factories import MunicipalityFactory


@pytest.fixture
def setup(make_user, vorkuta):
    provider = ProviderFactory(municipality=vorkuta)
    return {
        "provider": provider,
        "period": FinancingPeriodFactory(municipality=vorkuta),
        "operator": make_user("operator", municipality=vorkuta),
        "staff": add_staff(provider).user,
        "url": f"/api/v1/providers/{provider.pk}/enrolment-limits/",
    }


def test_operator_sets_changes_and_removes_a_limit(api_client, setup):
    api_client.force_authenticate(setup["operator"])
    made = api_client.post(
        setup["url"], {"period": setup["period"].pk, "max_children": 120}, format="json"
    )
    assert made.status_code == 200 and made.json()["max_children"] == 120
    api_client.post(setup["url"], {"period": setup["period"].pk, "max_children": 80}, format="json")
    assert EnrolmentLimit.objects.get().max_children == 80
    listed = api_client.get(setup["url"]).json()
    assert listed == [
        {"period": setup["period"].pk, "period_name": setup["period"].name, "max_children": 80}
    ]
    removed = api_client.post(
        setup["url"], {"period": setup["period"].pk, "max_children": None}, format="json"
    )
    assert removed.status_code == 204
    assert not EnrolmentLimit.objects.exists()


def test_bad_input_and_other_municipalities(api_client, setup, make_user, region):
    api_client.force_authenticate(setup["operator"])
    negative = api_client.post(
        setup["url"], {"period": setup["period"].pk, "max_children": -1}, format="json"
    )
    assert negative.status_code == 400 and "max_children" in negative.json()["error"]["fields"]
    foreign = FinancingPeriodFactory(municipality=MunicipalityFactory(region=region))
    other = api_client.post(setup["url"], {"period": foreign.pk, "max_children": 5}, format="json")
    assert other.status_code == 400 and "period" in other.json()["error"]["fields"]
    assert not EnrolmentLimit.objects.exists()


def test_staff_reads_but_cannot_set_and_the_public_sees_nothing(api_client, setup):
    api_client.force_authenticate(setup["staff"])
    assert api_client.get(setup["url"]).status_code == 200
    refused = api_client.post(
        setup["url"], {"period": setup["period"].pk, "max_children": 9}, format="json"
    )
    assert refused.status_code == 403
    api_client.force_authenticate(None)
    assert api_client.get(setup["url"]).status_code == 401
    assert not EnrolmentLimit.objects.exists()
