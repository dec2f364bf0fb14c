"""The production calendar's overrides: who keeps them, the service, the page and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from pfdo.audit.models import ActionLog
from pfdo.common.errors import AccessDenied, Conflict, ValidationFailed
from pfdo.financing import selectors, services
from pfdo.financing.models import CalendarDay
from pfdo.territory.tests.factories import RegionFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/calendar-days/"
FRI_8_JAN = dt.date(2027, 1, 8)  # a New Year holiday by the package


@pytest.fixture
def admin(make_user, region):
    return make_user("regional_admin", region=region)


def add(actor, region, day=FRI_8_JAN, is_working=True, note="Постановление № 1"):
    return services.add_calendar_day(
        actor=actor, region=region, day=day, is_working=is_working, note=note
    )


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


# ------------------------------------------------------------------------------ who


@pytest.mark.parametrize(
    ("role", "keeps"),
    [
        ("regional_admin", True),
        ("superuser", True),
        ("operator", False),
        ("payer", False),
        ("parent", False),
        ("provider_staff", False),
        ("expert", False),
        ("regional_admin_elsewhere", False),
        ("anonymous", False),
    ],
)
def test_access_matrix_of_the_calendar(make_user, region, vorkuta, role, keeps):
    if role == "anonymous":
        user = AnonymousUser()
    elif role == "superuser":
        user = make_user(is_superuser=True)
    elif role == "regional_admin":
        user = make_user("regional_admin", region=region)
    elif role == "regional_admin_elsewhere":
        user = make_user("regional_admin", region=RegionFactory())
    else:
        user = make_user(role, municipality=vorkuta)
    assert user.has_perm("financing.view_calendar")
    assert user.has_perm("financing.change_calendar", region) is keeps
    row = CalendarDay.objects.create(region=region, day=FRI_8_JAN, is_working=True, note="x")
    assert user.has_perm("financing.change_calendar", row) is keeps
    if keeps:
        assert add(user, region, day=dt.date(2027, 1, 7)).pk
    elif role != "anonymous":
        with pytest.raises(AccessDenied):
            add(user, region, day=dt.date(2027, 1, 7))
        with pytest.raises(AccessDenied):
            services.remove_calendar_day(actor=user, calendar_day=row)


# -------------------------------------------------------------------------- service


def test_an_override_wins_and_is_audited_both_ways(admin, region, vorkuta):
    assert selectors.calendar_of_municipality(vorkuta.pk).working_day(FRI_8_JAN, 1) == dt.date(
        2027, 1, 11
    )
    row = add(admin, region)
    calendar = selectors.calendar_of_municipality(vorkuta.pk)
    assert calendar.is_working_day(FRI_8_JAN)
    assert calendar.working_day(FRI_8_JAN, 1) == FRI_8_JAN
    added = ActionLog.objects.get(action="financing.calendar_day_added")
    assert added.actor == admin and added.details["day"] == "2027-01-08"
    assert added.details["is_working"] is True

    services.remove_calendar_day(actor=admin, calendar_day=row)
    assert not CalendarDay.objects.exists()
    assert not selectors.calendar_of_municipality(vorkuta.pk).is_working_day(FRI_8_JAN)
    assert ActionLog.objects.filter(action="financing.calendar_day_removed").count() == 1
    # Another region's calendar is not touched by this region's overrides.
    add(admin, region)
    other = RegionFactory()
    assert not selectors.work_calendar(other.pk).is_working_day(FRI_8_JAN)


def test_refusals_name_the_field_in_russian(admin, region):
    add(admin, region)
    with pytest.raises(Conflict) as twice:  # the stored override refuses it: 409
        add(admin, region, is_working=False)
    assert (twice.value.status, twice.value.code) == (409, "day_already_overridden")
    assert "уже внесено" in twice.value.fields["day"][0]
    assert twice.value.message == twice.value.fields["day"][0]
    with pytest.raises(ValidationFailed) as same:  # Mon 11 January 2027 is a working day
        add(admin, region, day=dt.date(2027, 1, 11), is_working=True)
    assert "и так рабочий" in same.value.fields["is_working"][0]
    with pytest.raises(ValidationFailed) as bare:
        add(admin, region, day=dt.date(2027, 1, 11), is_working=False, note="  ")
    assert "основание" in bare.value.fields["note"][0]
    with pytest.raises(ValidationFailed) as far:
        add(admin, region, day=dt.date(1990, 1, 11), is_working=False)
    assert "между 2000 и 2100" in far.value.fields["day"][0]
    assert CalendarDay.objects.count() == 1


def test_a_calendar_scope_reads_the_overrides_once(
    admin, region, vorkuta, django_assert_num_queries
):
    add(admin, region)
    with selectors.calendar_scope():
        with django_assert_num_queries(2):  # the municipality's region, its overrides
            first = selectors.calendar_of_municipality(vorkuta.pk)
        with django_assert_num_queries(0):
            again = selectors.calendar_of_municipality(vorkuta.pk)
            assert again is first and again.is_working_day(FRI_8_JAN)
    with django_assert_num_queries(2):  # outside a scope every call reads afresh
        selectors.calendar_of_municipality(vorkuta.pk)


# ----------------------------------------------------------------------------- page


def test_calendar_page_adds_and_removes_for_the_regional_admin(client, admin, region):
    client.force_login(admin)
    page = client.get(reverse("financing:calendar"), {"year": 2027})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Выходной (перенесено с 02.01.2027)" in text  # the package's Fri 5 Nov 2027
    assert "Внести исправление" in text

    bad = client.post(
        reverse("financing:calendar") + "?year=2027",
        {"day": "2027-01-11", "is_working": "1", "note": ""},
    )
    assert bad.status_code == 200
    errors = bad.context["form"].errors
    assert errors["note"] == ["Укажите основание: постановление о переносе или приказ."]
    same = client.post(
        reverse("financing:calendar") + "?year=2027",
        {"day": "2027-01-11", "is_working": "1", "note": "Приказ"},
    )
    assert same.status_code == 200
    assert "и так рабочий" in same.context["form"].errors["is_working"][0]
    assert not CalendarDay.objects.exists()

    done = client.post(
        reverse("financing:calendar") + "?year=2027",
        {"day": "2027-01-08", "is_working": "1", "note": "Постановление № 1"},
    )
    assert done.status_code == 302
    row = CalendarDay.objects.get()
    assert (row.day, row.is_working, row.created_by) == (FRI_8_JAN, True, admin)
    assert "Постановление № 1" in client.get(done.url).content.decode()

    gone = client.post(reverse("financing:calendar_day_delete", args=[row.pk]))
    assert gone.status_code == 302 and not CalendarDay.objects.exists()


def test_calendar_page_is_read_only_for_the_operator(client, operator, admin, region):
    row = add(admin, region)
    client.force_login(operator)
    page = client.get(reverse("financing:calendar"), {"year": 2027})
    assert page.status_code == 200
    text = page.content.decode()
    assert "Постановление № 1" in text and "Внести исправление" not in text
    refused = client.post(
        reverse("financing:calendar"), {"day": "2027-01-07", "is_working": "1", "note": "x"}
    )
    assert refused.status_code == 403
    assert client.post(reverse("financing:calendar_day_delete", args=[row.pk])).status_code == 403
    assert CalendarDay.objects.count() == 1


def test_calendar_page_is_not_for_families_nor_anonymous(client, make_user, vorkuta):
    assert client.get(reverse("financing:calendar")).status_code == 302  # to the login
    client.force_login(make_user("parent", municipality=vorkuta))
    assert client.get(reverse("financing:calendar")).status_code == 403


# ------------------------------------------------------------------------------ API


def test_api_lists_publicly_and_writes_for_the_regional_admin(api_client, admin, region):
    api_client.force_authenticate(admin)
    made = api_client.post(
        URL,
        {"region": region.code, "day": "2027-01-08", "is_working": True, "note": "Постановление"},
        format="json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["region"], body["day"], body["is_working"]) == (region.code, "2027-01-08", True)

    twice = api_client.post(
        URL,
        {"region": region.code, "day": "2027-01-08", "is_working": False, "note": "ещё"},
        format="json",
    )
    error = assert_error(twice, 409, "day_already_overridden")
    assert error["fields"] == {
        "day": ["На 08.01.2027 исправление уже внесено — удалите его, чтобы внести другое."]
    }
    # What the production calendar already says is refused as the value it is (400).
    same = api_client.post(
        URL,
        {"region": region.code, "day": "2027-01-11", "is_working": True, "note": "Приказ"},
        format="json",
    )
    error = assert_error(same, 400, "validation_error")
    assert error["fields"] == {
        "is_working": ["По производственному календарю 11.01.2027 и так рабочий день."]
    }
    unknown = api_client.post(URL, {"region": region.code, "day": "2027-01-07"}, format="json")
    fields = assert_error(unknown, 400, "validation_error")["fields"]
    assert {"is_working", "note"} <= set(fields)

    api_client.force_authenticate(None)
    listed = api_client.get(URL, {"region": region.code, "year": 2027})
    assert listed.status_code == 200 and [r["day"] for r in listed.json()["results"]] == [
        "2027-01-08"
    ]
    assert api_client.get(URL, {"year": 2026}).json()["count"] == 0
    assert_error(api_client.get(URL, {"year": "27"}), 400, "validation_error")
    assert_error(api_client.get(URL, {"region": "ko\x00mi"}), 400, "validation_error")

    api_client.force_authenticate(admin)
    gone = api_client.delete(f"{URL}{body['id']}/")
    assert gone.status_code == 204 and not CalendarDay.objects.exists()


def test_api_refuses_other_roles_with_the_error_body(api_client, operator, admin, region):
    row = add(admin, region)
    api_client.force_authenticate(operator)
    assert_error(
        api_client.post(
            URL,
            {"region": region.code, "day": "2027-01-07", "is_working": True, "note": "x"},
            format="json",
        ),
        403,
        "permission_denied",
    )
    assert_error(api_client.delete(f"{URL}{row.pk}/"), 403, "permission_denied")
    api_client.force_authenticate(None)
    assert_error(api_client.delete(f"{URL}{row.pk}/"), 401, "not_authenticated")
    assert CalendarDay.objects.count() == 1


def test_calendar_list_filters_follow_the_query_rule(api_client, admin, region):
    add(admin, region)
    assert api_client.get(URL, {"year": "", "region": ""}).json()["count"] == 1
    assert api_client.get(URL, {"year": 2027, "region": region.code}).json()["count"] == 1
    # A list filter naming nothing is an empty page.
    assert api_client.get(URL, {"region": "no-such"}).json()["count"] == 0
    assert api_client.get(URL, {"year": 1000}).json()["count"] == 0
    for param, value in [("year", "0"), ("year", "10000"), ("year", "20x6"), ("region", "Komi")]:
        response = api_client.get(URL, {param: value})
        assert response.status_code == 400, (param, value)
        assert list(response.json()["error"]["fields"]) == [param]


@pytest.mark.parametrize(
    ("overrides", "allowed"),
    [
        ({"day": "2000-01-03"}, True),
        ({"day": "2100-12-31"}, True),
        ({"day": "1999-12-31"}, False),
        ({"day": "2101-01-03"}, False),
        ({"note": ""}, False),
        ({"note": "   "}, False),
        ({"note": "x" * 201}, False),
    ],
)
def test_the_schema_states_what_the_calendar_service_checks(
    api_client, admin, region, overrides, allowed
):
    """A day the schema allows is recorded; one it refuses is a field error (400)."""
    from pfdo.common.calendar import library_is_working_day
    from pfdo.common.tests.served_schema import body_is_valid, served_schema

    body = {"region": region.code, "day": "2027-01-08", "note": "Постановление"}
    body.update(overrides)
    # Always the opposite of what the package says, so the override says something.
    body["is_working"] = not library_is_working_day(dt.date.fromisoformat(body["day"]))
    assert body_is_valid(served_schema(), "POST", URL, body) is allowed
    api_client.force_authenticate(admin)
    response = api_client.post(URL, body, format="json")
    if allowed:
        assert response.status_code == 201, response.content
    else:
        error = assert_error(response, 400, "validation_error")
        assert set(error["fields"]) == set(overrides)
        if "day" in overrides:
            assert error["fields"]["day"] == ["Дата должна быть между 2000 и 2100 годом."]
        elif overrides["note"].strip() == "":
            assert error["fields"]["note"] == [
                "Укажите основание: постановление о переносе или приказ."
            ]
