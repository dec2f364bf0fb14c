"""Ratings permissions asked through `User.has_perm(perm, obj)` and `authz.can`: the family
rates its contract, the operator of the municipality moderates, the provider's staff reply."""

from __future__ import annotations

import pytest

from pfdo.common import clock
from pfdo.common.authz import can
from pfdo.common.tests.worlds import copy_of, world_once
from pfdo.ratings import services
from pfdo.ratings.tests.world import SCORES, TODAY, build

pytestmark = pytest.mark.django_db
built = world_once(build)


@pytest.fixture
def w(built, db):
    return copy_of(built)


def test_rules_on_contracts_and_ratings(w):
    with clock.frozen(TODAY):
        rating = services.rate(
            actor=w.fams["a"].parent, contract=w.contracts["a"], scores=SCORES, text="Текст"
        )
    family, stranger = w.fams["a"].parent, w.fams["c"].parent
    assert family.has_perm("ratings.rate", w.contracts["a"])
    assert not stranger.has_perm("ratings.rate", w.contracts["a"])
    assert can(family, "ratings.change", rating) and not can(stranger, "ratings.change", rating)
    assert can(w.operator, "ratings.moderate", rating)
    assert not can(w.inta_operator, "ratings.moderate", rating)
    assert not can(w.staff1, "ratings.moderate", rating)
    assert can(w.staff1, "ratings.reply", rating) and not can(w.staff2, "ratings.reply", rating)
    assert not can(family, "ratings.reply", rating)
    assert can(None, "ratings.view") is False  # no actor, no permission
    assert can(family, "ratings.list_own") and not can(w.staff1, "ratings.list_own")
    assert can(w.staff1, "ratings.list_provider") and not can(family, "ratings.list_provider")
    assert can(w.operator, "ratings.list_moderation")
    assert not can(w.payer, "ratings.list_moderation")
