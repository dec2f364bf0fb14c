"""Services of the catalogue: groups, their lessons and the room clash check."""

# ruff: noqa: F811  (fixtures are imported from manage_fixtures and requested by name)

import datetime as dt
from itertools import product

import pytest

from pfdo.catalog import schedule, services
from pfdo.catalog.models import Group, ScheduleEntry
from pfdo.catalog.tests.factories import (
    DraftProgramFactory,
    GroupFactory,
    ModuleFactory,
    ScheduleEntryFactory,
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
    group_in_room,
)
from pfdo.common.errors import Conflict, ValidationFailed

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


def group_in_room(provider, room="7", starts=dt.date(2026, 9, 1), ends=dt.date(2027, 5, 31)):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider))
    return GroupFactory(
        module=module, address="ул. Ленина, 1", room=room, starts_on=starts, ends_on=ends
    )


def test_schedule_clash_in_the_same_room_names_the_other_group(staff, provider, other_provider):
    busy = group_in_room(other_provider)
    busy.name = "Шахматы-1"
    busy.save()
    ScheduleEntryFactory(group=busy, weekday=2, starts_at=dt.time(16), ends_at=dt.time(17))
    mine = group_in_room(provider)
    # Another group's lesson holds the room: the world's state, 409.
    with pytest.raises(Conflict) as exc:
        services.add_schedule_entry(
            actor=staff, group=mine, weekday=2, starts_at=dt.time(16, 30), ends_at=dt.time(18)
        )
    assert (exc.value.code, exc.value.status) == ("schedule_clash", 409)
    assert "«Шахматы-1»" in exc.value.fields["starts_at"][0]
    assert not mine.schedule.exists()
    # Back to back is fine; another weekday is fine.
    services.add_schedule_entry(
        actor=staff, group=mine, weekday=2, starts_at=dt.time(17), ends_at=dt.time(18)
    )
    services.add_schedule_entry(
        actor=staff, group=mine, weekday=3, starts_at=dt.time(16), ends_at=dt.time(17)
    )
    assert mine.schedule.count() == 2
    assert actions("catalog.lesson_added").count() == 2


def test_odd_and_even_weeks_do_not_clash_but_every_week_clashes_with_both(staff, provider):
    busy = group_in_room(provider)
    ScheduleEntryFactory(
        group=busy, weekday=1, starts_at=dt.time(10), ends_at=dt.time(11), parity="odd"
    )
    mine = group_in_room(provider)
    services.add_schedule_entry(
        actor=staff,
        group=mine,
        weekday=1,
        starts_at=dt.time(10),
        ends_at=dt.time(11),
        parity="even",
    )
    other = group_in_room(provider)
    for parity in ("odd", "every"):
        with pytest.raises(Conflict):
            services.add_schedule_entry(
                actor=staff,
                group=other,
                weekday=1,
                starts_at=dt.time(10),
                ends_at=dt.time(11),
                parity=parity,
            )


def test_groups_with_separate_dates_or_rooms_share_the_time(staff, provider):
    autumn = group_in_room(provider, starts=dt.date(2026, 9, 1), ends=dt.date(2026, 12, 20))
    ScheduleEntryFactory(group=autumn, weekday=4, starts_at=dt.time(15), ends_at=dt.time(16))
    spring = group_in_room(provider, starts=dt.date(2027, 1, 10), ends=dt.date(2027, 5, 31))
    services.add_schedule_entry(
        actor=staff, group=spring, weekday=4, starts_at=dt.time(15), ends_at=dt.time(16)
    )
    other_room = group_in_room(provider, room="8")
    services.add_schedule_entry(
        actor=staff, group=other_room, weekday=4, starts_at=dt.time(15), ends_at=dt.time(16)
    )
    assert ScheduleEntry.objects.count() == 3


def test_moving_a_group_into_a_busy_room_is_refused(staff, provider):
    busy = group_in_room(provider, room="7")
    ScheduleEntryFactory(group=busy, weekday=5, starts_at=dt.time(18), ends_at=dt.time(19))
    mover = group_in_room(provider, room="9")
    ScheduleEntryFactory(group=mover, weekday=5, starts_at=dt.time(18, 30), ends_at=dt.time(19, 30))
    with pytest.raises(Conflict) as exc:
        services.update_group(actor=staff, group=mover, room="7")
    assert (exc.value.code, set(exc.value.fields)) == ("schedule_clash", {"room"})
    mover.refresh_from_db()
    assert mover.room == "9"


def test_group_with_a_clashing_schedule_is_not_created_at_all(staff, provider):
    busy = group_in_room(provider)
    ScheduleEntryFactory(group=busy, weekday=2, starts_at=dt.time(16), ends_at=dt.time(17))
    module = busy.module
    with pytest.raises(Conflict) as exc:
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
                {"weekday": 1, "starts_at": dt.time(16), "ends_at": dt.time(17)},
                {"weekday": 2, "starts_at": dt.time(16), "ends_at": dt.time(17)},
            ],
        )
    assert set(exc.value.fields) == {"schedule.1.starts_at"}
    assert not Group.objects.filter(name="Новая").exists()
    assert ScheduleEntry.objects.count() == 1


def test_a_new_groups_own_lessons_overlapping_each_other_are_the_bodys_400(staff, provider):
    module = ModuleFactory(program=DraftProgramFactory(provider=provider))
    with pytest.raises(ValidationFailed) as exc:
        services.add_group(
            actor=staff,
            module=module,
            name="Новая",
            capacity=10,
            schedule=[
                {"weekday": 1, "starts_at": dt.time(16), "ends_at": dt.time(17)},
                {"weekday": 1, "starts_at": dt.time(16, 30), "ends_at": dt.time(17, 30)},
            ],
        )
    assert exc.value.code == "schedule_clash"
    message = exc.value.fields["schedule.1.starts_at"][0]
    assert message.startswith("Занятия этой группы пересекаются между собой")
    assert not Group.objects.filter(name="Новая").exists()


def test_capacity_below_the_seats_taken_is_the_groups_state(staff, provider):
    group = GroupFactory(module=ModuleFactory(program=DraftProgramFactory(provider=provider)))
    Group.objects.filter(pk=group.pk).update(capacity=10, seats_taken=4)
    with pytest.raises(Conflict) as exc:
        services.update_group(actor=staff, group=group, capacity=3)
    assert (exc.value.code, exc.value.fields) == (
        "seats_taken",
        {"capacity": ["В группе уже занято мест: 4. Мест не может быть меньше."]},
    )
    assert services.update_group(actor=staff, group=group, capacity=4).capacity == 4


def test_one_date_against_the_stored_other_is_a_conflict_both_sent_are_a_400(staff, provider):
    group = GroupFactory(
        module=ModuleFactory(program=DraftProgramFactory(provider=provider)),
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2027, 5, 31),
    )
    cases = [
        ({"ends_on": dt.date(2026, 8, 1)}, "ends_on", "Окончание занятий должно быть позже"),
        ({"starts_on": dt.date(2027, 6, 1)}, "ends_on", "Окончание занятий должно быть позже"),
        ({"starts_on": dt.date(2023, 1, 1)}, "ends_on", "Группа не может заниматься дольше"),
        ({"starts_on": None}, "starts_on", "Укажите обе даты"),
    ]
    for changes, field, message in cases:
        with pytest.raises(Conflict) as exc:
            services.update_group(actor=staff, group=group, **changes)
        assert exc.value.code == "conflicts_with_current", changes
        assert list(exc.value.fields) == [field], changes
        assert exc.value.fields[field][0].startswith(message), changes
    with pytest.raises(ValidationFailed) as exc:
        services.update_group(
            actor=staff, group=group, starts_on=dt.date(2027, 6, 1), ends_on=dt.date(2027, 1, 1)
        )
    assert exc.value.fields == {"ends_on": ["Окончание занятий должно быть позже начала."]}
    group.refresh_from_db()
    assert (group.starts_on, group.ends_on) == (dt.date(2026, 9, 1), dt.date(2027, 5, 31))


def test_lesson_must_end_after_it_starts(staff, provider):
    group = group_in_room(provider)
    with pytest.raises(ValidationFailed) as exc:
        services.add_schedule_entry(
            actor=staff, group=group, weekday=1, starts_at=dt.time(12), ends_at=dt.time(11)
        )
    assert exc.value.fields == {"ends_at": ["Занятие должно заканчиваться позже, чем начинается."]}


def test_overlapping_lessons_of_one_group_are_named_as_its_own(staff, provider):
    mine = group_in_room(provider)
    services.add_schedule_entry(
        actor=staff, group=mine, weekday=5, starts_at=dt.time(16), ends_at=dt.time(17)
    )
    with pytest.raises(ValidationFailed) as exc:
        services.add_schedule_entry(
            actor=staff, group=mine, weekday=5, starts_at=dt.time(16, 30), ends_at=dt.time(17, 30)
        )
    assert "Занятия этой группы пересекаются между собой" in exc.value.fields["starts_at"][0]
    assert mine.schedule.count() == 1


# Date ranges of a group (an open end reaches forever) and lesson times around 16:00–17:00.
DATE_RANGES = [
    (None, None),
    (dt.date(2026, 9, 1), dt.date(2026, 12, 31)),
    (dt.date(2027, 1, 1), dt.date(2027, 5, 31)),
    (dt.date(2026, 12, 31), None),
]
TIMES = [
    (dt.time(16), dt.time(17)),
    (dt.time(16, 30), dt.time(18)),
    (dt.time(17), dt.time(18)),  # touches the end: no clash
    (dt.time(10), dt.time(11)),
]


def test_the_room_query_agrees_with_the_pure_clash_rule(provider):
    """find_clash (SQL) finds the other lesson exactly when catalog/schedule.py says they clash."""
    other = group_in_room(provider, room="5")
    entry = ScheduleEntryFactory(group=other, weekday=3, starts_at=dt.time(16), ends_at=dt.time(17))
    parities = ScheduleEntry.Parity.values
    clashes = 0
    for (other_start, other_end), other_parity in product(DATE_RANGES, parities):
        Group.objects.filter(pk=other.pk).update(starts_on=other_start, ends_on=other_end)
        ScheduleEntry.objects.filter(pk=entry.pk).update(parity=other_parity)
        entry.refresh_from_db()
        for (start, end), parity, (starts_at, ends_at), weekday in product(
            DATE_RANGES, parities, TIMES, (3, 4)
        ):
            mine = Group(address=other.address, room=other.room, starts_on=start, ends_on=end)
            lesson = ScheduleEntry(
                weekday=weekday, parity=parity, starts_at=starts_at, ends_at=ends_at
            )
            expected = schedule.lessons_overlap(lesson, entry) and schedule.dates_overlap(
                start, end, other_start, other_end
            )
            found = services.find_clash(
                group=mine, weekday=weekday, starts_at=starts_at, ends_at=ends_at, parity=parity
            )
            assert (found == entry) == expected, (start, end, other_start, other_end, lesson)
            assert found in (None, entry)
            clashes += expected
    assert clashes > 0
