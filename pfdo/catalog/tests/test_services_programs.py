"""Services of the catalogue: the programme card and modules with their normative cost —
each audited, nothing half-saved."""

# ruff: noqa: F811  (fixtures are imported from manage_fixtures and requested by name)

import datetime as dt

import pytest
from django.core.management import call_command

from pfdo.catalog import services
from pfdo.catalog.models import Module, Program
from pfdo.catalog.tests.factories import (
    complete_program,
)
from pfdo.catalog.tests.manage_fixtures import (  # noqa: F401  (fixtures)
    _today,
    expert,
    other_provider,
    other_staff,
    period,
    provider,
    staff,
)
from pfdo.catalog.tests.service_helpers import (
    actions,
    new_program,
    ready_program,
)
from pfdo.common.errors import AccessDenied, Conflict, ValidationFailed
from pfdo.financing.tests.factories import FinancingPeriodFactory

pytestmark = pytest.mark.sqlite  # also in the SQLite pass of `make test`

# ---------------------------------------------------------------- programme card


def test_create_program_is_a_draft_in_the_providers_municipality_and_audited(staff, provider):
    program = new_program(staff, provider, name="  Юный   эколог Заполярья ")
    assert program.name == "Юный эколог Заполярья"
    assert program.municipality == provider.municipality
    assert program.certification_status == "draft"
    assert not program.is_published
    row = actions("catalog.program_created").get()
    assert row.actor == staff and row.object_id == str(program.pk)
    assert row.municipality == provider.municipality


def test_inverted_age_range_is_a_field_error_and_nothing_is_saved(staff, provider):
    with pytest.raises(ValidationFailed) as exc:
        new_program(staff, provider, age_from_months=120, age_to_months=84)
    assert exc.value.fields == {
        "age_to_months": ["Верхняя граница возраста не может быть меньше нижней."]
    }
    assert not Program.objects.exists()
    assert not actions("catalog.program_created").exists()


def test_bad_card_fields_each_get_a_message(staff, provider):
    with pytest.raises(ValidationFailed) as exc:
        new_program(staff, provider, name=" ", direction="cooking", age_to_months=None)
    assert set(exc.value.fields) == {"name", "direction", "age_to_months"}


def test_another_providers_staff_cannot_create_or_edit(staff, provider, other_staff):
    with pytest.raises(AccessDenied):
        new_program(other_staff, provider)
    program = new_program(staff, provider)
    with pytest.raises(AccessDenied):
        services.update_program(actor=other_staff, program=program, name="Чужая")
    program.refresh_from_db()
    assert program.name == "Робототехника и конструирование"


def test_submitted_programme_cannot_be_edited_until_returned_to_draft(staff, provider):
    program = ready_program(staff, provider)
    services.submit(actor=staff, program=program)
    with pytest.raises(Conflict) as exc:
        services.update_program(actor=staff, program=program, name="Другое")
    assert exc.value.code == "program_under_certification"
    services.return_to_draft(actor=staff, program=program)
    services.update_program(actor=staff, program=program, name="Другое")
    program.refresh_from_db()
    assert program.name == "Другое" and program.certification_status == "draft"


# ---------------------------------------------------------------- normative cost


def test_module_stores_the_hand_computed_normative_cost(staff, provider, period):
    program = new_program(staff, provider)
    module = services.add_module(
        actor=staff,
        program=program,
        name="Основной",
        duration_months=9,
        hours=72,
        max_children=12,
        teacher_qualification="highest",
        price_kopecks=3_000_000,
    )
    # 72 h × 150,00 ₽ × 1.000 (очная) × 1.100 (муниципальная) × 1.200 (высшая) × 1.800 (север)
    # = 10 800 ₽ × 2.376 = 25 660,80 ₽
    module.refresh_from_db()
    assert module.normative_cost_kopecks == 2_566_080
    assert module.normative_period == period
    breakdown = module.normative_breakdown
    assert breakdown["hours"] == 72
    assert breakdown["base_kopecks_per_person_hour"] == 15000
    assert [f["value"] for f in breakdown["factors"]] == ["1.000", "1.100", "1.200", "1.800"]
    assert breakdown["total_kopecks"] == 2_566_080
    assert module.certificate_covers_kopecks == 2_566_080
    assert module.copayment_kopecks == 3_000_000 - 2_566_080


def test_without_a_period_the_cost_is_none_with_an_explanation(staff, provider):
    program = new_program(staff, provider)
    module = services.add_module(
        actor=staff, program=program, name="М", duration_months=9, hours=10, max_children=5
    )
    assert module.normative_cost_kopecks is None
    assert "нет утверждённой программы" in module.normative_explanation


def test_upcoming_period_is_used_when_none_covers_today(staff, provider, vorkuta):
    FinancingPeriodFactory(municipality=vorkuta, status="draft", base_technical_kopecks=99999)
    upcoming = FinancingPeriodFactory(
        municipality=vorkuta,
        name="2027/28",
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 8, 31),
        base_technical_kopecks=10000,
    )
    program = new_program(staff, provider)
    module = services.add_module(
        actor=staff, program=program, name="М", duration_months=9, hours=10, max_children=5
    )
    assert module.normative_period == upcoming
    assert module.normative_cost_kopecks == 10 * 10000


def test_changing_a_factor_of_the_programme_recomputes_its_modules(staff, provider, period):
    program = ready_program(staff, provider)
    module = program.modules.get()
    before = module.normative_cost_kopecks
    period.k_disability = "1.500"
    period.save()
    services.update_program(actor=staff, program=program, for_disabled=True)
    module.refresh_from_db()
    assert module.normative_cost_kopecks == round(before * 1.5)


def test_recompute_all_modules_of_a_municipality_and_the_command(staff, provider, vorkuta):
    program = ready_program(staff, provider)
    module = program.modules.get()
    assert module.normative_cost_kopecks is None
    FinancingPeriodFactory(municipality=vorkuta, base_technical_kopecks=20000)
    assert services.recompute_normative_costs(municipality=vorkuta) == 1
    module.refresh_from_db()
    assert module.normative_cost_kopecks == 72 * 20000
    assert actions("catalog.normative_recomputed").get().details["modules"] == 1
    Module.objects.update(normative_cost_kopecks=None)
    call_command("recompute_normative_costs", "--municipality", "vorkuta")
    module.refresh_from_db()
    assert module.normative_cost_kopecks == 72 * 20000


def test_approving_a_period_recomputes_the_normatives(staff, provider, vorkuta, make_user):
    """Issue 12, scenario 7: a programme certified before any period had no normative; the
    approval (page, API, demo — all through financing.approve_period) computes it."""
    from pfdo.financing import services as financing
    from pfdo.financing.tests.factories import NominalCategoryFactory

    program = ready_program(staff, provider)
    module = program.modules.get()
    assert module.normative_cost_kopecks is None
    draft = FinancingPeriodFactory(
        municipality=vorkuta, status="draft", base_technical_kopecks=20000
    )
    NominalCategoryFactory(period=draft)
    # A regional administrator may approve without the operator's recompute permission.
    approver = make_user("regional_admin", region=vorkuta.region)
    financing.approve_period(actor=approver, period=draft)
    module.refresh_from_db()
    assert module.normative_cost_kopecks == 72 * 20000
    assert module.normative_period == draft
    row = actions("catalog.normative_recomputed").get()
    assert row.actor == approver and row.details["modules"] == 1


def test_module_bad_input_is_refused_field_by_field(staff, provider):
    program = new_program(staff, provider)
    with pytest.raises(ValidationFailed) as exc:
        services.add_module(
            actor=staff,
            program=program,
            name="",
            duration_months=0,
            hours=0,
            min_children=10,
            max_children=5,
            price_kopecks=-1,
        )
    assert set(exc.value.fields) == {
        "name",
        "duration_months",
        "hours",
        "max_children",
        "price_kopecks",
    }
    assert exc.value.fields["price_kopecks"] == ["Цена не может быть отрицательной."]
    assert not Module.objects.exists()


def test_certified_programme_price_change_keeps_certification_and_recomputes(
    staff, provider, period
):
    program = complete_program(provider=provider, certification_status="certified")
    module = program.modules.get()
    services.update_module(actor=staff, module=module, price_kopecks=2_000_000, hours=36)
    module.refresh_from_db()
    program.refresh_from_db()
    assert program.is_certified
    assert module.price_kopecks == 2_000_000
    assert module.normative_cost_kopecks == 1_069_200  # 36 h × 150 ₽ × 1.1 × 1.8
    assert actions("catalog.module_updated").get().details["fields"] == ["hours", "price_kopecks"]
