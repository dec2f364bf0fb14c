"""Certificates API, certificates: list and filters, status changes, the parent's switch,
passwords, movements, query counts (the look-up by number is enrolment's API: its tests
are in enrolment/tests/test_lookup.py)."""

# ruff: noqa: F811  (fixtures are imported from the support module and requested by name)

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pfdo.accounts.models import User
from pfdo.certificates import services
from pfdo.certificates.models import Certificate
from pfdo.certificates.tests.api_support import (  # noqa: F401  (fixtures by name)
    APPLICATIONS,
    BALANCE_KEYS,
    CERTIFICATES,
    CHILDREN,
    NOMINAL,
    _today,
    as_user,
    assert_error,
    ids,
    inta,
    issue,
    other_parent,
    parent,
    payer,
    period,
    regional_admin,
    staff,
)
from pfdo.certificates.tests.factories import approved_period, child_data, nth_name
from pfdo.common.tests.served_schema import assert_answer_matches_schema, served_schema

pytestmark = pytest.mark.django_db


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
    assert error["fields"]["parent"] == ["Такого законного представителя у ребёнка нет."]
    assert_error(as_user(parent).post(url), 403)
    assert_error(as_user(staff).post(url), 403)


def test_a_replayed_reissued_password_is_null_and_matches_the_schema(
    as_user, vorkuta, operator, parent, period
):
    """The password is shown once: the replay answers the same body with `issued_password`
    null (and Idempotent-Replayed: true), as the served schema declares; no second password."""
    certificate = issue(operator, vorkuta, parent).certificate
    url = f"{CERTIFICATES}{certificate.pk}/reissue-password/"
    client = as_user(operator)
    first = client.post(url, HTTP_IDEMPOTENCY_KEY="reissue-1")
    again = client.post(url, HTTP_IDEMPOTENCY_KEY="reissue-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == {"login": parent.username, "issued_password": None}
    parent.refresh_from_db()
    assert parent.check_password(first.json()["issued_password"])
    schema = served_schema()
    template = "/api/v1/certificates/{id}/reissue-password/"
    for response in (first, again):
        assert_answer_matches_schema(schema, "POST", template, response)


def test_reissue_password_refuses_a_malformed_key_after_the_permissions(
    as_user, vorkuta, operator, parent, period
):
    certificate = issue(operator, vorkuta, parent).certificate
    url = f"{CERTIFICATES}{certificate.pk}/reissue-password/"
    assert_error(as_user(parent).post(url, HTTP_IDEMPOTENCY_KEY="x" * 201), 403)
    before = User.objects.get(pk=parent.pk).password
    refused = as_user(operator).post(url, HTTP_IDEMPOTENCY_KEY="x" * 201)
    assert_error(refused, 400, "invalid_idempotency_key")
    assert User.objects.get(pk=parent.pk).password == before
    assert as_user(operator).post(url, HTTP_IDEMPOTENCY_KEY="x" * 200).status_code == 200


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
        issued = issue(operator, vorkuta, parent, first_name=nth_name(n))
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
