"""Coverage figures on a small world computed by hand: holders, users, population, shares."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pfdo.common.tests.worlds import copy_of, world_once
from pfdo.enrolment import services as enrolment
from pfdo.reports.selectors import coverage
from pfdo.reports.tests.worlds import OCT_END, SEPT_END, at, build

pytestmark = pytest.mark.django_db

_world = world_once(build)


@pytest.fixture
def world(_world, db):
    return copy_of(_world)


def test_summaries_by_hand(world, django_assert_max_num_queries):
    vorkuta, inta, period = world.vorkuta, world.inta, world.period
    with django_assert_max_num_queries(2):
        sept = coverage.summaries([(vorkuta, period), (inta, None)], SEPT_END)
    # 30 Sep: a, b, d (still 17), e (not yet cancelled), f → 5 holders; c is 4. Users: a
    # only (f's offer was never accepted). 5/40 = 12.50 %, 1/40 = 2.50 %.
    assert sept[vorkuta.pk] == coverage.CoverageSummary(
        population=40,
        holders=5,
        users=1,
        holders_share=Decimal("12.50"),
        users_share=Decimal("2.50"),
        population_year=2026,
    )
    # Инта: one holder, no population entered → no share, target unknown.
    assert sept[inta.pk].holders == 1 and sept[inta.pk].population is None
    assert sept[inta.pk].holders_share is None and sept[inta.pk].target_met is None

    oct_ = coverage.summaries([(vorkuta, period)], OCT_END)[vorkuta.pk]
    # 31 Oct: a, b, c (5 now), f (suspended still holds), g, h, i → 7; d is 18, e cancelled.
    # Users: a and g. 7/40 = 17.50 %, 2/40 = 5.00 %.
    assert (oct_.holders, oct_.users) == (7, 2)
    assert oct_.holders_share == Decimal("17.50") and oct_.users_share == Decimal("5.00")
    assert oct_.target_met is False


def test_queries_do_not_grow_with_municipalities(world, django_assert_max_num_queries):
    from pfdo.territory.tests.factories import MunicipalityFactory

    many = [(world.vorkuta, world.period), (world.inta, None)]
    many += [
        (MunicipalityFactory(region=world.region, code=f"m{n}", number=10 + n), None)
        for n in range(8)
    ]
    with django_assert_max_num_queries(2):
        result = coverage.summaries(many, OCT_END)
    assert len(result) == 10 and result[many[-1][0].pk].holders == 0


def test_population_falls_back_to_the_latest_earlier_year(world):
    vorkuta, period = world.vorkuta, world.period
    # 2027 has no data: the 2026 figures are used and said so.
    early = coverage.summaries([(vorkuta, period)], dt.date(2027, 1, 31))[vorkuta.pk]
    assert (early.population, early.population_year) == (40, 2026)
    # Before 2025 nothing: unknown, not zero (2025 holds only age 7: 1000).
    assert coverage.summaries([(vorkuta, period)], dt.date(2025, 6, 1))[vorkuta.pk].population == (
        1000
    )
    none = coverage.summaries([(vorkuta, period)], dt.date(2024, 12, 31))[vorkuta.pk]
    assert none.population is None and none.holders == 0


def test_users_narrow_by_provider_and_direction(world):
    vorkuta, period = world.vorkuta, world.period
    by_provider = coverage.summaries(
        [(vorkuta, period)], OCT_END, provider=world.tech.module.program.provider
    )[vorkuta.pk]
    assert (by_provider.holders, by_provider.users) == (7, 2)
    other = coverage.summaries(
        [(vorkuta, period)], OCT_END, provider=world.arts.module.program.provider
    )[vorkuta.pk]
    assert (other.holders, other.users) == (7, 0)
    # Holders are never narrowed; users are those of that direction: none in arts.
    by_direction = coverage.summaries([(vorkuta, period)], OCT_END, direction="arts")[vorkuta.pk]
    assert (by_direction.holders, by_direction.users) == (7, 0)


def test_a_terminated_contract_counts_until_it_ended(world):
    period, vorkuta = world.period, world.vorkuta
    with at(dt.date(2026, 11, 3)):
        enrolment.terminate(actor=world.g.parent, contract=world.contract_g)
    # Still used in the period (in force in October and early November).
    nov = coverage.summaries([(vorkuta, period)], dt.date(2026, 11, 30))[vorkuta.pk]
    assert nov.users == 2
    # Without a period only contracts in force on the day count: a's.
    bare = coverage.summaries([(vorkuta, None)], dt.date(2026, 11, 30))[vorkuta.pk]
    assert bare.users == 1
