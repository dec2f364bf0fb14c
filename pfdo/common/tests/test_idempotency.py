"""Idempotency-Key on mutating API calls: one effect, the first answer repeated, 409 on misuse."""

import contextlib
import re
from datetime import timedelta

import jsonschema
import psycopg
import pytest
from django.db import connection

from pfdo.accounts.models import ApiToken
from pfdo.accounts.tests.factories import PASSWORD
from pfdo.common import clock
from pfdo.common.idempotency import (
    KEY_PATTERN,
    MUTATING,
    IdempotencyKeyCheck,
    _KeyLock,
    checks_the_key_itself,
    valid_key,
)
from pfdo.common.models import IdempotencyRecord
from pfdo.common.tests.served_schema import served_schema

pytestmark = pytest.mark.sqlite  # also in the SQLite pass of `make test`

TOKEN_URL = "/api/v1/auth/token/"


def obtain(api_client, login, key, password=PASSWORD):
    return api_client.post(
        TOKEN_URL,
        {"login": login, "password": password},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_repeat_returns_the_first_answer_and_does_nothing_again(api_client, make_user):
    user = make_user()
    first = obtain(api_client, user.username, "k-1")
    again = obtain(api_client, user.username, "k-1")
    assert first.status_code == again.status_code == 200
    assert again.json()["expires_at"] == first.json()["expires_at"]
    assert again["Idempotent-Replayed"] == "true"
    # The token is a secret shown once: the replay answers null and the database never kept it.
    assert first.json()["token"] and again.json()["token"] is None
    assert first.json()["token"].encode() not in bytes(
        IdempotencyRecord.objects.get(key="k-1").body
    )
    assert ApiToken.objects.filter(user=user).count() == 1
    other = obtain(api_client, user.username, "k-2")
    assert other.json()["token"] != first.json()["token"]
    assert ApiToken.objects.filter(user=user).count() == 2


def test_same_key_with_a_different_body_is_409(api_client, make_user):
    user = make_user()
    obtain(api_client, user.username, "k-1")
    response = obtain(api_client, user.username, "k-1", password="another-password")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert ApiToken.objects.filter(user=user).count() == 1


def test_errors_below_500_are_remembered_too(api_client, make_user):
    user = make_user()
    bad = obtain(api_client, user.username, "k-bad", password="wrong")
    assert bad.status_code == 400
    repeat = obtain(api_client, user.username, "k-bad", password="wrong")
    assert repeat.status_code == 400 and repeat["Idempotent-Replayed"] == "true"
    assert repeat.json() == bad.json()


def test_keys_belong_to_their_caller(api_client, make_user):
    """Another caller with the same key gets its own answer, never the first caller's."""
    from rest_framework.test import APIClient

    user = make_user()
    mine = obtain(api_client, user.username, "shared")
    stranger = APIClient(REMOTE_ADDR="10.9.9.9")
    theirs = obtain(stranger, user.username, "shared")
    assert theirs.status_code == 200
    assert theirs.json()["token"] != mine.json()["token"]


@contextlib.contextmanager
def running_elsewhere(record):
    """As while the call that claimed `record` runs in another process: on PostgreSQL that
    call's database session holds the key's advisory lock."""
    if connection.vendor != "postgresql":
        yield
        return
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    lock_id = _KeyLock(record.scope, record.key).lock_id
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", [lock_id])
        yield


def test_a_call_still_running_is_409(api_client, make_user):
    user = make_user()
    response = obtain(api_client, user.username, "k-run")
    record = IdempotencyRecord.objects.get(key="k-run")
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=None)
    with running_elsewhere(record):
        running = obtain(api_client, user.username, "k-run")
    assert response.status_code == 200
    assert running.status_code == 409
    assert running.json()["error"]["code"] == "idempotency_in_progress"


@pytest.mark.postgres_only
def test_a_claim_whose_call_died_is_carried_out_by_the_retry(api_client, make_user):
    """A claim without an answer whose key nobody holds: its call's process died (its
    session, and the lock with it, are gone). The retry does the work once."""
    user = make_user()
    obtain(api_client, user.username, "k-dead")
    IdempotencyRecord.objects.filter(key="k-dead").update(status_code=None, body=b"")
    ApiToken.objects.filter(user=user).delete()  # the dead call's work was rolled back
    retry = obtain(api_client, user.username, "k-dead")
    assert retry.status_code == 200 and "Idempotent-Replayed" not in retry
    assert ApiToken.objects.filter(user=user).count() == 1
    again = obtain(api_client, user.username, "k-dead")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert ApiToken.objects.filter(user=user).count() == 1


def test_old_keys_expire(api_client, make_user, settings):
    user = make_user()
    first = obtain(api_client, user.username, "k-old")
    record = IdempotencyRecord.objects.get(key="k-old")
    with clock.frozen(record.created_at + timedelta(hours=25)):
        later = obtain(api_client, user.username, "k-old")
    assert later.status_code == 200
    assert later.json()["token"] != first.json()["token"]


# The rule: 1 to 200 printable ASCII characters, no space at either end (KEY_PATTERN).
GOOD_KEYS = ["x", "x" * 200, "a b", "~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}", "550e8400-e29b-41d4"]
BAD_KEYS = [
    "",
    "x" * 201,
    "bad\x01key",
    "tab\tinside",
    "del\x7f",
    " leading",
    "trailing ",
    " ",
    "ключ",
    "caf\xe9",
]


@pytest.mark.parametrize("key", GOOD_KEYS)
def test_well_formed_keys_are_taken(api_client, make_user, key):
    user = make_user()
    first = obtain(api_client, user.username, key)
    again = obtain(api_client, user.username, key)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert ApiToken.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("key", BAD_KEYS)
def test_malformed_keys_are_400(api_client, make_user, key):
    user = make_user()
    response = obtain(api_client, user.username, key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert not ApiToken.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_the_schema_states_the_rule_the_server_enforces(db):
    """Every key the declared header schema allows the server takes, and it refuses every
    other — checked on the edges of each part of the rule."""
    schema = served_schema()
    post = schema["paths"][TOKEN_URL]["post"]
    (header,) = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header" and not header.get("required")
    declared = header["schema"]
    assert declared["minLength"] == 1 and declared["maxLength"] == 200
    assert declared["pattern"] == KEY_PATTERN
    samples = [*GOOD_KEYS, *BAD_KEYS, "x" * 199 + " ", "a" * 199 + "~", "\x1f", "\x80", "~ ~"]
    samples += [chr(code) for code in range(0, 256)]
    for key in samples:
        allowed = jsonschema.Draft202012Validator(declared).is_valid(key)
        assert valid_key(key) == allowed, repr(key)


def test_every_write_declares_the_key_and_the_replay_header(db):
    schema = served_schema()
    writes = 0
    for path, item in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            if method.upper() not in MUTATING:
                continue
            writes += 1
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            assert "Idempotency-Key" in names, (method, path)
            for code, answer in operation["responses"].items():
                replayed = answer.get("headers", {}).get("Idempotent-Replayed")
                assert replayed, (method, path, code)
                assert replayed["schema"] == {"type": "string", "enum": ["true"]}
                assert not replayed.get("required")
    assert writes > 50


# ------------------------------------------------------------------ the order of the checks
# A malformed key is refused only where the call would otherwise be carried out: 401, 403 and
# 405 come first (a 403 of a view's permissions; one on an object is found by the handler,
# which never runs under a malformed key).


def test_no_credentials_is_401_before_a_malformed_key(api_client, db):
    response = api_client.post(
        "/api/v1/auth/password/", {"old_password": "a"}, format="json", HTTP_IDEMPOTENCY_KEY=""
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    # DELETE /auth/token/ needs the Authorization header of the token it revokes.
    revoke = api_client.delete(TOKEN_URL, HTTP_IDEMPOTENCY_KEY="x" * 201)
    assert revoke.status_code == 401
    assert not IdempotencyRecord.objects.exists()


def test_an_unsupported_method_is_405_before_a_malformed_key(api_client, db):
    response = api_client.put(TOKEN_URL, {}, format="json", HTTP_IDEMPOTENCY_KEY="bad\x01")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    for method in ("put", "patch", "delete", "post"):
        routed = getattr(api_client, method)("/api/v1/municipalities/", HTTP_IDEMPOTENCY_KEY=" ")
        assert routed.status_code == 405, method
    assert not IdempotencyRecord.objects.exists()


def test_a_method_the_path_does_not_serve_is_405_with_a_used_key(api_client, make_user):
    """The key of an earlier call is no 409 for a method nothing serves: 405, nothing kept."""
    user = make_user()
    assert obtain(api_client, user.username, "k-used").status_code == 200
    response = api_client.put(TOKEN_URL, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-used")
    assert response.status_code == 405
    routed = api_client.put("/api/v1/municipalities/", HTTP_IDEMPOTENCY_KEY="k-used")
    assert routed.status_code == 405
    missing = api_client.post("/api/v1/no-such-thing/", HTTP_IDEMPOTENCY_KEY="k-used")
    assert missing.status_code == 404
    assert IdempotencyRecord.objects.count() == 1


def test_a_malformed_key_outside_the_api_views_is_refused_before_the_view(db, settings):
    """A plain Django view under /api/ cannot check the key itself: the middleware refuses it."""
    from django.http import JsonResponse
    from django.test import Client
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    ran = []

    @csrf_exempt
    def plain(request):
        ran.append(request.method)
        return JsonResponse({})

    class Urls:
        urlpatterns = [path("api/v1/plain/", plain)]

    settings.ROOT_URLCONF = Urls
    client = Client()
    refused = client.post("/api/v1/plain/", HTTP_IDEMPOTENCY_KEY="")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_idempotency_key"
    assert ran == []
    assert client.post("/api/v1/plain/", HTTP_IDEMPOTENCY_KEY="k").status_code == 200
    assert ran == ["POST"]


def _api_views():
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback

    return [
        (route, view)
        for route, view in walk(get_resolver().url_patterns, "")
        if route.startswith("api/")
    ]


def test_every_api_view_checks_the_key_after_its_own_checks():
    """Each view under /api/ runs IdempotencyKeyCheck in `initial()` (no view replaced its
    throttle classes); otherwise the middleware would answer 400 before 401/403/405."""
    views = _api_views()
    assert len(views) > 100
    for route, view in views:
        assert checks_the_key_itself(view), route
        instance = view.cls(**getattr(view, "initkwargs", {}))
        assert any(isinstance(t, IdempotencyKeyCheck) for t in instance.get_throttles()), route


def test_every_write_refuses_a_malformed_key_without_running(api_client, make_user):
    """Every mutating operation of the schema, sent by a superuser (past every view's
    permissions) with a malformed key: 400 from the check, never the handler's answer."""
    api_client.force_authenticate(make_user(is_superuser=True, is_staff=True))
    schema = served_schema()
    statuses = {}
    for path, item in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        for method in item:
            if method.upper() not in MUTATING:
                continue
            response = getattr(api_client, method)(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="")
            statuses[f"{method.upper()} {path}"] = response.status_code
    refused = {op for op, code in statuses.items() if code == 400}
    assert refused == set(statuses), {op: c for op, c in statuses.items() if op not in refused}
    assert not IdempotencyRecord.objects.exists()


def test_reads_and_pages_ignore_the_header(client, db):
    assert client.get("/api/v1/municipalities/", HTTP_IDEMPOTENCY_KEY="k").status_code == 200
    assert not IdempotencyRecord.objects.exists()


def test_the_schema_documents_the_header_on_writes(client, db):
    schema = client.get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    get = schema["paths"]["/api/v1/municipalities/"]["get"]
    assert all(p["name"] != "Idempotency-Key" for p in get.get("parameters", []))


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_take_effect_once():
    import threading

    from django.db import connection
    from rest_framework.test import APIClient

    from pfdo.accounts.tests.factories import UserFactory

    user = UserFactory()
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def call():
        try:
            barrier.wait()
            statuses.append(obtain(APIClient(), user.username, "race").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ApiToken.objects.filter(user=user).count() == 1
    assert sorted(set(statuses)) <= [200, 409]
    assert 200 in statuses
