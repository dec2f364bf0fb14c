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
    error = assert_error(bad, 400, "validation_error")
    assert set(error["fields"]) == {"max_children", "price_kopecks"}
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
    error = assert_error(client.post(GROUPS, payload, format="json"), 400, "schedule_clash")
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
