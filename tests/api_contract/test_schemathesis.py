"""Contract test: every API operation answers as its OpenAPI schema says (schemathesis),
anonymously here, as each demo login in test_schemathesis_as_*.py (see contract.py); and the
schema declares the error bodies and the authentication the run relies on."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api_contract.contract import (
    CHECKS,
    ERROR_STATUSES,
    LOGINS,
    SCHEMA_URL,
    SETTINGS,
    requests_keep_the_test_connection,
    schema,
)


@schema.parametrize()
@SETTINGS
def test_operation_anonymously(case, _demo_tokens, db):
    with requests_keep_the_test_connection():
        case.call_and_validate(checks=CHECKS)


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
        if path.startswith("/api/v1/")
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
