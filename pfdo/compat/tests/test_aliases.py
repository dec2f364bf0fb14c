"""The table of old ПФДО programme ids: the service's rules, refusals, idempotence, the id
sequence advanced past old ids (on SQLite and on PostgreSQL: this module runs on both), and
how the compatibility API's look-ups see the result."""

from __future__ import annotations

import pytest

from pfdo.audit.models import ActionLog
from pfdo.catalog.models import Program
from pfdo.catalog.tests.factories import ProgramFactory
from pfdo.common.errors import AccessDenied, Conflict, ValidationFailed
from pfdo.compat import selectors
from pfdo.compat.models import ProgramAlias
from pfdo.compat.services.aliases import (
    MAX_LEGACY_ID,
    AliasRow,
    AliasRowsInvalid,
    remove_alias,
    set_aliases,
)
from pfdo.compat.tests import aliases_support

pytestmark = pytest.mark.django_db
world = aliases_support.world  # the fixture


def table() -> dict[int, int]:
    return dict(ProgramAlias.objects.values_list("program_id", "legacy_id"))


def problems_of(exc) -> list[tuple[int, str]]:
    return [(p.line, p.field) for p in exc.problems]


def test_a_batch_gives_programmes_their_old_ids_and_the_api_finds_them_by_it(world):
    p1, p2, draft = world.programs
    result = set_aliases(
        actor=world.operator,
        municipality=world.vorkuta,
        rows=[(p1.pk, world.old(1)), (p2.pk, world.old(2)), (draft.pk, world.old(3))],
    )
    assert (result.created, result.replaced, result.unchanged) == (3, 0, 0)
    assert table() == {p1.pk: world.old(1), p2.pk: world.old(2), draft.pk: world.old(3)}
    alias = ProgramAlias.objects.get(program=p1)
    assert alias.created_by == world.operator
    # Found under the old id, no longer under its own; the shown id is the old one.
    assert selectors.program_pk(world.old(1)) == p1.pk
    assert selectors.program_pk(p1.pk) is None
    assert selectors.public_program_ids([p1.pk, world.foreign.pk]) == {
        p1.pk: world.old(1),
        world.foreign.pk: world.foreign.pk,
    }
    # A programme without an old id is still found under its own.
    assert selectors.program_pk(world.foreign.pk) == world.foreign.pk
    log = ActionLog.objects.get(action="compat.aliases_set")
    assert log.municipality == world.vorkuta
    assert log.actor == world.operator
    assert log.details["created"] == 3
    assert log.details["changes"][str(p1.pk)] == [None, world.old(1)]


def test_the_same_rows_again_change_nothing(world):
    p1, p2, _ = world.programs
    rows = [(p1.pk, world.old(1)), (p2.pk, world.old(2))]
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=rows)
    stamps = dict(ProgramAlias.objects.values_list("pk", "created_at"))
    again = set_aliases(actor=world.operator, municipality=world.vorkuta, rows=rows)
    assert (again.created, again.replaced, again.unchanged) == (0, 0, 2)
    assert dict(ProgramAlias.objects.values_list("pk", "created_at")) == stamps
    # Nothing changed, nothing to record.
    assert ActionLog.objects.filter(action="compat.aliases_set").count() == 1


def test_a_new_old_id_replaces_the_previous_one_and_frees_it(world):
    p1, p2, _ = world.programs
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(p1.pk, world.old(1))])
    result = set_aliases(
        actor=world.operator,
        municipality=world.vorkuta,
        rows=[(p1.pk, world.old(5)), (p2.pk, world.old(1))],
    )
    assert (result.created, result.replaced, result.unchanged) == (1, 1, 0)
    assert table() == {p1.pk: world.old(5), p2.pk: world.old(1)}
    assert selectors.program_pk(world.old(1)) == p2.pk
    assert selectors.program_pk(world.old(5)) == p1.pk


def test_two_programmes_may_swap_their_old_ids_in_one_batch(world):
    p1, p2, _ = world.programs
    rows = [(p1.pk, world.old(1)), (p2.pk, world.old(2))]
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=rows)
    swapped = set_aliases(
        actor=world.operator,
        municipality=world.vorkuta,
        rows=[(p1.pk, world.old(2)), (p2.pk, world.old(1))],
    )
    assert swapped.replaced == 2
    assert table() == {p1.pk: world.old(2), p2.pk: world.old(1)}


def test_every_bad_row_is_named_by_its_line_and_nothing_is_written(world):
    p1, p2, draft = world.programs
    other = ProgramFactory(provider=p1.provider, name="Уже с номером")
    fourth = ProgramFactory(provider=p1.provider, name="Четвёртая")
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(other.pk, world.old(9))])
    before = table()
    rows = [
        AliasRow(p1.pk, world.old(1), 2),  # good, yet not written
        AliasRow(world.foreign.pk, world.old(2), 3),  # another municipality's programme
        AliasRow(world.base * 10, world.old(3), 4),  # no such programme
        AliasRow(p2.pk, 0, 5),  # not a valid old id
        AliasRow(p2.pk, MAX_LEGACY_ID + 1, 6),  # too large
        AliasRow(draft.pk, world.old(9), 7),  # another programme's old id
        AliasRow(p1.pk, world.old(4), 8),  # p1 has another id in line 2
        AliasRow(p2.pk, world.old(1), 9),  # the old id of p1 in line 2
        AliasRow(fourth.pk, world.foreign.pk, 10),  # the own id of a programme without one
        AliasRow("12", True, 11),  # not numbers
        AliasRow(2**63, world.old(20), 12),  # past any programme id
    ]
    with pytest.raises(AliasRowsInvalid) as caught:
        set_aliases(actor=world.operator, municipality=world.vorkuta, rows=rows)
    assert problems_of(caught.value) == [
        (3, "program"),
        (4, "program"),
        (5, "pfdo_id"),
        (6, "pfdo_id"),
        (7, "pfdo_id"),
        (8, "program"),
        (9, "pfdo_id"),
        (10, "pfdo_id"),
        (11, "program"),
        (11, "pfdo_id"),
        (12, "program"),
    ]
    messages = caught.value.fields["rows"]
    assert messages[0].startswith("Строка 3: программы №")
    assert "Воркута" in messages[0]
    assert any("уже принадлежит другой программе" in m for m in messages)
    assert any("Строка 10:" in m and "собственным номером" in m for m in messages)
    assert "3, 4, 5, 6, 7, 8, 9, 10, 11, 12" in caught.value.message
    assert table() == before
    assert ActionLog.objects.filter(action="compat.aliases_set").count() == 1


def test_an_old_id_may_equal_the_own_id_of_a_programme_that_has_an_old_id(world):
    p1, p2, draft = world.programs
    # p1's own id becomes p2's old id in the same batch that gives p1 an old id...
    set_aliases(
        actor=world.operator,
        municipality=world.vorkuta,
        rows=[(p1.pk, world.old(1)), (p2.pk, p1.pk)],
    )
    assert selectors.program_pk(p1.pk) == p2.pk
    assert selectors.program_pk(world.old(1)) == p1.pk
    # ...and a programme may keep its own id as its old one.
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(draft.pk, draft.pk)])
    assert selectors.program_pk(draft.pk) == draft.pk


def test_empty_and_oversized_batches_are_refused(world, monkeypatch):
    with pytest.raises(ValidationFailed):
        set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[])
    monkeypatch.setattr("pfdo.compat.services.aliases.MAX_ROWS", 2)
    with pytest.raises(ValidationFailed) as caught:
        set_aliases(
            actor=world.operator,
            municipality=world.vorkuta,
            rows=[(p.pk, world.old(n)) for n, p in enumerate(world.programs)],
        )
    assert caught.value.code == "aliases_too_many"
    assert not ProgramAlias.objects.exists()


def test_only_the_municipalitys_operator_or_a_superuser_may_fill_it(world, make_user):
    p1 = world.programs[0]
    for outsider in (
        world.other_operator,
        make_user("parent", municipality=world.vorkuta),
        make_user("regional_admin", region=world.vorkuta.region),
    ):
        with pytest.raises(AccessDenied):
            set_aliases(actor=outsider, municipality=world.vorkuta, rows=[(p1.pk, world.old(1))])
    assert not ProgramAlias.objects.exists()
    admin = make_user(is_superuser=True)
    set_aliases(actor=admin, municipality=world.vorkuta, rows=[(p1.pk, world.old(1))])
    assert table() == {p1.pk: world.old(1)}


def test_an_operator_of_two_municipalities_still_maps_each_one_its_own(world):
    """The programme must be of the municipality named, even if the operator sees the other."""
    from pfdo.accounts.tests.factories import grant

    grant(world.operator, "operator", municipality=world.inta)
    with pytest.raises(AliasRowsInvalid) as caught:
        set_aliases(
            actor=world.operator,
            municipality=world.vorkuta,
            rows=[(world.foreign.pk, world.old(1))],
        )
    assert problems_of(caught.value) == [(1, "program")]
    set_aliases(
        actor=world.operator, municipality=world.inta, rows=[(world.foreign.pk, world.old(1))]
    )
    assert table() == {world.foreign.pk: world.old(1)}


def test_programmes_created_after_a_mapping_get_ids_past_every_old_id(world):
    """The sequence advance (PostgreSQL: setval; SQLite: sqlite_sequence). Without it the next
    programme would take the id after the largest programme id, far below the old id."""
    p1 = world.programs[0]
    big = world.base + 50_000
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(p1.pk, big)])
    later = ProgramFactory(provider=p1.provider)
    assert later.pk > big
    assert selectors.program_pk(later.pk) == later.pk


def test_the_sequence_never_moves_back(world):
    p1, p2, _ = world.programs
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(p1.pk, world.old(900))])
    first = ProgramFactory(provider=p1.provider)
    # A smaller old id later must not pull the next id back under ids already given.
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(p2.pk, world.old(10))])
    second = ProgramFactory(provider=p1.provider)
    assert second.pk > first.pk > world.old(900)


def test_removing_an_alias_shows_the_programme_under_its_own_id_again(world):
    p1 = world.programs[0]
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(p1.pk, world.old(1))])
    alias = ProgramAlias.objects.get(program=p1)
    remove_alias(actor=world.operator, alias=alias)
    assert not ProgramAlias.objects.exists()
    assert selectors.program_pk(p1.pk) == p1.pk
    assert selectors.program_pk(world.old(1)) is None
    log = ActionLog.objects.get(action="compat.alias_removed")
    assert log.details == {"program": p1.pk, "pfdo_id": world.old(1)}
    assert log.municipality == world.vorkuta


def test_an_alias_whose_removal_would_make_two_programmes_share_an_id_stays(world):
    p1, p2, _ = world.programs
    set_aliases(
        actor=world.operator,
        municipality=world.vorkuta,
        rows=[(p1.pk, world.old(1)), (p2.pk, p1.pk)],
    )
    with pytest.raises(Conflict) as caught:
        remove_alias(actor=world.operator, alias=ProgramAlias.objects.get(program=p1))
    assert caught.value.code == "alias_clash"
    assert table() == {p1.pk: world.old(1), p2.pk: p1.pk}
    # Once p2's old id is removed, p1's may go too.
    remove_alias(actor=world.operator, alias=ProgramAlias.objects.get(program=p2))
    remove_alias(actor=world.operator, alias=ProgramAlias.objects.get(program=p1))
    assert not ProgramAlias.objects.exists()


def test_another_municipalitys_operator_may_not_remove_an_alias(world):
    p1 = world.programs[0]
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(p1.pk, world.old(1))])
    with pytest.raises(AccessDenied):
        remove_alias(actor=world.other_operator, alias=ProgramAlias.objects.get())
    assert ProgramAlias.objects.count() == 1


def test_the_system_may_fill_the_table_without_a_user(world):
    p1 = world.programs[0]
    result = set_aliases(actor=None, municipality=world.vorkuta, rows=[(p1.pk, world.old(1))])
    assert result.created == 1
    assert ProgramAlias.objects.get().created_by is None
    assert Program.objects.filter(pk=p1.pk, pfdo_alias__legacy_id=world.old(1)).exists()


def test_the_rule_answers_for_a_municipality_a_programme_and_an_alias(world, make_user):
    from pfdo.audit.labels import ACTION_LABELS
    from pfdo.common.authz import can

    p1 = world.programs[0]
    set_aliases(actor=world.operator, municipality=world.vorkuta, rows=[(p1.pk, world.old(1))])
    alias = ProgramAlias.objects.get()
    parent = make_user("parent", municipality=world.vorkuta)
    for obj in (world.vorkuta, p1, alias):
        assert can(world.operator, "compat.manage_aliases", obj)
        assert world.operator.has_perm("compat.manage_aliases", obj)
        assert not can(world.other_operator, "compat.manage_aliases", obj)
        assert not can(parent, "compat.manage_aliases", obj)
    assert not can(world.operator, "compat.manage_aliases", object())
    # The role gate (no object yet).
    assert can(world.other_operator, "compat.manage_aliases")
    assert not can(parent, "compat.manage_aliases")
    assert "compat.aliases_set" in ACTION_LABELS and "compat.alias_removed" in ACTION_LABELS
