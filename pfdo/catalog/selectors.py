"""Read use-cases of the public catalogue: the card list and the programme page."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BigIntegerField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Least

from pfdo.catalog.models import Group, Module, Program, ScheduleEntry
from pfdo.catalog.querysets import PUBLIC_PROVIDER_STATUSES
from pfdo.certificates.selectors import Coverage, coverage
from pfdo.common import clock
from pfdo.common.ages import age_range_years
from pfdo.common.ages import years_word as _years_word
from pfdo.common.hooks import Hook
from pfdo.financing.models import NominalCategory
from pfdo.providers.models import Provider

WEEKDAY_SHORT = {1: "пн", 2: "вт", 3: "ср", 4: "чт", 5: "пт", 6: "сб", 7: "вс"}


def _module_aggregate(expression, *, name: str) -> Subquery:
    """A per-programme aggregate over its priced modules, as a correlated subquery.

    Subqueries instead of JOIN + GROUP BY keep one row per programme for counts and slices.
    """
    return Subquery(
        Module.objects.filter(program=OuterRef("pk"), price_kopecks__isnull=False)
        .order_by()
        .values("program")
        .annotate(**{name: expression})
        .values(name)[:1]
    )


def with_min_price(queryset: QuerySet) -> QuerySet:
    if "min_price_kopecks" in queryset.query.annotations:
        return queryset
    return queryset.annotate(
        min_price_kopecks=_module_aggregate(Min("price_kopecks"), name="value")
    )


def with_ready_group(queryset: QuerySet) -> QuerySet:
    """Annotate `has_ready_group`: a group with dates and a schedule (publication needs one)."""
    return queryset.annotate(
        has_ready_group=Exists(
            Group.objects.filter(
                module__program=OuterRef("pk"),
                starts_on__isnull=False,
                ends_on__isnull=False,
                schedule__isnull=False,
            )
        )
    )


def nominal_cap(municipality_ref: str) -> Subquery:
    """The largest general nominal (not an ОВЗ-only category) of the approved period running
    today in the municipality at `municipality_ref` (an OuterRef path): more than that a child's
    certificate does not pay for a module, whatever its price and normative cost — on the safe
    side for a child with ОВЗ, whose larger nominal the parent's own figures show. NULL when no
    period runs."""
    today = clock.today()
    return Subquery(
        NominalCategory.objects.filter(
            disability_only=False,
            period__municipality=OuterRef(municipality_ref),
            period__status="approved",
            period__starts_on__lte=today,
            period__ends_on__gte=today,
        )
        .order_by()
        .values("period__municipality")
        .annotate(value=Max("nominal_kopecks"))
        .values("value")[:1],
        output_field=BigIntegerField(),
    )


def certificate_part(municipality_ref: str = "program__municipality"):
    """What a certificate pays at most for a module: min(price, normative cost, the nominal);
    with no period running the nominal is unknown and the normative cost is the limit."""
    return Least(
        F("price_kopecks"),
        F("normative_cost_kopecks"),
        Coalesce(nominal_cap(municipality_ref), F("normative_cost_kopecks")),
        output_field=BigIntegerField(),
    )


def with_card_data(queryset: QuerySet) -> QuerySet:
    """Annotate what a catalogue card shows: price range, smallest co-payment, free places.

    `min_copayment_kopecks` is the smallest `price − min(price, normative, nominal)` over the
    modules: 0 means a certificate with its whole nominal left could pay some module in full;
    None, that no module has both a price and a normative cost (nothing can be promised yet).
    """
    copayment = Greatest(F("price_kopecks") - certificate_part(), Value(0))
    free_places = Subquery(
        Group.objects.filter(module__program=OuterRef("pk"), enrolment_open=True)
        .order_by()
        .values("module__program")
        .annotate(value=Sum(F("capacity") - F("seats_taken")))
        .values("value")[:1],
        output_field=IntegerField(),
    )
    return with_min_price(queryset).annotate(
        max_price_kopecks=_module_aggregate(Max("price_kopecks"), name="value"),
        min_copayment_kopecks=_module_aggregate(Min(copayment), name="value"),
        free_places_total=Coalesce(free_places, Value(0)),
    )


def catalog_programs(user) -> QuerySet[Program]:
    """Published programmes `user` may see (anonymous: of registry providers), card-ready."""
    # for_user() may need DISTINCT (its joins through staff multiply rows); DISTINCT over the
    # card columns would compute every card's subqueries for every match before LIMIT, so
    # the scope is applied as EXISTS (where PostgreSQL drops the DISTINCT) and the outer
    # query needs none.
    visible = Program.objects.for_user(user).published().filter(pk=OuterRef("pk"))
    return with_card_data(
        Program.objects.filter(Exists(visible))
        .select_related("provider", "municipality")
        .order_by("name", "id")
    )


def attach_card_extras(programs: Iterable[Program]) -> list[Program]:
    """Lesson days ("вт, чт") and age in years of a page of cards: one query for the page."""
    programs = list(programs)
    days: dict[int, set[int]] = defaultdict(set)
    rows = (
        ScheduleEntry.objects.filter(group__module__program__in=[p.pk for p in programs])
        .order_by()
        .values_list("group__module__program_id", "weekday")
        .distinct()
    )
    for program_id, weekday in rows:
        days[program_id].add(weekday)
    for program in programs:
        program.lesson_days = [WEEKDAY_SHORT[d] for d in sorted(days[program.pk])]
        program.age_years = age_range_years(program.age_from_months, program.age_to_months)
    return programs


def program_detail_queryset(user) -> QuerySet[Program]:
    """Programmes `user` may open, with modules → groups → lessons prefetched (4 queries)."""
    groups = Group.objects.order_by("starts_on", "name", "id").prefetch_related(
        Prefetch("schedule", queryset=ScheduleEntry.objects.order_by("weekday", "starts_at"))
    )
    modules = Module.objects.order_by("position", "id").prefetch_related(
        Prefetch("groups", queryset=groups)
    )
    return (
        Program.objects.for_user(user)
        .select_related("provider", "municipality")
        .prefetch_related(Prefetch("modules", queryset=modules))
    )


def is_public(program: Program) -> bool:
    """Whether anonymous visitors see it (its staff and officials may open it before that)."""
    return (
        program.is_published
        and program.archived_at is None
        and program.provider.status in PUBLIC_PROVIDER_STATUSES
    )


def current_nominals(user, municipality) -> list[NominalCategory]:
    """Nominals of the municipality's approved financing period running today."""
    today = clock.today()
    return list(
        NominalCategory.objects.for_user(user)
        .filter(
            period__municipality=municipality,
            period__status="approved",
            period__starts_on__lte=today,
            period__ends_on__gte=today,
        )
        .select_related("period")
        .order_by("age_from_months", "disability_only", "pk")
    )


def attach_certificate_limits(program: Program, nominals: list[NominalCategory]) -> None:
    """Give each module `certificate_max_kopecks` — what a certificate pays at most:
    min(price, normative cost, the largest general nominal of the period running) — and
    `min_copay_kopecks`, the co-payment at least; None while price or normative is unknown.
    A child's own balance may lower it (the parent's page shows that per child)."""
    general = [n for n in nominals if not n.disability_only] or nominals
    cap = max((n.nominal_kopecks for n in general), default=None)
    for module in program.modules.all():
        covers = module.certificate_covers_kopecks
        if covers is not None and cap is not None:
            covers = min(covers, cap)
        module.certificate_max_kopecks = covers
        module.min_copay_kopecks = None if covers is None else module.price_kopecks - covers


# ---------------------------------------------------- what a parent's certificates cover

family_group_terms = Hook(
    "catalog.family_group_terms",
    """The terms a contract in each group of a programme would have today for each of the
    family's financing certificates — the same computation the enrolment's terms page and the
    contract use, so the programme page shows the same figures. Called with `program` (modules
    and groups prefetched) and `certificates`; a handler answers a dict
    {(group_id, certificate_id): (terms, refusal)}: terms with `starts_on`, `ends_on`,
    `months`, `price_kopecks`, `certificate_kopecks`, `copay_kopecks`, `remaining_kopecks`, or
    the refusal's message.""",
)


@dataclass(frozen=True)
class GroupTerms:
    """A contract in `group` for the child today: `terms`, or why there can be none."""

    group: Any
    terms: Any = None
    refusal: str = ""


@dataclass(frozen=True)
class ChildCoverage:
    """What one child's live certificate does for one module, in plain terms.

    `kind`: "money" (a financing certificate pays `coverage`), "free" (budget-funded),
    "needs_financing" (an accounting certificate, a certified programme), "unknown" (no price
    or normative cost yet), "not_payable" (no registry the certificate serves), "suspended".
    """

    child: Any
    certificate: Any
    kind: str
    coverage: Coverage | None = None
    age_fits: bool = True
    age_text: str = ""
    other_municipality: bool = False
    note: str = ""
    groups: tuple[GroupTerms, ...] = ()


def _age_fits(program: Program, age_months: int) -> bool:
    low, high = program.age_from_months, program.age_to_months
    return (low is None or age_months >= low) and (high is None or age_months <= high)


def _module_coverage(
    program: Program, module: Module, child, row, today, group_terms: dict
) -> ChildCoverage:
    certificate = row.certificate
    age = child.age_months(today)
    base = {
        "child": child,
        "certificate": certificate,
        "age_fits": _age_fits(program, age),
        "age_text": f"{age // 12} {_years_word(age // 12)}",
        "other_municipality": certificate.municipality_id != program.municipality_id,
    }
    if certificate.status != "active":
        return ChildCoverage(kind="suspended", **base)
    if program.budget_registry != Program.BudgetRegistry.NONE:
        note = f"программа в бюджетном реестре ({program.get_budget_registry_display()})"
        return ChildCoverage(kind="free", note=note, **base)
    if program.is_certified and module.price_kopecks == 0:
        return ChildCoverage(kind="free", note="модуль бесплатный", **base)
    if not program.is_certified:
        return ChildCoverage(kind="not_payable", **base)
    if not certificate.is_financing:
        return ChildCoverage(kind="needs_financing", **base)
    if module.price_kopecks is None or module.normative_cost_kopecks is None:
        return ChildCoverage(kind="unknown", **base)
    groups = tuple(
        GroupTerms(group, *group_terms[(group.pk, certificate.pk)])
        for group in module.groups.all()
        if (group.pk, certificate.pk) in group_terms
    )
    note = ""
    if row.period is None:
        note = "Сейчас нет действующего периода финансирования: денег на сертификате нет."
    return ChildCoverage(
        kind="money",
        coverage=coverage(
            price_kopecks=module.price_kopecks,
            normative_kopecks=module.normative_cost_kopecks,
            available_kopecks=row.money.available_kopecks if row.money is not None else 0,
        ),
        note=note,
        groups=groups,
        **base,
    )


def attach_family_coverage(program: Program, family) -> list:
    """Give each module of `program` its `family_coverage`: one row per child's live
    certificate (`family` from certificates.selectors.family_overview), with the terms of a
    contract in each group from `family_group_terms`; return the children that have one.
    Modules are prefetched and balances read once per certificate and period, whatever the
    number of modules and groups.
    """
    today = clock.today()
    pairs = [(entry.child, row) for entry in family for row in entry.certificates]
    payable = [
        row.certificate
        for _, row in pairs
        if row.certificate.is_financing and row.certificate.status == "active"
    ]
    group_terms: dict = {}
    if payable and program.is_certified and program.budget_registry == Program.BudgetRegistry.NONE:
        for answer in family_group_terms.collect(program=program, certificates=payable):
            group_terms.update(answer)
    for module in program.modules.all():
        module.family_coverage = [
            _module_coverage(program, module, child, row, today, group_terms)
            for child, row in pairs
        ]
    return [child for child, _ in pairs]


def provider_choices(municipality_code: str | None = None) -> list[tuple[int, str]]:
    """The catalogue form's providers: those with a published programme (of the municipality
    chosen, or anywhere), by name; one query.

    The providers with an EXISTS over their programmes, not DISTINCT over the programmes:
    at region scale (5,600 programmes, 358 providers) that is about 1 ms instead of 5–20 ms
    (a sort of every published programme), on every full catalogue page."""
    programs = Program.objects.published().filter(provider=OuterRef("pk"))
    if municipality_code:
        programs = programs.filter(municipality__code=municipality_code)
    return list(
        Provider.objects.filter(Exists(programs))
        .order_by("short_name", "pk")
        .values_list("pk", "short_name")
    )
