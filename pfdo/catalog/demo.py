"""Demo catalogue of Vorkuta: believable programmes over all six directions, created through
the services (normative costs, schedules without room clashes, certification, registries)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction

from pfdo.accounts.models import User
from pfdo.catalog import services
from pfdo.catalog.models import ASSESSMENT_CRITERIA, Program

T = dt.time


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
    lessons: list[tuple[int, T, T, str]] = field(default_factory=list)


DEMO_PROGRAMS: list[DemoProgram] = [
    DemoProgram(
        "Робототехника и конструирование",
        "technical",
        (7, 14),
        "Конструируем роботов LEGO Education и Arduino, учимся программировать их движения "
        "и датчики, готовимся к городским соревнованиям.",
        [DemoModule("Первый год: LEGO", 9, 72, "highest", 1.15), DemoModule("Arduino", 9, 108)],
        2,
        "certified",
        lessons=[(2, T(16), T(17, 30), "every"), (4, T(16), T(17, 30), "every")],
    ),
    DemoProgram(
        "Юный эколог Заполярья",
        "natural_science",
        (9, 13),
        "Наблюдаем за тундрой и городом, изучаем лишайники и птиц Заполярья, ведём "
        "экологический дневник и проводим опыты с водой и снегом.",
        [DemoModule("Экология тундры", 8, 64, "first", 0.9)],
        1,
        "certified",
        lessons=[(3, T(15), T(16, 30), "every")],
    ),
    DemoProgram(
        "Хоккей",
        "sports",
        (6, 12),
        "Катание, владение клюшкой, игра в команде. Занятия на крытом льду ледового дворца.",
        [DemoModule("Начальная подготовка", 9, 144, "highest", 1.0, 20)],
        3,
        "significant",
        lessons=[(1, T(17), T(18, 30), "every"), (5, T(17), T(18, 30), "every")],
    ),
    DemoProgram(
        "Художественная гимнастика",
        "sports",
        (5, 10),
        "Гибкость, координация и работа с предметами: скакалка, обруч, мяч, лента.",
        [DemoModule("Базовый курс", 9, 108, "first", 1.2, 12)],
        2,
        "certified",
        lessons=[(2, T(18), T(19, 30), "every"), (6, T(11), T(12, 30), "every")],
    ),
    DemoProgram(
        "Школа юного художника",
        "arts",
        (6, 14),
        "Рисунок, живопись и композиция: от первых акварелей до северного пейзажа.",
        [DemoModule("Рисунок и акварель", 9, 72, "first", 0.95), DemoModule("Живопись", 9, 72)],
        2,
        "certified",
        lessons=[(1, T(15), T(16, 30), "every"), (3, T(15), T(16, 30), "odd")],
    ),
    DemoProgram(
        "Вокальный ансамбль «Северяночка»",
        "arts",
        (7, 16),
        "Постановка голоса, многоголосие, концерты в городском Дворце культуры.",
        [DemoModule("Ансамбль", 9, 108, "highest", 1.0, 16)],
        1,
        "preprofessional",
        enrolment_open=False,
        lessons=[(2, T(17), T(18, 30), "every"), (5, T(16), T(17, 30), "every")],
    ),
    DemoProgram(
        "Туристы-краеведы Воркуты",
        "tourism",
        (10, 17),
        "История шахтёрского города, походы выходного дня, ориентирование и первая помощь.",
        [DemoModule("Краеведение и туризм", 9, 90, "first", 1.0)],
        2,
        "certified",
        lessons=[(4, T(17), T(18, 30), "every"), (6, T(10), T(13), "even")],
    ),
    DemoProgram(
        "Школа вожатых",
        "social",
        (14, 17),
        "Игры, работа с отрядом, проекты для младших школьников и летняя практика.",
        [DemoModule("Вожатское мастерство", 6, 48, "none", 1.0)],
        1,
        "other",
        lessons=[(3, T(17), T(18, 30), "every")],
    ),
    DemoProgram(
        "Шахматы",
        "social",
        (6, 15),
        "Правила, дебюты и эндшпиль, турниры внутри клуба и городские соревнования.",
        [DemoModule("Шахматы для начинающих", 9, 72, "first", 1.4)],
        2,
        "paid_only",
        lessons=[(1, T(16), T(17, 30), "every"), (4, T(16), T(17, 30), "every")],
    ),
    DemoProgram(
        "Программирование на Python",
        "technical",
        (11, 17),
        "Первые программы, игры на Pygame и телеграм-боты.",
        # A draft the provider is still filling in: no price and no groups yet.
        [DemoModule("Основы Python", 9, 72, "first", None)],
        0,
        "draft",
    ),
]


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
    if spec.registry == "draft":
        return program
    if spec.registry == "certified" and expert is not None:
        services.submit(actor=actor, program=program)
        services.assess(
            actor=expert,
            program=program,
            scores={code: 4 + (i + index) % 2 for i, (code, _) in enumerate(ASSESSMENT_CRITERIA)},
            conclusion="recommended",
            comment="Программа соответствует требованиям.",
        )
        services.certify(actor=actor, program=program)
    elif spec.registry == "paid_only":
        services.set_registries(actor=actor, program=program, paid_only=True)
    else:
        registry = "other" if spec.registry == "certified" else spec.registry
        services.set_registries(actor=actor, program=program, budget_registry=registry)
    program.refresh_from_db()
    if provider.status == "active":
        services.publish(actor=actor, program=program)
        if spec.enrolment_open:
            services.open_enrolment(actor=actor, program=program)
    program.refresh_from_db()
    return program
