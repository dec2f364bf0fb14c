"""The rules of content asked directly: a card of one's own is an expert's alone."""

from __future__ import annotations

import pytest

from pfdo.common.authz import can

pytestmark = pytest.mark.django_db

OWN = "content.keep_own_expert_profile"


def test_only_an_expert_keeps_a_card_of_their_own(expert, admin, operator, make_user):
    assert can(expert, OWN, expert)
    # Not someone else's card as "their own", nor anyone who is not an expert — a superuser
    # included (the object is always given, so the role gate's superuser pass never applies).
    assert not can(expert, OWN, admin)
    superuser = make_user(None, is_superuser=True)
    for user in (admin, operator, superuser):
        assert not can(user, OWN, user)
    assert not can(None, OWN, expert)
