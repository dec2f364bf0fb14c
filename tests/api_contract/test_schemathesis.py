"""Contract test: every API operation answers as its OpenAPI schema says (schemathesis, see
contract.py) — every operation, every role, every check, valid and invalid data, unsupported
methods and OPTIONS, and chains of calls; and the schema declares the error bodies and the
authentication the run relies on."""

from __future__ import annotations

import re
import sys

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, settings

from tests.api_contract.contract import (
    DERANDOMIZE,
    ERROR_STATUSES,
    LOGINS,
    ROLES,
    SETTINGS,
    STATEFUL_SCENARIOS,
    V1_PATHS,
    Credentials,
    call_as_its_role,
    compat_in_this_shard,
    full_schema,
    requests_keep_the_test_connection,
    role_of,
    schema,
    served_schema,
    v1_schema,
)


@pytest.fixture
def credentials(tokens):
    return Credentials(tokens)


@schema.parametrize()
@SETTINGS
def test_operation(case, credentials):
    call_as_its_role(case, credentials)


class Workflow(v1_schema.as_state_machine()):
    """Chains of calls along the links schemathesis infers from the schema (an id a list or a
    create answers, used by the next call), each scenario as one role."""

    credentials: Credentials

    def setup(self):
        # Each scenario starts from the demo as seeded: what one scenario wrote is rolled back
        # before the next. A chain then answers the same way however often Hypothesis replays
        # it (a soak's fresh seeds replay prefixes; with scenarios writing into one another, a
        # replay took another path and failed as FlakyStrategyDefinition, hiding the result).
        self.role = None
        self._savepoint = transaction.savepoint()

    def teardown(self):
        transaction.savepoint_rollback(self._savepoint)

    def get_call_kwargs(self, case):
        if self.role is None:
            self.role = role_of(case)
        return {"headers": self.credentials.headers(case, self.role)}

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        # As `call_and_validate` does: the checks must know the credentials were the caller's
        # own (not generated), so that `ignored_auth` probes without them.
        try:
            case.validate_response(
                response,
                additional_checks=additional_checks,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=getattr(self, "recorder", None),
            )
        except Exception as exc:
            # Said at once: the scenarios share one database, so Hypothesis' replay of a failing
            # chain may take another path ("FlakyStrategyDefinition") and hide what failed.
            print(
                f"{case.operation.label} as {self.role}: {exc}\n{case.as_curl_command()}",
                file=sys.stderr,
            )
            raise


def test_stateful_workflows(credentials):
    Workflow.credentials = credentials
    with requests_keep_the_test_connection():
        Workflow.run(
            settings=settings(
                max_examples=STATEFUL_SCENARIOS,
                derandomize=DERANDOMIZE,
                stateful_step_count=6,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
        )


# The ПФДО API v2 compatibility section (pfdo/compat): no login, its own error envelope; its
# answers against the observed description of the original are pfdo/compat/tests.
compat_schema = full_schema.include(func=compat_in_this_shard)


@compat_schema.parametrize()
@SETTINGS
def test_compat_operation(case, tokens):
    with requests_keep_the_test_connection():
        case.call_and_validate()


def _v1_paths(raw: dict) -> list[str]:
    return [path for path in raw["paths"] if re.match(V1_PATHS, path)]


@pytest.mark.parametrize("role", ROLES)
def test_options_on_every_path_as_every_role(tokens, role):
    """OPTIONS is answered by DRF on every route (no operation of the schema declares it): it
    never fails, and its Allow header names exactly the methods the schema declares."""
    raw = served_schema()
    headers = {} if role == "anonymous" else {"HTTP_AUTHORIZATION": f"Bearer {tokens[role]}"}
    client = Client(raise_request_exception=False)
    checked = 0
    for path in _v1_paths(raw):
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = client.options(url, **headers)
        assert response.status_code < 500, (role, url, response.content[:300])
        if response.status_code == 200:
            declared = {m.upper() for m in raw["paths"][path] if m != "parameters"}
            allowed = {m.strip() for m in response["Allow"].split(",")} - {"HEAD", "OPTIONS"}
            assert allowed == declared, (url, allowed, declared)
            checked += 1
    assert checked >= 50, checked


def test_schema_declares_the_error_body_for_every_operation():
    raw = served_schema()
    operations = [
        (method.upper(), path, operation)
        for path in _v1_paths(raw)
        for method, operation in raw["paths"][path].items()
    ]
    assert len(operations) >= 100
    for method, path, operation in operations:
        declared = set(operation["responses"])
        assert declared >= ERROR_STATUSES | {"405", "406"}, (method, path, declared)
        if "requestBody" in operation:
            assert "415" in declared, (method, path)
        for status in ERROR_STATUSES | {"405", "406"}:
            body = operation["responses"][status]["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    error = raw["components"]["schemas"]["ErrorDetail"]
    assert set(error["required"]) == {"code", "message", "fields"}


def test_schema_declares_bearer_auth_and_public_reads():
    raw = served_schema()
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


def test_schema_uses_no_time_format_drf_cannot_write():
    # JSON Schema's "time" needs an offset ("16:00:00+03:00"); DRF writes "16:00:00".
    raw = served_schema()
    assert "time" not in set(_formats(raw["components"]["schemas"]))
    assert "time" not in set(_formats(raw["paths"]))


def test_the_role_of_a_request_is_fixed_by_the_request_and_spreads_over_all_roles():
    operation = schema["/api/v1/programs/"]["GET"]
    cases = [operation.Case(query={"search": f"кружок {n}"}) for n in range(200)]
    assert {role_of(case) for case in cases} == set(ROLES)
    assert [role_of(c) for c in cases] == [role_of(c) for c in cases]


@pytest.mark.parametrize("login", sorted(LOGINS))
def test_the_tokens_the_contract_run_uses_authenticate(tokens, login):
    response = Client().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {tokens[login]}")
    assert response.status_code == 200
    assert response.json()["login"] == login
    roles = {m["role"] for m in response.json()["memberships"]}
    assert roles == ({LOGINS[login]} if LOGINS[login] else set())
    anonymous = Client().get("/api/v1/auth/me/")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"


def test_only_a_refusal_about_what_exists_passes_for_schema_valid_data():
    from tests.api_contract.contract import _ONLY_THE_WORLD_SAYS_NO, _refusal_messages

    missing = {
        "error": {
            "code": "validation_error",
            "message": "m",
            "fields": {
                "group": ["Группа не найдена."],
                "municipality": ["Объект с code=0 не существует."],
            },
        }
    }
    format_error = {
        "error": {
            "code": "validation_error",
            "message": "m",
            "fields": {"group": ["Группа не найдена."], "time_from": ["Время — в формате ЧЧ:ММ."]},
        }
    }
    v2 = {"name": "Bad Request", "message": "Параметр operator: регионального оператора 0 нет."}
    v2_format = {"name": "Bad Request", "message": "Параметр page должен быть не меньше 1."}

    def passes(body):
        messages = _refusal_messages(body)
        return bool(messages) and all(_ONLY_THE_WORLD_SAYS_NO.search(m) for m in messages)

    assert passes(missing) and passes(v2)
    from tests.api_contract.contract import _STRICTER_FORMATS

    assert _STRICTER_FORMATS.search("Введите правильный URL.")
    assert not _STRICTER_FORMATS.search("Введите правильный URL. И ещё что-то")
    assert not passes(format_error) and not passes(v2_format)
    assert not passes({"error": {"code": "validation_error", "message": "", "fields": {}}})


def test_each_narrow_exemption_names_a_field_of_a_served_operation():
    """_BEYOND_A_SCHEMA is per operation and per field: an entry whose operation or field the
    schema no longer has (renamed, moved) would exempt nothing, silently."""
    from tests.api_contract.contract import _BEYOND_A_SCHEMA, _beyond_a_schema

    raw = served_schema()
    # An item's field of a list is exempt for every index, and only that field.
    moved = {"schedule.2.ends_at": ["Занятие должно заканчиваться позже, чем начинается."]}
    both = {**moved, "schedule.2.weekday": ["Неверный день."]}
    error = {"code": "validation_error", "message": "m"}
    assert _beyond_a_schema("POST /api/v1/groups/", {"error": {**error, "fields": moved}})[0]
    assert not _beyond_a_schema("POST /api/v1/groups/", {"error": {**error, "fields": both}})[0]
    for label, fields in _BEYOND_A_SCHEMA.items():
        method, path = label.split(" ", 1)
        operation = raw["paths"][path][method.lower()]
        names = {p["name"] for p in operation.get("parameters", [])}
        for media in operation.get("requestBody", {}).get("content", {}).values():
            body = media["schema"]
            if "$ref" in body:
                body = raw["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
            names |= set(body.get("properties", {}))
        assert {field.split(".")[0] for field in fields} <= names, (label, fields, names)


def test_a_negative_case_keeps_its_own_wrong_authorization(credentials):
    """The soak's false alarm: the role's token replaced a generated, schema-breaking
    Authorization header, so the "invalid" request was valid and answered 200."""
    from types import SimpleNamespace

    from schemathesis.core.parameters import ParameterLocation
    from schemathesis.generation.meta import ComponentInfo
    from schemathesis.generation.modes import GenerationMode

    def case(mode, headers):
        meta = SimpleNamespace(components={ParameterLocation.HEADER: ComponentInfo(mode=mode)})
        operation = SimpleNamespace(label="GET /api/v1/contracts/")
        return SimpleNamespace(meta=meta, headers=headers, operation=operation)

    wrong = case(GenerationMode.NEGATIVE, {"Authorization": "@JxPCTZl"})
    assert credentials.headers(wrong, "payer") == {}
    for kept in (
        case(GenerationMode.POSITIVE, {"Authorization": "Bearer x"}),
        case(GenerationMode.NEGATIVE, {"X-Other": "1"}),
    ):
        assert credentials.headers(kept, "payer")["Authorization"].startswith("Bearer ")
