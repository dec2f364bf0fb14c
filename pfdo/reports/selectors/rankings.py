"""Providers and programmes of a municipality ranked by enrolment and by their parents' rating."""

from __future__ import annotations

from django.db.models import Count

from pfdo.catalog.models import Program
from pfdo.common.months import month_end
from pfdo.enrolment.models import Contract
from pfdo.providers.models import Provider
from pfdo.reports.selectors.scope import Filters
from pfdo.reports.tables import Chart, Column, Table

TOP = 10
# Fewer ratings than this say nothing about a programme (issue 14: the count, not an average).
MIN_RATINGS = 3
RUNNING = (Contract.Status.ACTIVE, Contract.Status.COMPLETED, Contract.Status.TERMINATED)


def _contracts(filters: Filters):
    """The contracts the enrolment ranking counts: those active today, or — for a chosen
    month — every concluded contract whose dates cover that month."""
    qs = Contract.objects.filter(period=filters.period)
    if filters.month:
        qs = qs.filter(
            status__in=RUNNING, starts_on__lte=month_end(filters.month), ends_on__gte=filters.month
        )
    else:
        qs = qs.filter(status=Contract.Status.ACTIVE)
    if filters.direction:
        qs = qs.filter(group__module__program__direction=filters.direction)
    if filters.provider is not None:
        qs = qs.filter(provider=filters.provider)
    return qs


def _when(filters: Filters) -> str:
    if filters.month:
        return "договоры, действовавшие в выбранном месяце"
    return "договоры, действующие сегодня"


ENROLMENT_COLUMNS = [
    Column("place", "Место", "int"),
    Column("name", "Наименование"),
    Column("contracts", "Договоров", "int"),
    Column("children", "Детей", "int"),
]


def _top(filters: Filters, field: str) -> list[dict]:
    """The TOP ids of `field` by active contracts (then children), grouped on the id alone —
    names are read for those ten afterwards, so the grouping sorts no text."""
    return list(
        _contracts(filters)
        .order_by()
        .values(field)
        .annotate(contracts=Count("pk"), children=Count("child_id", distinct=True))
        .order_by("-contracts", "-children", field)[:TOP]
    )


def providers_by_enrolment(filters: Filters) -> Table:
    top = _top(filters, "provider_id")
    names = dict(
        Provider.objects.filter(pk__in=[row["provider_id"] for row in top]).values_list(
            "pk", "short_name"
        )
    )
    return Table(
        key="providers_by_enrolment",
        title=f"Поставщики по числу договоров (первые {TOP})",
        columns=ENROLMENT_COLUMNS,
        rows=[
            {
                "place": place,
                "name": names.get(row["provider_id"], ""),
                "contracts": row["contracts"],
                "children": row["children"],
            }
            for place, row in enumerate(top, start=1)
        ],
        chart=Chart("hbar", "name", ("contracts",)),
        note=f"Считаются {_when(filters)}, в периоде «{filters.period.name}».",
    )


def programs_by_enrolment(filters: Filters) -> Table:
    top = _top(filters, "group__module__program_id")
    programs = {
        pk: (name, provider)
        for pk, name, provider in Program.objects.filter(
            pk__in=[row["group__module__program_id"] for row in top]
        ).values_list("pk", "name", "provider__short_name")
    }
    rows = []
    for place, row in enumerate(top, start=1):
        name, provider = programs.get(row["group__module__program_id"], ("", ""))
        rows.append(
            {
                "place": place,
                "name": name,
                "provider": provider,
                "contracts": row["contracts"],
                "children": row["children"],
            }
        )
    return Table(
        key="programs_by_enrolment",
        title=f"Программы по числу договоров (первые {TOP})",
        columns=[*ENROLMENT_COLUMNS[:2], Column("provider", "Поставщик"), *ENROLMENT_COLUMNS[2:]],
        rows=rows,
        chart=Chart("hbar", "name", ("contracts",)),
        note=f"Считаются {_when(filters)}, в периоде «{filters.period.name}».",
    )


RATING_COLUMNS = [
    Column("place", "Место", "int"),
    Column("name", "Наименование"),
    Column("rating", "Средняя оценка (из 5)", "decimal"),
    Column("ratings", "Оценок", "int"),
]
RATING_NOTE = (
    f"Только с {MIN_RATINGS} и более оценками родителей; оценки — за всё время, "
    "период и месяц к ним не применяются."
)


def providers_by_rating(filters: Filters) -> Table:
    qs = Provider.objects.filter(
        municipality=filters.municipality, rating_count__gte=MIN_RATINGS, rating_avg__isnull=False
    )
    if filters.provider is not None:
        qs = qs.filter(pk=filters.provider.pk)
    if filters.direction:
        # Providers with at least one programme of that direction.
        qs = qs.filter(
            pk__in=Program.objects.filter(direction=filters.direction).values("provider_id")
        )
    rows = qs.order_by("-rating_avg", "-rating_count", "short_name", "pk").values(
        "short_name", "rating_avg", "rating_count"
    )[:TOP]
    return Table(
        key="providers_by_rating",
        title=f"Поставщики по оценкам родителей (первые {TOP})",
        columns=RATING_COLUMNS,
        rows=[
            {
                "place": place,
                "name": row["short_name"],
                "rating": row["rating_avg"],
                "ratings": row["rating_count"],
            }
            for place, row in enumerate(rows, start=1)
        ],
        chart=Chart("hbar", "name", ("rating",)),
        note=RATING_NOTE,
    )


def programs_by_rating(filters: Filters) -> Table:
    qs = Program.objects.filter(
        provider__municipality=filters.municipality,
        rating_count__gte=MIN_RATINGS,
        rating_avg__isnull=False,
    )
    if filters.provider is not None:
        qs = qs.filter(provider=filters.provider)
    if filters.direction:
        qs = qs.filter(direction=filters.direction)
    rows = qs.order_by("-rating_avg", "-rating_count", "name", "pk").values(
        "name", "provider__short_name", "rating_avg", "rating_count"
    )[:TOP]
    return Table(
        key="programs_by_rating",
        title=f"Программы по оценкам родителей (первые {TOP})",
        columns=[*RATING_COLUMNS[:2], Column("provider", "Поставщик"), *RATING_COLUMNS[2:]],
        rows=[
            {
                "place": place,
                "name": row["name"],
                "provider": row["provider__short_name"],
                "rating": row["rating_avg"],
                "ratings": row["rating_count"],
            }
            for place, row in enumerate(rows, start=1)
        ],
        chart=Chart("hbar", "name", ("rating",)),
        note=RATING_NOTE,
    )


def tables(filters: Filters) -> list[Table]:
    return [
        providers_by_enrolment(filters),
        programs_by_enrolment(filters),
        providers_by_rating(filters),
        programs_by_rating(filters),
    ]
