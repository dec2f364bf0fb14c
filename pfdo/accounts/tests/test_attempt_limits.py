"""Issue 13 (item 4), accounts: password reset, API tokens and failed logins are limited per
client address and per account (the typed e-mail or login, whether or not it exists), answered
429 with Retry-After — the 429 page with the time on the web, the error body in the API — and
written to the action history with the address; another address is not affected."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from pfdo.accounts.tests.factories import PASSWORD
from pfdo.audit.models import ActionLog
from pfdo.common.ratelimit import wait_text

pytestmark = pytest.mark.django_db

RESET = reverse("accounts:password_reset")
LOGIN = reverse("accounts:login")
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def limits(settings):
    def lower(**specs):
        settings.PFDO_RATE_LIMITS = {**settings.PFDO_RATE_LIMITS, **specs}

    return lower


def assert_page_refusal(response) -> str:
    assert response.status_code == 429
    wait = int(response["Retry-After"])
    assert 0 < wait <= 3600
    html = response.content.decode()
    assert f'data-testid="retry-after">{wait_text(wait)}<' in html
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", html)


def assert_api_refusal(response) -> dict:
    assert response.status_code == 429, response.content
    assert 0 < int(response["Retry-After"]) <= 3600
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == "throttled"
    assert body["error"]["message"].startswith("Слишком много попыток. Повторите через")
    return body


def refusals(limit: str) -> list[ActionLog]:
    return list(ActionLog.objects.filter(action="rate_limited", details__limit=limit))


# ---------------------------------------------------------------------------- reset


def test_password_reset_is_limited_per_address(client, make_user, limits):
    limits(password_reset_ip="2/3600")
    make_user(email="mama@example.org")
    assert client.post(RESET, {"email": "mama@example.org"}).status_code == 302
    assert client.post(RESET, {"email": "papa@example.org"}).status_code == 302
    html = assert_page_refusal(client.post(RESET, {"email": "mama@example.org"}))
    assert "Слишком много попыток" in html
    assert len(mail.outbox) == 1  # the refused request sent nothing
    (row,) = refusals("password_reset_ip")
    assert row.ip == "127.0.0.1" and row.details["scope"] == "ip" and row.actor is None
    other = Client(REMOTE_ADDR="192.0.2.7").post(RESET, {"email": "mama@example.org"})
    assert other.status_code == 302 and len(mail.outbox) == 2


def test_password_reset_is_limited_per_typed_email_known_or_not(make_user, limits):
    limits(password_reset_account="2/3600")
    make_user(email="mama@example.org")
    pages = []
    for email in ("mama@example.org", "nobody@example.org"):
        for n in range(2):
            sent = Client(REMOTE_ADDR=f"192.0.2.{n + 1}").post(RESET, {"email": email})
            assert sent.status_code == 302
        refused = Client(REMOTE_ADDR="192.0.2.50").post(RESET, {"email": email.upper()})
        pages.append((refused.status_code, assert_page_refusal(refused)))
    # The refusal of a registered address reads exactly as that of an unknown one.
    assert pages[0] == pages[1]
    assert len(mail.outbox) == 2
    assert {r.ip for r in refusals("password_reset_account")} == {"192.0.2.50"}


# ---------------------------------------------------------------------------- tokens


def test_token_issuance_is_limited_per_typed_login_existing_or_not(make_user, limits):
    limits(token_account="2/3600")
    user = make_user(username="maria")
    bodies = []
    for login, password in ((user.username, PASSWORD), ("nobody-here", "wrong")):
        for n in range(2):
            api = APIClient(REMOTE_ADDR=f"192.0.2.{n + 1}")
            api.post(TOKEN_URL, {"login": login, "password": password}, format="json")
        refused = APIClient(REMOTE_ADDR="192.0.2.60").post(
            TOKEN_URL, {"login": login.upper(), "password": password}, format="json"
        )
        bodies.append(assert_api_refusal(refused))
    assert bodies[0] == bodies[1]
    assert {r.ip for r in refusals("token_account")} == {"192.0.2.60"}
    # Another login is not affected.
    other = make_user(username="olga")
    response = APIClient(REMOTE_ADDR="192.0.2.60").post(
        TOKEN_URL, {"login": other.username, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200


def test_token_issuance_is_limited_per_address_and_a_retry_is_not_replayed(make_user, limits):
    limits(token_ip="2/3600")
    user = make_user(username="maria")
    api = APIClient(REMOTE_ADDR="192.0.2.70")
    for login in ("first", "second"):
        wrong = api.post(TOKEN_URL, {"login": login, "password": "x"}, format="json")
        assert wrong.status_code == 400
    body = {"login": user.username, "password": PASSWORD}
    # Refused even with the right password; the refusal is not kept under the key, so the
    # retry the Retry-After invites is carried out.
    assert_api_refusal(api.post(TOKEN_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k1"))
    (row,) = refusals("token_ip")
    assert row.ip == "192.0.2.70" and row.details["scope"] == "ip"
    elsewhere = APIClient(REMOTE_ADDR="192.0.2.71")
    assert elsewhere.post(TOKEN_URL, body, format="json").status_code == 200
    limits(token_ip="10/3600")
    retried = api.post(TOKEN_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried


def test_the_schema_declares_429_with_retry_after_on_the_limited_anonymous_operations(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in (TOKEN_URL, "/api/v1/providers/"):
        refusal = schema["paths"][path]["post"]["responses"]["429"]
        assert refusal["headers"]["Retry-After"]["required"] is True
        assert refusal["headers"]["Retry-After"]["schema"]["type"] == "integer"
        assert refusal["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


# ---------------------------------------------------------------------------- login page


def test_failed_logins_are_capped_per_address_and_successes_never_count(make_user, limits):
    limits(login_failures_ip="3/900")
    user = make_user(username="maria")
    # Different logins and browser strings: axes alone would lock none of them.
    for n in range(3):
        browser = Client(REMOTE_ADDR="192.0.2.80", HTTP_USER_AGENT=f"browser {n}")
        failed = browser.post(LOGIN, {"username": f"guess{n}", "password": "x"})
        assert failed.status_code == 200
    refused = Client(REMOTE_ADDR="192.0.2.80", HTTP_USER_AGENT="browser 9").post(
        LOGIN, {"username": user.username, "password": PASSWORD}
    )
    assert_page_refusal(refused)
    (row,) = refusals("login_failures_ip")
    assert row.ip == "192.0.2.80"
    # Another address signs in; and many successful logins from one address never count.
    for _ in range(5):
        signed_in = Client(REMOTE_ADDR="192.0.2.81").post(
            LOGIN, {"username": user.username, "password": PASSWORD}
        )
        assert signed_in.status_code == 302
