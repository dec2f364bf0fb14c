"""The API contract run (schemathesis), shared by the test_schemathesis*.py modules.

The schema is the one the application serves at /api/schema/; requests go in-process through
the Django WSGI application. Each module seeds the demo (without its generated catalogue) once,
in a transaction rolled back at its end (tests/api_contract/conftest.py); each operation's test
runs in its own savepoint (`db`), so what one operation writes is gone before the next. Every
operation is exercised anonymously (valid and invalid data, test_schemathesis.py) and with the
bearer token of each demo login that works through the API — parent, provider staff, operator
and payer, one module each so that xdist spreads them — with valid data, so the calls get past
validation into what each role may do.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

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

SCHEMA_URL = "/api/schema/?format=json"
ERROR_STATUSES = {"400", "401", "403", "404", "409", "429"}

APP = get_wsgi_application()
# Examples and fuzzing (valid and invalid data), without the coverage phase: it sends every
# boundary value of every field and made the run ten times longer for little more found.
PHASES = {"coverage": {"enabled": False}}
CONFIG = schemathesis.Config.from_dict({"phases": PHASES})
# The system's own API; the ПФДО API v2 compatibility section of the same schema has its own
# error envelope and its own run (test_schemathesis_pfdo_v2.py).
V1_PATHS = r"^/api/v1/"
full_schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, APP, config=CONFIG)
schema = full_schema.include(path_regex=V1_PATHS)
# The signed-in runs: schema-valid data only, so the requests reach the permission checks
# and the services instead of stopping at validation (the anonymous run sends both kinds).
POSITIVE = schemathesis.Config.from_dict({"phases": PHASES, "generation": {"mode": "positive"}})
positive_schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, APP, config=POSITIVE).include(
    path_regex=V1_PATHS
)
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

# `make test` runs a bounded contract (minutes of CI); `make soak-contract` multiplies every
# count below (PFDO_CONTRACT_SCALE=10: 150 examples an operation anonymously and as the operator).
SCALE = max(1, int(os.environ.get("PFDO_CONTRACT_SCALE", "1")))

SETTINGS = settings(
    max_examples=15 * SCALE,
    deadline=None,
    # `db` is one transaction per operation, shared by its examples on purpose (login failures
    # pile up into the lockout, which is part of the contract: 429 is declared).
    suppress_health_check=list(HealthCheck),
)


@contextmanager
def requests_keep_the_test_connection():
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


def token_of(login: str) -> str:
    """A new bearer token through the API itself, from an address schemathesis never locks out
    (its token counters are reset: the revoking operation asks a fresh token per example)."""
    from pfdo.common import ratelimit
    from pfdo.demo.accounts import DEMO_PASSWORD

    ratelimit.reset("token_ip", "ip:192.0.2.10")
    ratelimit.reset("token_account", f"login:{login}")
    response = Client(REMOTE_ADDR="192.0.2.10").post(
        "/api/v1/auth/token/",
        {"login": login, "password": DEMO_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert token.startswith("pfdo_")
    return token


def seed_demo() -> dict[str, str]:
    """The demo without its generated catalogue, and a bearer token of each login."""
    from pfdo.demo.seed import seed

    seed("small", generated=False)
    return {login: token_of(login) for login in LOGINS}


# Examples per operation for each login: the operator's run is the widest; the other three
# take fewer, to keep the module's time sensible (each full run of 117 operations costs
# minutes); `make soak-contract` runs ten times as many.
EXAMPLES = {
    login: count * SCALE
    for login, count in {"operator": 15, "parent": 6, "provider": 6, "payer": 6}.items()
}


def signed_in_test(login: str):
    """The contract test of every operation with the bearer token of the demo `login`."""

    @positive_schema.parametrize()
    @settings(SETTINGS, max_examples=EXAMPLES[login])
    def test_operation(case, tokens):
        token = tokens[login]
        if case.operation.label == REVOKE_TOKEN:
            token = token_of(login)  # a fresh one each time: this call revokes the token it uses
        with requests_keep_the_test_connection():
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    return test_operation
