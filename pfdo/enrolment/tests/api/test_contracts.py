"""Enrolment API, contracts: acceptance, declining, termination by each party, idempotency,
filters and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pfdo.accounts.models import User
from pfdo.certificates import selectors as certificate_selectors
from pfdo.common import clock
from pfdo.enrolment import services
from pfdo.enrolment.models import Contract
from pfdo.enrolment.tests.api.support import (
    APPLICATIONS,
    CONTRACTS,
    NOMINAL,
    PRICE_7,
    assert_error,
    ids,
    offered,
    reserved,
)
from pfdo.enrolment.tests.factories import family, ready_group, staff_of
from pfdo.ledger.selectors import verify_ledger

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------ contracts


def test_accepting_an_expired_offer_is_409(as_user, fam, group, staff, period):
    contract = offered(fam, group, staff)
    with clock.frozen(contract.offer_expires_at + dt.timedelta(minutes=1)):
        response = as_user(fam.parent).post(f"{CONTRACTS}{contract.pk}/accept/")
    assert_error(response, 409, "offer_expired")
    assert reserved(fam, period) == 0
    contract.refresh_from_db()
    assert contract.status == Contract.Status.OFFERED


def test_parent_declines(as_user, fam, group, staff):
    contract = offered(fam, group, staff)
    client = as_user(fam.parent)
    response = client.post(f"{CONTRACTS}{contract.pk}/decline/")
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert response.json()["ended_at"]
    assert_error(client.post(f"{CONTRACTS}{contract.pk}/accept/"), 409, "not_offered")


def test_parent_terminates_and_twice_is_409(as_user, fam, group, staff, period):
    contract = offered(fam, group, staff)
    services.accept(actor=fam.parent, contract=contract)
    client = as_user(fam.parent)
    with clock.frozen(dt.date(2027, 2, 10)):
        # The API asks every role for a reason (the schema cannot make it one role's duty).
        blank = client.post(f"{CONTRACTS}{contract.pk}/terminate/", {}, format="json")
        assert assert_error(blank, 400)["fields"]["reason"] == ["Укажите причину расторжения."]
        response = client.post(
            f"{CONTRACTS}{contract.pk}/terminate/", {"reason": "Переезжаем"}, format="json"
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["status"], body["terminated_by"]) == ("terminated", "parent")
        assert body["termination_reason"] == "Переезжаем" and body["ended_at"]
        # February stays reserved for billing; March–May come back.
        assert reserved(fam, period) == PRICE_7 - 3 * (PRICE_7 // 7)
        again = client.post(
            f"{CONTRACTS}{contract.pk}/terminate/", {"reason": "Ещё раз"}, format="json"
        )
    assert_error(again, 409, "not_active")
    assert verify_ledger() == []


def test_staff_and_operator_terminate_with_a_reason(as_user, fam, group, staff, operator):
    contract = offered(fam, group, staff)
    services.accept(actor=fam.parent, contract=contract)
    url = f"{CONTRACTS}{contract.pk}/terminate/"
    error = assert_error(as_user(staff).post(url, {}, format="json"), 400)
    assert "reason" in error["fields"]
    error = assert_error(as_user(operator).post(url, {"reason": "  "}, format="json"), 400)
    assert "reason" in error["fields"]
    response = as_user(operator).post(url, {"reason": "Переезд семьи"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["terminated_by"], response.json()["termination_reason"]) == (
        "operator",
        "Переезд семьи",
    )


def test_terminating_a_completed_contract_is_409(as_user, fam, group, staff):
    contract = offered(fam, group, staff)
    services.accept(actor=fam.parent, contract=contract)
    services.run_deadlines(now=clock.now() + dt.timedelta(days=365))
    contract.refresh_from_db()
    assert contract.status == Contract.Status.COMPLETED
    response = as_user(staff).post(
        f"{CONTRACTS}{contract.pk}/terminate/", {"reason": "Отчислен"}, format="json"
    )
    assert_error(response, 409, "not_active")


def test_payer_and_parent_of_another_family_cannot_terminate(
    as_user, fam, group, staff, make_user, vorkuta, operator
):
    contract = offered(fam, group, staff)
    services.accept(actor=fam.parent, contract=contract)
    url = f"{CONTRACTS}{contract.pk}/terminate/"
    payer = make_user("payer", municipality=vorkuta)
    assert_error(as_user(payer).post(url, {"reason": "x"}, format="json"), 403)
    other = family(vorkuta, operator)
    assert_error(as_user(other.parent).post(url, {"reason": "x"}, format="json"), 404)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.ACTIVE


def test_the_same_accept_twice_with_one_key_reserves_once(as_user, fam, group, staff, period):
    contract = offered(fam, group, staff)
    client = as_user(fam.parent)
    url = f"{CONTRACTS}{contract.pk}/accept/"
    first = client.post(url, HTTP_IDEMPOTENCY_KEY="accept-1")
    assert first.status_code == 200, first.content
    before = certificate_selectors.balance(fam.certificate, period)
    second = client.post(url, HTTP_IDEMPOTENCY_KEY="accept-1")
    assert second.status_code == 200
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert certificate_selectors.balance(fam.certificate, period) == before
    assert before.reserved_kopecks == PRICE_7
    assert before.available_kopecks == NOMINAL - PRICE_7
    # Without the key, the repeat is the domain's conflict — still reserved once.
    assert_error(client.post(url), 409, "not_offered")
    assert reserved(fam, period) == PRICE_7
    assert verify_ledger() == []


def test_contract_filters(as_user, vorkuta, operator, period):
    groups = [ready_group(vorkuta, weekday=d) for d in (1, 3)]
    staff = [staff_of(g.module.program.provider) for g in groups]
    fams = [family(vorkuta, operator) for _ in range(2)]
    first = offered(fams[0], groups[0], staff[0])
    second = offered(fams[1], groups[1], staff[1])
    services.accept(actor=fams[0].parent, contract=first)
    client = as_user(operator)
    assert set(ids(client.get(CONTRACTS))) == {first.pk, second.pk}
    assert ids(client.get(CONTRACTS, {"status": "active"})) == [first.pk]
    assert ids(client.get(CONTRACTS, {"group": groups[1].pk})) == [second.pk]
    assert ids(client.get(CONTRACTS, {"provider": second.provider_id})) == [second.pk]
    assert ids(client.get(CONTRACTS, {"child": fams[0].child.pk})) == [first.pk]
    assert set(ids(client.get(CONTRACTS, {"period": period.pk}))) == {first.pk, second.pk}
    assert_error(client.get(CONTRACTS, {"group": "x"}), 400)
    assert_error(client.get(CONTRACTS, {"status": "nonsense"}), 400)
    apps = client.get(APPLICATIONS, {"provider": first.provider_id})
    assert ids(apps) == [first.application_id]
    assert ids(client.get(APPLICATIONS, {"status": "enrolled"})) == [first.application_id]
    assert ids(client.get(APPLICATIONS, {"group": groups[1].pk})) == [second.application_id]
    assert ids(client.get(APPLICATIONS, {"child": fams[1].child.pk})) == [second.application_id]
    # Each provider's staff see only their own.
    staff_client = as_user(staff[0])
    assert ids(staff_client.get(CONTRACTS)) == [first.pk]
    assert ids(staff_client.get(APPLICATIONS)) == [first.application_id]


def test_the_registers_filters_are_the_apis_too(as_user, vorkuta, operator, period):
    """The pages' register filters (programme, a range in force, surname) are one FilterSet
    with the API's."""
    early = ready_group(vorkuta, weekday=1)
    late = ready_group(vorkuta, weekday=3, starts_on=dt.date(2027, 1, 11))
    first = offered(
        family(vorkuta, operator, last_name="Смирнова"),
        early,
        staff_of(early.module.program.provider),
    )
    second = offered(
        family(vorkuta, operator, last_name="Кузнецова"),
        late,
        staff_of(late.module.program.provider),
    )
    client = as_user(operator)
    assert ids(client.get(CONTRACTS, {"program": late.module.program_id})) == [second.pk]
    assert ids(client.get(CONTRACTS, {"date_to": "2026-12-31"})) == [first.pk]
    assert set(ids(client.get(CONTRACTS, {"date_from": "2027-05-31"}))) == {first.pk, second.pk}
    assert ids(client.get(CONTRACTS, {"date_from": "2027-06-01"})) == []
    assert ids(client.get(CONTRACTS, {"surname": "кузн"})) == [second.pk]
    assert_error(client.get(CONTRACTS, {"date_to": "2026-13-45"}), 400)
    apps = client.get(APPLICATIONS, {"program": early.module.program_id})
    assert ids(apps) == [first.application_id]


# ------------------------------------------------------------------------- query counts

LIST_QUERY_BOUND = 6


def _contracts(vorkuta, operator, n, group):
    staff = staff_of(group.module.program.provider)
    for _ in range(n):
        fam = family(vorkuta, operator)
        contract = offered(fam, group, staff)
        services.accept(actor=fam.parent, contract=contract)
    return staff


def _waitlist(vorkuta, operator, n, group):
    for _ in range(n):
        fam = family(vorkuta, operator)
        services.apply(actor=fam.parent, certificate=fam.certificate, group=group)


@pytest.mark.parametrize("n", [3, 15])
def test_lists_take_a_constant_number_of_queries(
    as_user, vorkuta, operator, period, n, django_assert_max_num_queries
):
    group = ready_group(vorkuta, capacity=20)
    staff = _contracts(vorkuta, operator, n, group)
    for who in (staff, operator):
        client = as_user(who)
        for url in (CONTRACTS, APPLICATIONS):
            with django_assert_max_num_queries(LIST_QUERY_BOUND):
                response = client.get(url)
            assert response.status_code == 200 and response.json()["count"] == n
    rows = as_user(staff).get(CONTRACTS).json()["results"]
    assert len(rows) == n and all(len(row["months"]) == 7 for row in rows)


def test_query_count_does_not_grow_with_rows(as_user, vorkuta, operator, period):
    group = ready_group(vorkuta, capacity=20)
    waiting = ready_group(vorkuta, capacity=1, weekday=4)
    staff = _contracts(vorkuta, operator, 3, group)
    _waitlist(vorkuta, operator, 2, waiting)  # one holds the place, one waits

    def measure():
        out = []
        for who in (operator, staff):
            for url in (CONTRACTS, APPLICATIONS):
                # A fresh user object, as each real request loads (memberships included).
                client = as_user(User.objects.get(pk=who.pk))
                with CaptureQueriesContext(connection) as queries:
                    assert client.get(url).status_code == 200
                out.append(len(queries))
        return out

    few = measure()
    _contracts(vorkuta, operator, 12, group)
    _waitlist(vorkuta, operator, 3, waiting)
    many = measure()
    assert many == few
    listed = as_user(operator).get(APPLICATIONS, {"group": waiting.pk}).json()["results"]
    assert sorted(r["waitlist_position"] or 0 for r in listed) == [0, 1, 2, 3, 4]


def test_year_11_api_accept_takes_the_agreed_copay_and_refuses_changed_terms(
    as_user, vorkuta, fam, period
):
    """Two offers of 18 000 ₽: the second is accepted on the balance of the day. An old client
    that sends nothing gets 409 terms_changed with the new figures; with them it is accepted."""
    groups = [ready_group(vorkuta, weekday=d, price=1_800_000, normative=2_000_000) for d in (1, 3)]
    offers = [offered(fam, g, staff_of(g.module.program.provider)) for g in groups]
    client = as_user(fam.parent)
    # Nothing sent, share unchanged: accepted as before.
    first = client.post(f"{CONTRACTS}{offers[0].pk}/accept/", {}, format="json")
    assert first.status_code == 200 and first.json()["copay_kopecks"] == 0
    left = NOMINAL - PRICE_7
    copay = PRICE_7 - left
    refused = client.post(f"{CONTRACTS}{offers[1].pk}/accept/", {}, format="json")
    body = assert_error(refused, 409, "terms_changed")
    assert left == 1_017_100
    assert "оплатит 10 171,00 ₽" in body["message"].replace("\xa0", " ")
    assert f"{copay} коп." in body["fields"]["copay_kopecks"][0]
    assert reserved(fam, period) == PRICE_7
    stale = client.post(f"{CONTRACTS}{offers[1].pk}/accept/", {"copay_kopecks": 0}, format="json")
    assert_error(stale, 409, "terms_changed")
    bad = client.post(f"{CONTRACTS}{offers[1].pk}/accept/", {"copay_kopecks": -1}, format="json")
    assert_error(bad, 400, "validation_error")
    agreed = client.post(
        f"{CONTRACTS}{offers[1].pk}/accept/", {"copay_kopecks": copay}, format="json"
    )
    assert agreed.status_code == 200, agreed.content
    assert agreed.json()["certificate_kopecks"] == left
    assert agreed.json()["copay_kopecks"] == copay
    assert reserved(fam, period) == NOMINAL
    assert verify_ledger() == []
