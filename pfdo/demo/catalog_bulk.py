"""Region-scale demo catalogue for benchmarks (`seed_demo --scale region`), written in bulk.

The sizes default to one real region's catalogue (domain.md §8: Murmansk). Rows are built
municipality by municipality and written with `bulk_create` in batches, so memory holds one
municipality's rows at a time; services (audit, history, completeness checks) are skipped on
purpose — this is generated data for measuring reads, not a record of anyone's actions.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction

from pfdo.catalog.models import RATING_MIN_COUNT, Group, Module, Program, ScheduleEntry
from pfdo.common import clock
from pfdo.common.choices import Direction, LegalForm, StudyForm, TeacherQualification
from pfdo.demo import literals
from pfdo.demo.identifiers import inn10, inn12, ogrn13, ogrnip15
from pfdo.demo.shares import proportional
from pfdo.financing import normative
from pfdo.financing.models import FinancingPeriod, NominalCategory
from pfdo.providers.models import Provider

BATCH = 2000
# Providers of the bulk catalogue are recognised by this e-mail domain (idempotency).
MARKER_DOMAIN = "region-demo.pfdo.example"


@dataclass
class BulkReport:
    skipped: bool = False
    periods: int = 0
    providers: int = 0
    programs: int = 0
    modules: int = 0
    groups: int = 0
    schedule_entries: int = 0


# --- vocabulary -----------------------------------------------------------------------------

_DATA = literals.load("catalog_bulk")
# direction → (title, description)
TITLES: dict[str, list[tuple[str, str]]] = {
    direction: [tuple(t) for t in titles] for direction, titles in _DATA["titles"].items()
}
LEVEL_SUFFIX: list[str] = _DATA["level_suffix"]
DIRECTION_WEIGHTS: dict[str, int] = _DATA["direction_weights"]
STREETS: list[str] = _DATA["streets"]
DISTRICTS: list[str] = _DATA["districts"]
VORKUTA_DISTRICTS: list[str] = _DATA["vorkuta_districts"]
TEACHER_NAMES: list[str] = _DATA["teacher_names"]
# legal form, full-name pattern, short-name pattern, weight
PROVIDER_KINDS: list[tuple[str, str, str, int]] = [
    (k["legal_form"], k["full_name"], k["short_name"], k["weight"]) for k in _DATA["provider_kinds"]
]
# Relative size of the municipalities' catalogues (by population; unknown codes weigh 1).
MUNICIPALITY_WEIGHTS: dict[str, int] = _DATA["municipality_weights"]


def _spread(
    total: int, buckets: int, rng: random.Random, *, minimum: int = 0, cap=None
) -> list[int]:
    """`total` split over `buckets`: each at least `minimum` (at most `cap`), the rest random."""
    counts = [minimum] * buckets
    rest = total - minimum * buckets
    if rest < 0:
        raise ValueError("total below the minimum per bucket")
    open_buckets = list(range(buckets))
    while rest > 0 and open_buckets:
        i = rng.choice(open_buckets)
        counts[i] += 1
        rest -= 1
        if cap is not None and counts[i] >= cap:
            open_buckets.remove(i)
    if rest:
        raise ValueError("total above the capacity of the buckets")
    return counts


def _ensure_period(municipality, today: dt.date) -> FinancingPeriod:
    """The approved period running today, created (with a nominal) when missing."""
    period = (
        FinancingPeriod.objects.filter(
            municipality=municipality, status=FinancingPeriod.Status.APPROVED
        )
        .covering(today)
        .first()
    )
    if period:
        return period
    start_year = today.year if today.month >= 9 else today.year - 1
    north = municipality.code in {"vorkuta", "inta", "usinsk", "pechora", "vuktyl"}
    period = FinancingPeriod.objects.create(
        municipality=municipality,
        name=f"ПФДО {start_year}/{str(start_year + 1)[-2:]}",
        starts_on=dt.date(start_year, 9, 1),
        ends_on=dt.date(start_year + 1, 8, 31),
        # Written approved, the state financing's approval leaves it in (bulk data for
        # benchmarks: no one's action to record).
        status=FinancingPeriod.Status.APPROVED,
        certificate_quota=2000,
        budget_kopecks=2000 * 2_417_100,
        base_technical_kopecks=15_000,
        base_natural_science_kopecks=14_000,
        base_sports_kopecks=12_000,
        base_arts_kopecks=13_000,
        base_tourism_kopecks=12_500,
        base_social_kopecks=11_000,
        k_north="1.800" if north else "1.500",
    )
    NominalCategory.objects.create(
        period=period, name="Дети 5–18 лет", nominal_kopecks=2_417_100 if north else 1_500_000
    )
    return period


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def seed_region_catalog(
    *,
    region,
    providers: int = 358,
    programs: int = 5614,
    modules: int = 10955,
    groups: int = 7285,
    schedule_entries: int = 22919,
    rng_seed: int = 2026,
) -> BulkReport:
    """Seed a published, mostly certified catalogue over the region's municipalities.

    Idempotent: when bulk providers already exist in the region, nothing is written.
    """
    if not (providers <= programs <= modules and programs <= groups <= schedule_entries):
        raise ValueError("need providers ≤ programs ≤ modules, programs ≤ groups ≤ entries")
    if schedule_entries > groups * 7:
        raise ValueError("at most seven lesson days per group")
    report = BulkReport()
    if Provider.objects.filter(
        municipality__region=region, email__endswith="@" + MARKER_DOMAIN
    ).exists():
        report.skipped = True
        return report
    municipalities = list(region.municipalities.filter(is_active=True).order_by("number"))
    if not municipalities:
        raise ValueError(f"region {region} has no active municipalities")
    rng = random.Random(rng_seed)
    weights = [MUNICIPALITY_WEIGHTS.get(m.code, 1) for m in municipalities]
    # Every municipality gets at least one provider; the rest follow population.
    per_muni_providers = [1 + c for c in proportional(providers - len(municipalities), weights)]
    # Programmes, modules, groups and lessons follow the providers of each municipality.
    per_muni_programs = proportional(programs, per_muni_providers)
    per_muni_modules = proportional(modules, per_muni_programs)
    per_muni_groups = proportional(groups, per_muni_programs)
    per_muni_entries = proportional(schedule_entries, per_muni_groups)
    today = clock.today()
    now = clock.now()
    serial = 0
    with transaction.atomic():
        for index, municipality in enumerate(municipalities):
            period = _ensure_period(municipality, today)
            report.periods += 1
            serial = _seed_municipality(
                municipality,
                period,
                rng,
                now=now,
                serial=serial,
                providers=per_muni_providers[index],
                programs=per_muni_programs[index],
                modules=per_muni_modules[index],
                groups=per_muni_groups[index],
                entries=per_muni_entries[index],
                report=report,
            )
    return report


def _make_providers(municipality, rng, *, count: int, serial: int) -> list[Provider]:
    kinds = PROVIDER_KINDS
    weights = [k[3] for k in kinds]
    rows = []
    for i in range(count):
        n = serial + i + 1
        legal_form, full, short, _ = rng.choices(kinds, weights=weights)[0]
        teacher = rng.choice(TEACHER_NAMES)
        surname, name, patronymic = teacher.split()
        is_ip = legal_form == LegalForm.IP
        street = rng.choice(STREETS)
        address = f"Республика Коми, {municipality.name}, {street}, д. {rng.randint(1, 60)}"
        rows.append(
            Provider(
                municipality=municipality,
                full_name=full.format(n=n, teacher=teacher),
                short_name=short.format(n=n, short=f"{surname} {name[0]}. {patronymic[0]}."),
                legal_form=legal_form,
                inn=inn12(500_000 + n) if is_ip else inn10(500_000 + n),
                kpp="" if is_ip else f"11{n % 100:02d}01001",
                ogrn=ogrnip15(500_000 + n) if is_ip else ogrn13(500_000 + n),
                licence_number="" if is_ip else f"Л035-01{n:05d}",
                licence_issued_on=None if is_ip else dt.date(2016 + n % 8, 1 + n % 12, 1 + n % 28),
                licence_exempt=is_ip,
                legal_address=address,
                actual_address=address,
                phone=f"+7 8212 {n % 100:02d}-{(n * 7) % 100:02d}-{(n * 13) % 100:02d}",
                email=f"org{n}@{MARKER_DOMAIN}",
                # Included in the registry: the state the providers' inclusion leaves.
                status=Provider.Status.ACTIVE,
                included_at=clock.now(),
            )
        )
    return Provider.objects.bulk_create(rows, batch_size=BATCH)


def _seed_municipality(
    municipality,
    period,
    rng: random.Random,
    *,
    now,
    serial: int,
    providers: int,
    programs: int,
    modules: int,
    groups: int,
    entries: int,
    report: BulkReport,
) -> int:
    provider_rows = _make_providers(municipality, rng, count=providers, serial=serial)
    report.providers += len(provider_rows)
    districts = VORKUTA_DISTRICTS if municipality.code == "vorkuta" else DISTRICTS
    directions = list(DIRECTION_WEIGHTS)
    direction_weights = list(DIRECTION_WEIGHTS.values())

    # Programmes: each provider gets at least one.
    per_provider = _spread(programs, len(provider_rows), rng, minimum=1)
    program_rows = []
    for provider, count in zip(provider_rows, per_provider, strict=True):
        for _ in range(count):
            direction = rng.choices(directions, weights=direction_weights)[0]
            title, description = rng.choice(TITLES[direction])
            age_from = rng.choice([5, 5, 6, 7, 7, 8, 10, 12])
            age_to = min(18, age_from + rng.choice([3, 4, 6, 8, 10, 11]))
            roll = rng.random()
            certified = roll < 0.82
            budget = Program.BudgetRegistry.NONE
            paid_only = False
            if 0.82 <= roll < 0.92:
                budget = rng.choice(
                    [
                        Program.BudgetRegistry.SIGNIFICANT,
                        Program.BudgetRegistry.PREPROFESSIONAL,
                        Program.BudgetRegistry.OTHER,
                    ]
                )
            elif roll >= 0.92:
                paid_only = True
            street = rng.choice(STREETS)
            program_rows.append(
                Program(
                    provider=provider,
                    municipality=municipality,
                    name=f"{title}{rng.choice(LEVEL_SUFFIX)}",
                    direction=direction,
                    kind=Program.Kind.GENERAL,
                    level=rng.choice(list(Program.Level.values)),
                    form=StudyForm.FULL_TIME,
                    age_from_months=age_from * 12,
                    age_to_months=age_to * 12,
                    description=(
                        f"{description} Программа для детей {age_from}–{age_to} лет, "
                        f"{municipality.name}. Занятия ведут опытные педагоги."
                    ),
                    goals="Развитие интереса и способностей ребёнка.",
                    expected_results="Ребёнок освоит базовые умения и представит свою работу.",
                    address=f"{municipality.name}, {street}, д. {rng.randint(1, 60)}",
                    district=rng.choice(districts),
                    medical_certificate_required=direction == Direction.SPORTS,
                    # Certified as the catalogue's certification would leave it.
                    certification_status=(
                        Program.Certification.CERTIFIED
                        if certified
                        else Program.Certification.DRAFT
                    ),
                    budget_registry=budget,
                    paid_only=paid_only,
                    is_published=True,
                    enrolment_open=rng.random() < 0.9,
                    published_at=now - dt.timedelta(days=rng.randint(0, 700)),
                    rating_avg=f"{rng.uniform(3.5, 5):.2f}" if rng.random() < 0.4 else None,
                    rating_count=0,
                    created_at=now,
                    updated_at=now,
                )
            )
            if program_rows[-1].rating_avg is not None:
                # An average is shown from RATING_MIN_COUNT ratings on (same draws as before).
                program_rows[-1].rating_count = max(RATING_MIN_COUNT, rng.randint(1, 60))
    Program.objects.bulk_create(program_rows, batch_size=BATCH)
    report.programs += len(program_rows)

    # Modules: at least one per programme; prices around the normative cost.
    per_program = _spread(modules, len(program_rows), rng, minimum=1, cap=4)
    module_rows = []
    for program, count in zip(program_rows, per_program, strict=True):
        qualification = rng.choice(list(TeacherQualification.values))
        for position in range(1, count + 1):
            hours = rng.choice([36, 54, 72, 108, 144])
            cost = normative.compute(
                period,
                direction=program.direction,
                hours=hours,
                form=program.form,
                legal_form=program.provider.legal_form,
                qualification=qualification,
            )
            roll = rng.random()
            if program.budget_registry != Program.BudgetRegistry.NONE or roll < 0.06:
                price = 0
            elif roll < 0.72:
                price = cost.total_kopecks * rng.randint(70, 100) // 100 // 100 * 100
            else:
                price = cost.total_kopecks * rng.randint(105, 160) // 100 // 100 * 100
            module_rows.append(
                Module(
                    program=program,
                    name=f"Модуль {position}" if count > 1 else "Основной модуль",
                    position=position,
                    duration_months=max(1, hours // 16),
                    hours=hours,
                    min_children=5,
                    max_children=rng.choice([10, 12, 15, 20]),
                    teacher_qualification=qualification,
                    price_kopecks=price,
                    normative_cost_kopecks=cost.total_kopecks,
                    normative_breakdown=cost.as_dict(),
                    normative_period=period,
                )
            )
    Module.objects.bulk_create(module_rows, batch_size=BATCH)
    report.modules += len(module_rows)

    # Groups: every programme's first module has one; the rest go to random modules.
    first_modules = [m for m in module_rows if m.position == 1]
    extra = rng.choices(module_rows, k=groups - len(first_modules))
    group_rows = []
    for number, module in enumerate(first_modules + extra, start=1):
        capacity = module.max_children
        taken = capacity if rng.random() < 0.2 else rng.randint(0, capacity - 1)
        starts = period.starts_on + dt.timedelta(days=rng.choice([0, 0, 7, 14, 30]))
        group_rows.append(
            Group(
                module=module,
                name=f"Группа {number}",
                teacher_name=rng.choice(TEACHER_NAMES),
                address=module.program.address,
                room=str(rng.randint(1, 40)),
                starts_on=starts,
                ends_on=period.ends_on - dt.timedelta(days=rng.choice([0, 62, 92])),
                capacity=capacity,
                seats_taken=taken,
                enrolment_open=rng.random() < 0.9,
            )
        )
    Group.objects.bulk_create(group_rows, batch_size=BATCH)
    report.groups += len(group_rows)

    # Lessons: one to seven distinct weekdays per group.
    per_group = _spread(entries, len(group_rows), rng, minimum=1, cap=7)
    entry_rows = []
    for group, count in zip(group_rows, per_group, strict=True):
        start = rng.choice([9 * 60, 10 * 60, 14 * 60, 15 * 60, 16 * 60, 17 * 60, 18 * 60])
        length = rng.choice([45, 60, 90])
        for weekday in sorted(rng.sample(range(1, 8), count)):
            entry_rows.append(
                ScheduleEntry(
                    group=group,
                    weekday=weekday,
                    starts_at=_time(start),
                    ends_at=_time(start + length),
                    parity=ScheduleEntry.Parity.EVERY,
                )
            )
        if len(entry_rows) >= BATCH:
            ScheduleEntry.objects.bulk_create(entry_rows, batch_size=BATCH)
            report.schedule_entries += len(entry_rows)
            entry_rows = []
    ScheduleEntry.objects.bulk_create(entry_rows, batch_size=BATCH)
    report.schedule_entries += len(entry_rows)
    return serial + len(provider_rows)
