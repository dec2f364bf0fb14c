"""Billing API: the journal (lessons, attendance), advance requests, invoices, payments, the
month run and the reconciliation — happy paths, every refusal the issue names as the error
body with nothing posted, idempotency and query counts."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pfdo.accounts.models import User
from pfdo.billing import selectors, services
from pfdo.billing.models import AdvanceRequest, Attendance, Invoice, Lesson, Payment
from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract, staff_of
from pfdo.common import clock
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import verify_ledger
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.territory.tests.factories import MunicipalityFactory

TODAY = dt.date(2026, 11, 10)  # a Tuesday; the group meets on Tuesdays
OCT = dt.date(2026, 10, 1)
NOV = dt.date(2026, 11, 1)
MONTHLY = 200_000  # 18 000 ₽ over nine months, the certificate part of one month
ADVANCE = 160_000  # 80 % of it

LESSONS = "/api/v1/lessons/"
ATTENDANCE = "/api/v1/attendance/"
ADVANCES = "/api/v1/advance-requests/"
INVOICES = "/api/v1/invoices/"
PAYMENTS = "/api/v1/payments/"
RUN = "/api/v1/billing/run/"
RECONCILIATION = "/api/v1/billing/reconciliation/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


@pytest.fixture
def w(vorkuta, operator, make_user):
    """Provider P with family A, provider Q with family B, the payer, each provider's staff."""
    approved_period(vorkuta)
    provider_p = ProviderFactory(municipality=vorkuta)
    provider_q = ProviderFactory(municipality=vorkuta)
    group = ready_group(vorkuta, provider=provider_p)
    q_group = ready_group(vorkuta, provider=provider_q)
    fam_a, contract_a = signed_contract(vorkuta, operator, group)
    fam_b, contract_b = signed_contract(vorkuta, operator, q_group)
    for fam in (fam_a, fam_b):
        fam.parent.must_change_password = False
        fam.parent.save(update_fields=["must_change_password"])
    return SimpleNamespace(
        municipality=vorkuta,
        operator=operator,
        payer=make_user("payer", municipality=vorkuta),
        provider=provider_p,
        provider_q=provider_q,
        group=group,
        q_group=q_group,
        staff=staff_of(provider_p),
        staff_q=staff_of(provider_q),
        fam_a=fam_a,
        fam_b=fam_b,
        contract=contract_a,
        contract_b=contract_b,
    )


@pytest.fixture
def as_user(api_client):
    api_client.default_format = "json"  # bodies are JSON, the only format the API parses

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
    return [row["id"] for row in response.json()["results"]]


def lessons_of(w, month=NOV):
    return services.ensure_lessons(group=w.group, month=month)


def lesson_on(w, day: dt.date) -> Lesson:
    return next(lesson for lesson in lessons_of(w, day.replace(day=1)) if lesson.held_on == day)


def october_advance(w, *, accept=True):
    with clock.frozen(dt.date(2026, 10, 5)):
        advance = services.build_advance(actor=w.staff, provider=w.provider, month=OCT)
        if accept:
            services.submit_advance(actor=w.staff, advance=advance)
            advance = services.accept_advance(actor=w.payer, advance=advance)
    return advance


def accepted_invoice(w):
    invoice = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
    services.submit_invoice(actor=w.staff, invoice=invoice)
    return services.accept_invoice(actor=w.payer, invoice=invoice)


# -------------------------------------------------------------------------------- lessons


def test_get_lists_stored_lessons_only_and_generate_writes_the_month(as_user, w):
    client = as_user(w.staff)
    query = {"group": w.group.pk, "month": "2026-11"}
    response = client.get(LESSONS, query)
    assert response.status_code == 200 and response.json()["count"] == 0
    assert Lesson.objects.count() == 0  # a GET writes nothing

    generated = client.post(
        f"{LESSONS}generate/", {"group": w.group.pk, "month": "2026-11"}, format="json"
    )
    assert generated.status_code == 200, generated.content
    days = [row["held_on"] for row in generated.json()]
    assert days == ["2026-11-03", "2026-11-10", "2026-11-17", "2026-11-24"]
    first = generated.json()[0]
    assert first["starts_at"] == "16:00:00" and first["minutes"] == 90
    assert first["group"]["id"] == w.group.pk and first["status"] == "planned"

    again = client.post(
        f"{LESSONS}generate/", {"group": w.group.pk, "month": "2026-11"}, format="json"
    )
    assert [row["id"] for row in again.json()] == [row["id"] for row in generated.json()]
    assert Lesson.objects.count() == 4
    assert ids(client.get(LESSONS, query)) == [row["id"] for row in generated.json()]
    assert ids(client.get(LESSONS, {"month": "2026-12"})) == []
    card = client.get(f"{LESSONS}{first['id']}/")
    assert card.status_code == 200 and card.json()["held_on"] == "2026-11-03"


def test_generate_refuses_another_providers_group_and_bad_input(as_user, w):
    client = as_user(w.staff_q)
    response = client.post(
        f"{LESSONS}generate/", {"group": w.group.pk, "month": "2026-11"}, format="json"
    )
    assert_error(response, 403, "permission_denied")
    assert Lesson.objects.count() == 0
    error = assert_error(
        client.post(f"{LESSONS}generate/", {"group": w.q_group.pk, "month": "11.2026"}),
        400,
        "validation_error",
    )
    assert set(error["fields"]) == {"month"}
    error = assert_error(
        client.post(f"{LESSONS}generate/", {"group": 10**12, "month": "2026-11"}), 400
    )
    assert set(error["fields"]) == {"group"}
    assert Lesson.objects.count() == 0


def test_officials_and_parents_do_not_keep_the_journal(as_user, w):
    lessons_of(w)
    for user in (w.operator, w.payer, w.fam_a.parent):
        assert_error(as_user(user).get(LESSONS), 403, "permission_denied")


def test_cancel_restore_and_move_a_lesson(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 17))
    client = as_user(w.staff)
    url = f"{LESSONS}{lesson.pk}/"
    cancelled = client.post(f"{url}cancel/", {"reason": "Карантин"}, format="json")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["note"] == "Карантин"
    assert ids(client.get(LESSONS, {"status": "cancelled"})) == [lesson.pk]
    restored = client.post(f"{url}restore/")
    assert restored.status_code == 200 and restored.json()["status"] == "planned"
    assert restored.json()["note"] == ""

    moved = client.post(
        f"{url}move/",
        {"held_on": "2026-11-19", "starts_at": "15:00", "ends_at": "16:30"},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    body = moved.json()
    assert (body["held_on"], body["starts_at"], body["is_moved"]) == (
        "2026-11-19",
        "15:00:00",
        True,
    )
    assert body["scheduled_on"] == "2026-11-17"

    error = assert_error(
        client.post(
            f"{url}move/",
            {"held_on": "2026-11-20", "starts_at": "15:00", "ends_at": "14:00"},
            format="json",
        ),
        400,
    )
    assert set(error["fields"]) == {"ends_at"}
    error = assert_error(
        client.post(
            f"{url}move/",
            {"held_on": "2027-07-01", "starts_at": "15:00", "ends_at": "16:00"},
            format="json",
        ),
        400,
    )
    assert set(error["fields"]) == {"held_on"}
    lesson.refresh_from_db()
    assert lesson.held_on == dt.date(2026, 11, 19)


def test_a_lesson_with_children_present_is_not_cancelled(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 3))
    services.mark_attendance(actor=w.staff, lesson=lesson, marks={w.contract.pk: True})
    response = as_user(w.staff).post(f"{LESSONS}{lesson.pk}/cancel/", {}, format="json")
    assert_error(response, 409, "lesson_attended")
    lesson.refresh_from_db()
    assert lesson.status == Lesson.Status.PLANNED


def test_another_providers_lesson_answers_404(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 17))
    client = as_user(w.staff_q)
    assert_error(client.get(f"{LESSONS}{lesson.pk}/"), 404, "not_found")
    assert_error(client.post(f"{LESSONS}{lesson.pk}/cancel/", {}, format="json"), 404)
    assert ids(client.get(LESSONS)) == []
    lesson.refresh_from_db()
    assert lesson.status == Lesson.Status.PLANNED


# ----------------------------------------------------------------------------- attendance


def test_staff_mark_attendance_and_the_family_sees_it(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 3))
    client = as_user(w.staff)
    response = client.post(
        ATTENDANCE,
        {"lesson": lesson.pk, "marks": [{"contract": w.contract.pk, "present": True}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lesson"] == lesson.pk and body["changed"] == 1
    [mark] = body["marks"]
    assert mark["present"] is True and mark["contract"]["id"] == w.contract.pk
    assert mark["contract"]["child"]["name"] == w.fam_a.child.full_name
    assert mark["lesson"]["held_on"] == "2026-11-03"

    # The same marks again change nothing; a change is counted.
    same = client.post(
        ATTENDANCE,
        {"lesson": lesson.pk, "marks": [{"contract": w.contract.pk, "present": True}]},
        format="json",
    )
    assert same.json()["changed"] == 0
    absent = client.post(
        ATTENDANCE,
        {"lesson": lesson.pk, "marks": [{"contract": w.contract.pk, "present": False}]},
        format="json",
    )
    assert absent.json()["changed"] == 1 and absent.json()["marks"][0]["present"] is False
    assert Attendance.objects.count() == 1

    for user in (w.staff, w.operator, w.payer, w.fam_a.parent):
        rows = as_user(user).get(ATTENDANCE).json()["results"]
        assert [row["id"] for row in rows] == [mark["id"]], user
    for user in (w.fam_b.parent, w.staff_q):
        assert ids(as_user(user).get(ATTENDANCE)) == []
    parent = as_user(w.fam_a.parent)
    assert parent.get(f"{ATTENDANCE}{mark['id']}/").json()["present"] is False
    assert_error(as_user(w.fam_b.parent).get(f"{ATTENDANCE}{mark['id']}/"), 404, "not_found")


def test_attendance_filters(as_user, w):
    nov3 = lesson_on(w, dt.date(2026, 11, 3))
    oct27 = lesson_on(w, dt.date(2026, 10, 27))
    b_lesson = next(
        x
        for x in services.ensure_lessons(group=w.q_group, month=NOV)
        if x.held_on == dt.date(2026, 11, 3)
    )
    services.mark_attendance(actor=w.staff, lesson=nov3, marks={w.contract.pk: True})
    services.mark_attendance(actor=w.staff, lesson=oct27, marks={w.contract.pk: False})
    services.mark_attendance(actor=w.staff_q, lesson=b_lesson, marks={w.contract_b.pk: True})
    client = as_user(w.operator)
    mark = {a.lesson_id: a.pk for a in Attendance.objects.all()}
    assert len(ids(client.get(ATTENDANCE))) == 3
    assert ids(client.get(ATTENDANCE, {"lesson": nov3.pk})) == [mark[nov3.pk]]
    assert ids(client.get(ATTENDANCE, {"month": "2026-10"})) == [mark[oct27.pk]]
    assert ids(client.get(ATTENDANCE, {"group": w.q_group.pk})) == [mark[b_lesson.pk]]
    assert set(ids(client.get(ATTENDANCE, {"contract": w.contract.pk}))) == {
        mark[nov3.pk],
        mark[oct27.pk],
    }
    assert_error(client.get(ATTENDANCE, {"month": "2026-13"}), 400)
    assert_error(client.get(ATTENDANCE, {"group": "x"}), 400)


def test_attendance_for_a_child_not_in_the_group_is_400_and_writes_nothing(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 3))
    response = as_user(w.staff).post(
        ATTENDANCE,
        {
            "lesson": lesson.pk,
            "marks": [
                {"contract": w.contract.pk, "present": True},  # in the group
                {"contract": w.contract_b.pk, "present": True},  # another provider's group
            ],
        },
        format="json",
    )
    error = assert_error(response, 400, "child_not_in_group")
    assert set(error["fields"]) == {"marks"}
    assert str(w.contract_b.pk) in error["fields"]["marks"][0]
    assert Attendance.objects.count() == 0


def test_attendance_for_a_future_lesson_is_409_and_writes_nothing(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 17))
    response = as_user(w.staff).post(
        ATTENDANCE,
        {"lesson": lesson.pk, "marks": [{"contract": w.contract.pk, "present": True}]},
        format="json",
    )
    error = assert_error(response, 409, "future_lesson")
    assert "17.11.2026" in error["message"]
    assert Attendance.objects.count() == 0


def test_attendance_input_errors(as_user, w):
    lesson = lesson_on(w, dt.date(2026, 11, 3))
    client = as_user(w.staff)
    twice = [{"contract": w.contract.pk, "present": True}] * 2
    error = assert_error(
        client.post(ATTENDANCE, {"lesson": lesson.pk, "marks": twice}, format="json"), 400
    )
    assert set(error["fields"]) == {"marks"}
    error = assert_error(
        client.post(ATTENDANCE, {"lesson": lesson.pk, "marks": []}, format="json"), 400
    )
    assert set(error["fields"]) == {"marks"}
    # Another provider's lesson is not found for them.
    response = as_user(w.staff_q).post(
        ATTENDANCE,
        {"lesson": lesson.pk, "marks": [{"contract": w.contract.pk, "present": True}]},
        format="json",
    )
    error = assert_error(response, 400)
    assert set(error["fields"]) == {"lesson"}
    assert Attendance.objects.count() == 0
    # Officials and parents read; they do not mark.
    for user in (w.operator, w.payer, w.fam_a.parent):
        response = as_user(user).post(
            ATTENDANCE,
            {"lesson": lesson.pk, "marks": [{"contract": w.contract.pk, "present": True}]},
            format="json",
        )
        assert_error(response, 403, "permission_denied")
    assert Attendance.objects.count() == 0


# ----------------------------------------------------------------------- advance requests


def test_advance_request_built_submitted_accepted(as_user, w):
    client = as_user(w.staff)
    with clock.frozen(dt.date(2026, 10, 5)):
        built = client.post(
            ADVANCES, {"provider": w.provider.pk, "month": "2026-10"}, format="json"
        )
    assert built.status_code == 201, built.content
    body = built.json()
    assert body["status"] == "draft" and body["month"] == "2026-10-01"
    assert (body["base_kopecks"], body["share_percent"], body["amount_kopecks"]) == (
        MONTHLY,
        80,
        ADVANCE,
    )
    assert body["contracts_count"] == 1 and body["provider"]["id"] == w.provider.pk
    assert [line["month_kopecks"] for line in body["lines"]] == [MONTHLY]
    assert body["lines"][0]["contract"]["number"] == w.contract.number
    url = f"{ADVANCES}{body['id']}/"

    card = client.get(url).json()
    assert card["lines"] == body["lines"]
    listed = client.get(ADVANCES).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]] and listed[0]["lines"] is None
    lines = client.get(f"{url}lines/")
    assert lines.status_code == 200 and lines.json()["count"] == 1
    assert lines.json()["results"][0]["contract"]["id"] == w.contract.pk

    with clock.frozen(dt.date(2026, 10, 6)):  # an advance is filed while its month runs
        submitted = client.post(f"{url}submit/")
        assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
        assert_error(client.post(f"{url}submit/"), 409, "not_draft")
    assert_error(client.post(f"{url}accept/"), 403, "permission_denied")  # staff do not decide
    accepted = as_user(w.payer).post(f"{url}accept/")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["outstanding_kopecks"] == ADVANCE
    assert_error(as_user(w.payer).post(f"{url}accept/"), 409, "already_accepted")


def test_advance_request_rejected_with_a_reason(as_user, w):
    advance = october_advance(w, accept=False)
    with clock.frozen(dt.date(2026, 10, 6)):
        services.submit_advance(actor=w.staff, advance=advance)
    client = as_user(w.payer)
    url = f"{ADVANCES}{advance.pk}/reject/"
    error = assert_error(client.post(url, {}, format="json"), 400)
    assert set(error["fields"]) == {"reason"}
    response = client.post(url, {"reason": "Не тот месяц"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "rejected"
    assert response.json()["reject_reason"] == "Не тот месяц"


def test_an_advance_is_not_submitted_after_its_month(as_user, w):
    advance = october_advance(w, accept=False)
    with clock.frozen(dt.date(2026, 11, 2)):
        response = as_user(w.staff).post(f"{ADVANCES}{advance.pk}/submit/")
    assert_error(response, 409, "month_over")
    advance.refresh_from_db()
    assert advance.status == "draft"


def test_advance_request_too_early_is_409(as_user, w):
    with clock.frozen(dt.date(2026, 11, 2)):  # the 1st working day; filing opens on the 2nd
        response = as_user(w.staff).post(
            ADVANCES, {"provider": w.provider.pk, "month": "2026-11"}, format="json"
        )
    assert_error(response, 409, "advance_too_early")
    assert AdvanceRequest.objects.count() == 0


def test_a_provider_cannot_build_or_submit_for_another_provider(as_user, w):
    client = as_user(w.staff_q)
    with clock.frozen(dt.date(2026, 10, 5)):
        response = client.post(
            ADVANCES, {"provider": w.provider.pk, "month": "2026-10"}, format="json"
        )
    assert_error(response, 403, "permission_denied")
    assert AdvanceRequest.objects.count() == 0
    assert_error(
        client.post(INVOICES, {"provider": w.provider.pk, "month": "2026-10"}, format="json"),
        403,
        "permission_denied",
    )
    assert Invoice.objects.count() == 0

    advance = services.build_advance(actor=w.staff, provider=w.provider, month=NOV)
    invoice_p = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
    transfers = Transfer.objects.count()
    assert_error(client.post(f"{ADVANCES}{advance.pk}/submit/"), 404, "not_found")
    assert_error(client.post(f"{INVOICES}{invoice_p.pk}/submit/"), 404, "not_found")
    assert_error(client.get(f"{INVOICES}{invoice_p.pk}/"), 404, "not_found")
    assert_error(client.get(f"{INVOICES}{invoice_p.pk}/lines/"), 404, "not_found")
    advance.refresh_from_db()
    invoice_p.refresh_from_db()
    assert advance.status == invoice_p.status == "draft"
    assert Transfer.objects.count() == transfers


def test_document_filters(as_user, w):
    october_advance(w)
    services.build_invoice(actor=w.staff_q, provider=w.provider_q, month=OCT)
    with clock.frozen(dt.date(2026, 11, 3)):
        nov = services.build_advance(actor=w.staff, provider=w.provider, month=NOV)
    client = as_user(w.operator)
    all_advances = ids(client.get(ADVANCES))
    assert len(all_advances) == 2 and all_advances[0] == nov.pk  # newest month first
    assert ids(client.get(ADVANCES, {"month": "2026-11"})) == [nov.pk]
    assert ids(client.get(ADVANCES, {"status": "draft"})) == [nov.pk]
    assert ids(client.get(ADVANCES, {"provider": w.provider_q.pk})) == []
    assert len(ids(client.get(INVOICES, {"provider": w.provider_q.pk}))) == 1
    assert ids(client.get(INVOICES, {"provider": w.provider.pk})) == []
    assert_error(client.get(ADVANCES, {"month": "10-2026"}), 400)
    assert_error(client.get(INVOICES, {"status": "nonsense"}), 400)


# ------------------------------------------------------------------------------- invoices


def test_invoice_for_a_month_not_yet_ended_is_409_and_builds_nothing(as_user, w):
    response = as_user(w.staff).post(
        INVOICES, {"provider": w.provider.pk, "month": "2026-11"}, format="json"
    )
    error = assert_error(response, 409, "month_not_ended")
    assert "01.12.2026" in error["message"]
    assert Invoice.objects.count() == 0


def test_invoice_built_submitted_accepted_and_accepting_twice_is_409(as_user, w):
    october_advance(w)
    client = as_user(w.staff)
    built = client.post(INVOICES, {"provider": w.provider.pk, "month": "2026-10"}, format="json")
    assert built.status_code == 201, built.content
    body = built.json()
    assert body["status"] == "draft" and body["basis"] == "contract_months"
    assert (body["billed_kopecks"], body["advance_kopecks"], body["due_kopecks"]) == (
        MONTHLY,
        ADVANCE,
        MONTHLY - ADVANCE,
    )
    url = f"{INVOICES}{body['id']}/"
    lines = client.get(f"{url}lines/", {"page_size": 1})
    assert lines.status_code == 200, lines.content
    [line] = lines.json()["results"]
    assert (line["planned_kopecks"], line["billed_kopecks"]) == (MONTHLY, MONTHLY)
    assert line["contract"]["id"] == w.contract.pk
    assert line["active_from"] == "2026-10-01" and line["active_to"] == "2026-10-31"
    assert client.get(url).json()["due_kopecks"] == MONTHLY - ADVANCE

    assert client.post(f"{url}submit/").json()["status"] == "submitted"
    payer = as_user(w.payer)
    accepted = payer.post(f"{url}accept/")
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["outstanding_kopecks"] == MONTHLY - ADVANCE
    charges = Transfer.objects.filter(kind=Transfer.Kind.CHARGE)
    assert charges.count() == 1 and charges.get().amount_kopecks == MONTHLY
    transfers = Transfer.objects.count()

    error = assert_error(payer.post(f"{url}accept/"), 409, "already_accepted")
    assert "уже принят" in error["message"]
    assert Transfer.objects.count() == transfers  # nothing posted twice
    assert verify_ledger() == []


def test_invoice_rejected_with_a_reason_then_rebuilt(as_user, w):
    invoice = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
    services.submit_invoice(actor=w.staff, invoice=invoice)
    payer = as_user(w.payer)
    error = assert_error(payer.post(f"{INVOICES}{invoice.pk}/reject/", {"reason": "  "}), 400)
    assert set(error["fields"]) == {"reason"}
    rejected = payer.post(f"{INVOICES}{invoice.pk}/reject/", {"reason": "Нет подписи"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    rebuilt = as_user(w.staff).post(
        INVOICES, {"provider": w.provider.pk, "month": "2026-10"}, format="json"
    )
    assert rebuilt.status_code == 201, rebuilt.content
    assert rebuilt.json()["id"] == invoice.pk and rebuilt.json()["status"] == "draft"
    assert Transfer.objects.filter(kind=Transfer.Kind.CHARGE).count() == 0


def test_payer_builds_and_officials_only_read(as_user, w):
    built = as_user(w.payer).post(
        INVOICES, {"provider": w.provider.pk, "month": "2026-10"}, format="json"
    )
    assert built.status_code == 201, built.content
    url = f"{INVOICES}{built.json()['id']}/"
    operator = as_user(w.operator)
    assert operator.get(url).status_code == 200
    for action in ("submit", "accept"):
        assert_error(operator.post(f"{url}{action}/"), 403, "permission_denied")
    assert_error(operator.post(INVOICES, {"provider": w.provider.pk, "month": "2026-10"}), 403)
    assert_error(as_user(w.fam_a.parent).get(INVOICES), 403, "permission_denied")


# ------------------------------------------------------------------------------- payments


def test_payer_records_a_payment_and_everyone_concerned_sees_it(as_user, w):
    advance = october_advance(w)
    invoice = accepted_invoice(w)
    payer = as_user(w.payer)
    response = payer.post(
        PAYMENTS,
        {
            "invoice": invoice.pk,
            "order_number": "  555 ",
            "paid_on": "2026-11-09",
            "amount_kopecks": 30_000,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["invoice"] == invoice.pk and body["advance_request"] is None
    assert (body["order_number"], body["amount_kopecks"], body["month"]) == (
        "555",
        30_000,
        "2026-10-01",
    )
    pay_advance = payer.post(
        PAYMENTS,
        {
            "advance_request": advance.pk,
            "order_number": "556",
            "paid_on": "2026-10-20",
            "amount_kopecks": ADVANCE,
        },
        format="json",
    )
    assert pay_advance.status_code == 201, pay_advance.content
    invoice.refresh_from_db()
    assert invoice.paid_kopecks == 30_000 and invoice.outstanding_kopecks == 10_000
    assert as_user(w.staff).get(f"{INVOICES}{invoice.pk}/").json()["paid_kopecks"] == 30_000

    ids_all = {body["id"], pay_advance.json()["id"]}
    for user in (w.staff, w.operator, w.payer):
        assert set(ids(as_user(user).get(PAYMENTS))) == ids_all, user
    assert ids(as_user(w.staff_q).get(PAYMENTS)) == []
    client = as_user(w.operator)
    assert ids(client.get(PAYMENTS, {"paid_from": "2026-11-01"})) == [body["id"]]
    assert ids(client.get(PAYMENTS, {"paid_to": "2026-10-31"})) == [pay_advance.json()["id"]]
    assert set(ids(client.get(PAYMENTS, {"month": "2026-10"}))) == ids_all
    assert ids(client.get(PAYMENTS, {"month": "2026-09"})) == []
    assert set(ids(client.get(PAYMENTS, {"provider": w.provider.pk}))) == ids_all
    assert ids(client.get(PAYMENTS, {"invoice": invoice.pk})) == [body["id"]]
    assert client.get(f"{PAYMENTS}{body['id']}/").json()["amount_kopecks"] == 30_000
    assert_error(client.get(PAYMENTS, {"paid_from": "вчера"}), 400)
    assert verify_ledger() == []


def test_a_payment_larger_than_owed_is_400_and_posts_nothing(as_user, w):
    invoice = accepted_invoice(w)
    transfers = Transfer.objects.count()
    response = as_user(w.payer).post(
        PAYMENTS,
        {
            "invoice": invoice.pk,
            "order_number": "1",
            "paid_on": "2026-11-09",
            "amount_kopecks": MONTHLY + 1,
        },
        format="json",
    )
    error = assert_error(response, 400, "overpayment")
    assert set(error["fields"]) == {"amount_kopecks"}
    assert Payment.objects.count() == 0
    assert Transfer.objects.count() == transfers
    invoice.refresh_from_db()
    assert invoice.paid_kopecks == 0


def test_payment_refusals(as_user, w):
    draft = services.build_invoice(actor=w.staff, provider=w.provider, month=OCT)
    payer = as_user(w.payer)
    base = {"order_number": "7", "paid_on": "2026-11-09", "amount_kopecks": 100}
    assert_error(
        payer.post(PAYMENTS, {**base, "invoice": draft.pk}, format="json"), 409, "not_accepted"
    )
    error = assert_error(payer.post(PAYMENTS, base, format="json"), 400)
    assert set(error["fields"]) == {"advance_request", "invoice"}
    error = assert_error(
        payer.post(PAYMENTS, {**base, "invoice": draft.pk, "advance_request": 1}, format="json"),
        400,
    )
    assert set(error["fields"]) == {"advance_request", "invoice"}
    error = assert_error(
        payer.post(PAYMENTS, {**base, "invoice": draft.pk, "paid_on": "2026-12-01"}, format="json"),
        400,
    )
    assert set(error["fields"]) == {"paid_on"}
    error = assert_error(
        payer.post(PAYMENTS, {**base, "invoice": draft.pk, "amount_kopecks": 0}, format="json"),
        400,
    )
    assert set(error["fields"]) == {"amount_kopecks"}
    error = assert_error(
        payer.post(PAYMENTS, {**base, "invoice": draft.pk, "amount_kopecks": "1.5"}, format="json"),
        400,
    )
    assert set(error["fields"]) == {"amount_kopecks"}
    assert_error(as_user(w.staff).post(PAYMENTS, {**base, "invoice": draft.pk}), 403)
    assert Payment.objects.count() == 0


def test_the_same_payment_twice_with_one_key_is_one_payment(as_user, w):
    invoice = accepted_invoice(w)
    payer = as_user(w.payer)
    body = {
        "invoice": invoice.pk,
        "order_number": "900",
        "paid_on": "2026-11-09",
        "amount_kopecks": 50_000,
    }
    first = payer.post(PAYMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-900")
    assert first.status_code == 201, first.content
    transfers = Transfer.objects.count()
    second = payer.post(PAYMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="pay-900")
    assert second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1
    assert Transfer.objects.count() == transfers
    invoice.refresh_from_db()
    assert invoice.paid_kopecks == 50_000
    # The same key with another body is a conflict; without a key the repeat is the
    # domain's duplicate order.
    other = payer.post(
        PAYMENTS, {**body, "amount_kopecks": 1}, format="json", HTTP_IDEMPOTENCY_KEY="pay-900"
    )
    assert_error(other, 409)
    assert_error(payer.post(PAYMENTS, body, format="json"), 400, "duplicate_order")
    assert Payment.objects.count() == 1


# -------------------------------------------------------------- the month run, reconciliation


def test_the_payer_runs_the_month_and_a_repeat_builds_nothing(as_user, w):
    payer = as_user(w.payer)
    first = payer.post(RUN, {"municipality": "vorkuta", "month": "2026-10"}, format="json")
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["month"] == "2026-10-01"
    assert (body["providers"], body["invoices_built"], body["advances_built"]) == (2, 2, 0)
    assert body["lines"] == 2 and body["refused"] == []
    assert Invoice.objects.count() == 2
    again = payer.post(
        RUN, {"municipality": str(w.municipality.pk), "month": "2026-10"}, format="json"
    )
    assert again.status_code == 200, again.content
    assert (again.json()["invoices_built"], again.json()["already_there"]) == (0, 2)
    assert Invoice.objects.count() == 2
    # November is still running: its advance requests.
    nov = payer.post(RUN, {"municipality": "vorkuta", "month": "2026-11"}, format="json")
    assert nov.json()["advances_built"] == 2


def test_the_month_run_refusals(as_user, w, region):
    payer = as_user(w.payer)
    error = assert_error(payer.post(RUN, {"municipality": "atlantis", "month": "2026-10"}), 400)
    assert set(error["fields"]) == {"municipality"}
    error = assert_error(payer.post(RUN, {"municipality": "vorkuta", "month": "2026"}), 400)
    assert set(error["fields"]) == {"month"}
    assert_error(payer.post(RUN, {"municipality": "vorkuta", "month": "2025-10"}), 409, "no_period")
    inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
    assert_error(payer.post(RUN, {"municipality": inta.code, "month": "2026-10"}), 403)
    for user in (w.operator, w.staff):
        assert_error(as_user(user).post(RUN, {"municipality": "vorkuta", "month": "2026-10"}), 403)
    assert Invoice.objects.count() == 0


def test_reconciliation_of_a_paid_month(as_user, w):
    october_advance(w)
    services.record_payment(
        actor=w.payer,
        document=AdvanceRequest.objects.get(),
        order_number="1",
        paid_on=dt.date(2026, 10, 20),
        amount_kopecks=ADVANCE,
    )
    invoice = accepted_invoice(w)
    services.record_payment(
        actor=w.payer,
        document=invoice,
        order_number="2",
        paid_on=TODAY,
        amount_kopecks=30_000,
    )
    expected_checks = [c.label for c in selectors.reconciliation(w.municipality, OCT).checks]
    assert len(expected_checks) >= 4
    for user in (w.operator, w.payer):
        response = as_user(user).get(
            RECONCILIATION, {"municipality": "vorkuta", "month": "2026-10"}
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["ok"] is True, body
        assert body["municipality"]["code"] == "vorkuta" and body["month"] == "2026-10-01"
        assert body["lines_kopecks"] == MONTHLY
        assert (body["paid_kopecks"], body["outstanding_kopecks"]) == (ADVANCE + 30_000, 10_000)
        [row] = body["providers"]
        assert row["provider_id"] == w.provider.pk and row["balanced"] is True
        assert all(check["ok"] for check in body["checks"])
        assert [check["label"] for check in body["checks"]] == expected_checks
        assert body["ledger_problems"] == []
        # Provider Q's October is not invoiced yet.
        assert body["unbilled_months"] == 1
    assert_error(
        as_user(w.staff).get(RECONCILIATION, {"municipality": "vorkuta", "month": "2026-10"}), 403
    )
    error = assert_error(as_user(w.operator).get(RECONCILIATION, {"municipality": "vorkuta"}), 400)
    assert set(error["fields"]) == {"month"}


# ---------------------------------------------------------------------------- query counts


def test_list_queries_do_not_grow_with_rows(as_user, w, vorkuta, operator):
    october_advance(w)
    invoice = accepted_invoice(w)
    lesson = lesson_on(w, dt.date(2026, 11, 3))
    services.mark_attendance(actor=w.staff, lesson=lesson, marks={w.contract.pk: True})
    services.record_payment(
        actor=w.payer, document=invoice, order_number="1", paid_on=TODAY, amount_kopecks=1
    )
    urls = [
        LESSONS,
        ATTENDANCE,
        ADVANCES,
        INVOICES,
        PAYMENTS,
        f"{INVOICES}{invoice.pk}/lines/",
        f"{ADVANCES}{AdvanceRequest.objects.get().pk}/",
    ]

    def measure():
        out = []
        for url in urls:
            client = as_user(User.objects.get(pk=w.staff.pk))
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200, url
            out.append(len(queries))
        return out

    few = measure()
    # More of everything: two more children in the group, their marks, lines and payments.
    more = [signed_contract(vorkuta, operator, w.group)[1] for _ in range(2)]
    for contract in more:
        services.mark_attendance(actor=w.staff, lesson=lesson, marks={contract.pk: True})
    for n in (2, 3):
        services.record_payment(
            actor=w.payer, document=invoice, order_number=str(n), paid_on=TODAY, amount_kopecks=1
        )
    lessons_of(w, dt.date(2026, 12, 1))
    with clock.frozen(dt.date(2026, 11, 3)):
        services.build_advance(actor=w.staff, provider=w.provider, month=NOV)
    many = measure()
    assert many == few
