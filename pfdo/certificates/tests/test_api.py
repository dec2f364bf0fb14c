"""Certificates API: children, applications and certificates by role, the operator's
decisions, the parent's switch, the provider's look-up, errors, idempotency, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pfdo.accounts import services as accounts
from pfdo.accounts.models import User
from pfdo.audit.models import ActionLog, PersonalDataAccess
from pfdo.certificates import services
from pfdo.certificates.models import Certificate, CertificateApplication, Child
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

pytestmark = pytest.mark.django_db


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


# ---------------------------------------------------------------------------- children


def test_children_scoped_by_role_with_identifiers_for_entitled_only(
    as_user,
    vorkuta,
    inta,
    operator,
    other_operator,
    regional_admin,
    payer,
    staff,
    parent,
    other_parent,
    period,
):
    mine = issue(operator, vorkuta, parent).certificate.child
    theirs = issue(operator, vorkuta, other_parent, first_name="Олег", sex="m").certificate.child
    assert ids(as_user(parent).get(CHILDREN)) == {mine.pk}
    assert ids(as_user(operator).get(CHILDREN)) == {mine.pk, theirs.pk}
    assert ids(as_user(regional_admin).get(CHILDREN)) == {mine.pk, theirs.pk}
    assert ids(as_user(other_operator).get(CHILDREN)) == set()
    assert ids(as_user(staff).get(CHILDREN)) == set()
    assert ids(as_user(payer).get(CHILDREN)) == set()

    row = as_user(parent).get(CHILDREN).json()["results"][0]
    assert row == {
        "id": mine.pk,
        "last_name": "Иванова",
        "first_name": "Мария",
        "patronymic": "Петровна",
        "full_name": "Иванова Мария Петровна",
        "birth_date": "2016-05-14",
        "sex": "f",
        "sex_display": "женский",
        "age_years": 10,
        "municipality": "vorkuta",
        "has_disability": False,
        # For the operator only, on the logged card: not even the parent's own list has them.
        "document_type": None,
        "document_number": None,
        "snils": None,
    }
    assert as_user(parent).get(f"{CHILDREN}{theirs.pk}/").status_code == 404
    assert as_user(staff).get(f"{CHILDREN}{mine.pk}/").status_code == 404
    assert as_user(payer).get(f"{CHILDREN}{mine.pk}/").status_code == 404
    assert as_user(other_operator).get(f"{CHILDREN}{mine.pk}/").status_code == 404


def test_official_reading_a_child_card_is_logged_a_parent_is_not(
    as_user, vorkuta, operator, regional_admin, parent, period
):
    child = issue(operator, vorkuta, parent).certificate.child
    response = as_user(parent).get(f"{CHILDREN}{child.pk}/")
    assert response.status_code == 200 and response.json()["snils"] is None
    assert PersonalDataAccess.objects.count() == 0
    for official in (operator, regional_admin):
        response = as_user(official).get(f"{CHILDREN}{child.pk}/")
        assert response.status_code == 200
        assert response.json()["document_number"] == child.document_number
        assert response.json()["snils"] == child.snils and len(child.snils) == 11
    logged = list(PersonalDataAccess.objects.order_by("id"))
    assert [(e.actor_id, e.subject_type, e.subject_id) for e in logged] == [
        (operator.pk, "certificates.child", str(child.pk)),
        (regional_admin.pk, "certificates.child", str(child.pk)),
    ]
    assert all(e.municipality_id == vorkuta.pk for e in logged)


def test_officials_list_children_without_identifiers(as_user, vorkuta, operator, parent, period):
    child = issue(operator, vorkuta, parent).certificate.child
    row = as_user(operator).get(CHILDREN).json()["results"][0]
    assert row["id"] == child.pk and row["last_name"] == child.last_name
    assert (row["snils"], row["document_number"], row["document_type"]) == (None, None, None)
    assert PersonalDataAccess.objects.count() == 0


def test_children_cannot_be_created_or_changed_directly(as_user, operator, parent):
    assert as_user(parent).post(CHILDREN, body_of(), format="json").status_code == 405
    assert as_user(operator).post(CHILDREN, body_of(), format="json").status_code == 405


def test_anonymous_gets_401_everywhere(api_client, vorkuta, operator, parent, period):
    certificate = issue(operator, vorkuta, parent).certificate
    for url in (
        CHILDREN,
        APPLICATIONS,
        CERTIFICATES,
        f"{CERTIFICATES}{certificate.pk}/movements/",
        f"{LOOKUP}?number={certificate.number}",
    ):
        assert_error(api_client.get(url), 401, "not_authenticated")
    assert_error(api_client.post(APPLICATIONS, body_of(), format="json"), 401)


# ------------------------------------------------------------------------ applications


def test_parent_applies_online_for_own_child(as_user, vorkuta, parent):
    response = as_user(parent).post(APPLICATIONS, body_of(has_disability=True), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    application = CertificateApplication.objects.get()
    assert body["id"] == application.pk
    assert body["status"] == "applied" and body["channel"] == "online"
    assert body["municipality"] == "vorkuta" and body["wants_financing"] is True
    assert body["parent"] == {"id": parent.pk, "full_name": parent.full_name}
    assert body["child"]["full_name"] == "Иванова Мария Петровна"
    assert body["certificate"] is None
    assert body["duplicates_count"] is None  # a parent is not shown the duplicate search
    child = Child.objects.get()
    assert child.has_disability and child.guardianships.get().user == parent
    assert ids(as_user(parent).get(APPLICATIONS)) == {application.pk}


def test_bad_snils_too_old_and_unknown_municipality_are_field_errors(as_user, vorkuta, parent):
    client = as_user(parent)
    error = assert_error(
        client.post(APPLICATIONS, body_of(snils="112-233-445 96"), format="json"),
        400,
        "validation_error",
    )
    assert "контрольное число" in error["fields"]["snils"][0]
    error = assert_error(
        client.post(APPLICATIONS, body_of(birth_date=dt.date(2008, 5, 1)), format="json"),
        400,
        "validation_error",
    )
    assert "от 5 до 18 лет" in error["fields"]["birth_date"][0]
    error = assert_error(
        client.post(APPLICATIONS, {**body_of(), "municipality": "atlantis"}, format="json"), 400
    )
    assert "municipality" in error["fields"]
    error = assert_error(client.post(APPLICATIONS, {"municipality": "vorkuta"}, format="json"), 400)
    assert {"last_name", "first_name", "birth_date", "sex", "snils", "document_number"} <= set(
        error["fields"]
    )
    assert Child.objects.count() == 0 and CertificateApplication.objects.count() == 0


def test_duplicate_child_is_400_duplicate_child(as_user, vorkuta, parent, other_parent):
    first = body_of()
    assert as_user(parent).post(APPLICATIONS, first, format="json").status_code == 201
    again = body_of(snils=first["snils"], first_name="Другая")
    error = assert_error(
        as_user(other_parent).post(APPLICATIONS, again, format="json"), 400, "duplicate_child"
    )
    assert "snils" in error["fields"]
    assert CertificateApplication.objects.count() == 1


def test_parent_cannot_file_in_person_and_operator_not_online(as_user, vorkuta, operator, parent):
    in_person = {**body_of(), "channel": "in_person", "parent": parent.username}
    assert_error(as_user(parent).post(APPLICATIONS, in_person, format="json"), 403)
    error = assert_error(as_user(operator).post(APPLICATIONS, body_of(), format="json"), 400)
    assert "channel" in error["fields"]
    error = assert_error(
        as_user(parent).post(
            APPLICATIONS, {**body_of(), "parent_last_name": "Петров"}, format="json"
        ),
        400,
    )
    assert "parent_last_name" in error["fields"]
    assert CertificateApplication.objects.count() == 0


def test_operator_files_in_person_for_a_new_parent(as_user, vorkuta, operator):
    body = {
        **body_of(),
        "channel": "in_person",
        "relation": "father",
        "parent_last_name": "Петров",
        "parent_first_name": "Иван",
        "email": "petrov@example.org",
    }
    response = as_user(operator).post(APPLICATIONS, body, format="json")
    assert response.status_code == 201, response.content
    application = CertificateApplication.objects.get()
    assert response.json()["channel"] == "in_person"
    new_parent = application.parent
    assert new_parent.last_name == "Петров" and not new_parent.has_usable_password()
    assert new_parent.has_role("parent")
    assert application.child.guardianships.get().relation == "father"
    assert response.json()["duplicates_count"] == 0


def test_operator_files_in_person_for_an_existing_parent(as_user, vorkuta, operator, parent):
    for who in (parent.username.upper(), str(parent.pk)):
        body = {**body_of(), "channel": "in_person", "parent": who}
        response = as_user(operator).post(APPLICATIONS, body, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["parent"]["id"] == parent.pk
    assert CertificateApplication.objects.filter(parent=parent).count() == 2


def test_in_person_needs_a_parent_and_reports_all_field_errors(as_user, vorkuta, operator):
    client = as_user(operator)
    error = assert_error(
        client.post(APPLICATIONS, {**body_of(), "channel": "in_person"}, format="json"), 400
    )
    assert "parent" in error["fields"]
    error = assert_error(
        client.post(
            APPLICATIONS,
            {**body_of(), "channel": "in_person", "parent": "no-such-login"},
            format="json",
        ),
        400,
    )
    assert "parent" in error["fields"]
    body = {
        **body_of(snils="112-233-445 96"),
        "channel": "in_person",
        "parent_last_name": "Петров",
        "parent_first_name": " ",
    }
    error = assert_error(client.post(APPLICATIONS, body, format="json"), 400)
    assert "snils" in error["fields"]
    assert "parent_first_name" in error["fields"]
    assert User.objects.filter(last_name="Петров").count() == 0


def test_application_list_filters_and_duplicate_counts(
    as_user, vorkuta, inta, operator, regional_admin, parent, other_parent
):
    data = child_data()
    a = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=data
    )
    # The same birth certificate with another СНИЛС: accepted, flagged for the operator.
    b = services.apply_for_certificate(
        actor=other_parent,
        municipality=vorkuta,
        parent=other_parent,
        child=child_data(document_number=data["document_number"], first_name="Ольга"),
    )
    c = services.apply_for_certificate(
        actor=parent, municipality=inta, parent=parent, child=child_data(first_name="Пётр")
    )
    services.reject_application(actor=operator, application=b, reason="Дубликат")
    client = as_user(operator)
    rows = {r["id"]: r for r in client.get(APPLICATIONS).json()["results"]}
    assert set(rows) == {a.pk, b.pk}
    assert rows[a.pk]["duplicates_count"] == 1 and rows[b.pk]["duplicates_count"] == 1
    assert ids(client.get(APPLICATIONS, {"status": "rejected"})) == {b.pk}
    assert ids(client.get(APPLICATIONS, {"status": "applied"})) == {a.pk}
    assert_error(client.get(APPLICATIONS, {"status": "bogus"}), 400, "validation_error")
    admin = as_user(regional_admin)
    assert ids(admin.get(APPLICATIONS)) == {a.pk, b.pk, c.pk}
    assert ids(admin.get(APPLICATIONS, {"municipality": "inta"})) == {c.pk}
    parent_rows = as_user(parent).get(APPLICATIONS).json()["results"]
    assert {r["id"] for r in parent_rows} == {a.pk, c.pk}
    assert all(r["duplicates_count"] is None for r in parent_rows)
    assert as_user(other_parent).get(f"{APPLICATIONS}{a.pk}/").status_code == 404


def test_verify_approve_with_password_shown_once_then_reject_rules(
    as_user, vorkuta, operator, parent, period
):
    parent.set_unusable_password()
    parent.save()
    application = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=child_data()
    )
    client = as_user(operator)
    response = client.post(f"{APPLICATIONS}{application.pk}/verify/")
    assert response.status_code == 200 and response.json()["status"] == "verified"
    assert_error(client.post(f"{APPLICATIONS}{application.pk}/verify/"), 409, "conflict")

    response = client.post(f"{APPLICATIONS}{application.pk}/approve/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"application", "certificate", "login", "issued_password"}
    certificate = Certificate.objects.get()
    assert body["application"]["status"] == "approved"
    assert body["application"]["certificate"] == {"id": certificate.pk, "number": "1102000001"}
    assert body["certificate"]["number"] == "1102000001"
    assert body["certificate"]["type"] == "financing"
    assert body["certificate"]["balance"] == {
        "granted_kopecks": NOMINAL,
        "reserved_kopecks": 0,
        "spent_kopecks": 0,
        "returned_kopecks": 0,
        "available_kopecks": NOMINAL,
    }
    assert body["login"] == parent.username
    parent.refresh_from_db()
    assert parent.check_password(body["issued_password"])
    assert_error(client.post(f"{APPLICATIONS}{application.pk}/approve/"), 409)

    # The second child: the parent has a password, so none is issued and no login shown.
    second = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=child_data(first_name="Анна")
    )
    body = client.post(f"{APPLICATIONS}{second.pk}/approve/").json()
    assert body["issued_password"] is None and body["login"] is None
    assert body["certificate"]["number"] == "1102000002"


def test_reject_needs_a_reason(as_user, vorkuta, operator, parent):
    application = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=child_data()
    )
    client = as_user(operator)
    error = assert_error(client.post(f"{APPLICATIONS}{application.pk}/reject/"), 400)
    assert "reason" in error["fields"]
    error = assert_error(
        client.post(f"{APPLICATIONS}{application.pk}/reject/", {"reason": "  "}, format="json"),
        400,
    )
    assert "reason" in error["fields"]
    response = client.post(
        f"{APPLICATIONS}{application.pk}/reject/", {"reason": "Нет документов"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["reason"] == "Нет документов"


def test_only_officials_of_the_municipality_decide(
    as_user, vorkuta, parent, other_operator, staff, regional_admin, period
):
    application = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=child_data()
    )
    for action in ("verify", "approve", "reject"):
        url = f"{APPLICATIONS}{application.pk}/{action}/"
        assert_error(as_user(parent).post(url, {"reason": "x"}, format="json"), 403)
        assert_error(as_user(staff).post(url, {"reason": "x"}, format="json"), 403)
        assert_error(as_user(other_operator).post(url, {"reason": "x"}, format="json"), 404)
    response = as_user(regional_admin).post(f"{APPLICATIONS}{application.pk}/approve/")
    assert response.status_code == 200
    assert Certificate.objects.count() == 1


def test_approve_with_the_same_idempotency_key_issues_one_certificate(
    api_client, vorkuta, operator, parent, period
):
    parent.set_unusable_password()
    parent.save()
    application = services.apply_for_certificate(
        actor=parent, municipality=vorkuta, parent=parent, child=child_data()
    )
    _, token = accounts.issue_api_token(user=operator)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"{APPLICATIONS}{application.pk}/approve/"
    first = api_client.post(url, HTTP_IDEMPOTENCY_KEY="approve-1")
    again = api_client.post(url, HTTP_IDEMPOTENCY_KEY="approve-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["certificate"] == first.json()["certificate"]
    # The one-time password is not kept for replays (nor in the database).
    assert first.json()["issued_password"] and again.json()["issued_password"] is None
    assert Certificate.objects.count() == 1
    assert ActionLog.objects.filter(action="certificates.certificate_issued").count() == 1
    # Without the key, the repeat is a new request and the domain refuses it.
    assert_error(api_client.post(url), 409)


# ------------------------------------------------------------------------ certificates


def test_certificate_list_retrieve_and_filters(
    as_user, vorkuta, operator, regional_admin, parent, other_parent, staff, payer, period
):
    financing = issue(operator, vorkuta, parent).certificate
    accounting = issue(operator, vorkuta, other_parent, wants_financing=False).certificate
    client = as_user(operator)
    assert ids(client.get(CERTIFICATES)) == {financing.pk, accounting.pk}
    assert ids(client.get(CERTIFICATES, {"type": "accounting"})) == {accounting.pk}
    assert ids(client.get(CERTIFICATES, {"number": "11 02 000001"})) == {financing.pk}
    assert ids(client.get(CERTIFICATES, {"municipality": "inta"})) == set()
    assert ids(client.get(CERTIFICATES, {"status": "active"})) == {financing.pk, accounting.pk}
    assert ids(as_user(regional_admin).get(CERTIFICATES)) == {financing.pk, accounting.pk}
    assert ids(as_user(parent).get(CERTIFICATES)) == {financing.pk}
    assert ids(as_user(staff).get(CERTIFICATES)) == set()
    assert ids(as_user(payer).get(CERTIFICATES)) == set()

    body = as_user(parent).get(f"{CERTIFICATES}{financing.pk}/").json()
    assert body["number"] == "1102000001"
    assert body["child"] == {"id": financing.child_id, "full_name": "Иванова Мария Петровна"}
    assert body["municipality"] == "vorkuta"
    assert body["type"] == "financing" and "квоте" in body["type_reason"]
    assert body["status"] == "active" and body["valid_until"] == "2034-05-13"
    assert set(body["balance"]) == BALANCE_KEYS
    assert all(type(v) is int for v in body["balance"].values())
    assert body["balance"]["available_kopecks"] == NOMINAL
    accounting_body = as_user(operator).get(f"{CERTIFICATES}{accounting.pk}/").json()
    assert accounting_body["balance"] == dict.fromkeys(BALANCE_KEYS, 0)
    assert as_user(parent).get(f"{CERTIFICATES}{accounting.pk}/").status_code == 404


def test_suspend_reactivate_cancel(as_user, vorkuta, operator, parent, period):
    certificate = issue(operator, vorkuta, parent).certificate
    client = as_user(operator)
    url = f"{CERTIFICATES}{certificate.pk}"
    error = assert_error(client.post(f"{url}/suspend/"), 400)
    assert "reason" in error["fields"]
    response = client.post(f"{url}/suspend/", {"reason": "Проверка"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "suspended"
    assert response.json()["status_reason"] == "Проверка"
    assert_error(client.post(f"{url}/suspend/", {"reason": "Ещё раз"}, format="json"), 409)
    response = client.post(f"{url}/reactivate/")
    assert response.status_code == 200 and response.json()["status"] == "active"
    assert_error(client.post(f"{url}/reactivate/"), 409)
    assert "reason" in assert_error(client.post(f"{url}/cancel/", {}, format="json"), 400)["fields"]
    response = client.post(f"{url}/cancel/", {"reason": "Переезд"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["balance"]["returned_kopecks"] == NOMINAL
    assert body["balance"]["available_kopecks"] == 0
    for action in ("suspend", "reactivate", "cancel"):
        assert_error(as_user(parent).post(f"{url}/{action}/", {"reason": "x"}, format="json"), 403)


def test_request_switch_by_parent(as_user, vorkuta, operator, parent, other_parent, period):
    accounting = issue(operator, vorkuta, parent, wants_financing=False).certificate
    url = f"{CERTIFICATES}{accounting.pk}/request-switch/"
    assert_error(as_user(other_parent).post(url), 404)
    response = as_user(parent).post(url)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["switch_request"]["status"] == "fulfilled"
    assert body["switch_request"]["certificate"] == accounting.pk
    assert body["certificate"]["type"] == "financing"
    assert body["certificate"]["balance"]["granted_kopecks"] == NOMINAL
    assert_error(as_user(parent).post(url), 409, "already_financing")


def test_request_switch_waits_when_quota_is_full(as_user, vorkuta, operator, parent):
    approved_period(vorkuta, quota=1)
    issue(operator, vorkuta, parent)
    accounting = issue(operator, vorkuta, parent, first_name="Анна").certificate
    assert accounting.type == "accounting"
    response = as_user(operator).post(f"{CERTIFICATES}{accounting.pk}/request-switch/")
    assert response.status_code == 200
    assert response.json()["switch_request"]["status"] == "waiting"
    assert response.json()["certificate"]["type"] == "accounting"
    assert_error(
        as_user(parent).post(f"{CERTIFICATES}{accounting.pk}/request-switch/"),
        409,
        "already_waiting",
    )


def test_reissue_password(as_user, vorkuta, operator, parent, other_parent, staff, period):
    certificate = issue(operator, vorkuta, parent).certificate
    url = f"{CERTIFICATES}{certificate.pk}/reissue-password/"
    response = as_user(operator).post(url)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"login", "issued_password"} and body["login"] == parent.username
    parent.refresh_from_db()
    assert parent.check_password(body["issued_password"]) and parent.must_change_password
    error = assert_error(
        as_user(operator).post(url, {"parent": other_parent.pk}, format="json"), 400
    )
    assert "parent" in error["fields"]
    assert_error(as_user(parent).post(url), 403)
    assert_error(as_user(staff).post(url), 403)


def test_movements_paginated_with_signed_effects(as_user, vorkuta, operator, parent, period):
    certificate = issue(operator, vorkuta, parent).certificate
    services.cancel_certificate(actor=operator, certificate=certificate, reason="Переезд")
    response = as_user(parent).get(f"{CERTIFICATES}{certificate.pk}/movements/", {"page_size": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and len(body["results"]) == 1 and body["next"]
    everything = as_user(parent).get(f"{CERTIFICATES}{certificate.pk}/movements/").json()
    rows = everything["results"]
    assert [(r["kind"], r["effect_kopecks"], r["movement"]) for r in rows] == [
        ("revoke", -NOMINAL, "списано"),
        ("grant", NOMINAL, "зачислено"),
    ]
    assert all(r["period"] == period.pk and r["period_name"] == period.name for r in rows)
    assert set(rows[0]) == {
        "id",
        "created_at",
        "kind",
        "kind_display",
        "description",
        "effect_kopecks",
        "movement",
        "period",
        "period_name",
    }


# ------------------------------------------------------------------- provider look-up


def test_provider_looks_up_by_number_and_learns_only_the_reduced_view(
    as_user, vorkuta, operator, parent, staff, period
):
    certificate = issue(operator, vorkuta, parent).certificate
    child = certificate.child
    response = as_user(staff).get(LOOKUP, {"number": "11 02 000001"})
    assert response.status_code == 200
    assert response.json() == {
        "number": "1102000001",
        "child_name": "Иванова Мария Петровна",
        "age_years": 10,
        "type": "financing",
        "type_display": "сертификат финансирования",
        "is_active": True,
    }
    raw = response.content.decode()
    for secret in (child.snils, child.snils_display, child.document_number, "2016-05-14"):
        assert secret not in raw
    entry = ActionLog.objects.get(action="certificates.looked_up")
    assert entry.actor == staff and entry.object_id == str(certificate.pk)
    assert entry.details == {"number": "1102000001", "found": True}
    assert entry.municipality == vorkuta
    # Officials may look up too.
    assert as_user(operator).get(LOOKUP, {"number": "1102000001"}).status_code == 200


@pytest.mark.parametrize("number", ["1102999999", "12", "8712 345678", "абв"])
def test_unknown_or_malformed_number_is_404_and_logged_without_the_number(
    as_user, vorkuta, operator, parent, staff, number
):
    issue(operator, vorkuta, parent)
    error = assert_error(as_user(staff).get(LOOKUP, {"number": number}), 404, "not_found")
    assert error["message"] == "Сертификат с таким номером не найден."
    entry = ActionLog.objects.get(action="certificates.looked_up")
    assert entry.details == {"number": "", "found": False}
    assert entry.object_id == ""


def test_lookup_refused_to_parents_payers_and_anonymous(
    as_user, api_client, vorkuta, operator, parent, payer, period
):
    certificate = issue(operator, vorkuta, parent).certificate
    assert_error(as_user(parent).get(LOOKUP, {"number": certificate.number}), 403)
    assert_error(as_user(payer).get(LOOKUP, {"number": certificate.number}), 403)
    api_client.force_authenticate(None)
    assert_error(api_client.get(LOOKUP, {"number": certificate.number}), 401)
    assert not ActionLog.objects.filter(action="certificates.looked_up").exists()


def test_lookup_without_number_is_a_field_error(as_user, staff):
    error = assert_error(as_user(staff).get(LOOKUP), 400, "validation_error")
    assert "number" in error["fields"]


# ------------------------------------------------------------------------ query counts


def _count(client, user, url):
    # A fresh user object: its memberships are cached per instance, as in one request.
    client.force_authenticate(User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 100})
    assert response.status_code == 200
    return len(queries), response.json()["count"]


def test_lists_ask_a_constant_number_of_queries(
    as_user, vorkuta, inta, operator, regional_admin, parent, django_assert_max_num_queries
):
    approved_period(vorkuta)
    approved_period(inta)
    issue(operator, vorkuta, parent)
    services.apply_for_certificate(
        actor=parent, municipality=inta, parent=parent, child=child_data(first_name="Лев", sex="m")
    )
    admin = as_user(regional_admin)
    few = {
        url: _count(admin, regional_admin, url) for url in (CHILDREN, APPLICATIONS, CERTIFICATES)
    }
    for n in range(19):
        issued = issue(operator, vorkuta, parent, first_name=f"Ребёнок{n}")
        if n % 2:
            services.suspend_certificate(actor=operator, certificate=issued.certificate, reason="x")
    assert Certificate.objects.count() == 20
    for url in (CHILDREN, APPLICATIONS, CERTIFICATES):
        admin.force_authenticate(User.objects.get(pk=regional_admin.pk))
        with django_assert_max_num_queries(12):
            response = admin.get(url, {"page_size": 100})
        assert response.status_code == 200
        queries, count = _count(admin, regional_admin, url)
        assert count >= 20
        assert queries == few[url][0], (url, queries, few[url])
