"""Factories of programmes, modules, groups and schedule entries."""

import datetime as dt

import factory

from pfdo.catalog.models import Group, Module, Program, ScheduleEntry
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
