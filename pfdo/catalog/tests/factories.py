"""Factories of programmes, modules, groups and schedule entries."""

import datetime as dt

import factory

from pfdo.accounts.tests.factories import UserFactory
from pfdo.catalog.models import (
    ASSESSMENT_CRITERIA,
    Assessment,
    Group,
    Module,
    Program,
    ScheduleEntry,
)
from pfdo.providers.tests.factories import ProviderFactory


class ProgramFactory(factory.django.DjangoModelFactory):
    """A complete, certified, published programme unless told otherwise."""

    class Meta:
        model = Program

    provider = factory.SubFactory(ProviderFactory)
    municipality = factory.LazyAttribute(lambda p: p.provider.municipality)
    name = factory.Sequence(lambda n: f"Робототехника {n}")
    direction = "technical"
    age_from_months = 7 * 12
    age_to_months = 14 * 12
    description = "Собираем и программируем роботов."
    address = "г. Воркута, ул. Ленина, д. 1"
    certification_status = Program.Certification.CERTIFIED
    is_published = True
    enrolment_open = True


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    program = factory.SubFactory(ProgramFactory)
    name = "Основной модуль"
    duration_months = 9
    hours = 72
    min_children = 5
    max_children = 15
    price_kopecks = 1_800_000
    normative_cost_kopecks = 2_000_000


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    module = factory.SubFactory(ModuleFactory)
    name = factory.Sequence(lambda n: f"Группа {n}")
    teacher_name = "Сидорова Елена Викторовна"
    address = "г. Воркута, ул. Ленина, д. 1"
    room = factory.Sequence(lambda n: f"{100 + n}")
    starts_on = dt.date(2026, 9, 1)
    ends_on = dt.date(2027, 5, 31)
    capacity = 15


class ScheduleEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduleEntry

    group = factory.SubFactory(GroupFactory)
    weekday = 2
    starts_at = dt.time(16, 0)
    ends_at = dt.time(17, 30)


class DraftProgramFactory(ProgramFactory):
    """A fresh draft: not certified, in no registry, unpublished."""

    certification_status = Program.Certification.DRAFT
    is_published = False
    enrolment_open = False


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    program = factory.SubFactory(DraftProgramFactory)
    expert = factory.SubFactory(UserFactory)
    scores = factory.LazyFunction(lambda: {code: 4 for code, _ in ASSESSMENT_CRITERIA})
    total_score = factory.LazyAttribute(lambda a: sum(a.scores.values()))
    conclusion = Assessment.Conclusion.RECOMMENDED
    round = factory.LazyAttribute(lambda a: max(a.program.submission_round, 1))


def complete_program(provider=None, **overrides) -> Program:
    """A draft with everything publication needs except a registry: a priced module and a
    group with dates and one lesson (unique room, so lessons never clash)."""
    kwargs = {"provider": provider} if provider is not None else {}
    program = DraftProgramFactory(**kwargs, **overrides)
    module = ModuleFactory(program=program)
    group = GroupFactory(module=module)
    ScheduleEntryFactory(group=group)
    return program
