"""Expert groups and experts' public cards of the compatibility API: built from the
certification's assessments, an expert shown only with a published card."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pfdo.catalog.tests.factories import AssessmentFactory, DraftProgramFactory
from pfdo.compat.tests.conftest import CompatClient
from pfdo.content.models import ExpertProfile
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.territory.tests.factories import MunicipalityFactory, RegionFactory

GROUPS = "public/expert-groups"


@pytest.fixture
def api(db) -> CompatClient:
    return CompatClient()


@pytest.fixture
def world(region, vorkuta, make_user):
    other_region = RegionFactory(code="nenets", name="Ненецкий АО", okato="83")
    elsewhere = MunicipalityFactory(region=other_region, code="naryan", name="Нарьян-Мар")
    closed = MunicipalityFactory(region=region, code="closed", name="Закрытый", is_active=False)
    expert = make_user(
        "expert",
        municipality=vorkuta,
        username="expert.login",
        last_name="Смирнова",
        first_name="Анна",
        patronymic="Викторовна",
    )
    hidden = make_user("expert", municipality=vorkuta, last_name="Скрытов", first_name="Пётр")
    provider = ProviderFactory(municipality=vorkuta)

    def assessed(direction, by, municipality=vorkuta):
        owner = provider if municipality == vorkuta else ProviderFactory(municipality=municipality)
        program = DraftProgramFactory(provider=owner, direction=direction)
        return AssessmentFactory(program=program, expert=by)

    assessed("sports", expert)
    assessed("technical", expert)
    assessed("technical", expert)
    assessed("arts", hidden)
    assessed("tourism", expert, municipality=closed)  # an inactive municipality: not a group
    assessed("social", expert, municipality=elsewhere)  # another region
    profile = ExpertProfile.objects.create(
        user=expert,
        region=region,
        post="Методист",
        organization_name="Коми республиканский центр",
        description="Оцениваю технические программы.",
        is_public=True,
    )
    ExpertProfile.objects.create(user=hidden, region=region, post="Педагог", is_public=False)
    return {
        "region": region,
        "other_region": other_region,
        "expert": expert,
        "hidden": hidden,
        "profile": profile,
    }


def _data(response, status=200):
    assert response.status_code == status, response.json()
    return response.json()["data"]


def test_one_group_per_direction_assessed_in_the_regions_active_municipalities(api, world):
    data = _data(api.get(f"{GROUPS}?operator_id={world['region'].pk}"))
    operator = world["region"].pk
    assert data == [
        {"id": 1, "name": "Эксперты: техническая направленность", "operator_id": operator},
        {
            "id": 3,
            "name": "Эксперты: физкультурно-спортивная направленность",
            "operator_id": operator,
        },
        {"id": 4, "name": "Эксперты: художественная направленность", "operator_id": operator},
    ]


def test_the_other_region_has_its_own_groups(api, world):
    data = _data(api.get(f"{GROUPS}?operator_id={world['other_region'].pk}"))
    assert [group["id"] for group in data] == [6]
    assert data[0]["operator_id"] == world["other_region"].pk


def test_a_region_without_assessments_has_no_groups(api, world):
    lonely = RegionFactory(code="lonely", name="Без экспертов", okato="99")
    assert _data(api.get(f"{GROUPS}?operator_id={lonely.pk}")) == []


@pytest.mark.parametrize(
    ("query", "status"),
    [("", 400), ("?operator_id=", 400), ("?operator_id=x1", 400), ("?operator_id=999999", 400)],
)
def test_groups_bad_operator(api, world, query, status):
    response = api.get(GROUPS + query)
    assert response.status_code == status
    assert response.json()["status"] == status


def test_groups_query_count_does_not_grow_with_the_assessments(api, world):
    def count():
        with CaptureQueriesContext(connection) as queries:
            _data(api.get(f"{GROUPS}?operator_id={world['region'].pk}"))
        return len(queries)

    before = count()
    for direction in ("natural_science", "social", "sports", "arts"):
        AssessmentFactory(program=DraftProgramFactory(direction=direction), expert=world["hidden"])
    assert count() == before <= 3


def test_critic_card_of_a_published_profile(api, world):
    expert = world["expert"]
    data = _data(api.get(f"public/critic/{expert.pk}"))
    assert data == {
        "id": expert.pk,
        "name": "Смирнова Анна Викторовна",
        "description": "Оцениваю технические программы.",
        "organization_name": "Коми республиканский центр",
        "post": "Методист",
        "image_url": None,
        # The card region's active municipalities only, as the groups: the other region's
        # and the inactive municipality's assessments are not counted.
        "skills": [
            {"id": 1, "name": "Техническая", "assessments": 2},
            {"id": 3, "name": "Физкультурно-спортивная", "assessments": 1},
        ],
    }
    assert "expert.login" not in api.get(f"public/critic/{expert.pk}").content.decode()


def test_blank_profile_fields_are_null(api, world):
    profile = world["profile"]
    profile.post = profile.organization_name = profile.description = ""
    profile.save()
    data = _data(api.get(f"public/critic/{world['expert'].pk}"))
    assert data["post"] is None and data["organization_name"] is None
    assert data["description"] is None


def test_an_unpublished_or_absent_card_is_404_and_tells_nothing(api, world, make_user):
    no_card = make_user("expert", last_name="Безкарточный")
    for user in (world["hidden"], no_card):
        response = api.get(f"public/critic/{user.pk}")
        assert response.status_code == 404
        assert user.last_name not in response.content.decode()


def test_a_deactivated_expert_is_404(api, world):
    expert = world["expert"]
    expert.is_active = False
    expert.save()
    assert api.get(f"public/critic/{expert.pk}").status_code == 404


@pytest.mark.parametrize("raw", ["abc", "-1", "1e3", "99999999999", "%201"])
def test_critic_with_a_non_numeric_id_is_404(api, world, raw):
    response = api.get(f"public/critic/{raw}")
    assert response.status_code == 404
    assert response.json()["name"] == "Not Found"


def test_critic_query_count(api, world):
    with CaptureQueriesContext(connection) as queries:
        _data(api.get(f"public/critic/{world['expert'].pk}"))
    assert len(queries) <= 2
