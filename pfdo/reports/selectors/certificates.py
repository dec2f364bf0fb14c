"""Certificates of a municipality by type and status."""

from __future__ import annotations

from django.db.models import Count

from pfdo.certificates.models import Certificate
from pfdo.common.months import month_end
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


def tables(filters: Filters) -> list[Table]:
    return [by_type_and_status(filters)]
