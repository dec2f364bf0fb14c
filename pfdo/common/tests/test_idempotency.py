"""Idempotency-Key on mutating API calls: one effect, the first answer repeated, 409 on misuse."""

import contextlib
from datetime import timedelta

import psycopg
import pytest
from django.db import connection

from pfdo.accounts.models import ApiToken
from pfdo.accounts.tests.factories import PASSWORD
from pfdo.common import clock
from pfdo.common.idempotency import _KeyLock
from pfdo.common.models import IdempotencyRecord

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


@pytest.mark.parametrize("key", ["", "x" * 201, "bad\x01key"])
def test_malformed_keys_are_400(api_client, make_user, key):
    user = make_user()
    response = obtain(api_client, user.username, key)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert not ApiToken.objects.exists()


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
