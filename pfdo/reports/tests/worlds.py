"""A small Vorkuta whose coverage, enrolment and places figures are computed by hand in the
tests (see the table in `build`)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from pfdo.certificates import services as certificate_services
from pfdo.common import clock
from pfdo.common.tests.worlds import komi_and_vorkuta, make_user
from pfdo.enrolment import services as enrolment
from pfdo.enrolment.tests.factories import approved_period, family, ready_group, staff_of
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.reports.models import ChildPopulation
from pfdo.territory.tests.factories import MunicipalityFactory

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
    if application.status != "new":
        return application
    contract = enrolment.confirm(actor=staff, application=application)
    if accept:
        enrolment.accept(actor=fam.parent, contract=contract)
    return contract


def build():
    """Vorkuta, period 1 Sep 2026 – 31 Aug 2027, population 2026 of ages 5–17 = 40
    (3 children of each age, 4 of age 10).

    | child | born       | certificate                          | enrolment                   |
    |-------|------------|--------------------------------------|-----------------------------|
    | a     | 2016-05-14 | issued 1 Sep, active                 | `tech` accepted 2 Sep       |
    | b     | 2012-01-10 | issued 15 Sep, active                | —                           |
    | c     | 2021-10-20 | issued 1 Sep, active (5 on 20 Oct)   | —                           |
    | d     | 2008-10-10 | issued 1 Sep, active (18 on 10 Oct)  | —                           |
    | e     | 2015-03-03 | issued 1 Sep, cancelled 5 Oct        | —                           |
    | f     | 2014-07-07 | issued 1 Sep, suspended 1 Oct        | `tech` offer 15 Sep, never accepted |
    | g     | 2013-02-02 | issued 10 Oct, active                | `tech` accepted 12 Oct      |
    | h     | 2017-03-03 | issued 20 Oct, active                | `arts` (1 place) new 20 Oct |
    | i     | 2017-04-04 | issued 20 Oct, active                | `arts` waitlisted 20 Oct    |
    | inta  | 2016-01-01 | Инта's certificate                   | —                           |

    `tech`: technical, a municipal provider, 10 places; `arts`: arts, a state provider, 1 place.
    """
    region, vorkuta = komi_and_vorkuta()
    w = SimpleNamespace(region=region, vorkuta=vorkuta)
    w.inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
    w.operator = make_user("operator", municipality=vorkuta)
    w.inta_operator = make_user("operator", municipality=w.inta)
    w.regional_admin = make_user("regional_admin", region=region)
    w.period = approved_period(vorkuta)
    approved_period(w.inta)
    with at(dt.date(2026, 9, 1)):
        w.tech = ready_group(vorkuta, capacity=10, name="Робототехника")
        w.arts = ready_group(
            vorkuta,
            capacity=1,
            direction="arts",
            name="Живопись",
            provider=ProviderFactory(municipality=vorkuta, legal_form="state"),
        )
        a = family(vorkuta, w.operator, birth_date=dt.date(2016, 5, 14))
        c = family(vorkuta, w.operator, birth_date=dt.date(2016, 1, 1))
        d = family(vorkuta, w.operator, birth_date=dt.date(2008, 10, 11))
        e = family(vorkuta, w.operator, birth_date=dt.date(2015, 3, 3))
        f = family(vorkuta, w.operator, birth_date=dt.date(2014, 7, 7))
        family(w.inta, w.inta_operator, birth_date=dt.date(2016, 1, 1))
    born(c, dt.date(2021, 10, 20))
    born(d, dt.date(2008, 10, 10))
    with at(dt.date(2026, 9, 2)):
        w.contract_a = enrol(a, w.tech)
    with at(dt.date(2026, 9, 15)):
        w.b = family(vorkuta, w.operator, birth_date=dt.date(2012, 1, 10))
        enrol(f, w.tech, accept=False)
    with at(dt.date(2026, 10, 1)):
        certificate_services.suspend_certificate(
            actor=w.operator, certificate=f.certificate, reason="Проверка документов"
        )
    with at(dt.date(2026, 10, 5)):
        certificate_services.cancel_certificate(
            actor=w.operator, certificate=e.certificate, reason="Переезд"
        )
    with at(dt.date(2026, 10, 10)):
        w.g = family(vorkuta, w.operator, birth_date=dt.date(2013, 2, 2))
    with at(dt.date(2026, 10, 12)):
        w.contract_g = enrol(w.g, w.tech)
    with at(dt.date(2026, 10, 20)):
        h = family(vorkuta, w.operator, birth_date=dt.date(2017, 3, 3))
        i = family(vorkuta, w.operator, birth_date=dt.date(2017, 4, 4))
        enrolment.apply(actor=h.parent, certificate=h.certificate, group=w.arts)
        enrolment.apply(actor=i.parent, certificate=i.certificate, group=w.arts)
    for age in range(0, 19):
        ChildPopulation.objects.create(
            municipality=vorkuta, year=2026, age=age, children=3 + (age == 10)
        )
    ChildPopulation.objects.create(municipality=vorkuta, year=2025, age=7, children=1000)
    return w
