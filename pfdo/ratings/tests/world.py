"""The world of the ratings tests, built once per module (`world_once`).

Vorkuta, 2026/27. Provider P1's programme A (Sep–May): four families, October invoiced and
accepted on 2 November (a billed month); family B then terminates on 10 November. Provider
P2's programme B (Sep–May): family E active with nothing billed, family F terminated on
20 September before any bill. P2's programme C (September only): family G's contract
completed on 2 October with nothing billed. Another municipality (Инта) has its own operator
and a family there.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from pfdo.billing.tests.factories import approved_period, ready_group, signed_contract, staff_of
from pfdo.billing.tests.services_world import accepted_invoice
from pfdo.common import clock
from pfdo.common.tests.worlds import komi_and_vorkuta, make_user
from pfdo.enrolment import services as enrolment
from pfdo.providers.tests.factories import ProviderFactory
from pfdo.territory.tests.factories import MunicipalityFactory

SCORES = {"teacher_score": 5, "learning_score": 4, "organisation_score": 4}
TODAY = dt.date(2026, 11, 16)


def build() -> SimpleNamespace:
    region, vorkuta = komi_and_vorkuta()
    inta = MunicipalityFactory(region=region, code="inta", name="Инта", number=3)
    operator = make_user("operator", municipality=vorkuta)
    inta_operator = make_user("operator", municipality=inta)
    payer = make_user("payer", municipality=vorkuta)
    approved_period(vorkuta, quota=20)
    p1 = ProviderFactory(municipality=vorkuta, short_name="Робо-Арктика")
    p2 = ProviderFactory(municipality=vorkuta, short_name="Северное сияние")
    group_a = ready_group(vorkuta, provider=p1, capacity=20, name="Робототехника")
    group_b = ready_group(vorkuta, provider=p2, capacity=20, weekday=3, name="Шахматы")
    group_c = ready_group(
        vorkuta,
        provider=p2,
        weekday=4,
        ends_on=dt.date(2026, 9, 30),
        price=200_000,
        name="Летняя школа",
    )
    staff1, staff2 = staff_of(p1), staff_of(p2)
    fams = {}
    contracts = {}
    for key, group, name in [
        ("a", group_a, "Анна"),
        ("b", group_a, "Борис"),
        ("c", group_a, "Вера"),
        ("d", group_a, "Глеб"),
        ("e", group_b, "Егор"),
        ("f", group_b, "Фёдор"),
        ("g", group_c, "Галина"),
    ]:
        fams[key], contracts[key] = signed_contract(
            vorkuta, operator, group, last_name="Иванова", first_name=name
        )
    accepted_invoice(staff1, payer, p1, month=dt.date(2026, 10, 1), on=dt.date(2026, 11, 2))
    with clock.frozen(dt.date(2026, 9, 20)):
        enrolment.terminate(actor=fams["f"].parent, contract=contracts["f"])
    with clock.frozen(dt.date(2026, 10, 2)):
        enrolment.run_deadlines()
    with clock.frozen(dt.date(2026, 11, 10)):
        enrolment.terminate(actor=fams["b"].parent, contract=contracts["b"])
    for contract in contracts.values():
        contract.refresh_from_db()
    return SimpleNamespace(
        region=region,
        vorkuta=vorkuta,
        inta=inta,
        operator=operator,
        inta_operator=inta_operator,
        payer=payer,
        p1=p1,
        p2=p2,
        staff1=staff1,
        staff2=staff2,
        program_a=group_a.module.program,
        program_b=group_b.module.program,
        program_c=group_c.module.program,
        fams=fams,
        contracts=contracts,
    )
