"""Applications and contracts of a municipality by direction, provider form and age group."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, CharField, Count, F, Value, When

from pfdo.common.choices import Direction, LegalForm
from pfdo.common.months import month_end
from pfdo.enrolment.models import Application, Contract
from pfdo.reports.selectors.coverage import AGE_GROUPS, day_start, report_day, years_before
from pfdo.reports.tables import Chart, Column, Table

A = Application.Status
C = Contract.Status
# Application statuses in a few plain columns.
WAITING = (A.AWAITING_PARENT, A.NEW, A.OFFERED)
NOT_CONCLUDED = (A.REJECTED, A.CANCELLED, A.DECLINED, A.EXPIRED)
CONCLUDED = (A.ENROLLED, A.COMPLETED, A.TERMINATED)
YOUNGER, OLDER = "до 5 лет", "18 лет и старше"

COLUMNS = [
    Column("applications", "Заявок подано", "int"),
    Column("app_waiting", "Ждут решения", "int"),
    Column("app_waitlisted", "В листе ожидания", "int"),
    Column("app_concluded", "Дошли до договора", "int"),
    Column("app_refused", "Не дошли (отказ, отзыв, срок)", "int"),
    Column("contracts", "Договоров", "int"),
    Column("c_offered", "Предложены", "int"),
    Column("c_active", "Действуют", "int"),
    Column("c_completed", "Завершены", "int"),
    Column("c_terminated", "Расторгнуты", "int"),
]
APPLICATION_BUCKETS = {
    "app_waiting": WAITING,
    "app_waitlisted": (A.WAITLISTED,),
    "app_concluded": CONCLUDED,
    "app_refused": NOT_CONCLUDED,
}
CONTRACT_BUCKETS = {
    "c_offered": (C.OFFERED,),
    "c_active": (C.ACTIVE,),
    "c_completed": (C.COMPLETED,),
    "c_terminated": (C.TERMINATED,),
}
# Declined and expired offers are not contracts: counted among applications that did not
# reach one.
CONTRACT_STATUSES = (C.OFFERED, C.ACTIVE, C.COMPLETED, C.TERMINATED)


def _age_case(day: dt.date, field: str) -> Case:
    whens = [When(**{f"{field}__gt": years_before(day, 5)}, then=Value(YOUNGER))]
    for label, _, high in AGE_GROUPS:
        whens.append(When(**{f"{field}__gt": years_before(day, high + 1)}, then=Value(label)))
    return Case(*whens, default=Value(OLDER), output_field=CharField())


def _scoped(filters, day):
    """Applications filed and contracts in force in the period (or the month) — both narrowed
    by direction and provider."""
    start = filters.month or filters.period.starts_on
    end = month_end(filters.month) if filters.month else filters.period.ends_on
    # Local day boundaries as moments: an index range, not a date cast per row.
    applications = Application.objects.filter(
        municipality=filters.municipality,
        created_at__gte=day_start(start),
        created_at__lt=day_start(end + dt.timedelta(days=1)),
    )
    contracts = Contract.objects.filter(
        municipality=filters.municipality,
        status__in=CONTRACT_STATUSES,
        starts_on__lte=end,
        ends_on__gte=start,
    )
    if filters.direction:
        applications = applications.filter(group__module__program__direction=filters.direction)
        contracts = contracts.filter(group__module__program__direction=filters.direction)
    if filters.provider is not None:
        applications = applications.filter(provider=filters.provider)
        contracts = contracts.filter(provider=filters.provider)
    return applications, contracts


KEYS = {
    "direction": "group__module__program__direction",
    "form": "provider__legal_form",
}


def _grouped(filters, day) -> dict[str, dict]:
    """`{dimension: {group key: {column: count}}}` for the three dimensions (direction,
    provider form, age group) — two queries in all (applications, contracts), each grouped by
    the three keys and the status at once; the tables are sums of those few rows."""
    applications, contracts = _scoped(filters, day)
    result: dict[str, dict] = {"direction": {}, "form": {}, "age": {}}
    keys = {name: F(path) for name, path in KEYS.items()}
    keys["age"] = _age_case(day, "child__birth_date")

    def rows(queryset):
        return (
            queryset.annotate(**{f"k_{name}": key for name, key in keys.items()})
            .values(*(f"k_{name}" for name in keys), "status")
            .annotate(n=Count("pk"))
            .order_by()
        )

    def add(item, total, buckets):
        for name in keys:
            target = result[name].setdefault(
                item[f"k_{name}"], {column.key: 0 for column in COLUMNS}
            )
            target[total] += item["n"]
            for column, statuses in buckets.items():
                if item["status"] in statuses:
                    target[column] += item["n"]

    for item in rows(applications):
        add(item, "applications", APPLICATION_BUCKETS)
    for item in rows(contracts):
        add(item, "contracts", CONTRACT_BUCKETS)
    return result


def _table(key, title, first, labels, counts, note) -> Table:
    rows = []
    for value, label in labels:
        row = {first.key: label}
        row.update(counts.get(value) or {column.key: 0 for column in COLUMNS})
        rows.append(row)
    return Table(
        key=key,
        title=title,
        columns=[first, *COLUMNS],
        rows=rows,
        chart=Chart("hbar" if len(rows) > 4 else "bar", first.key, ("applications", "contracts")),
        note=note,
    )


def _period_note(filters) -> str:
    where = f"месяц {filters.month:%m.%Y}" if filters.month else "период"
    return (
        f"Заявки, поданные за {where}, по статусу на сегодня; договоры, действовавшие хотя бы "
        f"день за {where} (отклонённые и истёкшие предложения — среди заявок, не дошедших до "
        "договора). Фильтры направленности и поставщика сужают всё."
    )


def by_direction(filters, grouped=None) -> Table:
    day = report_day(filters)
    counts = (grouped or _grouped(filters, day))["direction"]
    return _table(
        "contracts_by_direction",
        "Заявки и договоры по направленностям",
        Column("direction", "Направленность"),
        [(value, label.capitalize()) for value, label in Direction.choices],
        counts,
        _period_note(filters),
    )


def by_form(filters, grouped=None) -> Table:
    day = report_day(filters)
    counts = (grouped or _grouped(filters, day))["form"]
    return _table(
        "contracts_by_form",
        "Заявки и договоры по форме поставщика",
        Column("form", "Форма поставщика"),
        [(value, label.capitalize()) for value, label in LegalForm.choices],
        counts,
        _period_note(filters)
        + " Частные — некоммерческие и коммерческие организации; ИП — отдельно.",
    )


def by_age(filters, grouped=None) -> Table:
    day = report_day(filters)
    counts = (grouped or _grouped(filters, day))["age"]
    labels = [(label, label) for label, _, _ in AGE_GROUPS]
    # Children outside 5–17 appear only when there are any (programmes may start earlier).
    labels = (
        [(YOUNGER, YOUNGER)] * (YOUNGER in counts) + labels + [(OLDER, OLDER)] * (OLDER in counts)
    )
    return _table(
        "contracts_by_age",
        "Заявки и договоры по возрастным группам",
        Column("group", "Возраст"),
        labels,
        counts,
        _period_note(filters)
        + f" Возраст — полных лет на {day:%d.%m.%Y} (группы 5–9, 10–13, 14–17 лет: "
        "начальная, основная и старшая школа).",
    )


def tables(filters) -> list[Table]:
    """The three tables from one grouping (two queries)."""
    grouped = _grouped(filters, report_day(filters))
    return [
        by_direction(filters, grouped),
        by_form(filters, grouped),
        by_age(filters, grouped),
    ]
