"""Services of financing periods: validation, overlap, lock, nominals, approval, audit."""

import datetime as dt
from decimal import Decimal

import pytest

from pfdo.audit.models import ActionLog
from pfdo.common import clock
from pfdo.common.errors import AccessDenied, Conflict, ValidationFailed
from pfdo.financing import services
from pfdo.financing.models import FinancingPeriod, NominalCategory
from pfdo.financing.tests.factories import FinancingPeriodFactory, NominalCategoryFactory
from pfdo.territory.tests.factories import MunicipalityFactory

pytestmark = pytest.mark.sqlite  # also in the SQLite pass of `make test`

BASES = {
    "base_technical_kopecks": 16_000,
    "base_natural_science_kopecks": 15_000,
    "base_sports_kopecks": 12_000,
    "base_arts_kopecks": 13_000,
    "base_tourism_kopecks": 12_500,
    "base_social_kopecks": 11_000,
}


def create(actor, municipality, **overrides):
    kwargs = {
        "name": "ПФДО 2026/27",
        "starts_on": dt.date(2026, 9, 1),
        "ends_on": dt.date(2027, 8, 31),
        "certificate_quota": 10,
        "budget_kopecks": 10 * 2_417_100,
        **BASES,
        **overrides,
    }
    return services.create_period(actor=actor, municipality=municipality, **kwargs)


def fields_of(excinfo):
    return excinfo.value.fields


def conflict_of(excinfo, code):
    """The fields of a 409 refusal with `code`: a well-formed value the state refuses."""
    assert isinstance(excinfo.value, Conflict), excinfo.value
    assert (excinfo.value.status, excinfo.value.code) == (409, code)
    return excinfo.value.fields


# ------------------------------------------------------------------ create


def test_create_makes_an_audited_draft(operator, vorkuta):
    period = create(operator, vorkuta, k_north=Decimal("1.6"), advance_share_percent=70)
    period.refresh_from_db()
    assert period.status == FinancingPeriod.Status.DRAFT
    assert period.k_north == Decimal("1.600")
    assert period.advance_share_percent == 70
    assert period.k_form_full_time == Decimal("1.000")  # model default
    log = ActionLog.objects.get(action="financing.period_created")
    assert (log.actor, log.municipality, log.object_id) == (operator, vorkuta, str(period.pk))
    assert log.details["k_north"] == "1.6"
    assert log.details["starts_on"] == "2026-09-01"


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"ends_on": dt.date(2026, 9, 1)}, "ends_on", "позже начала"),
        ({"ends_on": dt.date(2026, 8, 1)}, "ends_on", "позже начала"),
        ({"budget_kopecks": -1}, "budget_kopecks", "отрицательной"),
        ({"base_arts_kopecks": -100}, "base_arts_kopecks", "отрицательной"),
        ({"budget_kopecks": 10.5}, "budget_kopecks", "целым числом копеек"),
        ({"k_north": Decimal("0")}, "k_north", "больше нуля"),
        ({"k_network": Decimal("-1.2")}, "k_network", "больше нуля"),
        ({"k_disability": Decimal("1.2345")}, "k_disability", "трёх знаков"),
        ({"advance_share_percent": 101}, "advance_share_percent", "от 0 до 100"),
        ({"advance_share_percent": -1}, "advance_share_percent", "от 0 до 100"),
        ({"certificate_quota": -5}, "certificate_quota", "Квота"),
        ({"billing_basis": "weekly"}, "billing_basis", "Выберите"),
        ({"name": "  "}, "name", "название"),
    ],
)
def test_create_refuses_bad_values_field_by_field(operator, vorkuta, overrides, field, fragment):
    with pytest.raises(ValidationFailed) as excinfo:
        create(operator, vorkuta, **overrides)
    assert fragment in " ".join(fields_of(excinfo)[field])
    assert not FinancingPeriod.objects.exists()
    assert not ActionLog.objects.filter(action="financing.period_created").exists()


def test_several_bad_fields_are_reported_together(operator, vorkuta):
    with pytest.raises(ValidationFailed) as excinfo:
        create(operator, vorkuta, budget_kopecks=-1, k_north=0, ends_on=dt.date(2020, 1, 1))
    assert {"budget_kopecks", "k_north", "ends_on"} <= set(fields_of(excinfo))


def test_overlap_with_a_period_of_the_same_municipality_is_refused(operator, vorkuta):
    create(operator, vorkuta)
    with pytest.raises(Conflict) as excinfo:
        create(
            operator,
            vorkuta,
            name="Второй",
            starts_on=dt.date(2027, 1, 1),
            ends_on=dt.date(2027, 12, 31),
        )
    fields = conflict_of(excinfo, "period_overlap")
    assert excinfo.value.message == "Период пересекается с другим периодом муниципалитета."
    assert "пересекается с «ПФДО 2026/27»" in fields["starts_on"][0]
    assert "ends_on" not in fields
    assert FinancingPeriod.objects.count() == 1


def test_touching_dates_overlap_but_the_next_day_does_not(operator, vorkuta):
    create(operator, vorkuta)  # … 2027-08-31 inclusive
    with pytest.raises(Conflict) as excinfo:
        create(
            operator,
            vorkuta,
            name="Касается",
            starts_on=dt.date(2027, 8, 31),
            ends_on=dt.date(2028, 8, 31),
        )
    assert "starts_on" in conflict_of(excinfo, "period_overlap")
    with pytest.raises(Conflict) as excinfo:
        create(
            operator, vorkuta, name="До", starts_on=dt.date(2025, 9, 1), ends_on=dt.date(2026, 9, 1)
        )
    assert "ends_on" in conflict_of(excinfo, "period_overlap")
    following = create(
        operator,
        vorkuta,
        name="ПФДО 2027/28",
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 8, 31),
    )
    previous = create(
        operator,
        vorkuta,
        name="ПФДО 2025/26",
        starts_on=dt.date(2025, 9, 1),
        ends_on=dt.date(2026, 8, 31),
    )
    assert {following.name, previous.name} <= set(
        FinancingPeriod.objects.values_list("name", flat=True)
    )


def test_a_containing_period_is_flagged_on_both_dates(operator, vorkuta):
    create(operator, vorkuta)
    with pytest.raises(Conflict) as excinfo:
        create(
            operator,
            vorkuta,
            name="Шире",
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2028, 1, 1),
        )
    assert {"starts_on", "ends_on"} <= set(conflict_of(excinfo, "period_overlap"))


def test_other_municipalities_do_not_overlap(operator, vorkuta, region, make_user):
    create(operator, vorkuta)
    inta = MunicipalityFactory(region=region, code="inta")
    other = create(make_user("operator", municipality=inta), inta)
    assert other.starts_on == dt.date(2026, 9, 1)


def test_who_may_create(make_user, vorkuta, region):
    inta = MunicipalityFactory(region=region, code="inta")
    with pytest.raises(AccessDenied):
        create(make_user("operator", municipality=inta), vorkuta)
    with pytest.raises(AccessDenied):
        create(make_user("parent", municipality=vorkuta), vorkuta)
    with pytest.raises(AccessDenied):
        create(make_user("payer", municipality=vorkuta), vorkuta)
    assert not FinancingPeriod.objects.exists()
    assert create(make_user("regional_admin", region=region), vorkuta).pk
    assert create(make_user(is_superuser=True), inta).pk


def test_unknown_setting_is_a_programming_error(operator, vorkuta):
    with pytest.raises(TypeError):
        create(operator, vorkuta, status="approved")


# ------------------------------------------------------------------ update


def test_update_audits_old_and_new_values(operator, vorkuta):
    period = create(operator, vorkuta)
    services.update_period(
        actor=operator, period=period, budget_kopecks=30_000_000, k_north="1,6", name="ПФДО-26"
    )
    period.refresh_from_db()
    assert (period.budget_kopecks, period.k_north, period.name) == (
        30_000_000,
        Decimal("1.600"),
        "ПФДО-26",
    )
    log = ActionLog.objects.get(action="financing.period_updated")
    assert log.details["changes"] == {
        "budget_kopecks": {"old": 10 * 2_417_100, "new": 30_000_000},
        "k_north": {"old": "1.000", "new": "1.6"},
        "name": {"old": "ПФДО 2026/27", "new": "ПФДО-26"},
    }


def test_update_without_changes_writes_nothing(operator, vorkuta):
    period = create(operator, vorkuta)
    services.update_period(
        actor=operator, period=period, k_north=Decimal("1.000"), name=period.name
    )
    assert not ActionLog.objects.filter(action="financing.period_updated").exists()


def test_update_refuses_overlap_and_bad_values_without_saving(operator, vorkuta):
    create(operator, vorkuta)
    later = create(
        operator,
        vorkuta,
        name="2027/28",
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 8, 31),
    )
    with pytest.raises(Conflict) as excinfo:
        services.update_period(
            actor=operator, period=later, starts_on=dt.date(2027, 8, 31), name="Новое"
        )
    assert "пересекается" in conflict_of(excinfo, "period_overlap")["starts_on"][0]
    with pytest.raises(ValidationFailed):
        services.update_period(actor=operator, period=later, name="Новое", k_north=0)
    # Dates in the wrong order are the request's own mistake (400), never checked for overlap.
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_period(
            actor=operator,
            period=later,
            starts_on=dt.date(2027, 8, 31),
            ends_on=dt.date(2027, 1, 1),
        )
    assert set(fields_of(excinfo)) == {"ends_on"}
    later.refresh_from_db()
    assert (later.starts_on, later.name, later.k_north) == (
        dt.date(2027, 9, 1),
        "2027/28",
        Decimal("1.000"),
    )


def test_locked_period_refuses_money_fields_with_the_reason(operator, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)
    NominalCategoryFactory(period=period)
    assert services.mark_commitments_started(period=period)
    with pytest.raises(Conflict) as excinfo:
        services.update_period(
            actor=operator,
            period=period,
            advance_share_percent=50,
            ends_on=dt.date(2027, 6, 30),
            name="X",
        )
    fields = fields_of(excinfo)
    # Issue 12: the quota and the budget are amendable (test_amendments.py); the rest locked.
    assert set(fields) == {"advance_share_percent", "ends_on"}
    assert (
        "по периоду уже заключены договоры или начислены номиналы"
        in fields["advance_share_percent"][0].lower()
    )
    period.refresh_from_db()
    assert (period.budget_kopecks, period.name) == (100 * 2_417_100, "ПФДО 2026/27")


def test_locked_period_still_accepts_fields_that_promise_no_money(operator, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)
    NominalCategoryFactory(period=period)
    services.mark_commitments_started(period=period)
    services.update_period(
        actor=operator,
        period=period,
        name="ПФДО 2026/27 (ред.)",
        k_north=Decimal("1.700"),
        payment_term_working_days=10,
        budget_kopecks=period.budget_kopecks,  # unchanged money field is fine
    )
    period.refresh_from_db()
    assert (period.k_north, period.payment_term_working_days) == (Decimal("1.700"), 10)


def test_every_money_field_is_locked(operator, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)
    NominalCategoryFactory(period=period)
    services.mark_commitments_started(period=period)
    new_values = {
        "starts_on": dt.date(2026, 8, 1),
        "ends_on": dt.date(2027, 7, 31),
        "budget_kopecks": period.budget_kopecks + 1,
        "certificate_quota": 99,
        "scale_nominal_by_months": False,
        "billing_basis": "attended_hours",
        "boundary_month_rule": "pro_rata_days",
        "advance_share_percent": 50,
    }
    assert set(new_values) == set(FinancingPeriod.MONEY_FIELDS)
    # Issue 12: the quota and the budget may be raised (and lowered to what is committed).
    for field, value in new_values.items():
        if field in FinancingPeriod.AMENDABLE_FIELDS:
            continue
        with pytest.raises(Conflict) as excinfo:
            services.update_period(actor=operator, period=period, **{field: value})
        assert list(fields_of(excinfo)) == [field]
    services.update_period(actor=operator, period=period, budget_kopecks=period.budget_kopecks + 1)
    services.update_period(actor=operator, period=period, certificate_quota=99)
    period.refresh_from_db()
    assert (period.certificate_quota, period.budget_kopecks) == (99, 100 * 2_417_100 + 1)


def test_approved_period_must_stay_covered_by_its_budget(operator, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)  # quota 100 × 24 171 = budget
    NominalCategoryFactory(period=period)
    with pytest.raises(Conflict) as excinfo:
        services.update_period(actor=operator, period=period, budget_kopecks=100)
    assert "budget_kopecks" in conflict_of(excinfo, "period_unsecured")
    assert excinfo.value.message == "Утверждённый период должен оставаться обеспеченным и полным."
    with pytest.raises(Conflict) as excinfo:
        services.update_period(actor=operator, period=period, certificate_quota=101)
    fields = conflict_of(excinfo, "period_unsecured")
    assert "не больше 100 сертификатов" in fields["certificate_quota"][0]
    # A base cost of 0 is well-formed (a draft takes it); the approved period refuses it.
    with pytest.raises(Conflict) as excinfo:
        services.update_period(actor=operator, period=period, base_arts_kopecks=0)
    assert set(conflict_of(excinfo, "period_unsecured")) == {"base_arts_kopecks"}
    services.update_period(actor=operator, period=period, certificate_quota=50)
    period.refresh_from_db()
    assert period.certificate_quota == 50


def test_closed_period_is_frozen(operator, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta, status=FinancingPeriod.Status.CLOSED)
    with pytest.raises(Conflict):
        services.update_period(actor=operator, period=period, name="Новое")


def test_operator_of_another_municipality_cannot_update(make_user, vorkuta, region):
    period = FinancingPeriodFactory(municipality=vorkuta)
    stranger = make_user("operator", municipality=MunicipalityFactory(region=region))
    with pytest.raises(AccessDenied):
        services.update_period(actor=stranger, period=period, name="Чужое")


# ------------------------------------------------------------------ nominal categories


def draft(vorkuta, **kw):
    return FinancingPeriodFactory(municipality=vorkuta, status=FinancingPeriod.Status.DRAFT, **kw)


def add(actor, period, **overrides):
    kwargs = {
        "name": "Дети 5–18 лет",
        "age_from_months": 60,
        "age_to_months": 216,
        "nominal_kopecks": 2_417_100,
        **overrides,
    }
    return services.add_nominal_category(actor=actor, period=period, **kwargs)


def test_add_update_delete_category_is_audited(operator, vorkuta):
    period = draft(vorkuta)
    category = add(operator, period)
    services.update_nominal_category(actor=operator, category=category, nominal_kopecks=2_500_000)
    category.refresh_from_db()
    assert category.nominal_kopecks == 2_500_000
    services.delete_nominal_category(actor=operator, category=category)
    assert not NominalCategory.objects.exists()
    actions = list(
        ActionLog.objects.filter(action__startswith="financing.nominal_")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "financing.nominal_added",
        "financing.nominal_updated",
        "financing.nominal_deleted",
    ]
    updated = ActionLog.objects.get(action="financing.nominal_updated")
    assert updated.details["changes"] == {"nominal_kopecks": {"old": 2_417_100, "new": 2_500_000}}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        # Both bounds given in one request: a relation inside it (400).
        ({"age_from_months": 120, "age_to_months": 60}, "age_to_months"),
        ({"age_from_months": 60, "age_to_months": 60}, "age_to_months"),
        ({"age_to_months": 300}, "age_to_months"),
        ({"age_from_months": -1}, "age_from_months"),
        ({"nominal_kopecks": -1}, "nominal_kopecks"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_categories_are_refused(operator, vorkuta, overrides, field):
    period = draft(vorkuta)
    with pytest.raises(ValidationFailed) as excinfo:
        add(operator, period, **overrides)
    assert field in fields_of(excinfo)
    assert not NominalCategory.objects.exists()


def test_categories_of_the_same_kind_may_not_overlap(operator, vorkuta):
    period = draft(vorkuta)
    add(operator, period, name="5–10 лет", age_from_months=60, age_to_months=120)
    with pytest.raises(Conflict) as excinfo:
        add(operator, period, name="9–18 лет", age_from_months=108, age_to_months=216)
    fields = conflict_of(excinfo, "category_conflict")
    assert "пересекается с категорией «5–10 лет»" in fields["age_from_months"][0]
    assert excinfo.value.message == fields["age_from_months"][0]
    # Adjacent bands (upper bound exclusive) and an ОВЗ band over the same ages are fine.
    add(operator, period, name="10–18 лет", age_from_months=120, age_to_months=216)
    add(operator, period, name="ОВЗ", age_from_months=60, age_to_months=216, disability_only=True)
    with pytest.raises(Conflict) as excinfo:
        add(
            operator,
            period,
            name="ОВЗ старшие",
            age_from_months=150,
            age_to_months=216,
            disability_only=True,
        )
    assert "age_from_months" in conflict_of(excinfo, "category_conflict")
    assert period.nominal_categories.count() == 3


def test_category_names_are_unique_in_a_period(operator, vorkuta):
    period = draft(vorkuta)
    add(operator, period, age_from_months=60, age_to_months=120)
    with pytest.raises(Conflict) as excinfo:
        add(operator, period, name="дети 5–18 ЛЕТ", age_from_months=120, age_to_months=216)
    assert conflict_of(excinfo, "category_conflict") == {
        "name": ["Категория с таким названием в периоде уже есть."]
    }
    # A value wrong by itself is reported first, as the request's own mistake (400).
    with pytest.raises(ValidationFailed) as excinfo:
        add(operator, period, age_from_months=120, age_to_months=100)
    assert set(fields_of(excinfo)) == {"age_to_months"}
    assert period.nominal_categories.count() == 1


def test_update_category_checks_against_the_others_only(operator, vorkuta):
    period = draft(vorkuta)
    young = add(operator, period, name="Младшие", age_from_months=60, age_to_months=120)
    add(operator, period, name="Старшие", age_from_months=120, age_to_months=216)
    # Shrinking itself never collides with itself …
    services.update_nominal_category(actor=operator, category=young, age_to_months=100)
    # … but growing into the neighbour does.
    with pytest.raises(Conflict) as excinfo:
        services.update_nominal_category(actor=operator, category=young, age_to_months=130)
    assert "Старшие" in conflict_of(excinfo, "category_conflict")["age_from_months"][0]
    young.refresh_from_db()
    assert young.age_to_months == 100


def test_one_age_bound_is_checked_against_the_stored_other(operator, vorkuta):
    period = draft(vorkuta)
    young = add(operator, period, name="Младшие", age_from_months=60, age_to_months=120)
    order = "Верхняя граница возраста должна быть больше нижней."
    # One bound sent: the stored other bound refuses it (409, on the field sent) …
    with pytest.raises(Conflict) as excinfo:
        services.update_nominal_category(actor=operator, category=young, age_to_months=60)
    assert conflict_of(excinfo, "category_conflict") == {"age_to_months": [order]}
    with pytest.raises(Conflict) as excinfo:
        services.update_nominal_category(actor=operator, category=young, age_from_months=150)
    assert conflict_of(excinfo, "category_conflict") == {"age_from_months": [order]}
    # … both sent in the wrong order: the request contradicts itself (400).
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_nominal_category(
            actor=operator, category=young, age_from_months=150, age_to_months=100
        )
    assert fields_of(excinfo) == {"age_to_months": [order]}
    young.refresh_from_db()
    assert (young.age_from_months, young.age_to_months) == (60, 120)


def test_locked_period_refuses_category_changes(operator, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)
    category = NominalCategoryFactory(period=period)
    services.mark_commitments_started(period=period)
    for call in (
        lambda: add(operator, period, name="Новая", disability_only=True),
        lambda: services.update_nominal_category(
            actor=operator, category=category, nominal_kopecks=1
        ),
        lambda: services.delete_nominal_category(actor=operator, category=category),
    ):
        with pytest.raises(Conflict) as excinfo:
            call()
        assert excinfo.value.code == "period_locked"
        assert (
            "уже заключены договоры или начислены номиналы"
            in fields_of(excinfo)["nominal_categories"][0]
        )
    category.refresh_from_db()
    assert category.nominal_kopecks == 2_417_100
    assert period.nominal_categories.count() == 1


def test_approved_period_keeps_at_least_one_covered_category(operator, vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)  # budget = quota × 24 171 ₽
    category = NominalCategoryFactory(period=period)
    with pytest.raises(Conflict) as excinfo:
        services.update_nominal_category(
            actor=operator, category=category, nominal_kopecks=2_417_101
        )
    assert "nominal_kopecks" in conflict_of(excinfo, "period_unsecured")
    assert excinfo.value.message == "Утверждённый период должен оставаться обеспеченным бюджетом."
    with pytest.raises(Conflict) as excinfo:
        add(operator, period, name="ОВЗ", disability_only=True, nominal_kopecks=3_000_000)
    assert "nominal_kopecks" in conflict_of(excinfo, "period_unsecured")
    with pytest.raises(Conflict) as excinfo:
        services.delete_nominal_category(actor=operator, category=category)
    assert "nominal_categories" in conflict_of(excinfo, "period_unsecured")
    assert NominalCategory.objects.get().nominal_kopecks == 2_417_100


# ------------------------------------------------------------------ approve


def test_approve_needs_a_category(operator, vorkuta):
    period = draft(vorkuta)
    with pytest.raises(Conflict) as excinfo:
        services.approve_period(actor=operator, period=period)
    assert set(conflict_of(excinfo, "period_incomplete")) == {"nominal_categories"}
    assert excinfo.value.message == "Период нельзя утвердить: заполните недостающее."
    period.refresh_from_db()
    assert period.status == FinancingPeriod.Status.DRAFT


def test_approve_needs_all_six_base_costs(operator, vorkuta):
    period = draft(vorkuta, base_sports_kopecks=0, base_social_kopecks=0)
    NominalCategoryFactory(period=period)
    with pytest.raises(Conflict) as excinfo:
        services.approve_period(actor=operator, period=period)
    fields = conflict_of(excinfo, "period_incomplete")
    assert set(fields) == {"base_sports_kopecks", "base_social_kopecks"}
    assert "физкультурно-спортивная" in fields["base_sports_kopecks"][0]


def test_approve_needs_budget_for_quota_times_largest_nominal(operator, vorkuta):
    period = draft(vorkuta, certificate_quota=100, budget_kopecks=100 * 2_417_100)
    NominalCategoryFactory(period=period, nominal_kopecks=2_417_100)
    NominalCategoryFactory(period=period, disability_only=True, nominal_kopecks=3_000_000)
    with pytest.raises(Conflict) as excinfo:
        services.approve_period(actor=operator, period=period)
    message = conflict_of(excinfo, "period_incomplete")["certificate_quota"][0]
    assert "3\u00a0000\u00a0000,00\u00a0₽" in message  # 100 × 30 000,00 ₽ shown as money
    assert "не больше 80 сертификатов" in message  # 241 710 000 // 3 000 000
    services.update_period(actor=operator, period=period, certificate_quota=80)
    approved = services.approve_period(actor=operator, period=period)
    assert approved.status == FinancingPeriod.Status.APPROVED
    log = ActionLog.objects.get(action="financing.period_approved")
    assert log.details == {
        "certificate_quota": 80,
        "budget_kopecks": 100 * 2_417_100,
        "largest_nominal_kopecks": 3_000_000,
    }


def test_approve_only_a_draft_and_only_in_scope(operator, vorkuta, make_user, region):
    period = draft(vorkuta)
    NominalCategoryFactory(period=period)
    stranger = make_user("operator", municipality=MunicipalityFactory(region=region))
    with pytest.raises(AccessDenied):
        services.approve_period(actor=stranger, period=period)
    services.approve_period(actor=operator, period=period)
    with pytest.raises(Conflict):
        services.approve_period(actor=operator, period=period)


# ------------------------------------------------------------------ commitments


def test_mark_commitments_started_is_idempotent(vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)
    first_moment = dt.datetime(2026, 9, 10, 9, 0, tzinfo=dt.UTC)
    with clock.frozen(first_moment):
        assert services.mark_commitments_started(period=period) is True
    assert period.is_locked
    with clock.frozen(first_moment + dt.timedelta(days=3)):
        again = FinancingPeriod.objects.get(pk=period.pk)
        assert services.mark_commitments_started(period=again) is False
    assert again.commitments_started_at == first_moment
    period.refresh_from_db()
    assert period.commitments_started_at == first_moment
    assert ActionLog.objects.filter(action="financing.commitments_started").count() == 1


def test_commitments_only_in_an_approved_period(vorkuta):
    period = draft(vorkuta)
    with pytest.raises(Conflict):
        services.mark_commitments_started(period=period)
    period.refresh_from_db()
    assert not period.is_locked


def test_lock_reason_names_the_day(vorkuta):
    period = FinancingPeriodFactory(municipality=vorkuta)
    with clock.frozen(dt.date(2026, 9, 15)):
        services.mark_commitments_started(period=period)
    assert "(первый — 15.09.2026)" in services.lock_reason(period)
