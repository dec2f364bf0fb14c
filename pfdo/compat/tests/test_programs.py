"""The programme operations of the compatibility API on the demo: search, paging, filters,
what is never shown, the public card with every expand, old ПФДО ids, and the query counts
that must not grow with the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pfdo.catalog.models import Group, Module, Program, ScheduleEntry
from pfdo.common import clock
from pfdo.compat import programs
from pfdo.compat.models import ProgramAlias
from pfdo.compat.tests.cases import programs as program_cases
from pfdo.compat.tests.cases.programs import PUBLIC_EXPAND
from pfdo.territory.models import Municipality
from pfdo.territory.tests.factories import MunicipalityFactory, RegionFactory

SEARCH = "main-page/search/programs"
ES = "main-page/search/es-programs"
ITEM_FIELDS = {
    "id",
    "name",
    "image",
    "direction",
    "address",
    "keywords",
    "organization_name",
    "age_min",
    "age_max",
    "module_count",
    "reestrs",
    "enrollment",
    "duration_string",
}


def _data(response, status: int = 200):
    assert response.status_code == status, response.content.decode()[:500]
    return response.json()["data"]


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content.decode()[:500]
    body = response.json()
    assert body["status"] == status and body["code"] == 0 and body["message"], body
    return body


@pytest.fixture
def program(compat):
    return program_cases._demo()


@pytest.fixture
def region_id(program):
    return program.municipality.region_id


@pytest.fixture
def fresh(program):
    """A new published programme of a demo provider, no modules yet (the demo's own have
    applications that keep their groups)."""
    return Program.objects.create(
        provider=program.provider,
        municipality=program.municipality,
        name="Новая программа",
        direction=program.direction,
        description="Описание новой программы.",
        address="ул. Ленина, 1",
        age_from_months=84,
        age_to_months=168,
        is_published=True,
        enrolment_open=True,
        published_at=clock.now(),
    )


def _visible_count(region_id: int) -> int:
    return programs.visible_programs().filter(municipality__region_id=region_id).count()


# ------------------------------------------------------------------ search


def test_search_items_carry_every_field_and_only_visible_programmes(compat, region_id):
    items = _data(compat.get(f"{SEARCH}?operator={region_id}&per-page=100"))
    visible = set(
        programs.visible_programs()
        .filter(municipality__region_id=region_id)
        .values_list("pk", flat=True)
    )
    assert items and {item["id"] for item in items} <= visible
    assert len(items) == min(100, len(visible))
    for item in items:
        assert set(item) >= ITEM_FIELDS
        assert item["keywords"] == []
        assert item["address"]["lat"] is None and item["address"]["id"] == item["id"]
        assert 1 <= item["direction"]["id"] <= 6
        assert set(item["reestrs"]) == {
            "certified",
            "meaningful",
            "general",
            "preprofessional",
            "commercial",
        }
    # By id: a mirror's pages stay put when a programme is renamed.
    ids = [item["id"] for item in items]
    assert ids == sorted(ids)


def test_search_item_is_built_from_the_programme(compat, fresh, region_id):
    program = fresh
    Program.objects.filter(pk=program.pk).update(
        name="Ксенолингвистика для начинающих",
        age_from_months=None,
        age_to_months=None,
        certification_status="certified",
        budget_registry="significant",
        paid_only=False,
        photo="programs/2026/robot.jpg",
        rating_avg="4.25",
        rating_count=7,
    )
    module = Module.objects.create(
        program=program, name="М", duration_months=14, hours=72, max_children=10
    )
    Group.objects.create(
        module=module, name="Г1", address="ул. Ленина, 1", capacity=12, seats_taken=5
    )
    Group.objects.create(
        module=module, name="Г2", address="ул. Ленина, 1", capacity=9, seats_taken=9
    )
    Group.objects.create(
        module=module,
        name="Г3",
        address="ул. Ленина, 1",
        capacity=9,
        seats_taken=0,
        enrolment_open=False,
    )
    url = f"{ES}?operator={region_id}&search[name]=ксенолингвистика"
    items = _data(compat.get(f"{url}&expand=program_nok_rating,kind"))
    assert len(items) == 1
    item = items[0]
    assert item["id"] == program.pk
    assert item["image"] == "http://testserver/media/programs/2026/robot.jpg"
    assert (item["age_min"], item["age_max"]) == (0, 216)
    assert item["module_count"] == 1
    assert item["duration_string"] == "1 год 2 месяца"
    assert item["enrollment"] == 7  # 12 − 5 + 9 − 9; the closed group not counted
    assert item["reestrs"] == {
        "certified": True,
        "meaningful": True,
        "general": False,
        "preprofessional": False,
        "commercial": False,
    }
    assert item["program_nok_rating"] == 4.25
    assert item["kind"] == programs.KIND_IDS[program.kind]
    # Without expand those two are not there; and the rating hides below three ratings.
    Program.objects.filter(pk=program.pk).update(rating_count=2, enrolment_open=False)
    item = _data(compat.get(f"{url}&expand=program_nok_rating"))[0]
    assert item["program_nok_rating"] is None and "kind" not in item
    assert item["enrollment"] is None  # the programme's enrolment is closed


def test_duration_string_in_russian():
    assert programs.duration_string(None) is None
    assert programs.duration_string(0) is None
    assert programs.duration_string(1) == "1 месяц"
    assert programs.duration_string(9) == "9 месяцев"
    assert programs.duration_string(12) == "1 год"
    assert programs.duration_string(27) == "2 года 3 месяца"
    assert programs.duration_string(60) == "5 лет"


def test_price_strings_from_kopecks():
    assert programs.kopecks_text(450000) == "4500.00"
    assert programs.kopecks_text(123450) == "1234.50"
    assert programs.kopecks_text(5) == "0.05"
    assert programs.kopecks_text(0) == "0.00"
    assert programs.kopecks_text(None) is None


def test_paging_a_short_page_is_the_last_and_past_the_end_is_empty(compat, region_id):
    total = _visible_count(region_id)
    assert total > 5
    size = 5
    seen = []
    page = 1
    while True:
        items = _data(compat.get(f"{SEARCH}?operator={region_id}&page={page}&per-page={size}"))
        seen += [item["id"] for item in items]
        if len(items) < size:
            break
        page += 1
    assert len(seen) == len(set(seen)) == total
    assert _data(compat.get(f"{SEARCH}?operator={region_id}&page={page + 5}&per-page={size}")) == []


def test_filters_municipality_direction_age(compat, program, region_id):
    mun, code = program.municipality_id, program.direction
    direction = programs.selectors.DIRECTION_IDS[code]
    Program.objects.filter(pk=program.pk).update(age_from_months=84, age_to_months=120)
    url = f"{SEARCH}?operator={region_id}&per-page=100&search[mun]={mun}&search[direction]={direction}"
    found = {item["id"] for item in _data(compat.get(url))}
    expected = set(
        programs.visible_programs()
        .filter(municipality_id=mun, direction=code)
        .values_list("pk", flat=True)
    )
    assert program.pk in found and found == expected
    assert program.pk in {item["id"] for item in _data(compat.get(f"{url}&search[age]=84"))}
    assert program.pk in {item["id"] for item in _data(compat.get(f"{url}&search[age]=120"))}
    for age in (83, 121):
        assert program.pk not in {
            item["id"] for item in _data(compat.get(f"{url}&search[age]={age}"))
        }


def test_keywords_are_accepted_and_narrow_nothing(compat, region_id):
    url = f"{SEARCH}?operator={region_id}&per-page=50"
    assert _data(compat.get(f"{url}&search[keywords_ids]=1,2,3")) == _data(compat.get(url))


def test_name_search_uses_the_catalogue_search(compat, program, fresh, region_id):
    Program.objects.filter(pk=program.pk).update(name="Межпланетная астробиология")
    Program.objects.filter(pk=fresh.pk).update(name="Астробиология для малышей")
    items = _data(compat.get(f"{SEARCH}?operator={region_id}&search[name]=астробиологии"))
    # Matches by name: a list a person reads.
    assert [item["id"] for item in items] == [fresh.pk, program.pk]
    assert _data(compat.get(f"{SEARCH}?operator={region_id}&search[name]=zzzyyyxxx")) == []


def test_operator_is_required_and_must_exist(compat):
    assert "operator" in _error(compat.get(SEARCH), 400)["message"]
    _error(compat.get(f"{SEARCH}?operator=999999"), 400)
    _error(compat.get(f"{ES}?operator=abc"), 400)


def test_municipality_must_be_a_connected_one_of_the_region(compat, program, region_id):
    elsewhere = MunicipalityFactory(region=RegionFactory(code="other-region"))
    body = _error(compat.get(f"{SEARCH}?operator={region_id}&search[mun]={elsewhere.pk}"), 400)
    assert "search[mun]" in body["message"]
    Municipality.objects.filter(pk=program.municipality_id).update(is_active=False)
    mun = program.municipality_id
    _error(compat.get(f"{SEARCH}?operator={region_id}&search[mun]={mun}"), 400)
    # Nor does the region's search show the programmes of a disconnected municipality.
    items = _data(compat.get(f"{SEARCH}?operator={region_id}&per-page=100"))
    assert program.pk not in {item["id"] for item in items}


@pytest.mark.parametrize(
    "query",
    [
        "per-page=0",
        "per-page=-1",
        "per-page=10000",
        "page=0",
        "search[direction]=0",
        "search[direction]=7",
        "search[direction]=abc",
        "search[age]=-5",
        "search[age]=1.5",
        "search[mun]=x",
        "search[keywords_ids]=1;2",
        "search[name]=" + "a" * 201,
        "search[name=x",
        "expand=a-b",
    ],
)
def test_bad_search_input_is_a_400_envelope(compat, region_id, query):
    _error(compat.get(f"{SEARCH}?operator={region_id}&{query}"), 400)


def test_unknown_expand_names_are_ignored(compat, region_id):
    item = _data(compat.get(f"{SEARCH}?operator={region_id}&per-page=1&expand=nothing,kind"))[0]
    assert "nothing" not in item and "kind" in item


# ------------------------------------------------------------------ what is never shown


@pytest.mark.parametrize(
    "change",
    [
        {"is_published": False},
        {"archived_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)},
        "provider_excluded",
        "provider_under_review",
        "municipality_inactive",
    ],
)
def test_hidden_programmes_are_nowhere(compat, program, region_id, change):
    if change == "provider_excluded":
        type(program.provider).objects.filter(pk=program.provider_id).update(status="excluded")
    elif change == "provider_under_review":
        type(program.provider).objects.filter(pk=program.provider_id).update(status="under_review")
    elif change == "municipality_inactive":
        Municipality.objects.filter(pk=program.municipality_id).update(is_active=False)
    else:
        Program.objects.filter(pk=program.pk).update(**change)
    _error(compat.get(f"public/programs/{program.pk}"), 404)
    _error(compat.get(f"{SEARCH}/{program.pk}"), 404)
    ids = set()
    page = 1
    while True:
        items = _data(compat.get(f"{SEARCH}?operator={region_id}&page={page}&per-page=100"))
        ids |= {item["id"] for item in items}
        if len(items) < 100:
            break
        page += 1
    assert program.pk not in ids


@pytest.mark.parametrize("raw", ["abc", "12x", "-1", "1.0", "0x10", "99999999999999999999"])
def test_a_bad_or_unknown_id_is_a_404_envelope(compat, raw):
    _error(compat.get(f"public/programs/{raw}"), 404)
    _error(compat.get(f"{SEARCH}/{raw}"), 404)


# ------------------------------------------------------------------ the cards


def test_main_page_card(compat, program):
    Program.objects.filter(pk=program.pk).update(goals="Научить строить", description="О нас")
    data = _data(compat.get(f"{SEARCH}/{program.pk}"))
    assert ITEM_FIELDS | {"task", "activity"} <= set(data)
    assert data["id"] == program.pk and data["name"] == program.name
    assert data["task"] == "Научить строить" and data["annotation"] == "О нас"
    assert data["activity"] == []


def _prepared_groups(program):
    """One module with a known price and two groups: one open with a schedule, one closed."""
    Program.objects.filter(pk=program.pk).update(enrolment_open=True)
    module = Module.objects.create(
        program=program,
        name="Первый год",
        duration_months=9,
        hours=72,
        max_children=12,
        price_kopecks=450000,
        normative_cost_kopecks=512345,
    )
    second = Module.objects.create(
        program=program, name="Второй год", position=2, duration_months=9, hours=72, max_children=12
    )
    open_group = Group.objects.create(
        module=module,
        name="Группа 1",
        address="ул. Ленина, 1",
        capacity=12,
        seats_taken=4,
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2027, 5, 31),
    )
    for weekday, start, end, parity in [
        (2, dt.time(16, 0), dt.time(17, 30), "every"),
        (4, dt.time(16, 0), dt.time(17, 30), "every"),
        (6, dt.time(10, 0), dt.time(10, 45), "odd"),
    ]:
        ScheduleEntry.objects.create(
            group=open_group, weekday=weekday, starts_at=start, ends_at=end, parity=parity
        )
    closed = Group.objects.create(
        module=second, name="Группа 2", address="ул. Ленина, 1", capacity=10, enrolment_open=False
    )
    return module, second, open_group, closed


def test_public_card_with_every_expand(compat, fresh):
    program = fresh
    module, second, open_group, _closed = _prepared_groups(program)
    data = _data(compat.get(f"public/programs/{program.pk}?expand={PUBLIC_EXPAND}"))
    for name in PUBLIC_EXPAND.split(","):
        assert name in data, name
    core = data["program"]
    assert core["id"] == program.pk and core["full_name"] == program.name
    assert (core["duration_year"], core["duration_month"]) == (1, 6)
    assert core["modules_count"] == 2 and core["mun"] == program.municipality_id
    assert core["kind"] == programs.KIND_IDS[program.kind]
    assert core["edu_form"] == programs.EDU_FORM_IDS[program.form]
    assert core["status"] == programs.STATUS_IDS[program.certification_status]
    groups = data["available_groups"]
    assert [group["id"] for group in groups] == [open_group.pk]
    group = groups[0]
    assert group["module_id"] == module.pk and group["module_name"] == "Первый год"
    assert group["program_id"] == program.pk
    assert group["organization_id"] == program.provider_id
    assert group["free_places_counter"] == 8
    assert group["period_price"] == "4500.00"
    assert group["typical_lesson_duration_minutes"] == 90
    assert (group["start_date"], group["end_date"]) == ("2026-09-01", "2027-05-31")
    assert [
        (p["weekday"], p["start_time"], p["end_time"], p["parity"]) for p in group["periods"]
    ] == [
        (2, "16:00", "17:30", "every"),
        (4, "16:00", "17:30", "every"),
        (6, "10:00", "10:45", "odd"),
    ]
    assert data["modules"] == [
        {
            "id": module.pk,
            "name": "Первый год",
            "position": 1,
            "hours": 72,
            "months": 9,
            "price": "4500.00",
            "normative_cost": "5123.45",
            "min_children": 1,
            "max_children": 12,
        },
        {
            "id": second.pk,
            "name": "Второй год",
            "position": 2,
            "hours": 72,
            "months": 9,
            "price": None,
            "normative_cost": None,
            "min_children": 1,
            "max_children": 12,
        },
    ]
    assert data["is_open"] is True
    assert data["organization"]["id"] == program.provider_id
    assert data["phone"] == program.provider.phone
    assert data["region"]["id"] == program.municipality.region_id
    assert data["activity"] == [] and data["program_icons"] == []
    assert data["img_transparent"] is None and data["distance_technology"] is None
    assert data["program_text"] == {"value": program.description, "link": False}
    # Nothing a provider keeps to itself.
    text = str(data)
    provider = program.provider
    for secret in (provider.settlement_account, provider.bik, provider.inn):
        if secret:
            assert secret not in text


def test_public_card_without_expand_keeps_the_declared_fields_only(compat, program):
    data = _data(compat.get(f"public/programs/{program.pk}"))
    assert set(data) == {
        "program",
        "available_groups",
        "address",
        "organization",
        "direction",
        "program_text",
        "modules",
        "images",
        "phone",
    }


def test_closed_enrolment_has_no_available_groups(compat, fresh):
    program = fresh
    _prepared_groups(program)
    Program.objects.filter(pk=program.pk).update(enrolment_open=False)
    data = _data(compat.get(f"public/programs/{program.pk}?expand=is_open"))
    assert data["available_groups"] == [] and data["is_open"] is False


def test_registries_map_honestly(compat, program):
    Program.objects.filter(pk=program.pk).update(
        certification_status="draft", budget_registry="none", paid_only=True
    )
    data = _data(compat.get(f"public/programs/{program.pk}?expand=reestrs,registry"))
    assert data["reestrs"] == {
        "certified": False,
        "meaningful": False,
        "general": False,
        "preprofessional": False,
        "commercial": True,
    }
    assert data["registry"] == [{"id": 5, "name": "Реестр платных программ"}]
    Program.objects.filter(pk=program.pk).update(
        certification_status="certified", budget_registry="other", paid_only=False
    )
    data = _data(compat.get(f"public/programs/{program.pk}?expand=reestrs,registry"))
    assert data["reestrs"]["certified"] and data["reestrs"]["general"]
    assert [item["id"] for item in data["registry"]] == [1, 4]


def test_an_old_pfdo_id_shows_and_finds_the_programme(compat, program, region_id):
    ProgramAlias.objects.create(program=program, legacy_id=1241964, created_at=clock.now())
    data = _data(compat.get("public/programs/1241964?expand=available_groups"))
    assert data["program"]["id"] == 1241964
    assert all(group["program_id"] == 1241964 for group in data["available_groups"])
    assert _data(compat.get(f"{SEARCH}/1241964"))["id"] == 1241964
    # Its own pk no longer names it (it has an old id).
    _error(compat.get(f"public/programs/{program.pk}"), 404)
    ids = set()
    page = 1
    while True:
        items = _data(compat.get(f"{SEARCH}?operator={region_id}&page={page}&per-page=100"))
        ids |= {item["id"] for item in items}
        if len(items) < 100:
            break
        page += 1
    assert 1241964 in ids and program.pk not in ids


# ------------------------------------------------------------------ queries


def _queries(compat, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = compat.get(path)
    assert response.status_code == 200, response.content[:300]
    return len(captured.captured_queries)


@pytest.mark.parametrize("extra", ["", "&search[name]=студия&search[age]=100&search[direction]=4"])
def test_search_queries_do_not_grow_with_the_page(compat, region_id, extra):
    compat.get(f"{SEARCH}?operator={region_id}")  # anything read once per process
    small = _queries(compat, f"{SEARCH}?operator={region_id}&per-page=5{extra}")
    large = _queries(
        compat, f"{ES}?operator={region_id}&per-page=100&expand=kind,program_nok_rating{extra}"
    )
    assert small == large
    assert large <= 6


def test_public_card_queries_do_not_grow_with_modules_and_groups(compat, fresh):
    program = fresh
    path = f"public/programs/{program.pk}?expand={PUBLIC_EXPAND}"
    module, *_ = _prepared_groups(program)
    compat.get(path)
    before = _queries(compat, path)
    for number in range(10):
        group = Group.objects.create(
            module=module, name=f"Ещё {number}", address="ул. Ленина, 1", capacity=10
        )
        ScheduleEntry.objects.create(
            group=group, weekday=1, starts_at=dt.time(9), ends_at=dt.time(10)
        )
    after = _queries(compat, path)
    assert len(_data(compat.get(path))["available_groups"]) == 11
    assert before == after <= 7
