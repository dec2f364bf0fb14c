"""API of the catalogue: public reads, providers' writes of their own programmes, the error
body on bad input (nothing half-saved), certification and registry actions by role."""

# ruff: noqa: F811  (fixtures are imported from manage_fixtures and requested by name)

import pytest

from pfdo.audit.models import ActionLog
from pfdo.catalog.models import ASSESSMENT_CRITERIA, Group, Module, Program, ScheduleEntry
from pfdo.catalog.tests.factories import (
    DraftProgramFactory,
    GroupFactory,
    ModuleFactory,
    ProgramFactory,
    ScheduleEntryFactory,
    complete_program,
)
from pfdo.catalog.tests.manage_fixtures import (  # noqa: F401  (fixtures)
    _today,
    expert,
    other_provider,
    other_staff,
    period,
    provider,
    staff,
)

PROGRAMS = "/api/v1/programs/"
MODULES = "/api/v1/modules/"
GROUPS = "/api/v1/groups/"


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@pytest.fixture
def as_user(api_client):
    def login(user):
        api_client.force_authenticate(user)
        return api_client

    return login


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# ---------------------------------------------------------------- reads and scoping


def test_anonymous_sees_only_published_programmes(api_client, provider):
    published = ProgramFactory(provider=provider)
    draft = DraftProgramFactory(provider=provider)
    archived = ProgramFactory(provider=provider, archived_at="2026-09-01T00:00Z")
    assert ids(api_client.get(PROGRAMS)) == {published.pk}
    assert api_client.get(f"{PROGRAMS}{draft.pk}/").status_code == 404
    assert api_client.get(f"{PROGRAMS}{archived.pk}/").status_code == 404


def test_staff_also_see_their_own_drafts_but_not_others(as_user, staff, provider, other_provider):
    mine = DraftProgramFactory(provider=provider)
    theirs = DraftProgramFactory(provider=other_provider)
    client = as_user(staff)
    assert ids(client.get(PROGRAMS)) == {mine.pk}
    assert client.get(f"{PROGRAMS}{theirs.pk}/").status_code == 404


def test_retrieve_nests_modules_groups_schedule_and_money(api_client, provider):
    program = ProgramFactory(provider=provider)
    module = ModuleFactory(
        program=program,
        price_kopecks=2_500_000,
        normative_cost_kopecks=2_000_000,
        normative_breakdown={
            "hours": 72,
            "base_kopecks_per_person_hour": 15000,
            "factors": [{"label": "очная", "value": "1.000"}],
            "total_kopecks": 2_000_000,
        },
    )
    group = GroupFactory(module=module, capacity=10, seats_taken=3)
    ScheduleEntryFactory(group=group, weekday=3)
    body = api_client.get(f"{PROGRAMS}{program.pk}/").json()
    [mod] = body["modules"]
    assert mod["price_kopecks"] == 2_500_000
    assert mod["certificate_covers_kopecks"] == 2_000_000
    assert mod["copayment_kopecks"] == 500_000
    assert mod["normative_breakdown"]["factors"] == [{"label": "очная", "value": "1.000"}]
    [grp] = mod["groups"]
    assert grp["free_places"] == 7
    assert grp["schedule"][0]["weekday"] == 3
    assert grp["schedule"][0]["weekday_display"] == "среда"
    assert body["publication_problems"] == []


def test_groups_list_is_public_for_published_programmes_only(api_client, provider):
    visible = GroupFactory(module=ModuleFactory(program=ProgramFactory(provider=provider)))
    GroupFactory(module=ModuleFactory(program=DraftProgramFactory(provider=provider)))
    assert ids(api_client.get(GROUPS)) == {visible.pk}


@pytest.mark.parametrize("path", [PROGRAMS, GROUPS])
def test_time_filters_take_local_times_and_refuse_an_offset(api_client, provider, path):
    """HH:MM, HH:MM:SS and HH:MM:SS.ffffff (TIME_PATTERN in the schema); "16:30:00Z" is not a
    local time: 400 at the field. An inverted window is well-formed and matches nothing."""
    import datetime as dt

    program = ProgramFactory(provider=provider)
    group = GroupFactory(module=ModuleFactory(program=program))
    ScheduleEntryFactory(group=group, starts_at=dt.time(16, 30), ends_at=dt.time(18, 0))
    expected = {program.pk} if path == PROGRAMS else {group.pk}
    for value in ("16:30", "16:30:00", "16:30:00.000000", "16:29:59.5"):
        assert ids(api_client.get(path, {"time_from": value})) == expected, value
    assert ids(api_client.get(path, {"time_from": "16:31"})) == set()
    assert ids(api_client.get(path, {"time_to": "18:00:00"})) == expected
    assert ids(api_client.get(path, {"time_from": "", "time_to": ""})) == expected
    assert ids(api_client.get(path, {"time_from": "18:00", "time_to": "17:00"})) == set()
    for value in ("16:30:00Z", "16:30+03:00", "9:30", "24:00", " 16:30", "16.30"):
        error = assert_error(api_client.get(path, {"time_to": value}), 400, "validation_error")
        assert list(error["fields"]) == ["time_to"], value


@pytest.mark.parametrize(("param", "value"), [("free_places", "maybe"), ("provider", "0")])
def test_invalid_filter_values_are_refused_and_empty_ones_ignored(
    api_client, provider, param, value
):
    ProgramFactory(provider=provider)
    error = assert_error(api_client.get(PROGRAMS, {param: value}), 400, "validation_error")
    assert list(error["fields"]) == [param]
    assert len(ids(api_client.get(PROGRAMS, {param: ""}))) == 1


# ---------------------------------------------------------------- writes by provider staff


def test_staff_create_a_draft_and_see_what_is_missing(as_user, staff, provider):
    response = as_user(staff).post(
        PROGRAMS,
        {
            "name": "Шахматы",
            "direction": "social",
            "age_from_months": 72,
            "age_to_months": 143,
            "address": "ул. Гагарина, 7",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["certification_status"] == "draft" and not body["is_published"]
    assert body["provider"] == provider.pk and body["municipality"] == "vorkuta"
    assert "Добавьте описание программы." in body["publication_problems"]
    assert ActionLog.objects.filter(action="catalog.program_created").count() == 1


def test_inverted_age_range_gives_the_error_body_and_saves_nothing(as_user, staff):
    response = as_user(staff).post(
        PROGRAMS,
        {"name": "Х", "direction": "arts", "age_from_months": 120, "age_to_months": 60},
        format="json",
    )
    error = assert_error(response, 400, "validation_error")
    assert error["fields"] == {
        "age_to_months": ["Верхняя граница возраста не может быть меньше нижней."]
    }
    assert not Program.objects.exists()


def test_serializer_errors_use_the_same_body(as_user, staff):
    error = assert_error(
        as_user(staff).post(PROGRAMS, {"direction": "cooking"}, format="json"),
        400,
        "validation_error",
    )
    assert set(error["fields"]) == {"name", "direction"}


def test_anonymous_cannot_write(api_client, provider):
    assert_error(
        api_client.post(PROGRAMS, {"name": "Х", "direction": "arts"}, format="json"),
        401,
        "not_authenticated",
    )


def test_parent_cannot_create_programmes(as_user, make_user, vorkuta):
    parent = make_user("parent", municipality=vorkuta)
    response = as_user(parent).post(PROGRAMS, {"name": "Х", "direction": "arts"}, format="json")
    assert_error(response, 403, "permission_denied")


def test_staff_cannot_create_for_another_provider(as_user, staff, other_provider):
    response = as_user(staff).post(
        PROGRAMS,
        {"provider": other_provider.pk, "name": "Х", "direction": "arts"},
        format="json",
    )
    assert_error(response, 403, "permission_denied")
    assert not Program.objects.exists()


def test_another_provider_cannot_edit(as_user, other_staff, provider):
    published = ProgramFactory(provider=provider, name="Хоккей")
    draft = DraftProgramFactory(provider=provider)
    client = as_user(other_staff)
    assert_error(
        client.patch(f"{PROGRAMS}{published.pk}/", {"name": "Чужое"}, format="json"),
        403,
        "permission_denied",
    )
    assert_error(
        client.patch(f"{PROGRAMS}{draft.pk}/", {"name": "Чужое"}, format="json"), 404, "not_found"
    )
    assert_error(client.post(f"{PROGRAMS}{published.pk}/unpublish/"), 403, "permission_denied")
    published.refresh_from_db()
    assert published.name == "Хоккей" and published.is_published


def test_module_write_with_normative_cost_and_bad_price(as_user, staff, provider, period):
    program = DraftProgramFactory(provider=provider)
    client = as_user(staff)
    bad = client.post(
        MODULES,
        {
            "program": program.pk,
            "name": "М",
            "duration_months": 9,
            "hours": 72,
            "min_children": 10,
            "max_children": 5,
            "price_kopecks": -100,
        },
        format="json",
    )
    # The bounds are the schema's (stated, with the service's message); the relation of the
    # two sizes, both in the body, is the service's 400.
    error = assert_error(bad, 400, "validation_error")
    assert error["fields"] == {"price_kopecks": ["Цена не может быть отрицательной."]}
    bad = client.post(
        MODULES,
        {
            "program": program.pk,
            "name": "М",
            "duration_months": 9,
            "hours": 72,
            "min_children": 10,
            "max_children": 5,
        },
        format="json",
    )
    error = assert_error(bad, 400, "validation_error")
    assert error["fields"] == {
        "max_children": ["Наибольшее число детей не может быть меньше наименьшего."]
    }
    assert not Module.objects.exists()
    good = client.post(
        MODULES,
        {
            "program": program.pk,
            "name": "М",
            "duration_months": 9,
            "hours": 72,
            "max_children": 12,
            "teacher_qualification": "highest",
            "price_kopecks": 3_000_000,
        },
        format="json",
    )
    assert good.status_code == 201, good.content
    body = good.json()
    assert body["normative_cost_kopecks"] == 2_566_080
    assert body["copayment_kopecks"] == 3_000_000 - 2_566_080
    module_id = body["id"]
    patched = client.patch(f"{MODULES}{module_id}/", {"price_kopecks": 1_000_000}, format="json")
    assert patched.json()["copayment_kopecks"] == 0
    assert client.delete(f"{MODULES}{module_id}/").status_code == 204
    assert not Module.objects.exists()


def test_module_for_another_providers_programme_is_refused(as_user, other_staff, provider):
    program = ProgramFactory(provider=provider)
    response = as_user(other_staff).post(
        MODULES,
        {"program": program.pk, "name": "М", "duration_months": 9, "hours": 72, "max_children": 5},
        format="json",
    )
    assert_error(response, 403, "permission_denied")


def test_group_with_schedule_and_clash_error_body(as_user, staff, provider):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider))
    busy = GroupFactory(module=module, name="Вокал-1", address="ул. Мира, 3", room="5")
    ScheduleEntryFactory(group=busy, weekday=1, starts_at="15:00", ends_at="16:00")
    client = as_user(staff)
    payload = {
        "module": module.pk,
        "name": "Вокал-2",
        "address": "ул. Мира, 3",
        "room": "5",
        "starts_on": "2026-09-01",
        "ends_on": "2027-05-31",
        "capacity": 10,
        "schedule": [
            {"weekday": 3, "starts_at": "15:00", "ends_at": "16:00"},
            {"weekday": 1, "starts_at": "15:30", "ends_at": "16:30"},
        ],
    }
    # Another group's lesson holds the room: the world's state, 409 (as in enrolment).
    error = assert_error(client.post(GROUPS, payload, format="json"), 409, "schedule_clash")
    assert list(error["fields"]) == ["schedule.1.starts_at"]
    assert "«Вокал-1»" in error["fields"]["schedule.1.starts_at"][0]
    assert not Group.objects.filter(name="Вокал-2").exists()
    payload["schedule"][1]["weekday"] = 2
    created = client.post(GROUPS, payload, format="json")
    assert created.status_code == 201, created.content
    assert len(created.json()["schedule"]) == 2
    group_id = created.json()["id"]
    bad = client.patch(f"{GROUPS}{group_id}/", {"capacity": 0}, format="json")
    assert assert_error(bad, 400, "validation_error")["fields"] == {
        "capacity": ["В группе должно быть хотя бы одно место."]
    }
    replaced = client.patch(
        f"{GROUPS}{group_id}/",
        {"schedule": [{"weekday": 5, "starts_at": "10:00", "ends_at": "11:00", "parity": "odd"}]},
        format="json",
    )
    assert [e["weekday"] for e in replaced.json()["schedule"]] == [5]
    assert ScheduleEntry.objects.filter(group_id=group_id).count() == 1


def test_group_edits_refused_by_what_is_stored_are_409_and_by_the_body_400(
    as_user, staff, provider
):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider))
    group = GroupFactory(module=module, capacity=10, starts_on="2026-09-01", ends_on="2027-05-31")
    Group.objects.filter(pk=group.pk).update(seats_taken=4)
    client = as_user(staff)
    url = f"{GROUPS}{group.pk}/"
    error = assert_error(client.patch(url, {"capacity": 3}, format="json"), 409, "seats_taken")
    assert error["fields"] == {
        "capacity": ["В группе уже занято мест: 4. Мест не может быть меньше."]
    }
    error = assert_error(
        client.patch(url, {"ends_on": "2026-08-01"}, format="json"), 409, "conflicts_with_current"
    )
    assert error["fields"] == {"ends_on": ["Окончание занятий должно быть позже начала."]}
    error = assert_error(
        client.patch(url, {"starts_on": None}, format="json"), 409, "conflicts_with_current"
    )
    assert error["fields"] == {"starts_on": ["Укажите обе даты: начало и окончание."]}
    error = assert_error(
        client.patch(url, {"starts_on": "2027-06-01", "ends_on": "2027-01-01"}, format="json"),
        400,
        "validation_error",
    )
    assert error["fields"] == {"ends_on": ["Окончание занятий должно быть позже начала."]}
    # The group's own lessons overlapping each other: the body contradicts itself (400).
    lessons = [
        {"weekday": 2, "starts_at": "10:00", "ends_at": "11:00"},
        {"weekday": 2, "starts_at": "10:30", "ends_at": "11:30"},
    ]
    error = assert_error(
        client.patch(url, {"schedule": lessons}, format="json"), 400, "schedule_clash"
    )
    assert error["fields"]["schedule.1.starts_at"][0].startswith(
        "Занятия этой группы пересекаются между собой"
    )
    group.refresh_from_db()
    assert (group.capacity, str(group.starts_on), str(group.ends_on)) == (
        10,
        "2026-09-01",
        "2027-05-31",
    )
    assert client.patch(url, {"capacity": 4}, format="json").status_code == 200


def test_bounds_the_services_keep_are_stated_in_the_schema(api_client, db):
    schemas = api_client.get("/api/schema/?format=json").json()["components"]["schemas"]

    def bounds(name, field):
        prop = schemas[name]["properties"][field]
        return prop.get("minimum"), prop.get("maximum")

    assert bounds("GroupWriteRequest", "capacity") == (1, 1000)
    assert bounds("PatchedGroupUpdateRequest", "capacity") == (1, 1000)
    assert bounds("ScheduleEntryWriteRequest", "weekday") == (1, 7)
    for name in ("ProgramWriteRequest", "PatchedProgramUpdateRequest"):
        assert bounds(name, "age_from_months") == (0, 227)
        assert bounds(name, "age_to_months") == (0, 227)
    for name in ("ModuleWriteRequest", "PatchedModuleUpdateRequest"):
        assert bounds(name, "duration_months") == (1, 120)
        assert bounds(name, "hours") == (1, 10_000)
        assert bounds(name, "min_children") == (1, 1000)
        assert bounds(name, "max_children") == (1, 1000)
        assert bounds(name, "price_kopecks") == (0, 10**12)


def test_module_and_programme_bounds_against_the_stored_other_are_409(as_user, staff, provider):
    program = DraftProgramFactory(provider=provider, age_from_months=72, age_to_months=143)
    module = ModuleFactory(program=program, min_children=5, max_children=12)
    client = as_user(staff)
    error = assert_error(
        client.patch(f"{MODULES}{module.pk}/", {"max_children": 3}, format="json"),
        409,
        "conflicts_with_current",
    )
    assert error["fields"] == {
        "max_children": ["Наибольшее число детей не может быть меньше наименьшего."]
    }
    error = assert_error(
        client.patch(f"{PROGRAMS}{program.pk}/", {"age_to_months": 60}, format="json"),
        409,
        "conflicts_with_current",
    )
    assert error["fields"] == {
        "age_to_months": ["Верхняя граница возраста не может быть меньше нижней."]
    }
    error = assert_error(
        client.patch(
            f"{PROGRAMS}{program.pk}/", {"age_from_months": 100, "age_to_months": 60}, format="json"
        ),
        400,
        "validation_error",
    )
    assert list(error["fields"]) == ["age_to_months"]
    error = assert_error(
        client.patch(f"{PROGRAMS}{program.pk}/", {"age_to_months": 228}, format="json"),
        400,
        "validation_error",
    )
    assert error["fields"] == {
        "age_to_months": ["Возраст указывается от 0 до 18 лет включительно."]
    }
    module.refresh_from_db()
    program.refresh_from_db()
    assert (module.max_children, program.age_to_months) == (12, 143)


def test_group_dates_error(as_user, staff, provider):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider))
    response = as_user(staff).post(
        GROUPS,
        {
            "module": module.pk,
            "name": "Г",
            "address": "ул. Мира, 3",
            "starts_on": "2027-05-31",
            "ends_on": "2026-09-01",
            "capacity": 10,
        },
        format="json",
    )
    error = assert_error(response, 400, "validation_error")
    assert error["fields"] == {"ends_on": ["Окончание занятий должно быть позже начала."]}


# ---------------------------------------------------------------- transitions


def test_publish_refused_with_the_checklist_then_allowed(as_user, staff, provider, operator):
    program = complete_program(provider=provider)
    client = as_user(staff)
    error = assert_error(client.post(f"{PROGRAMS}{program.pk}/publish/"), 409, "program_incomplete")
    assert len(error["fields"]["problems"]) == 1
    assert_error(
        client.post(f"{PROGRAMS}{program.pk}/set-registry/", {"paid_only": True}, format="json"),
        403,
        "permission_denied",
    )
    registry = as_user(operator).post(
        f"{PROGRAMS}{program.pk}/set-registry/", {"budget_registry": "other"}, format="json"
    )
    assert registry.status_code == 200 and registry.json()["budget_registry"] == "other"
    client = as_user(staff)
    assert client.post(f"{PROGRAMS}{program.pk}/publish/").json()["is_published"] is True
    assert client.post(f"{PROGRAMS}{program.pk}/open-enrolment/").json()["enrolment_open"]
    assert not client.post(f"{PROGRAMS}{program.pk}/close-enrolment/").json()["enrolment_open"]
    assert client.post(f"{PROGRAMS}{program.pk}/unpublish/").json()["is_published"] is False
    assert client.post(f"{PROGRAMS}{program.pk}/archive/").json()["archived_at"]
    assert ActionLog.objects.filter(action__startswith="catalog.").count() == 6


def test_paid_only_refused_by_the_stored_registry_or_certification_is_a_409(
    as_user, provider, operator
):
    program = complete_program(provider=provider)
    client = as_user(operator)
    url = f"{PROGRAMS}{program.pk}/set-registry/"
    assert client.post(url, {"budget_registry": "other"}, format="json").status_code == 200
    error = assert_error(
        client.post(url, {"paid_only": True}, format="json"), 409, "paid_only_refused"
    )
    assert error["fields"] == {
        "paid_only": ["Программа бюджетного реестра не может быть только платной."]
    }
    # Both in one body contradict each other: the body's own 400.
    error = assert_error(
        client.post(url, {"budget_registry": "significant", "paid_only": True}, format="json"),
        400,
        "validation_error",
    )
    assert list(error["fields"]) == ["paid_only"]
    certified = ProgramFactory(provider=provider)
    assert certified.certification_status == "certified"
    error = assert_error(
        client.post(
            f"{PROGRAMS}{certified.pk}/set-registry/",
            {"budget_registry": "none", "paid_only": True},
            format="json",
        ),
        409,
        "paid_only_refused",
    )
    assert error["fields"]["paid_only"][0].startswith("Сертифицированная программа")
    program.refresh_from_db()
    assert (program.budget_registry, program.paid_only) == ("other", False)


def test_certification_over_the_api(as_user, staff, provider, expert, operator):
    program = complete_program(provider=provider)
    url = f"{PROGRAMS}{program.pk}/"
    assert as_user(staff).post(f"{url}submit/").json()["certification_status"] == "submitted"
    scores = {code: 5 for code, _ in ASSESSMENT_CRITERIA}
    assert_error(
        as_user(staff).post(
            f"{url}assess/", {"scores": scores, "conclusion": "recommended"}, format="json"
        ),
        403,
        "permission_denied",
    )
    bad = as_user(expert).post(
        f"{url}assess/",
        {"scores": {**scores, "relevance": 9}, "conclusion": "recommended"},
        format="json",
    )
    assert "scores.relevance" in assert_error(bad, 400, "validation_error")["fields"]
    done = as_user(expert).post(
        f"{url}assess/", {"scores": scores, "conclusion": "recommended"}, format="json"
    )
    assert done.status_code == 201 and done.json()["total_score"] == 5 * len(ASSESSMENT_CRITERIA)
    again = as_user(expert).post(
        f"{url}assess/", {"scores": scores, "conclusion": "recommended"}, format="json"
    )
    assert_error(again, 409, "already_assessed")
    assert_error(as_user(expert).post(f"{url}certify/"), 403, "permission_denied")
    no_reason = as_user(operator).post(f"{url}reject-certification/", {"reason": ""}, format="json")
    assert assert_error(no_reason, 400, "validation_error")["fields"] == {
        "reason": ["Укажите причину отказа."]
    }
    certified = as_user(operator).post(f"{url}certify/", {}, format="json")
    assert certified.status_code == 200
    assert certified.json()["certification_status"] == "certified"


def test_operator_of_another_municipality_gets_404_on_drafts(as_user, make_user, provider):
    program = DraftProgramFactory(provider=provider)
    foreign = make_user("operator", municipality=ProgramFactory().municipality)
    assert_error(as_user(foreign).post(f"{PROGRAMS}{program.pk}/certify/"), 404, "not_found")


def test_unknown_method_is_405(as_user, staff, provider):
    program = DraftProgramFactory(provider=provider)
    response = as_user(staff).put(f"{PROGRAMS}{program.pk}/", {}, format="json")
    assert_error(response, 405, "method_not_allowed")


def test_schema_documents_the_catalogue(api_client, db):
    schema = api_client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/programs/",
        "/api/v1/programs/{id}/",
        "/api/v1/programs/{id}/submit/",
        "/api/v1/programs/{id}/assess/",
        "/api/v1/programs/{id}/certify/",
        "/api/v1/programs/{id}/reject-certification/",
        "/api/v1/programs/{id}/set-registry/",
        "/api/v1/programs/{id}/publish/",
        "/api/v1/modules/",
        "/api/v1/groups/",
        "/api/v1/groups/{id}/",
    ):
        assert path in paths, path
    assert "409" in paths["/api/v1/programs/{id}/publish/"]["post"]["responses"]
