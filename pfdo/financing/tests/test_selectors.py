"""Read use-cases: the current period, a child's nominal, what a user sees, the demo period."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser

from pfdo.audit.models import ActionLog
from pfdo.common import clock
from pfdo.demo import financing as demo
from pfdo.financing import selectors
from pfdo.financing.models import FinancingPeriod, NominalCategory
from pfdo.financing.normative import compute
from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory
from pfdo.territory.tests.factories import MunicipalityFactory

APPROVED, DRAFT, CLOSED = (
    FinancingPeriod.Status.APPROVED,
    FinancingPeriod.Status.DRAFT,
    FinancingPeriod.Status.CLOSED,
)


def test_current_period_is_the_approved_one_covering_the_day(vorkuta, region):
    old = FinancingPeriodFactory(
        municipality=vorkuta,
        status=CLOSED,
        starts_on=dt.date(2025, 9, 1),
        ends_on=dt.date(2026, 8, 31),
    )
    now = FinancingPeriodFactory(
        municipality=vorkuta, starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 8, 31)
    )
    FinancingPeriodFactory(
        municipality=vorkuta,
        status=DRAFT,
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 8, 31),
    )
    FinancingPeriodFactory(municipality=MunicipalityFactory(region=region))  # same dates elsewhere
    assert selectors.current_period(vorkuta, dt.date(2026, 9, 1)) == now
    assert selectors.current_period(vorkuta, dt.date(2027, 8, 31)) == now
    assert old.status == CLOSED and selectors.current_period(vorkuta, dt.date(2026, 8, 31)) is None
    assert selectors.current_period(vorkuta, dt.date(2027, 9, 1)) is None  # a draft is not current
    with clock.frozen(dt.date(2027, 1, 15)):
        assert selectors.current_period(vorkuta) == now
    with clock.frozen(dt.date(2030, 1, 15)):
        assert selectors.current_period(vorkuta) is None


@pytest.fixture
def bands(vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)
    young = NominalCategoryFactory(
        period=period, name="5–10", age_from_months=60, age_to_months=120
    )
    old = NominalCategoryFactory(
        period=period, name="10–18", age_from_months=120, age_to_months=216
    )
    special = NominalCategoryFactory(
        period=period,
        name="ОВЗ 5–14",
        age_from_months=60,
        age_to_months=168,
        disability_only=True,
        nominal_kopecks=3_600_000,
    )
    return period, young, old, special


@pytest.mark.parametrize(
    ("age", "disabled", "expected"),
    [
        (60, False, "5–10"),
        (119, False, "5–10"),
        (120, False, "10–18"),  # upper bound is exclusive
        (215, False, "10–18"),
        (216, False, None),  # 18 years
        (59, False, None),
        (59, True, None),
        (100, True, "ОВЗ 5–14"),  # the ОВЗ category wins for a child with ОВЗ
        (170, True, "10–18"),  # no ОВЗ band at 14+: the general one applies
        (100, False, "5–10"),  # an ОВЗ-only band never applies to other children
    ],
)
def test_nominal_for(bands, age, disabled, expected):
    period = bands[0]
    found = selectors.nominal_for(period, age_months=age, has_disability=disabled)
    assert (found.name if found else None) == expected


def test_summary_numbers(bands):
    period = bands[0]
    assert selectors.largest_nominal_kopecks(period) == 3_600_000
    assert selectors.largest_promise_kopecks(period) == 100 * 3_600_000
    empty = FinancingPeriodFactory(municipality=MunicipalityFactory())
    assert selectors.largest_promise_kopecks(empty) == 0


def test_visibility_of_periods(make_user, vorkuta, region):
    inta = MunicipalityFactory(region=region, code="inta")
    approved = FinancingPeriodFactory(municipality=vorkuta)
    draft = FinancingPeriodFactory(
        municipality=vorkuta,
        status=DRAFT,
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 8, 31),
    )
    inta_draft = FinancingPeriodFactory(municipality=inta, status=DRAFT)
    assert set(selectors.periods_visible_to(AnonymousUser())) == {approved}
    assert set(selectors.periods_visible_to(make_user("parent", municipality=vorkuta))) == {
        approved
    }
    operator = make_user("operator", municipality=vorkuta)
    assert set(selectors.periods_visible_to(operator)) == {approved, draft}
    assert set(selectors.periods_in_scope(operator)) == {approved, draft}
    assert set(selectors.periods_visible_to(make_user("payer", municipality=vorkuta))) == {
        approved,
        draft,
    }
    regional = make_user("regional_admin", region=region)
    assert set(selectors.periods_in_scope(regional)) == {approved, draft, inta_draft}
    inta_operator = make_user("operator", municipality=inta)
    assert set(selectors.periods_in_scope(inta_operator)) == {inta_draft}
    assert set(selectors.periods_visible_to(inta_operator, municipality_code="vorkuta")) == {
        approved
    }
    assert list(selectors.periods_visible_to(operator, active_on=dt.date(2028, 1, 1))) == [draft]
    assert list(selectors.manageable_municipalities(operator)) == [vorkuta]
    assert set(selectors.manageable_municipalities(regional)) == {vorkuta, inta}
    assert not selectors.manageable_municipalities(
        make_user("payer", municipality=vorkuta)
    ).exists()


def test_demo_period_is_approved_complete_and_idempotent(vorkuta):
    period = demo.seed_period(municipality=vorkuta)
    assert period.status == APPROVED
    assert (period.name, period.starts_on, period.ends_on) == (
        "ПФДО 2026/27",
        dt.date(2026, 9, 1),
        dt.date(2027, 8, 31),
    )
    period.refresh_from_db()
    assert period.k_north == Decimal("1.600")
    general = selectors.nominal_for(period, age_months=100, has_disability=False)
    special = selectors.nominal_for(period, age_months=100, has_disability=True)
    assert general.nominal_kopecks == 2_417_100
    assert special.nominal_kopecks > general.nominal_kopecks
    assert selectors.largest_promise_kopecks(period) <= period.budget_kopecks
    cost = compute(
        period,
        direction="technical",
        hours=72,
        form="full_time",
        legal_form="municipal",
        qualification="none",
    )
    assert cost.total_kopecks == 72 * 16_000 * 16 // 10  # 72 h × 160 ₽ × 1.6
    counts = (
        FinancingPeriod.objects.count(),
        NominalCategory.objects.count(),
        ActionLog.objects.count(),
    )
    snapshot = FinancingPeriod.objects.values().get()
    again = demo.seed_period(municipality=vorkuta)
    assert again.pk == period.pk
    assert (
        FinancingPeriod.objects.count(),
        NominalCategory.objects.count(),
        ActionLog.objects.count(),
    ) == counts
    assert FinancingPeriod.objects.values().get() == snapshot
