"""The population import's background job: a checked file's rows written one municipality
and year at a time (each its own transaction, with its audit row), with progress.

Exactly once: each municipality and year is written in one transaction with the note that it
is written (in the job's params), so after a crash the job's next run writes only the rest;
and a write of the values already there would change and record nothing anyway."""

from __future__ import annotations

from collections import defaultdict

from django.db import transaction

from pfdo.jobs import registry
from pfdo.jobs import services as jobs
from pfdo.reports import imports, services
from pfdo.territory.models import Municipality


@registry.handler(imports.IMPORT_JOB, label="Загрузка численности детей")
def population_import(job, progress) -> dict:
    cells = job.params["rows"]
    towns = Municipality.objects.in_bulk({pk for pk, *_ in cells})
    rows = [
        services.PopulationRow(towns[pk], year, age, children) for pk, year, age, children in cells
    ]
    groups: dict[tuple[int, int], list] = defaultdict(list)
    for row in rows:
        groups[(row.municipality.pk, row.year)].append(row)
    # Refused before anything is written, as at the start (access may have changed since).
    services.check_population_rows(actor=job.created_by, rows=rows)
    # What earlier runs of this job wrote, recorded with each write: not written again.
    written: dict[str, int] = dict(job.params.get("written") or {})
    progress(len(written), len(groups))
    for (municipality_id, year), group in groups.items():
        tag = f"{municipality_id}:{year}"
        if tag in written:
            continue
        with transaction.atomic():
            written[tag] = services.import_population(actor=job.created_by, rows=group)
            jobs.remember(job, written=written)
        progress(len(written), len(groups))
    changed = sum(written.values())
    return {
        "summary": f"Файл загружен: изменено возрастов — {changed}.",
        "lines": [
            f"Строк в файле: {len(rows)}",
            f"Муниципалитетов и лет: {len(groups)}",
            f"Изменено возрастов: {changed}",
        ],
        "data": {"rows": len(rows), "groups": len(groups), "changed": changed},
    }
