"""The rules of the section's parameters and bodies, stated in /api/schema/ exactly as the
server applies them (issue 18): a value the schema allows is answered (200, or 404 for what
does not exist), a value it refuses is the 400 envelope naming the parameter (422 VAL01 for a
body field); an optional parameter sent empty is the same as absent (allowEmptyValue)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from pfdo.compat.api import params
from pfdo.territory.models import Region

PREFIX = "/" + settings.PFDO_COMPAT_API_PREFIX


@pytest.fixture
def operator(compat_demo, db) -> int:
    return Region.objects.order_by("pk").first().pk


def _served(client) -> dict:
    raw = client.get("/api/schema/?format=json").json()
    return {
        (method.upper(), path[len(PREFIX) - 1 :]): operation
        for path, item in raw["paths"].items()
        if path.startswith(PREFIX)
        for method, operation in item.items()
    } | {("components", ""): raw["components"]["schemas"]}


def _param(served, method, path, name) -> dict:
    found = [p for p in served[(method, path)]["parameters"] if p["name"] == name]
    assert len(found) == 1, (method, path, name)
    return found[0]


def _refused(response, name: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"name", "message", "code", "status"} and body["status"] == 400
    assert name in body["message"], body


def test_the_schema_states_each_query_rule(client):
    served = _served(client)
    events = ("GET", "/main-page/search/events")
    assert _param(served, *events, "operator")["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": params.MAX_INT,
    }
    assert _param(served, *events, "page")["schema"]["minimum"] == 1
    per_page = _param(served, *events, "per-page")
    assert (per_page["schema"]["minimum"], per_page["schema"]["maximum"]) == (1, 100)
    assert per_page["allowEmptyValue"] is True
    assert "allowEmptyValue" not in _param(served, *events, "operator")  # required
    expand = _param(served, "GET", "/operator/regions", "expand")["schema"]
    assert expand["pattern"] == params.EXPAND_PATTERN
    faq = _param(served, "GET", "/public/faq/search", "search[keywords_ids]")["schema"]
    assert faq["pattern"] == params.TOPICS_PATTERN
    programs = ("GET", "/main-page/search/programs")
    assert _param(served, *programs, "search[keywords_ids]")["schema"]["pattern"] == (
        params.KEYWORDS_PATTERN
    )
    direction = _param(served, *programs, "search[direction]")["schema"]
    assert (direction["minimum"], direction["maximum"]) == (1, 6)
    name = _param(served, *programs, "search[name]")["schema"]
    assert (name["maxLength"], name["pattern"]) == (params.MAX_TEXT, params.TEXT_PATTERN)
    instruction = _param(served, "GET", "/public/instructions/{id}", "operator")["schema"]
    assert instruction["maximum"] == params.MAX_INT
    # Every optional query parameter of the section may be sent empty.
    for (method, _path), operation in served.items():
        if method == "components":
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                assert parameter.get("allowEmptyValue") is (not parameter.get("required") or None)


@pytest.mark.parametrize(
    ("path", "allowed", "refused", "name"),
    [
        # ids start at 1; the largest is the server's integer
        ("main-page/search/events?operator={op}", "", "&operator=0", "operator"),
        ("public/instructions", "?operator={op}", "?operator=2147483648", "operator"),
        ("public/instructions/1", "?operator={op}", "?operator=1.5", "operator"),
        ("privacy-policy/get-document-url", "?operator_id={op}", "?operator_id=-1", "operator_id"),
        # pages
        ("main-page/search/events?operator={op}", "&page=1", "&page=0", "page"),
        ("main-page/news", "?per-page=100", "?per-page=101", "per-page"),
        ("main-page/news", "?per-page=1", "?per-page=+1", "per-page"),
        ("main-page/news", "?page=", "?page=%201", "page"),
        # expand: names of a-z and _, commas, spaces around names, empty items
        ("operator/regions", "?expand=certificate_source,%20x_y%20,,", "?expand=Год.", "expand"),
        ("public/programs/1", "?expand=rating", "?expand=1P", "expand"),
        ("main-page-settings?operator_id={op}", "&expand=", "&expand=a%09b", "expand"),
        # text: no control characters but whitespace, at most 200 characters
        ("public/municipalities", "?search[name]=%09Мур", "?search[name]=%01", "search[name]"),
        (
            "public/municipalities",
            "?search[name]=" + "я" * 200,
            "?search[name]=" + "я" * 201,
            "search[name]",
        ),
        # the topics of the questions: 1-5; the programmes' keywords: any ids
        (
            "public/faq/search",
            "?search[keywords_ids]=1,%205",
            "?search[keywords_ids]=6",
            "search[keywords_ids]",
        ),
        (
            "main-page/search/programs?operator={op}",
            "&search[keywords_ids]=77,%2012",
            "&search[keywords_ids]=%20",
            "search[keywords_ids]",
        ),
        (
            "main-page/search/programs?operator={op}",
            "&search[direction]=6",
            "&search[direction]=7",
            "search[direction]",
        ),
        (
            "main-page/search/programs?operator={op}",
            "&search[age]=0",
            "&search[age]=-1",
            "search[age]",
        ),
    ],
)
def test_a_value_the_schema_allows_is_answered_one_it_refuses_is_400(
    compat, operator, path, allowed, refused, name
):
    base = path.format(op=operator)
    answered = compat.get(base + allowed.format(op=operator))
    assert answered.status_code in (200, 404), answered.content
    _refused(compat.get(base + refused.format(op=operator)), name)


def test_an_operator_or_municipality_that_does_not_exist_says_so(compat, operator):
    """Schema-valid ids of nothing: the refusal says the object does not exist."""
    missing = compat.get("main-page/search/events?operator=999999").json()
    assert re.search(r"нет\.?$", missing["message"]), missing
    mun = compat.get(f"main-page/search/programs?operator={operator}&search[mun]=999999").json()
    assert "не найден" in mun["message"], mun


def test_server_patterns_are_the_schema_patterns():
    """The server applies the declared patterns with re.search, as a JSON Schema validator."""
    assert re.search(params.EXPAND_PATTERN, " a_b , ,c ")
    assert not re.search(params.EXPAND_PATTERN, "a b")
    assert re.search(params.TOPICS_PATTERN, "1, 5")
    assert not re.search(params.TOPICS_PATTERN, "01")
    assert not re.search(params.TEXT_PATTERN, "a\x00b")
    assert re.search(params.TEXT_PATTERN, "a\tb\nc")


# ---------------------------------------------------------------------------- bodies

CHECK = "enrollment-verification"
CHILD = {"soname": "Белова", "name": "Мария", "number": "4321"}


def test_the_schema_states_the_check_body_rules(client):
    schemas = _served(client)[("components", "")]
    check = schemas["PfdoV2EnrollmentVerificationRequestRequest"]["properties"]
    assert check["number"]["pattern"] == r"^[0-9]{4}$"
    assert check["soname"]["pattern"] == check["name"]["pattern"]
    assert re.search(check["soname"]["pattern"], "О'Нил") and not re.search(
        check["soname"]["pattern"], " - "
    )
    verify = schemas["PfdoV2EnrollmentVerificationVerifyRequestRequest"]["properties"]
    assert verify["email"]["format"] == "email"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("number", "12 34"),
        ("number", " 1234"),
        ("number", "١٢٣٤"),
        ("soname", "-"),
        ("name", " ' "),
    ],
)
def test_a_check_body_the_schema_refuses_is_422(compat, operator, field, value):
    response = compat.post(CHECK, {**CHILD, "operator_id": operator, field: value})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["result_code"] == "VAL01" and list(body["errors"]) == [field]


def test_an_unknown_operator_of_the_check_says_it_does_not_exist(compat):
    response = compat.post(CHECK, {**CHILD, "operator_id": 999999})
    assert response.status_code == 422
    (message,) = response.json()["errors"]["operator_id"]
    assert re.search(r"нет\.?$", message), message


def test_verify_refuses_an_address_that_is_not_an_email(compat):
    body = {"confirm_token": "x" * 43, "soname": "Белова", "name": "Ольга", "email": "0"}
    response = compat.post(f"{CHECK}/verify", body)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["email"]


def test_no_idempotency_key_is_promised_where_none_is_kept(client):
    """The v2 section keeps no answers by key (the middleware serves /api/ only), so its
    writes declare no Idempotency-Key; the system's own API does."""
    served = client.get("/api/schema/?format=json").json()
    for path, item in served["paths"].items():
        for method, operation in item.items():
            names = {p["name"] for p in operation.get("parameters", [])}
            if method in ("post", "put", "patch", "delete"):
                assert ("Idempotency-Key" in names) is path.startswith("/api/"), (method, path)


@pytest.mark.parametrize(("value", "ok"), [(True, True), ("false", True), (0, False), ("1", False)])
def test_the_checks_unused_flag_is_a_boolean_as_the_schema_says(value, ok):
    from rest_framework.exceptions import ValidationError

    from pfdo.compat.api.views_enrolment import _StrictBoolean

    field = _StrictBoolean()
    if ok:
        assert field.to_internal_value(value) in (True, False)
    else:
        with pytest.raises(ValidationError):
            field.to_internal_value(value)
