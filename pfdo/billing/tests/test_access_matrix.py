"""Access matrix of the billing API: every role against family A's lesson, attendance mark,
advance request, invoice (and their lines), payment, the reconciliation and every action; and
no response to provider staff ever carries the child's СНИЛС, document number or birth date."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIClient

from pfdo.billing import services
from pfdo.billing.models import AdvanceRequest, Attendance, Invoice, Lesson, Payment
from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract, staff_of
from pfdo.certificates.tests.factories import valid_snils
from pfdo.common import clock
from pfdo.common.tests.leaks import identifier_forms, leaks
from pfdo.common.tests.worlds import copy_of, komi_and_vorkuta, make_user, world_once
from pfdo.ledger.models import Transfer
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 10)  # a Tuesday; the groups meet on Tuesdays
SEP, OCT, NOV = dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)
BIRTH_DATE = dt.date(2016, 3, 7)
SECRET_NAME = "Засекреченная"

ROLES = [
    "anonymous",
    "parent_a",
    "parent_b",
    "staff_p",
    "staff_q",
    "operator",
    "other_operator",
    "payer",
    "other_payer",
    "regional_admin",
    "superuser",
]
AUTHENTICATED = set(ROLES) - {"anonymous"}
STAFF = {"staff_p", "staff_q"}
OFFICIALS = {"operator", "other_operator", "payer", "other_payer", "regional_admin"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


def build_world():
    """Family A at provider P with October billed, accepted and paid, September's invoice and
    November's advance request in draft, November's lessons with a mark; family B at provider
    Q; a user of every role, the "other" ones in the neighbouring municipality."""
    with clock.frozen(TODAY):
        return _build_world()


def _build_world():
    region, vorkuta = komi_and_vorkuta()
    inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
    approved_period(vorkuta)
    approved_period(inta)
    operator = make_user("operator", municipality=vorkuta)
    provider_p = ProviderFactory(municipality=vorkuta)
    provider_q = ProviderFactory(municipality=vorkuta)
    w = SimpleNamespace(
        anonymous=AnonymousUser(),
        operator=operator,
        other_operator=make_user("operator", municipality=inta),
        payer=make_user("payer", municipality=vorkuta),
        other_payer=make_user("payer", municipality=inta),
        regional_admin=make_user("regional_admin", region=region),
        superuser=make_user(is_superuser=True),
        staff_p=staff_of(provider_p),
        staff_q=staff_of(provider_q),
        provider=provider_p,
        municipality=vorkuta,
    )
    w.snils = valid_snils()
    w.document = "IV-ЖК 739215"
    w.group = ready_group(vorkuta, provider=provider_p)
    q_group = ready_group(vorkuta, provider=provider_q)
    fam_a, w.contract = signed_contract(
        vorkuta,
        operator,
        w.group,
        last_name=SECRET_NAME,
        first_name="Ульяна",
        birth_date=BIRTH_DATE,
        snils=w.snils,
        document_number=w.document,
    )
    fam_b, w.contract_b = signed_contract(vorkuta, operator, q_group, last_name="Другая")
    for fam in (fam_a, fam_b):
        fam.parent.must_change_password = False
        fam.parent.save(update_fields=["must_change_password"])
    w.parent_a, w.parent_b, w.child = fam_a.parent, fam_b.parent, fam_a.child

    # The journal: November's lessons, family A present on the 3rd.
    lessons = {x.held_on: x for x in services.ensure_lessons(group=w.group, month=NOV)}
    w.lesson = lessons[dt.date(2026, 11, 3)]
    w.future_lesson = lessons[dt.date(2026, 11, 17)]
    services.mark_attendance(actor=w.staff_p, lesson=w.lesson, marks={w.contract.pk: True})
    w.mark = Attendance.objects.get()
    b_lesson = services.ensure_lessons(group=q_group, month=NOV)[0]
    services.mark_attendance(actor=w.staff_q, lesson=b_lesson, marks={w.contract_b.pk: True})

    # October: advance accepted and paid, invoice accepted and paid in part.
    with clock.frozen(dt.date(2026, 10, 5)):
        advance = services.build_advance(actor=w.staff_p, provider=provider_p, month=OCT)
        services.submit_advance(actor=w.staff_p, advance=advance)
        w.advance = services.accept_advance(actor=w.payer, advance=advance)
        services.record_payment(
            actor=w.payer,
            document=w.advance,
            order_number="A-1",
            paid_on=dt.date(2026, 10, 5),
            amount_kopecks=w.advance.amount_kopecks,
        )
    invoice = services.build_invoice(actor=w.staff_p, provider=provider_p, month=OCT)
    services.submit_invoice(actor=w.staff_p, invoice=invoice)
    w.invoice = services.accept_invoice(actor=w.payer, invoice=invoice)
    w.payment = services.record_payment(
        actor=w.payer, document=w.invoice, order_number="I-1", paid_on=TODAY, amount_kopecks=1
    )
    # Drafts to act on: September's invoice, November's advance request.
    w.draft_invoice = services.build_invoice(actor=w.staff_p, provider=provider_p, month=SEP)
    w.draft_advance = services.build_advance(actor=w.staff_p, provider=provider_p, month=NOV)
    # Provider Q's October, so that lists have someone else's rows.
    services.build_invoice(actor=w.staff_q, provider=provider_q, month=OCT)
    return w


# Built once for the module; every test (every cell) works on its own copy and its writes
# are rolled back after it.
_world = world_once(build_world)


@pytest.fixture
def world(_world, db):
    return copy_of(_world)


def api_as(world, role) -> APIClient:
    client = APIClient()
    client.default_format = "json"
    if role != "anonymous":
        client.force_authenticate(getattr(world, role))
    return client


def assert_error_body(response):
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def snapshot():
    """Everything an action could write."""
    return (
        Payment.objects.count(),
        Transfer.objects.count(),
        sorted(Attendance.objects.values_list("pk", "present")),
        sorted(Lesson.objects.values_list("pk", "status", "held_on", "starts_at")),
        sorted(AdvanceRequest.objects.values_list("pk", "status", "built_at")),
        sorted(Invoice.objects.values_list("pk", "status", "built_at")),
    )


# ------------------------------------------------------------------------ reading the API

DOCUMENT_READERS = {"staff_p", "operator", "payer", "regional_admin", "superuser"}
# object: (list URL, detail URL of family A's object, roles the endpoint admits at all,
# roles that see family A's object)
OBJECTS = {
    "lesson": (
        "/api/v1/lessons/",
        lambda w: f"/api/v1/lessons/{w.lesson.pk}/",
        lambda w: w.lesson.pk,
        STAFF | {"superuser"},
        {"staff_p", "superuser"},
    ),
    "attendance": (
        "/api/v1/attendance/",
        lambda w: f"/api/v1/attendance/{w.mark.pk}/",
        lambda w: w.mark.pk,
        AUTHENTICATED,
        {"parent_a", "staff_p", "operator", "payer", "regional_admin", "superuser"},
    ),
    "advance_request": (
        "/api/v1/advance-requests/",
        lambda w: f"/api/v1/advance-requests/{w.advance.pk}/",
        lambda w: w.advance.pk,
        STAFF | OFFICIALS | {"superuser"},
        DOCUMENT_READERS,
    ),
    "invoice": (
        "/api/v1/invoices/",
        lambda w: f"/api/v1/invoices/{w.invoice.pk}/",
        lambda w: w.invoice.pk,
        STAFF | OFFICIALS | {"superuser"},
        DOCUMENT_READERS,
    ),
    "payment": (
        "/api/v1/payments/",
        lambda w: f"/api/v1/payments/{w.payment.pk}/",
        lambda w: w.payment.pk,
        STAFF | OFFICIALS | {"superuser"},
        DOCUMENT_READERS,
    ),
}
# Paginated sub-lists of a document: (URL, the row it must hold).
LINES = {
    "advance_lines": lambda w: f"/api/v1/advance-requests/{w.advance.pk}/lines/",
    "invoice_lines": lambda w: f"/api/v1/invoices/{w.invoice.pk}/lines/",
}


@pytest.mark.parametrize("role", ROLES)
def test_read_matrix(world, role):
    client = api_as(world, role)
    before = snapshot()
    for name, (list_url, detail, object_id, admitted, readers) in OBJECTS.items():
        detail_response = client.get(detail(world))
        list_response = client.get(list_url, {"page_size": 500})
        for response in (detail_response, list_response):
            if role == "anonymous":
                assert response.status_code == 401, (name, response.status_code)
                assert assert_error_body(response)["code"] == "not_authenticated"
            elif role not in admitted:
                assert response.status_code == 403, (role, name, response.status_code)
                assert assert_error_body(response)["code"] == "permission_denied"
        if role not in admitted:
            continue
        if role in readers:
            assert detail_response.status_code == 200, (role, name, detail_response.content)
            assert detail_response.json()["id"] == object_id(world)
        else:
            assert detail_response.status_code == 404, (role, name, detail_response.status_code)
            assert assert_error_body(detail_response)["code"] == "not_found"
        assert list_response.status_code == 200, (role, name)
        listed = {row["id"] for row in list_response.json()["results"]}
        assert (object_id(world) in listed) is (role in readers), (role, name)
    for name, url in LINES.items():
        response = client.get(url(world))
        if role == "anonymous":
            expected = 401
        elif role not in STAFF | OFFICIALS | {"superuser"}:
            expected = 403
        else:
            expected = 200 if role in DOCUMENT_READERS else 404
        assert response.status_code == expected, (role, name, response.status_code)
        if expected == 200:
            [line] = response.json()["results"]
            assert line["contract"]["id"] == world.contract.pk
        else:
            assert_error_body(response)
    assert snapshot() == before  # reading writes nothing


RECONCILIATION_READERS = {"operator", "payer", "regional_admin", "superuser"}


@pytest.mark.parametrize("role", ROLES)
def test_reconciliation_matrix(world, role):
    response = api_as(world, role).get(
        "/api/v1/billing/reconciliation/", {"municipality": "vorkuta", "month": "2026-10"}
    )
    if role == "anonymous":
        expected = 401
    elif role in RECONCILIATION_READERS:
        expected = 200
    else:
        expected = 403
    assert response.status_code == expected, (role, response.content)
    if expected == 200:
        assert response.json()["ok"] is True, response.json()
        assert response.json()["providers"][0]["provider_id"] == world.provider.pk
    else:
        assert_error_body(response)


# ------------------------------------------------------------------------------ actions


def _submit_advance(w):
    services.submit_advance(actor=w.staff_p, advance=w.draft_advance)


def _submit_invoice(w):
    services.submit_invoice(actor=w.staff_p, invoice=w.draft_invoice)


def _cancel_lesson(w):
    services.cancel_lesson(actor=w.staff_p, lesson=w.future_lesson, reason="Карантин")


# action: (prepare, URL, body, {role: expected status}); other authenticated roles get 403.
# A role the endpoint admits but whose object it is not gets 404 for an object in the URL,
# 400 (a field) for one in the body, and 403 when the service refuses another provider or
# municipality by id.
JOURNAL = {"staff_p": 200, "superuser": 200, "staff_q": 404}
PROVIDER_STEP = {"staff_p": 200, "superuser": 200, "staff_q": 404}
PAYER_STEP = {"payer": 200, "superuser": 200, "other_payer": 404}
BUILD = {"staff_p": 201, "payer": 201, "superuser": 201, "staff_q": 403, "other_payer": 403}
ACTIONS = {
    "lesson_generate": (
        None,
        lambda w: "/api/v1/lessons/generate/",
        lambda w: {"group": w.group.pk, "month": "2026-12"},
        {"staff_p": 200, "superuser": 200, "staff_q": 403},
    ),
    "lesson_cancel": (
        None,
        lambda w: f"/api/v1/lessons/{w.future_lesson.pk}/cancel/",
        lambda w: {"reason": "Карантин"},
        JOURNAL,
    ),
    "lesson_restore": (
        _cancel_lesson,
        lambda w: f"/api/v1/lessons/{w.future_lesson.pk}/restore/",
        lambda w: {},
        JOURNAL,
    ),
    "lesson_move": (
        None,
        lambda w: f"/api/v1/lessons/{w.future_lesson.pk}/move/",
        lambda w: {"held_on": "2026-11-19", "starts_at": "15:00", "ends_at": "16:30"},
        JOURNAL,
    ),
    "attendance_mark": (
        None,
        lambda w: "/api/v1/attendance/",
        lambda w: {"lesson": w.lesson.pk, "marks": [{"contract": w.contract.pk, "present": False}]},
        {"staff_p": 200, "superuser": 200, "staff_q": 400},
    ),
    "advance_build": (
        None,
        lambda w: "/api/v1/advance-requests/",
        lambda w: {"provider": w.provider.pk, "month": "2026-11"},
        BUILD,
    ),
    "advance_submit": (
        None,
        lambda w: f"/api/v1/advance-requests/{w.draft_advance.pk}/submit/",
        lambda w: {},
        PROVIDER_STEP,
    ),
    "advance_accept": (
        _submit_advance,
        lambda w: f"/api/v1/advance-requests/{w.draft_advance.pk}/accept/",
        lambda w: {},
        PAYER_STEP,
    ),
    "advance_reject": (
        _submit_advance,
        lambda w: f"/api/v1/advance-requests/{w.draft_advance.pk}/reject/",
        lambda w: {"reason": "Нет подписи"},
        PAYER_STEP,
    ),
    "invoice_build": (
        None,
        lambda w: "/api/v1/invoices/",
        lambda w: {"provider": w.provider.pk, "month": "2026-09"},
        BUILD,
    ),
    "invoice_submit": (
        None,
        lambda w: f"/api/v1/invoices/{w.draft_invoice.pk}/submit/",
        lambda w: {},
        PROVIDER_STEP,
    ),
    "invoice_accept": (
        _submit_invoice,
        lambda w: f"/api/v1/invoices/{w.draft_invoice.pk}/accept/",
        lambda w: {},
        PAYER_STEP,
    ),
    "invoice_reject": (
        _submit_invoice,
        lambda w: f"/api/v1/invoices/{w.draft_invoice.pk}/reject/",
        lambda w: {"reason": "Нет подписи"},
        PAYER_STEP,
    ),
    "payment_record": (
        None,
        lambda w: "/api/v1/payments/",
        lambda w: {
            "invoice": w.invoice.pk,
            "order_number": "I-2",
            "paid_on": "2026-11-10",
            "amount_kopecks": 100,
        },
        {"payer": 201, "superuser": 201, "other_payer": 400},
    ),
    "month_run": (
        None,
        lambda w: "/api/v1/billing/run/",
        lambda w: {"municipality": "vorkuta", "month": "2026-11"},
        {"payer": 202, "superuser": 202, "other_payer": 403},
    ),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_action_matrix(world, role, action):
    prepare, url, body, allowed = ACTIONS[action]
    if prepare is not None:
        prepare(world)
    before = snapshot()
    response = api_as(world, role).post(url(world), body(world), format="json")
    expected = 401 if role == "anonymous" else allowed.get(role, 403)
    assert response.status_code == expected, (role, action, response.content)
    if expected >= 400:
        assert_error_body(response)
        assert snapshot() == before, (role, action)  # nothing written, nothing posted


def test_the_month_run_of_an_outsider_builds_nothing(world, django_capture_on_commit_callbacks):
    # The payer of another municipality is refused before anything is built (403); the
    # municipality's own payer then finds only what is missing.
    assert (
        api_as(world, "other_payer")
        .post("/api/v1/billing/run/", {"municipality": "vorkuta", "month": "2026-11"})
        .status_code
        == 403
    )
    payer = api_as(world, "payer")
    with django_capture_on_commit_callbacks(execute=True):
        response = payer.post(
            "/api/v1/billing/run/", {"municipality": "vorkuta", "month": "2026-11"}
        )
    assert response.status_code == 202, response.content
    data = payer.get(response["Location"]).json()["result"]["data"]
    assert data["already_there"] == 1  # P's November advance request
    assert data["advances_built"] == 1  # Q's
    # The outsider does not see the job either.
    assert api_as(world, "other_payer").get(response["Location"]).status_code == 404


# ------------------------------------------------------- nothing identifying to a provider


def _secrets(world) -> list[bytes]:
    return identifier_forms(
        snils=world.snils,
        document=world.document,
        document_number=world.child.document_number,
        birth_date=BIRTH_DATE,
    )


BILLING_PATHS = (
    "/api/v1/lessons/",
    "/api/v1/attendance/",
    "/api/v1/advance-requests/",
    "/api/v1/invoices/",
    "/api/v1/payments/",
    "/api/v1/billing/",
)


def test_no_billing_response_to_provider_staff_contains_the_childs_identifiers(world):
    secrets = _secrets(world)
    api = api_as(world, "staff_p")
    checked = 0

    def check(response, what):
        nonlocal checked
        assert response.status_code < 500, (what, response.status_code)
        assert not leaks(response.content, secrets), what
        checked += 1
        return response

    # The provider's own journey first: the journal, the documents, their lines.
    marked = check(
        api.post(
            "/api/v1/attendance/",
            {
                "lesson": world.lesson.pk,
                "marks": [{"contract": world.contract.pk, "present": True}],
            },
        ),
        "mark",
    )
    assert marked.status_code == 200
    assert marked.json()["marks"][0]["contract"]["child"]["name"].startswith(SECRET_NAME)
    card = check(api.get(f"/api/v1/advance-requests/{world.draft_advance.pk}/"), "advance card")
    assert card.json()["lines"][0]["contract"]["child"]["name"].startswith(SECRET_NAME)
    lines = check(api.get(f"/api/v1/invoices/{world.invoice.pk}/lines/"), "invoice lines")
    assert lines.json()["results"][0]["contract"]["child"]["age_years"] == 10

    # Every billing operation of the schema, on family A's objects.
    schema = api.get("/api/schema/?format=json").json()
    # Each resource's operations on family A's objects of that resource.
    ids = {
        "/api/v1/lessons/": [world.lesson.pk, world.future_lesson.pk],
        "/api/v1/attendance/": [world.mark.pk],
        "/api/v1/advance-requests/": [world.advance.pk, world.draft_advance.pk],
        "/api/v1/invoices/": [world.invoice.pk, world.draft_invoice.pk],
        "/api/v1/payments/": [world.payment.pk],
        "/api/v1/billing/": [],
    }
    body = {
        "reason": "Отмена",
        "group": world.group.pk,
        "month": "2026-12",
        "provider": world.provider.pk,
        "lesson": world.lesson.pk,
        "marks": [{"contract": world.contract.pk, "present": True}],
        "held_on": "2026-11-19",
        "starts_at": "15:00",
        "ends_at": "16:30",
        "municipality": "vorkuta",
    }
    operations = 0
    for path, item in schema["paths"].items():
        if not path.startswith(BILLING_PATHS):
            continue
        for method in item:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            operations += 1
            prefix = next(p for p in BILLING_PATHS if path.startswith(p))
            urls = {re.sub(r"\{[^}]+\}", str(pk), path) for pk in ids[prefix]} or {path}
            for url in sorted(urls):
                if method == "get":
                    response = api.get(url, {"page_size": 500, "municipality": "vorkuta"})
                else:
                    response = getattr(api, method)(url, body, format="json")
                check(response, (method, url))
    assert operations >= 25
    for url in ("/api/v1/attendance/", "/api/v1/advance-requests/", "/api/v1/invoices/"):
        check(api.get(url, {"page_size": 500}), url)
    assert checked > 45


def test_the_identifier_search_would_catch_a_leak(world):
    # The search above finds the identifiers in a response that does show them.
    response = api_as(world, "operator").get(f"/api/v1/children/{world.child.pk}/")
    assert response.status_code == 200
    assert leaks(response.content, _secrets(world))
