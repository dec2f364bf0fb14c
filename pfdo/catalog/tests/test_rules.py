"""Who may do what to a programme (rules) and who sees it (for_user): the access matrix."""

# ruff: noqa: F811  (fixtures are imported from manage_fixtures and requested by name)

import pytest
from django.contrib.auth.models import AnonymousUser

from pfdo.catalog.models import Group, Module, Program, ScheduleEntry
from pfdo.catalog.tests.factories import (
    DraftProgramFactory,
    GroupFactory,
    ModuleFactory,
    ProgramFactory,
    ScheduleEntryFactory,
)
from pfdo.catalog.tests.manage_fixtures import (  # noqa: F401  (fixtures)
    _today,
    expert,
    other_provider,
    other_staff,
    provider,
    staff,
)
from pfdo.providers.tests.factories import add_staff

PERMS = [
    "catalog.change_program",
    "catalog.publish_program",
    "catalog.submit_program",
    "catalog.assess_program",
    "catalog.decide_certification",
    "catalog.set_registry",
    "catalog.return_to_draft",
    "catalog.view_program_management",
]

# role → the permissions it holds on a programme of `provider` in Vorkuta.
EXPECTED = {
    "staff": {
        "catalog.change_program",
        "catalog.publish_program",
        "catalog.submit_program",
        "catalog.return_to_draft",
        "catalog.view_program_management",
    },
    "other_staff": set(),
    "operator": {
        "catalog.decide_certification",
        "catalog.set_registry",
        "catalog.return_to_draft",
        "catalog.view_program_management",
    },
    "foreign_operator": set(),
    "expert": {"catalog.assess_program", "catalog.view_program_management"},
    "foreign_expert": set(),
    "parent": set(),
    "anonymous": set(),
}


@pytest.fixture
def users(staff, other_staff, operator, expert, make_user):
    elsewhere = ProgramFactory().municipality
    return {
        "staff": staff,
        "other_staff": other_staff,
        "operator": operator,
        "foreign_operator": make_user("operator", municipality=elsewhere),
        "expert": expert,
        "foreign_expert": make_user("expert", municipality=elsewhere),
        "parent": make_user("parent", municipality=elsewhere),
        "anonymous": AnonymousUser(),
    }


@pytest.mark.parametrize("role", list(EXPECTED))
def test_permission_matrix_on_every_object_under_the_programme(users, provider, role):
    program = DraftProgramFactory(provider=provider, certification_status="submitted")
    entry = ScheduleEntryFactory(group=GroupFactory(module=ModuleFactory(program=program)))
    user = users[role]
    for obj in (program, entry.group.module, entry.group, entry):
        held = {perm for perm in PERMS if user.has_perm(perm, obj)}
        assert held == EXPECTED[role], (role, type(obj).__name__)


def test_an_expert_working_for_the_provider_cannot_assess_it(expert, provider):
    program = DraftProgramFactory(provider=provider, certification_status="submitted")
    assert expert.has_perm("catalog.assess_program", program)
    add_staff(provider, is_admin=False, user=expert)
    assert not expert.has_perm("catalog.assess_program", program)


def test_add_program_only_for_own_provider(staff, provider, other_provider, operator):
    assert staff.has_perm("catalog.add_program", provider)
    assert not staff.has_perm("catalog.add_program", other_provider)
    assert not operator.has_perm("catalog.add_program", provider)


class _Names(dict):
    """Programme id → name in this test; programmes made by other fixtures map to 'other'."""

    def __missing__(self, key):
        return "other"  # the only other programme: published, no modules


VISIBLE = {
    # role → which of (published, draft, submitted, foreign draft) it sees
    "staff": {"published", "draft", "submitted"},
    "other_staff": {"published"},
    "operator": {"published", "draft", "submitted"},
    "foreign_operator": {"published"},
    "expert": {"published", "submitted"},
    "foreign_expert": {"published"},
    "parent": {"published"},
    "anonymous": {"published"},
}


@pytest.mark.parametrize("role", list(VISIBLE))
def test_for_user_scoping_of_programmes_and_their_parts(users, provider, role):
    programs = {
        "published": ProgramFactory(provider=provider),
        "draft": DraftProgramFactory(provider=provider),
        "submitted": DraftProgramFactory(provider=provider, certification_status="submitted"),
    }
    for program in programs.values():
        ScheduleEntryFactory(group=GroupFactory(module=ModuleFactory(program=program)))
    user = users[role]
    name_of = {p.pk: name for name, p in programs.items()}
    name_of = _Names(name_of)
    seen = {name_of[pk] for pk in Program.objects.for_user(user).values_list("pk", flat=True)}
    # The published programme of another municipality (made by `users`) is public too.
    assert seen == VISIBLE[role] | {"other"}
    seen_modules = {
        name_of[pk] for pk in Module.objects.for_user(user).values_list("program_id", flat=True)
    }
    seen_groups = {
        name_of[pk]
        for pk in Group.objects.for_user(user).values_list("module__program_id", flat=True)
    }
    seen_entries = {
        name_of[pk]
        for pk in ScheduleEntry.objects.for_user(user).values_list(
            "group__module__program_id", flat=True
        )
    }
    assert seen_modules == seen_groups == seen_entries == VISIBLE[role]


def test_published_programme_of_an_excluded_provider_is_hidden(provider):
    program = ProgramFactory(provider=provider)
    provider.status = "excluded"
    provider.save()
    assert not Program.objects.for_user(AnonymousUser()).filter(pk=program.pk).exists()
