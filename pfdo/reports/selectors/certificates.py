"""Certificates of a municipality by type and status."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone

from pfdo.certificates.models import Certificate
from pfdo.common.months import month_end, months_between, next_month
from pfdo.reports.selectors.coverage import report_day
from pfdo.reports.selectors.scope import Filters
from pfdo.reports.tables import Chart, Column, Table


def by_type_and_status(filters: Filters) -> Table:
    """Every certificate issued in the municipality up to the period's end (or the chosen
    month's end), by type and by its status today — one query."""
    until = month_end(filters.month) if filters.month else filters.period.ends_on
    counts = {
        (row["type"], row["status"]): row["n"]
        for row in Certificate.objects.filter(
            municipality=filters.municipality, issued_at__date__lte=until
        )
        .values("type", "status")
        .annotate(n=Count("pk"))
        .order_by()
    }
    columns = [Column("type", "Тип сертификата")]
    columns += [
        Column(status, label.capitalize(), "int") for status, label in Certificate.Status.choices
    ]
    columns.append(Column("total", "Всего", "int"))
    rows = []
    for kind, label in Certificate.Type.choices:
        row = {"type": label.capitalize()}
        for status, _ in Certificate.Status.choices:
            row[status] = counts.get((kind, status), 0)
        row["total"] = sum(row[status] for status, _ in Certificate.Status.choices)
        rows.append(row)
    return Table(
        key="certificates_by_type",
        title="Сертификаты по типу и статусу",
        columns=columns,
        rows=rows,
        chart=Chart("bar", "type", tuple(status for status, _ in Certificate.Status.choices)),
        note=f"Выданы по {until:%d.%m.%Y}; статус — на сегодня.",
    )


def issued_by_month(filters: Filters) -> Table:
    """Certificates issued in each month of the period (or the chosen month), by type — one
    query (a conditional count per month and type)."""
    day = report_day(filters)
    months = [filters.month] if filters.month else months_between(filters.period.starts_on, day)
    aggregates = {}
    for i, month in enumerate(months):
        start = _moment(month)
        end = _moment(next_month(month))
        for kind, _ in Certificate.Type.choices:
            aggregates[f"{kind}_{i}"] = Count(
                "pk", filter=Q(type=kind, issued_at__gte=start, issued_at__lt=end)
            )
    counts = (
        Certificate.objects.filter(municipality=filters.municipality).aggregate(**aggregates)
        if aggregates
        else {}
    )
    rows = []
    for i, month in enumerate(months):
        row = {"month": month}
        for kind, _ in Certificate.Type.choices:
            row[kind] = counts.get(f"{kind}_{i}", 0)
        row["total"] = sum(row[kind] for kind, _ in Certificate.Type.choices)
        rows.append(row)
    return Table(
        key="certificates_issued",
        title="Выдано сертификатов по месяцам",
        columns=[
            Column("month", "Месяц", "month"),
            *(Column(kind, label.capitalize(), "int") for kind, label in Certificate.Type.choices),
            Column("total", "Всего", "int"),
        ],
        rows=rows,
        chart=Chart("bar", "month", tuple(kind for kind, _ in Certificate.Type.choices)),
        note="По дате выдачи; текущий месяц — по сегодня. Фильтры направленности и поставщика "
        "к сертификатам не применяются.",
    )


def _moment(month):
    return timezone.make_aware(dt.datetime.combine(month, dt.time()))


def tables(filters: Filters) -> list[Table]:
    return [by_type_and_status(filters), issued_by_month(filters)]
