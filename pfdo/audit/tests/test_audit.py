"""The audit log is append-only, scoped per role and never holds raw identifiers."""

import re

import pytest
from django.db import DatabaseError, connection, transaction

from pfdo.audit import services
from pfdo.audit.models import ActionLog, PersonalDataAccess
from pfdo.common import context
from pfdo.common.times import MOMENT_PATTERN
from pfdo.territory.tests.factories import MunicipalityFactory

pytestmark = pytest.mark.sqlite  # also in the SQLite pass of `make test`


@pytest.fixture
def row(make_user, vorkuta):
    actor = make_user("operator", municipality=vorkuta)
    return services.record(actor=actor, action="test.done", obj=vorkuta, municipality=vorkuta)


def test_record_stores_actor_object_time_and_ip(make_user, vorkuta):
    actor = make_user("operator", municipality=vorkuta)
    with context.bound(context.RequestContext(ip="10.1.2.3")):
        entry = services.record(
            actor=actor, action="x.y", obj=vorkuta, municipality=vorkuta, details={"n": 1}
        )
    entry.refresh_from_db()
    assert entry.actor == actor
    assert entry.object_type == "territory.municipality"
    assert entry.object_id == str(vorkuta.pk)
    assert entry.object_repr == "Воркута"
    assert entry.ip == "10.1.2.3"
    assert entry.details == {"n": 1}
    assert entry.at.utcoffset().total_seconds() == 0


def test_rows_cannot_be_changed_or_deleted_through_the_orm(row):
    row.action = "tampered"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        ActionLog.objects.filter(pk=row.pk).update(action="tampered")
    with pytest.raises(PermissionError):
        ActionLog.objects.filter(pk=row.pk).delete()
    assert ActionLog.objects.get(pk=row.pk).action == "test.done"


def test_database_refuses_update_even_in_raw_sql(row):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_actionlog SET action = 'tampered' WHERE id = %s", [row.pk])
    assert ActionLog.objects.get(pk=row.pk).action == "test.done"


@pytest.mark.postgres_only
def test_postgres_refuses_delete_in_raw_sql(row):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_actionlog WHERE id = %s", [row.pk])
    assert ActionLog.objects.filter(pk=row.pk).exists()


@pytest.mark.parametrize("key", ["snils", "document_number", "password", "SNILS"])
def test_raw_identifiers_and_secrets_are_refused_in_details(make_user, key):
    with pytest.raises(services.UnsafeAuditDetails):
        services.record(actor=None, action="x", details={"child": {key: "123"}})
    assert not ActionLog.objects.filter(action="x").exists()


def test_action_log_scope_per_role(make_user, vorkuta, region):
    other = MunicipalityFactory(region=region)
    operator = make_user("operator", municipality=vorkuta)
    regional = make_user("regional_admin", region=region)
    parent = make_user("parent", municipality=vorkuta)
    own = services.record(actor=parent, action="parent.did", municipality=vorkuta)
    here = services.record(actor=None, action="system.here", municipality=vorkuta)
    there = services.record(actor=None, action="system.there", municipality=other)

    assert set(ActionLog.objects.for_user(operator)) == {own, here}
    assert set(ActionLog.objects.for_user(regional)) >= {own, here, there}
    assert set(ActionLog.objects.for_user(parent)) == {own}
    assert set(ActionLog.objects.for_user(make_user(is_superuser=True))) >= {own, here, there}
    from django.contrib.auth.models import AnonymousUser

    assert not ActionLog.objects.for_user(AnonymousUser()).exists()


def test_personal_data_access_log_scope(make_user, vorkuta, region):
    operator = make_user("operator", municipality=vorkuta)
    parent = make_user("parent", municipality=vorkuta)
    entry = services.log_personal_data_access(
        actor=operator, subject=parent, purpose="view_user_card", municipality=vorkuta
    )
    assert entry.subject_type == "accounts.user"
    assert entry.subject_id == str(parent.pk)
    assert list(PersonalDataAccess.objects.for_user(operator)) == [entry]
    assert not PersonalDataAccess.objects.for_user(parent).exists()
    other_operator = make_user("operator", municipality=MunicipalityFactory(region=region))
    assert not PersonalDataAccess.objects.for_user(other_operator).exists()


def test_action_codes_have_russian_labels_on_pages(client, make_user, vorkuta):
    from pfdo.audit.labels import label

    assert label("accounts.login") == "Вход"
    assert label("unknown.code") == "unknown.code"
    operator = make_user("operator", municipality=vorkuta)
    services.record(actor=operator, action="accounts.login", municipality=vorkuta)
    client.force_login(operator)
    text = client.get("/cabinet/audit/").content.decode()
    assert '<td title="accounts.login">Вход</td>' in text


def test_api_time_filter_accepts_any_python_offset(api_client, make_user, vorkuta):
    """+23:42 is a valid ISO offset but out of PostgreSQL's range: compared in UTC instead."""
    operator = make_user("operator", municipality=vorkuta)
    services.record(actor=operator, action="x.old", municipality=vorkuta)
    api_client.force_authenticate(operator)
    response = api_client.get("/api/v1/audit/actions/", {"since": "0117-06-09T23:54:52+23:42"})
    assert response.status_code == 200
    assert response.json()["count"] >= 1
    future = api_client.get("/api/v1/audit/actions/", {"since": "2999-01-01T00:00:00+23:42"})
    assert future.json()["count"] == 0
    # An empty value is no filter (the schema's allowEmptyValue).
    empty = api_client.get("/api/v1/audit/actions/", {"since": "", "until": ""})
    assert empty.status_code == 200 and empty.json()["count"] == response.json()["count"]


@pytest.mark.parametrize("moment", ["0001-01-01T00:05:48+05:00", "not-a-date"])
def test_api_time_filter_refuses_moments_utc_cannot_hold(api_client, make_user, vorkuta, moment):
    api_client.force_authenticate(make_user("operator", municipality=vorkuta))
    response = api_client.get("/api/v1/audit/actions/", {"until": moment})
    assert response.status_code == 400
    assert "until" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("moment", "taken"),
    [
        ("2026-09-01T08:00", True),  # what the audit page's datetime-local input sends
        ("2026-09-01T08:00:30", True),
        ("2026-09-01T08:00:30.250", True),
        ("2026-09-01T05:00:00Z", True),
        ("2026-09-01T08:00+03:00", True),
        ("2026-09-01", False),  # a bare day: Python's parser takes it, the pattern does not
        ("2026-09-01 08:00", False),
        ("20260901T0800", False),
        ("2026-09-01T08:00:00+0300", False),
        ("٢٠٢٦-09-01T08:00", False),  # non-ASCII digits
        ("2026-09-01T08:00\n", False),
        ("0000-00-00T00:00", False),  # what the fuzz sent: no year 0, no month 0
        ("2026-13-01T00:00", False),
    ],
)
def test_api_moment_filter_takes_exactly_its_declared_pattern(
    api_client, make_user, vorkuta, moment, taken
):
    """`since`/`until` are declared as a string with MOMENT_PATTERN (not `date-time`, which
    needs the seconds and the offset the page does not send); the server takes exactly that."""
    assert bool(re.fullmatch(MOMENT_PATTERN, moment)) is taken
    api_client.force_authenticate(make_user("operator", municipality=vorkuta))
    response = api_client.get("/api/v1/audit/actions/", {"since": moment})
    if taken:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 400, response.content
        assert set(response.json()["error"]["fields"]) == {"since"}
    schema = api_client.get("/api/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/audit/actions/"]["get"]["parameters"]
    since = next(p for p in parameters if p["name"] == "since")["schema"]
    assert since == {"type": "string", "pattern": MOMENT_PATTERN}


def test_api_moment_filter_names_a_day_the_calendar_lacks(api_client, make_user, vorkuta):
    """What a pattern cannot say gets a message of its own: a 30 February matches it."""
    api_client.force_authenticate(make_user("operator", municipality=vorkuta))
    assert re.fullmatch(MOMENT_PATTERN, "2026-02-30T10:00")
    response = api_client.get("/api/v1/audit/actions/", {"until": "2026-02-30T10:00"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["until"] == ["Такого дня нет в календаре."]
