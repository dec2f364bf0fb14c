"""authorize()/can(): the rule decides on an object; a role gate admits a superuser."""

import pytest
import rules

from pfdo.common.authz import authorize, can
from pfdo.common.errors import AccessDenied, NotFound

PERM = "tests_authz.own_thing"


@pytest.fixture(autouse=True)
def _perm():
    rules.add_perm(PERM, rules.predicate(lambda user, obj: obj is not None and obj == user.pk))
    yield
    rules.remove_perm(PERM)


def test_the_rule_decides_on_an_object_even_for_a_superuser(make_user):
    user = make_user()
    root = make_user(is_superuser=True)
    assert can(user, PERM, user.pk)
    assert not can(user, PERM, user.pk + 1000)
    assert not can(root, PERM, user.pk)  # not the superuser's object: the rule says no
    assert can(root, PERM)  # a role gate without an object admits a superuser


def test_authorize_raises_forbidden_or_not_found(make_user):
    user = make_user()
    assert authorize(user, PERM, user.pk) == user.pk
    with pytest.raises(AccessDenied):
        authorize(user, PERM, user.pk + 1000)
    with pytest.raises(NotFound):
        authorize(user, PERM, user.pk + 1000, hide=True)


def test_a_permission_no_rule_defines_is_refused(make_user):
    root = make_user(is_superuser=True)
    assert not can(root, "nobody.defined_this")
    assert not can(None, PERM)
