"""The one write of the reports: the child population (the denominator of coverage), entered on
a page or imported from a file — checked whole, saved in one transaction, with an audit row per
municipality and year."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction

from pfdo.audit import services as audit
from pfdo.common import clock
from pfdo.common.authz import authorize
from pfdo.common.errors import ValidationFailed
from pfdo.reports.models import MAX_AGE, MIN_AGE, ChildPopulation

MIN_YEAR = 2000
MAX_YEAR = 2100
EDIT_ALLOWED = "Численность детей вносит оператор муниципалитета или администратор региона."


@dataclass(frozen=True)
class PopulationRow:
    municipality: object
    year: int
    age: int
    children: int


def check_year(year: int) -> None:
    if not (MIN_YEAR <= year <= MAX_YEAR):
        raise ValidationFailed(fields={"year": f"Год от {MIN_YEAR} до {MAX_YEAR}."})


def save_population(
    *, actor, municipality, year: int, children: Mapping[int, int | None], source: str = "form"
) -> int:
    """Set the number of children of each age of `year` in `municipality` (an age mapped to
    None is removed); returns how many ages were written."""
    authorize(actor, "reports.edit_population", municipality, message=EDIT_ALLOWED)
    check_year(year)
    errors = {}
    for age, count in children.items():
        if not (MIN_AGE <= age <= MAX_AGE):
            errors[f"age_{age}"] = f"Возраст от {MIN_AGE} до {MAX_AGE} лет."
        elif count is not None and count < 0:
            errors[f"age_{age}"] = "Число детей не может быть отрицательным."
    if errors:
        raise ValidationFailed(fields=errors)
    with transaction.atomic():
        return _write(actor, municipality, year, children, source)


def check_population_rows(
    *, actor, rows: Iterable[PopulationRow]
) -> dict[tuple[object, int], dict[int, int]]:
    """The rows by municipality and year, once the actor may edit every one of them."""
    grouped: dict[tuple[object, int], dict[int, int]] = defaultdict(dict)
    for row in rows:
        grouped[(row.municipality, row.year)][row.age] = row.children
    for municipality, year in grouped:
        authorize(actor, "reports.edit_population", municipality, message=EDIT_ALLOWED)
        check_year(year)
    return grouped


def import_population(*, actor, rows: Iterable[PopulationRow], source: str = "file") -> int:
    """Write checked rows of a file (see reports.imports): all of them or, if the actor may not
    edit one municipality of them, none. Ages a file leaves out keep their values."""
    grouped = check_population_rows(actor=actor, rows=rows)
    written = 0
    with transaction.atomic():
        for (municipality, year), children in grouped.items():
            written += _write(actor, municipality, year, children, source)
    return written


def _write(actor, municipality, year: int, children: Mapping[int, int | None], source: str) -> int:
    existing = {
        row.age: row
        for row in ChildPopulation.objects.select_for_update().filter(
            municipality=municipality, year=year
        )
    }
    now = clock.now()
    user = actor if getattr(actor, "is_authenticated", False) else None
    changes: dict[str, list[int | None]] = {}
    create, update, delete = [], [], []
    for age, count in sorted(children.items()):
        row = existing.get(age)
        if count is None:
            if row is not None:
                delete.append(row.pk)
                changes[str(age)] = [row.children, None]
            continue
        if row is None:
            create.append(
                ChildPopulation(
                    municipality=municipality,
                    year=year,
                    age=age,
                    children=count,
                    updated_at=now,
                    updated_by=user,
                )
            )
            changes[str(age)] = [None, count]
        elif row.children != count:
            changes[str(age)] = [row.children, count]
            row.children, row.updated_at, row.updated_by = count, now, user
            update.append(row)
    if not changes:
        return 0
    ChildPopulation.objects.filter(pk__in=delete).delete()
    ChildPopulation.objects.bulk_create(create)
    ChildPopulation.objects.bulk_update(update, ["children", "updated_at", "updated_by"])
    audit.record(
        actor=actor,
        action="reports.population_saved",
        municipality=municipality,
        details={"year": year, "source": source, "changes": changes},
    )
    return len(changes)
