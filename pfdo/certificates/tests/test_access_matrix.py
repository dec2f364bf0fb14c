"""Access matrix of children, applications, certificates and movements: every role against
family A's objects, over the API and the parent's and operator's pages; and no response to
provider staff ever carries a child's СНИЛС or document number."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from pfdo.certificates import services
from pfdo.certificates.tests.factories import approved_period, child_data, valid_snils
from pfdo.common import clock
from pfdo.common.tests.leaks import identifier_forms, leaks
from pfdo.common.tests.worlds import copy_of, komi_and_vorkuta, make_user, world_once
from pfdo.providers.tests.factories import ProviderFactory, add_staff
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 28)

ROLES = [
    "anonymous",
    "parent_a",
    "parent_b",
    "staff",
    "payer",
    "operator",
    "other_operator",
    "regional_admin",
    "superuser",
]
# Who may read family A's child, application, certificate and its movements over the API.
API_READERS = {"parent_a", "operator", "regional_admin", "superuser"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


def build_world():
    """Two families of Vorkuta with certificates, and one user of every role."""
    with clock.frozen(TODAY):
        return _build_world()


def _build_world():
    region, vorkuta = komi_and_vorkuta()
    inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
    approved_period(vorkuta)
    w = SimpleNamespace(
        anonymous=AnonymousUser(),
        parent_a=make_user("parent", municipality=vorkuta),
        parent_b=make_user("parent", municipality=vorkuta),
        staff=add_staff(ProviderFactory(municipality=vorkuta)).user,
        payer=make_user("payer", municipality=vorkuta),
        operator=make_user("operator", municipality=vorkuta),
        other_operator=make_user("operator", municipality=inta),
        regional_admin=make_user("regional_admin", region=region),
        superuser=make_user(is_superuser=True),
    )
    w.snils = valid_snils()
    w.document = "IV-ЖК 739215"
    application = services.apply_for_certificate(
        actor=w.parent_a,
        municipality=vorkuta,
        parent=w.parent_a,
        child=child_data(
            last_name="Засекреченная",
            first_name="Ульяна",
            snils=w.snils,
            document_number=w.document,
        ),
    )
    w.certificate = services.approve_application(
        actor=w.operator, application=application
    ).certificate
    w.application = application
    w.child = w.certificate.child
    application_b = services.apply_for_certificate(
        actor=w.parent_b,
        municipality=vorkuta,
        parent=w.parent_b,
        child=child_data(last_name="Другая", first_name="Семья"),
    )
    w.certificate_b = services.approve_application(
        actor=w.operator, application=application_b
    ).certificate
    return w


# Built once for the module; every test (every cell) works on its own copy and its writes
# are rolled back after it.
_world = world_once(build_world)


@pytest.fixture
def world(_world, db):
    return copy_of(_world)


def api_as(world, role) -> APIClient:
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(getattr(world, role))
    return client


def page_as(world, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(getattr(world, role))
    return client


# ------------------------------------------------------------------------------- the API

OBJECTS = {
    # object: (list URL or None, detail URL of family A's object)
    "child": ("/api/v1/children/", lambda w: f"/api/v1/children/{w.child.pk}/"),
    "application": (
        "/api/v1/certificate-applications/",
        lambda w: f"/api/v1/certificate-applications/{w.application.pk}/",
    ),
    "certificate": ("/api/v1/certificates/", lambda w: f"/api/v1/certificates/{w.certificate.pk}/"),
    "movements": (None, lambda w: f"/api/v1/certificates/{w.certificate.pk}/movements/"),
}


def _object_id(world, name: str) -> int:
    return {
        "child": world.child.pk,
        "application": world.application.pk,
        "certificate": world.certificate.pk,
    }[name]


@pytest.mark.parametrize("name", sorted(OBJECTS))
@pytest.mark.parametrize("role", ROLES)
def test_api_matrix(world, role, name):
    client = api_as(world, role)
    list_url, detail = OBJECTS[name]
    detail_response = client.get(detail(world))
    if role == "anonymous":
        assert detail_response.status_code == 401
        if list_url:
            assert client.get(list_url).status_code == 401
        return
    if role in API_READERS:
        assert detail_response.status_code == 200, detail_response.content
        if name == "movements":
            assert detail_response.json()["count"] >= 1
        else:
            assert detail_response.json()["id"] == _object_id(world, name)
    else:
        assert detail_response.status_code == 404, (role, name, detail_response.status_code)
        assert detail_response.json()["error"]["code"] == "not_found"
    if list_url:
        response = client.get(list_url, {"page_size": 500})
        assert response.status_code == 200
        listed = {row["id"] for row in response.json()["results"]}
        assert (_object_id(world, name) in listed) is (role in API_READERS)


@pytest.mark.parametrize("role", ["parent_b", "staff", "payer", "other_operator"])
def test_outsiders_see_none_of_family_a_in_any_list(world, role):
    client = api_as(world, role)
    for url in ("/api/v1/children/", "/api/v1/certificate-applications/", "/api/v1/certificates/"):
        body = client.get(url, {"page_size": 500}).content.decode()
        assert "Засекреченная" not in body and world.certificate.number not in body


def test_parent_b_sees_only_family_b(world):
    client = api_as(world, "parent_b")
    children = client.get("/api/v1/children/").json()["results"]
    assert [row["id"] for row in children] == [world.certificate_b.child_id]
    certificates = client.get("/api/v1/certificates/").json()["results"]
    assert [row["id"] for row in certificates] == [world.certificate_b.pk]


def test_provider_staff_and_payer_never_get_child_rows(world):
    for role in ("staff", "payer"):
        body = api_as(world, role).get("/api/v1/children/").json()
        assert body["count"] == 0 and body["results"] == []


# ------------------------------------------------------------------------------ the pages

# page name: (object the page shows, roles that must get it, roles the page admits that are
# told the object is not found: 404). Every other signed-in role is refused the page: 403.
OFFICIALS = {"operator", "regional_admin", "superuser"}
PAGES_SHOWN = {
    "family:certificate": ("certificate", {"parent_a"}, {"parent_b"}),
    "certificates:detail": ("certificate", OFFICIALS, {"other_operator"}),
    "certificates:application": ("application", OFFICIALS, {"other_operator"}),
}


PAGES = sorted(PAGES_SHOWN)


def _page_url(name: str, pk: int) -> str:
    return reverse(name, kwargs={"pk": pk})


@pytest.mark.parametrize("page", PAGES)
def test_every_page_of_the_matrix_resolves(page):
    # A page renamed or removed fails here, instead of silently leaving the matrix.
    assert _page_url(page, 1).startswith("/cabinet/")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_page_matrix(world, role, page):
    kind, readers, not_found = PAGES_SHOWN[page]
    obj = world.certificate if kind == "certificate" else world.application
    url = _page_url(page, obj.pk)
    response = page_as(world, role).get(url)
    if role in readers:
        assert response.status_code == 200, (role, page, response.status_code)
        assert "Засекреченная" in response.content.decode()
        return
    if role == "anonymous":
        assert response.status_code == 302 and "login" in response["Location"]
    else:
        expected = 404 if role in not_found else 403
        assert response.status_code == expected, (role, page, response.status_code)
    assert "Засекреченная" not in response.content.decode()


def test_parent_b_never_gets_family_a_pages(world):
    client = page_as(world, "parent_b")
    for page in PAGES:
        kind, _, not_found = PAGES_SHOWN[page]
        obj = world.certificate if kind == "certificate" else world.application
        response = client.get(_page_url(page, obj.pk))
        # Her own certificate page does not find family A's; the officials' pages refuse her.
        assert response.status_code == (404 if "parent_b" in not_found else 403), page


# ------------------------------------------------------- nothing identifying to a provider


def _secrets(world) -> list[bytes]:
    return identifier_forms(
        snils=world.snils,
        document=world.document,
        document_number=world.child.document_number,
    )


def test_no_response_to_provider_staff_contains_the_childs_identifiers(world):
    secrets = _secrets(world)
    api = api_as(world, "staff")
    schema = api.get("/api/schema/?format=json").json()
    ids = [world.child.pk, world.application.pk, world.certificate.pk]
    checked = 0
    for path, item in schema["paths"].items():
        for method in item:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            urls = {re.sub(r"\{[^}]+\}", str(pk), path) for pk in ids}
            for url in sorted(urls):
                if method == "get":
                    response = api.get(url, {"number": world.certificate.number})
                else:
                    response = getattr(api, method)(url, {"reason": "x"}, format="json")
                assert response.status_code < 500, (method, url, response.status_code)
                assert not leaks(response.content, secrets), (method, url)
                checked += 1
    assert checked > 50
    # The look-up (number and surname) answered with the reduced view, not the identifiers.
    lookup = api.post(
        "/api/v1/certificates/lookup/",
        {"number": world.certificate.number, "surname": "засекреченная"},
        format="json",
    )
    assert lookup.status_code == 200 and lookup.json()["child_name"].startswith("Засекреченная")
    assert not leaks(lookup.content, secrets)

    pages = page_as(world, "staff")
    for page in PAGES:
        kind, _, _ = PAGES_SHOWN[page]
        obj = world.certificate if kind == "certificate" else world.application
        response = pages.get(_page_url(page, obj.pk))
        assert not leaks(response.content, secrets), page
    response = pages.post(
        reverse("enrolment:provider_lookup"),
        {"number": world.certificate.number, "surname": "Засекреченная"},
    )
    assert response.status_code == 200
    assert "Засекреченная" in response.content.decode()
    assert not leaks(response.content, secrets)


def test_the_identifier_search_would_catch_a_leak(world):
    # The search above finds the identifiers in a response that does show them.
    response = api_as(world, "operator").get(f"/api/v1/children/{world.child.pk}/")
    assert leaks(response.content, _secrets(world))
