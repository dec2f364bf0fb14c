"""Services of the catalogue: cards, modules and normative cost, groups and schedule clashes,
publication checks, certification states and registries — each audited, nothing half-saved."""

# ruff: noqa: F811  (fixtures are imported from manage_fixtures and requested by name)

import datetime as dt

import pytest
from django.core.management import call_command

from pfdo.audit.models import ActionLog
from pfdo.catalog import services
from pfdo.catalog.models import ASSESSMENT_CRITERIA, Group, Module, Program, ScheduleEntry
from pfdo.catalog.tests.factories import (
    DraftProgramFactory,
    GroupFactory,
    ModuleFactory,
    ProgramFactory,
    ScheduleEntryFactory,
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
from pfdo.common.errors import AccessDenied, Conflict, ValidationFailed
from pfdo.financing.tests.factories import FinancingPeriodFactory

pytestmark = pytest.mark.sqlite  # also in the SQLite pass of `make test`

T = dt.time
FULL_SCORES = {code: 4 for code, _ in ASSESSMENT_CRITERIA}


def actions(action):
    return ActionLog.objects.filter(action=action)


def new_program(staff, provider, **overrides):
    data = {
        "name": "Робототехника и конструирование",
        "direction": "technical",
        "age_from_months": 84,
        "age_to_months": 179,
        "description": "Конструируем и программируем роботов.",
        "address": "г. Воркута, ул. Ленина, д. 1",
    }
    return services.create_program(actor=staff, provider=provider, **(data | overrides))


def ready_program(staff, provider, room="12"):
    """Complete card, a priced module, a group with dates and a lesson."""
    program = new_program(staff, provider)
    module = services.add_module(
        actor=staff,
        program=program,
        name="Первый год",
        duration_months=9,
        hours=72,
        max_children=12,
        price_kopecks=1_800_000,
    )
    services.add_group(
        actor=staff,
        module=module,
        name="Группа 1",
        capacity=12,
        room=room,
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2027, 5, 31),
        schedule=[{"weekday": 2, "starts_at": T(16), "ends_at": T(17, 30)}],
    )
    program.refresh_from_db()
    return program


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


# ---------------------------------------------------------------- groups and schedule


def test_group_capacity_and_dates_are_checked(staff, provider):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider))
    with pytest.raises(ValidationFailed) as exc:
        services.add_group(
            actor=staff,
            module=module,
            name="Г",
            capacity=0,
            starts_on=dt.date(2027, 5, 31),
            ends_on=dt.date(2026, 9, 1),
        )
    assert exc.value.fields == {
        "capacity": ["В группе должно быть хотя бы одно место."],
        "ends_on": ["Окончание занятий должно быть позже начала."],
    }
    with pytest.raises(ValidationFailed) as exc:
        services.add_group(
            actor=staff,
            module=module,
            name="Г",
            capacity=5,
            starts_on=dt.date(2026, 9, 1),
            ends_on=dt.date(2031, 9, 1),
        )
    assert "трёх лет" in exc.value.fields["ends_on"][0]
    assert not Group.objects.exists()


def test_group_address_defaults_to_the_programmes(staff, provider):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider, address="ул. Мира, 5"))
    group = services.add_group(actor=staff, module=module, name="Г", capacity=5)
    assert group.address == "ул. Мира, 5"


def _group_in_room(provider, room="7", starts=dt.date(2026, 9, 1), ends=dt.date(2027, 5, 31)):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider))
    return GroupFactory(
        module=module, address="ул. Ленина, 1", room=room, starts_on=starts, ends_on=ends
    )


def test_schedule_clash_in_the_same_room_names_the_other_group(staff, provider, other_provider):
    busy = _group_in_room(other_provider)
    busy.name = "Шахматы-1"
    busy.save()
    ScheduleEntryFactory(group=busy, weekday=2, starts_at=T(16), ends_at=T(17))
    mine = _group_in_room(provider)
    with pytest.raises(ValidationFailed) as exc:
        services.add_schedule_entry(
            actor=staff, group=mine, weekday=2, starts_at=T(16, 30), ends_at=T(18)
        )
    assert exc.value.code == "schedule_clash"
    assert "«Шахматы-1»" in exc.value.fields["starts_at"][0]
    assert not mine.schedule.exists()
    # Back to back is fine; another weekday is fine.
    services.add_schedule_entry(actor=staff, group=mine, weekday=2, starts_at=T(17), ends_at=T(18))
    services.add_schedule_entry(actor=staff, group=mine, weekday=3, starts_at=T(16), ends_at=T(17))
    assert mine.schedule.count() == 2
    assert actions("catalog.lesson_added").count() == 2


def test_odd_and_even_weeks_do_not_clash_but_every_week_clashes_with_both(staff, provider):
    busy = _group_in_room(provider)
    ScheduleEntryFactory(group=busy, weekday=1, starts_at=T(10), ends_at=T(11), parity="odd")
    mine = _group_in_room(provider)
    services.add_schedule_entry(
        actor=staff, group=mine, weekday=1, starts_at=T(10), ends_at=T(11), parity="even"
    )
    other = _group_in_room(provider)
    for parity in ("odd", "every"):
        with pytest.raises(ValidationFailed):
            services.add_schedule_entry(
                actor=staff, group=other, weekday=1, starts_at=T(10), ends_at=T(11), parity=parity
            )


def test_groups_with_separate_dates_or_rooms_share_the_time(staff, provider):
    autumn = _group_in_room(provider, starts=dt.date(2026, 9, 1), ends=dt.date(2026, 12, 20))
    ScheduleEntryFactory(group=autumn, weekday=4, starts_at=T(15), ends_at=T(16))
    spring = _group_in_room(provider, starts=dt.date(2027, 1, 10), ends=dt.date(2027, 5, 31))
    services.add_schedule_entry(
        actor=staff, group=spring, weekday=4, starts_at=T(15), ends_at=T(16)
    )
    other_room = _group_in_room(provider, room="8")
    services.add_schedule_entry(
        actor=staff, group=other_room, weekday=4, starts_at=T(15), ends_at=T(16)
    )
    assert ScheduleEntry.objects.count() == 3


def test_moving_a_group_into_a_busy_room_is_refused(staff, provider):
    busy = _group_in_room(provider, room="7")
    ScheduleEntryFactory(group=busy, weekday=5, starts_at=T(18), ends_at=T(19))
    mover = _group_in_room(provider, room="9")
    ScheduleEntryFactory(group=mover, weekday=5, starts_at=T(18, 30), ends_at=T(19, 30))
    with pytest.raises(ValidationFailed) as exc:
        services.update_group(actor=staff, group=mover, room="7")
    assert "room" in exc.value.fields
    mover.refresh_from_db()
    assert mover.room == "9"


def test_group_with_a_clashing_schedule_is_not_created_at_all(staff, provider):
    busy = _group_in_room(provider)
    ScheduleEntryFactory(group=busy, weekday=2, starts_at=T(16), ends_at=T(17))
    module = busy.module
    with pytest.raises(ValidationFailed) as exc:
        services.add_group(
            actor=staff,
            module=module,
            name="Новая",
            capacity=10,
            address="ул. Ленина, 1",
            room="7",
            starts_on=dt.date(2026, 9, 1),
            ends_on=dt.date(2027, 5, 31),
            schedule=[
                {"weekday": 1, "starts_at": T(16), "ends_at": T(17)},
                {"weekday": 2, "starts_at": T(16), "ends_at": T(17)},
            ],
        )
    assert set(exc.value.fields) == {"schedule.1.starts_at"}
    assert not Group.objects.filter(name="Новая").exists()
    assert ScheduleEntry.objects.count() == 1


def test_lesson_must_end_after_it_starts(staff, provider):
    group = _group_in_room(provider)
    with pytest.raises(ValidationFailed) as exc:
        services.add_schedule_entry(
            actor=staff, group=group, weekday=1, starts_at=T(12), ends_at=T(11)
        )
    assert exc.value.fields == {"ends_at": ["Занятие должно заканчиваться позже, чем начинается."]}


# ---------------------------------------------------------------- publication


def test_publication_problems_list_what_is_missing(staff, provider):
    program = new_program(staff, provider, address="", age_from_months=None, age_to_months=None)
    problems = services.publication_problems(program)
    assert "Укажите адрес проведения занятий." in problems
    assert "Укажите возрастной диапазон детей." in problems
    assert "Добавьте хотя бы один модуль." in problems
    assert "Добавьте хотя бы одну группу с датами занятий и расписанием." in problems
    assert any("бюджетный реестр" in p for p in problems)
    services.add_module(
        actor=staff, program=program, name="Без цены", duration_months=9, hours=36, max_children=9
    )
    assert "Укажите цену модуля «Без цены»." in services.publication_problems(program)


def test_publish_is_refused_until_complete_then_allowed(staff, provider, operator):
    program = ready_program(staff, provider)
    with pytest.raises(Conflict) as exc:
        services.publish(actor=staff, program=program)
    assert exc.value.code == "program_incomplete"
    assert len(exc.value.fields["problems"]) == 1
    program.refresh_from_db()
    assert not program.is_published
    services.set_budget_registry(actor=operator, program=program, registry="significant")
    services.publish(actor=staff, program=program)
    services.open_enrolment(actor=staff, program=program)
    program.refresh_from_db()
    assert program.is_published and program.enrolment_open and program.published_at
    for action in ("registry_set", "program_published", "enrolment_opened"):
        assert actions(f"catalog.{action}").count() == 1


def test_inactive_provider_cannot_publish(staff, provider, operator):
    program = ready_program(staff, provider)
    services.set_paid_only(actor=operator, program=program, paid_only=True)
    provider.status = "needs_check"
    provider.save()
    with pytest.raises(Conflict) as exc:
        services.publish(actor=staff, program=program)
    assert any("требует проверки" in p for p in exc.value.fields["problems"])


def test_published_programme_stays_complete(staff, provider, operator):
    program = ready_program(staff, provider)
    services.set_paid_only(actor=operator, program=program, paid_only=True)
    services.publish(actor=staff, program=program)
    entry = ScheduleEntry.objects.get(group__module__program=program)
    entry_pk = entry.pk
    with pytest.raises(Conflict) as exc:
        services.delete_schedule_entry(actor=staff, entry=entry)
    assert exc.value.code == "program_incomplete"
    assert ScheduleEntry.objects.filter(pk=entry_pk).exists()
    entry = ScheduleEntry.objects.get(pk=entry_pk)
    with pytest.raises(Conflict):
        services.update_module(actor=staff, module=program.modules.get(), price_kopecks=None)
    with pytest.raises(Conflict):
        services.set_paid_only(actor=operator, program=program, paid_only=False)
    services.unpublish(actor=staff, program=program)
    services.delete_schedule_entry(actor=staff, entry=entry)
    assert not ScheduleEntry.objects.filter(pk=entry_pk).exists()


def test_enrolment_and_archive_transitions(staff, provider, operator):
    program = ready_program(staff, provider)
    with pytest.raises(Conflict):
        services.open_enrolment(actor=staff, program=program)
    services.set_paid_only(actor=operator, program=program, paid_only=True)
    services.publish(actor=staff, program=program)
    services.open_enrolment(actor=staff, program=program)
    services.close_enrolment(actor=staff, program=program)
    with pytest.raises(Conflict):
        services.close_enrolment(actor=staff, program=program)
    services.open_enrolment(actor=staff, program=program)
    services.unpublish(actor=staff, program=program)
    program.refresh_from_db()
    assert not program.enrolment_open
    services.archive(actor=staff, program=program)
    program.refresh_from_db()
    assert program.archived_at and not program.is_published
    with pytest.raises(Conflict) as exc:
        services.update_program(actor=staff, program=program, name="Снова")
    assert exc.value.code == "program_archived"
    for action in ("enrolment_opened", "enrolment_closed", "program_unpublished"):
        assert actions(f"catalog.{action}").exists()
    assert actions("catalog.program_archived").count() == 1


def test_archive_is_refused_while_children_study(staff, provider):
    program = complete_program(provider=provider)
    Group.objects.filter(module__program=program).update(seats_taken=3)
    with pytest.raises(Conflict) as exc:
        services.archive(actor=staff, program=program)
    assert exc.value.code == "program_in_use"


# ---------------------------------------------------------------- certification


def test_certification_happy_path(staff, provider, expert, operator):
    program = ready_program(staff, provider)
    services.submit(actor=staff, program=program)
    program.refresh_from_db()
    assert program.certification_status == "submitted" and program.submission_round == 1
    with pytest.raises(Conflict) as exc:
        services.certify(actor=operator, program=program)
    assert exc.value.code == "no_assessment"
    assessment = services.assess(
        actor=expert, program=program, scores=FULL_SCORES, conclusion="recommended"
    )
    assert assessment.total_score == 4 * len(ASSESSMENT_CRITERIA)
    with pytest.raises(Conflict) as exc:
        services.assess(actor=expert, program=program, scores=FULL_SCORES, conclusion="recommended")
    assert exc.value.code == "already_assessed"
    services.certify(actor=operator, program=program)
    program.refresh_from_db()
    assert program.is_certified and program.certification_decided_at
    assert services.publication_problems(program) == []
    for action in ("program_submitted", "program_assessed", "program_certified"):
        assert actions(f"catalog.{action}").count() == 1


def test_reject_needs_a_reason_and_resubmission_opens_a_new_round(
    staff, provider, expert, operator
):
    program = ready_program(staff, provider)
    services.submit(actor=staff, program=program)
    with pytest.raises(ValidationFailed) as exc:
        services.reject_certification(actor=operator, program=program, reason="  ")
    assert exc.value.fields == {"reason": ["Укажите причину отказа."]}
    services.reject_certification(actor=operator, program=program, reason="Нет учебного плана.")
    program.refresh_from_db()
    assert program.certification_status == "rejected"
    assert program.certification_reason == "Нет учебного плана."
    services.update_program(actor=staff, program=program, goals="Учебный план приложен.")
    services.submit(actor=staff, program=program)
    program.refresh_from_db()
    assert program.submission_round == 2 and program.certification_reason == ""
    # A new round: the same expert assesses again.
    services.assess(actor=expert, program=program, scores=FULL_SCORES, conclusion="recommended")
    assert program.assessments.filter(round=2).count() == 1
    assert actions("catalog.certification_rejected").get().details["reason"]


def test_submit_refuses_an_incomplete_card(staff, provider):
    program = new_program(staff, provider, description="")
    with pytest.raises(Conflict) as exc:
        services.submit(actor=staff, program=program)
    assert "Добавьте описание программы." in exc.value.fields["problems"]
    assert "Добавьте хотя бы один модуль." in exc.value.fields["problems"]
    program.refresh_from_db()
    assert program.certification_status == "draft"
    assert not actions("catalog.program_submitted").exists()


def test_assessment_scores_are_validated(staff, provider, expert):
    program = ready_program(staff, provider)
    services.submit(actor=staff, program=program)
    scores = {**FULL_SCORES, "relevance": 6, "goals": "пять"}
    del scores["content"]
    with pytest.raises(ValidationFailed) as exc:
        services.assess(actor=expert, program=program, scores=scores, conclusion="not_recommended")
    assert set(exc.value.fields) == {
        "scores.relevance",
        "scores.goals",
        "scores.content",
        "comment",
    }
    assert not program.assessments.exists()


def test_who_may_move_the_certification(staff, provider, other_staff, expert, operator, make_user):
    program = ready_program(staff, provider)
    with pytest.raises(AccessDenied):
        services.submit(actor=other_staff, program=program)
    services.submit(actor=staff, program=program)
    with pytest.raises(AccessDenied):
        services.assess(actor=staff, program=program, scores=FULL_SCORES, conclusion="recommended")
    services.assess(actor=expert, program=program, scores=FULL_SCORES, conclusion="recommended")
    foreign_operator = make_user("operator", municipality=ProgramFactory().municipality)
    with pytest.raises(AccessDenied):
        services.certify(actor=foreign_operator, program=program)
    with pytest.raises(AccessDenied):
        services.certify(actor=expert, program=program)
    with pytest.raises(AccessDenied):
        services.set_budget_registry(actor=staff, program=program, registry="other")
    program.refresh_from_db()
    assert program.certification_status == "submitted"


def test_paid_only_and_certification_exclude_each_other(staff, provider, operator):
    program = ready_program(staff, provider)
    services.set_paid_only(actor=operator, program=program, paid_only=True)
    with pytest.raises(Conflict) as exc:
        services.submit(actor=staff, program=program)
    assert exc.value.code == "paid_only"
    with pytest.raises(ValidationFailed) as exc:
        services.set_budget_registry(actor=operator, program=program, registry="significant")
    assert "paid_only" in exc.value.fields
    certified = ProgramFactory(provider=provider)
    with pytest.raises(ValidationFailed):
        services.set_paid_only(actor=operator, program=certified, paid_only=True)


def test_operator_returns_a_rejected_programme_to_draft(staff, provider, operator):
    program = ready_program(staff, provider)
    services.submit(actor=staff, program=program)
    services.reject_certification(actor=operator, program=program, reason="Доработать цели.")
    services.return_to_draft(actor=operator, program=program)
    program.refresh_from_db()
    assert program.certification_status == "draft"
    assert actions("catalog.program_returned_to_draft").count() == 1
    with pytest.raises(Conflict):
        services.return_to_draft(actor=operator, program=program)


# ---------------------------------------------------------------- demo


def test_demo_catalogue_is_complete_varied_and_idempotent(provider, other_provider, period, expert):
    from pfdo.catalog.demo import seed_catalog

    programs = seed_catalog(providers=[provider, other_provider], period=period)
    assert len(programs) == 10
    assert {p.direction for p in programs} == {
        "technical",
        "natural_science",
        "sports",
        "arts",
        "tourism",
        "social",
    }
    published = [p for p in programs if p.is_published]
    assert len(published) == 9
    assert all(services.publication_problems(p) == [] for p in published)
    drafts = [p for p in programs if not p.is_published]
    assert len(drafts) == 1 and services.publication_problems(drafts[0])
    assert sum(p.is_certified for p in programs) == 5
    assert sum(p.paid_only for p in programs) == 1
    modules = Module.objects.filter(program__in=programs, price_kopecks__isnull=False)
    assert any(m.copayment_kopecks > 0 for m in modules)
    assert all(m.normative_period == period for m in modules)
    counts = (Program.objects.count(), Group.objects.count(), ScheduleEntry.objects.count())
    assert seed_catalog(providers=[provider, other_provider], period=period) == programs
    assert (Program.objects.count(), Group.objects.count(), ScheduleEntry.objects.count()) == counts


def test_overlapping_lessons_of_one_group_are_named_as_its_own(staff, provider):
    mine = _group_in_room(provider)
    services.add_schedule_entry(actor=staff, group=mine, weekday=5, starts_at=T(16), ends_at=T(17))
    with pytest.raises(ValidationFailed) as exc:
        services.add_schedule_entry(
            actor=staff, group=mine, weekday=5, starts_at=T(16, 30), ends_at=T(17, 30)
        )
    assert "Занятия этой группы пересекаются между собой" in exc.value.fields["starts_at"][0]
    assert mine.schedule.count() == 1


def test_every_catalogue_action_has_a_russian_name():
    import re
    from pathlib import Path

    from pfdo.audit.labels import ACTION_LABELS

    source = Path(services.__file__).read_text(encoding="utf-8")
    recorded = set(re.findall(r'_record\(\s*\w+,\s*"(catalog\.[a-z_]+)"', source))
    recorded |= set(re.findall(r'"(catalog\.photo_(?:changed|removed))"', source))
    assert recorded, "no audited actions found"
    assert sorted(code for code in recorded if code not in ACTION_LABELS) == []
