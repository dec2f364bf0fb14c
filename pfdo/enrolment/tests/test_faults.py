"""The database connection terminated (`pg_terminate_backend`) in the middle of an enrolment
over the API: nothing partial is left, the ledger verifies, and the retry with the same
Idempotency-Key completes exactly once.

The cut is made at the SQL level (an execute wrapper on the request's connection), so it does
not depend on how the services are arranged: right after the application's row is written
while the group's row is locked (applying), and right after the first reservation of the
contract's months is written (accepting).
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import OperationalError, connection, connections
from rest_framework.test import APIClient

from pfdo.accounts import services as accounts
from pfdo.accounts.models import User
from pfdo.common import clock
from pfdo.common.models import IdempotencyRecord
from pfdo.enrolment import services
from pfdo.enrolment.models import Application, Contract
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.enrolment.tests.test_races import seats_and_holders
from pfdo.ledger.models import Transfer
from pfdo.ledger.selectors import verify_ledger

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(TODAY):
        yield


def bearer(user) -> str:
    User.objects.filter(pk=user.pk).update(must_change_password=False)
    return f"Bearer {accounts.issue_api_token(user=user)[1]}"


class Cut:
    """Runs a request in a thread of its own; when its connection has executed a statement
    starting with `after`, the thread stops there (its transaction open) until `terminate`
    ends its backend, and then goes on — into a dead connection."""

    def __init__(self, after: str, request):
        self.after, self.request = after, request
        self.pid: int | None = None
        self.inside, self.cut = threading.Event(), threading.Event()
        self.response = None
        self.thread = threading.Thread(target=self._run)

    def _hook(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if self.pid is None and sql.lstrip().upper().startswith(self.after):
            self.pid = context["connection"].connection.info.backend_pid
            self.inside.set()
            assert self.cut.wait(timeout=30)
        return result

    def _run(self):
        try:
            with connection.execute_wrapper(self._hook):
                self.response = self.request()
        finally:
            connections.close_all()

    def start(self) -> None:
        self.thread.start()
        assert self.inside.wait(timeout=60), "the request never reached the statement"

    def terminate(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [self.pid])
            assert cursor.fetchone()[0] is True
        self.cut.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()


def post(path: str, auth: str, body: dict | None):
    return lambda: APIClient(raise_request_exception=False).post(
        path, body, format="json", HTTP_AUTHORIZATION=auth, HTTP_IDEMPOTENCY_KEY="fault-key"
    )


def group_locked(group_id: int) -> bool:
    """Whether another transaction holds the group's row lock (seen from this connection)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                "SELECT 1 FROM catalog_group WHERE id = %s FOR UPDATE NOWAIT", [group_id]
            )
    except OperationalError:
        return True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ROLLBACK")
    return False


def test_connection_terminated_while_applying_leaves_nothing_and_the_retry_applies_once(
    vorkuta, operator
):
    approved_period(vorkuta)
    fam = family(vorkuta, operator)
    group = ready_group(vorkuta, capacity=1)
    auth = bearer(fam.parent)
    body = {"certificate": fam.certificate.pk, "group": group.pk, "copay_agreed": False}
    request = post("/api/v1/applications/", auth, body)

    cut = Cut('INSERT INTO "ENROLMENT_APPLICATION"', request)
    cut.start()
    # The application is written, the group's place taken and its row locked: the cut.
    assert group_locked(group.pk)
    cut.terminate()

    assert cut.response.status_code == 500
    # Nothing of it stayed: no application, no place held, the key let go for the retry.
    assert not Application.objects.filter(child=fam.child).exists()
    assert seats_and_holders(group.pk) == (0, 0)
    assert not group_locked(group.pk)
    assert not IdempotencyRecord.objects.filter(key="fault-key").exists()
    assert verify_ledger() == []

    retry = request()
    assert retry.status_code == 201, retry.content
    assert retry.json()["status"] == Application.Status.NEW
    again = request()
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Application.objects.filter(child=fam.child).count() == 1
    assert seats_and_holders(group.pk) == (1, 1)
    assert verify_ledger() == []


def test_connection_terminated_while_accepting_reserves_nothing_and_the_retry_accepts_once(
    vorkuta, operator
):
    approved_period(vorkuta)
    fam = family(vorkuta, operator)
    group = ready_group(vorkuta)
    application = services.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    offer = services.confirm(actor=staff_of(group.module.program.provider), application=application)
    reserves = Transfer.objects.filter(
        kind=Transfer.Kind.RESERVE, ref_type="contract", ref_id=offer.pk
    )
    request = post(f"/api/v1/contracts/{offer.pk}/accept/", bearer(fam.parent), None)

    cut = Cut('INSERT INTO "LEDGER_TRANSFER"', request)
    cut.start()  # the first month's reservation is written, six to go
    cut.terminate()

    assert cut.response.status_code == 500
    offer.refresh_from_db()
    assert offer.status == Contract.Status.OFFERED
    assert not reserves.exists()
    assert not offer.months.exclude(reservation_id=None).exists()
    assert not IdempotencyRecord.objects.filter(key="fault-key").exists()
    assert verify_ledger() == []

    retry = request()
    assert retry.status_code == 200, retry.content
    assert retry.json()["status"] == Contract.Status.ACTIVE
    assert request()["Idempotent-Replayed"] == "true"
    offer.refresh_from_db()
    assert offer.status == Contract.Status.ACTIVE
    assert reserves.count() == 7
    assert verify_ledger() == []
