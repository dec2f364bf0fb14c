"""Who sees which users: the for_user scope and the rules permissions agree."""

import pytest
from django.contrib.auth.models import AnonymousUser

from pfdo.accounts.models import Membership, User
from pfdo.territory.tests.factories import MunicipalityFactory, RegionFactory


@pytest.fixture
def people(make_user, vorkuta, region):
    inta = MunicipalityFactory(region=region, code="inta", name="Инта")
    other_region = RegionFactory()
    far = MunicipalityFactory(region=other_region)
    return {
        "parent": make_user("parent", municipality=vorkuta),
        "parent_inta": make_user("parent", municipality=inta),
        "parent_far": make_user("parent", municipality=far),
        "operator": make_user("operator", municipality=vorkuta),
        "operator_inta": make_user("operator", municipality=inta),
        "payer": make_user("payer", municipality=vorkuta),
        "provider": make_user("provider_staff", municipality=vorkuta, is_provider_admin=True),
        "expert": make_user("expert", municipality=vorkuta),
        "region": make_user("regional_admin", region=region),
        "admin": make_user(is_superuser=True),
    }


VISIBLE = {
    # viewer: the people they may see (besides themselves)
    "parent": set(),
    "payer": set(),
    "provider": set(),
    "expert": set(),
    "operator": {"parent", "operator", "payer", "provider", "expert"},
    "operator_inta": {"parent_inta", "operator_inta"},
    "region": {"parent", "parent_inta", "operator", "operator_inta", "payer", "provider", "expert"},
}


@pytest.mark.parametrize("viewer", sorted(VISIBLE))
def test_user_scope_matrix(people, viewer):
    me = people[viewer]
    expected = {people[name] for name in VISIBLE[viewer]} | {me}
    assert set(User.objects.for_user(me)) == expected
    for name, person in people.items():
        allowed = person in expected
        assert me.has_perm("accounts.view_user", person) is allowed, (viewer, name)


def test_superuser_sees_everyone_and_anonymous_no_one(people):
    assert set(User.objects.for_user(people["admin"])) == set(people.values())
    assert not User.objects.for_user(AnonymousUser()).exists()
    assert not Membership.objects.for_user(AnonymousUser()).exists()


def test_membership_scope(people):
    mine = Membership.objects.for_user(people["parent"])
    assert {m.user for m in mine} == {people["parent"]}
    seen_by_operator = {m.user for m in Membership.objects.for_user(people["operator"])}
    assert people["parent_inta"] not in seen_by_operator
    assert people["parent"] in seen_by_operator


@pytest.mark.parametrize(
    ("viewer", "target", "allowed"),
    [
        ("operator", "parent", True),
        ("operator", "parent_inta", False),
        ("operator", "operator", False),  # not for oneself: use the password change page
        ("region", "parent_inta", True),
        ("region", "parent_far", False),
        ("parent", "parent", False),
        ("payer", "parent", False),
        ("admin", "parent_far", True),
    ],
)
def test_issue_password_permission(people, viewer, target, allowed):
    assert people[viewer].has_perm("accounts.issue_password", people[target]) is allowed


def test_list_users_permission(people):
    allowed = {name for name, u in people.items() if u.has_perm("accounts.list_users")}
    assert allowed == {"operator", "operator_inta", "region", "admin"}


def test_inactive_membership_grants_nothing(people):
    operator = people["operator"]
    Membership.objects.filter(user=operator).update(is_active=False)
    fresh = User.objects.get(pk=operator.pk)
    assert set(User.objects.for_user(fresh)) == {fresh}
    assert not fresh.has_perm("accounts.list_users")
