"""Places: waitlists (groups with children waiting) and groups with free places, as they are
today — the groups of the municipality's programmes running in the period."""

from __future__ import annotations

from django.db.models import Count, F, Min, Q, Sum

from pfdo.catalog.models import Group
from pfdo.enrolment.models import Application
from pfdo.reports.tables import Chart, Column, Table

TOP = 20


def _groups(filters):
    """Groups of published programmes of the municipality whose dates meet the period."""
    period = filters.period
    groups = Group.objects.filter(
        module__program__municipality=filters.municipality,
        module__program__is_published=True,
    ).filter(
        Q(starts_on__isnull=True) | Q(starts_on__lte=period.ends_on),
        Q(ends_on__isnull=True) | Q(ends_on__gte=period.starts_on),
    )
    if filters.direction:
        groups = groups.filter(module__program__direction=filters.direction)
    if filters.provider is not None:
        groups = groups.filter(module__program__provider=filters.provider)
    return groups


NAMES = {
    "group": "name",
    "program": "module__program__name",
    "provider": "module__program__provider__short_name",
}
NOTE_NOW = (
    "Положение на сегодня: фильтр месяца не применяется; направленность и поставщик сужают список."
)


def totals(filters) -> Table:
    groups = _groups(filters)
    figures = groups.aggregate(
        n_groups=Count("pk"),
        n_capacity=Sum("capacity"),
        n_taken=Sum("seats_taken"),
        n_full=Count("pk", filter=Q(seats_taken__gte=F("capacity"))),
    )
    waiting = Application.objects.filter(
        status=Application.Status.WAITLISTED, group__in=groups
    ).aggregate(children=Count("pk"), groups=Count("group", distinct=True))
    capacity, taken = figures["n_capacity"] or 0, figures["n_taken"] or 0
    row = {
        "scope": "Все группы",
        "groups": figures["n_groups"],
        "capacity": capacity,
        "taken": taken,
        "free": capacity - taken,
        "full": figures["n_full"],
        "waiting": waiting["children"],
        "waiting_groups": waiting["groups"],
    }
    return Table(
        key="places_totals",
        title="Места в группах: итого",
        columns=[
            Column("scope", "Группы"),
            Column("groups", "Групп", "int"),
            Column("capacity", "Мест", "int"),
            Column("taken", "Занято", "int"),
            Column("free", "Свободно", "int"),
            Column("full", "Групп без мест", "int"),
            Column("waiting", "Детей в листах ожидания", "int"),
            Column("waiting_groups", "Групп с очередью", "int"),
        ],
        rows=[row],
        chart=Chart("bar", "scope", ("capacity", "taken", "free", "waiting")),
        note="Группы опубликованных программ, занятия которых идут в периоде. " + NOTE_NOW,
    )


def waitlists(filters) -> Table:
    groups = _groups(filters)
    rows = [
        {
            "group": f"{item['module__program__name']} · {item['name']}",
            "provider": item["module__program__provider__short_name"],
            "waiting": item["waiting"],
            "since": item["since"].date() if item["since"] else None,
            "capacity": item["capacity"],
            "free": max(item["capacity"] - item["seats_taken"], 0),
        }
        for item in groups.annotate(
            waiting=Count(
                "enrolment_applications",
                filter=Q(enrolment_applications__status=Application.Status.WAITLISTED),
            ),
            since=Min(
                "enrolment_applications__created_at",
                filter=Q(enrolment_applications__status=Application.Status.WAITLISTED),
            ),
        )
        .filter(waiting__gt=0)
        .order_by("-waiting", "since", "pk")
        .values(*NAMES.values(), "waiting", "since", "capacity", "seats_taken")[:TOP]
    ]
    return Table(
        key="places_waitlists",
        title="Листы ожидания",
        columns=[
            Column("group", "Программа · группа"),
            Column("provider", "Поставщик"),
            Column("waiting", "Ждут мест", "int"),
            Column("since", "Ждёт дольше всех с", "date"),
            Column("capacity", "Мест", "int"),
            Column("free", "Свободно", "int"),
        ],
        rows=rows,
        chart=Chart("hbar", "group", ("waiting",)),
        note=f"До {TOP} групп с самой длинной очередью (итог — в таблице выше). " + NOTE_NOW,
    )


def free_places(filters) -> Table:
    groups = _groups(filters).filter(enrolment_open=True, module__program__enrolment_open=True)
    rows = [
        {
            "group": f"{item['module__program__name']} · {item['name']}",
            "provider": item["module__program__provider__short_name"],
            "capacity": item["capacity"],
            "taken": item["seats_taken"],
            "free": item["free"],
        }
        for item in groups.annotate(free=F("capacity") - F("seats_taken"))
        .filter(free__gt=0)
        .order_by("-free", "name", "pk")
        .values(*NAMES.values(), "capacity", "seats_taken", "free")[:TOP]
    ]
    return Table(
        key="places_free",
        title="Группы со свободными местами",
        columns=[
            Column("group", "Программа · группа"),
            Column("provider", "Поставщик"),
            Column("capacity", "Мест", "int"),
            Column("taken", "Занято", "int"),
            Column("free", "Свободно", "int"),
        ],
        rows=rows,
        chart=Chart("hbar", "group", ("free",)),
        note=f"До {TOP} групп с открытой записью и наибольшим числом свободных мест. " + NOTE_NOW,
    )


def tables(filters) -> list[Table]:
    return [totals(filters), waitlists(filters), free_places(filters)]
