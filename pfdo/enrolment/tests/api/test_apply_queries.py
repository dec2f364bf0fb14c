"""The September rush's one call, by its queries: a parent's application over the API with a
bearer token (scripts/bench_rush.py measures it over HTTP). Every query is a round trip
while the group's applicants wait: a change that adds one must change this count on purpose
(docs/decisions.md, "The September rush over HTTP")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pfdo.accounts import services as accounts
from pfdo.enrolment.models import Application
from pfdo.enrolment.tests.api.support import APPLICATIONS, apply_body
from pfdo.enrolment.tests.factories import family, ready_group

pytestmark = pytest.mark.django_db

# The token and its user, the roles; the group (its schedule) and the certificate (its
# guardian) the request names; the transaction (a SAVEPOINT here, BEGIN served): the
# certificate locked, the child's live applications (already applied; the schedule clash's
# other groups), the provider's limits, the period, the certificate's account, its active
# contracts (the continuation earmark), the group locked, the seat taken, the application,
# then its history, the action log and the notice in one round trip (`common.batch`); the
# end of the transaction (the answer is made from what the filing read, not read again).
# 31 before issue 15, 23 after its first round; the guardian asked once per request, the
# live applications read once and the answer not read back: 20; the three rows after the
# application written together, the group's lock held two round trips less: 18.
HELD_QUERIES = 18
# A full group: no seat UPDATE; the waitlist position counted for the notice.
WAITLISTED_QUERIES = 18


def _post(client, fam, group):
    fam.parent.must_change_password = False  # an issued first password would be 403
    fam.parent.save(update_fields=["must_change_password"])
    token = accounts.issue_api_token(user=fam.parent)[1]
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            APPLICATIONS,
            apply_body(fam, group),
            format="json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert response.status_code == 201, response.content
    body, sql = response.json(), [q["sql"] for q in queries.captured_queries]
    # The answer made without reading the row back is the row as read back.
    again = client.get(f"{APPLICATIONS}{body['id']}/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert again.status_code == 200, again.content
    assert again.json() == body
    return body, sql


def test_an_application_takes_a_fixed_number_of_queries(api_client, vorkuta, operator, period):
    warm, group = ready_group(vorkuta), ready_group(vorkuta, capacity=1)
    _post(api_client, family(vorkuta, operator), warm)  # per-process caches filled
    held, held_sql = _post(api_client, family(vorkuta, operator), group)
    waiting, waiting_sql = _post(api_client, family(vorkuta, operator), group)

    assert held["status"] == Application.Status.NEW
    assert (waiting["status"], waiting["waitlist_position"]) == (Application.Status.WAITLISTED, 1)
    assert len(held_sql) == HELD_QUERIES, "\n".join(held_sql)
    assert len(waiting_sql) == WAITLISTED_QUERIES, "\n".join(waiting_sql)
    # A full group is locked and read, never updated.
    seat = [s for s in waiting_sql if s.startswith('UPDATE "catalog_group"')]
    assert seat == []
    # After the application's INSERT, one round trip carries its history, the action log
    # and the parent's notice.
    batch = [s for s in held_sql if s.startswith('INSERT INTO "enrolment_historicalapplication"')]
    assert len(batch) == 1
    assert 'INSERT INTO "audit_actionlog"' in batch[0]
    assert 'INSERT INTO "accounts_notification"' in batch[0]
