"""/api/v1/program-aliases/: the operator's list, a batch all or nothing (fields naming each bad
element), removing one; other municipalities' operators and other roles kept out."""

from __future__ import annotations

import pytest

from pfdo.compat.models import ProgramAlias
from pfdo.compat.services.aliases import MAX_LEGACY_ID, set_aliases
from pfdo.compat.tests import aliases_support

pytestmark = pytest.mark.django_db
world = aliases_support.world  # the fixture

URL = "/api/v1/program-aliases/"


@pytest.fixture
def as_operator(api_client, world):
    api_client.force_authenticate(world.operator)
    return api_client


def table() -> dict[int, int]:
    return dict(ProgramAlias.objects.values_list("program_id", "legacy_id"))


def test_a_batch_is_written_and_listed(as_operator, world):
    p1, p2, _ = world.programs
    body = {
        "municipality": world.vorkuta.pk,
        "aliases": [
            {"program": p1.pk, "pfdo_id": world.old(1)},
            {"program": p2.pk, "pfdo_id": world.old(2)},
        ],
    }
    response = as_operator.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "replaced": 0, "unchanged": 0}
    again = as_operator.post(URL, body, format="json")
    assert again.json() == {"created": 0, "replaced": 0, "unchanged": 2}
    listed = as_operator.get(URL).json()
    assert listed["count"] == 2
    first = listed["results"][0]
    assert first["program"] == p1.pk
    assert first["pfdo_id"] == world.old(1)
    assert first["program_name"] == "Робототехника"
    assert first["municipality"] == world.vorkuta.pk
    assert first["created_by"] == world.operator.pk
    assert first["created_at"]
    only = as_operator.get(URL, {"program": p2.pk}).json()
    assert [a["program"] for a in only["results"]] == [p2.pk]
    assert as_operator.get(URL, {"municipality": world.inta.pk}).json()["count"] == 0
    bad = as_operator.get(URL, {"program": "abc"})
    assert bad.status_code == 400
    assert "program" in bad.json()["error"]["fields"]


def test_bad_elements_are_named_and_nothing_is_written(as_operator, world):
    p1, p2, draft = world.programs
    body = {
        "municipality": world.vorkuta.pk,
        "aliases": [
            {"program": p1.pk, "pfdo_id": world.old(1)},
            {"program": world.foreign.pk, "pfdo_id": world.old(2)},
            {"program": p2.pk, "pfdo_id": world.old(1)},
            {"program": draft.pk, "pfdo_id": world.foreign.pk},
        ],
    }
    response = as_operator.post(URL, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "aliases_invalid"
    assert set(error["fields"]) == {"aliases.1.program", "aliases.2.pfdo_id", "aliases.3.pfdo_id"}
    assert error["fields"]["aliases.1.program"][0].startswith("Программы №")
    assert not ProgramAlias.objects.exists()


def test_numbers_taken_by_other_programmes_are_a_conflict(as_operator, world):
    p1, p2, draft = world.programs
    taken = {"program": p1.pk, "pfdo_id": world.old(1)}
    first = as_operator.post(
        URL, {"municipality": world.vorkuta.pk, "aliases": [taken]}, format="json"
    )
    assert first.status_code == 200, first.content
    # Another programme's number (stored), and the own id of a programme without one.
    body = {
        "municipality": world.vorkuta.pk,
        "aliases": [
            {"program": p2.pk, "pfdo_id": world.old(1)},
            {"program": draft.pk, "pfdo_id": world.foreign.pk},
        ],
    }
    response = as_operator.post(URL, body, format="json")
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "aliases_conflict"
    assert set(error["fields"]) == {"aliases.0.pfdo_id", "aliases.1.pfdo_id"}
    assert error["fields"]["aliases.0.pfdo_id"] == [
        f"Номер {world.old(1)} уже принадлежит другой программе (№ {p1.pk})."
    ]
    # Beside a mistake within the batch it stays one 400 naming every element.
    body["aliases"].append({"program": p1.pk, "pfdo_id": world.old(3)})
    body["aliases"].append({"program": p1.pk, "pfdo_id": world.old(4)})
    response = as_operator.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "aliases_invalid"
    assert ProgramAlias.objects.count() == 1


def test_malformed_batches_are_refused_by_field(as_operator, world):
    p1 = world.programs[0]
    cases = [
        ({"municipality": world.vorkuta.pk, "aliases": []}, "aliases"),
        (
            {"municipality": world.vorkuta.pk, "aliases": [{"program": p1.pk, "pfdo_id": 0}]},
            "aliases.0.pfdo_id",
        ),
        (
            {
                "municipality": world.vorkuta.pk,
                "aliases": [{"program": p1.pk, "pfdo_id": MAX_LEGACY_ID + 1}],
            },
            "aliases.0.pfdo_id",
        ),
        (
            {"municipality": world.vorkuta.pk, "aliases": [{"program": "x", "pfdo_id": 5}]},
            "aliases.0.program",
        ),
        ({"aliases": [{"program": p1.pk, "pfdo_id": 5}]}, "municipality"),
        # Another municipality (the operator's rights are checked, not revealed).
        (
            {"municipality": world.inta.pk, "aliases": [{"program": p1.pk, "pfdo_id": 5}]},
            "municipality",
        ),
        ({"municipality": 10**9, "aliases": [{"program": p1.pk, "pfdo_id": 5}]}, "municipality"),
    ]
    for body, field in cases:
        response = as_operator.post(URL, body, format="json")
        assert response.status_code == 400, body
        assert field in response.json()["error"]["fields"], (body, response.json())
    assert not ProgramAlias.objects.exists()


def test_removing_one(as_operator, world):
    p1 = world.programs[0]
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(p1.pk, world.old(1))])
    alias = ProgramAlias.objects.get()
    assert as_operator.delete(f"{URL}{alias.pk}/").status_code == 204
    assert not ProgramAlias.objects.exists()
    assert as_operator.delete(f"{URL}{alias.pk}/").status_code == 404


def test_a_removal_that_would_clash_is_a_conflict(as_operator, world):
    p1, p2, _ = world.programs
    set_aliases(
        actor=world.operator,
        municipality=world.vorkuta,
        rows=[(p1.pk, world.old(1)), (p2.pk, p1.pk)],
    )
    alias = ProgramAlias.objects.get(program=p1)
    response = as_operator.delete(f"{URL}{alias.pk}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "alias_clash"
    assert ProgramAlias.objects.count() == 2


def test_other_operators_and_roles_are_kept_out(api_client, world, make_user):
    p1 = world.programs[0]
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(p1.pk, world.old(1))])
    alias = ProgramAlias.objects.get()
    api_client.force_authenticate(world.other_operator)
    assert api_client.get(URL).json()["count"] == 0
    assert api_client.delete(f"{URL}{alias.pk}/").status_code == 404
    body = {"municipality": world.vorkuta.pk, "aliases": [{"program": p1.pk, "pfdo_id": 7}]}
    assert api_client.post(URL, body, format="json").status_code == 400
    api_client.force_authenticate(make_user("parent", municipality=world.vorkuta))
    assert api_client.get(URL).status_code == 403
    assert api_client.post(URL, body, format="json").status_code == 403
    assert api_client.delete(f"{URL}{alias.pk}/").status_code == 403
    api_client.force_authenticate(None)
    assert api_client.get(URL).status_code == 401
    assert table() == {p1.pk: world.old(1)}
    admin = make_user(is_superuser=True)
    api_client.force_authenticate(admin)
    assert api_client.get(URL).json()["count"] == 1
