"""Services of the catalogue: publication checks, enrolment switch, archive and registries."""

# ruff: noqa: F811  (fixtures are imported from manage_fixtures and requested by name)

import pytest

from pfdo.catalog import services
from pfdo.catalog.models import Group, ScheduleEntry
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
from pfdo.common.errors import Conflict

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
    services.set_registries(actor=operator, program=program, budget_registry="significant")
    services.publish(actor=staff, program=program)
    services.open_enrolment(actor=staff, program=program)
    program.refresh_from_db()
    assert program.is_published and program.enrolment_open and program.published_at
    for action in ("registry_set", "program_published", "enrolment_opened"):
        assert actions(f"catalog.{action}").count() == 1


def test_inactive_provider_cannot_publish(staff, provider, operator):
    program = ready_program(staff, provider)
    services.set_registries(actor=operator, program=program, paid_only=True)
    provider.status = "needs_check"
    provider.save()
    with pytest.raises(Conflict) as exc:
        services.publish(actor=staff, program=program)
    assert any("требует проверки" in p for p in exc.value.fields["problems"])


def test_published_programme_stays_complete(staff, provider, operator):
    program = ready_program(staff, provider)
    services.set_registries(actor=operator, program=program, paid_only=True)
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
        services.set_registries(actor=operator, program=program, paid_only=False)
    services.unpublish(actor=staff, program=program)
    services.delete_schedule_entry(actor=staff, entry=entry)
    assert not ScheduleEntry.objects.filter(pk=entry_pk).exists()


def test_enrolment_and_archive_transitions(staff, provider, operator):
    program = ready_program(staff, provider)
    with pytest.raises(Conflict):
        services.open_enrolment(actor=staff, program=program)
    services.set_registries(actor=operator, program=program, paid_only=True)
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
