"""Programmes as the public ПФДО API v2 shows them: the search of the regional showcase and
the programme's cards, read in a fixed number of queries whatever the page size.

What the original has and this system does not, and how it is answered (docs/pfdo-api-v2.md):
- keywords (темы) and activities (виды деятельности): `keywords` [], `activity` [],
  `activity_ids` []; `search[keywords_ids]` is accepted (checked to be ids) and narrows
  nothing, so a client that always sends it still gets the catalogue;
- coordinates: `lat`/`lng` null; an address has no row of its own, its `id` is the
  programme's public id;
- `interest`, `img_transparent`, `distance_technology`: null; `program_icons` [].
- Ages are integers in the original (never null): an open lower bound is 0 months, an open
  upper bound 216 (18 years, when a certificate ends).

Integer codes the original uses where this system keeps words (stable, append-only):
KIND_IDS, EDU_FORM_IDS, LEVEL_IDS, STATUS_IDS (the certification state), LEGAL_FORM_IDS,
REGISTRY_IDS.

Registries (`reestrs`) from the programme's own data, ПФДО's five registries:
certified = certified (a financing certificate pays it); meaningful = the budget registry of
significant programmes; preprofessional = the budget registry of pre-professional programmes;
general = the budget registry of other (general developing) programmes; commercial = paid
only. The programme's kind (общеразвивающая, предпрофессиональная…) is `kind`, not a registry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)

from pfdo.catalog import search
from pfdo.catalog.models import RATING_MIN_COUNT, Group, Module, Program, ScheduleEntry
from pfdo.common.ages import plural
from pfdo.common.choices import LegalForm, StudyForm
from pfdo.compat import selectors

AGE_MIN_UNKNOWN = 0
AGE_MAX_UNKNOWN = 216

KIND_IDS = {
    Program.Kind.GENERAL: 1,
    Program.Kind.PREPROFESSIONAL: 2,
    Program.Kind.SPORTS_TRAINING: 3,
}
EDU_FORM_IDS = {StudyForm.FULL_TIME: 1, StudyForm.MIXED: 2, StudyForm.DISTANCE: 3}
LEVEL_IDS = {Program.Level.STARTING: 1, Program.Level.BASIC: 2, Program.Level.ADVANCED: 3}
STATUS_IDS = {
    Program.Certification.DRAFT: 0,
    Program.Certification.SUBMITTED: 1,
    Program.Certification.CERTIFIED: 2,
    Program.Certification.REJECTED: 3,
}
LEGAL_FORM_IDS = {
    LegalForm.MUNICIPAL: 1,
    LegalForm.STATE: 2,
    LegalForm.NGO: 3,
    LegalForm.COMPANY: 4,
    LegalForm.IP: 5,
}
# (id, reestrs key, name)
REGISTRIES = (
    (1, "certified", "Реестр сертифицированных программ"),
    (2, "meaningful", "Реестр значимых программ"),
    (3, "preprofessional", "Реестр предпрофессиональных программ"),
    (4, "general", "Реестр иных (общеразвивающих) программ"),
    (5, "commercial", "Реестр платных программ"),
)

# The columns a search item needs (never the long texts).
_ITEM_COLUMNS = (
    "pk",
    "name",
    "photo",
    "direction",
    "kind",
    "address",
    "age_from_months",
    "age_to_months",
    "certification_status",
    "budget_registry",
    "paid_only",
    "enrolment_open",
    "rating_avg",
    "rating_count",
    "provider__short_name",
    "module_count",
    "months_total",
    "free_places",
)


@dataclass(frozen=True)
class Search:
    """The showcase's search: the operator's region, optionally narrowed."""

    region_id: int
    municipality_id: int | None = None
    direction: str | None = None  # a Direction code
    age_months: int | None = None
    text: str | None = None


# ---------------------------------------------------------------- queries


def visible_programs() -> QuerySet[Program]:
    """What the compatibility API shows: published programmes of registry providers in
    municipalities connected to the system."""
    return Program.objects.published().filter(municipality__is_active=True)


def _with_aggregates(queryset: QuerySet) -> QuerySet:
    """Per programme, as correlated subqueries (one row per programme, no GROUP BY): module
    count, months of all modules, free places of the groups taking applications (NULL when no
    group does)."""
    modules = Module.objects.filter(program=OuterRef("pk")).order_by().values("program")
    places = (
        Group.objects.filter(module__program=OuterRef("pk"), enrolment_open=True)
        .order_by()
        .values("module__program")
    )
    return queryset.annotate(
        module_count=Subquery(
            modules.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()
        ),
        months_total=Subquery(
            modules.annotate(n=Sum("duration_months")).values("n")[:1],
            output_field=IntegerField(),
        ),
        free_places=Subquery(
            places.annotate(n=Sum(F("capacity") - F("seats_taken"))).values("n")[:1],
            output_field=IntegerField(),
        ),
    )


def search_page(query: Search, *, offset: int, limit: int) -> list[dict]:
    """One page of the search (one query), rows of _ITEM_COLUMNS.

    Order: by id when no text is searched — the pages of a mirror walking the region stay
    put when a programme is renamed, and the primary key gives the order without a sort of
    the region's 5,600 programmes; by name when a text is searched (the matches are few, and
    sorting them spares computing a rank per match).

    The page's ids are chosen by a narrow subquery (LIMIT/OFFSET over ids only) and the
    aggregates computed for those rows alone: PostgreSQL evaluates a select list's subqueries
    for every row OFFSET skips too, so page 30 of one query with them was ~300 ms.
    """
    queryset = visible_programs().filter(municipality__region_id=query.region_id)
    if query.municipality_id is not None:
        queryset = queryset.filter(municipality_id=query.municipality_id)
    if query.direction:
        queryset = queryset.filter(direction=query.direction)
    if query.age_months is not None:
        age = query.age_months
        queryset = queryset.filter(
            Q(age_from_months__isnull=True) | Q(age_from_months__lte=age),
            Q(age_to_months__isnull=True) | Q(age_to_months__gte=age),
        )
    ordering: tuple = ("pk",)
    if query.text:
        queryset = search.search_programs(queryset, query.text)
        ordering = ("name", "pk")
    page = queryset.order_by(*ordering).values("pk")[offset : offset + limit]
    rows = _with_aggregates(Program.objects.filter(pk__in=page)).order_by(*ordering)
    return list(rows.values(*_ITEM_COLUMNS))


def program_card(pk: int) -> Program | None:
    """A visible programme with what its cards show: provider, municipality and region, the
    aggregates, modules → groups → lessons (5 queries)."""
    lessons = ScheduleEntry.objects.order_by("weekday", "starts_at", "pk")
    groups = Group.objects.order_by("starts_on", "name", "pk").prefetch_related(
        Prefetch("schedule", queryset=lessons)
    )
    modules = Module.objects.order_by("position", "pk").prefetch_related(
        Prefetch("groups", queryset=groups)
    )
    return (
        _with_aggregates(visible_programs())
        .select_related("provider", "municipality__region")
        .prefetch_related(Prefetch("modules", queryset=modules))
        .filter(pk=pk)
        .first()
    )


def main_page_card(pk: int) -> dict | None:
    """The showcase's card: the search item's columns and the texts (one query)."""
    return (
        _with_aggregates(visible_programs())
        .filter(pk=pk)
        .values(*_ITEM_COLUMNS, "description", "goals", "expected_results", "district")
        .first()
    )


# ---------------------------------------------------------------- shaping


def kopecks_text(kopecks: int | None) -> str | None:
    """450000 → "4500.00" (the original's price strings), exactly, from integer kopecks."""
    if kopecks is None:
        return None
    sign = "-" if kopecks < 0 else ""
    rubles, rest = divmod(abs(kopecks), 100)
    return f"{sign}{rubles}.{rest:02d}"


def duration_string(months: int | None) -> str | None:
    """14 → "1 год 2 месяца"; None or 0 (no modules) → None."""
    if not months:
        return None
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} {plural(years, 'год', 'года', 'лет')}")
    if rest:
        parts.append(f"{rest} {plural(rest, 'месяц', 'месяца', 'месяцев')}")
    return " ".join(parts)


def image_url(request, name: str | None) -> str | None:
    if not name:
        return None
    storage = Program._meta.get_field("photo").storage
    return request.build_absolute_uri(storage.url(name))


def nok_rating(avg: Decimal | None, count: int) -> float | None:
    """The parents' average, shown from RATING_MIN_COUNT ratings on (as on the site)."""
    if avg is None or count < RATING_MIN_COUNT:
        return None
    return float(avg)


def reestrs(*, certification_status: str, budget_registry: str, paid_only: bool) -> dict:
    registry = Program.BudgetRegistry
    return {
        "certified": certification_status == Program.Certification.CERTIFIED,
        "meaningful": budget_registry == registry.SIGNIFICANT,
        "preprofessional": budget_registry == registry.PREPROFESSIONAL,
        "general": budget_registry == registry.OTHER,
        "commercial": bool(paid_only),
    }


def registry_list(flags: dict) -> list[dict]:
    return [{"id": number, "name": name} for number, key, name in REGISTRIES if flags[key]]


def address(public_id: int, text: str) -> dict:
    return {"id": public_id, "name": text or "", "lat": None, "lng": None}


def _ages(low: int | None, high: int | None) -> tuple[int, int]:
    return (
        AGE_MIN_UNKNOWN if low is None else low,
        AGE_MAX_UNKNOWN if high is None else high,
    )


def _enrollment(row: dict) -> int | None:
    """Free places of the groups taking applications; None when none does (or the
    programme's enrolment is closed)."""
    if not row["enrolment_open"] or row["free_places"] is None:
        return None
    return max(row["free_places"], 0)


def item(row: dict, public_id: int, *, request, expand: frozenset[str]) -> dict:
    """A MainPageProgramItem from a row of _ITEM_COLUMNS."""
    age_min, age_max = _ages(row["age_from_months"], row["age_to_months"])
    data = {
        "id": public_id,
        "name": row["name"],
        "image": image_url(request, row["photo"]),
        "direction": selectors.direction(row["direction"]),
        "address": address(public_id, row["address"]),
        "keywords": [],
        "organization_name": row["provider__short_name"],
        "age_min": age_min,
        "age_max": age_max,
        "module_count": row["module_count"] or 0,
        "reestrs": reestrs(
            certification_status=row["certification_status"],
            budget_registry=row["budget_registry"],
            paid_only=row["paid_only"],
        ),
        "enrollment": _enrollment(row),
        "duration_string": duration_string(row["months_total"]),
    }
    if "program_nok_rating" in expand:
        data["program_nok_rating"] = nok_rating(row["rating_avg"], row["rating_count"])
    if "kind" in expand:
        data["kind"] = KIND_IDS[row["kind"]]
    return data


def items(rows: list[dict], *, request, expand: frozenset[str]) -> list[dict]:
    """The page's items; the public ids in one query."""
    ids = selectors.public_program_ids(row["pk"] for row in rows)
    return [item(row, ids[row["pk"]], request=request, expand=expand) for row in rows]


def main_page_detail(row: dict, public_id: int, *, request) -> dict:
    """MainPageProgramDetail: the item, its texts (`task` = goals) and no activities."""
    data = item(row, public_id, request=request, expand=frozenset({"kind"}))
    data.update(
        {
            "task": row["goals"] or None,
            "activity": [],
            "annotation": row["description"] or None,
            "expected_results": row["expected_results"] or None,
            "district": row["district"] or None,
            "program_nok_rating": nok_rating(row["rating_avg"], row["rating_count"]),
        }
    )
    return data


def _lesson_minutes(lesson: ScheduleEntry) -> int:
    start = lesson.starts_at.hour * 60 + lesson.starts_at.minute
    end = lesson.ends_at.hour * 60 + lesson.ends_at.minute
    return end - start


def typical_minutes(lessons: Iterable[ScheduleEntry]) -> int | None:
    """The most frequent lesson length (the shorter on a tie); None without a schedule."""
    counts = Counter(_lesson_minutes(lesson) for lesson in lessons)
    if not counts:
        return None
    return min(counts, key=lambda minutes: (-counts[minutes], minutes))


def period(lesson: ScheduleEntry) -> dict:
    return {
        "id": lesson.pk,
        "weekday": lesson.weekday,
        "weekday_name": lesson.get_weekday_display(),
        "start_time": lesson.starts_at.strftime("%H:%M"),
        "end_time": lesson.ends_at.strftime("%H:%M"),
        "duration_minutes": _lesson_minutes(lesson),
        "parity": lesson.parity,
        "parity_name": lesson.get_parity_display(),
    }


def available_groups(program: Program, public_id: int) -> list[dict]:
    """Groups taking applications (the programme's enrolment open too), full ones included
    with 0 free places: a family may join the waiting list."""
    if not program.enrolment_open:
        return []
    found = []
    for module in program.modules.all():
        for group in module.groups.all():
            if not group.enrolment_open:
                continue
            lessons = list(group.schedule.all())
            found.append(
                {
                    "id": group.pk,
                    "organization_id": program.provider_id,
                    "program_id": public_id,
                    "module_id": module.pk,
                    "name": group.name,
                    "start_date": group.starts_on.isoformat() if group.starts_on else None,
                    "end_date": group.ends_on.isoformat() if group.ends_on else None,
                    "free_places_counter": group.free_places,
                    "capacity": group.capacity,
                    "typical_lesson_duration_minutes": typical_minutes(lessons),
                    "module_name": module.name,
                    "period_price": kopecks_text(module.price_kopecks),
                    "address": group.address,
                    "room": group.room or None,
                    "teacher": group.teacher_name or None,
                    "periods": [period(lesson) for lesson in lessons],
                }
            )
    return found


def module(item: Module) -> dict:
    return {
        "id": item.pk,
        "name": item.name,
        "position": item.position,
        "hours": item.hours,
        "months": item.duration_months,
        "price": kopecks_text(item.price_kopecks),
        "normative_cost": kopecks_text(item.normative_cost_kopecks),
        "min_children": item.min_children,
        "max_children": item.max_children,
    }


def organization(program: Program) -> dict:
    provider = program.provider
    return {
        "id": provider.pk,
        "name": provider.short_name,
        "full_name": provider.full_name,
        "phone": provider.phone or None,
        "email": provider.email or None,
        "website": provider.website or None,
        "address": provider.actual_address or None,
        "mun": provider.municipality_id,
        "organizational_form": LEGAL_FORM_IDS.get(provider.legal_form),
        "level_id": None,
    }


def core(program: Program, public_id: int) -> dict:
    """PublicProgramCore."""
    years, months = divmod(program.months_total or 0, 12)
    age_min, age_max = _ages(program.age_from_months, program.age_to_months)
    return {
        "id": public_id,
        "full_name": program.name,
        "short_name": program.name,
        "kind": KIND_IDS[program.kind],
        "level": LEVEL_IDS[program.level],
        "direction_id": selectors.DIRECTION_IDS[program.direction],
        "activity_ids": [],
        "edu_form": EDU_FORM_IDS[program.form],
        "duration_year": years,
        "duration_month": months,
        "mun": program.municipality_id,
        "organization_id": program.provider_id,
        "annotation": program.description or None,
        "task": program.goals or None,
        "expected_results": program.expected_results or None,
        "age_group_min": age_min,
        "age_group_max": age_max,
        "status": STATUS_IDS[program.certification_status],
        "modules_count": program.module_count or 0,
        "enrolment_open": program.enrolment_open,
        "medical_certificate_required": program.medical_certificate_required,
        "for_disabled": program.for_disabled,
    }


# The expand names of getPublicProgramDetail. The description declares `program`,
# `available_groups`, `address`, `organization`, `direction`, `program_text`, `modules`,
# `images` and `phone` as the card's fields: they are always there; the others come when asked.
PUBLIC_EXPANDS = frozenset(
    {
        "address",
        "program_image",
        "registry",
        "reestrs",
        "direction",
        "activity",
        "is_open",
        "available_groups",
        "program_text",
        "distance_technology",
        "organization",
        "images",
        "interest",
        "modules",
        "rating",
        "region",
        "img_transparent",
        "program_icons",
        "program_nok_rating",
        "phone",
    }
)


def public_detail(program: Program, public_id: int, *, request, expand: frozenset[str]) -> dict:
    """PublicProgramDetail."""
    photo = image_url(request, program.photo.name)
    groups = available_groups(program, public_id)
    data = {
        "program": core(program, public_id),
        "available_groups": groups,
        "address": address(public_id, program.address),
        "organization": organization(program),
        "direction": selectors.direction(program.direction),
        "program_text": {"value": program.description, "link": False},
        "modules": [module(item) for item in program.modules.all()],
        "images": [{"id": public_id, "url": photo}] if photo else [],
        "phone": program.provider.phone or None,
    }
    flags = reestrs(
        certification_status=program.certification_status,
        budget_registry=program.budget_registry,
        paid_only=program.paid_only,
    )
    optional = {
        "program_image": lambda: photo,
        "registry": lambda: registry_list(flags),
        "reestrs": lambda: flags,
        "activity": list,
        "is_open": lambda: bool(groups),
        "distance_technology": lambda: None,
        "interest": lambda: None,
        "rating": lambda: {
            "value": nok_rating(program.rating_avg, program.rating_count),
            "count": program.rating_count,
        },
        "region": lambda: {
            "id": program.municipality.region_id,
            "name": program.municipality.region.name,
        },
        "img_transparent": lambda: None,
        "program_icons": list,
        "program_nok_rating": lambda: nok_rating(program.rating_avg, program.rating_count),
    }
    for name, value in optional.items():
        if name in expand:
            data[name] = value()
    return data
