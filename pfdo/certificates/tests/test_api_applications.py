"""Certificates API, children and applications: reads by role, the parent's and the operator's
applications, the operator's decisions, errors, idempotency."""

# ruff: noqa: F811  (fixtures are imported from the support module and requested by name)

from __future__ import annotations

import datetime as dt

import pytest

from pfdo.accounts import services as accounts
from pfdo.accounts.models import User
from pfdo.audit.models import ActionLog, PersonalDataAccess
from pfdo.certificates import services
from pfdo.certificates.models import Certificate, CertificateApplication, Child
from pfdo.certificates.tests.api_support import (  # noqa: F401  (fixtures by name)
    APPLICATIONS,
    CERTIFICATES,
    CHILDREN,
    LOOKUP,
    NOMINAL,
    _today,
    as_user,
    assert_error,
    body_of,
    ids,
    inta,
    issue,
    other_operator,
    other_parent,
    parent,
    payer,
    period,
    regional_admin,
    staff,
)
from pfdo.certificates.tests.factories import child_data
from pfdo.common.tests.served_schema import assert_answer_matches_schema, served_schema

pytestmark = pytest.mark.django_db


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


def test_own_child_again_is_409_duplicate_child(as_user, vorkuta, parent):
    # The child's own guardian may be told (another family is answered as for a new child:
    # see test_public_forms.py).
    first = body_of()
    assert as_user(parent).post(APPLICATIONS, first, format="json").status_code == 201
    again = body_of(snils=first["snils"], first_name="Другая")
    error = assert_error(
        as_user(parent).post(APPLICATIONS, again, format="json"), 409, "duplicate_child"
    )
    assert "snils" in error["fields"]
    assert CertificateApplication.objects.count() == 1


def test_parent_cannot_file_in_person_and_operator_not_online(as_user, vorkuta, operator, parent):
    in_person = {**body_of(), "channel": "in_person", "parent": parent.username}
    assert_error(as_user(parent).post(APPLICATIONS, in_person, format="json"), 403)
    online = {**body_of(), "channel": "online"}
    error = assert_error(as_user(operator).post(APPLICATIONS, online, format="json"), 400)
    assert "channel" in error["fields"]
    error = assert_error(
        as_user(parent).post(APPLICATIONS, {**online, "parent_last_name": "Петров"}, format="json"),
        400,
    )
    assert "parent_last_name" in error["fields"]
    # Without channel a parent's fields name the desk: not the parent's to use.
    named = {**body_of(), "parent_last_name": "Петров", "parent_first_name": "Иван"}
    assert_error(as_user(parent).post(APPLICATIONS, named, format="json"), 403)
    assert CertificateApplication.objects.count() == 0


def test_without_a_channel_the_fields_then_the_role_decide(as_user, vorkuta, operator, parent):
    own = as_user(parent).post(APPLICATIONS, body_of(), format="json")
    assert own.status_code == 201 and own.json()["channel"] == "online"
    desk = {**body_of(), "parent_last_name": "Петров", "parent_first_name": "Иван"}
    filed = as_user(operator).post(APPLICATIONS, desk, format="json")
    assert filed.status_code == 201, filed.content
    assert filed.json()["channel"] == "in_person"
    # An official naming no parent is asked for one (in person), not told to go online.
    error = assert_error(as_user(operator).post(APPLICATIONS, body_of(), format="json"), 400)
    assert set(error["fields"]) == {"parent"}


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


def test_operator_in_person_duplicate_child_and_taken_email_are_409(
    as_user, vorkuta, operator, parent
):
    client = as_user(operator)
    first = {**body_of(), "channel": "in_person", "parent": parent.username}
    assert client.post(APPLICATIONS, first, format="json").status_code == 201
    again = {**body_of(snils=first["snils"]), "channel": "in_person", "parent": parent.username}
    error = assert_error(client.post(APPLICATIONS, again, format="json"), 409, "duplicate_child")
    assert "уже получил сертификат или заявление уже подано" in error["fields"]["snils"][0]
    User.objects.filter(pk=parent.pk).update(email="taken@example.org")
    new_parent = {
        "channel": "in_person",
        "parent_last_name": "Петров",
        "parent_first_name": "Иван",
        "email": "Taken@example.org",
    }
    error = assert_error(
        client.post(APPLICATIONS, {**body_of(), **new_parent}, format="json"), 409, "email_taken"
    )
    assert error["fields"]["email"][0].startswith("Этот e-mail уже зарегистрирован.")
    # With another field's error the taken e-mail is reported beside it in one 400.
    error = assert_error(
        client.post(APPLICATIONS, {**body_of(snils="112-233-445 96"), **new_parent}, format="json"),
        400,
        "validation_error",
    )
    assert set(error["fields"]) == {"snils", "email"}
    assert CertificateApplication.objects.count() == 1
    assert not User.objects.filter(last_name="Петров").exists()


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
    assert again.json() == {**first.json(), "issued_password": None}
    schema = served_schema()
    for response in (first, again):
        assert_answer_matches_schema(schema, "POST", f"{APPLICATIONS}{{id}}/approve/", response)
    assert Certificate.objects.count() == 1
    assert ActionLog.objects.filter(action="certificates.certificate_issued").count() == 1
    # Without the key, the repeat is a new request and the domain refuses it.
    assert_error(api_client.post(url), 409)
