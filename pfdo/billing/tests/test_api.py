"""Billing API: advance requests, invoices, payments, the month run and the reconciliation —
happy paths, every refusal the issue names as the error body with nothing posted,
idempotency and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pfdo.accounts.models import User
from pfdo.billing import selectors, services
from pfdo.billing.models import AdvanceRequest, Invoice, Payment
from pfdo.billing.tests.api_world import (
    ADVANCE,
    ADVANCES,
    ATTENDANCE,
    INVOICES,
    LESSONS,
    MONTHLY,
    NOV,
    OCT,
    PAYMENTS,
    RECONCILIATION,
    RUN,
    TODAY,
    accepted_invoice,
    assert_error,
    ids,
    lesson_on,
    lessons_of,
    october_advance,
)
from pfdo.billing.tests.factories import signed_contract
from pfdo.common import clock
from pfdo.jobs.models import Job
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import verify_ledger
from pfdo.territory.tests.factories import MunicipalityFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_today")]


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
    # domain's duplicate order (the recorded order refuses it: 409).
    other = payer.post(
        PAYMENTS, {**body, "amount_kopecks": 1}, format="json", HTTP_IDEMPOTENCY_KEY="pay-900"
    )
    assert_error(other, 409)
    error = assert_error(payer.post(PAYMENTS, body, format="json"), 409, "duplicate_order")
    assert error["fields"] == {
        "order_number": ["Платёжное поручение с таким номером и датой уже записано."]
    }
    assert Payment.objects.count() == 1


# -------------------------------------------------------------- the month run, reconciliation


def _run(client, capture, **body):
    with capture(execute=True):
        return client.post(RUN, body, format="json")


def test_the_payer_runs_the_month_and_a_repeat_builds_nothing(
    as_user, w, django_capture_on_commit_callbacks
):
    payer = as_user(w.payer)
    first = _run(payer, django_capture_on_commit_callbacks, municipality="vorkuta", month="2026-10")
    assert first.status_code == 202, first.content
    job = first.json()
    assert first["Location"] == f"/api/v1/jobs/{job['id']}/"
    assert (job["kind"], job["label"], job["status"]) == (
        "billing.month_run",
        "Расчёт месяца",
        "queued",
    )
    assert job["progress"] == {"done": 0, "total": 0, "percent": 0} and job["result"] == {}
    done = payer.get(first["Location"]).json()
    assert done["status"] == "done" and done["progress"]["percent"] == 100
    body = done["result"]["data"]
    assert body["month"] == "2026-10-01"
    assert (body["providers"], body["invoices_built"], body["advances_built"]) == (2, 2, 0)
    assert body["lines"] == 2 and body["refused"] == []
    assert "Сформировано счетов: 2" in done["result"]["lines"]
    assert Invoice.objects.count() == 2
    again = _run(
        payer,
        django_capture_on_commit_callbacks,
        municipality=str(w.municipality.pk),
        month="2026-10",
    )
    assert again.status_code == 202, again.content
    data = payer.get(again["Location"]).json()["result"]["data"]
    assert (data["invoices_built"], data["already_there"]) == (0, 2)
    assert Invoice.objects.count() == 2
    # November is still running: its advance requests.
    nov = _run(payer, django_capture_on_commit_callbacks, municipality="vorkuta", month="2026-11")
    assert payer.get(nov["Location"]).json()["result"]["data"]["advances_built"] == 2


def test_a_second_run_while_the_first_waits_is_the_same_job(
    as_user, w, make_user, django_capture_on_commit_callbacks
):
    other = make_user("payer", municipality=w.municipality)
    with django_capture_on_commit_callbacks(execute=False) as waiting:
        first = as_user(w.payer).post(RUN, {"municipality": "vorkuta", "month": "2026-10"})
        second = as_user(other).post(RUN, {"municipality": "vorkuta", "month": "2026-10"})
    assert (first.status_code, second.status_code) == (202, 202)
    assert first.json()["id"] == second.json()["id"]
    assert first["Location"] == second["Location"]
    assert len(waiting) == 1  # enqueued once
    waiting[0]()
    assert as_user(other).get(second["Location"]).json()["status"] == "done"
    assert Invoice.objects.count() == 2


def test_options_on_the_billing_actions_describe_their_bodies(as_user, w):
    payer = as_user(w.payer)
    run = payer.options(RUN)
    assert run.status_code == 200, run.content
    assert set(run.json()["actions"]["POST"]) == {"municipality", "month"}
    close = as_user(w.operator).options("/api/v1/billing/close-period/")
    assert close.status_code == 200, close.content
    assert set(close.json()["actions"]["POST"]) == {"period"}


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
    assert not Job.objects.exists()  # every refusal at once, no job started


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
    # A report about one named municipality: a well-formed code or id of none is a 404 with
    # the field's message; a malformed or empty one (the parameter is required) is a 400.
    for code in ("no-such", "999999"):
        query = {"municipality": code, "month": "2026-10"}
        error = assert_error(as_user(w.operator).get(RECONCILIATION, query), 404)
        assert set(error["fields"]) == {"municipality"}
    for code in ("", "Vorkuta", "vorkuta\n", " vorkuta", "x" * 41):
        query = {"municipality": code, "month": "2026-10"}
        error = assert_error(as_user(w.operator).get(RECONCILIATION, query), 400)
        assert set(error["fields"]) == {"municipality"}, code


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


@pytest.mark.parametrize(
    ("documents", "amount", "allowed", "fields"),
    [
        ({"invoice"}, 1, True, set()),
        ({"advance_request"}, 1, True, set()),
        ({"invoice", "advance_request"}, 1, False, {"invoice", "advance_request"}),
        (set(), 1, False, {"invoice", "advance_request"}),
        ({"invoice"}, 0, False, {"amount_kopecks"}),
    ],
)
def test_the_schema_states_one_document_and_a_positive_sum(
    as_user, w, documents, amount, allowed, fields
):
    """Issue 18: exactly one of advance_request / invoice (oneOf), a sum above zero."""
    from pfdo.common.tests.served_schema import body_is_valid, served_schema

    ids = {"advance_request": october_advance(w).pk, "invoice": accepted_invoice(w).pk}
    body = {name: ids[name] for name in documents}
    body |= {"order_number": "77", "paid_on": "2026-11-09", "amount_kopecks": amount}
    assert body_is_valid(served_schema(), "POST", PAYMENTS, body) is allowed
    response = as_user(w.payer).post(PAYMENTS, body, format="json")
    if allowed:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == fields
