"""A web worker killed in the middle of a request that writes (issue 15, faults).

A parent applies for a place over the API with an Idempotency-Key, served by gunicorn with the
production settings. The test holds the group's row lock, so the request stops inside its
transaction; the worker handling it is killed with SIGKILL. Afterwards: the client got no
answer; the site answers (the master started a new worker); nothing of the request is left
(no application, no transfer, the ledger agrees); a retry while the dead request's database
session still lingers is told to wait, and once it is gone the retry with the same key applies
exactly once, and a further repeat replays that answer.

Serial (gunicorn, committed rows): PostgreSQL's serial pass of `make test`.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import signal
import threading
import time

import psycopg
import pytest
from django.db import connection

from pfdo.accounts import services as accounts
from pfdo.accounts.models import User
from pfdo.catalog.models import Group
from pfdo.common import clock
from pfdo.common.models import IdempotencyRecord
from pfdo.enrolment.models import Application
from pfdo.enrolment.tests.factories import approved_period, family, ready_group
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import verify_ledger
from tests.served import served

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 11, 28)
KEY = "apply-once-7f3c"


def post(base: str, path: str, body: dict, headers: dict) -> tuple[int, dict, dict]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.request(
        "POST", path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers}
    )
    response = conn.getresponse()
    content = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), json.loads(content or b"{}")


def get_status(base: str, path: str) -> int:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request("GET", path)
    status = conn.getresponse().status
    conn.close()
    return status


def libpq() -> dict:
    db = connection.settings_dict
    params = {
        "dbname": db["NAME"],
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"],
    }
    return {k: v for k, v in params.items() if v}


def wait_for(condition, what: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def backends_waiting_on_a_lock(watcher) -> list[int]:
    rows = watcher.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    ).fetchall()
    return [pid for (pid,) in rows]


def backend_alive(watcher, pid: int) -> bool:
    row = watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return row is not None


@pytest.fixture
def world(vorkuta, operator):
    with clock.frozen(TODAY):
        approved_period(vorkuta)
        group = ready_group(vorkuta, capacity=10)
        fam = family(vorkuta, operator)
    User.objects.filter(pk=fam.parent.pk).update(must_change_password=False)
    token = accounts.issue_api_token(user=fam.parent)[1]
    return fam, group, {"Authorization": f"Bearer {token}", "Idempotency-Key": KEY}


def test_a_web_worker_killed_mid_request_leaves_nothing_and_the_retry_applies_once(world):
    fam, group, headers = world
    body = {"certificate": str(fam.certificate.pk), "group": group.pk}
    transfers_before = Transfer.objects.count()
    server = served(workers=1, PFDO_TODAY=TODAY.isoformat())
    with (
        server as base,
        psycopg.connect(**libpq(), autocommit=True) as watcher,
        psycopg.connect(**libpq()) as holder,
    ):
        # The group's row lock, held by the test: the request stops inside its transaction.
        holder.execute(
            f"SELECT id FROM {Group._meta.db_table} WHERE id = %s FOR UPDATE",  # noqa: S608 - a model's table name
            [group.pk],
        )
        outcome: list = []

        def first_attempt():
            try:
                outcome.append(post(base, "/api/v1/applications/", body, headers))
            except Exception as exc:  # the outcome is asserted below
                outcome.append(exc)

        client = threading.Thread(target=first_attempt)
        client.start()
        [stuck] = wait_for(lambda: backends_waiting_on_a_lock(watcher), "the request to block")
        claim = IdempotencyRecord.objects.get(key=KEY)
        assert claim.status_code is None  # the key is claimed, the request is running

        [worker] = server.workers_pids()
        os.kill(worker, signal.SIGKILL)
        client.join(timeout=30)
        assert not client.is_alive()
        [lost] = outcome
        assert isinstance(lost, (http.client.RemoteDisconnected, ConnectionError)), lost

        # The master starts a new worker: the site answers.
        assert wait_for(lambda: _answers(base), "a new worker") == 200
        [replacement] = server.workers_pids()
        assert replacement != worker

        # The dead request's database session still waits for the lock: a retry now must not
        # run the application a second time beside it.
        status, _, answer = post(base, "/api/v1/applications/", body, headers)
        assert status == 409 and answer["error"]["code"] == "idempotency_in_progress", answer

        holder.rollback()  # the lock goes; the orphaned session finds its client gone
        wait_for(lambda: not backend_alive(watcher, stuck), "the orphaned session to end")

        # No partial state.
        assert not Application.objects.filter(certificate=fam.certificate).exists()
        assert Transfer.objects.count() == transfers_before
        assert verify_ledger() == []

        # The retry with the same key applies exactly once; a repeat replays its answer.
        status, sent_headers, applied = post(base, "/api/v1/applications/", body, headers)
        assert status == 201, applied
        assert "Idempotent-Replayed" not in sent_headers
        status, replay_headers, replayed = post(base, "/api/v1/applications/", body, headers)
        assert status == 201 and replay_headers.get("Idempotent-Replayed") == "true"
        assert replayed == applied

    [application] = Application.objects.filter(certificate=fam.certificate)
    assert application.pk == applied["id"] and application.group_id == group.pk
    record = IdempotencyRecord.objects.get(key=KEY)
    assert record.status_code == 201
    assert verify_ledger() == []


def _answers(base: str) -> int | None:
    try:
        return get_status(base, "/")
    except OSError:
        return None
