"""Hostile JSON bodies answer 400 `malformed_request` with the error body, never 500."""

import json

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

TOKEN_URL = "/api/v1/auth/token/"
DEEP = "[" * 50_000 + "]" * 50_000


def nested(depth: int) -> str:
    """An object nested `depth` levels: {"a": {"a": ... {"a": 1}}}."""
    return '{"a": ' * depth + "1" + "}" * depth


def post(body: str | bytes, path: str = TOKEN_URL):
    client = Client(raise_request_exception=False)
    return client.post(path, body, content_type="application/json")


def assert_malformed(response):
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == "malformed_request"
    assert body["error"]["message"]
    return body["error"]["message"]


def test_a_body_nested_50000_deep_to_the_anonymous_token_endpoint_is_400(db):
    message = assert_malformed(post(DEEP))
    assert "вложенность" in message and "32" in message


def test_an_object_nested_deep_is_refused_too(db):
    assert_malformed(post(nested(50_000)))


def test_brackets_inside_strings_are_not_structure(db):
    body = json.dumps({"username": "[" * 5_000 + '\\"{' * 1000, "password": "x"})
    # The credentials are wrong, which the token endpoint says: the body itself was fine.
    assert post(body).json()["error"]["code"] != "malformed_request"


def test_the_depth_limit_is_a_setting(db, settings):
    settings.PFDO_API_MAX_JSON_DEPTH = 3
    assert_malformed(post(nested(4)))
    assert post(nested(3)).json()["error"]["code"] != "malformed_request"


def test_recursion_past_the_scan_is_caught(db, settings):
    # With the scan disabled by a huge limit, json's own RecursionError must still be a 400.
    settings.PFDO_API_MAX_JSON_DEPTH = 10**9
    message = assert_malformed(post(DEEP))
    assert "вложенность" in message


def test_a_body_past_the_upload_limit_is_refused(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    message = assert_malformed(post(json.dumps({"username": "x" * 2000, "password": "y"})))
    assert "1 КБ" in message


def test_broken_json_keeps_its_russian_message(db):
    assert assert_malformed(post("{not json")) == "Тело запроса не является корректным JSON."


@pytest.mark.parametrize(
    ("text", "limit", "exceeds"),
    [
        ("[]", 1, False),
        ("[[]]", 1, True),
        ('{"a": [1, {"b": []}]}', 4, False),
        ('{"a": [1, {"b": []}]}', 3, True),
        ('["]]]]", "[[[["]', 1, False),
        ('["\\"[[[["]', 1, False),
        ("[[], [], [], []]", 2, False),
    ],
)
def test_nesting_is_measured_outside_strings(text, limit, exceeds):
    from pfdo.common.api.parsers import nesting_exceeds

    assert nesting_exceeds(text, limit) is exceeds


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(alphabet='[]{}"\\a', max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@given(value=json_values, limit=st.integers(min_value=0, max_value=6))
def test_the_scan_agrees_with_the_parsed_depth(value, limit):
    from pfdo.common.api.parsers import nesting_exceeds

    assert nesting_exceeds(json.dumps(value), limit) is (_depth(value) > limit)
