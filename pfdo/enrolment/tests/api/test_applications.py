"""Enrolment API, applications: the terms preview, filing online and in person, the
provider's decisions and the parent's confirmations — shapes by role, refusals as the error
body."""

from __future__ import annotations

import pytest

from pfdo.certificates import services as certificate_services
from pfdo.enrolment import services
from pfdo.enrolment.models import Application
from pfdo.enrolment.tests.api.support import (
    APPLICATION_KEYS,
    APPLICATIONS,
    CHILD_KEYS,
    CONTRACT_KEYS,
    CONTRACTS,
    NOMINAL,
    PRICE_7,
    TERMS,
    apply_body,
    assert_error,
    ids,
    reserved,
)
from pfdo.enrolment.tests.factories import family, ready_group, staff_of
from pfdo.ledger.selectors import verify_ledger

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------- the terms preview


def test_parent_sees_the_money_before_applying(as_user, fam, group):
    client = as_user(fam.parent)
    response = client.get(TERMS, {"certificate": fam.certificate.pk, "group": group.pk})
    assert response.status_code == 200, response.content
    terms = response.json()
    assert terms["starts_on"] == "2026-11-28" and terms["ends_on"] == "2027-05-31"
    assert terms["months_count"] == 7 and len(terms["months"]) == 7
    assert terms["price_kopecks"] == PRICE_7
    assert terms["normative_kopecks"] == 2_000_000 * 7 // 9
    assert terms["certificate_kopecks"] == PRICE_7 and terms["copay_kopecks"] == 0
    assert terms["available_kopecks"] == NOMINAL
    assert terms["remaining_kopecks"] == NOMINAL - PRICE_7
    assert terms["copay_agreement_required"] is False
    assert terms["funding"] == "certificate" and terms["period"]["name"]
    assert terms["group"]["id"] == group.pk
    assert terms["group"]["program_name"] == group.module.program.name
    money = [
        v for k, v in terms.items() if k.endswith("_kopecks") and k != "copay_agreement_required"
    ]
    assert all(type(v) is int for v in money)
    assert sum(m["certificate_kopecks"] for m in terms["months"]) == PRICE_7
    assert all(type(m["certificate_kopecks"]) is int for m in terms["months"])
    assert terms["months"][0]["month"] == "2026-11-01"
    # By the number too (spaces allowed), with the same answer.
    number = fam.certificate.number
    spaced = f"{number[:4]} {number[4:]}"
    again = client.get(TERMS, {"certificate": spaced, "group": group.pk})
    assert again.status_code == 200 and again.json() == terms


def test_terms_show_the_copay_of_a_pricey_group(as_user, fam, vorkuta):
    pricey = ready_group(vorkuta, price=9_000_000, normative=2_000_000)
    response = as_user(fam.parent).get(
        TERMS, {"certificate": fam.certificate.pk, "group": pricey.pk}
    )
    terms = response.json()
    assert terms["certificate_kopecks"] == 2_000_000 * 7 // 9
    assert terms["copay_kopecks"] == 9_000_000 * 7 // 9 - terms["certificate_kopecks"]
    assert terms["copay_agreement_required"] is True
    assert sum(m["copay_kopecks"] for m in terms["months"]) == terms["copay_kopecks"]


def test_terms_of_someone_elses_certificate_are_not_shown(
    as_user, fam, group, vorkuta, operator, staff
):
    other = family(vorkuta, operator)
    query = {"certificate": fam.certificate.pk, "group": group.pk}
    # A look-up about one named certificate: one the user cannot see is a 404 at the field.
    error = assert_error(as_user(other.parent).get(TERMS, query), 404, "not_found")
    assert "certificate" in error["fields"]
    # The operator sees the certificate but is not the family: not found.
    assert_error(as_user(operator).get(TERMS, query), 404, "not_found")
    assert_error(as_user(staff).get(TERMS, query), 404, "not_found")
    assert_error(as_user(fam.parent).get(TERMS, {"certificate": "abc", "group": group.pk}), 400)


# ------------------------------------------------------------------------------ applications


def test_parent_applies_online(as_user, fam, group, period):
    client = as_user(fam.parent)
    response = client.post(APPLICATIONS, apply_body(fam, group), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == APPLICATION_KEYS
    assert set(body["child"]) == CHILD_KEYS
    assert body["child"]["id"] == fam.child.pk and body["child"]["age_years"] == 10
    assert body["child"]["name"] == fam.child.full_name
    assert body["certificate_number"] == fam.certificate.number
    assert body["group"] == {
        "id": group.pk,
        "name": group.name,
        "program_id": group.module.program_id,
        "program_name": group.module.program.name,
    }
    provider = group.module.program.provider
    assert body["provider"] == {"id": provider.pk, "short_name": provider.short_name}
    assert (body["channel"], body["status"]) == ("online", "new")
    assert body["status_display"] and body["channel_display"]
    assert body["decide_by"] and body["waitlist_position"] is None and body["contract"] is None
    application = Application.objects.get(pk=body["id"])
    assert application.parent == fam.parent and application.status == Application.Status.NEW
    # The parent's list and card show it.
    assert ids(client.get(APPLICATIONS)) == [body["id"]]
    assert client.get(f"{APPLICATIONS}{body['id']}/").json() == body


def test_apply_by_certificate_number(as_user, fam, group):
    body = {"certificate": fam.certificate.number, "group": group.pk, "channel": "online"}
    response = as_user(fam.parent).post(APPLICATIONS, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["certificate_number"] == fam.certificate.number


def test_full_group_shows_the_waitlist_position(as_user, vorkuta, operator, period):
    group = ready_group(vorkuta, capacity=1)
    families = [family(vorkuta, operator) for _ in range(3)]
    answers = [
        as_user(f.parent).post(APPLICATIONS, apply_body(f, group), format="json").json()
        for f in families
    ]
    assert [a["status"] for a in answers] == ["new", "waitlisted", "waitlisted"]
    assert [a["waitlist_position"] for a in answers] == [None, 1, 2]
    staff = staff_of(group.module.program.provider)
    listed = as_user(staff).get(APPLICATIONS, {"status": "waitlisted"}).json()["results"]
    assert {row["id"]: row["waitlist_position"] for row in listed} == {
        answers[1]["id"]: 1,
        answers[2]["id"]: 2,
    }


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"age_from_months": 12 * 12}, "age_out_of_range"),
        ({"enrolment_open": False}, "enrolment_closed"),
    ],
)
def test_refusals_of_the_programme_are_409_with_the_reason(as_user, fam, vorkuta, change, code):
    group = ready_group(vorkuta, **change)
    response = as_user(fam.parent).post(APPLICATIONS, apply_body(fam, group), format="json")
    error = assert_error(response, 409, code)
    assert error["fields"] == {}
    assert not Application.objects.exists()


def test_suspended_certificate_is_refused(as_user, fam, group, operator):
    certificate_services.suspend_certificate(
        actor=operator, certificate=fam.certificate, reason="Проверка"
    )
    response = as_user(fam.parent).post(APPLICATIONS, apply_body(fam, group), format="json")
    assert_error(response, 409, "certificate_not_active")


def test_copay_must_be_agreed(as_user, fam, vorkuta):
    pricey = ready_group(vorkuta, price=9_000_000, normative=2_000_000)
    client = as_user(fam.parent)
    error = assert_error(
        client.post(APPLICATIONS, apply_body(fam, pricey), format="json"), 409, "copay_not_agreed"
    )
    assert "Подтвердите согласие на доплату." in error["fields"]["copay_agreed"][0]
    agreed = client.post(APPLICATIONS, apply_body(fam, pricey, copay_agreed=True), format="json")
    assert agreed.status_code == 201 and agreed.json()["copay_agreed"] is True


def test_duplicate_application_is_refused(as_user, fam, group):
    client = as_user(fam.parent)
    assert client.post(APPLICATIONS, apply_body(fam, group), format="json").status_code == 201
    response = client.post(APPLICATIONS, apply_body(fam, group), format="json")
    assert_error(response, 409, "already_applied")
    assert Application.objects.count() == 1


def test_input_errors_are_field_errors(as_user, fam, group, vorkuta, operator):
    client = as_user(fam.parent)
    error = assert_error(client.post(APPLICATIONS, {"group": group.pk}, format="json"), 400)
    assert "certificate" in error["fields"]
    error = assert_error(
        client.post(APPLICATIONS, {**apply_body(fam, group), "group": 2**62}, format="json"), 400
    )
    assert "group" in error["fields"]
    other = family(vorkuta, operator)
    error = assert_error(client.post(APPLICATIONS, apply_body(other, group), format="json"), 400)
    assert "certificate" in error["fields"]
    assert not Application.objects.exists()


def test_officials_cannot_apply(as_user, fam, group, operator, make_user, vorkuta):
    response = as_user(operator).post(APPLICATIONS, apply_body(fam, group), format="json")
    assert_error(response, 403, "permission_denied")
    payer = make_user("payer", municipality=vorkuta)
    body = {
        "channel": "in_person",
        "certificate_number": fam.certificate.number,
        "surname": fam.child.last_name,
        "group": group.pk,
    }
    assert_error(as_user(payer).post(APPLICATIONS, body, format="json"), 403)
    assert not Application.objects.exists()


def test_anonymous_gets_401(api_client, fam, group):
    assert_error(api_client.get(APPLICATIONS), 401, "not_authenticated")
    assert_error(api_client.get(CONTRACTS), 401, "not_authenticated")
    response = api_client.post(APPLICATIONS, apply_body(fam, group), format="json")
    assert_error(response, 401)


# ------------------------------------------------------------------------- the provider decides


def test_staff_confirm_offers_the_contract_and_the_parent_accepts(
    as_user, fam, group, staff, period
):
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    response = as_user(staff).post(f"{APPLICATIONS}{application.pk}/confirm/")
    assert response.status_code == 200, response.content
    contract = response.json()
    assert set(contract) == CONTRACT_KEYS
    assert contract["status"] == "offered" and contract["number"]
    assert contract["application"] == application.pk
    assert set(contract["child"]) == CHILD_KEYS
    assert contract["price_kopecks"] == PRICE_7 == contract["certificate_kopecks"]
    assert contract["copay_kopecks"] == 0 and contract["funding"] == "certificate"
    assert len(contract["months"]) == 7
    assert all(
        type(m["certificate_kopecks"]) is int and type(m["copay_kopecks"]) is int
        for m in contract["months"]
    )
    assert sum(m["certificate_kopecks"] for m in contract["months"]) == PRICE_7
    assert [m["month"] for m in contract["months"]][:2] == ["2026-11-01", "2026-12-01"]
    assert contract["terminated_by"] == "" and contract["accepted_at"] is None
    # The application now points at it.
    card = as_user(staff).get(f"{APPLICATIONS}{application.pk}/").json()
    assert (card["status"], card["contract"]) == ("offered", contract["id"])

    parent = as_user(fam.parent)
    accepted = parent.post(f"{CONTRACTS}{contract['id']}/accept/")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "active" and accepted.json()["accepted_at"]
    assert reserved(fam, period) == PRICE_7
    assert verify_ledger() == []


def test_staff_reject_needs_a_reason(as_user, fam, group, staff):
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    client = as_user(staff)
    url = f"{APPLICATIONS}{application.pk}/reject/"
    error = assert_error(client.post(url, {}, format="json"), 400, "validation_error")
    assert "reason" in error["fields"]
    response = client.post(url, {"reason": "Нет медицинской справки"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"
    assert response.json()["reason"] == "Нет медицинской справки"
    # Rejecting again is a conflict.
    assert_error(client.post(url, {"reason": "ещё раз"}, format="json"), 409)


def test_another_providers_staff_get_404(as_user, fam, group, vorkuta):
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    stranger = staff_of(ready_group(vorkuta).module.program.provider)
    client = as_user(stranger)
    for verb in ("confirm", "reject", "confirm-code"):
        response = client.post(
            f"{APPLICATIONS}{application.pk}/{verb}/", {"reason": "x", "code": "1"}, format="json"
        )
        assert_error(response, 404, "not_found")
    assert_error(client.get(f"{APPLICATIONS}{application.pk}/"), 404)
    application.refresh_from_db()
    assert application.status == Application.Status.NEW


def test_parent_cannot_confirm_and_staff_cannot_cancel(as_user, fam, group, staff):
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    assert_error(as_user(fam.parent).post(f"{APPLICATIONS}{application.pk}/confirm/"), 403)
    assert_error(as_user(staff).post(f"{APPLICATIONS}{application.pk}/cancel/"), 403)


def test_parent_cancels(as_user, fam, group):
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    client = as_user(fam.parent)
    response = client.post(f"{APPLICATIONS}{application.pk}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert_error(client.post(f"{APPLICATIONS}{application.pk}/cancel/"), 409)


# ------------------------------------------------------------------------------ in person


def test_in_person_then_the_parent_confirms(as_user, fam, group, staff, period):
    body = {
        "certificate_number": fam.certificate.number,
        "surname": fam.child.last_name,
        "group": group.pk,
    }
    response = as_user(staff).post(APPLICATIONS, body, format="json")  # channel by role
    assert response.status_code == 201, response.content
    application = response.json()
    assert (application["channel"], application["status"]) == ("in_person", "awaiting_parent")
    confirmed = as_user(fam.parent).post(f"{APPLICATIONS}{application['id']}/confirm-parent/")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["status"] == "offered"
    assert reserved(fam, period) == 0


def test_in_person_confirmed_with_the_code(as_user, fam, group, staff, period):
    body = {
        "channel": "in_person",
        "certificate_number": fam.certificate.number,
        "surname": fam.child.last_name,
        "group": group.pk,
    }
    client = as_user(staff)
    application = client.post(APPLICATIONS, body, format="json").json()
    code = fam.parent.notifications.order_by("-pk").first().body.split("код ")[1][:6]
    url = f"{APPLICATIONS}{application['id']}/confirm-code/"
    wrong = "000000" if code != "000000" else "111111"
    error = assert_error(client.post(url, {"code": wrong}, format="json"), 400)
    assert "code" in error["fields"]
    response = client.post(url, {"code": code}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active"
    assert reserved(fam, period) == response.json()["certificate_kopecks"] == PRICE_7


def test_in_person_unknown_number_is_a_field_error(as_user, group, staff):
    body = {
        "channel": "in_person",
        "certificate_number": "1102999999",
        "surname": "Иванова",
        "group": group.pk,
    }
    error = assert_error(as_user(staff).post(APPLICATIONS, body, format="json"), 400)
    assert "certificate_number" in error["fields"]


def test_in_person_into_another_providers_group_is_refused(as_user, fam, vorkuta, staff):
    foreign = ready_group(vorkuta)
    body = {
        "channel": "in_person",
        "certificate_number": fam.certificate.number,
        "surname": fam.child.last_name,
    }
    response = as_user(staff).post(APPLICATIONS, {**body, "group": foreign.pk}, format="json")
    assert_error(response, 403)
    assert not Application.objects.exists()


class _Caller:
    def __init__(self, *roles):
        self.roles = set(roles)

    def has_role(self, role):
        return role in self.roles


@pytest.mark.parametrize(
    ("fields", "role", "channel"),
    [
        ({"certificate": "1"}, "provider_staff", "online"),
        ({"certificate_number": "1234567890", "surname": "Иванова"}, "parent", "in_person"),
        (
            {"certificate": "1", "certificate_number": "1", "surname": "И"},
            "provider_staff",
            "in_person",
        ),
        ({"certificate": "1", "certificate_number": "1", "surname": "И"}, "parent", "online"),
        ({"certificate_number": "1", "surname": "  "}, "parent", "online"),
        ({}, "provider_staff", "in_person"),
    ],
)
def test_an_application_without_a_channel_is_filed_the_way_its_fields_name(fields, role, channel):
    from pfdo.enrolment.api.serializers import _channel_of

    assert _channel_of(_Caller(role), fields) == channel


def test_the_schema_states_the_two_ways_to_apply(db):
    from pfdo.common.tests.served_schema import body_is_valid, request_body_schema, served_schema

    schema = served_schema()
    body = request_body_schema(schema, "post", "/api/v1/applications/")
    ways = [set(branch["required"]) for branch in body["anyOf"]]
    assert ways == [{"certificate"}, {"certificate_number", "surname"}]

    def valid(fields):
        return body_is_valid(schema, "post", "/api/v1/applications/", {"group": 1, **fields})

    assert valid({"certificate": "1"}) and valid({"certificate_number": "1", "surname": "И"})
    assert valid({"certificate": 5}) and not valid({"certificate": 0})  # an id as a number
    assert not valid({}) and not valid({"certificate_number": "1", "surname": "  "})
    assert not valid({"channel": "online", "certificate_number": "1", "surname": "И"})
    assert not valid({"channel": "in_person", "certificate": "1"})
