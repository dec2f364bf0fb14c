"""Demo catalogue of Vorkuta: believable programmes over all six directions, created through
the services (normative costs, schedules without room clashes, certification, registries)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import transaction

from pfdo.accounts.models import User
from pfdo.catalog import services
from pfdo.catalog.models import ASSESSMENT_CRITERIA, Program
from pfdo.catalog.schedule import EVERY, lessons_overlap
from pfdo.demo import literals
from pfdo.demo import providers as providers_demo
from pfdo.demo.shares import proportional
from pfdo.providers.models import Provider


@dataclass(frozen=True)
class DemoModule:
    name: str
    months: int
    hours: int
    qualification: str = "first"
    # Price as a share of the normative cost: above 1 means a parents' co-payment.
    price_ratio: float | None = 1.0
    max_children: int = 15


@dataclass(frozen=True)
class DemoProgram:
    name: str
    direction: str
    ages: tuple[int, int]  # years, the upper one inclusive
    description: str
    modules: list[DemoModule]
    groups: int
    registry: str  # certified | significant | preprofessional | other | paid_only | draft
    enrolment_open: bool = True
    lessons: list[tuple[int, dt.time, dt.time, str]] = field(default_factory=list)


def _program(row: dict) -> DemoProgram:
    return DemoProgram(
        name=row["name"],
        direction=row["direction"],
        ages=tuple(row["ages"]),
        description=row["description"],
        modules=[DemoModule(**m) for m in row["modules"]],
        groups=row["groups"],
        registry=row["registry"],
        enrolment_open=row["enrolment_open"],
        lessons=[
            (weekday, literals.time(starts), literals.time(ends), parity)
            for weekday, starts, ends, parity in row["lessons"]
        ],
    )


_DATA = literals.load("catalog")
DEMO_PROGRAMS: list[DemoProgram] = [_program(row) for row in _DATA["programs"]]


def _expert() -> User | None:
    return (
        User.objects.filter(memberships__role="expert", memberships__is_active=True)
        .order_by("pk")
        .first()
    )


def _price(program: Program, module: DemoModule, period) -> int | None:
    if module.price_ratio is None:
        return None
    cost = services.preview_normative_cost(
        program=program,
        hours=module.hours,
        teacher_qualification=module.qualification,
        period=period,
    )
    base = cost.total_kopecks if cost else module.hours * 20_000
    # Prices are whole roubles rounded to 10 ₽, as providers set them.
    return round(base * module.price_ratio / 1000) * 1000


@transaction.atomic
def seed_catalog(*, providers, period, actor=None) -> list[Program]:
    """Create the demo programmes (skipping those already there) and return them all."""
    providers = list(providers)
    if not providers:
        return []
    expert = _expert()
    starts = period.starts_on if period else dt.date(2026, 9, 1)
    ends = min(period.ends_on, starts + dt.timedelta(days=272)) if period else dt.date(2027, 5, 31)
    out = []
    for index, spec in enumerate(DEMO_PROGRAMS):
        provider = providers[index % len(providers)]
        existing = Program.objects.filter(provider=provider, name=spec.name).first()
        if existing is not None:
            out.append(existing)
            continue
        out.append(_seed_program(spec, index, provider, period, starts, ends, actor, expert))
    return out


def _seed_program(spec, index, provider, period, starts, ends, actor, expert) -> Program:
    address = provider.actual_address or provider.legal_address
    program = services.create_program(
        actor=actor,
        provider=provider,
        name=spec.name,
        direction=spec.direction,
        age_from_months=spec.ages[0] * 12,
        age_to_months=spec.ages[1] * 12 + 11,
        description=spec.description,
        goals="Развить интерес и способности ребёнка, научить работать в команде.",
        expected_results="Ребёнок освоит базовые умения направления и покажет их на итоговом занятии.",
        address=address,
        district="Центральный",
        medical_certificate_required=spec.direction == "sports",
    )
    for position, module_spec in enumerate(spec.modules, start=1):
        module = services.add_module(
            actor=actor,
            program=program,
            name=module_spec.name,
            duration_months=module_spec.months,
            hours=module_spec.hours,
            min_children=5,
            max_children=module_spec.max_children,
            teacher_qualification=module_spec.qualification,
            price_kopecks=_price(program, module_spec, period),
            position=position,
        )
        if position > 1:
            continue  # groups of the first module; later modules follow next year
        for number in range(spec.groups):
            # One room per group: demo lessons never clash, even at one address.
            services.add_group(
                actor=actor,
                module=module,
                name=f"Группа {number + 1}",
                teacher_name=["Сидорова Е. В.", "Кузьмин А. П.", "Орлова Н. С."][number % 3],
                address=address,
                room=str(100 + index * 10 + number),
                starts_on=starts,
                ends_on=ends,
                capacity=module_spec.max_children,
                schedule=[
                    {"weekday": w, "starts_at": s, "ends_at": e, "parity": p}
                    for w, s, e, p in spec.lessons
                ],
            )
    return _place(
        program,
        registry=spec.registry,
        enrolment_open=spec.enrolment_open,
        actor=actor,
        expert=expert,
        score_seed=index,
    )


def _place(program, *, registry, enrolment_open, actor, expert, score_seed) -> Program:
    """Put a complete programme where the plan says: draft, waiting for the expert, certified
    (submit → assess → certify), paid-only or a budget registry; then publish it and open
    enrolment if its provider is in the registry. Without an expert, "certified" falls back
    to the "other" budget registry."""
    if registry == "draft":
        return program
    if registry in ("certified", "submitted") and expert is not None:
        services.submit(actor=actor, program=program)
        if registry == "submitted":
            return program  # waits for the expert
        services.assess(
            actor=expert,
            program=program,
            scores={
                code: 4 + (i + score_seed) % 2 for i, (code, _) in enumerate(ASSESSMENT_CRITERIA)
            },
            conclusion="recommended",
            comment="Программа соответствует требованиям.",
        )
        services.certify(actor=actor, program=program)
    elif registry == "paid_only":
        services.set_registries(actor=actor, program=program, paid_only=True)
    else:
        budget = registry if registry in ("significant", "preprofessional", "other") else "other"
        services.set_registries(actor=actor, program=program, budget_registry=budget)
    program.refresh_from_db()
    if program.provider.accepts_enrolments:
        services.publish(actor=actor, program=program)
        if enrolment_open:
            services.open_enrolment(actor=actor, program=program)
    program.refresh_from_db()
    return program


# ---------------------------------------------------------------- generated catalogue
#
# About 190 more programmes for the generated providers (pfdo/demo/providers.py), created
# through the same services as the hand-written ones. Titles come from what each provider
# teaches; the plan (titles, prices, registries, rooms and lesson times) is drawn from a
# fixed random seed before anything is written, so every run plans the same catalogue and a
# re-run skips what exists.

TEC, NAT, SPO, ART, TOU, SOC = (
    "technical",
    "natural_science",
    "sports",
    "arts",
    "tourism",
    "social",
)
# kind → (title, direction, age from, age to (years, inclusive), description)
PROGRAM_TITLES: dict[str, list[tuple[str, str, int, int, str]]] = {
    kind: [
        (t["name"], t["direction"], t["age_from"], t["age_to"], t["description"]) for t in titles
    ]
    for kind, titles in _DATA["titles"].items()
}
TEACHERS: list[str] = _DATA["teachers"]
_WEEK_PATTERNS = {
    1: [(1,), (2,), (3,), (4,), (5,), (6,)],
    2: [(1, 3), (2, 4), (3, 5), (1, 4), (2, 5), (2, 6), (4, 6)],
    3: [(1, 3, 5), (2, 4, 6), (1, 3, 6)],
}
_STARTS = [
    14 * 60 + 30,
    15 * 60,
    15 * 60 + 30,
    16 * 60,
    16 * 60 + 30,
    17 * 60,
    17 * 60 + 30,
    18 * 60,
    18 * 60 + 30,
    19 * 60,
]
_SATURDAY_STARTS = [10 * 60, 11 * 60, 12 * 60, 13 * 60, 14 * 60]
_HOURS = {
    SPO: [72, 108, 144, 216],
    ART: [72, 108, 144],
    TEC: [72, 108, 144],
    NAT: [36, 54, 72, 108],
    TOU: [72, 108, 144],
    SOC: [36, 54, 72, 108],
}
_GROUP_SIZE = {
    SPO: [15, 18, 20],
    ART: [8, 10, 12, 15],
    TEC: [8, 10, 12],
    NAT: [10, 12, 15],
    TOU: [12, 15],
    SOC: [8, 10, 12, 15],
}
_LEVELS = {1: Program.Level.STARTING, 2: Program.Level.BASIC, 3: Program.Level.ADVANCED}
_PUBLIC_SECTOR = ("municipal", "state")


@dataclass
class _GroupPlan:
    module: int  # index into the programme's modules
    teacher: str
    room: str
    starts_on: dt.date
    ends_on: dt.date
    lessons: list[tuple[int, dt.time, dt.time, str]]


@dataclass
class _ProgramPlan:
    provider: Provider
    name: str
    direction: str
    ages: tuple[int, int]
    description: str
    district: str
    level: str
    kind: str
    modules: list[DemoModule]
    registry: (
        str  # certified | significant | preprofessional | other | paid_only | submitted | draft
    )
    enrolment_open: bool
    staff: list[str]
    groups: list[_GroupPlan] = field(default_factory=list)


class _Slot(NamedTuple):
    """A weekly lesson being placed (minutes of the day): what catalog/schedule.py compares."""

    weekday: int
    parity: str
    starts_at: int
    ends_at: int


class _Rooms:
    """Lessons already placed at one provider: rooms and teachers are never double-booked,
    by the catalogue's own clash rule (lessons_overlap)."""

    def __init__(self, base: int):
        self.base = base
        self.rooms: list[str] = []
        self.busy: dict[str, list[_Slot]] = {}

    def _free(self, key: str, weekdays, start: int, end: int) -> bool:
        return not any(
            lessons_overlap(taken, _Slot(day, EVERY, start, end))
            for taken in self.busy.get(key, ())
            for day in weekdays
        )

    def _take(self, key: str, weekdays, start: int, end: int) -> None:
        self.busy.setdefault(key, []).extend(_Slot(w, EVERY, start, end) for w in weekdays)

    def place(self, rng, weekdays, minutes: int, teacher: str, latest: int) -> tuple[str, int]:
        starts = _SATURDAY_STARTS if weekdays == (6,) else _STARTS
        starts = rng.sample(
            [s for s in starts if s <= latest], len([s for s in starts if s <= latest])
        )
        for need_teacher in (True, False):
            for start in starts:
                end = start + minutes
                if need_teacher and not self._free("t:" + teacher, weekdays, start, end):
                    continue
                for room in self.rooms:
                    if self._free(room, weekdays, start, end):
                        self._take(room, weekdays, start, end)
                        self._take("t:" + teacher, weekdays, start, end)
                        return room, start
        room = str(self.base + len(self.rooms))
        self.rooms.append(room)
        self._take(room, weekdays, starts[0], starts[0] + minutes)
        self._take("t:" + teacher, weekdays, starts[0], starts[0] + minutes)
        return room, starts[0]


def _registry(rng, legal_form: str, direction: str) -> str:
    roll = rng.random()
    if roll < 0.03:
        return "draft"
    if roll < 0.06:
        return "submitted"
    if legal_form in _PUBLIC_SECTOR and roll < 0.20:
        if direction == ART:
            return rng.choice(["preprofessional", "preprofessional", "significant"])
        return rng.choice(["significant", "significant", "other"])
    if legal_form not in _PUBLIC_SECTOR and roll < 0.20:
        return "paid_only"
    return "certified"


def _price_ratio(rng, registry: str, legal_form: str) -> float:
    if registry == "paid_only":
        return rng.choice([1.2, 1.3, 1.5, 1.6, 1.8])
    if registry in ("significant", "preprofessional", "other"):
        return 1.0
    # About a third of certified programmes cost more than the certificate covers.
    copay = 0.5 if legal_form in ("company", "ip") else 0.2
    if rng.random() < copay:
        return rng.choice([1.1, 1.15, 1.2, 1.3, 1.5])
    return rng.choice([1.0, 1.0, 1.0, 0.95, 0.9])


def _plan_catalog(providers, period, programs: int, groups: int, rng) -> list[_ProgramPlan]:
    specs = providers_demo.generated_kinds()
    known = [(p, specs[p.inn]) for p in providers if p.inn in specs]
    if not known:
        return []
    starts = period.starts_on if period else dt.date(2026, 9, 1)
    ends = min(period.ends_on, starts + dt.timedelta(days=272)) if period else dt.date(2027, 5, 31)
    plans: list[_ProgramPlan] = []
    per_provider = proportional(programs, [spec.weight for _, spec in known])
    for (provider, spec), count in zip(known, per_provider, strict=True):
        pool = PROGRAM_TITLES[spec.kind]
        titles = rng.sample(pool, min(count, len(pool)))
        # A provider with more programmes than titles runs a second-year course of some.
        titles += [
            (f"{t[0]}: второй год обучения", t[1], t[2] + 1, t[3], t[4])
            for t in rng.sample(pool, count - len(titles))
        ]
        staff = rng.sample(TEACHERS, max(2, (count + 1) // 2))
        if spec.legal_form == "ip":
            last, first, patronymic = spec.director.split()
            staff = [f"{last} {first[0]}. {patronymic[0]}."]
        for number, (title, direction, age_from, age_to, text) in enumerate(titles):
            registry = _registry(rng, spec.legal_form, direction)
            hours = rng.choice(_HOURS[direction])
            size = rng.choice(_GROUP_SIZE[direction])
            qualification = rng.choice(["highest", "first", "first", "none"])
            ratio = None if registry == "draft" else _price_ratio(rng, registry, spec.legal_form)
            modules = [
                DemoModule(
                    "Первый год обучения" if hours > 54 else "Основной курс",
                    9 if hours > 54 else 5,
                    hours,
                    qualification,
                    ratio,
                    size,
                )
            ]
            if hours > 54 and rng.random() < 0.3:
                modules.append(
                    DemoModule("Второй год обучения", 9, hours, qualification, ratio, size)
                )
            level = 2 if "второй год" in title else rng.choice([1, 1, 2, 3])
            plans.append(
                _ProgramPlan(
                    provider=provider,
                    name=title,
                    direction=direction,
                    ages=(age_from, max(age_from, age_to)),
                    description=f"{text} Для детей {age_from}–{age_to} лет.",
                    district=spec.district,
                    level=_LEVELS[level],
                    kind=(
                        Program.Kind.PREPROFESSIONAL
                        if registry == "preprofessional"
                        else Program.Kind.GENERAL
                    ),
                    modules=modules,
                    registry=registry,
                    enrolment_open=rng.random() < 0.93,
                    staff=staff,
                )
            )
            plans[-1].groups = [_GroupPlan(0, staff[number % len(staff)], "", starts, ends, [])]
    # Groups: one per programme, the rest spread at random (sports and big schools get more).
    for plan in plans:
        if plan.registry == "draft":
            plan.groups = []
    extra = groups - sum(len(p.groups) for p in plans)
    candidates = [p for p in plans if p.registry != "draft"]
    for _ in range(max(0, extra)):
        plan = rng.choice(candidates)
        if len(plan.groups) >= 4:
            plan = min(candidates, key=lambda p: len(p.groups))
        first = plan.groups[0]
        module = len(plan.groups) % len(plan.modules) if rng.random() < 0.4 else 0
        teacher = first.teacher if rng.random() < 0.6 else rng.choice(plan.staff)
        plan.groups.append(_GroupPlan(module, teacher, "", starts, ends, []))
    # Lessons: rooms of each provider are shared by its groups at different times.
    rooms: dict[int, _Rooms] = {}
    for plan in plans:
        place = rooms.setdefault(plan.provider.pk, _Rooms(base=rng.choice([1, 11, 101])))
        for group in plan.groups:
            hours = plan.modules[group.module].hours
            per_week = 1 if hours <= 54 else 2 if hours <= 108 else 3
            minutes = rng.choice([45, 60, 90]) if per_week > 1 else rng.choice([90, 120])
            weekdays = rng.choice(_WEEK_PATTERNS[per_week])
            # The youngest go home early; teenagers may stay till evening.
            latest = 17 * 60 if plan.ages[0] <= 7 else 19 * 60
            room, start = place.place(rng, weekdays, minutes, group.teacher, latest)
            group.room = room
            parity = "even" if plan.direction == TOU and weekdays[-1] == 6 else "every"
            group.lessons = [
                (w, _clock(start), _clock(start + minutes), parity if w == 6 else "every")
                for w in weekdays
            ]
            if rng.random() < 0.15:
                group.starts_on = starts + dt.timedelta(days=rng.choice([14, 30]))
            if plan.modules[group.module].months <= 5:  # a half-year course
                group.ends_on = group.starts_on + dt.timedelta(days=150)
    return plans


def _generated_price(program: Program, module: DemoModule, period) -> int | None:
    """Like `_price`, but never a few roubles above the normative cost by rounding: a price
    at or below it is rounded down, so only the planned co-payments show as co-payments."""
    if module.price_ratio is None or module.price_ratio > 1:
        return _price(program, module, period)
    cost = services.preview_normative_cost(
        program=program,
        hours=module.hours,
        teacher_qualification=module.qualification,
        period=period,
    )
    base = cost.total_kopecks if cost else module.hours * 20_000
    return base * round(module.price_ratio * 100) // 100 // 1000 * 1000  # whole 10 ₽


def _clock(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


@transaction.atomic
def seed_generated_catalog(
    *, providers, period, programs: int = 190, groups: int = 384, actor=None, rng_seed: int = 2026
) -> list[Program]:
    """About `programs` programmes with `groups` groups for the generated providers
    (pfdo/demo/providers.py), created through the services. A re-run creates nothing."""
    providers = list(providers)
    plans = _plan_catalog(providers, period, programs, groups, random.Random(rng_seed))
    existing = {
        (p.provider_id, p.name): p
        for p in Program.objects.filter(provider__in=[p.provider for p in plans])
    }
    expert = _expert()
    out = []
    for plan in plans:
        program = existing.get((plan.provider.pk, plan.name))
        if program is None:
            program = _seed_generated_program(plan, period, actor, expert)
        out.append(program)
    return out


def _seed_generated_program(plan: _ProgramPlan, period, actor, expert) -> Program:
    provider = plan.provider
    address = provider.actual_address or provider.legal_address
    program = services.create_program(
        actor=actor,
        provider=provider,
        name=plan.name,
        direction=plan.direction,
        kind=plan.kind,
        level=plan.level,
        age_from_months=plan.ages[0] * 12,
        age_to_months=plan.ages[1] * 12 + 11,
        description=plan.description,
        goals="Развить интерес и способности ребёнка, научить работать в команде.",
        expected_results="Ребёнок освоит умения направления и покажет их на итоговом занятии.",
        address=address,
        district=plan.district,
        medical_certificate_required=plan.direction == SPO,
    )
    modules = [
        services.add_module(
            actor=actor,
            program=program,
            name=spec.name,
            duration_months=spec.months,
            hours=spec.hours,
            min_children=min(5, spec.max_children),
            max_children=spec.max_children,
            teacher_qualification=spec.qualification,
            price_kopecks=_generated_price(program, spec, period),
            position=position,
        )
        for position, spec in enumerate(plan.modules, start=1)
    ]
    for number, group in enumerate(plan.groups, start=1):
        services.add_group(
            actor=actor,
            module=modules[group.module],
            name=f"Группа {number}",
            teacher_name=group.teacher,
            address=address,
            room=group.room,
            starts_on=group.starts_on,
            ends_on=group.ends_on,
            capacity=plan.modules[group.module].max_children,
            schedule=[
                {"weekday": w, "starts_at": s, "ends_at": e, "parity": p}
                for w, s, e, p in group.lessons
            ],
        )
    return _place(
        program,
        registry=plan.registry,
        enrolment_open=plan.enrolment_open,
        actor=actor,
        expert=expert,
        score_seed=program.pk,
    )
