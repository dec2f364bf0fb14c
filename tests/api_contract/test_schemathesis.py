"""Contract test: every API operation answers as its OpenAPI schema says (schemathesis).

The schema is the one the application serves at /api/schema/; requests go in-process through
the Django WSGI application. The demo (without its generated catalogue) is seeded once for the
module, in a transaction rolled back at its end; each operation's test runs in its own
savepoint (`db`), so what one operation writes is gone before the next. Each operation is
exercised anonymously (valid and invalid data) and with the bearer token of each demo login
that works through the API — parent, provider staff, operator and payer — with valid data, so
the calls get past validation into what each role may do.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from pfdo.common.tests.worlds import world_once

SCHEMA_URL = "/api/schema/?format=json"
ERROR_STATUSES = {"400", "401", "403", "404", "409", "429"}

APP = get_wsgi_application()
# Examples and fuzzing (valid and invalid data), without the coverage phase: it sends every
# boundary value of every field and made the run ten times longer for little more found.
PHASES = {"coverage": {"enabled": False}}
CONFIG = schemathesis.Config.from_dict({"phases": PHASES})
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, APP, config=CONFIG)
# The signed-in runs: schema-valid data only, so the requests reach the permission checks
# and the services instead of stopping at validation (the anonymous run sends both kinds).
POSITIVE = schemathesis.Config.from_dict({"phases": PHASES, "generation": {"mode": "positive"}})
positive_schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, APP, config=POSITIVE)
# The demo logins the API serves (the expert, regional administrator and superuser work in the
# pages), with the one role each holds.
LOGINS = {
    "parent": "parent",
    "provider": "provider_staff",
    "operator": "operator",
    "payer": "payer",
}
REVOKE_TOKEN = "DELETE /api/v1/auth/token/"

# Every built-in response check except two that test the API's leniency, not its contract:
# - `negative_data_rejection`: DRF's pagination and django-filter deliberately ignore an
#   unparsable optional query value (`page_size=null` gives the default page, `until=` no filter);
# - `positive_data_acceptance`: a schema-valid login or password change with a wrong password is
#   a 400 with the error body, and Django refuses a NUL byte in any text (400) while the schema's
#   strings allow it. NUL bytes stay in the generated data: on PostgreSQL they would be a 500.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    use_after_free,
    ensure_resource_availability,
    ignored_auth,
]

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    # `db` is one transaction per operation, shared by its examples on purpose (login failures
    # pile up into the lockout, which is part of the contract: 429 is declared).
    suppress_health_check=list(HealthCheck),
)


@contextmanager
def _requests_keep_the_test_connection():
    """What Django's test client does: a request must not close the connection under test.

    At the end of every request Django closes a connection that is not in autocommit mode,
    which the test's wrapping transaction never is; on PostgreSQL the rest of the test would
    then find the connection closed (the in-memory SQLite test database is never closed).
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _token(login: str) -> str:
    """A new bearer token through the API itself, from an address schemathesis never locks out."""
    from pfdo.accounts.demo import DEMO_PASSWORD

    response = Client(REMOTE_ADDR="192.0.2.10").post(
        "/api/v1/auth/token/",
        {"login": login, "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert token.startswith("pfdo_")
    return token


def _seed_demo() -> dict[str, str]:
    """The demo without its generated catalogue, and a bearer token of each login."""
    from pfdo.demo.seed import seed

    seed("small", generated=False)
    return {login: _token(login) for login in LOGINS}


# Seeded once for the module (rolled back at its end); not a test's to change in memory.
_demo_tokens = world_once(_seed_demo)


@pytest.fixture
def tokens(_demo_tokens, db):
    """The logins' tokens; the test's own writes (a revoked token too) are rolled back."""
    return dict(_demo_tokens)


@schema.parametrize()
@SETTINGS
def test_operation_anonymously(case, _demo_tokens, db):
    with _requests_keep_the_test_connection():
        case.call_and_validate(checks=CHECKS)


@positive_schema.parametrize()
@pytest.mark.parametrize("login", sorted(LOGINS))
@SETTINGS
def test_operation_with_bearer_token(case, login, tokens):
    token = tokens[login]
    if case.operation.label == REVOKE_TOKEN:
        token = _token(login)  # a fresh one each time: this call revokes the token it uses
    with _requests_keep_the_test_connection():
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def _served_schema() -> dict:
    response = Client().get(SCHEMA_URL)
    assert response.status_code == 200
    return response.json()


def test_schema_declares_the_error_body_for_every_operation():
    raw = _served_schema()
    operations = [
        (method.upper(), path, operation)
        for path, item in raw["paths"].items()
        for method, operation in item.items()
    ]
    assert len(operations) >= 10
    for method, path, operation in operations:
        declared = set(operation["responses"])
        assert declared >= ERROR_STATUSES, (method, path, declared)
        for status in ERROR_STATUSES:
            body = operation["responses"][status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    error = raw["components"]["schemas"]["ErrorDetail"]
    assert set(error["required"]) == {"code", "message", "fields"}


def test_schema_declares_bearer_auth_and_public_reads():
    raw = _served_schema()
    bearer = raw["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    me = raw["paths"]["/api/v1/auth/me/"]["get"]["security"]
    assert {"bearerAuth": []} in me
    assert {} not in me  # the current user needs a login
    assert raw["paths"]["/api/v1/auth/token/"]["delete"]["security"] == [{"bearerAuth": []}]
    assert {} in raw["paths"]["/api/v1/regions/"]["get"]["security"]  # public read


def _formats(node):
    if isinstance(node, dict):
        if isinstance(node.get("format"), str):
            yield node["format"]
        for value in node.values():
            yield from _formats(value)
    elif isinstance(node, list):
        for value in node:
            yield from _formats(value)


def test_schema_bodies_use_no_time_format_drf_cannot_write():
    # JSON Schema's "time" needs an offset ("16:00:00+03:00"); DRF writes "16:00:00".
    components = _served_schema()["components"]["schemas"]
    assert "time" not in set(_formats(components))


@pytest.mark.parametrize("login", sorted(LOGINS))
def test_the_tokens_the_contract_run_uses_authenticate(tokens, login):
    response = Client().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {tokens[login]}")
    assert response.status_code == 200
    assert response.json()["login"] == login
    roles = {m["role"] for m in response.json()["memberships"]}
    assert roles == {LOGINS[login]}
    anonymous = Client().get("/api/v1/auth/me/")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"
