"""API of the provider registry: public reads, application, card, decisions, staff, errors."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from pfdo.accounts.models import User
from pfdo.audit.models import ActionLog
from pfdo.common import clock
from pfdo.common.models import IdempotencyRecord
from pfdo.common.tests.served_schema import assert_answer_matches_schema, served_schema
from pfdo.providers.models import Provider, ProviderStaff
from pfdo.providers.services import DUPLICATE_INN
from pfdo.providers.tests.factories import (
    VALID_ACCOUNT,
    ProviderFactory,
    add_staff,
    ip_profile,
    make_inn10,
    org_profile,
)

URL = "/api/v1/providers/"
Status = Provider.Status


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def application(**overrides):
    body = {
        "municipality": "vorkuta",
        **{k: v for k, v in org_profile().items()},
        "staff_login": "polar-admin",
        "staff_password": "Polar-Code-2026",
        "staff_last_name": "Морозов",
        "staff_first_name": "Дмитрий",
        "staff_email": "morozov@example.org",
    }
    body.update(overrides)
    return body


# ---------------------------------------------------------------- public reads


def test_public_list_shows_registry_providers_without_bank_details(api_client, vorkuta):
    active = ProviderFactory(
        municipality=vorkuta, bank_name="Банк", bik="048702640", settlement_account=VALID_ACCOUNT
    )
    checking = ProviderFactory(municipality=vorkuta, status=Status.NEEDS_CHECK)
    for status in (Status.UNDER_REVIEW, Status.REJECTED, Status.EXCLUDED):
        ProviderFactory(municipality=vorkuta, status=status)
    response = api_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {row["id"] for row in body["results"]} == {active.pk, checking.pk}
    row = next(r for r in body["results"] if r["id"] == active.pk)
    assert row["confidential"] is None
    assert VALID_ACCOUNT not in response.content.decode()
    assert row["inn"] == active.inn and row["municipality"] == "vorkuta"
    assert row["accepts_enrolments"] is True
    assert next(r for r in body["results"] if r["id"] == checking.pk)["accepts_enrolments"] is False


def test_filters(api_client, vorkuta, inta):
    robot = ProviderFactory(municipality=vorkuta, short_name="Полярный код", legal_form="ngo")
    ProviderFactory(municipality=vorkuta, short_name="ДДТ")
    checking = ProviderFactory(municipality=vorkuta, status=Status.NEEDS_CHECK)
    foreign = ProviderFactory(municipality=inta)
    ids = lambda **q: {r["id"] for r in api_client.get(URL, q).json()["results"]}  # noqa: E731
    assert foreign.pk not in ids(municipality="vorkuta")
    assert ids(municipality="inta") == {foreign.pk}
    assert ids(q="полярный") == {robot.pk}
    assert ids(q=robot.inn) == {robot.pk}
    assert ids(legal_form="ngo") == {robot.pk}
    assert ids(status="needs_check") == {checking.pk}
    error = assert_error(api_client.get(URL, {"status": "bogus"}), 400, "validation_error")
    assert "status" in error["fields"]


@pytest.mark.parametrize(
    ("status", "code"), [(Status.ACTIVE, 200), (Status.UNDER_REVIEW, 404), (Status.EXCLUDED, 404)]
)
def test_public_retrieve(api_client, vorkuta, status, code):
    provider = ProviderFactory(municipality=vorkuta, status=status)
    response = api_client.get(f"{URL}{provider.pk}/")
    assert response.status_code == code
    if code == 404:
        assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("parent", False),
        ("stranger_admin", False),
        ("member", True),
        ("admin", True),
        ("operator", True),
        ("payer", True),
        ("regional_admin", True),
        ("other_operator", False),
    ],
)
def test_bank_details_only_for_officials_and_own_staff(api_client, request, provider, who, sees):
    provider.bank_name, provider.bik, provider.settlement_account = (
        "Банк",
        "048702640",
        VALID_ACCOUNT,
    )
    provider.status_reason = "Проверено"
    provider.save()
    response = as_user(api_client, request.getfixturevalue(who)).get(f"{URL}{provider.pk}/")
    confidential = response.json()["confidential"]
    if sees:
        assert confidential["settlement_account"] == VALID_ACCOUNT
        assert confidential["status_reason"] == "Проверено"
    else:
        assert confidential is None


def test_officials_and_staff_see_their_providers_under_review(api_client, operator, other_operator):
    pending = ProviderFactory(
        municipality=operator.memberships.get().municipality, status=Status.UNDER_REVIEW
    )
    assert as_user(api_client, operator).get(f"{URL}{pending.pk}/").status_code == 200
    assert as_user(api_client, other_operator).get(f"{URL}{pending.pk}/").status_code == 404


# ---------------------------------------------------------------- application


def test_anonymous_application(api_client, vorkuta):
    response = api_client.post(URL, application(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    provider = Provider.objects.get(pk=body["id"])
    assert provider.status == Status.UNDER_REVIEW and body["status"] == "under_review"
    assert "staff_password" not in body and "staff_login" not in body
    assert body["confidential"] is None  # the anonymous caller is not staff yet
    admin = ProviderStaff.objects.get(provider=provider).user
    assert admin.username == "polar-admin" and admin.check_password("Polar-Code-2026")


def test_ip_application(api_client, vorkuta):
    response = api_client.post(URL, application(**ip_profile(kpp="")), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["legal_form"] == "ip" and response.json()["licence_exempt"] is True


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"inn": "1103004514"}, "inn"),
        ({"ogrn": "1021103004516"}, "ogrn"),
        ({"legal_form": "ip"}, "inn"),
        ({"licence_number": ""}, "licence_number"),
        ({"settlement_account": "40702810932800009877"}, "settlement_account"),
        ({"staff_password": "123"}, "staff_password"),
        ({"staff_login": "bad login"}, "staff_login"),
        ({"municipality": "atlantis"}, "municipality"),
        ({"email": "nope"}, "email"),
        ({"full_name": ""}, "full_name"),
        ({"licence_exempt": True}, "licence_exempt"),
    ],
)
def test_bad_application_error_body(api_client, vorkuta, overrides, field):
    response = api_client.post(URL, application(**overrides), format="json")
    error = assert_error(response, 400, "validation_error")
    assert error["fields"][field] and all(isinstance(m, str) for m in error["fields"][field])
    assert not Provider.objects.exists()
    assert not User.objects.filter(username="polar-admin").exists()


def test_missing_fields_all_reported(api_client, vorkuta):
    error = assert_error(api_client.post(URL, {}, format="json"), 400, "validation_error")
    assert {"municipality", "inn", "ogrn", "staff_login", "staff_password"} <= set(error["fields"])


# ---------------------------------------------------------------- the admin's card


def test_admin_patches_the_card(api_client, provider, admin):
    response = as_user(api_client, admin).patch(
        f"{URL}{provider.pk}/", {"phone": "+7 900 1", "description": "Новое"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "+7 900 1"
    provider.refresh_from_db()
    assert provider.description == "Новое"


def test_locked_identity_error_body(api_client, provider, admin):
    response = as_user(api_client, admin).patch(
        f"{URL}{provider.pk}/", {"inn": make_inn10(999), "phone": "1"}, format="json"
    )
    error = assert_error(response, 409, "identity_locked")
    assert "После включения в реестр" in error["fields"]["inn"][0]
    provider.refresh_from_db()
    assert provider.phone != "1"
    # The lock answers before the card is checked as a whole: an ИП's form with the stored
    # 10-digit ИНН would be a 400 on `inn`, a state the client did not send.
    response = as_user(api_client, admin).patch(
        f"{URL}{provider.pk}/", {"legal_form": "ip"}, format="json"
    )
    error = assert_error(response, 409, "identity_locked")
    assert set(error["fields"]) == {"legal_form"}


def test_anothers_inn_is_a_conflict(api_client, vorkuta, pending):
    other = ProviderFactory(municipality=vorkuta, status=Status.UNDER_REVIEW)
    admin = add_staff(pending, is_admin=True).user
    response = as_user(api_client, admin).patch(
        f"{URL}{pending.pk}/", {"inn": other.inn}, format="json"
    )
    error = assert_error(response, 409, "duplicate_inn")
    assert error["fields"] == {"inn": [DUPLICATE_INN]}
    pending.refresh_from_db()
    assert pending.inn != other.inn


@pytest.mark.parametrize(
    ("who", "status"), [("member", 403), ("stranger_admin", 403), ("operator", 403)]
)
def test_others_may_not_patch(api_client, request, provider, who, status):
    response = as_user(api_client, request.getfixturevalue(who)).patch(
        f"{URL}{provider.pk}/", {"phone": "1"}, format="json"
    )
    assert_error(response, status, "permission_denied")


def test_anonymous_patch_needs_login(api_client, provider):
    assert_error(
        api_client.patch(f"{URL}{provider.pk}/", {"phone": "1"}, format="json"),
        401,
        "not_authenticated",
    )


def test_put_is_not_offered(api_client, provider, admin):
    assert (
        as_user(api_client, admin).put(f"{URL}{provider.pk}/", {}, format="json").status_code == 405
    )


# ---------------------------------------------------------------- decisions


def test_operator_includes_and_excludes(api_client, operator, pending):
    client = as_user(api_client, operator)
    response = client.post(f"{URL}{pending.pk}/include/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "active"
    response = client.post(f"{URL}{pending.pk}/needs-check/", {"reason": "Жалоба"}, format="json")
    assert response.json()["status"] == "needs_check"
    assert response.json()["confidential"]["status_reason"] == "Жалоба"
    assert (
        client.post(f"{URL}{pending.pk}/reinstate/", {}, format="json").json()["status"] == "active"
    )
    response = client.post(
        f"{URL}{pending.pk}/exclude/",
        {"reason": "Нарушения", "contracts": "run_to_end"},
        format="json",
    )
    assert response.json()["status"] == "excluded"
    assert response.json()["confidential"]["contracts_terminate_on"] is None
    actions = list(
        ActionLog.objects.filter(object_id=str(pending.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "providers.included",
        "providers.marked_needs_check",
        "providers.reinstated",
        "providers.excluded",
    ]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"reason": "Нарушения"}, "contracts", "Выберите, что будет"),
        ({"reason": "Нарушения", "contracts": "terminate"}, "terminate_on", "Укажите дату"),
        (
            {"reason": "Нарушения", "contracts": "terminate", "terminate_on": "2026-12-04"},
            "terminate_on",
            "не может быть в прошлом",
        ),
        (
            {"reason": "Нарушения", "contracts": "run_to_end", "terminate_on": "2026-12-20"},
            "terminate_on",
            "только если договоры расторгаются",
        ),
    ],
)
def test_exclusion_decision_errors_are_field_errors(
    api_client, operator, provider, body, field, message
):
    with clock.frozen(dt.date(2026, 12, 5)):
        response = as_user(api_client, operator).post(
            f"{URL}{provider.pk}/exclude/", body, format="json"
        )
    error = assert_error(response, 400, "validation_error")
    assert message in error["fields"][field][0]
    provider.refresh_from_db()
    assert provider.status == Status.ACTIVE


def test_exclusion_with_a_termination_date(api_client, operator, provider):
    with clock.frozen(dt.date(2026, 12, 5)):
        response = as_user(api_client, operator).post(
            f"{URL}{provider.pk}/exclude/",
            {"reason": "Нарушения", "contracts": "terminate", "terminate_on": "2026-12-05"},
            format="json",
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "excluded"
    assert body["confidential"]["contracts_terminate_on"] == "2026-12-05"


def test_reject_needs_a_reason(api_client, operator, pending):
    response = as_user(api_client, operator).post(f"{URL}{pending.pk}/reject/", {}, format="json")
    error = assert_error(response, 400, "validation_error")
    assert "reason" in error["fields"]
    pending.refresh_from_db()
    assert pending.status == Status.UNDER_REVIEW


def test_wrong_state_is_409(api_client, operator, provider):
    response = as_user(api_client, operator).post(f"{URL}{provider.pk}/include/", {}, format="json")
    assert_error(response, 409, "invalid_status")


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("parent", 403, "permission_denied"),
        ("admin", 403, "permission_denied"),
        ("payer", 403, "permission_denied"),
        ("other_operator", 404, "not_found"),  # not even visible to them
    ],
)
def test_others_may_not_decide(api_client, request, pending, who, status, code):
    user = request.getfixturevalue(who)
    if who == "admin":
        add_staff(pending, user=user)
    response = as_user(api_client, user).post(f"{URL}{pending.pk}/include/", {}, format="json")
    assert_error(response, status, code)
    pending.refresh_from_db()
    assert pending.status == Status.UNDER_REVIEW


def test_other_operator_may_not_decide_on_a_public_provider(api_client, other_operator, provider):
    response = as_user(api_client, other_operator).post(
        f"{URL}{provider.pk}/exclude/", {"reason": "x"}, format="json"
    )
    assert_error(response, 403, "permission_denied")
    provider.refresh_from_db()
    assert provider.status == Status.ACTIVE


def test_anonymous_decision_is_401(api_client, pending):
    assert_error(
        api_client.post(f"{URL}{pending.pk}/include/", {}, format="json"), 401, "not_authenticated"
    )


# ---------------------------------------------------------------- staff


def test_staff_list_and_add(api_client, provider, admin, member):
    client = as_user(api_client, admin)
    listed = client.get(f"{URL}{provider.pk}/staff/")
    assert listed.status_code == 200
    assert {row["login"] for row in listed.json()} == {admin.username, member.username}
    response = client.post(
        f"{URL}{provider.pk}/staff/",
        {"login": "coach", "last_name": "Петров", "first_name": "Андрей", "is_admin": True},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(username="coach")
    assert user.check_password(body["issued_password"]) and user.must_change_password
    assert body["staff"]["is_admin"] is True and body["staff"]["login"] == "coach"


def test_a_replayed_staff_password_is_null_and_matches_the_schema(api_client, provider, admin):
    """The password is shown once: the replay answers 201 with the same staff row and
    `issued_password` null (Idempotent-Replayed: true), as the served schema declares."""
    client = as_user(api_client, admin)
    body = {"login": "coach", "last_name": "Петров", "first_name": "Андрей"}
    url = f"{URL}{provider.pk}/staff/"
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="staff-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="staff-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == {**first.json(), "issued_password": None}
    assert User.objects.get(username="coach").check_password(first.json()["issued_password"])
    schema = served_schema()
    for response in (first, again):
        assert_answer_matches_schema(schema, "POST", "/api/v1/providers/{id}/staff/", response)


def test_staff_add_checks_the_permissions_before_the_key(api_client, provider, parent, admin):
    body = {"login": "coach", "last_name": "Петров", "first_name": "Андрей"}
    url = f"{URL}{provider.pk}/staff/"
    denied = as_user(api_client, parent).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="")
    assert_error(denied, 403, "permission_denied")
    anonymous = APIClient().post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="")
    assert_error(anonymous, 401, "not_authenticated")
    put = as_user(api_client, admin).put(url, body, format="json", HTTP_IDEMPOTENCY_KEY="")
    assert_error(put, 405, "method_not_allowed")
    refused = as_user(api_client, admin).post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="")
    assert_error(refused, 400, "invalid_idempotency_key")
    assert not User.objects.filter(username="coach").exists()
    assert not IdempotencyRecord.objects.exists()


def test_staff_add_error_body(api_client, provider, admin):
    response = as_user(api_client, admin).post(
        f"{URL}{provider.pk}/staff/",
        {"login": admin.username, "last_name": "Х", "first_name": "Ю"},
        format="json",
    )
    error = assert_error(response, 409, "login_taken")
    assert error["fields"]["login"] == ["Этот логин уже занят, выберите другой."]
    missing = as_user(api_client, admin).post(f"{URL}{provider.pk}/staff/", {}, format="json")
    assert {"login", "last_name", "first_name"} <= set(
        assert_error(missing, 400, "validation_error")["fields"]
    )


@pytest.mark.parametrize(
    ("who", "list_status", "add_status"),
    [
        ("member", 403, 403),
        ("stranger_admin", 403, 403),
        ("operator", 200, 403),
        ("parent", 403, 403),
    ],
)
def test_staff_scoping(api_client, request, provider, who, list_status, add_status):
    client = as_user(api_client, request.getfixturevalue(who))
    assert client.get(f"{URL}{provider.pk}/staff/").status_code == list_status
    response = client.post(
        f"{URL}{provider.pk}/staff/",
        {"login": "x1", "last_name": "Х", "first_name": "Ю"},
        format="json",
    )
    assert response.status_code == add_status
    assert not User.objects.filter(username="x1").exists()


def test_staff_deactivate(api_client, provider, admin, member, stranger_admin):
    client = as_user(api_client, admin)
    row = ProviderStaff.objects.get(user=member)
    response = client.post(f"{URL}{provider.pk}/staff/{row.pk}/deactivate/", format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert_error(
        client.post(f"{URL}{provider.pk}/staff/{row.pk}/deactivate/"), 409, "invalid_status"
    )
    foreign = ProviderStaff.objects.get(user=stranger_admin)
    assert_error(
        client.post(f"{URL}{provider.pk}/staff/{foreign.pk}/deactivate/"), 404, "not_found"
    )


def test_schema_declares_the_provider_operations(api_client, db):
    schema = api_client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    create = paths["/api/v1/providers/"]["post"]
    assert {} in create["security"]  # anyone may apply
    request = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert request.endswith("/ProviderApplicationRequest")
    application_schema = schema["components"]["schemas"]["ProviderApplicationRequest"]
    assert {"staff_login", "staff_password", "inn", "ogrn"} <= set(application_schema["required"])
    provider_schema = schema["components"]["schemas"]["Provider"]["properties"]
    assert "staff_password" not in provider_schema and "bik" not in provider_schema
    assert "/api/v1/providers/{id}/needs-check/" in paths
    staff_post = paths["/api/v1/providers/{id}/staff/"]["post"]["responses"]["201"]
    assert staff_post["content"]["application/json"]["schema"]["$ref"].endswith("/StaffCreated")
