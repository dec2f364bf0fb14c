"""`common.batch.insert_rows`: several models' new rows in one round trip on PostgreSQL, one
by one elsewhere; each row's primary key set, a broken constraint raised as by the ORM."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from pfdo.accounts.models import Notification
from pfdo.audit.models import ActionLog
from pfdo.common.batch import insert_rows

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_rows_of_several_models_are_written_with_their_keys(operator, vorkuta):
    log = ActionLog(actor=operator, action="test.batch", municipality=vorkuta, details={"a": 1})
    note = Notification(user=operator, subject="Тема", body="Текст")
    with CaptureQueriesContext(connection) as queries:
        insert_rows([log, note])

    expected = 1 if connection.vendor == "postgresql" else 2
    assert len(queries.captured_queries) == expected
    assert log.pk and note.pk and not log._state.adding and not note._state.adding
    assert ActionLog.objects.get(pk=log.pk).details == {"a": 1}
    assert Notification.objects.get(pk=note.pk).subject == "Тема"


def test_a_broken_constraint_raises_and_writes_nothing(operator):
    good = Notification(user=operator, subject="Есть")
    bad = Notification(user=operator, subject=None)  # NOT NULL
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([good, bad])
    assert not Notification.objects.filter(subject="Есть").exists()
