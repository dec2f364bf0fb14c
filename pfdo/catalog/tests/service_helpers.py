"""Builders shared by the catalogue's service tests (split by subject into test_services_*)."""

import datetime as dt

from pfdo.audit.models import ActionLog
from pfdo.catalog import services
from pfdo.catalog.models import ASSESSMENT_CRITERIA
from pfdo.catalog.tests.factories import DraftProgramFactory, GroupFactory, ModuleFactory

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
        schedule=[{"weekday": 2, "starts_at": dt.time(16), "ends_at": dt.time(17, 30)}],
    )
    program.refresh_from_db()
    return program


def group_in_room(provider, room="7", starts=dt.date(2026, 9, 1), ends=dt.date(2027, 5, 31)):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider))
    return GroupFactory(
        module=module, address="ул. Ленина, 1", room=room, starts_on=starts, ends_on=ends
    )
