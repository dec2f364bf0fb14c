"""API authentication: tokens, the current user, password change, lockout, error bodies."""

from datetime import timedelta

import pytest

from pfdo.accounts import services
from pfdo.accounts.models import ApiToken
from pfdo.accounts.tests.factories import PASSWORD
from pfdo.common import clock
from pfdo.common.tests.served_schema import assert_answer_matches_schema, served_schema

TOKEN_URL = "/api/v1/auth/token/"


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def obtain(api_client, login, password):
    return api_client.post(TOKEN_URL, {"login": login, "password": password}, format="json")


def test_token_for_login_and_password(api_client, make_user, vorkuta):
    user = make_user("operator", municipality=vorkuta)
    response = obtain(api_client, user.username, PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token"].startswith("pfdo_")
    assert body["user"]["login"] == user.username
    assert body["user"]["memberships"] == [
        {
            "role": "operator",
            "role_display": "Оператор муниципалитета",
            "municipality": "vorkuta",
            "region": None,
            "is_provider_admin": False,
        }
    ]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    me = api_client.get("/api/v1/auth/me/")
    assert me.status_code == 200 and me.json()["id"] == user.pk


def test_wrong_password_and_unknown_login_look_the_same(api_client, make_user):
    make_user(username="known")
    wrong = assert_error(obtain(api_client, "known", "nope"), 400, "invalid_credentials")
    unknown = assert_error(obtain(api_client, "unknown", "nope"), 400, "invalid_credentials")
    assert wrong == unknown


def test_missing_fields_give_field_messages(api_client, db):
    error = assert_error(api_client.post(TOKEN_URL, {}, format="json"), 400, "validation_error")
    assert set(error["fields"]) == {"login", "password"}
    assert all(isinstance(m, list) and m for m in error["fields"].values())


def test_malformed_json_is_a_400_with_the_error_body(api_client, db):
    response = api_client.post(TOKEN_URL, data="{bad json", content_type="application/json")
    assert_error(response, 400, "malformed_request")


def test_lockout_over_the_api(api_client, make_user, settings):
    make_user(username="target")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert obtain(api_client, "target", "bad").status_code == 400
    response = obtain(api_client, "target", "bad")
    error = assert_error(response, 429, "locked_out")
    assert "Повторите после" in error["message"]
    assert int(response["Retry-After"]) > 0
    assert_error(obtain(api_client, "target", PASSWORD), 429, "locked_out")


def test_no_token_is_401_with_www_authenticate(api_client, db):
    response = api_client.get("/api/v1/auth/me/")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer pfdo_forged", "Bearer", "Bearer a b", "Token zzz"])
def test_bad_tokens_are_401(api_client, db, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(api_client.get("/api/v1/auth/me/"), 401, "authentication_failed")


def test_expired_token_is_refused(api_client, make_user):
    token, raw = services.issue_api_token(user=make_user())
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with clock.frozen(token.expires_at + timedelta(minutes=1)):
        assert_error(api_client.get("/api/v1/auth/me/"), 401, "authentication_failed")


def test_revoke_token(api_client, make_user):
    _, raw = services.issue_api_token(user=make_user())
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api_client.delete(TOKEN_URL).status_code == 204
    assert not ApiToken.objects.exists()
    assert_error(api_client.get("/api/v1/auth/me/"), 401, "authentication_failed")


def test_issued_password_must_be_changed_before_other_calls(api_client, db):
    _, issued = services.create_user(actor=None, username="fresh", password=None)
    raw = obtain(api_client, "fresh", issued).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api_client.get("/api/v1/auth/me/").json()["must_change_password"] is True
    assert_error(api_client.get("/api/v1/audit/actions/"), 403, "password_change_required")
    weak = api_client.post(
        "/api/v1/auth/password/", {"old_password": issued, "new_password": "1"}, format="json"
    )
    assert "new_password" in assert_error(weak, 400, "validation_error")["fields"]
    done = api_client.post(
        "/api/v1/auth/password/",
        {"old_password": issued, "new_password": "Pechora-River-5"},
        format="json",
    )
    assert done.status_code == 204
    # Changing the password revoked the token it was made with: log in again.
    assert_error(api_client.get("/api/v1/auth/me/"), 401, "authentication_failed")
    fresh = obtain(api_client, "fresh", "Pechora-River-5").json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {fresh}")
    assert api_client.get("/api/v1/audit/actions/").status_code == 200


def test_session_authentication_works_for_the_browser(client, make_user):
    user = make_user()
    client.force_login(user)
    assert client.get("/api/v1/auth/me/").json()["login"] == user.username


def test_audit_api_is_scoped(api_client, make_user, vorkuta):
    from pfdo.audit import services as audit

    parent = make_user("parent", municipality=vorkuta)
    operator = make_user("operator", municipality=vorkuta)
    audit.record(actor=parent, action="parent.own", municipality=vorkuta)
    audit.record(actor=None, action="system.vorkuta", municipality=vorkuta)
    api_client.force_authenticate(parent)
    seen = {row["action"] for row in api_client.get("/api/v1/audit/actions/").json()["results"]}
    assert seen == {"parent.own"}
    api_client.force_authenticate(operator)
    body = api_client.get("/api/v1/audit/actions/", {"action": "system."}).json()
    assert body["count"] == 1 and body["results"][0]["action"] == "system.vorkuta"


def test_a_replayed_token_answer_is_null_and_matches_the_schema(api_client, make_user, vorkuta):
    """The token is shown once: a replay (same key, same body) answers the same status and body
    with `token` null and Idempotent-Replayed: true — as the served schema declares."""
    user = make_user("operator", municipality=vorkuta)
    body = {"login": user.username, "password": PASSWORD}
    first = api_client.post(TOKEN_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="tok-1")
    again = api_client.post(TOKEN_URL, body, format="json", HTTP_IDEMPOTENCY_KEY="tok-1")
    assert first.status_code == again.status_code == 200
    assert first.json()["token"] and again.json()["token"] is None
    assert again.json() == {**first.json(), "token": None}
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    schema = served_schema()
    for response in (first, again):
        assert_answer_matches_schema(schema, "POST", TOKEN_URL, response)
    assert ApiToken.objects.filter(user=user).count() == 1


def test_a_malformed_key_on_revoking_is_401_without_the_token(api_client, db):
    assert_error(api_client.delete(TOKEN_URL, HTTP_IDEMPOTENCY_KEY=""), 401, "not_authenticated")
