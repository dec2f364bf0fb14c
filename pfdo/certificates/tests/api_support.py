"""Fixtures and helpers of the certificates API tests (test_api_*.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from pfdo.certificates.tests.factories import approved_period, child_data, issue_certificate
from pfdo.common import clock
from pfdo.providers.tests.factories import ProviderFactory, add_staff
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 28)
NOMINAL = 2_417_100
CHILDREN = "/api/v1/children/"
APPLICATIONS = "/api/v1/certificate-applications/"
CERTIFICATES = "/api/v1/certificates/"
LOOKUP = "/api/v1/certificates/lookup/"
BALANCE_KEYS = {
    "granted_kopecks",
    "reserved_kopecks",
    "spent_kopecks",
    "returned_kopecks",
    "available_kopecks",
}


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def inta(region):
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
def staff(vorkuta):
    return add_staff(ProviderFactory(municipality=vorkuta)).user


@pytest.fixture
def parent(make_user, vorkuta):
    return make_user("parent", municipality=vorkuta)


@pytest.fixture
def other_parent(make_user, vorkuta):
    return make_user("parent", municipality=vorkuta)


@pytest.fixture
def period(vorkuta):
    return approved_period(vorkuta)


@pytest.fixture
def as_user(api_client):
    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login


def assert_error(response, status, code=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def body_of(**overrides):
    """An online application body: the child's fields flat, as the API takes them."""
    data = child_data(**overrides)
    data["birth_date"] = data["birth_date"].isoformat()
    return {"municipality": "vorkuta", "relation": "mother", "wants_financing": True, **data}


def issue(operator, vorkuta, parent, **child):
    return issue_certificate(operator=operator, municipality=vorkuta, parent=parent, **child)
