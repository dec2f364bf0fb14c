"""Coverage figures on a small world computed by hand: holders, users, population, shares."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pfdo.certificates import services as certificate_services
from pfdo.certificates.models import Certificate
from pfdo.common import clock
from pfdo.enrolment import services as enrolment
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.reports.models import ChildPopulation
from pfdo.reports.selectors import coverage
from pfdo.territory.tests.factories import MunicipalityFactory

pytestmark = pytest.mark.django_db

SEPT_END = dt.date(2026, 9, 30)
OCT_END = dt.date(2026, 10, 31)


def at(day: dt.date):
    return clock.frozen(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC))


def born(fam, day: dt.date) -> None:
    """Set the child's birth date after issue (the application refuses a 4-year-old)."""
    type(fam.child).objects.filter(pk=fam.child.pk).update(birth_date=day)


def enrol(fam, group, *, accept=True):
    staff = staff_of(group.module.program.provider)
    application = enrolment.apply(actor=fam.parent, certificate=fam.certificate, group=group)
    contract = enrolment.confirm(actor=staff, application=application)
    if accept:
        enrolment.accept(actor=fam.parent, contract=contract)
    return contract


@pytest.fixture
def world(vorkuta, operator, make_user):
    """Vorkuta, period 1 Sep 2026 – 31 Aug 2027, population 2026 of ages 5–17 = 40.

    | child | born       | certificate                       | contract                    |
    |-------|------------|-----------------------------------|-----------------------------|
    | a     | 2016-05-14 | issued 1 Sep , active             | accepted 2 Sep, from 2 Sep |
    | b     | 2012-01-10 | issued 15 Sep, active             | —                           |
    | c     | 2021-10-20 | issued 1 Sep , active (5 on 20 Oct)| —                          |
    | d     | 2008-10-10 | issued 1 Sep , active (18 on 10 Oct)| —                         |
    | e     | 2015-03-03 | issued 1 Sep , cancelled 5 Oct    | —                           |
    | f     | 2014-07-07 | issued 1 Sep , suspended 1 Oct    | offer only, never accepted  |
    | g     | 2013-02-02 | issued 10 Oct, active             | accepted 12 Oct, from 12 Oct|
    | inta  | 2016-01-01 | Инта's certificate                | —                           |
    """
    inta = MunicipalityFactory(region=vorkuta.region, code="inta", name="Инта", number=3)
    inta_operator = make_user("operator", municipality=inta)
    period = approved_period(vorkuta)
    approved_period(inta)
    with at(dt.date(2026, 9, 1)):
        group = ready_group(vorkuta, capacity=10)
        a = family(vorkuta, operator, birth_date=dt.date(2016, 5, 14))
        c = family(vorkuta, operator, birth_date=dt.date(2016, 1, 1))
        d = family(vorkuta, operator, birth_date=dt.date(2008, 10, 11))
        e = family(vorkuta, operator, birth_date=dt.date(2015, 3, 3))
        f = family(vorkuta, operator, birth_date=dt.date(2014, 7, 7))
        family(inta, inta_operator, birth_date=dt.date(2016, 1, 1))
    born(c, dt.date(2021, 10, 20))
    born(d, dt.date(2008, 10, 10))
    with at(dt.date(2026, 9, 2)):
        enrol(a, group)
    with at(dt.date(2026, 9, 15)):
        b = family(vorkuta, operator, birth_date=dt.date(2012, 1, 10))
        enrol(f, group, accept=False)
    with at(dt.date(2026, 10, 1)):
        certificate_services.suspend_certificate(
            actor=operator, certificate=f.certificate, reason="Проверка документов"
        )
    with at(dt.date(2026, 10, 5)):
        certificate_services.cancel_certificate(
            actor=operator, certificate=e.certificate, reason="Переезд"
        )
    with at(dt.date(2026, 10, 10)):
        g = family(vorkuta, operator, birth_date=dt.date(2013, 2, 2))
    with at(dt.date(2026, 10, 12)):
        enrol(g, group)
    for age in range(0, 19):  # 5..17 hold 40 children: 3 each, plus 1 more at 10
        ChildPopulation.objects.create(
            municipality=vorkuta, year=2026, age=age, children=3 + (age == 10)
        )
    ChildPopulation.objects.create(municipality=vorkuta, year=2025, age=7, children=1000)
    return {"vorkuta": vorkuta, "inta": inta, "period": period, "b": b, "g": g}


def test_summaries_by_hand(world, django_assert_max_num_queries):
    vorkuta, inta, period = world["vorkuta"], world["inta"], world["period"]
    assert Certificate.objects.get(child=world["b"].child).status == "active"
    with django_assert_max_num_queries(2):
        sept = coverage.summaries([(vorkuta, period), (inta, None)], SEPT_END)
    # 30 Sep: a, b, d (17), e (not yet cancelled), f → 5 holders; c is 4. Users: a only
    # (f's offer was never accepted). 5/40 = 12.50 %, 1/40 = 2.50 %.
    assert sept[vorkuta.pk] == coverage.CoverageSummary(
        population=40,
        holders=5,
        users=1,
        holders_share=Decimal("12.50"),
        users_share=Decimal("2.50"),
        population_year=2026,
    )
    # Инта: one holder, no population entered → no share.
    assert sept[inta.pk].holders == 1 and sept[inta.pk].population is None
    assert sept[inta.pk].holders_share is None and sept[inta.pk].target_met is None

    oct_ = coverage.summaries([(vorkuta, period)], OCT_END)[vorkuta.pk]
    # 31 Oct: a, b, c (5 now), f (suspended still holds), g → 5; d is 18, e cancelled.
    # Users: a and g. 5/40 = 12.50 %, 2/40 = 5.00 %.
    assert (oct_.holders, oct_.users) == (5, 2)
    assert oct_.users_share == Decimal("5.00") and oct_.target_met is False


def test_population_falls_back_to_the_latest_earlier_year(world):
    vorkuta, period = world["vorkuta"], world["period"]
    # 2027 has no data: the 2026 figures are used and said so.
    early = coverage.summaries([(vorkuta, period)], dt.date(2027, 1, 31))[vorkuta.pk]
    assert (early.population, early.population_year) == (40, 2026)
    # Before 2025 nothing: unknown, not zero.
    none = coverage.summaries([(vorkuta, period)], dt.date(2024, 12, 31))[vorkuta.pk]
    assert none.population is None and none.holders == 0


def test_users_narrow_by_provider_and_direction(world):
    vorkuta, period = world["vorkuta"], world["period"]
    contract = world["g"].child.certificates.get().contracts.get()
    by_provider = coverage.summaries([(vorkuta, period)], OCT_END, provider=contract.provider)[
        vorkuta.pk
    ]
    assert (by_provider.holders, by_provider.users) == (5, 2)
    direction = contract.group.module.program.direction
    other = next(d for d in ("technical", "arts") if d != direction)
    by_direction = coverage.summaries([(vorkuta, period)], OCT_END, direction=other)[vorkuta.pk]
    # Holders are never narrowed; users are those of that direction: none.
    assert (by_direction.holders, by_direction.users) == (5, 0)


def test_a_terminated_contract_counts_until_it_ended(world, vorkuta):
    period = world["period"]
    contract = world["g"].child.certificates.get().contracts.get()
    parent = world["g"].parent
    with at(dt.date(2026, 11, 3)):
        enrolment.terminate(actor=parent, contract=contract)
    # Still used in the period (it was in force in October and early November).
    nov = coverage.summaries([(vorkuta, period)], dt.date(2026, 11, 30))[vorkuta.pk]
    assert nov.users == 2
    # Without a period only contracts in force on the day count: a's.
    bare = coverage.summaries([(vorkuta, None)], dt.date(2026, 11, 30))[vorkuta.pk]
    assert bare.users == 1
