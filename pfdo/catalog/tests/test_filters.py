"""ProgramFilter and GroupFilter: every parameter narrows on hand-built data; bad values are errors."""

import datetime as dt
import itertools

import pytest

from pfdo.catalog.filters import GroupFilter, ProgramFilter
from pfdo.catalog.models import Group, Program
from pfdo.catalog.tests.factories import (
    GroupFactory,
    ModuleFactory,
    ProgramFactory,
    ScheduleEntryFactory,
)
from pfdo.demo.identifiers import inn10
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.territory.tests.factories import MunicipalityFactory

_serial = itertools.count(1)


def make_provider(municipality, **fields):
    # Explicit ИНН: the factory's sequence repeats a body for n < 10 in one municipality.
    return ProviderFactory(municipality=municipality, inn=inn10(next(_serial)), **fields)


def _program(provider, *, name, modules, **fields):
    """A programme with modules [(price, normative, [groups])], group = (fields, [lessons])."""
    program = ProgramFactory(provider=provider, name=name, **fields)
    for position, (price, normative, groups) in enumerate(modules, start=1):
        module = ModuleFactory(
            program=program,
            position=position,
            price_kopecks=price,
            normative_cost_kopecks=normative,
        )
        for group_fields, lessons in groups:
            group = GroupFactory(module=module, **{"address": program.address, **group_fields})
            for weekday, start, end in lessons:
                ScheduleEntryFactory(
                    group=group,
                    weekday=weekday,
                    starts_at=dt.time(*start),
                    ends_at=dt.time(*end),
                )
    return program


@pytest.fixture
def catalog(vorkuta):
    """Five programmes of Vorkuta and one of another municipality, each different."""
    ddt = make_provider(vorkuta, short_name="ДДТ")
    studio = make_provider(vorkuta, short_name="Студия «Па»")
    other_place = MunicipalityFactory(region=vorkuta.region, code="inta", name="Инта", number=4)
    elsewhere = make_provider(other_place, short_name="ЦДТ Инты")
    return {
        "robot": _program(
            ddt,
            name="Робототехника",
            description="Собираем и программируем роботов.",
            direction="technical",
            age_from_months=7 * 12,
            age_to_months=14 * 12,
            district="Центральный",
            address="г. Воркута, ул. Ленина, д. 1",
            published_at=dt.datetime(2026, 9, 1, tzinfo=dt.UTC),
            rating_avg="4.50",
            rating_count=10,
            modules=[
                (1_800_000, 2_000_000, [({"capacity": 15}, [(2, (16, 0), (17, 30))])]),
                (2_400_000, 2_000_000, []),
            ],
        ),
        "dance": _program(
            studio,
            name="Танцевальная студия",
            description="Современный танец и хореография.",
            direction="arts",
            age_from_months=5 * 12,
            age_to_months=9 * 12,
            district="Воргашор",
            address="г. Воркута, ул. Гагарина, д. 5",
            published_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
            rating_avg="4.90",
            rating_count=3,
            modules=[
                (
                    2_500_000,
                    2_000_000,
                    [
                        (
                            {"capacity": 10, "seats_taken": 10, "address": "ул. Гагарина, д. 5"},
                            [(6, (10, 0), (11, 0))],
                        ),
                        ({"capacity": 10, "address": "ул. Мира, д. 3"}, [(4, (18, 0), (19, 0))]),
                    ],
                )
            ],
        ),
        "chess": _program(
            ddt,
            name="Шахматы",
            description="Шахматный клуб для школьников.",
            direction="social",
            age_from_months=10 * 12,
            age_to_months=17 * 12,
            address="г. Воркута, ул. Шахтёров, д. 10",
            certification_status=Program.Certification.DRAFT,
            budget_registry=Program.BudgetRegistry.SIGNIFICANT,
            modules=[
                (
                    0,
                    1_500_000,
                    [({"capacity": 12, "enrolment_open": False}, [(1, (18, 0), (19, 30))])],
                )
            ],
        ),
        "swim": _program(
            studio,
            name="Плавание",
            description="Бассейн.",
            direction="sports",
            age_from_months=6 * 12,
            age_to_months=12 * 12,
            address="г. Воркута, ул. Спортивная, д. 2",
            certification_status=Program.Certification.DRAFT,
            paid_only=True,
            modules=[(3_000_000, 2_000_000, [({"capacity": 20}, [(3, (8, 0), (9, 0))])])],
        ),
        "hidden": _program(
            ddt,
            name="Робототехника (черновик)",
            direction="technical",
            is_published=False,
            modules=[(1_000_000, 2_000_000, [({"capacity": 5}, [(2, (16, 0), (17, 0))])])],
        ),
        "inta": _program(
            elsewhere,
            name="Робототехника в Инте",
            direction="technical",
            modules=[(1_000_000, 2_000_000, [({"capacity": 5}, [(2, (16, 0), (17, 0))])])],
        ),
    }


def run(params: dict, queryset=None) -> ProgramFilter:
    return ProgramFilter(params, queryset=queryset or Program.objects.for_user(None))


def names(params: dict) -> list[str]:
    f = run(params)
    assert f.is_valid(), f.errors
    return sorted(p.name for p in f.qs)


ALL_PUBLIC = ["Плавание", "Робототехника", "Робототехника в Инте", "Танцевальная студия", "Шахматы"]


def test_no_parameters_show_every_published_programme_once(catalog):
    assert names({}) == ALL_PUBLIC


def test_direction(catalog):
    assert names({"direction": "arts"}) == ["Танцевальная студия"]
    assert names({"direction": "technical"}) == ["Робототехника", "Робототехника в Инте"]


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (5, ["Танцевальная студия"]),
        (9, ["Плавание", "Робототехника", "Робототехника в Инте", "Танцевальная студия"]),
        # 14 full years is 168–179 months; a range ending at 168 months still takes the child.
        (14, ["Робототехника", "Робототехника в Инте", "Шахматы"]),
        (17, ["Шахматы"]),
        (18, []),
    ],
)
def test_age_in_years_meets_the_range_in_months(catalog, age, expected):
    assert names({"age": str(age)}) == expected


def test_provider_and_municipality(catalog):
    studio = catalog["dance"].provider
    assert names({"provider": str(studio.pk)}) == ["Плавание", "Танцевальная студия"]
    assert names({"municipality": "inta"}) == ["Робототехника в Инте"]
    assert "Робототехника в Инте" not in names({"municipality": "vorkuta"})


def test_district_and_address_ignore_case_in_cyrillic(catalog):
    assert names({"district": "воргашор"}) == ["Танцевальная студия"]
    assert names({"address": "ЛЕНИНА"}) == ["Робототехника", "Робототехника в Инте"]
    # A group's address counts too: only the dance studio has a group on Mira street.
    assert names({"address": "мира"}) == ["Танцевальная студия"]
    assert names({"address": "центральный"}) == ["Робототехника"]


def test_weekday_and_time_window(catalog):
    assert names({"weekday": "6"}) == ["Танцевальная студия"]
    assert names({"weekday": "2"}) == ["Робототехника", "Робототехника в Инте"]
    assert names({"time_from": "17:30"}) == ["Танцевальная студия", "Шахматы"]
    assert names({"time_to": "09:00"}) == ["Плавание"]
    # The same lesson must be on the day and inside the window.
    assert names({"weekday": "2", "time_from": "16:00", "time_to": "17:00"}) == [
        "Робототехника в Инте"
    ]
    assert names({"weekday": "6", "time_from": "12:00"}) == []


def test_free_places_needs_an_open_group_with_a_place(catalog):
    result = names({"free_places": "true"})
    # Chess: its only group is closed for enrolment.
    assert "Шахматы" not in result
    assert result == ["Плавание", "Робототехника", "Робототехника в Инте", "Танцевальная студия"]
    assert names({"free_places": "false"}) == ALL_PUBLIC


def test_free_places_and_weekday_hold_for_the_same_group(catalog):
    # The dance studio's Saturday group is full; its Thursday group has places.
    assert names({"weekday": "6", "free_places": "true"}) == []
    assert names({"weekday": "4", "free_places": "true"}) == ["Танцевальная студия"]


def test_free_places_needs_programme_enrolment_open(catalog):
    Program.objects.filter(pk=catalog["robot"].pk).update(enrolment_open=False)
    assert "Робототехника" not in names({"free_places": "true"})


def test_price(catalog):
    assert names({"price": "free"}) == ["Шахматы"]
    # Certified programmes only: the certificate pays nothing for the others.
    assert names({"price": "covered"}) == ["Робототехника", "Робототехника в Инте"]
    # Robotics has one module above the normative cost too.
    assert names({"price": "copay"}) == ["Робототехника", "Танцевальная студия"]


def test_registry(catalog):
    assert names({"registry": "certified"}) == [
        "Робототехника",
        "Робототехника в Инте",
        "Танцевальная студия",
    ]
    assert names({"registry": "significant"}) == ["Шахматы"]
    assert names({"registry": "preprofessional"}) == []
    assert names({"registry": "other"}) == []
    assert names({"registry": "paid_only"}) == ["Плавание"]


def test_combination_narrows_to_one(catalog):
    params = {"municipality": "vorkuta", "direction": "technical", "age": "9", "free_places": "1"}
    assert names(params) == ["Робототехника"]
    assert names({**params, "price": "free"}) == []


def test_text_search_through_the_filter(catalog):
    assert names({"q": "танец"}) == ["Танцевальная студия"]
    assert names({"q": "роботов", "municipality": "vorkuta"}) == ["Робототехника"]


def _ordered(params):
    f = run(params)
    assert f.is_valid(), f.errors
    return [p.name for p in f.qs if p.municipality.code == "vorkuta"]


def test_ordering(catalog):
    assert _ordered({"ordering": "name"}) == [
        "Плавание",
        "Робототехника",
        "Танцевальная студия",
        "Шахматы",
    ]
    newest = _ordered({"ordering": "-published_at"})
    assert newest[:2] == ["Танцевальная студия", "Робототехника"]
    assert _ordered({"ordering": "price"}) == [
        "Шахматы",
        "Робототехника",
        "Танцевальная студия",
        "Плавание",
    ]
    assert _ordered({"ordering": "-rating_avg"})[:2] == ["Танцевальная студия", "Робототехника"]


def test_no_duplicate_rows_when_many_groups_match(vorkuta):
    provider = make_provider(vorkuta)
    lessons = [(2, (16, 0), (17, 0)), (4, (16, 0), (17, 0))]
    _program(
        provider,
        name="Много групп",
        modules=[
            (100, 200, [({"capacity": 5}, lessons), ({"capacity": 5}, lessons)]),
            (100, 200, [({"capacity": 5}, lessons)]),
        ],
    )
    f = run({"time_from": "15:00", "free_places": "true", "price": "covered", "address": "ленина"})
    assert f.is_valid(), f.errors
    assert f.qs.count() == 1
    assert len(list(f.qs)) == 1


@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        ({"age": "abc"}, "age", "целое число полных лет"),
        ({"age": "-1"}, "age", "целое число полных лет"),
        ({"age": "40"}, "age", "целое число полных лет"),
        ({"direction": "xyz"}, "direction", "Неизвестное значение «xyz»"),
        ({"weekday": "9"}, "weekday", "от 1 (понедельник) до 7 (воскресенье)"),
        ({"weekday": "вт"}, "weekday", "от 1 (понедельник) до 7 (воскресенье)"),
        ({"time_from": "25:00"}, "time_from", "ЧЧ:ММ"),
        ({"time_from": "16:30:00Z"}, "time_from", "без часового пояса"),
        ({"time_to": "9:30"}, "time_to", "ЧЧ:ММ"),
        ({"free_places": "yes"}, "free_places", "true или false"),
        ({"free_places": "null"}, "free_places", "true или false"),
        ({"free_places": "maybe"}, "free_places", "true или false"),
        ({"price": "cheap"}, "price", "free, covered, copay"),
        ({"registry": "gold"}, "registry", "certified"),
        ({"ordering": "-price"}, "ordering", "Неизвестное значение"),
        ({"provider": "x"}, "provider", "целое положительное число"),
        ({"provider": "0"}, "provider", "целое положительное число"),
        ({"q": "а" * 201}, "q", "не длиннее 200 символов"),
    ],
)
def test_invalid_values_give_russian_errors(db, params, field, fragment):
    f = run(params)
    assert not f.is_valid()
    assert fragment in " ".join(f.errors[field])


def test_valid_filters_still_apply_beside_an_invalid_one(catalog):
    f = run({"direction": "arts", "age": "abc"})
    assert not f.is_valid()
    assert [p.name for p in f.qs] == ["Танцевальная студия"]


def group_names(params):
    f = GroupFilter(params, queryset=Group.objects.for_user(None))
    assert f.is_valid(), f.errors
    return sorted(f"{g.module.program.name}/{g.capacity}" for g in f.qs)


def test_group_filter(catalog):
    assert group_names({"program": str(catalog["dance"].pk)}) == [
        "Танцевальная студия/10",
        "Танцевальная студия/10",
    ]
    assert group_names({"municipality": "inta"}) == ["Робототехника в Инте/5"]
    assert group_names({"weekday": "6"}) == ["Танцевальная студия/10"]
    free_thursday = GroupFilter(
        {"weekday": "4", "free_places": "true"}, queryset=Group.objects.for_user(None)
    )
    assert [g.address for g in free_thursday.qs] == ["ул. Мира, д. 3"]
    assert group_names({"age": "16"}) == ["Шахматы/12"]
    assert "Шахматы/12" not in group_names({"free_places": "true"})
    # Unpublished programmes' groups are not public.
    assert all("черновик" not in name for name in group_names({}))


def test_group_filter_rejects_bad_values(db):
    f = GroupFilter({"weekday": "0", "age": "x"}, queryset=Group.objects.for_user(None))
    assert not f.is_valid()
    assert set(f.errors) == {"weekday", "age"}


def test_api_uses_the_same_filters_and_answers_400_with_the_error_body(api_client, catalog):
    ok = api_client.get("/api/v1/programs/", {"direction": "arts", "age": "9"})
    assert ok.status_code == 200, ok.content
    assert [p["name"] for p in ok.json()["results"]] == ["Танцевальная студия"]
    bad = api_client.get("/api/v1/programs/", {"age": "abc", "direction": "xyz", "weekday": "9"})
    assert bad.status_code == 400
    error = bad.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"age", "direction", "weekday"}
    assert "целое число полных лет" in error["fields"]["age"][0]
    groups = api_client.get("/api/v1/groups/", {"weekday": "0"})
    assert groups.status_code == 400
    assert "weekday" in groups.json()["error"]["fields"]


# The page shows the error in its form (200); the API answers 400.
@pytest.mark.parametrize(("path", "status"), [("/catalog/", 200), ("/api/v1/programs/", 400)])
def test_an_id_too_large_for_the_database_is_a_clear_error(client, db, path, status):
    response = client.get(path, {"provider": "99999999999999999999999"})
    assert response.status_code == status
    assert "целое положительное число" in response.content.decode()


def test_groups_api_refuses_an_id_too_large(client, db):
    response = client.get("/api/v1/groups/", {"program": str(2**70)})
    assert response.status_code == 400
    assert "program" in response.json()["error"]["fields"]


def test_unknown_normative_cost_is_not_covered(db):
    from pfdo.catalog.filters import ProgramFilter
    from pfdo.catalog.models import Program
    from pfdo.catalog.tests.factories import ModuleFactory

    module = ModuleFactory(price_kopecks=500_000, normative_cost_kopecks=None)
    assert module.certificate_covers_kopecks is None and module.copayment_kopecks is None
    covered = ProgramFilter({"price": "covered"}, queryset=Program.objects.all()).qs
    assert module.program not in covered
