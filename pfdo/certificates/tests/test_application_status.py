"""Issue 14 (item 5): after applying without an account, the family looks up the application's
status with its number (from the letter) and the e-mail — the status and what to do next,
nothing more; the same answer for a wrong number and a wrong e-mail; a malformed number is a
field error; rate-limited per address and per number; every attempt in the action history."""

# ruff: noqa: F811  (fixtures are imported from the support module and requested by name)

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from pfdo.audit.models import ActionLog
from pfdo.certificates import services
from pfdo.certificates.models import CertificateApplication
from pfdo.certificates.services.status import ACTION, MISS
from pfdo.certificates.tests.parent_pages_support import (  # noqa: F401  (fixtures by name)
    APPLIED,
    APPLY,
    _today,
    period,
    registration,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/certificate-applications/status/"
PAGE = "/certificates/apply/status/"
EMAIL = "anna@example.org"


@pytest.fixture
def applied(client, vorkuta, period, django_capture_on_commit_callbacks):
    """The public form filled in (as a family does): the number goes by letter."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APPLY, registration(vorkuta, email=EMAIL))
    assert response.status_code == 302
    application = CertificateApplication.objects.get()
    letter = next(m for m in mail.outbox if f"№{application.pk}" in m.subject)
    assert EMAIL in letter.to
    return application


def ask(number, email, *, ip="203.0.113.20"):
    return APIClient(REMOTE_ADDR=ip).post(
        API, {"number": str(number), "email": email}, format="json"
    )


def recorded():
    return [
        row.details["outcome"] for row in ActionLog.objects.filter(action=ACTION).order_by("pk")
    ]


def test_the_number_and_the_email_give_the_status_and_the_next_step(applied):
    response = ask(applied.pk, "  Anna@Example.org ")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"number", "status", "status_display", "next_step"}
    assert body["number"] == applied.pk and body["status"] == "applied"
    assert body["status_display"] == "подано"
    assert "ждёт проверки" in body["next_step"]
    text = response.content.decode()
    child = applied.child
    for secret in (child.last_name, child.first_name, child.snils, child.document_number):
        assert secret not in text
    assert recorded() == ["matched"]
    row = ActionLog.objects.get(action=ACTION)
    assert row.municipality_id == applied.municipality_id and row.ip == "203.0.113.20"
    assert EMAIL not in str(row.details)


def test_no_copy_of_the_answer_is_kept_for_an_idempotency_key(applied):
    from pfdo.common.models import IdempotencyRecord

    client = APIClient(REMOTE_ADDR="203.0.113.20")
    body = {"number": str(applied.pk), "email": EMAIL}
    first = client.post(API, body, format="json", HTTP_IDEMPOTENCY_KEY="status-1")
    again = client.post(API, body, format="json", HTTP_IDEMPOTENCY_KEY="status-1")
    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in again
    assert not IdempotencyRecord.objects.exists()
    assert recorded() == ["matched", "matched"]  # a new look-up, counted and recorded


def test_after_the_decision_the_status_follows(applied, operator):
    issued = services.approve_application(actor=operator, application=applied)
    response = ask(applied.pk, EMAIL)
    body = response.json()
    assert body["status"] == "approved" and "Сертификат выдан" in body["next_step"]
    # Where to find the certificate's number and the login — not them.
    assert issued.certificate.number not in response.content.decode()
    assert applied.parent.username not in response.content.decode()


def test_a_rejection_shows_the_status_but_not_the_reason(vorkuta, period, operator, client):
    client.post(APPLY, registration(vorkuta, email=EMAIL))
    application = CertificateApplication.objects.get()
    services.reject_application(
        actor=operator, application=application, reason="Особая причина про документы"
    )
    response = ask(application.pk, EMAIL)
    assert response.json()["status"] == "rejected"
    assert "Особая причина" not in response.content.decode()
    assert "в письме" in response.json()["next_step"]


def test_a_wrong_number_and_a_wrong_email_get_one_answer(applied):
    wrong_email = ask(applied.pk, "someone@example.org")
    wrong_number = ask(applied.pk + 1000, EMAIL)
    assert wrong_email.status_code == wrong_number.status_code == 404
    assert wrong_email.content == wrong_number.content
    assert wrong_email.json()["error"] == {"code": "not_found", "message": MISS, "fields": {}}
    assert recorded() == ["wrong_email", "unknown"]


@pytest.mark.parametrize(
    ("number", "email", "fields"),
    [
        ("abc", EMAIL, {"number"}),
        ("12-34", EMAIL, {"number"}),
        ("1" * 13, EMAIL, {"number"}),
        ("1", "not-an-email", {"email"}),
        ("", "", {"number", "email"}),
    ],
)
def test_malformed_input_is_a_field_error_and_nothing_is_recorded(applied, number, email, fields):
    response = APIClient().post(API, {"number": number, "email": email}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and set(error["fields"]) == fields
    assert recorded() == []


def test_the_number_with_its_sign_is_understood(applied):
    assert ask(f"№ {applied.pk}", EMAIL).status_code == 200


def test_past_the_limit_of_one_number_429_with_the_error_body(applied, settings):
    settings.PFDO_RATE_LIMITS = {
        **settings.PFDO_RATE_LIMITS,
        "application_status_number": "2/86400",
    }
    assert ask(applied.pk, "a@example.org", ip="192.0.2.1").status_code == 404
    assert ask(applied.pk, "b@example.org", ip="192.0.2.2").status_code == 404
    refused = ask(applied.pk, EMAIL, ip="192.0.2.3")  # even the right e-mail
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "throttled"
    assert "status" not in refused.json()
    assert recorded() == ["wrong_email", "wrong_email", "refused"]
    # Another number is not held back.
    assert ask(applied.pk + 1, EMAIL, ip="192.0.2.3").status_code == 404


def test_past_the_address_limit_the_page_answers_429(applied, settings):
    settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, "application_status_ip": "1/3600"}
    client = Client(REMOTE_ADDR="192.0.2.50")
    assert client.post(PAGE, {"number": applied.pk, "email": EMAIL}).status_code == 200
    page = client.post(PAGE, {"number": applied.pk, "email": EMAIL})
    assert page.status_code == 429 and "Слишком много попыток" in page.content.decode()
    assert "подано" not in page.content.decode()


def test_the_page(applied):
    client = Client()
    assert "Номер заявления" in client.get(PAGE).content.decode()
    found = client.post(PAGE, {"number": applied.pk, "email": EMAIL})
    html = found.content.decode()
    assert found["Cache-Control"] == "no-store"
    assert re.search(r'data-testid="status-display">подано<', html)
    assert applied.child.last_name not in html
    miss = client.post(PAGE, {"number": applied.pk, "email": "x@example.org"}).content.decode()
    assert 'data-testid="status-miss"' in miss and MISS in miss
    assert 'data-testid="application-status"' not in miss
    bad = client.post(PAGE, {"number": "abc", "email": EMAIL}).content.decode()
    assert 'id="id_number_error"' in bad
    assert recorded() == ["matched", "wrong_email"]


def test_the_done_page_points_to_the_status(applied, client):
    html = client.get(APPLIED).content.decode()
    assert 'data-testid="status-link"' in html and PAGE in html


def test_get_is_not_offered(db):
    assert APIClient().get(API).status_code == 405


@pytest.mark.parametrize(
    ("number", "email", "allowed"),
    [
        ("№ 1\u00a02", "  Someone@Example.org ", True),
        ("٣", EMAIL, False),  # not an ASCII digit
        ("1" * 13, EMAIL, False),
        ("1", "no-at-sign", False),
        ("1", "a@" + "b" * 253, False),  # 255 characters as sent
    ],
)
def test_what_the_schema_allows_is_looked_up_and_what_it_refuses_is_a_field_error(
    db, number, email, allowed
):
    """Issue 18: the schema states the shape of the number and the e-mail exactly."""
    from pfdo.common.tests.served_schema import body_is_valid, served_schema

    body = {"number": number, "email": email}
    assert body_is_valid(served_schema(), "POST", API, body) is allowed
    response = APIClient().post(API, body, format="json")
    if allowed:
        assert response.status_code == 404  # the shape is right; no such application
    else:
        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) <= {"number", "email"}
