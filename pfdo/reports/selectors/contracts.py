"""Applications and contracts of a municipality by direction, provider form and age group."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, CharField, Count, F, Value, When

from pfdo.common.choices import Direction, LegalForm
from pfdo.common.months import month_end
from pfdo.enrolment.models import Application, Contract
from pfdo.reports.selectors.coverage import AGE_GROUPS, report_day, years_before
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
    applications = Application.objects.filter(
        municipality=filters.municipality, created_at__date__gte=start, created_at__date__lte=end
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


def _grouped(filters, day, app_key, contract_key) -> dict:
    """{group key: {column: count}} — two queries (applications, contracts)."""
    applications, contracts = _scoped(filters, day)
    result: dict = {}

    def row(key):
        return result.setdefault(key, {column.key: 0 for column in COLUMNS})

    for item in (
        applications.annotate(k=app_key).values("k", "status").annotate(n=Count("pk")).order_by()
    ):
        target = row(item["k"])
        target["applications"] += item["n"]
        for column, statuses in APPLICATION_BUCKETS.items():
            if item["status"] in statuses:
                target[column] += item["n"]
    for item in (
        contracts.annotate(k=contract_key).values("k", "status").annotate(n=Count("pk")).order_by()
    ):
        target = row(item["k"])
        target["contracts"] += item["n"]
        for column, statuses in CONTRACT_BUCKETS.items():
            if item["status"] in statuses:
                target[column] += item["n"]
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


def by_direction(filters) -> Table:
    day = report_day(filters)
    field = "group__module__program__direction"
    counts = _grouped(filters, day, F(field), F(field))
    return _table(
        "contracts_by_direction",
        "Заявки и договоры по направленностям",
        Column("direction", "Направленность"),
        [(value, label.capitalize()) for value, label in Direction.choices],
        counts,
        _period_note(filters),
    )


def by_form(filters) -> Table:
    day = report_day(filters)
    counts = _grouped(filters, day, F("provider__legal_form"), F("provider__legal_form"))
    return _table(
        "contracts_by_form",
        "Заявки и договоры по форме поставщика",
        Column("form", "Форма поставщика"),
        [(value, label.capitalize()) for value, label in LegalForm.choices],
        counts,
        _period_note(filters)
        + " Частные — некоммерческие и коммерческие организации; ИП — отдельно.",
    )


def by_age(filters) -> Table:
    day = report_day(filters)
    counts = _grouped(
        filters, day, _age_case(day, "child__birth_date"), _age_case(day, "child__birth_date")
    )
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
    return [by_direction(filters), by_form(filters), by_age(filters)]
