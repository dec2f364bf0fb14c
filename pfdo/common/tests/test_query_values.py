"""The query rule of the API (issue 18): an empty optional value is the parameter's absence,
a non-empty value the schema refuses is a 400 with the field's Russian message, and the served
schema says so (allowEmptyValue on every optional query parameter, no `format: time`)."""

import re

import pytest

from pfdo.common.api.pagination import Pagination
from pfdo.common.validators import TEXT_PATTERN


@pytest.fixture
def schema(api_client, db):
    response = api_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _query_parameters(schema):
    """The query parameters of /api/v1/ (the ПФДО API v2 section keeps its own rules)."""
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for param in operation.get("parameters", []):
                if param.get("in") == "query":
                    yield path, method, param


def test_every_optional_query_parameter_allows_an_empty_value(schema):
    checked = 0
    for path, method, param in _query_parameters(schema):
        if param.get("required"):
            assert "allowEmptyValue" not in param, (method, path, param["name"])
            continue
        assert param.get("allowEmptyValue") is True, (method, path, param["name"])
        checked += 1
    assert checked > 100


def test_no_parameter_is_declared_format_time(schema):
    """JSON Schema's `time` requires an offset; the server takes local HH:MM[:SS[.ffffff]]."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for param in operation.get("parameters", []):
                assert param.get("schema", {}).get("format") != "time", (method, path, param)
    times = [
        (path, param["schema"])
        for path, _, param in _query_parameters(schema)
        if param["name"] in ("time_from", "time_to")
    ]
    assert {path for path, _ in times} == {"/api/v1/programs/", "/api/v1/groups/"}
    from pfdo.common.api.schema import TIME_PATTERN

    assert all(s == {"type": "string", "pattern": TIME_PATTERN} for _, s in times)


def test_page_and_page_size_are_declared_with_their_bounds(schema):
    params = {p["name"]: p for p in schema["paths"]["/api/v1/regions/"]["get"]["parameters"]}
    assert params["page"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
    assert params["page_size"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": Pagination.max_page_size,
    }
    assert "404" in schema["paths"]["/api/v1/regions/"]["get"]["responses"]


@pytest.mark.parametrize("value", ["", "1", "500"])
def test_page_size_empty_is_the_default_and_bounds_are_taken(api_client, region, value):
    response = api_client.get("/api/v1/regions/", {"page_size": value})
    assert response.status_code == 200


@pytest.mark.parametrize("value", ["abc", "null", "1.5", "true", "0", "-1", "501", " 5"])
def test_invalid_page_size_is_a_400_with_the_field(api_client, region, value):
    response = api_client.get("/api/v1/regions/", {"page_size": value})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"]["page_size"] == ["Размер страницы — целое число от 1 до 500."]


@pytest.mark.parametrize("value", ["abc", "0", "last", "1.0"])
def test_invalid_page_is_a_400_and_a_page_past_the_end_a_404(api_client, region, value):
    response = api_client.get("/api/v1/regions/", {"page": value})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["page"] == ["Номер страницы — целое число от 1."]
    assert api_client.get("/api/v1/regions/", {"page": ""}).status_code == 200
    past = api_client.get("/api/v1/regions/", {"page": "99"})
    assert past.status_code == 404 and past.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("param", "value"),
    [("is_active", "maybe"), ("is_active", "null"), ("is_active", "yes"), ("is_active", "-5")],
)
def test_a_boolean_filter_takes_only_true_or_false(api_client, vorkuta, param, value):
    response = api_client.get("/api/v1/municipalities/", {param: value})
    assert response.status_code == 400
    assert response.json()["error"]["fields"][param] == ["Укажите true или false."]
    for ok in ("", "true", "false", "1", "0", "True"):
        assert api_client.get("/api/v1/municipalities/", {param: ok}).status_code == 200


@pytest.mark.parametrize(
    ("path", "param", "message"),
    [
        ("/api/v1/groups/", "program", "Программа — целое положительное число (id)."),
        ("/api/v1/programs/", "provider", "Поставщик — целое положительное число (id)."),
        ("/api/v1/content/news/", "region", "Регион — целое положительное число (id)."),
    ],
)
def test_an_integer_filter_takes_ascii_digits_only(api_client, vorkuta, path, param, message):
    """The schema's `integer`: Django's IntegerField alone also took " 5", "5.0", "+5" and
    other scripts' digits (one IdFilter, pfdo.common.filters, for every app)."""
    for refused in (" 5", "5 ", "5.0", "+5", "٥", "1e3", "0"):
        response = api_client.get(path, {param: refused})
        assert response.status_code == 400, (refused, response.content)
        assert response.json()["error"]["fields"][param] == [message], refused
    assert api_client.get(path, {param: "5"}).status_code == 200


def test_an_empty_filter_is_no_filter(api_client, vorkuta):
    everything = api_client.get("/api/v1/municipalities/").json()["count"]
    for param in ("is_active", "region", "page", "page_size"):
        response = api_client.get("/api/v1/municipalities/", {param: ""})
        assert response.status_code == 200, param
        assert response.json()["count"] == everything, param


def test_a_text_filter_states_the_length_the_server_takes(schema, api_client):
    params = {p["name"]: p for p in schema["paths"]["/api/v1/programs/"]["get"]["parameters"]}
    assert params["q"]["schema"] == {"type": "string", "pattern": TEXT_PATTERN, "maxLength": 200}
    assert api_client.get("/api/v1/programs/", {"q": "а" * 200}).status_code == 200
    response = api_client.get("/api/v1/programs/", {"q": "а" * 201})
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["q"]


def test_no_text_filter_takes_a_nul_and_the_schema_says_so(schema, api_client):
    """The stateful soak sent `municipality=…%00…` to the certificate applications: Django's
    form field refused the NUL (400) where the schema declared a plain string. Every text query
    parameter of /api/v1/ now states TEXT_PATTERN, and the server answers by it."""
    text_params = [
        (path, p["name"], p["schema"])
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/")
        for operation in operations.values()
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p["schema"].get("type") == "string"
    ]
    assert len(text_params) > 20
    for path, name, declared in text_params:
        assert {"pattern", "enum", "format"} & set(declared), (path, name, declared)
    for path, name in (("/api/v1/programs/", "q"), ("/api/v1/municipalities/", "region")):
        declared = next(d for p, n, d in text_params if (p, n) == (path, name))
        assert declared["pattern"] == TEXT_PATTERN
        assert not re.search(TEXT_PATTERN, "vork\x00uta") and re.search(TEXT_PATTERN, "½»\x1e]")
        assert api_client.get(path, {name: "½»\x1e]"}).status_code == 200
        response = api_client.get(path, {name: "vork\x00uta"})
        assert response.status_code == 400, response.content
        assert list(response.json()["error"]["fields"]) == [name]
