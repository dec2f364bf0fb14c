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
    # The bound the service keeps is the schema's: above it is a schema refusal.
    many = api_client.post(
        setup["url"], {"period": setup["period"].pk, "max_children": 1_000_001}, format="json"
    )
    assert many.status_code == 400
    assert many.json()["error"]["fields"]["max_children"] == ["Не больше 1 000 000 детей."]
    assert not EnrolmentLimit.objects.exists()


def test_a_period_not_approved_is_a_conflict_and_anothers_is_not_found(
    api_client, setup, make_user, region, vorkuta
):
    api_client.force_authenticate(make_user("regional_admin", region=region))
    draft = FinancingPeriodFactory(municipality=vorkuta, status="draft")
    response = api_client.post(setup["url"], {"period": draft.pk, "max_children": 5}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "period_not_approved" and set(error["fields"]) == {"period"}
    foreign = FinancingPeriodFactory(municipality=MunicipalityFactory(region=region))
    other = api_client.post(setup["url"], {"period": foreign.pk, "max_children": 5}, format="json")
    assert other.status_code == 400
    assert other.json()["error"]["fields"]["period"] == [
        "Такого периода у муниципалитета поставщика нет."
    ]
    assert not EnrolmentLimit.objects.exists()


def test_the_schema_states_the_bound_of_a_limit(db):
    from pfdo.common.tests.served_schema import body_is_valid, served_schema

    schema = served_schema()
    url = "/api/v1/providers/{id}/enrolment-limits/"
    for count, valid in ((None, True), (0, True), (1_000_000, True), (1_000_001, False)):
        assert body_is_valid(schema, "post", url, {"period": 1, "max_children": count}) is valid
