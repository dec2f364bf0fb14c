"""Access matrix of enrolment: every role against family A's application and contract over
the API (lists, cards, actions) and the enrolment pages that exist; and no response to
provider staff ever carries the child's СНИЛС, document number or birth date."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from pfdo.certificates.tests.factories import valid_snils
from pfdo.common import clock
from pfdo.common.tests.leaks import identifier_forms, leaks
from pfdo.common.tests.worlds import copy_of, komi_and_vorkuta, make_user, world_once
from pfdo.enrolment import services
from pfdo.enrolment.models import CertificateLookup
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 28)
BIRTH_DATE = dt.date(2016, 3, 7)
SECRET_NAME = "Засекреченная"

ROLES = [
    "anonymous",
    "parent_a",
    "parent_b",
    "staff_p",
    "staff_q",
    "payer",
    "operator",
    "other_operator",
    "regional_admin",
    "superuser",
]
# Who reads family A's application and contract over the API: the family, the provider's
# staff, the municipality's operator and payer, the region's administrator, a superuser.
API_READERS = {"parent_a", "staff_p", "payer", "operator", "regional_admin", "superuser"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


def build_world():
    """Family A enrolled at provider P (an active contract, an offer, a new application),
    family B, provider Q, and one user of every role."""
    with clock.frozen(TODAY):
        return _build_world()


def _build_world():
    region, vorkuta = komi_and_vorkuta()
    inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
    period = approved_period(vorkuta)
    operator = make_user("operator", municipality=vorkuta)
    provider_p = ProviderFactory(municipality=vorkuta)
    provider_q = ProviderFactory(municipality=vorkuta)
    w = SimpleNamespace(
        anonymous=AnonymousUser(),
        operator=operator,
        payer=make_user("payer", municipality=vorkuta),
        other_operator=make_user("operator", municipality=inta),
        regional_admin=make_user("regional_admin", region=region),
        superuser=make_user(is_superuser=True),
        staff_p=staff_of(provider_p),
        staff_q=staff_of(provider_q),
        period=period,
    )
    w.snils = valid_snils()
    w.document = "IV-ЖК 739215"
    fam_a = family(
        vorkuta,
        operator,
        last_name=SECRET_NAME,
        first_name="Ульяна",
        birth_date=BIRTH_DATE,
        snils=w.snils,
        document_number=w.document,
    )
    fam_b = family(vorkuta, operator, last_name="Другая", first_name="Семья")
    for parent in (fam_a.parent, fam_b.parent):
        # They have signed in and set their own password (no forced change on every page).
        parent.must_change_password = False
        parent.save(update_fields=["must_change_password"])
    w.parent_a, w.parent_b = fam_a.parent, fam_b.parent
    w.child = fam_a.child
    w.certificate = fam_a.certificate

    enrolled_in = ready_group(vorkuta, provider=provider_p, weekday=1)
    offered_in = ready_group(vorkuta, provider=provider_p, weekday=3, price=450_000)
    waiting_in = ready_group(vorkuta, provider=provider_p, weekday=5, price=450_000)
    w.group = enrolled_in
    w.application = services.apply(
        actor=w.parent_a, certificate=fam_a.certificate, group=enrolled_in
    )
    w.contract = services.confirm(actor=w.staff_p, application=w.application)
    services.accept(actor=w.parent_a, contract=w.contract)
    w.offer = services.confirm(
        actor=w.staff_p,
        application=services.apply(
            actor=w.parent_a, certificate=fam_a.certificate, group=offered_in
        ),
    )
    w.new_application = services.apply(
        actor=w.parent_a, certificate=fam_a.certificate, group=waiting_in
    )
    # Family B at provider Q.
    b_group = ready_group(vorkuta, provider=provider_q)
    w.application_b = services.apply(actor=w.parent_b, certificate=fam_b.certificate, group=b_group)
    w.contract_b = services.confirm(actor=w.staff_q, application=w.application_b)
    # P's desk looked family A's certificate up (a row of the operator's report).
    services.look_up_for_provider(
        actor=w.staff_p, provider=provider_p, number=w.certificate.number, surname=SECRET_NAME
    )
    w.lookup = CertificateLookup.objects.get()
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
    # object: (list URL, detail URL of family A's object, its id)
    "application": (
        "/api/v1/applications/",
        lambda w: f"/api/v1/applications/{w.application.pk}/",
        lambda w: w.application.pk,
    ),
    "contract": (
        "/api/v1/contracts/",
        lambda w: f"/api/v1/contracts/{w.contract.pk}/",
        lambda w: w.contract.pk,
    ),
}


@pytest.mark.parametrize("name", sorted(OBJECTS))
@pytest.mark.parametrize("role", ROLES)
def test_api_matrix(world, role, name):
    client = api_as(world, role)
    list_url, detail, object_id = OBJECTS[name]
    detail_response = client.get(detail(world))
    list_response = client.get(list_url, {"page_size": 500})
    if role == "anonymous":
        assert detail_response.status_code == 401
        assert detail_response.json()["error"]["code"] == "not_authenticated"
        assert list_response.status_code == 401
        return
    if role in API_READERS:
        assert detail_response.status_code == 200, (role, detail_response.content)
        assert detail_response.json()["id"] == object_id(world)
    else:
        assert detail_response.status_code == 404, (role, name, detail_response.status_code)
        assert detail_response.json()["error"]["code"] == "not_found"
    assert list_response.status_code == 200
    listed = {row["id"] for row in list_response.json()["results"]}
    assert (object_id(world) in listed) is (role in API_READERS), (role, name)


@pytest.mark.parametrize("role", ["parent_b", "staff_q", "other_operator"])
def test_outsiders_see_none_of_family_a_in_any_list(world, role):
    client = api_as(world, role)
    for url in ("/api/v1/applications/", "/api/v1/contracts/"):
        response = client.get(url, {"page_size": 500})
        assert response.status_code == 200
        body = response.content.decode()
        assert SECRET_NAME not in body and world.certificate.number not in body


def test_each_family_and_provider_sees_only_its_own(world):
    expected = {
        "parent_a": {world.application.pk, world.offer.application_id, world.new_application.pk},
        "staff_p": {world.application.pk, world.offer.application_id, world.new_application.pk},
        "parent_b": {world.application_b.pk},
        "staff_q": {world.application_b.pk},
        "other_operator": set(),
    }
    for role, applications in expected.items():
        rows = api_as(world, role).get("/api/v1/applications/").json()["results"]
        assert {row["id"] for row in rows} == applications, role
    contracts = {
        "parent_a": {world.contract.pk, world.offer.pk},
        "parent_b": {world.contract_b.pk},
        "staff_q": {world.contract_b.pk},
        "operator": {world.contract.pk, world.offer.pk, world.contract_b.pk},
    }
    for role, ids in contracts.items():
        rows = api_as(world, role).get("/api/v1/contracts/").json()["results"]
        assert {row["id"] for row in rows} == ids, role


# The look-up by number and surname: provider staff of the municipality and its officials
# find family A's certificate; the other municipality's operator does not; others are refused.
LOOKUP_ANSWERS = {
    "anonymous": 401,
    "parent_a": 403,
    "parent_b": 403,
    "payer": 403,
    "other_operator": 404,
}
# The report of look-ups: the municipality's and region's officials read family A's row.
REPORT_READERS = {"operator", "regional_admin", "superuser"}


@pytest.mark.parametrize("role", ROLES)
def test_lookup_matrix(world, role):
    body = {"number": world.certificate.number, "surname": SECRET_NAME}
    response = api_as(world, role).post("/api/v1/certificates/lookup/", body, format="json")
    expected = LOOKUP_ANSWERS.get(role, 200)
    assert response.status_code == expected, (role, response.content)
    assert (SECRET_NAME in response.content.decode()) is (expected == 200)


@pytest.mark.parametrize("role", ROLES)
def test_lookup_report_matrix(world, role):
    client = api_as(world, role)
    detail = client.get(f"/api/v1/certificate-lookups/{world.lookup.pk}/")
    listed = client.get("/api/v1/certificate-lookups/")
    summary = client.get("/api/v1/certificate-lookups/summary/")
    page = page_as(world, role).get(reverse("enrolment:operator_lookups"))
    if role == "anonymous":
        assert {detail.status_code, listed.status_code, summary.status_code} == {401}
        assert page.status_code == 302 and "login" in page["Location"]
    elif role in REPORT_READERS | {"other_operator"}:
        seen = role in REPORT_READERS
        assert detail.status_code == (200 if seen else 404), role
        assert ({r["id"] for r in listed.json()["results"]} == {world.lookup.pk}) is seen
        providers = {r["provider"] for r in summary.json()["providers"]}
        assert (world.lookup.provider_id in providers) is seen
        assert page.status_code == 200
        assert (world.certificate.number in page.content.decode()) is seen
    else:
        assert {detail.status_code, listed.status_code, summary.status_code} == {403}, role
        assert page.status_code == 403
    assert SECRET_NAME not in page.content.decode()


# Who may act on family A's objects; everyone else gets 403 (wrong role) or 404 (their role,
# but not their object). A superuser passes every permission, so the service's own check of
# who is who answers 404 where a superuser is not a party (the provider's and family's steps).
ACTIONS = {
    # action: (URL, body, {role: expected status}; the rest are 403)
    "confirm": (
        lambda w: f"/api/v1/applications/{w.new_application.pk}/confirm/",
        {},
        {"staff_p": 200, "staff_q": 404, "superuser": 404},
    ),
    "reject": (
        lambda w: f"/api/v1/applications/{w.new_application.pk}/reject/",
        {"reason": "Нет мест в расписании педагога"},
        {"staff_p": 200, "staff_q": 404, "superuser": 404},
    ),
    "cancel": (
        lambda w: f"/api/v1/applications/{w.new_application.pk}/cancel/",
        {},
        {"parent_a": 200, "parent_b": 404, "superuser": 404},
    ),
    "accept": (
        lambda w: f"/api/v1/contracts/{w.offer.pk}/accept/",
        {},
        {"parent_a": 200, "parent_b": 404, "superuser": 404},
    ),
    "decline": (
        lambda w: f"/api/v1/contracts/{w.offer.pk}/decline/",
        {},
        {"parent_a": 200, "parent_b": 404, "superuser": 404},
    ),
    "terminate": (
        lambda w: f"/api/v1/contracts/{w.contract.pk}/terminate/",
        {"reason": "Переезд"},
        {
            "parent_a": 200,
            "staff_p": 200,
            "operator": 200,
            "regional_admin": 200,
            "superuser": 200,
            "parent_b": 404,
            "staff_q": 404,
            "other_operator": 404,
        },
    ),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_action_matrix(world, role, action):
    url, body, allowed = ACTIONS[action]
    response = api_as(world, role).post(url(world), body, format="json")
    expected = 401 if role == "anonymous" else allowed.get(role, 403)
    assert response.status_code == expected, (role, action, response.content)
    if expected != 200:
        assert set(response.json()["error"]) == {"code", "message", "fields"}


def test_terms_only_for_the_family(world):
    query = {"certificate": world.certificate.pk, "group": world.group.pk}
    url = "/api/v1/applications/terms/"
    assert api_as(world, "parent_a").get(url, query).status_code == 200
    assert api_as(world, "anonymous").get(url, query).status_code == 401
    for role in ("operator", "regional_admin", "superuser"):
        assert api_as(world, role).get(url, query).status_code == 404, role
    # Those who cannot see the certificate at all are told it is not found (a look-up about
    # one named object: 404), with the message at the field.
    for role in ("parent_b", "staff_p", "staff_q", "payer", "other_operator"):
        response = api_as(world, role).get(url, query)
        assert response.status_code == 404, role
        assert "certificate" in response.json()["error"]["fields"], role
    parent = api_as(world, "parent_a")
    by_number = {"certificate": world.certificate.number, "group": world.group.pk}
    assert parent.get(url, by_number).status_code == 200
    missing = parent.get(url, {"certificate": "9999999999", "group": 2**63 - 2})
    assert missing.status_code == 404
    assert set(missing.json()["error"]["fields"]) == {"certificate", "group"}
    # A value the schema refuses is a 400 at its field (the id pattern, the group's bounds,
    # an empty required value).
    for certificate, group in [("0", world.group.pk), ("5\n", world.group.pk), ("x", 1)]:
        bad = parent.get(url, {"certificate": certificate, "group": group})
        assert bad.status_code == 400 and "certificate" in bad.json()["error"]["fields"]
    for group in ("0", "", "abc"):
        bad = parent.get(url, {"certificate": world.certificate.pk, "group": group})
        assert bad.status_code == 400 and list(bad.json()["error"]["fields"]) == ["group"]


# ------------------------------------------------------------------------------ the pages

# page name: (object the page shows, roles that must get it, roles the page admits that are
# told the object is not found: 404). Every other signed-in role is refused the page: 403.
# (A superuser passes every role check, so the provider's pages look for the object among
# its providers and find none.)
PAGES_SHOWN = {
    "enrolment:parent_application": ("application", {"parent_a"}, {"parent_b"}),
    "enrolment:parent_contract": ("contract", {"parent_a"}, {"parent_b"}),
    "enrolment:provider_application": ("application", {"staff_p"}, {"staff_q", "superuser"}),
    "enrolment:provider_contract": ("contract", {"staff_p"}, {"staff_q", "superuser"}),
    "enrolment:contract_print": (
        "contract",
        API_READERS,
        {"parent_b", "staff_q", "other_operator"},
    ),
    "enrolment:operator_contract": (
        "contract",
        {"operator", "regional_admin", "superuser"},
        {"other_operator"},
    ),
}


PAGES = sorted(PAGES_SHOWN)


def _page_url(name: str, pk: int) -> str:
    return reverse(name, kwargs={"pk": pk})


def _page_object(world, page):
    kind, _, _ = PAGES_SHOWN[page]
    return world.application if kind == "application" else world.contract


@pytest.mark.parametrize("page_name", PAGES)
def test_every_page_of_the_matrix_resolves(page_name):
    # A page renamed or removed fails here, instead of silently leaving the matrix.
    assert _page_url(page_name, 1).startswith("/cabinet/")


# (Not named `page`: that is pytest-playwright's fixture.)
@pytest.mark.parametrize("page_name", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_page_matrix(world, role, page_name):
    _, readers, not_found = PAGES_SHOWN[page_name]
    url = _page_url(page_name, _page_object(world, page_name).pk)
    response = page_as(world, role).get(url)
    if role in readers:
        assert response.status_code == 200, (role, page_name, response.status_code)
        assert SECRET_NAME in response.content.decode()
        return
    if role == "anonymous":
        assert response.status_code == 302 and "login" in response["Location"]
    else:
        expected = 404 if role in not_found else 403
        assert response.status_code == expected, (role, page_name, response.status_code)
    assert SECRET_NAME not in response.content.decode()


# ------------------------------------------------------- nothing identifying to a provider


def _secrets(world) -> list[bytes]:
    return identifier_forms(
        snils=world.snils,
        document=world.document,
        document_number=world.child.document_number,
        birth_date=BIRTH_DATE,
    )


def test_no_enrolment_response_to_provider_staff_contains_the_childs_identifiers(world):
    secrets = _secrets(world)
    api = api_as(world, "staff_p")
    checked = 0

    def check(response, what):
        nonlocal checked
        assert response.status_code < 500, (what, response.status_code)
        assert not leaks(response.content, secrets), what
        checked += 1
        return response

    # The provider's own journey: a child comes in person, the parent gives the code.
    fam_c = family(
        world.certificate.municipality,
        world.operator,
        last_name=SECRET_NAME,
        first_name="Вторая",
        birth_date=BIRTH_DATE,
    )
    in_person = ready_group(
        world.certificate.municipality, provider=world.group.module.program.provider, weekday=6
    )
    created = check(
        api.post(
            "/api/v1/applications/",
            {
                "certificate_number": fam_c.certificate.number,
                "surname": SECRET_NAME,
                "group": in_person.pk,
            },
            format="json",
        ),
        "create in person",
    )
    assert created.status_code == 201 and created.json()["child"]["name"].startswith(SECRET_NAME)
    code = fam_c.parent.notifications.order_by("-pk").first().body.split("код ")[1][:6]
    secrets += sorted(
        s.encode()
        for s in (
            fam_c.child.snils,
            fam_c.child.document_number,
            fam_c.child.document_number.split()[-1],
        )
    )
    check(
        api.post(
            f"/api/v1/applications/{created.json()['id']}/confirm-code/",
            {"code": code},
            format="json",
        ),
        "confirm-code",
    )
    confirmed = check(
        api.post(f"/api/v1/applications/{world.new_application.pk}/confirm/"), "confirm"
    )
    assert confirmed.status_code == 200 and confirmed.json()["child"]["age_years"] == 10

    # Every enrolment operation of the schema, on family A's objects.
    schema = api.get("/api/schema/?format=json").json()
    ids = [world.application.pk, world.contract.pk, world.offer.pk, world.offer.application_id]
    for path, item in schema["paths"].items():
        if not path.startswith(("/api/v1/applications/", "/api/v1/contracts/")):
            continue
        for method in item:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for url in sorted({re.sub(r"\{[^}]+\}", str(pk), path) for pk in ids}):
                if method == "get":
                    response = api.get(url, {"page_size": 500})
                else:
                    body = {"reason": "Отчислен", "code": "123456", "group": world.group.pk}
                    response = getattr(api, method)(url, body, format="json")
                check(response, (method, url))
    # Lists and cards (after the actions above) once more.
    for url in ("/api/v1/applications/", "/api/v1/contracts/"):
        body = check(api.get(url, {"page_size": 500}), url)
        assert SECRET_NAME in body.content.decode()
    assert checked > 20

    pages = page_as(world, "staff_p")
    for name in PAGES:
        response = pages.get(_page_url(name, _page_object(world, name).pk))
        assert response.status_code < 500, name
        assert not leaks(response.content, secrets), name


def test_the_identifier_search_would_catch_a_leak(world):
    # The search above finds the identifiers in a response that does show them.
    response = api_as(world, "operator").get(f"/api/v1/children/{world.child.pk}/")
    assert response.status_code == 200
    assert leaks(response.content, _secrets(world))
